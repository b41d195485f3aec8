"""IDOR matrix, generated from app.url_map: ids of another county's objects are always a 404.

Every rule with an <int:...> argument is requested by three actors of 爱辉区 (office staff, a
read-only leader, a unit liaison) and by the liaison of another unit in 北安市 itself, with the id
of an object in 北安市, with every method the rule allows. The answer must be 404 and the database
must not change. A new route whose argument name has no factory in FACTORIES below makes the
matrix fail, so new routes must be added here.

Lists, exports, the region tree and the API lists must never show the other county either; every
GET route without an id (lists, exports, templates, dashboards, ICS feeds, the API) is requested
by each actor and searched for the other county's names (see the end of this file).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from werkzeug.routing import IntegerConverter

from config import TestingConfig
from emergency import create_app
from emergency.auth.models import Role
from emergency.auth.services import create_token
from emergency.extensions import db
from tests.factories import log_in, valid_uscc

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
ACTORS = ("office", "viewer", "liaison")
#: The id matrix adds a liaison of another unit in the objects' own county (北安市).
MATRIX_ACTORS = (*ACTORS, "liaison_same_county")
#: Values for non-id arguments that appear in rules with ids.
OTHER_ARGUMENTS = {"fmt": "xlsx", "code": "en", "filename": "app.css"}
#: Endpoints that answer 404 even to an administrator with the objects the factories build.
ADMIN_GETS_404 = {
    "plans.diff",  # needs ?from=&to= and a DOCX document in both versions
    "auth.revoke_token",  # only the token's owner may revoke it, administrators included
    "reminders.mark_read",  # an inbox entry is its recipient's own, administrators included
    "reminders.mark_unread",
}

UNIT_B_NAME = "北安市赵光粮库有限公司"
UNIT_A_NAME = "爱辉区花园热力有限公司"


@dataclass
class World:
    """The objects of both counties; factories add 北安市 objects on demand."""

    tree: object
    make_unit: object
    make_user: object
    app: object
    unit_a: object = None
    cache: dict = field(default_factory=dict)

    def once(self, key, build):
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


def admin_world(app, tree, make_unit, make_user):
    """An admin, and a unit to build real objects for every id argument (see FACTORIES).

    A generator for a `world` fixture: afterwards it breaks the plan cycles
    (plans.current_version_id <-> plan_versions.plan_id, plans.parent_id) that conftest's
    table-by-table cleanup cannot delete on SQLite.
    """
    from emergency.plans.models import Plan

    w = World(tree=tree, make_unit=make_unit, make_user=make_user, app=app)
    w.unit_a = make_unit(tree.town_a, name="花园街道供热公司")
    w.admin = make_user(Role.ADMIN, username="admin")
    yield w
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


# --- factories: one object in 北安市 (tree.county_b) per argument name -------------------------


def unit_b(w: World):
    return w.once("unit", lambda: w.make_unit(w.tree.town_b, name=UNIT_B_NAME,
                                              identifier=valid_uscc("231181")))


def liaison_b(w: World):
    return w.once("liaison", lambda: w.make_user(Role.LIAISON, unit=unit_b(w), username="liaison_b"))


def token_b(w: World):
    def build():
        token, _secret = create_token(liaison_b(w), "北安接口")
        db.session.commit()
        return token

    return w.once("token", build)


def plan_b(w: World):
    def build():
        from emergency.plans.models import FilingEvent, Plan, PlanVersion

        unit = unit_b(w)
        plan = Plan(unit_id=unit.id, title="赵光粮库综合应急预案", category="overall",
                    hazard_class="comprehensive")
        version = PlanVersion(plan=plan, unit_id=unit.id, number=1, issued_on=date(2024, 3, 1),
                              signer_role="principal", filing_state="filed",
                              filed_on=date(2024, 3, 20), filing_number="231181-2024-0001")
        db.session.add_all([plan, version])
        db.session.flush()
        plan.current_version_id = version.id
        db.session.add(FilingEvent(version_id=version.id, unit_id=unit.id, action="filed"))
        db.session.commit()
        return plan

    return w.once("plan", build)


def version_b(w: World):
    return plan_b(w).current_version


def document_b(w: World):
    def build():
        from emergency.documents.models import Document
        from emergency.documents.services import upload_root
        from emergency.documents.storage import store_stream

        version = version_b(w)
        blob = store_stream(io.BytesIO(b"%PDF-1.4\n% beian\n"), upload_root(),
                            max_bytes=1024, today=date(2024, 3, 1))
        document = Document(unit_id=version.unit_id, plan_version_id=version.id,
                            doc_type="plan_text", original_name="北安预案.pdf",
                            stored_path=blob.relative_path, sha256=blob.sha256, size=blob.size,
                            kind="pdf")
        db.session.add(document)
        db.session.commit()
        return document

    return w.once("document", build)


def rule_any(w: World):
    def build():
        from emergency.compliance.models import Rule

        rule = Rule(code="T-1", title="测试规则", kind="have_plan", citation="《测试办法》第一条")
        db.session.add(rule)
        db.session.commit()
        return rule

    return w.once("rule", build)


def drill_b(w: World):
    def build():
        from emergency.drills.models import Drill

        drill = Drill(unit_id=unit_b(w).id, title="赵光粮库粉尘爆炸应急演练", status="held",
                      planned_on=date(2024, 6, 1), held_on=date(2024, 6, 1), form="live",
                      scope="comprehensive", purpose="inspection")
        db.session.add(drill)
        db.session.commit()
        return drill

    return w.once("drill", build)


def action_b(w: World):
    def build():
        from emergency.drills.models import CorrectiveAction

        drill = drill_b(w)
        action = CorrectiveAction(unit_id=drill.unit_id, drill_id=drill.id, title="补充防爆照明",
                                  owner="赵光粮库安全科", due_on=date(2024, 7, 1))
        db.session.add(action)
        db.session.commit()
        return action

    return w.once("action", build)


def notification_b(w: World):
    def build():
        from emergency.reminders.models import Notification

        note = Notification(key="due:idor:b", user_id=liaison_b(w).id, category="due",
                            unit_id=unit_b(w).id, stage="d7", due_on=date(2026, 3, 9),
                            payload={"subject": "赵光粮库年度演练"}, created_on=date(2026, 3, 2))
        db.session.add(note)
        db.session.commit()
        return note

    return w.once("notification", build)


def outbox_b(w: World):
    def build():
        from datetime import UTC, datetime

        from emergency.reminders.models import OutboxMessage

        message = OutboxMessage(key="mail:idor:b", user_id=liaison_b(w).id,
                                created_on=date(2026, 3, 2), status="dead",
                                next_attempt_at=datetime(2026, 3, 2, tzinfo=UTC),
                                message_id="<reminder.idor@yjj.local>", last_error="550 no such user")
        db.session.add(message)
        db.session.commit()
        return message

    return w.once("outbox", build)


def snapshot_b(w: World):
    def build():
        from emergency.assessment.services import freeze

        plan_b(w)
        snapshot = freeze(None, w.tree.county_b, 2024, date(2024, 12, 31), "北安市2024年度考核", "北安")
        db.session.commit()
        return snapshot

    return w.once("snapshot", build)


@dataclass(frozen=True)
class CityWide:
    """An id of city-wide configuration that belongs to no county and only administrators edit.

    There is no "other county" to hide it from, so other users get 403 (and no change), not 404.
    """

    build: object

    def __call__(self, w: World):
        return self.build(w)


FACTORIES = {
    "unit_id": lambda w: unit_b(w).id,
    "user_id": lambda w: liaison_b(w).id,
    "region_id": lambda w: w.tree.county_b.id,
    "token_id": lambda w: token_b(w).id,
    "plan_id": lambda w: plan_b(w).id,
    "version_id": lambda w: version_b(w).id,
    "document_id": lambda w: document_b(w).id,
    "rule_id": CityWide(lambda w: rule_any(w).id),
    "drill_id": lambda w: drill_b(w).id,
    "action_id": lambda w: action_b(w).id,
    "notification_id": lambda w: notification_b(w).id,
    "message_id": CityWide(lambda w: outbox_b(w).id),
    "snapshot_id": lambda w: snapshot_b(w).id,
}


# --- the rules ------------------------------------------------------------------------------


def _id_arguments(rule) -> list[str]:
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]


def _rules_with_ids():
    params = []
    for rule in create_app(TestingConfig).url_map.iter_rules():
        ids = _id_arguments(rule)
        if not ids:
            continue
        for method in sorted((rule.methods or set()) & METHODS):
            params.append((rule.rule, rule.endpoint, method, tuple(ids),
                           tuple(a for a in rule.arguments if a not in ids)))
    return params


RULES = _rules_with_ids()


def test_every_id_argument_has_a_factory():
    missing = {(rule, arg) for rule, _e, _m, ids, _o in RULES for arg in ids if arg not in FACTORIES}
    assert not missing, f"add a factory for these id arguments to FACTORIES: {sorted(missing)}"
    others = {(rule, arg) for rule, _e, _m, _i, rest in RULES for arg in rest
              if arg not in OTHER_ARGUMENTS}
    assert not others, f"add a value for these arguments to OTHER_ARGUMENTS: {sorted(others)}"


def test_every_api_write_has_a_body():
    writes = {endpoint for rule, endpoint, method, _i, _o in RULES
              if rule.startswith("/api/") and method != "GET"}
    missing = writes - set(API_BODIES)
    assert not missing, f"add a valid request body for these endpoints to API_BODIES: {sorted(missing)}"


def test_matrix_covers_pages_and_api():
    rules = {rule for rule, *_rest in RULES}
    assert "/units/<int:unit_id>/edit" in rules
    assert "/api/v1/units/<int:unit_id>" in rules
    assert {"GET", "PATCH", "DELETE"} <= {m for r, _e, m, *_x in RULES if r == "/api/v1/units/<int:unit_id>"}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def world(app, tree, make_unit, make_user):
    w = World(tree=tree, make_unit=make_unit, make_user=make_user, app=app)
    w.unit_a = make_unit(tree.town_a, name=UNIT_A_NAME, identifier=valid_uscc("231102"))
    yield w
    # Plans made here or by the requests (plans.current_version_id <-> plan_versions.plan_id) form
    # a cycle that conftest's table-by-table cleanup cannot delete on SQLite; break it first.
    from emergency.plans.models import Plan

    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None))
    db.session.commit()


def make_actor(world: World, role: str):
    if role == "office":
        return world.make_user(Role.OFFICE, region=world.tree.county_a, username="office_a")
    if role == "viewer":
        return world.make_user(Role.VIEWER, region=world.tree.county_a, username="viewer_a")
    if role == "liaison_same_county":
        neighbour = world.once("unit_b2", lambda: world.make_unit(
            world.tree.town_b, name="北安市赵光镇中心学校", kind="school", identifier="2123099001"))
        return world.make_user(Role.LIAISON, unit=neighbour, username="liaison_b2")
    return world.make_user(Role.LIAISON, unit=world.unit_a, username="liaison_a")


def fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def form_payload(world: World) -> dict:
    """Valid data for the forms, aimed at moving the object into the actor's own county."""
    return {
        "name": "越权修改", "kind": "enterprise", "region_id": str(world.tree.town_a.id),
        "identifier": valid_uscc("231102"), "assessment_class": "", "is_active": "y",
        "version": "1", "username": "idor_user", "display_name": "越权", "email": "idor@yjj.local",
        "role": "liaison", "unit_id": str(world.unit_a.id), "locale": "", "password": "",
        "title": "越权修改的预案", "category": "overall", "hazard_class": "natural",
        "issued_on": "2024-05-06", "signer_role": "principal", "is_major": "y",
        "conclusion": "revise", "evaluated_on": "2024-05-06", "summary": "越权",
        "reasons": "other", "comment": "越权", "trigger": "law_changed", "note": "越权",
        "doc_type": "plan_text", "next": "/",
        "file": (io.BytesIO(PDF), "越权.pdf"), "document": (io.BytesIO(PDF), "越权.pdf"),
    }


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

