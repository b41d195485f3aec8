"""Name pools for the 黑河市 demo data: plausible, invented, and fixed so every load is identical."""

from dataclasses import dataclass

from emergency.auth.models import Role
from emergency.plans.filing import ReturnReason
from emergency.plans.models import HazardClass, PlanCategory, RevisionTrigger
from emergency.units.models import RiskTag

#: Common village names of the northern plains; a county never repeats one.
VILLAGE_NAMES = (
    "红星", "新发", "永安", "胜利", "前进", "东升", "太平", "富强", "长发", "兴隆", "建设", "和平",
    "团结", "光明", "幸福", "民主", "红旗", "新华", "东风", "向阳", "长胜", "永丰", "双山", "三合",
    "四方", "五星", "六合", "新立", "新兴", "永发", "富民", "丰收", "先锋", "曙光", "朝阳", "兴安",
    "合心", "福安", "宝泉", "金山", "大岭", "小河", "南屯", "北沟", "东岗", "西岭", "中和", "靠山",
    "江湾", "柳毛", "榆树", "桦树", "青山", "安乐", "德胜", "长兴", "永胜", "万宝", "平安", "新民",
    "兴华", "吉祥", "丰产", "保安",
)

#: Urban community names; a county never repeats one.
COMMUNITY_NAMES = (
    "文化", "建华", "中心", "站前", "东兴", "北苑", "南岗", "江畔", "龙滨", "新城", "华安", "朝晖",
    "友谊", "铁西", "青年", "滨江", "金达", "振兴", "园丁", "通江", "西园", "明珠", "和谐", "康乐",
    "锦绣", "丽水", "景苑", "兴盛", "长青", "学府",
)

#: Street names for addresses; generic enough to exist in any northern town.
ROAD_NAMES = (
    "中央街", "兴华路", "建设路", "人民路", "胜利路", "解放路", "文化街", "通江路", "新华街", "友谊路",
    "长青路", "和平街", "站前路", "北兴街", "龙江路", "学府路", "海兰街", "邮政路", "花园街", "兴安街",
)

#: 字号 (trade names) for enterprises.
FIRM_BRANDS = (
    "龙江", "兴安", "北疆", "寒地", "鑫达", "宏图", "华信", "瑞丰", "恒泰", "金源", "嘉禾", "永盛",
    "远航", "黑龙", "界江", "五岳", "昌盛", "天元", "聚源", "隆基", "众诚", "广汇", "新程", "腾达",
    "富华", "佳禾", "宏远", "鼎盛", "润泽", "北辰", "森宇", "博远", "正通", "华泰", "安达", "顺发",
    "盛源", "德信", "中兴", "泰和", "万通", "利民", "裕丰", "通达", "恒信", "兴业", "凯达", "东方",
)

COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司")


@dataclass(frozen=True)
class Industry:
    """A line of business: the word in the firm name, the risk tags it implies, where it sits."""

    word: str
    tags: tuple[RiskTag, ...]
    urban: bool  # urban firms sit in the county seat, the others in a rural town


INDUSTRIES = (
    Industry("化工", (RiskTag.HAZARDOUS_CHEMICALS,), urban=False),
    Industry("矿业", (RiskTag.MINING,), urban=False),
    Industry("建筑工程", (RiskTag.CONSTRUCTION,), urban=True),
    Industry("燃气", (RiskTag.LIFELINE_UTILITY,), urban=True),
    Industry("热电", (RiskTag.LIFELINE_UTILITY,), urban=True),
    Industry("粮食储备", (), urban=False),
    Industry("木业", (), urban=False),
    Industry("物流", (), urban=True),
    Industry("冶金", (RiskTag.METAL_SMELTING,), urban=False),
    Industry("商贸", (), urban=True),
    Industry("商场", (RiskTag.CROWDED_PLACE,), urban=True),
)

#: How the county name is shortened in firm names (爱辉区 firms trade as 黑河...).
FIRM_PLACE_PREFIX = {
    "231102": "黑河",
    "231123": "逊克",
    "231124": "孙吴",
    "231181": "北安",
    "231182": "五大连池",
    "231183": "嫩江",
}

#: Enterprises per county, weighted by economic size; 80 in total.
ENTERPRISES_PER_COUNTY = {
    "231102": 20, "231123": 7, "231124": 7, "231181": 18, "231182": 12, "231183": 16,
}

