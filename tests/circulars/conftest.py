"""A small city for the circular, stored by the real scan, with figures known by hand.

Today is Friday 2026-11-20; the circular of November compares with Saturday 2026-10-31. Three
rules only (have a plan, file it within 20 working days, close revision items within 30 days), so
every count below can be worked out on paper:

county A (爱辉区) / 花园街道                       overdue 10-31            overdue now
  爱辉化工厂    no plan                              no plan                  no plan
  花园热力公司  plan issued 08-03, never submitted;  filing, 2 revisions      filing, 1 revision
                revision items raised 09-01, one
                closed 11-10
  爱辉建筑公司  plan issued 08-03, submitted 11-05   filing                   —  (improved)
county B (北安市)
  北安市应急管理局 (department, directly in the county)  no plan            no plan
  赵光镇 / 北安煤矿  plan issued 10-12 (due 11-09)      —                        filing
  赵光镇 / 北安粮库  plan issued 03-02, filed on time    —                        —
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations

from emergency.auth.models import Role, User
from emergency.compliance.models import Rule
from emergency.compliance.scan import scan
from emergency.extensions import db
from emergency.plans.models import FilingState
from emergency.plans.revisions import raise_revision
from emergency.units.models import Unit, UnitKind
from tests.compliance.conftest import TODAY, TODAY_DATE, add_plan, compliance_env, text_of  # noqa: F401

_CATALOGS = Path(__file__).resolve().parents[2] / "emergency" / "translations"
_ZH = Translations.load(str(_CATALOGS), ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what the Chinese interface shows for msgid (the msgid until it is translated)."""
    text = _ZH.gettext(msgid)
    return text % params if params else text


RULES = (
    dict(code="T-HAVE", title="有预案", kind="have_plan",
         unit_kinds=["enterprise", "government_department"]),
    dict(code="T-FILE", title="按期备案", kind="file_plan", deadline_days=20),
    dict(code="T-REV", title="按期修订", kind="revise", deadline_days=30),
)


@dataclass
class City:
    tree: object
    chemical: Unit
    heating: Unit
    builder: Unit
    bureau: Unit
    mine: Unit
    granary: Unit
    office_city: User
    office_a: User
    office_b: User
    leader: User
    admin: User


def _rules() -> None:
    for spec in RULES:
        values = dict(unit_kinds=[], tags_any=[], plan_categories=[], reminder_days=[],
                      citation=f"测试依据 {spec['code']}", lead_days=14)
        db.session.add(Rule(**{**values, **spec}))
    db.session.commit()


@pytest.fixture
def city(compliance_env, tree, make_unit, make_user) -> City:  # noqa: F811
    _rules()
    office_city = make_user(Role.OFFICE, region=tree.city, display_name="黑河市应急局王科长")
    office_a = make_user(Role.OFFICE, region=tree.county_a, display_name="爱辉区应急局张科长")
    office_b = make_user(Role.OFFICE, region=tree.county_b, display_name="北安市应急局李科长")
    leader = make_user(Role.VIEWER, region=tree.city, display_name="黑河市应急局领导")
    admin = make_user(Role.ADMIN, display_name="系统管理员")
    chemical = make_unit(tree.town_a, name="爱辉化工厂")
    heating = make_unit(tree.town_a, name="花园热力公司")
    builder = make_unit(tree.town_a, name="爱辉建筑公司")
    bureau = make_unit(tree.county_b, name="北安市应急管理局", kind=UnitKind.GOVERNMENT_DEPARTMENT,
                       identifier=None)
    mine = make_unit(tree.town_b, name="北安煤矿")
    granary = make_unit(tree.town_b, name="北安粮库")
    heating_plan = add_plan(heating, office_a, "花园热力公司综合应急预案", "overall", "2026-08-03")
    add_plan(builder, office_a, "爱辉建筑公司综合应急预案", "overall", "2026-08-03",
             FilingState.SUBMITTED, "2026-11-05")
    add_plan(mine, office_b, "北安煤矿综合应急预案", "overall", "2026-10-12")
    add_plan(granary, office_b, "北安粮库综合应急预案", "overall", "2026-03-02",
             FilingState.FILED, "2026-03-10", "2026-03-12")
    for closed_on in (None, date(2026, 11, 10)):
        item = raise_revision(heating_plan, "law_changed", "上位法修订", office_a, TODAY_DATE)
        item.raised_on, item.closed_on = date(2026, 9, 1), closed_on
    db.session.commit()
    scan(TODAY_DATE)
    db.session.commit()
    return City(tree, chemical, heating, builder, bureau, mine, granary, office_city, office_a,
                office_b, leader, admin)
