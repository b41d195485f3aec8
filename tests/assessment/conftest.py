"""A hand-built world for the year-end assessment, with every expected figure worked out by hand.

TODAY is Friday 2026-11-20, the assessment date 2026-12-31, so figures count up to TODAY.

爱辉区 (county A)
* 花园街道办事处 (town/street): overall plan issued 2026-03-02, submitted 03-10, filed 03-12.
* 花园社区居委会 (village/community): no plan at all.
* 花园小学 (school): overall plan issued 2026-02-02, never submitted (its deadline passed in March).
* 爱辉区应急管理局 (government department, in the county region): department plan issued
  2026-01-05, submitted 2026-03-20 (after its deadline in early February), filed 03-25; special
  plan issued 2025-06-01. One drill held 2026-05-10 exercising the special plan, with scheme,
  evaluation report and summary report.

北安市 (county B)
* 赵光镇人民政府 (town/street): overall plan issued 2023-01-10 (never evaluated: due 2026-01-10,
  overdue), special plan issued 2024-03-01 (never drilled). Revision items on the overall plan:
  raised 2026-02-01 closed 03-15 (in time), raised 2026-05-01 still open (due 07-30: late),
  raised 2026-10-01 open (due 12-30: not yet due).
* 北安化工厂 (enterprise, hazardous chemicals): overall plan issued 2026-04-01, submitted 04-10,
  filed 04-15. Drills held 2026-05-20 (reported 05-22; scheme and evaluation report only) and
  2026-10-10 (not reported, no documents). Corrective actions due 2026-06-30 (closed 06-20),
  2026-08-31 (open) and 2027-01-31 (open, not due this year).
"""

import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import update

from emergency.auth.models import Role, User
from emergency.compliance.scan import scan
from emergency.compliance.seed import seed_rules
from emergency.compliance.services import load_calendar
from emergency.documents.models import Document
from emergency.drills.models import CorrectiveAction, Drill
from emergency.extensions import db
from emergency.plans.models import FilingState, Plan, RevisionItem
from emergency.plans.services import PlanData, VersionData, create_plan
from emergency.units.models import RiskTag, Unit, UnitKind

