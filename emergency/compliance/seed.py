"""The default rule table, seeded from domain-rules §9 (R1–R19) and its global timing rules.

Each R row of the research table holds several obligations (have a plan, file, evaluate,
drill), so it becomes several rules: R12-E is R12's evaluation cycle, R12-D its drills, and so
on. `is_national=False` marks local defaults that are not national law; admins can edit them.
"""

from sqlalchemy import select

from emergency.compliance.models import Rule
from emergency.extensions import db

GOV = ["government_department"]
SCHOOLS = ["school"]
ENTERPRISE = ["enterprise"]
HIGH_RISK = ["mining", "metal_smelting", "construction", "hazardous_chemicals", "fireworks",
             "medium_or_larger"]
ARTICLE_33_2 = ["hazardous_chemicals", "mining", "metal_smelting", "construction", "crowded_place"]
BANFA_2024 = "《突发事件应急预案管理办法》（国办发〔2024〕5号）"
BANFA_2013 = "《突发事件应急预案管理办法》（国办发〔2013〕101号）"
SHENGCHAN = "《生产安全事故应急预案管理办法》（应急管理部令第2号修正）"
TIAOLI = "《生产安全事故应急条例》（国务院令第708号）"
GUIDE = "《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）"
FIRE_61 = "《机关、团体、企业、事业单位消防安全管理规定》（公安部令第61号）"


def _r(code, title, kind, citation, national=True, **fields) -> dict:
    return dict(code=code, title=title, kind=kind, citation=citation, is_national=national, **fields)