#: A valid request body for every API write endpoint with an id (None: it takes no body), aimed at
#: changing the object. Without a valid body the schema check would answer 422 before the scope
#: check could be seen.
API_BODIES = {
    "api_units.patch_unit": lambda w: {"json": {"version": 1, "name": "越权修改",
                                                "region_id": w.tree.town_a.id}},
    "api_plans.patch_plan": lambda w: {"json": {"version": 1, "title": "越权修改的预案"}},
    "api_plans.create_version": lambda w: {"json": {"issued_on": "2024-05-06",
                                                    "signer_role": "principal"}},
    "api_plans.create_evaluation": lambda w: {"json": {"evaluated_on": "2024-05-06",
                                                       "conclusion": "revise"}},
    "api_plans.create_revision": lambda w: {"json": {"trigger": "law_changed", "note": "越权"}},
    "api_versions.upload_document": lambda w: {"data": {
        "doc_type": "plan_text", "file": (io.BytesIO(PDF), "越权.pdf")}},
    "api_versions.return_version": lambda w: {"json": {"reasons": ["other"], "comment": "越权"}},
    "api_versions.submit": None,
    "api_versions.file": None,
    "api_units.delete_unit": None,
    "api_drills.patch_drill": lambda w: {"json": {"version": 1, "title": "越权修改的演练"}},
    "api_drills.reschedule_drill": lambda w: {"json": {"new_date": "2024-09-01",
                                                       "reason": "越权"}},
    "api_drills.cancel_drill": lambda w: {"json": {"reason": "越权"}},
    "api_drills.record_held": lambda w: {"json": {"held_on": "2024-06-02"}},
    "api_drills.upload_drill_document": lambda w: {"data": {
        "doc_type": "drill_scheme", "file": (io.BytesIO(PDF), "越权.pdf")}},
    "api_drills.create_action": lambda w: {"json": {"title": "越权", "owner": "越权",
                                                    "due_on": "2024-07-01"}},
    "api_drills.upload_evidence": lambda w: {"data": {"file": (io.BytesIO(PDF), "越权.pdf")}},
    "api_drills.close_action": lambda w: {"json": {"note": "越权"}},
    "api_drills.verify_action": None,
    "api_drills.reopen_action": lambda w: {"json": {"comment": "越权"}},
}