#: First digit of local numbers after the 0456 area code, by county.
PHONE_LEAD_DIGIT = {
    "231100": "8", "231102": "8", "231123": "4", "231124": "3", "231181": "6", "231182": "7",
    "231183": "7",
}

#: City-level departments (prefixed with 黑河市), one 机关 USCC each.
CITY_DEPARTMENTS = (
    "应急管理局", "教育局", "卫生健康委员会", "交通运输局", "住房和城乡建设局", "水务局", "自然资源局",
    "生态环境局", "公安局", "市场监督管理局", "工业和信息化局", "农业农村局", "林业和草原局",
    "文化广电和旅游局",
)

#: County-level departments (prefixed with the county name); the 教育局 is where school plans hang.
COUNTY_DEPARTMENTS = ("应急管理局", "教育局")


@dataclass(frozen=True)
class Institution:
    """A public institution; `county` None means city level (it sits on the 黑河市 region)."""

    name: str
    county: str | None
    tags: tuple[RiskTag, ...]


_HOSPITAL = (RiskTag.KEY_FIRE_SAFETY,)
PUBLIC_INSTITUTIONS = (
    Institution("黑河市第一人民医院", None, _HOSPITAL),
    Institution("黑河市第二人民医院", None, _HOSPITAL),
    Institution("黑河市体育馆", None, (RiskTag.CROWDED_PLACE,)),
    Institution("黑河市图书馆", None, (RiskTag.KEY_FIRE_SAFETY,)),
    Institution("爱辉区人民医院", "231102", _HOSPITAL),
    Institution("北安市第一人民医院", "231181", _HOSPITAL),
    Institution("嫩江市人民医院", "231183", _HOSPITAL),
    Institution("五大连池市第一人民医院", "231182", _HOSPITAL),
    Institution("逊克县人民医院", "231123", _HOSPITAL),
    Institution("孙吴县人民医院", "231124", _HOSPITAL),
    Institution("北安市图书馆", "231181", ()),
)


@dataclass(frozen=True)
class SchoolTemplate:
    """A school in every county: name suffix, 学校标识码 category, boarding or not."""

    suffix: str
    category: str
    boarding: bool = False


#: Schools in the county seat, named after the county (爱辉区第一小学...).
URBAN_SCHOOLS = (
    SchoolTemplate("第一小学", "21"),
    SchoolTemplate("第二小学", "21"),
    SchoolTemplate("实验小学", "21"),
    SchoolTemplate("第一中学", "34", boarding=True),
    SchoolTemplate("第二中学", "31"),
)

#: Schools in rural towns, named after county and town; rural middle schools board.
RURAL_SCHOOLS = (
    SchoolTemplate("中心小学", "21"),
    SchoolTemplate("中学", "31", boarding=True),
)

#: Kindergartens per county: always a 第一幼儿园, an 实验幼儿园 in the larger ones.
KINDERGARTENS = {
    "231102": ("第一幼儿园", "实验幼儿园"),
    "231123": ("第一幼儿园",),
    "231124": ("第一幼儿园",),
    "231181": ("第一幼儿园", "实验幼儿园"),
    "231182": ("第一幼儿园", "实验幼儿园"),
    "231183": ("第一幼儿园", "实验幼儿园"),
}

#: Universities and colleges, all in 爱辉区 (the city seat).
UNIVERSITIES = ("黑河学院", "黑河职业技术学院")


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: who it is and what it may see (scope is resolved by the loader)."""

    username: str
    display_name: str
    role: Role
    scope: str  # "" (everything), a region code, "school:<county>" or "enterprise:<county>"
    phone: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", "系统管理员", Role.ADMIN, "", "13904561000"),
    DemoAccount("office", "王秀英", Role.OFFICE, "2311", "13904561001"),
    DemoAccount("aihui", "李建国", Role.OFFICE, "231102", "13904561002"),
    DemoAccount("leader", "张海涛", Role.VIEWER, "2311", "13904561003"),
    DemoAccount("liaison", "刘丽娟", Role.LIAISON, "school:231102", "13904561004"),
    DemoAccount("liaison2", "陈志强", Role.LIAISON, "enterprise:231181", "13904561005"),
)


# --- plans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTopic:
    """A plan a unit may have: its title after the unit's name or place, and how it is classed."""

    suffix: str
    category: str
    hazard: str
    subtype: str | None = None


_OVERALL, _SPECIAL, _ONSITE = PlanCategory.OVERALL, PlanCategory.SPECIAL, PlanCategory.ONSITE
_NATURAL, _ACCIDENT = HazardClass.NATURAL, HazardClass.ACCIDENT
_COMPREHENSIVE = HazardClass.COMPREHENSIVE

