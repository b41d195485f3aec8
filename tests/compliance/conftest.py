"""Fixtures for the compliance pages, scan, CLI and API: a fixed today, seeded rules, a small city.

The pure engine tests in this folder do not use any of this; the fixtures here are only pulled in
by the tests that need an app (through `compliance_env` or the `world` fixture).

The data set (as of TODAY = Friday 2026-11-20, assessment date 2026-12-31 unless a test sets one):

* 花园小学 (school, county A): an overall plan issued 2026-03-02 and filed, no drills at all.
* 爱辉化工厂 (enterprise with hazardous chemicals, county A): an overall plan issued 2026-09-01,
  submitted 2026-09-10 and filed 2026-09-15.
* 花园街道办事处 (town/street, county A): no plan.
* 花园社区居委会 (village/community, county A): a village brief plan issued 2026-08-03, still a draft.
* 北安煤矿 (enterprise, mining, county B): no plan.
"""

import html
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import func, select, update

from emergency.auth.models import Role, User
from emergency.compliance.models import Obligation as ObligationRow
from emergency.compliance.seed import seed_rules
from emergency.compliance.services import load_calendar
from emergency.extensions import db
from emergency.plans import filing
from emergency.plans.models import FilingState, Plan, PlanVersion
from emergency.plans.services import PlanData, VersionData, create_plan
from emergency.units.models import RiskTag, Unit, UnitKind
from tests.documents.files import pdf_bytes

TODAY = "2026-11-20"
TODAY_DATE = date.fromisoformat(TODAY)
TRANSLATIONS = Path(__file__).resolve().parents[2] / "emergency" / "translations"
ZH = Translations.load(str(TRANSLATIONS), ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what a Chinese user sees for msgid, failing if the zh catalog lacks it."""
    text = ZH.gettext(msgid)
    assert text != msgid, f"not translated to Chinese: {msgid!r}"
    return text % params if params else text


def text_of(response) -> str:
    """Return the page with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def compliance_env(app):
    """A fixed today and a teardown SQLite can manage."""
    app.config["TODAY"] = TODAY
    yield app
    # plans.current_version_id and plan_versions.plan_id point at each other.
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@dataclass
class World:
    tree: object
    school: Unit
    chemical: Unit
    town: Unit
    village: Unit
    b_mine: Unit
    school_plan: Plan
    chemical_plan: Plan
    village_plan: Plan
    admin: User
    office_a: User
    office_b: User


def add_plan(unit: Unit, user: User, title: str, category: str, issued_on: str,
             state: str = FilingState.DRAFT, submitted_on: str | None = None,
             filed_on: str | None = None, today: date = TODAY_DATE) -> Plan:
    """Register a plan through the service, then put its version in the given filing state."""
    first = VersionData(issued_on=date.fromisoformat(issued_on), signer_role="principal")
    plan = create_plan(unit, PlanData(title=title, category=category, hazard_class="comprehensive"),
                       first, user, today, load_calendar())
    version = plan.current_version
    version.filing_state = state
    version.submitted_on = date.fromisoformat(submitted_on) if submitted_on else None
    version.filed_on = date.fromisoformat(filed_on) if filed_on else None
    if state == FilingState.FILED:
        version.filing_number = filing.next_filing_number(version, version.filed_on)
    db.session.commit()
    return plan


@pytest.fixture
def world(compliance_env, tree, make_unit, make_user) -> World:
    seed_rules()
    db.session.commit()
    admin = make_user(Role.ADMIN, display_name="市应急局管理员")
    office_a = make_user(Role.OFFICE, region=tree.county_a, display_name="爱辉区应急局张科长")
    office_b = make_user(Role.OFFICE, region=tree.county_b, display_name="北安市应急局李科长")
    school = make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL, identifier="2123000001")
    chemical = make_unit(tree.town_a, name="爱辉化工厂", risk_tags={RiskTag.HAZARDOUS_CHEMICALS})
    town = make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET)
    village = make_unit(tree.village_a, name="花园社区居委会", kind=UnitKind.VILLAGE_COMMUNITY)
    b_mine = make_unit(tree.town_b, name="北安煤矿", risk_tags={RiskTag.MINING})
    school_plan = add_plan(school, office_a, "花园小学综合应急预案", "overall", "2026-03-02",
                           FilingState.FILED, "2026-03-10", "2026-03-12")
    chemical_plan = add_plan(chemical, office_a, "爱辉化工厂综合应急预案", "overall", "2026-09-01",
                             FilingState.FILED, "2026-09-10", "2026-09-15")
    village_plan = add_plan(village, office_a, "花园社区简明应急预案", "village_brief", "2026-08-03")
    return World(tree, school, chemical, town, village, b_mine, school_plan, chemical_plan,
                 village_plan, admin, office_a, office_b)


# --- reading obligations -------------------------------------------------------------------------

def key(o) -> tuple:
    """What a user sees of one obligation, for a stored row or a computed one alike."""
    return (o.unit_id, o.rule_code, str(o.kind), str(o.status), o.subject, o.plan_id, o.period,
            o.due_on, bool(o.estimated), o.citation)


def stored(unit_id: int | None = None) -> list:
    stmt = select(ObligationRow).order_by(ObligationRow.id)
    if unit_id is not None:
        stmt = stmt.where(ObligationRow.unit_id == unit_id)
    return db.session.scalars(stmt).all()


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ObligationRow))


def by_rule(obligations) -> dict:
    """Return {(rule_code, period or subject): status} for quick lookups."""
    return {(o.rule_code, o.period or o.subject): str(o.status) for o in obligations}


# --- driving the plan pages ----------------------------------------------------------------------

def register_plan(client, unit, **changes):
    data = {"title": "花园社区简明应急预案", "category": "village_brief", "hazard_class": "natural",
            "hazard_subtype": "防汛", "parent_id": "", "issued_on": "2026-11-02",
            "signer_role": "principal", "change_summary": "", "is_major": "y",
            "doc_type": "plan_text"}
    data.update(changes)
    return client.post(f"/plans/new/{unit.id}", data=data, content_type="multipart/form-data")


def plan_id_of(response) -> int:
    assert response.status_code == 302, text_of(response)[:2000]
    match = re.fullmatch(r"/plans/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def upload(client, version_id: int, doc_type: str):
    data = {"doc_type": doc_type, "file": (io.BytesIO(pdf_bytes()), f"{doc_type}.pdf")}
    return client.post(f"/plans/versions/{version_id}/documents", data=data,
                       content_type="multipart/form-data")


def current_version(plan_id: int) -> PlanVersion:
    db.session.expire_all()
    return db.session.get(Plan, plan_id).current_version