def snapshot() -> dict:
    """Every row of every table, read fresh from the database."""
    db.session.rollback()
    return {
        table.name: [tuple(row) for row in db.session.execute(
            select(table).order_by(*table.primary_key.columns)).all()]
        for table in db.metadata.sorted_tables
    }


def prepare(app, user, url: str, endpoint: str):
    """Return a function sending one request as the user: a bearer token for the API, else a cookie."""
    client = app.test_client()
    headers = {}
    if url.startswith("/api/"):
        _token, secret = create_token(user, "actor")
        db.session.commit()
        headers = {"Authorization": f"Bearer {secret}"}
    else:
        log_in(client, user)

    def send(method: str, world: World):
        if url.startswith("/api/"):
            body = API_BODIES[endpoint](world) if API_BODIES.get(endpoint) else {}
            response = client.open(url, method=method, headers=headers, **body)
        else:
            data = form_payload(world) if method != "GET" else None
            response = client.open(url, method=method, data=data)
        response.get_data()
        response.close()  # downloads hold a file open until the response is closed
        return response

    return send


@pytest.mark.parametrize(("rule", "endpoint", "method", "ids", "others"), RULES,
                         ids=[f"{m} {r}" for r, _e, m, _i, _o in RULES])
def test_other_county_object_is_404(app, world, rule, endpoint, method, ids, others):
    missing = [arg for arg in ids if arg not in FACTORIES]
    if missing:
        pytest.fail(f"{rule}: no factory for {missing}; add one to FACTORIES")
    values = {arg: FACTORIES[arg](world) for arg in ids}
    values.update({arg: OTHER_ARGUMENTS[arg] for arg in others})
    url = fill(rule, values)
    city_wide = any(isinstance(FACTORIES[arg], CityWide) for arg in ids)
    expected = 403 if city_wide else 404
    senders = {actor: prepare(app, make_actor(world, actor), url, endpoint)
               for actor in MATRIX_ACTORS}
    before = snapshot()

    # One test per rule and method, all actors in it (an app per actor would multiply the time).
    problems = []
    for actor, send in senders.items():
        response = send(method, world)
        if response.status_code != expected:
            problems.append(f"{actor}: {response.status_code} instead of {expected}")
        elif url.startswith("/api/"):
            body = response.get_json()
            if not (body["code"] == expected and body["message"]):
                problems.append(f"{actor}: JSON error body {body}")
        elif city_wide and "您没有执行此操作的权限。" not in response.text:
            problems.append(f"{actor}: 403 page without its message")
        elif not city_wide and "页面或记录未找到，或不在您的管辖范围内。" not in response.text:
            problems.append(f"{actor}: 404 page without its message")
        if snapshot() != before:
            problems.append(f"{actor}: the database changed")
            break
    assert not problems, f"{method} {url}: " + "; ".join(problems)

    # Control: the object really exists and the route really serves it to someone in scope.
    if endpoint not in ADMIN_GETS_404:
        admin = world.make_user(Role.ADMIN, username="admin_control")
        assert prepare(app, admin, url, endpoint)(method, world).status_code != 404