#: 乡镇（街道）: an overall plan and one or two special plans.
TOWN_OVERALL = PlanTopic("突发事件总体应急预案", _OVERALL, _COMPREHENSIVE)
FLOOD = PlanTopic("防汛应急预案", _SPECIAL, _NATURAL, "防汛")
FOREST_FIRE = PlanTopic("森林防火应急预案", _SPECIAL, _NATURAL, "森林防火")
GEOLOGICAL = PlanTopic("地质灾害应急预案", _SPECIAL, _NATURAL, "地质灾害")
#: Streets in the county seats flood but have no forest; rural towns face all three.
STREET_SPECIALS = (FLOOD, GEOLOGICAL)
TOWN_SPECIALS = (FOREST_FIRE, FLOOD, GEOLOGICAL)

VILLAGE_BRIEF = PlanTopic("突发事件应急处置简明预案", PlanCategory.VILLAGE_BRIEF, _COMPREHENSIVE)

SCHOOL_OVERALL = PlanTopic("校园安全应急预案", _OVERALL, _COMPREHENSIVE)
KINDERGARTEN_OVERALL = PlanTopic("园所安全应急预案", _OVERALL, _COMPREHENSIVE)
SCHOOL_SPECIAL = PlanTopic("消防安全疏散应急预案", _SPECIAL, _ACCIDENT, "消防疏散")
UNIVERSITY_EXTRA = PlanTopic("传染病疫情防控应急预案", _SPECIAL, HazardClass.PUBLIC_HEALTH,
                             "传染病")

ENTERPRISE_OVERALL = PlanTopic("生产安全事故综合应急预案", _OVERALL, _ACCIDENT)


def _special(what: str) -> PlanTopic:
    return PlanTopic(f"{what}事故专项应急预案", _SPECIAL, _ACCIDENT, what)


def _onsite(what: str) -> PlanTopic:
    return PlanTopic(f"{what}现场处置方案", _ONSITE, _ACCIDENT, what)


#: Special plans and on-site response plans (现场处置方案) by the industry word in a firm's name.
INDUSTRY_PLANS: dict[str, tuple[tuple[PlanTopic, ...], tuple[PlanTopic, ...]]] = {
    "化工": ((_special("危险化学品泄漏"), _special("火灾爆炸")),
           (_onsite("危险化学品泄漏"), _onsite("中毒窒息"), _onsite("火灾"))),
    "矿业": ((_special("矿山透水"), _special("尾矿库溃坝")),
           (_onsite("冒顶片帮"), _onsite("爆破作业事故"), _onsite("触电事故"))),
    "建筑工程": ((_special("高处坠落"), _special("坍塌")),
             (_onsite("高处坠落"), _onsite("触电事故"), _onsite("起重伤害"))),
    "燃气": ((_special("燃气泄漏爆炸"),), (_onsite("燃气管道泄漏"), _onsite("火灾"))),
    "热电": ((_special("锅炉爆炸"), _special("大面积停热")),
           (_onsite("触电事故"), _onsite("锅炉超压"), _onsite("灼烫事故"))),
    "粮食储备": ((_special("粮库火灾"),), (_onsite("有限空间作业中毒窒息"), _onsite("火灾"))),
    "木业": ((_special("粉尘爆炸"),), (_onsite("机械伤害"), _onsite("火灾"))),
    "物流": ((_special("道路运输"),), (_onsite("车辆伤害"), _onsite("火灾"))),
    "冶金": ((_special("高温熔融金属"), _special("煤气中毒")),
           (_onsite("钢水喷溅"), _onsite("煤气泄漏"), _onsite("触电事故"))),
    "商贸": ((_special("火灾"),), (_onsite("火灾"), _onsite("触电事故"))),
    "商场": ((_special("人员密集场所火灾"), _special("拥挤踩踏")),
           (_onsite("火灾疏散"), _onsite("电梯困人"))),
}

def _department(suffix: str, hazard: str, subtype: str | None = None) -> PlanTopic:
    return PlanTopic(suffix, PlanCategory.DEPARTMENT, hazard, subtype)


