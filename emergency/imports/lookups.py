"""Resolve what people type in a spreadsheet: regions, unit kinds, risk tags, plan categories.

Every choice accepts its stored code, its label in Chinese and in English exactly as the pages
show them (folded: full-width characters, spaces and case do not matter), and a few synonyms
offices use in their own registers.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import select

from emergency.extensions import db
from emergency.imports.cells import key, text
from emergency.regions.models import Region

LANGUAGES = ("zh", "en")

UNIT_KIND_SYNONYMS = {
    "town_street": ("乡镇", "街道", "镇", "乡", "街道办事处", "乡镇街道", "乡镇人民政府"),
    "village_community": ("村", "社区", "村委会", "居委会", "村民委员会", "居民委员会", "村社区"),
    "school": ("学校", "中学", "小学", "中小学", "初中", "高中", "九年一贯制学校", "中等职业学校"),
    "kindergarten": ("幼儿园(托育)", "托幼机构"),
    "university": ("大学", "高校", "学院", "高等学校", "职业技术学院"),
    "enterprise": ("公司", "企业单位", "生产经营单位"),
    "government_department": ("机关", "行政机关", "部门", "政府部门(机关)", "党政机关"),
    "public_institution": ("事业", "医院", "卫生院"),
    "other": ("其他", "社会组织", "其他单位"),
}
PLAN_CATEGORY_SYNONYMS = {
    "overall": ("总体应急预案", "综合应急预案", "总体预案", "综合预案", "总体", "综合"),
    "special": ("专项预案", "专项"),
    "department": ("部门预案", "部门"),
    "onsite": ("现场处置方案", "现场处置", "处置方案"),
    "major_event": ("重大活动应急预案", "活动保障预案"),
    "joint": ("联合预案",),
    "village_brief": ("简明应急预案", "简明预案", "村级预案", "社区预案"),
    "environmental": ("环境应急预案", "突发环境事件预案"),
}
HAZARD_SYNONYMS = {
    "comprehensive": ("综合", "多类"),
    "natural": ("自然灾害类", "自然"),
    "accident": ("事故灾难类", "事故", "安全生产"),
    "public_health": ("公共卫生", "公共卫生类"),
    "social_security": ("社会安全", "社会安全类"),
}
SIGNER_SYNONYMS = {"principal": ("主要负责人", "主要领导", "负责人"),
                   "deputy": ("分管负责人", "分管领导")}
CONCLUSION_SYNONYMS = {"keep": ("继续适用", "适用", "无需修订", "不需修订"),
                       "revise": ("需要修订", "需修订", "修订")}
DRILL_FORM_SYNONYMS = {"tabletop": ("桌面", "桌面演练", "桌面推演演练", "沙盘推演", "推演"),
                       "live": ("实战", "实战演练", "实操", "实操演练", "现场演练", "实兵演练")}
DRILL_SCOPE_SYNONYMS = {"single": ("单项", "专项演练", "单项演练"),
                        "comprehensive": ("综合", "综合演练", "综合性演练")}
DRILL_PURPOSE_SYNONYMS = {"inspection": ("检验", "检验性演练"),
                          "demonstration": ("示范", "示范性演练", "观摩"),
                          "research": ("研究", "研究性演练")}
ASSESSMENT_SYNONYMS = {1: ("1", "一", "一类", "i", "第一类"), 2: ("2", "二", "二类", "ii", "第二类"),
                       3: ("3", "三", "三类", "iii", "第三类")}


class Choices:
    """A case- and width-insensitive map from anything typed to a stored code."""

    def __init__(self, labels: dict, synonyms: dict | None = None):
        self._codes = {}
        for code in labels:
            self._add(code, code)
        for language in LANGUAGES:
            with force_locale(language):
                for code, label in labels.items():
                    self._add(str(label), code)
        for code, names in (synonyms or {}).items():
            for name in names:
                self._add(name, code)

    def _add(self, name, code) -> None:
        self._codes.setdefault(key(name), code)

    def get(self, value):
        """Return the code for a typed value, or None when nothing matches."""
        return self._codes.get(key(value))


def split_list(value) -> list[str]:
    """Split "危险化学品、人员密集场所" (also , ， ; ； / and line breaks) into items."""
    raw = text(value) or ""
    return [item.strip() for item in re.split(r"[、,，;；/／\n|]+", raw) if item.strip()]


@dataclass(frozen=True)
class RegionRow:
    id: int
    code: str
    name: str
    level: str
    path: str


def _separators_removed(value: str) -> str:
    return re.sub(r"[/>＞\\\-—－·.。|,，、]+", "", key(value))


class RegionIndex:
    """Every region by code and by name path, loaded once per import.

    "231102", "231102000000" (a statistics code padded with zeros), "黑河市/爱辉区/花园街道",
    "爱辉区花园街道" and "花园街道" all find 花园街道 as long as they name exactly one region.
    """

    def __init__(self):
        rows = db.session.execute(
            select(Region.id, Region.code, Region.name, Region.level, Region.path)).all()
        self.by_code = {}
        self.by_id = {}
        names_by_code = {}
        for row in rows:
            region = RegionRow(*row)
            self.by_code[region.code] = region
            self.by_id[region.id] = region
            names_by_code[region.code] = region.name
        self.by_path_name = defaultdict(set)
        for region in self.by_id.values():
            names = [names_by_code.get(code, "") for code in region.path.strip("/").split("/")]
            for start in range(len(names)):
                self.by_path_name[_separators_removed("".join(names[start:]))].add(region.id)

    def resolve(self, value) -> tuple[RegionRow | None, str | None]:
        """Return (region, None) or (None, "unknown_region" / "ambiguous_region")."""
        raw = key(value)
        if not raw:
            return None, "required"
        if raw.isdigit():
            for code in _code_candidates(raw):
                if code in self.by_code:
                    return self.by_code[code], None
            return None, "unknown_region"
        ids = self.by_path_name.get(_separators_removed(raw), set())
        if len(ids) == 1:
            return self.by_id[next(iter(ids))], None
        return None, ("ambiguous_region" if ids else "unknown_region")


def _code_candidates(code: str) -> list[str]:
    """Return the code and the shorter codes it may be a zero-padded form of."""
    candidates = [code]
    for length in (9, 6, 4, 2):
        if len(code) > length and set(code[length:]) == {"0"}:
            candidates.append(code[:length])
    return candidates
