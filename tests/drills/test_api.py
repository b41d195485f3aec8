"""Drill API: plan -> hold -> documents -> corrective action close/verify through the API alone,
scoping (404) on every id endpoint, roles (403), states (409), translated validation (422),
the annual drill plan with its coverage, and the OpenAPI document."""

import io
from pathlib import Path

import pytest
from babel.support import Translations
from sqlalchemy import select, update

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role
from emergency.compliance.seed import seed_rules
from emergency.documents.models import Document
from emergency.drills.models import ActionEvent, CorrectiveAction, Drill, DrillChange
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.units.models import RiskTag, UnitKind
from tests.documents import files
from tests.factories import count

TODAY = "2025-06-16"
ZH = Translations.load(str(Path(__file__).resolve().parents[2] / "emergency" / "translations"),
                       ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what a Chinese user sees for msgid (the msgid itself until it is translated)."""
    text = ZH.gettext(msgid)
    return text % params if params else text


@pytest.fixture(autouse=True)
def fixed_today(app):
    app.config["TODAY"] = TODAY
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def people(tree, make_unit, make_user, token_for):
    """Two enterprises and a school in 爱辉区, one enterprise in 北安市, their liaisons, office
    staff of both counties and a read-only leader."""
    unit_a = make_unit(tree.town_a, name="黑河市爱辉区兴安化工有限公司",
                       risk_tags={RiskTag.HAZARDOUS_CHEMICALS})
    unit_a2 = make_unit(tree.town_a, name="爱辉区花园热力有限公司")
    school = make_unit(tree.town_a, name="黑河市花园小学", kind=UnitKind.SCHOOL,
                       identifier="2123000001")
    unit_b = make_unit(tree.town_b, name="北安市赵光建材有限公司")
    users = {
        "liaison_a": make_user(Role.LIAISON, unit=unit_a),
        "liaison_a2": make_user(Role.LIAISON, unit=unit_a2),
        "liaison_school": make_user(Role.LIAISON, unit=school),
        "liaison_b": make_user(Role.LIAISON, unit=unit_b),
        "office_a": make_user(Role.OFFICE, region=tree.county_a),
        "office_b": make_user(Role.OFFICE, region=tree.county_b),
        "viewer_a": make_user(Role.VIEWER, region=tree.county_a),
    }
    headers = {name: token_for(user) for name, user in users.items()}
    return {"unit_a": unit_a, "unit_a2": unit_a2, "school": school, "unit_b": unit_b,
            "users": users, **headers}


def create_plan(client, headers, unit, title="兴安化工危险化学品泄漏专项应急预案") -> dict:
    response = client.post("/api/v1/plans", headers=headers, json={
        "unit_id": unit.id, "title": title, "category": "special", "hazard_class": "accident",
        "issued_on": "2025-06-03", "signer_role": "principal"})
    assert response.status_code == 201, response.json
    return response.json


def drill_body(unit, **changes) -> dict:
    body = {"unit_id": unit.id, "title": "危化品储罐泄漏综合应急演练", "planned_on": "2025-07-10",
            "form": "live", "scope": "comprehensive", "purpose": "inspection", "plan_ids": []}
    body.update(changes)
    return body


def create_drill(client, headers, unit, **changes) -> dict:
    response = client.post("/api/v1/drills", headers=headers, json=drill_body(unit, **changes))
    assert response.status_code == 201, response.json
    return response.json


def upload(client, headers, url, name, data, doc_type=None):
    form = {"file": (io.BytesIO(data), name)}
    if doc_type:
        form["doc_type"] = doc_type
    return client.post(url, headers=headers, data=form, content_type="multipart/form-data")


def held_drill(client, people, **held) -> dict:
    """A drill of unit_a recorded as held on 2025-06-13."""
    drill = create_drill(client, people["liaison_a"], people["unit_a"], planned_on="2025-06-13")
    body = {"held_on": "2025-06-13", "duration_minutes": 90, "participants": 120, **held}
    response = client.post(f"/api/v1/drills/{drill['id']}/held", headers=people["liaison_a"],
                           json=body)
    assert response.status_code == 200, response.json
    return response.json


def test_plan_hold_document_and_correct_through_the_api(client, people):
    liaison, office = people["liaison_a"], people["office_a"]
    plan = create_plan(client, liaison, people["unit_a"])
    drill = create_drill(client, liaison, people["unit_a"], plan_ids=[plan["id"]])
    drill_id = drill["id"]
    assert (drill["status"], drill["planned_on"], drill["held_on"]) == (
        "planned", "2025-07-10", None)
    assert drill["plans"] == [{"id": plan["id"], "title": plan["title"]}]
    assert drill["unit_name"] == "黑河市爱辉区兴安化工有限公司"
    assert drill["checklist"] == {
        "required": ["drill_scheme", "drill_assessment", "drill_summary"],
        "missing": ["drill_scheme", "drill_assessment", "drill_summary"]}
    assert (drill["sequence"], drill["version"]) == (0, 1)

    # Edit with the version last read; a second edit with the same (now stale) version is a 409.
    patched = client.patch(f"/api/v1/drills/{drill_id}", headers=liaison,
                           json={"version": 1, "title": "危化品储罐泄漏及火灾综合应急演练"})
    assert patched.status_code == 200, patched.json
    assert patched.json["title"] == "危化品储罐泄漏及火灾综合应急演练"
    assert patched.json["plans"] == drill["plans"]
    assert patched.json["sequence"] == 1
    stale = client.patch(f"/api/v1/drills/{drill_id}", headers=liaison,
                         json={"version": 1, "title": "别人的修改"})
    assert stale.status_code == 409
    assert stale.json["message"] == zh("The record was changed by someone else.")

    moved = client.post(f"/api/v1/drills/{drill_id}/reschedule", headers=liaison,
                        json={"new_date": "2025-06-13", "reason": "配合消防救援大队时间"})
    assert moved.status_code == 200, moved.json
    assert (moved.json["planned_on"], moved.json["sequence"]) == ("2025-06-13", 2)
    changes = [(c["action"], c["old_date"], c["new_date"], c["reason"])
               for c in moved.json["changes"]]
    assert changes == [("rescheduled", "2025-07-10", "2025-06-13", "配合消防救援大队时间")]

    # Findings come from a drill that took place.
    early = client.post(f"/api/v1/drills/{drill_id}/actions", headers=liaison,
                        json={"title": "补充应急照明", "owner": "王工", "due_on": "2025-07-15"})
    assert early.status_code == 409
    assert early.json["message"] == zh(
        "Corrective actions can only be added to a drill that was held.")

    held = client.post(f"/api/v1/drills/{drill_id}/held", headers=liaison, json={
        "held_on": "2025-06-13", "duration_minutes": 90, "participants": 120,
        "reported_on": "2025-06-14", "summary": "演练达到预期目的，发现应急照明不足。"})
    assert held.status_code == 200, held.json
    assert (held.json["status"], held.json["held_on"], held.json["reported_on"]) == (
        "held", "2025-06-13", "2025-06-14")
    assert held.json["changes"][-1]["action"] == "held"
    refused = client.post(f"/api/v1/drills/{drill_id}/cancel", headers=liaison,
                          json={"reason": "不需要了"})
    assert refused.status_code == 409
    assert refused.json["message"] == zh("Only a planned drill can be changed this way.")

    documents = f"/api/v1/drills/{drill_id}/documents"
    for doc_type, name, data in (("drill_scheme", "演练方案.pdf", files.pdf_bytes()),
                                 ("drill_assessment", "演练评估报告.docx", files.docx_bytes()),
                                 ("photo", "现场照片.png", files.png_bytes())):
        uploaded = upload(client, liaison, documents, name, data, doc_type)
        assert uploaded.status_code == 201, uploaded.json
        assert (uploaded.json["drill_id"], uploaded.json["original_name"]) == (drill_id, name)
    detail = client.get(f"/api/v1/drills/{drill_id}", headers=office).json
    assert detail["checklist"]["missing"] == ["drill_summary"]
    assert upload(client, liaison, documents, "演练总结报告.ofd", files.ofd_bytes(),
                  "drill_summary").status_code == 201
    detail = client.get(f"/api/v1/drills/{drill_id}", headers=office).json
    assert detail["checklist"]["missing"] == []
    listed = client.get(documents, headers=office).json
    assert [d["doc_type"] for d in listed] == ["drill_scheme", "drill_assessment", "photo",
                                               "drill_summary"]
    with client.get(listed[0]["content_url"], headers=office) as download:
        assert download.status_code == 200
        assert download.data == files.pdf_bytes()

    action = client.post(f"/api/v1/drills/{drill_id}/actions", headers=liaison, json={
        "title": "补充储罐区应急照明", "owner": "设备科王工", "due_on": "2025-07-15",
        "description": "演练中发现夜间照明不足"})
    assert action.status_code == 201, action.json
    action_id = action.json["id"]
    assert (action.json["status"], action.json["drill_id"], action.json["evidence"]) == (
        "open", drill_id, [])

    no_evidence = client.post(f"/api/v1/actions/{action_id}/close", headers=liaison,
                              json={"note": "已整改"})
    assert no_evidence.status_code == 409
    assert no_evidence.json["message"] == zh(
        "Upload at least one evidence document before closing.")
    evidence = upload(client, liaison, f"/api/v1/actions/{action_id}/documents", "整改照片.jpg",
                      files.jpeg_bytes())
    assert evidence.status_code == 201, evidence.json
    assert (evidence.json["action_id"], evidence.json["doc_type"]) == (action_id, "action_evidence")
    closed = client.post(f"/api/v1/actions/{action_id}/close", headers=liaison,
                         json={"note": "已加装防爆应急灯6盏"})
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closed_on"]) == ("closed", TODAY)
    assert closed.json["closing_note"] == "已加装防爆应急灯6盏"
    assert [d["original_name"] for d in closed.json["evidence"]] == ["整改照片.jpg"]
    late = upload(client, liaison, f"/api/v1/actions/{action_id}/documents", "补充.pdf",
                  files.pdf_bytes())
    assert late.status_code == 409

    assert client.post(f"/api/v1/actions/{action_id}/verify", headers=liaison).status_code == 403
    verified = client.post(f"/api/v1/actions/{action_id}/verify", headers=office)
    assert verified.status_code == 200, verified.json
    assert (verified.json["status"], verified.json["verified_on"]) == ("verified", TODAY)
    assert verified.json["verified_by_id"] == people["users"]["office_a"].id
    assert [e["event"] for e in verified.json["events"]] == ["closed", "verified"]
    again = client.post(f"/api/v1/actions/{action_id}/verify", headers=office)
    assert again.status_code == 409
    assert again.json["message"] == zh(
        "Only a closed corrective action can be verified or reopened.")

    actions = client.get(f"/api/v1/drills/{drill_id}/actions", headers=liaison).json
    assert [(a["id"], a["status"]) for a in actions] == [(action_id, "verified")]
    assert client.get(f"/api/v1/actions/{action_id}", headers=office).json["status"] == "verified"
    # Every step is in the audit log.
    audited = {e.object_type for e in db.session.scalars(select(AuditEntry))}
    assert {"drills", "corrective_actions", "documents"} <= audited


def test_office_reopens_a_closed_action_with_a_comment(client, people):
    liaison, office = people["liaison_a"], people["office_a"]
    drill = held_drill(client, people)
    action = client.post(f"/api/v1/drills/{drill['id']}/actions", headers=liaison, json={
        "title": "修订疏散路线图", "owner": "安全科", "due_on": "2025-06-30"}).json
    upload(client, liaison, f"/api/v1/actions/{action['id']}/documents", "路线图.pdf",
           files.pdf_bytes())
    assert client.post(f"/api/v1/actions/{action['id']}/close", headers=liaison,
                       json={}).status_code == 200
    assert client.post(f"/api/v1/actions/{action['id']}/reopen", headers=liaison,
                       json={"comment": "自己退回"}).status_code == 403
    empty = client.post(f"/api/v1/actions/{action['id']}/reopen", headers=office,
                        json={"comment": "  "})
    assert empty.status_code == 422
    assert empty.json["errors"]["json"]["comment"] == [zh("This field is required.")]
    reopened = client.post(f"/api/v1/actions/{action['id']}/reopen", headers=office,
                           json={"comment": "路线图未标注集合点"})
    assert reopened.status_code == 200
    assert (reopened.json["status"], reopened.json["closed_on"]) == ("open", None)
    assert [(e["event"], e["comment"]) for e in reopened.json["events"]][-1] == (
        "reopened", "路线图未标注集合点")


def test_cancel_and_list_filters(client, people):
    liaison, office = people["liaison_a"], people["office_a"]
    first = create_drill(client, liaison, people["unit_a"], planned_on="2025-07-10")
    second = create_drill(client, people["liaison_a2"], people["unit_a2"], planned_on="2025-03-01",
                          form="tabletop", title="供热管网抢修桌面推演")
    create_drill(client, people["liaison_b"], people["unit_b"], planned_on="2025-05-01")
    old = create_drill(client, liaison, people["unit_a"], planned_on="2024-11-20")
    cancelled = client.post(f"/api/v1/drills/{first['id']}/cancel", headers=liaison,
                            json={"reason": "装置检修，另行安排"})
    assert cancelled.status_code == 200
    assert (cancelled.json["status"], cancelled.json["cancel_reason"]) == ("cancelled",
                                                                          "装置检修，另行安排")
    assert cancelled.json["sequence"] == 1
    assert client.post(f"/api/v1/drills/{first['id']}/reschedule", headers=liaison,
                       json={"new_date": "2025-08-01", "reason": "x"}).status_code == 409
    assert upload(client, liaison, f"/api/v1/drills/{first['id']}/documents", "方案.pdf",
                  files.pdf_bytes(), "drill_scheme").status_code == 409
    edited = client.patch(f"/api/v1/drills/{first['id']}", headers=liaison,
                          json={"version": cancelled.json["version"], "title": "改名"})
    assert edited.status_code == 409
    assert edited.json["message"] == zh("A cancelled drill cannot be changed.")

    def ids(query, headers=office):
        response = client.get(f"/api/v1/drills{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [d["id"] for d in response.json]

    # By date: held day, else planned day; another county never shows.
    assert ids("") == [old["id"], second["id"], first["id"]]
    assert ids("", liaison) == [old["id"], first["id"]]
    assert ids(f"?unit={people['unit_a'].id}") == [old["id"], first["id"]]
    assert ids(f"?unit={people['unit_b'].id}") == []
    assert ids("?year=2025") == [second["id"], first["id"]]
    assert ids("?status=cancelled") == [first["id"]]
    assert ids("?form=tabletop") == [second["id"]]
    assert ids("?year=2025&status=planned") == [second["id"]]
    response = client.get("/api/v1/drills?page_size=1&page=2", headers=office)
    assert [d["id"] for d in response.json] == [second["id"]]
    bad = client.get("/api/v1/drills?status=done&year=abc", headers=office)
    assert bad.status_code == 422
    assert bad.json["errors"]["query"] == {"status": [zh("Not a valid choice.")],
                                           "year": [zh("Not a valid value.")]}


@pytest.fixture
def objects(client, people):
    """A held drill of unit_a with a closed action (evidence uploaded) and a document."""
    liaison = people["liaison_a"]
    drill = held_drill(client, people)
    upload(client, liaison, f"/api/v1/drills/{drill['id']}/documents", "演练方案.pdf",
           files.pdf_bytes(), "drill_scheme")
    action = client.post(f"/api/v1/drills/{drill['id']}/actions", headers=liaison, json={
        "title": "补充应急照明", "owner": "王工", "due_on": "2025-07-15"}).json
    upload(client, liaison, f"/api/v1/actions/{action['id']}/documents", "照片.jpg",
           files.jpeg_bytes())
    client.post(f"/api/v1/actions/{action['id']}/close", headers=liaison, json={})
    return {"drill": drill["id"], "action": action["id"], "unit": people["unit_a"].id}


#: Every id endpoint with a valid body, so that only scoping can refuse it.
ID_ENDPOINTS = [
    ("GET", "/api/v1/drills/{drill}", None),
    ("PATCH", "/api/v1/drills/{drill}", {"json": {"version": 2, "title": "越权修改"}}),
    ("POST", "/api/v1/drills/{drill}/reschedule", {"json": {"new_date": "2025-08-01",
                                                            "reason": "越权"}}),
    ("POST", "/api/v1/drills/{drill}/cancel", {"json": {"reason": "越权"}}),
    ("POST", "/api/v1/drills/{drill}/held", {"json": {"held_on": "2025-06-14"}}),
    ("GET", "/api/v1/drills/{drill}/documents", None),
    ("POST", "/api/v1/drills/{drill}/documents", "drill_document"),
    ("GET", "/api/v1/drills/{drill}/actions", None),
    ("POST", "/api/v1/drills/{drill}/actions", {"json": {"title": "越权", "owner": "某人",
                                                         "due_on": "2025-07-01"}}),
    ("GET", "/api/v1/actions/{action}", None),
    ("POST", "/api/v1/actions/{action}/documents", "evidence"),
    ("POST", "/api/v1/actions/{action}/close", {"json": {"note": "越权"}}),
    ("POST", "/api/v1/actions/{action}/verify", None),
    ("POST", "/api/v1/actions/{action}/reopen", {"json": {"comment": "越权"}}),
    ("GET", "/api/v1/units/{unit}/drill-plan", None),
]


def _send(client, method, url, headers, body):
    if body == "drill_document":
        body = {"data": {"doc_type": "drill_summary", "file": (io.BytesIO(files.pdf_bytes()),
                                                               "越权.pdf")}}
    elif body == "evidence":
        body = {"data": {"file": (io.BytesIO(files.pdf_bytes()), "越权.pdf")}}
    return client.open(url, method=method, headers=headers, **(body or {}))


def _state():
    db.session.rollback()
    return (count(Drill), count(DrillChange), count(CorrectiveAction), count(ActionEvent),
            count(Document),
            tuple(db.session.execute(select(Drill.status, Drill.version, Drill.title)).all()),
            tuple(db.session.execute(select(CorrectiveAction.status)).all()))


@pytest.mark.parametrize(("method", "path", "body"), ID_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _b in ID_ENDPOINTS])
def test_other_county_office_and_other_units_liaison_get_404(client, people, objects, method,
                                                             path, body):
    url = path.format(**objects)
    before = _state()
    for actor in ("office_b", "liaison_a2", "liaison_b"):
        response = _send(client, method, url, people[actor], body)
        assert response.status_code == 404, (actor, response.json)
        assert response.json["message"] == zh(
            "The page or record was not found, or it is outside your scope.")
    assert _state() == before
    # Control: the office in scope is served.
    assert _send(client, "GET" if method == "GET" else method, url, people["office_a"],
                 body).status_code != 404


@pytest.mark.parametrize(("method", "path", "body"),
                         [e for e in ID_ENDPOINTS if e[0] != "GET"],
                         ids=[f"{m} {p}" for m, p, _b in ID_ENDPOINTS if m != "GET"])
def test_a_leader_reads_but_may_not_change(client, people, objects, method, path, body):
    url = path.format(**objects)
    before = _state()
    response = _send(client, method, url, people["viewer_a"], body)
    assert response.status_code == 403
    assert response.json["message"] == zh("You do not have permission to do this.")
    assert _state() == before
    assert client.get(f"/api/v1/drills/{objects['drill']}", headers=people["viewer_a"]
                      ).status_code == 200


def test_a_leader_may_not_create_drills(client, people):
    response = client.post("/api/v1/drills", headers=people["viewer_a"],
                           json=drill_body(people["unit_a"]))
    assert response.status_code == 403
    assert count(Drill) == 0


def test_units_outside_scope_cannot_get_drills(client, people):
    for actor, unit in (("liaison_a", people["unit_a2"]), ("office_b", people["unit_a"])):
        response = client.post("/api/v1/drills", headers=people[actor], json=drill_body(unit))
        assert response.status_code == 422
        assert response.json["errors"]["json"]["unit_id"] == [
            zh("This unit does not exist or is outside your scope.")]
    assert count(Drill) == 0


def test_bad_drill_data_is_422_in_chinese_and_changes_nothing(client, people):
    liaison = people["liaison_a"]
    other_plan = create_plan(client, people["liaison_a2"], people["unit_a2"],
                             title="热力站专项预案")
    response = client.post("/api/v1/drills", headers=liaison, json=drill_body(
        people["unit_a"], plan_ids=[other_plan["id"]], title=" ", planned_on="2035-01-01"))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "plan_ids": [zh("Choose plans of this unit only.")],
        "title": [zh("This field is required.")],
        "planned_on": [zh("The date is not plausible (between 1990 and three years ahead).")],
    }
    response = client.post("/api/v1/drills", headers=liaison, json={
        "unit_id": people["unit_a"].id, "planned_on": "2025-02-30", "form": "game",
        "plan_ids": [2**40], "colour": "red"})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert errors["planned_on"] == [zh("Enter a date as YYYY-MM-DD.")]
    assert errors["form"] == [zh("Not a valid choice.")]
    assert errors["title"] == [zh("This field is required.")]
    assert errors["plan_ids"] == {"0": [zh("Not a valid value.")]}
    assert errors["colour"] == [zh("Unknown field.")]
    assert count(Drill) == 0


def test_held_record_checks_date_evacuation_and_report(client, people):
    school_headers = people["liaison_school"]
    drill = create_drill(client, school_headers, people["school"], title="春季地震应急疏散演练",
                         planned_on="2025-06-10", scope="single")
    url = f"/api/v1/drills/{drill['id']}/held"

    def refused(body) -> dict:
        response = client.post(url, headers=school_headers, json=body)
        assert response.status_code == 422, response.json
        return response.json["errors"]["json"]

    assert refused({"held_on": "2025-06-17"}) == {
        "held_on": [zh("The date cannot be in the future.")]}
    assert refused({"held_on": "2025-06-10", "evacuation_seconds": 7200}) == {
        "evacuation_seconds": [zh("The evacuation time must be between 1 second and 1 hour.")]}
    assert refused({"held_on": "2025-06-10", "evacuation_seconds": 0, "participants": -5}) == {
        "evacuation_seconds": [zh("The evacuation time must be between 1 second and 1 hour.")],
        "participants": [zh("Enter a whole number of at least 1.")]}
    assert refused({"held_on": "2025-06-10", "reported_on": "2025-06-01"}) == {
        "reported_on": [zh("The report date must be between the drill date and today.")]}
    assert refused({"held_on": "2025-06-10", "summary": "长" * 5001}) == {
        "summary": [zh("At most %(max)s characters.", max=5000)]}
    assert refused({"held_on": "2025-06-10", "duration_minutes": 10**30}) == {
        "duration_minutes": [zh("Enter a whole number of at least 1.")]}
    assert refused({"duration_minutes": 60}) == {"held_on": [zh("This field is required.")]}
    detail = client.get(f"/api/v1/drills/{drill['id']}", headers=school_headers).json
    assert (detail["status"], detail["held_on"], detail["version"]) == ("planned", None, 1)

    ok = client.post(url, headers=school_headers, json={"held_on": "2025-06-10",
                                                        "evacuation_seconds": 185})
    assert ok.status_code == 200
    assert ok.json["evacuation_seconds"] == 185

    # Evacuation times are for schools only.
    enterprise = create_drill(client, people["liaison_a"], people["unit_a"],
                              planned_on="2025-06-10")
    response = client.post(f"/api/v1/drills/{enterprise['id']}/held", headers=people["liaison_a"],
                           json={"held_on": "2025-06-10", "evacuation_seconds": 300})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "evacuation_seconds": [zh("The evacuation time is recorded for schools only.")]}


def test_refused_uploads_leave_nothing_behind(app, client, people):
    drill = held_drill(client, people)
    url = f"/api/v1/drills/{drill['id']}/documents"
    fake = upload(client, people["liaison_a"], url, "演练方案.pdf", b"MZ\x90\x00 not a pdf",
                  "drill_scheme")
    assert fake.status_code == 422
    assert fake.json["errors"]["files"]["file"]
    wrong_type = upload(client, people["liaison_a"], url, "预案.pdf", files.pdf_bytes(),
                        "plan_text")
    assert wrong_type.status_code == 422
    assert wrong_type.json["errors"]["form"]["doc_type"] == [zh("Not a valid choice.")]
    no_file = client.post(url, headers=people["liaison_a"], data={"doc_type": "drill_scheme"},
                          content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert count(Document) == 0
    root = Path(app.config["UPLOAD_ROOT"])
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_annual_drill_plan_shows_coverage(client, people):
    seed_rules()
    db.session.commit()
    headers, school = people["liaison_school"], people["school"]
    url = f"/api/v1/units/{school.id}/drill-plan?year=2025"
    before = client.get(url, headers=headers)
    assert before.status_code == 200, before.json
    assert (before.json["unit_id"], before.json["year"], before.json["assessment_date"]) == (
        school.id, 2025, "2025-12-31")
    monthly = {o["period"]: o for o in before.json["uncovered"] if o["rule_code"] == "R8-D"}
    assert "2025-09" in monthly and "2025-08" not in monthly  # no drill owed in the vacation
    assert monthly["2025-09"]["due_on"] == "2025-09-30"

    september = create_drill(client, headers, school, title="秋季开学消防疏散演练",
                             planned_on="2025-09-15", scope="single")
    cancelled = create_drill(client, headers, school, title="十月疏散演练",
                             planned_on="2025-10-15", scope="single")
    client.post(f"/api/v1/drills/{cancelled['id']}/cancel", headers=headers,
                json={"reason": "国庆调休"})
    after = client.get(url, headers=headers).json
    covered = {o["period"]: o for o in after["covered"] if o["rule_code"] == "R8-D"}
    assert covered["2025-09"]["drill_dates"] == ["2025-09-15"]
    uncovered = {o["period"] for o in after["uncovered"] if o["rule_code"] == "R8-D"}
    assert "2025-09" not in uncovered and "2025-10" in uncovered
    drills = {d["id"]: d for d in after["drills"]}
    assert set(drills) == {september["id"], cancelled["id"]}
    assert {"rule_code": "R8-D", "period": "2025-09", "subject": "2025-09"} in \
        drills[september["id"]]["covers"]
    assert drills[cancelled["id"]]["covers"] == []
    assert client.get(f"/api/v1/units/{school.id}/drill-plan?year=1900",
                      headers=headers).status_code == 422
    default_year = client.get(f"/api/v1/units/{school.id}/drill-plan", headers=headers).json
    assert default_year["year"] == 2025


def test_openapi_lists_the_drill_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    expected = {
        "/api/v1/drills": {"get", "post"},
        "/api/v1/drills/{drill_id}": {"get", "patch"},
        "/api/v1/drills/{drill_id}/reschedule": {"post"},
        "/api/v1/drills/{drill_id}/cancel": {"post"},
        "/api/v1/drills/{drill_id}/held": {"post"},
        "/api/v1/units/{unit_id}/drill-plan": {"get"},
        "/api/v1/drills/{drill_id}/documents": {"get", "post"},
        "/api/v1/drills/{drill_id}/actions": {"get", "post"},
        "/api/v1/actions/{action_id}": {"get"},
        "/api/v1/actions/{action_id}/documents": {"post"},
        "/api/v1/actions/{action_id}/close": {"post"},
        "/api/v1/actions/{action_id}/verify": {"post"},
        "/api/v1/actions/{action_id}/reopen": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    upload_body = paths["/api/v1/drills/{drill_id}/documents"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]
    held = paths["/api/v1/drills/{drill_id}/held"]["post"]["requestBody"]["content"]
    assert "application/json" in held
    assert "HeldSchema" in str(held) or "Held" in str(spec["components"]["schemas"])
