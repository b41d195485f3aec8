"""Plan workflow fixtures: a fixed today, units and users in two counties, web-driving helpers.

Everything here goes through the web pages, as a liaison or an office user would, so the tests
built on it see exactly the status codes, pages, rows and files a user would.
"""

import html
import io
import re
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import update

from emergency.auth.models import Role
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.models import Plan, PlanVersion
from emergency.units.models import RiskTag, UnitKind
from tests.documents.files import pdf_bytes
from tests.factories import count, log_in, stored_files

TODAY = "2026-11-20"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "emergency" / "translations"
ZH = Translations.load(str(TRANSLATIONS_DIR), ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what a Chinese user sees for msgid, failing if the zh catalog lacks it."""
    text = ZH.gettext(msgid)
    assert text != msgid, f"not translated to Chinese: {msgid!r}"
    return text % params if params else text


#: What WTForms' own Chinese catalog (used by Flask-WTF) says for a value not among the choices.
INVALID_CHOICE = "不是有效的选择。"
#: WTForms' Chinese for a date it cannot parse, and for an empty required field.
INVALID_DATE = "不是有效的日期值。"
REQUIRED = "该字段是必填字段。"


def text_of(response) -> str:
    """Return the page with HTML entities decoded (apostrophes arrive as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def fixed_today(app):
    app.config["TODAY"] = TODAY


@pytest.fixture(autouse=True)
def break_plan_version_cycle(app):
    """Let the shared teardown empty the tables on SQLite.

    plans.current_version_id and plan_versions.plan_id point at each other; tests/conftest.py
    deletes table by table, which SQLite refuses while a plan still names its current version
    (PostgreSQL's TRUNCATE ... CASCADE does not mind).
    """
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def client_for(app):
    """Return a function giving a fresh test client logged in as the user."""

    def make(user):
        client = app.test_client()
        log_in(client, user)
        return client

    return make


@pytest.fixture
def units(tree, make_unit):
    """Units in 爱辉区 (county A) and one enterprise in 北安市 (county B)."""
    return {
        "school": make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL,
                            identifier="2123000001"),
        "enterprise": make_unit(tree.town_a, name="爱辉机械厂"),
        "chemical": make_unit(tree.town_a, name="爱辉化工厂",
                              risk_tags={RiskTag.HAZARDOUS_CHEMICALS}),
        "department": make_unit(tree.county_a, name="爱辉区水务局",
                                kind=UnitKind.GOVERNMENT_DEPARTMENT),
        "town": make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET),
        "b_enterprise": make_unit(tree.town_b, name="北安煤矿", risk_tags={RiskTag.MINING}),
        "b_department": make_unit(tree.county_b, name="北安市水务局",
                                  kind=UnitKind.GOVERNMENT_DEPARTMENT),
    }


@pytest.fixture
def office_a(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, display_name="爱辉区应急局张科长")


@pytest.fixture
def office_b(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_b, display_name="北安市应急局李科长")


@pytest.fixture
def liaison(make_user):
    """Return a function creating a liaison of a unit."""

    def make(unit):
        return make_user(Role.LIAISON, unit=unit, display_name=f"{unit.name}联络员")

    return make


# --- counting what was written ---------------------------------------------------------------


def snapshot(app) -> dict:
    """Return what an upload or a workflow step could have written."""
    return {"documents": count(Document), "versions": count(PlanVersion), "plans": count(Plan),
            "files": stored_files(app)}


# --- driving the pages -------------------------------------------------------------------------

def plan_form(**changes) -> dict:
    data = {"title": "爱辉区防汛应急预案", "category": "special", "hazard_class": "natural",
            "hazard_subtype": "防汛", "parent_id": "", "issued_on": "2026-11-02",
            "signer_role": "principal", "change_summary": "", "is_major": "y",
            "doc_type": "plan_text"}
    data.update(changes)
    return data


def register_plan(client, unit, *, document=None, **changes):
    """Post the register form; return the response (302 to the plan page on success)."""
    data = plan_form(**changes)
    if document is not None:
        data["document"] = (io.BytesIO(document[1]), document[0])
    return client.post(f"/plans/new/{unit.id}", data=data, content_type="multipart/form-data")


def plan_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/plans/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def new_plan(client, unit, **changes) -> Plan:
    """Register a plan and return it."""
    return db.session.get(Plan, plan_id_of(register_plan(client, unit, **changes)))


def current_version(plan_id: int) -> PlanVersion:
    db.session.expire_all()
    return db.session.get(Plan, plan_id).current_version


def upload(client, version_id: int, doc_type: str, name: str, data: bytes):
    return client.post(f"/plans/versions/{version_id}/documents",
                       data={"doc_type": doc_type, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def upload_all(client, version_id: int, doc_types) -> None:
    """Upload a small PDF for each document type."""
    for doc_type in doc_types:
        response = upload(client, version_id, doc_type, f"{doc_type}.pdf", pdf_bytes())
        assert response.status_code == 302, text_of(response)[:2000]


def submit(client, version_id: int):
    return client.post(f"/plans/versions/{version_id}/submit")


def file_version(client, version_id: int):
    return client.post(f"/plans/versions/{version_id}/file")


def return_version(client, version_id: int, reasons, comment=""):
    return client.post(f"/plans/versions/{version_id}/return",
                       data={"reasons": list(reasons), "comment": comment})


def add_version(client, plan_id: int, **changes):
    data = {"issued_on": "2026-11-10", "signer_role": "principal", "change_summary": "修订",
            "is_major": "y"}
    data.update(changes)
    if not data["is_major"]:
        del data["is_major"]
    return client.post(f"/plans/{plan_id}/versions/add", data=data)


#: The documents each kind of unit needs in the fixtures above.
CHECKLISTS = {
    "school": ["filing_form", "plan_text"],
    "enterprise": ["filing_form", "plan_text", "risk_assessment"],
    "chemical": ["filing_form", "review_opinion", "plan_text", "risk_assessment"],
    "department": ["issued_text", "drafting_notes"],
    "town": ["issued_text", "drafting_notes"],
    "b_enterprise": ["filing_form", "review_opinion", "plan_text", "risk_assessment"],
    "b_department": ["issued_text", "drafting_notes"],
}


def submitted_plan(liaison_client, unit, key: str, **changes) -> Plan:
    """Register a plan, upload its whole checklist and submit it; return the plan."""
    plan = new_plan(liaison_client, unit, **changes)
    version_id = plan.current_version_id
    upload_all(liaison_client, version_id, CHECKLISTS[key])
    response = submit(liaison_client, version_id)
    assert response.status_code == 302, text_of(response)[:2000]
    return plan


def filed_plan(liaison_client, office_client, unit, key: str, **changes) -> Plan:
    """Register, complete, submit and file a plan; return it."""
    plan = submitted_plan(liaison_client, unit, key, **changes)
    response = file_version(office_client, current_version(plan.id).id)
    assert response.status_code == 302, text_of(response)[:2000]
    return plan
