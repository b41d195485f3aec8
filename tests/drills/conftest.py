"""Drill page fixtures: a fixed today, units and users in two counties, web-driving helpers.

Everything that a user does goes through the pages (as a liaison or office user would); only the
starting data (units, plans without versions, rules) is put in the database directly.

As of TODAY (Friday 2026-11-20, assessment date 2026-12-31):

* 花园小学 (school, county A) with an overall plan and a fire plan.
* 爱辉化工厂 (enterprise with hazardous chemicals, county A): an overall plan and an on-site plan.
* 爱辉机械厂 (plain enterprise, county A): an overall plan.
* 北安煤矿 (enterprise, mining, county B): an overall plan.
"""

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.documents.models import Document
from emergency.drills.models import ActionEvent, CorrectiveAction, Drill, DrillChange, drill_plans
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.units.models import RiskTag, Unit, UnitKind
from tests.documents.files import pdf_bytes
from tests.factories import count, log_in, stored_files

TODAY = "2026-11-20"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "emergency" / "translations"
ZH = Translations.load(str(TRANSLATIONS), ["zh"])
#: WTForms' own Chinese messages (Flask-WTF uses its catalog).
REQUIRED = "该字段是必填字段。"
INVALID_DATE = "不是有效的日期值。"
INVALID_INTEGER = "不是有效的整数。"


def shown(msgid: str, **params) -> str:
    """Return what a Chinese user sees for msgid: its translation, else (untranslated) the msgid."""
    text = ZH.gettext(msgid)
    return text % params if params else text


def text_of(response) -> str:
    """Return the page with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


#: `pytestmark = WEB` in each page test module (not autouse: other modules here have their own).
WEB = pytest.mark.usefixtures("fixed_today")


@pytest.fixture
def fixed_today(app):
    app.config["TODAY"] = TODAY


@pytest.fixture
def rules(app):
    """Seed the default rule table (domain-rules §9)."""
    from emergency.compliance.seed import seed_rules

    seed_rules()
    db.session.commit()


@dataclass
class World:
    tree: object
    school: Unit
    chemical: Unit
    factory: Unit
    mine: Unit
    plans: dict
    office_a: User
    office_b: User
    viewer_a: User
    school_liaison: User
    chemical_liaison: User
    mine_liaison: User


def _plan(unit: Unit, title: str, category: str = "overall") -> Plan:
    plan = Plan(unit_id=unit.id, title=title, category=category, hazard_class="comprehensive")
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def world(tree, make_unit, make_user) -> World:
    school = make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL, identifier="2123000001")
    chemical = make_unit(tree.town_a, name="爱辉化工厂", risk_tags={RiskTag.HAZARDOUS_CHEMICALS})
    factory = make_unit(tree.town_a, name="爱辉机械厂")
    mine = make_unit(tree.town_b, name="北安煤矿", risk_tags={RiskTag.MINING})
    plans = {
        "school": _plan(school, "花园小学综合应急预案"),
        "school_fire": _plan(school, "花园小学火灾事故专项应急预案", "special"),
        "chemical": _plan(chemical, "爱辉化工厂综合应急预案"),
        "chemical_onsite": _plan(chemical, "储罐区泄漏现场处置方案", "onsite"),
        "factory": _plan(factory, "爱辉机械厂综合应急预案"),
        "mine": _plan(mine, "北安煤矿综合应急预案"),
    }
    return World(
        tree=tree, school=school, chemical=chemical, factory=factory, mine=mine, plans=plans,
        office_a=make_user(Role.OFFICE, region=tree.county_a, display_name="爱辉区应急局张科长"),
        office_b=make_user(Role.OFFICE, region=tree.county_b, display_name="北安市应急局李科长"),
        viewer_a=make_user(Role.VIEWER, region=tree.county_a, display_name="爱辉区王局长"),
        school_liaison=make_user(Role.LIAISON, unit=school, display_name="花园小学联络员"),
        chemical_liaison=make_user(Role.LIAISON, unit=chemical, display_name="化工厂联络员"),
        mine_liaison=make_user(Role.LIAISON, unit=mine, display_name="煤矿联络员"),
    )


@pytest.fixture
def client_for(app):
    """Return a function giving a fresh test client logged in as the user."""

    def make(user):
        client = app.test_client()
        log_in(client, user)
        return client

    return make


# --- counting what was written ---------------------------------------------------------------


def snapshot(app) -> dict:
    """Return everything a refused drill request could have written."""
    db.session.rollback()
    db.session.expire_all()
    drills = [(d.id, d.status, d.planned_on, d.held_on, d.evacuation_seconds, d.title, d.version)
              for d in db.session.scalars(select(Drill).order_by(Drill.id))]
    actions = [(a.id, a.status, a.closed_on, a.verified_on)
               for a in db.session.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id))]
    return {"drills": drills, "actions": actions, "drill_plans": count(drill_plans),
            "changes": count(DrillChange), "events": count(ActionEvent),
            "documents": count(Document), "audit": count(AuditEntry), "files": stored_files(app)}


# --- driving the pages -------------------------------------------------------------------------

def drill_form(**changes) -> dict:
    data = {"title": "消防疏散演练", "planned_on": "2026-11-18", "form": "live",
            "scope": "comprehensive", "purpose": "inspection", "plan_ids": []}
    data.update(changes)
    return data


def plan_drill(client, unit, year=None, **changes):
    """Post the plan-a-drill form of the unit's annual plan page."""
    data = drill_form(**changes)
    year = year or data["planned_on"][:4]
    return client.post(f"/drills/unit/{unit.id}/drills?year={year}", data=data)