DEFAULT_RULES = [
    # Having a plan at all.
    _r("R3-P", "政府部门应编制部门应急预案", "have_plan", f"{BANFA_2024} 第二十六条（三）",
       unit_kinds=GOV, plan_categories=["department", "overall"]),
    _r("R6-P", "乡镇（街道）应编制总体（综合）应急预案", "have_plan", f"{BANFA_2024} 第二十六条（六）",
       unit_kinds=["town_street"], plan_categories=["overall"]),
    _r("R7-P", "村（社区）应编制应急预案", "have_plan", f"{BANFA_2024} 第二十六条（六）",
       unit_kinds=["village_community"], plan_categories=["village_brief", "overall"]),
    _r("R8-P", "学校、幼儿园应编制应急预案", "have_plan", "《中小学幼儿园安全管理办法》（教育部等令第23号）",
       national=False, unit_kinds=["school", "kindergarten", "university"], plan_categories=["overall"]),
    _r("R12-P", "生产经营单位应编制综合应急预案", "have_plan", f"{SHENGCHAN} 第六条",
       unit_kinds=ENTERPRISE, plan_categories=["overall"]),
    # Filing within 20 working days of issue.
    _r("G-F", "应急预案印发后20个工作日内备案", "file_plan", f"{BANFA_2024} 第二十六条",
       unit_kinds=["town_street", "village_community", "government_department", "school",
                   "kindergarten", "university", "public_institution"],
       deadline_days=20, lead_days=10, reminder_days=[10, 3, 0]),
    _r("R12-F", "高危及人员密集生产经营单位应急预案公布后20个工作日内备案", "file_plan",
       f"{SHENGCHAN} 第二十六条；{TIAOLI} 第七条", unit_kinds=ENTERPRISE,
       tags_any=HIGH_RISK + ["crowded_place"], deadline_days=20, lead_days=10, reminder_days=[10, 3, 0]),
    # Evaluation cycles.
    _r("R1-E", "政府及部门总体、专项、部门应急预案原则上每3年评估一次", "evaluate", f"{BANFA_2024} 第三十三条",
       unit_kinds=GOV, plan_categories=["overall", "special", "department", "joint"],
       interval_months=36, lead_days=90, reminder_days=[90, 30, 7],
       note="条文号待与官方文本核对（研究资料标注为部分确认）"),
    _r("R6-E", "乡镇（街道）、村（社区）应急预案每3年评估一次（本地默认）", "evaluate", f"{BANFA_2024} 第三十三条（参照）",
       national=False, unit_kinds=["town_street", "village_community"], interval_months=36, lead_days=90,
       reminder_days=[90, 30, 7]),
    _r("R8-E", "学校、幼儿园应急预案每3年评估一次（本地默认）", "evaluate", f"{BANFA_2024} 第三十三条（参照）",
       national=False, unit_kinds=["school", "kindergarten", "university"], interval_months=36,
       lead_days=90, reminder_days=[90, 30, 7]),
    _r("R12-E", "高危及中型以上生产经营单位每三年进行一次应急预案评估", "evaluate", f"{SHENGCHAN} 第三十五条",
       unit_kinds=ENTERPRISE, tags_any=HIGH_RISK, plan_categories=["overall", "special", "onsite"],
       interval_months=36, lead_days=90, reminder_days=[90, 30, 7]),
    _r("R16-E", "其他生产经营单位应急预案每3年评估一次（本地默认）", "evaluate", f"{SHENGCHAN} 第三十五条（参照）",
       national=False, unit_kinds=ENTERPRISE, interval_months=36, lead_days=90, reminder_days=[90, 30, 7]),
    _r("R17-E", "突发环境事件应急预案每三年至少修订一次", "evaluate", "《突发环境事件应急预案管理暂行办法》",
       plan_categories=["environmental"], interval_months=36, lead_days=90, reminder_days=[90, 30, 7],
       note="该办法要求修订（而非评估），修订后30日内重新备案"),
    # Revision items and corrective actions.
    _r("G-V", "需修订的预案应在90日内完成修订并备案（本地默认）", "revise", f"{BANFA_2024} 第三十四条（参照）",
       national=False, deadline_days=90, lead_days=30, reminder_days=[30, 7, 1]),
    _r("G-A", "演练发现问题的整改项应按期整改落实", "close_actions", GUIDE + " 第六条",
       lead_days=7, reminder_days=[7, 1, 0]),
    # Drills.
    _r("R2-D", "专项应急预案、部门应急预案至少每3年进行一次应急演练", "drill_interval", f"{BANFA_2013} 第二十二条",
       unit_kinds=GOV, plan_categories=["special", "department"], per_plan=True, interval_months=36,
       lead_days=60, reminder_days=[60, 30, 7]),
    _r("R3-D", "负有安全生产监管职责的部门至少每2年组织1次生产安全事故应急演练", "drill_interval",
       f"{TIAOLI} 第八条", unit_kinds=GOV, interval_months=24, lead_days=60, reminder_days=[60, 30, 7],
       note="应急条例仅适用于负有安全生产监督管理职责的部门；本地默认对所有部门适用，可按需调整"),
    _r("R4-D", "联合应急预案每3年至少演练一次（本地默认）", "drill_interval", f"{BANFA_2024} 第二十六条（四）（参照）",
       national=False, plan_categories=["joint"], per_plan=True, interval_months=36, lead_days=60,
       reminder_days=[60, 30, 7]),
    _r("R5-D", "重大活动保障应急预案在活动前至少演练一次（本地默认）", "drill_interval", "地方规定",
       national=False, plan_categories=["major_event"], per_plan=True, interval_months=12,
       is_active=False, note="需要活动日期才能准确计算；登记活动日期后再启用"),
    _r("R6-D", "乡镇人民政府、街道办事处至少每2年组织1次生产安全事故应急演练", "drill_interval", f"{TIAOLI} 第八条",
       unit_kinds=["town_street"], interval_months=24, lead_days=60, reminder_days=[60, 30, 7]),
    _r("R6-D2", "乡镇（街道）每年至少开展一次应急演练（本地默认）", "drill_period", "地方规定（参照基层编制参考）",
       national=False, unit_kinds=["town_street"], period="year", per_period=1, lead_days=30,
       reminder_days=[30, 7]),
    _r("R7-D", "村（社区）每年至少开展一次应急演练（本地默认，汛期前为宜）", "drill_period", "地方规定",
       national=False, unit_kinds=["village_community"], period="year", per_period=1, lead_days=30,
       reminder_days=[30, 7]),
    _r("R8-D", "中小学每月至少开展1次应急疏散演练", "drill_period", GUIDE, unit_kinds=SCHOOLS,
       period="month", per_period=1, school_terms_only=True, lead_days=10, reminder_days=[10, 1]),
    _r("R9-D", "寄宿制学校每年至少开展2次住校生夜间疏散演练（本地示例）", "drill_period", "《青岛市教育局学校安全工作管理规定》（参照）",
       national=False, unit_kinds=SCHOOLS, tags_any=["boarding_school"], period="year", per_period=2,
       lead_days=30, reminder_days=[30, 7]),
    _r("R10-D", "幼儿园每季度至少开展1次疏散演练", "drill_period", GUIDE, unit_kinds=["kindergarten"],
       period="quarter", per_period=1, school_terms_only=True, lead_days=15, reminder_days=[15, 3]),
    _r("R11-D", "高等学校每学年至少组织一次学生消防演练", "drill_period", "《高等学校消防安全管理规定》（教育部 公安部令第28号）",
       unit_kinds=["university"], period="year", per_period=1, lead_days=30, reminder_days=[30, 7]),
    _r("R12-D", "生产经营单位每年至少组织一次综合应急预案演练或者专项应急预案演练", "drill_period",
       f"{SHENGCHAN} 第三十三条第一款", unit_kinds=ENTERPRISE, plan_categories=["overall", "special"],
       period="year", per_period=1, lead_days=30, reminder_days=[30, 7]),
    _r("R12-D2", "高危及人员密集经营单位至少每半年组织一次生产安全事故应急预案演练并报送", "drill_period",
       f"{SHENGCHAN} 第三十三条第二款；{TIAOLI} 第八条", unit_kinds=ENTERPRISE, tags_any=ARTICLE_33_2,
       period="half_year", per_period=1, lead_days=30, reminder_days=[30, 7]),
    _r("R14-D", "现场处置方案每半年至少组织一次演练", "drill_period", f"{SHENGCHAN} 第三十三条第一款",
       unit_kinds=ENTERPRISE, plan_categories=["onsite"], per_plan=True, period="half_year",
       per_period=1, lead_days=30, reminder_days=[30, 7]),
    _r("R19-D", "消防安全重点单位至少每半年进行一次灭火和应急疏散演练", "drill_period", f"{FIRE_61} 第四十条",
       tags_any=["key_fire_safety"], period="half_year", per_period=1, lead_days=30, reminder_days=[30, 7]),
    _r("R19-D2", "医院、生命线工程等单位每年至少组织一次针对性演练（本地默认）", "drill_period", f"{BANFA_2013} 第二十二条第三款（参照）",
       national=False, tags_any=["lifeline_utility"], period="year", per_period=1, lead_days=30,
       reminder_days=[30, 7]),
]


def seed_rules() -> int:
    """Insert the default rules that are not there yet (by code); return how many were added."""
    existing = set(db.session.scalars(select(Rule.code)))
    added = 0
    for spec in DEFAULT_RULES:
        if spec["code"] in existing:
            continue
        db.session.add(Rule(**{"unit_kinds": [], "tags_any": [], "plan_categories": [],
                               "reminder_days": [], **spec}))
        added += 1
    db.session.flush()
    return added