def test_ids_beyond_the_id_columns_are_404_not_500(app, world):
    """An id no 32-bit id column can hold is simply not found, on every route (SQLite overflowed).

    Werkzeug checks the method before the converter, so a PATCH or DELETE on a path that also has
    a GET answers 405 instead of 404; either way nothing is looked up.
    """
    admin = world.make_user(Role.ADMIN, username="admin_big_ids")
    requests = []
    for rule, endpoint, method, ids, others in RULES:
        values = {arg: 2**63 if i % 2 == 0 else 99999999999999999999 for i, arg in enumerate(ids)}
        values.update({arg: OTHER_ARGUMENTS.get(arg, "x") for arg in others})
        url = fill(rule, values)
        requests.append((method, url, prepare(app, admin, url, endpoint)))
    before = snapshot()
    problems = []
    for method, url, send in requests:
        response = send(method, world)
        if response.status_code not in (404, 405):
            problems.append(f"{method} {url}: {response.status_code}")
    assert not problems
    assert snapshot() == before


# --- lists, exports, the tree and API lists -------------------------------------------------


@pytest.fixture
def both_counties(world):
    unit_b(world)
    liaison_b(world)
    return world


@pytest.mark.parametrize("actor", ACTORS)
def test_unit_list_shows_only_own_county(app, both_counties, actor):
    client = app.test_client()
    log_in(client, make_actor(both_counties, actor))
    page = client.get("/units/")
    assert page.status_code == 200
    assert UNIT_A_NAME in page.text
    assert UNIT_B_NAME not in page.text
    # Asking for the other county's region explicitly does not help.
    page = client.get(f"/units/?region={both_counties.tree.county_b.id}&q=赵光")
    assert UNIT_B_NAME not in page.text