def newest_drill() -> Drill:
    db.session.expire_all()
    return db.session.scalars(select(Drill).order_by(Drill.id.desc())).first()


def new_drill(client, unit, **changes) -> Drill:
    """Plan a drill through the page and return it."""
    response = plan_drill(client, unit, **changes)
    assert response.status_code == 302, text_of(response)[:3000]
    return newest_drill()


def record_held(client, drill_id: int, **changes):
    data = {"held_on": "2026-11-18", "duration_minutes": "30", "participants": "820",
            "evacuation_seconds": "", "reported_on": "", "summary": "全校师生按预定路线疏散。"}
    data.update(changes)
    return client.post(f"/drills/{drill_id}/held", data=data)


def upload(client, drill_id: int, doc_type: str, name: str = None, data: bytes = None):
    name = name or f"{doc_type}.pdf"
    content = pdf_bytes() if data is None else data
    return client.post(f"/drills/{drill_id}/documents",
                       data={"doc_type": doc_type, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def add_action(client, drill_id: int, **changes):
    data = {"title": "三楼东侧楼梯疏散拥堵", "owner": "王老师", "due_on": "2026-12-31",
            "description": "增设疏散引导员，调整班级疏散顺序。"}
    data.update(changes)
    return client.post(f"/drills/{drill_id}/actions", data=data)


def newest_action() -> CorrectiveAction:
    db.session.expire_all()
    return db.session.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id.desc())).first()


def close_action(client, action_id: int, note="已增设引导员", evidence=None):
    data = {"note": note}
    if evidence is not None:
        data["evidence"] = (io.BytesIO(evidence[1]), evidence[0])
    return client.post(f"/drills/actions/{action_id}/close", data=data,
                       content_type="multipart/form-data")


def missing_documents(page: str) -> list[str]:
    """Return the document types the drill page lists as missing."""
    return re.findall(r'data-missing="([a-z_]+)"', page)


def uncovered(page: str) -> list[tuple[str, str]]:
    """Return the (rule, period) rows of the annual plan's uncovered obligations."""
    if 'id="uncovered"' not in page:
        return []
    table = page.split('id="uncovered"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-rule="([^"]+)" data-period="([^"]*)">', table)