_HEALTH, _SOCIAL = HazardClass.PUBLIC_HEALTH, HazardClass.SOCIAL_SECURITY
#: The department plan (部门应急预案) of each kind of department, by the end of its name.
DEPARTMENT_PLANS = {
    "应急管理局": _department("生产安全事故应急预案", _ACCIDENT, "生产安全事故"),
    "教育局": _department("教育系统突发事件应急预案", _COMPREHENSIVE),
    "卫生健康委员会": _department("突发公共卫生事件应急预案", _HEALTH, "公共卫生"),
    "交通运输局": _department("道路运输突发事件应急预案", _ACCIDENT, "道路运输"),
    "住房和城乡建设局": _department("建设工程施工安全事故应急预案", _ACCIDENT, "建设工程"),
    "水务局": _department("防汛抗旱应急预案", _NATURAL, "防汛抗旱"),
    "自然资源局": _department("地质灾害应急预案", _NATURAL, "地质灾害"),
    "生态环境局": _department("突发环境事件应急预案", _ACCIDENT, "环境污染"),
    "公安局": _department("大型群众性活动安全事件应急预案", _SOCIAL, "大型活动"),
    "市场监督管理局": _department("食品安全事故应急预案", _HEALTH, "食品安全"),
    "工业和信息化局": _department("工业企业生产安全事故应急预案", _ACCIDENT, "工贸企业"),
    "农业农村局": _department("重大动物疫情应急预案", _HEALTH, "动物疫情"),
    "林业和草原局": _department("森林草原火灾应急预案", _NATURAL, "森林火灾"),
    "文化广电和旅游局": _department("旅游突发事件应急预案", _COMPREHENSIVE, "旅游"),
}

INSTITUTION_OVERALL = PlanTopic("突发事件总体应急预案", _OVERALL, _COMPREHENSIVE)
INSTITUTION_FIRE = PlanTopic("火灾事故应急预案", _SPECIAL, _ACCIDENT, "火灾")
INSTITUTION_CROWD = PlanTopic("大型活动拥挤踩踏事件应急预案", _SPECIAL, _ACCIDENT, "拥挤踩踏")


@dataclass(frozen=True)
class ReturnNote:
    """Why the office returned a submission: structured reasons and the comment it wrote."""

    reasons: tuple[ReturnReason, ...]
    comment: str
    enterprise_only: bool = False


RETURN_NOTES = (
    ReturnNote((ReturnReason.NO_RISK_ASSESSMENT, ReturnReason.MISSING_DOCUMENTS),
               "请补充风险评估报告和应急资源调查清单。", enterprise_only=True),
    ReturnNote((ReturnReason.NO_REVIEW,), "请补充专家评审意见及评审后的修改情况说明。",
               enterprise_only=True),
    ReturnNote((ReturnReason.MISSING_DOCUMENTS,), "请补充风险评估报告。"),
    ReturnNote((ReturnReason.CONTENT_INCOMPLETE,),
               "预案缺少应急响应分级标准和信息报告程序，请补充完善。"),
    ReturnNote((ReturnReason.FORMAT,), "请上传加盖单位公章的正式印发文本扫描件。"),
    ReturnNote((ReturnReason.CONTENT_INCOMPLETE, ReturnReason.OTHER),
               "应急联系人值班电话无法接通，附件通讯录不完整，请核实更新。"),
)
#: Only once the 2024 办法 was in force (国办发〔2024〕5号, 印发 2024-01-31).
OUTDATED_BASIS_NOTE = ReturnNote(
    (ReturnReason.OUTDATED_BASIS,),
    "编制依据仍引用已废止的《突发事件应急预案管理办法》（国办发〔2013〕101号），请按国办发〔2024〕5号更新。")
WRONG_SIGNER_NOTE = ReturnNote((ReturnReason.WRONG_SIGNER,),
                               "预案应由单位主要负责人签署公布，请重新签发。")

#: What a new major version changed; a minor one only updates details.
MAJOR_CHANGES = (
    "根据《突发事件应急预案管理办法》（国办发〔2024〕5号）调整预案框架和响应分级。",
    "结合新一轮风险评估结果，调整应急组织机构和响应程序。",
    "应急指挥部成员单位调整，重新明确各工作组职责。",
    "根据演练评估发现的问题，完善预警发布和人员疏散程序。",
)
MINOR_CHANGES = (
    "更新应急联系人及值班电话。",
    "更新应急物资储备清单和存放地点。",
    "调整附件中的疏散路线图。",
)