TODAY = date(2026, 11, 20)
TRANSLATIONS = Path(__file__).resolve().parents[2] / "emergency" / "translations"
ZH = Translations.load(str(TRANSLATIONS), ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what a Chinese user sees: the catalog's translation, or the msgid until it has one."""
    text = ZH.gettext(msgid)
    return text % params if params else text


def text_of(response) -> str:
    """Return the page as plain text (tags dropped, entities decoded, spaces folded)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@dataclass
class World:
    tree: object
    street: Unit
    community: Unit
    school: Unit
    department: Unit
    town: Unit
    chemical: Unit
    school_plan: Plan
    admin: User
    office_city: User
    office_a: User
    leader_city: User


def add_plan(unit: Unit, user: User, title: str, category: str, issued_on: str,
             submitted_on: str | None = None, filed_on: str | None = None) -> Plan:
    """Register a plan through the service (which sets its filing deadline), then its filing."""
    first = VersionData(issued_on=date.fromisoformat(issued_on), signer_role="principal")
    plan = create_plan(unit, PlanData(title=title, category=category, hazard_class="comprehensive"),
                       first, user, TODAY, load_calendar())
    version = plan.current_version
    if submitted_on:
        version.submitted_on = date.fromisoformat(submitted_on)
        version.filing_state = FilingState.SUBMITTED
    if filed_on:
        version.filed_on = date.fromisoformat(filed_on)
        version.filing_state = FilingState.FILED
    db.session.commit()
    return plan


def add_drill(unit: Unit, held_on: str, plans=(), reported_on: str | None = None,
              documents=()) -> Drill:
    day = date.fromisoformat(held_on)
    drill = Drill(unit_id=unit.id, title=f"{unit.name}{held_on}演练", status="held", planned_on=day,
                  held_on=day, form="live", scope="comprehensive", purpose="inspection",
                  reported_on=date.fromisoformat(reported_on) if reported_on else None)
    drill.plans = list(plans)
    db.session.add(drill)
    db.session.flush()
    for doc_type in documents:
        # The indicator counts document rows by type; no file is needed for that.
        db.session.add(Document(unit_id=unit.id, drill_id=drill.id, doc_type=doc_type,
                                original_name=f"{doc_type}.pdf", stored_path=f"t/{drill.id}{doc_type}",
                                sha256="0" * 64, size=1, kind="pdf"))
    db.session.commit()
    return drill


@pytest.fixture
def assessment_env(app):
    app.config["TODAY"] = TODAY.isoformat()
    yield app
    # plans.current_version_id and plan_versions.plan_id point at each other.
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def world(assessment_env, tree, make_unit, make_user) -> World:
    seed_rules()
    db.session.commit()
    admin = make_user(Role.ADMIN, display_name="市应急局管理员")
    office_city = make_user(Role.OFFICE, region=tree.city, display_name="市应急局王科长")
    office_a = make_user(Role.OFFICE, region=tree.county_a, display_name="爱辉区应急局张科长")
    leader_city = make_user(Role.VIEWER, region=tree.city, display_name="市应急局领导")

    street = make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET)
    community = make_unit(tree.village_a, name="花园社区居委会", kind=UnitKind.VILLAGE_COMMUNITY)
    school = make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL, identifier="2123000001")
    department = make_unit(tree.county_a, name="爱辉区应急管理局", kind=UnitKind.GOVERNMENT_DEPARTMENT,
                           identifier="11231102MB0000001X")
    town = make_unit(tree.town_b, name="赵光镇人民政府", kind=UnitKind.TOWN_STREET)
    chemical = make_unit(tree.town_b, name="北安化工厂", risk_tags={RiskTag.HAZARDOUS_CHEMICALS},
                         identifier="91231181MA1234567X")

    add_plan(street, office_city, "花园街道突发事件总体应急预案", "overall", "2026-03-02",
             "2026-03-10", "2026-03-12")
    school_plan = add_plan(school, office_city, "花园小学校园安全应急预案", "overall", "2026-02-02")
    add_plan(department, office_city, "爱辉区应急管理局部门应急预案", "department", "2026-01-05",
             "2026-03-20", "2026-03-25")
    special = add_plan(department, office_city, "爱辉区森林火灾专项应急预案", "special", "2025-06-01",
                       "2025-06-10", "2025-06-15")
    add_drill(department, "2026-05-10", plans=[special],
              documents=("drill_scheme", "drill_assessment", "drill_summary"))

    town_plan = add_plan(town, office_city, "赵光镇突发事件总体应急预案", "overall", "2023-01-10",
                         "2023-01-20", "2023-01-30")
    add_plan(town, office_city, "赵光镇防汛专项应急预案", "special", "2024-03-01", "2024-03-05",
             "2024-03-10")
    for raised, closed in (("2026-02-01", "2026-03-15"), ("2026-05-01", None), ("2026-10-01", None)):
        db.session.add(RevisionItem(plan_id=town_plan.id, unit_id=town.id, trigger="law_changed",
                                    raised_on=date.fromisoformat(raised),
                                    closed_on=date.fromisoformat(closed) if closed else None))
    add_plan(chemical, office_city, "北安化工厂综合应急预案", "overall", "2026-04-01", "2026-04-10",
             "2026-04-15")
    first = add_drill(chemical, "2026-05-20", reported_on="2026-05-22",
                      documents=("drill_scheme", "drill_assessment"))
    add_drill(chemical, "2026-10-10")
    for due, closed in (("2026-06-30", "2026-06-20"), ("2026-08-31", None), ("2027-01-31", None)):
        db.session.add(CorrectiveAction(unit_id=chemical.id, drill_id=first.id, title=f"整改{due}",
                                        owner="安全科", due_on=date.fromisoformat(due),
                                        status="closed" if closed else "open",
                                        closed_on=date.fromisoformat(closed) if closed else None))
    db.session.commit()
    scan(TODAY)
    db.session.commit()
    return World(tree, street, community, school, department, town, chemical, school_plan, admin,
                 office_city, office_a, leader_city)