@pytest.mark.parametrize("actor", ACTORS)
def test_xlsx_export_contains_only_own_county(app, both_counties, actor):
    client = app.test_client()
    log_in(client, make_actor(both_counties, actor))
    response = client.get("/units/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [UNIT_A_NAME]
    regions = {cell for row in sheet.iter_rows(min_row=2, values_only=True) for cell in row}
    assert "赵光镇" not in regions


@pytest.mark.parametrize("actor", ACTORS)
def test_csv_export_contains_only_own_county(app, both_counties, actor):
    client = app.test_client()
    log_in(client, make_actor(both_counties, actor))
    response = client.get(f"/units/export.csv?region={both_counties.tree.county_b.id}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1  # headers only
    response = client.get("/units/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [UNIT_A_NAME]
    assert UNIT_B_NAME not in response.data.decode("utf-8-sig")


@pytest.mark.parametrize("actor", ["office", "viewer"])
def test_region_tree_shows_only_own_county(app, both_counties, actor):
    client = app.test_client()
    log_in(client, make_actor(both_counties, actor))
    response = client.get("/regions/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/regions/{both_counties.tree.county_a.id}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "爱辉区" in page.text and "花园街道" in page.text
    for name in ("北安市", "赵光镇", "红星村"):
        assert name not in page.text


def test_region_tree_is_not_for_liaisons(app, both_counties):
    client = app.test_client()
    log_in(client, make_actor(both_counties, "liaison"))
    assert client.get("/regions/").status_code == 404


def test_account_list_shows_only_own_county(app, both_counties, make_user):
    office_b = make_user(Role.OFFICE, region=both_counties.tree.county_b, username="office_b")
    liaison_a = make_user(Role.LIAISON, unit=both_counties.unit_a, username="liaison_a")
    client = app.test_client()
    log_in(client, make_actor(both_counties, "office"))
    page = client.get("/users/")
    assert page.status_code == 200
    assert liaison_a.username in page.text
    assert "liaison_b" not in page.text and office_b.username not in page.text


@pytest.mark.parametrize("actor", ACTORS)
def test_api_unit_list_contains_only_own_county(app, both_counties, actor, token_for):
    headers = token_for(make_actor(both_counties, actor))
    client = app.test_client()
    response = client.get("/api/v1/units?page_size=100", headers=headers)
    assert response.status_code == 200
    assert [unit["name"] for unit in response.get_json()] == [UNIT_A_NAME]
    response = client.get(f"/api/v1/units?region={both_counties.tree.county_b.id}", headers=headers)
    assert response.get_json() == []


@pytest.mark.parametrize("actor", ACTORS)
def test_api_region_list_contains_only_own_county(app, both_counties, actor, token_for):
    headers = token_for(make_actor(both_counties, actor))
    response = app.test_client().get("/api/v1/regions?page_size=100", headers=headers)
    assert response.status_code == 200
    names = {region["name"] for region in response.get_json()}
    assert names
    assert names.isdisjoint({"北安市", "赵光镇", "红星村", "黑河市", "黑龙江省"})
    if actor == "liaison":
        assert names == {"花园街道"}
    else:
        assert names == {"爱辉区", "花园街道", "花园社区"}


# --- every GET route without an id: nothing of the other county in any answer -----------------

#: What identifies 北安市's objects in a page, an export, a feed or a JSON answer.
MARKERS = (UNIT_B_NAME, "赵光粮库综合应急预案", "赵光粮库粉尘爆炸应急演练", "补充防爆照明",
           "北安预案.pdf", "liaison_b", "赵光粮库年度演练", "赵光镇", "红星村")
#: Values for the arguments of GET routes without ids (a list means: each of them).
LEAK_ARGUMENTS = {"fmt": ["xlsx", "csv"], "kind": ["units", "plans", "drills"],
                  "code": ["en"], "filename": ["app.css"]}
#: Query strings that show the factories' 2024 objects on year-based pages.
LEAK_QUERIES = {"drills.calendar": "?year=2024", "drills.export": "?year=2024"}
def _leak_urls():
    urls = []
    for rule in create_app(TestingConfig).url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or _id_arguments(rule):
            continue
        variants = [{}]
        for name in rule.arguments:
            variants = [{**v, name: value} for v in variants
                        for value in LEAK_ARGUMENTS.get(name, ["x"])]
        for values in variants:
            urls.append((rule.endpoint, rule.rule, values))
    return sorted(urls, key=lambda u: (u[1], sorted(u[2].items())))


LEAK_URLS = _leak_urls()


def readable_text(response) -> str:
    """The text a person would see in the answer: sheets unzipped, JSON and ICS unescaped."""
    import html
    import json
    import zipfile

    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            text = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                           if n.endswith(".xml"))
        return html.unescape(text)
    text = data.decode("utf-8-sig", "replace")
    if response.mimetype == "application/json":
        return json.dumps(response.get_json(), ensure_ascii=False)
    if response.mimetype == "text/calendar":
        return text.replace("\r\n ", "").replace("\\,", ",")
    return html.unescape(text)


@pytest.fixture
def everything_b(world):
    """Every 北安市 object the factories can build, with a document and a reminder."""
    for build in (document_b, action_b, notification_b, outbox_b, token_b):
        build(world)
    return world


def visit_all(app, user, world) -> dict:
    """GET every leak URL as the user; return {url: (status, text)}."""
    from emergency.drills import ics

    client = app.test_client()
    log_in(client, user)
    _token, secret = create_token(user, "leaks")
    feed = ics.issue_token(user)
    db.session.commit()
    answers = {}
    for endpoint, rule, values in LEAK_URLS:
        if endpoint == "calendar.feed":
            values = {"token": feed}
        url = fill(rule, values) + LEAK_QUERIES.get(endpoint, "")
        headers = {"Authorization": f"Bearer {secret}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        answers[(endpoint, url)] = (response.status_code, readable_text(response))
        response.close()
    return answers


def test_no_get_route_without_an_id_shows_the_other_county(app, everything_b):
    world = everything_b
    admin = world.make_user(Role.ADMIN, username="admin_leaks")
    seen_by_admin = {key for key, (_status, text) in visit_all(app, admin, world).items()
                     if any(marker in text for marker in MARKERS)}
    checked = {endpoint for endpoint, _url in seen_by_admin}
    # Control: the markers are really found where 北安市's objects are listed. Routes that show
    # nothing of it even to an administrator are still requested below (no 500, no leak).
    assert {"units.list", "units.export", "plans.list", "plans.export", "drills.calendar",
            "api_units.list_units", "api_plans.list_plans", "api_drills.list_drills",
            "audit.list"} <= checked, sorted(checked)

    problems = []
    for actor in MATRIX_ACTORS:
        for (_endpoint, url), (status, text) in visit_all(app, make_actor(world, actor),
                                                         world).items():
            if status >= 500:
                problems.append(f"{actor} {url}: {status}")
            if actor == "liaison_same_county":
                continue  # 北安市's own region names are legitimately visible to it
            leaked = [marker for marker in MARKERS if marker in text]
            if leaked:
                problems.append(f"{actor} {url}: shows {leaked}")
    assert not problems, "\n".join(problems)
    print(f"\n{len(LEAK_URLS)} GET URLs without ids x {len(MATRIX_ACTORS)} actors; "
          f"{len(seen_by_admin)} of them show 北安市 to an administrator: {sorted(checked)}")