EVALUATION_KEEP = (
    "经评估，预案组织体系、响应程序与当前风险状况相适应，应急资源满足需要，继续执行。",
    "评估组认为预案内容基本完整、可操作性较强，暂不需要修订。",
)
EVALUATION_REVISE = (
    "经评估，预案编制依据已更新、部分指挥机构成员单位发生变化，建议启动修订。",
    "评估发现风险评估结果与现状不符，应急资源调查需重新开展，建议修订。",
)

#: Open revision items: a trigger and what the unit or office wrote (filled with the year).
REVISION_NOTES = (
    (RevisionTrigger.RISK_CHANGED, "辖区内新建液化石油气储配站，危险化学品风险明显增加。"),
    (RevisionTrigger.RISK_CHANGED, "新增一条生产线，涉及有限空间作业和高温作业。"),
    (RevisionTrigger.DRILL_PROBLEMS, "{year}年应急演练发现预警信息传递不畅、疏散路线标识不清。"),
    (RevisionTrigger.DRILL_PROBLEMS, "{year}年综合演练中各工作组职责交叉，现场指挥协调不顺。"),
    (RevisionTrigger.ORGANISATION_CHANGED, "机构改革后应急指挥部成员单位及职责调整。"),
    (RevisionTrigger.RESOURCES_CHANGED, "应急物资储备库迁址，储备物资清单需更新。"),
    (RevisionTrigger.INCIDENT_PROBLEMS, "{year}年汛期强降雨应对中暴露出人员转移组织不力的问题。"),
)
#: From 2024-11-01, when the revised 突发事件应对法 took effect.
LAW_CHANGED_NOTE = (RevisionTrigger.LAW_CHANGED,
                    "《中华人民共和国突发事件应对法》（2024年修订）自2024年11月1日起施行，预案需相应调整。")


# --- drills --------------------------------------------------------------------------------

#: What a school's monthly drill practises, by month (5月12日 防灾减灾日, 11月9日 消防日).
SCHOOL_DRILL_THEMES = {
    1: "寒假前消防安全疏散演练",
    3: "开学第一课应急疏散演练",
    4: "防地震应急疏散演练",
    5: "“防灾减灾日”地震应急疏散演练",
    6: "防溺水及防暴雨应急演练",
    7: "期末消防安全疏散演练",
    9: "新学期消防安全疏散演练",
    10: "防踩踏应急疏散演练",
    11: "“119消防宣传月”灭火和应急疏散演练",
    12: "冬季防火及寒潮应急疏散演练",
}
#: Boarding schools hold these months' drills at night, for the pupils who live in.
NIGHT_DRILL_MONTHS = (4, 10)
NIGHT_DRILL_THEME = "住校生夜间应急疏散演练"
#: A kindergarten's drill in each quarter.
KINDERGARTEN_DRILL_THEMES = ("消防安全疏散演练", "防地震应急疏散演练", "新学期应急疏散演练",
                             "冬季消防安全疏散演练")
UNIVERSITY_DRILL_THEMES = ("春季学期学生公寓消防疏散演练", "新生入学消防安全疏散演练",
                           "冬季消防灭火和应急疏散演练")
#: Drills of townships, villages and communities, by the subtype of the plan they exercise.
TOWN_DRILL_THEMES = {"防汛": "防汛抢险应急演练", "森林防火": "森林草原火灾扑救应急演练",
                     "地质灾害": "地质灾害避险转移演练", None: "突发事件综合应急演练"}
TOWN_WINTER_THEME = "冬季雪灾及低温冰冻应急演练"
VILLAGE_DRILL_THEMES = ("防汛避险转移演练", "春季森林草原防火扑救演练")
COMMUNITY_DRILL_THEME = "社区消防安全疏散演练"
DEPARTMENT_DRILL_SUFFIX = "应急演练（桌面推演）"
CITY_SHOWCASE_DRILL = "黑河市生产安全事故应急救援综合演练"
INSTITUTION_FIRE_THEME = "消防安全灭火和应急疏散演练"
INSTITUTION_CROWD_THEME = "大型活动拥挤踩踏事件应急演练"

#: Why a planned drill moved: (reason, +1 if it only fits a later day, -1 an earlier one, 0 both,
#: the months it fits or None for any month).
SCHOOL_RESCHEDULE_REASONS = (
    ("与期中考试时间冲突，演练顺延。", 1, (4, 5, 11)),
    ("因降雪路面结冰，室外集合点不具备条件，演练顺延。", 1, (11, 12, 1, 2, 3)),
    ("配合区消防救援大队现场指导时间，调整演练日期。", 0, None),
    ("上级教育局安排安全专项检查，演练提前组织。", -1, None),
)
ENTERPRISE_RESCHEDULE_REASONS = (
    ("装置检修计划调整，演练改期。", 0, None),
    ("配合应急管理局现场观摩时间，调整演练日期。", 0, None),
    ("主要参演人员外出培训，演练顺延。", 1, None),
)
OTHER_RESCHEDULE_REASONS = (
    ("汛期提前，演练相应提前。", -1, (5, 6, 7)),
    ("与上级工作部署时间冲突，演练改期。", 0, None),
)
#: Why a planned drill was called off: (reason, the months it fits or None).
SCHOOL_CANCEL_REASONS = (
    ("教学楼外墙维修施工，疏散通道临时封闭，本月演练取消。", (5, 6, 7, 8, 9, 10)),
    ("因暴雪橙色预警全区停课，演练取消。", (11, 12, 1, 2, 3)),
    ("因寒潮极端低温（零下36℃），不宜组织室外疏散，演练取消。", (12, 1, 2)),
    ("与全区教学质量检测时间冲突，本月演练取消。", None),
)
ENTERPRISE_CANCEL_REASONS = (
    ("主要装置停车检修，演练取消，待开车后另行安排。", None),
    ("与上级安全生产大检查时间冲突，本次演练取消，纳入下半年统筹安排。", (3, 4, 5, 6)),
)
#: A township's flood drill called off by the real thing.
FLOOD_CANCEL_REASON = "汛期实际抢险任务繁重，演练取消。"

#: What a held drill's record says.
DRILL_SUMMARIES = (
    "演练按方案完成，各环节衔接顺畅，参演人员熟悉职责和疏散路线。",
    "演练总体有序，暴露出个别环节响应偏慢的问题，已列入整改。",
    "演练达到预期目的，检验了预案的可操作性和应急物资的完好情况。",
    "演练基本达到目的，信息报告和现场指挥协调有待加强。",
)

#: Corrective actions found by drills: (title, description), by the kind of unit.
SCHOOL_FINDINGS = (
    ("清理三楼东侧疏散通道堆放杂物", "疏散时三楼东侧楼梯口因堆放杂物出现拥堵，需清理并落实每日巡查。"),
    ("增设操场西侧应急广播扬声器", "操场西侧听不清应急广播指令，部分班级未能及时撤离。"),
    ("更换失效的应急照明灯", "演练中发现一楼走廊和二楼楼梯间共2处应急照明灯不亮。"),
    ("重新张贴各班疏散路线图", "部分班级对疏散路线不熟悉，集合用时偏长。"),
)
ENTERPRISE_FINDINGS = (
    ("维修可燃气体报警联动装置", "演练中可燃气体报警器报警后未联动启动排风，需维修并委托检测。"),
    ("补充空气呼吸器气瓶", "应急物资柜中2具空气呼吸器气瓶压力不足，需补充并落实每月点检。"),
    ("组织堵漏器材操作专项培训", "现场处置人员对堵漏器材操作不熟练，处置用时超出预期。"),
    ("修订事故信息报告流程", "演练中事故信息未在规定时间内报告，值班人员职责不清。"),
)
TOWN_FINDINGS = (
    ("设置避险转移集合点标识牌", "部分村民不清楚避险转移集合点位置，集合点缺少标识。"),
    ("增设应急广播终端", "应急广播未覆盖全部自然屯，预警信息传递不畅。"),
    ("补充防汛物资储备", "防汛物资储备点编织袋、救生衣数量不足。"),
)
OTHER_FINDINGS = (
    ("疏通消防车通道", "院内消防车通道被车辆占用，需清理并施划禁停标线。"),
    ("更换过期灭火器", "演练中发现部分楼层灭火器已过检验期。"),
)
#: Who answers for an action: a post and a name.
ACTION_OWNERS = {
    "school": ("总务处 王建军", "安全办 李春梅", "德育处 赵立新"),
    "enterprise": ("安全环保部 孙国庆", "设备部 周海波", "生产部 吴德明"),
    "town": ("应急办 郑玉华", "综治办 马志远"),
    "other": ("后勤保卫科 高振东", "办公室 冯晓燕"),
}
CLOSING_NOTES = (
    "已完成整改，附整改后照片和验收记录。",
    "已整改到位，经单位安全负责人复查合格。",
    "整改完成，已建立日常检查台账。",
)
REOPEN_COMMENT = "佐证材料只有整改前照片，未见整改后照片和验收记录，请补充后重新提交。"
