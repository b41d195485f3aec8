"""Plan API: the filing loop through the API alone, scoping, roles, validation, uploads, OpenAPI."""

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.support import Translations
from sqlalchemy import func, select, update

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.models import FilingEvent, Plan, PlanVersion
from emergency.units.models import UnitKind
from tests.documents import files
from tests.factories import count

TODAY = "2025-06-16"  # a Monday; the dates below are counted in China's 2025 working days
ISSUED = "2025-06-03"
#: 20 working days after 2025-06-03 (no holiday in between): 办法 第26条 filing deadline.
FILING_DUE = "2025-07-01"
#: 5 working days after the submission on 2025-06-16.
REVIEW_DUE = "2025-06-23"
ZH = Translations.load(str(Path(__file__).resolve().parents[2] / "emergency" / "translations"),
                       ["zh"])


def zh(msgid: str, **params) -> str:
    """Return what a Chinese user sees for msgid, failing if the zh catalog lacks it."""
    text = ZH.gettext(msgid)
    assert text != msgid, f"not translated to Chinese: {msgid!r}"
    return text % params if params else text


@pytest.fixture(autouse=True)
def fixed_today(app):
    app.config["TODAY"] = TODAY


@pytest.fixture(autouse=True)
def break_plan_version_cycle(app):
    """Let the shared teardown empty the tables on SQLite (plans and versions cross-reference)."""
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def people(tree, make_unit, make_user, token_for):
    """An enterprise in 爱辉区 and one in 北安市, each with a liaison, plus office staff and a leader."""
    unit_a = make_unit(tree.town_a, name="黑河市爱辉区兴安化工有限公司", kind=UnitKind.ENTERPRISE)
    unit_b = make_unit(tree.town_b, name="北安市赵光建材有限公司", kind=UnitKind.ENTERPRISE)
    users = {
        "liaison_a": make_user(Role.LIAISON, unit=unit_a),
        "liaison_b": make_user(Role.LIAISON, unit=unit_b),
        "office_a": make_user(Role.OFFICE, region=tree.county_a),
        "office_b": make_user(Role.OFFICE, region=tree.county_b),
        "viewer_a": make_user(Role.VIEWER, region=tree.county_a),
    }
    headers = {name: token_for(user) for name, user in users.items()}
    return {"unit_a": unit_a, "unit_b": unit_b, "users": users, **headers}


def plan_body(unit, **changes) -> dict:
    body = {"unit_id": unit.id, "title": "兴安化工危险化学品泄漏专项应急预案", "category": "special",
            "hazard_class": "accident", "hazard_subtype": "危化品泄漏", "issued_on": ISSUED,
            "signer_role": "principal", "change_summary": "首次编制", "is_major": True}
    body.update(changes)
    return body


def create_plan(client, headers, unit, **changes) -> dict:
    response = client.post("/api/v1/plans", json=plan_body(unit, **changes), headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def upload(client, headers, version_id, doc_type, name, data):
    return client.post(f"/api/v1/versions/{version_id}/documents", headers=headers,
                       data={"doc_type": doc_type, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_liaison_and_office_complete_the_filing_loop_through_the_api(app, client, people):
    liaison, office = people["liaison_a"], people["office_a"]
    plan = create_plan(client, liaison, people["unit_a"])
    version_id = plan["current_version"]["id"]
    assert plan["current_version"]["filing_state"] == "draft"
    assert plan["current_version"]["filing_due_on"] == FILING_DUE
    assert plan["current_version"]["filing_due_estimated"] is False

    version = client.get(f"/api/v1/versions/{version_id}", headers=liaison).json
    assert version["checklist"] == {
        "required": ["filing_form", "plan_text", "risk_assessment"],
        "missing": ["filing_form", "plan_text", "risk_assessment"],
    }

    plan_text = files.docx_bytes()
    assert upload(client, liaison, version_id, "filing_form", "应急预案备案申报表.pdf",
                  files.pdf_bytes()).status_code == 201
    uploaded = upload(client, liaison, version_id, "plan_text", "危化品泄漏专项应急预案.docx",
                      plan_text)
    assert uploaded.status_code == 201
    assert uploaded.json["original_name"] == "危化品泄漏专项应急预案.docx"
    assert uploaded.json["kind"] == "docx"

    refused = client.post(f"/api/v1/versions/{version_id}/submit", headers=liaison)
    assert refused.status_code == 409
    missing = zh("Risk assessment and emergency resource survey")
    assert refused.json["message"] == zh("Required documents are missing: %(missing)s.",
                                         missing=missing)
    assert client.get(f"/api/v1/versions/{version_id}", headers=liaison).json[
        "filing_state"] == "draft"

    assert upload(client, liaison, version_id, "risk_assessment", "风险评估报告.ofd",
                  files.ofd_bytes()).status_code == 201
    # An evaluation concluding "revise" opens a revision item that filing will close.
    evaluation = client.post(f"/api/v1/plans/{plan['id']}/evaluations", headers=liaison,
                             json={"evaluated_on": "2025-06-10", "conclusion": "revise",
                                   "summary": "组织机构调整，需修订"})
    assert evaluation.status_code == 201
    submitted = client.post(f"/api/v1/versions/{version_id}/submit", headers=liaison)
    assert submitted.status_code == 200
    assert submitted.json["filing_state"] == "submitted"
    assert submitted.json["submitted_on"] == TODAY
    assert submitted.json["review_due_on"] == REVIEW_DUE
    assert submitted.json["checklist"]["missing"] == []

    returned = client.post(f"/api/v1/versions/{version_id}/return", headers=office,
                           json={"reasons": ["missing_documents", "no_review"],
                                 "comment": "请补充专家评审意见"})
    assert returned.status_code == 200
    assert returned.json["filing_state"] == "returned"

    # The liaison sees why, uploads what was asked for and submits again.
    seen = client.get(f"/api/v1/versions/{version_id}", headers=liaison).json
    last = seen["events"][-1]
    assert (last["action"], last["reasons"], last["comment"]) == (
        "returned", ["missing_documents", "no_review"], "请补充专家评审意见")
    assert last["actor_name"] == people["users"]["office_a"].display_name
    assert upload(client, liaison, version_id, "review_opinion", "专家评审意见.pdf",
                  files.pdf_bytes()).status_code == 201
    assert client.post(f"/api/v1/versions/{version_id}/submit",
                       headers=liaison).json["filing_state"] == "submitted"

    filed = client.post(f"/api/v1/versions/{version_id}/file", headers=office)
    assert filed.status_code == 200
    assert filed.json["filing_state"] == "filed"
    assert filed.json["filed_on"] == TODAY
    assert re.fullmatch(r"\d{6}-\d{4}-\d{4}", filed.json["filing_number"])
    assert filed.json["filing_number"] == "231102-2025-0001"
    assert [e["action"] for e in filed.json["events"]] == [
        "submitted", "returned", "submitted", "filed"]

    detail = client.get(f"/api/v1/plans/{plan['id']}", headers=liaison).json
    assert detail["current_version"]["filing_number"] == "231102-2025-0001"
    revisions = client.get(f"/api/v1/plans/{plan['id']}/revisions", headers=liaison).json
    assert [(r["trigger"], r["closed_on"], r["closed_by_version_id"]) for r in revisions] == [
        ("evaluation", TODAY, version_id)]
    listed = client.get("/api/v1/plans?state=filed", headers=office).json
    assert [p["id"] for p in listed] == [plan["id"]]

    # The office downloads the plan text: original Chinese name, same bytes, audited.
    document_id = uploaded.json["id"]
    with client.get(f"/api/v1/documents/{document_id}/content", headers=office) as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        content = response.data
    assert "attachment" in disposition
    assert f"filename*=UTF-8''{quote('危化品泄漏专项应急预案.docx')}" in disposition
    assert hashlib.sha256(content).hexdigest() == hashlib.sha256(plan_text).hexdigest()
    metadata = client.get(f"/api/v1/documents/{document_id}", headers=office).json
    assert metadata["sha256"] == hashlib.sha256(plan_text).hexdigest()
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert [(a.object_id, a.user_id, a.object_label) for a in audit] == [
        (document_id, people["users"]["office_a"].id, "危化品泄漏专项应急预案.docx")]


def _everything_of_one_plan(client, people) -> dict:
    """Create, as liaison A, a plan with a version, a document and an evaluation."""
    liaison = people["liaison_a"]
    plan = create_plan(client, liaison, people["unit_a"])
    version_id = plan["current_version"]["id"]
    document = upload(client, liaison, version_id, "plan_text", "预案.pdf", files.pdf_bytes()).json
    client.post(f"/api/v1/plans/{plan['id']}/evaluations", headers=liaison,
                json={"evaluated_on": "2025-06-10", "conclusion": "keep"})
    return {"plan": plan, "version_id": version_id, "document_id": document["id"]}


def _id_requests(ids) -> list[tuple[str, str, dict]]:
    p, v, d = ids["plan"]["id"], ids["version_id"], ids["document_id"]
    return [
        ("GET", f"/api/v1/plans/{p}", {}),
        ("PATCH", f"/api/v1/plans/{p}", {"json": {"version": ids["plan"]["version"],
                                                  "title": "篡改后的标题"}}),
        ("GET", f"/api/v1/plans/{p}/versions", {}),
        ("POST", f"/api/v1/plans/{p}/versions", {"json": {"issued_on": ISSUED,
                                                         "signer_role": "principal"}}),
        ("GET", f"/api/v1/plans/{p}/evaluations", {}),
        ("POST", f"/api/v1/plans/{p}/evaluations", {"json": {"evaluated_on": ISSUED,
                                                            "conclusion": "revise"}}),
        ("GET", f"/api/v1/plans/{p}/revisions", {}),
        ("POST", f"/api/v1/plans/{p}/revisions", {"json": {"trigger": "law_changed"}}),
        ("GET", f"/api/v1/versions/{v}", {}),
        ("POST", f"/api/v1/versions/{v}/documents", {
            "data": {"doc_type": "filing_form", "file": (io.BytesIO(files.pdf_bytes()), "x.pdf")},
            "content_type": "multipart/form-data"}),
        ("POST", f"/api/v1/versions/{v}/submit", {}),
        ("POST", f"/api/v1/versions/{v}/file", {}),
        ("POST", f"/api/v1/versions/{v}/return", {"json": {"reasons": ["other"]}}),
        ("GET", f"/api/v1/documents/{d}", {}),
        ("GET", f"/api/v1/documents/{d}/content", {}),
    ]


@pytest.mark.parametrize("outsider", ["liaison_b", "office_b"])
def test_other_unit_liaison_and_other_county_office_get_404_on_every_id_endpoint(
        app, client, people, outsider):
    ids = _everything_of_one_plan(client, people)
    before = (count(PlanVersion), count(Document), count(FilingEvent), len(stored_files(app)))
    for method, url, kwargs in _id_requests(ids):
        with client.open(url, method=method, headers=people[outsider], **kwargs) as response:
            assert response.status_code == 404, (method, url, response.status_code)
    assert (count(PlanVersion), count(Document), count(FilingEvent),
            len(stored_files(app))) == before
    assert db.session.get(Plan, ids["plan"]["id"]).title == "兴安化工危险化学品泄漏专项应急预案"
    assert client.get("/api/v1/plans", headers=people[outsider]).json == []
    # The same reads work for the office of the plan's own county: the URLs are right.
    for method, url, _kwargs in _id_requests(ids):
        if method == "GET":
            with client.get(url, headers=people["office_a"]) as response:
                assert response.status_code == 200, url


def test_liaison_cannot_file_or_return_and_leader_cannot_change_anything(app, client, people):
    ids = _everything_of_one_plan(client, people)
    v = ids["version_id"]
    for doc_type, name, data in (("filing_form", "申报表.pdf", files.pdf_bytes()),
                                 ("risk_assessment", "风险评估.pdf", files.pdf_bytes())):
        assert upload(client, people["liaison_a"], v, doc_type, name, data).status_code == 201
    assert client.post(f"/api/v1/versions/{v}/submit",
                       headers=people["liaison_a"]).status_code == 200

    filing = client.post(f"/api/v1/versions/{v}/file", headers=people["liaison_a"])
    assert filing.status_code == 403
    assert filing.json["message"] == zh("You do not have permission to do this.")
    assert client.post(f"/api/v1/versions/{v}/return", headers=people["liaison_a"],
                       json={"reasons": ["other"]}).status_code == 403
    version = client.get(f"/api/v1/versions/{v}", headers=people["liaison_a"]).json
    assert (version["filing_state"], version["filing_number"]) == ("submitted", None)

    leader = people["viewer_a"]
    assert client.get(f"/api/v1/plans/{ids['plan']['id']}", headers=leader).status_code == 200
    assert client.patch(f"/api/v1/plans/{ids['plan']['id']}", headers=leader,
                        json={"version": ids["plan"]["version"], "title": "改"}).status_code == 403
    assert client.post(f"/api/v1/versions/{v}/file", headers=leader).status_code == 403
    assert client.post("/api/v1/plans", headers=leader,
                       json=plan_body(people["unit_a"])).status_code == 403
    assert count(Plan) == 1


def test_submitting_twice_is_a_conflict_and_so_is_a_new_version_under_review(app, client, people):
    liaison = people["liaison_a"]
    ids = _everything_of_one_plan(client, people)
    v = ids["version_id"]
    for doc_type in ("filing_form", "risk_assessment"):
        upload(client, liaison, v, doc_type, "材料.pdf", files.pdf_bytes())
    assert client.post(f"/api/v1/versions/{v}/submit", headers=liaison).status_code == 200

    again = client.post(f"/api/v1/versions/{v}/submit", headers=liaison)
    assert again.status_code == 409
    assert again.json["message"] == zh("This action is not possible in the current filing state.")
    assert db.session.scalar(select(func.count()).select_from(FilingEvent)
                             .where(FilingEvent.action == "submitted")) == 1

    new_version = client.post(f"/api/v1/plans/{ids['plan']['id']}/versions", headers=liaison,
                              json={"issued_on": TODAY, "signer_role": "principal"})
    assert new_version.status_code == 409
    late_upload = upload(client, liaison, v, "other", "补充.pdf", files.pdf_bytes())
    assert late_upload.status_code == 409
    assert late_upload.json["message"] == zh("Documents can only be added before submission.")
    assert count(PlanVersion) == 1


@pytest.mark.parametrize("issued_on, message", [
    ("2025-06-17", "The date cannot be in the future."),
    ("1989-12-31", "The date cannot be before 1990."),
], ids=["future", "before-1990"])
def test_issue_date_in_the_future_or_before_1990_is_refused(app, client, people, issued_on,
                                                           message):
    response = client.post("/api/v1/plans", headers=people["liaison_a"],
                           json=plan_body(people["unit_a"], issued_on=issued_on))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"issued_on": [zh(message)]}
    assert count(Plan) == 0

    plan = create_plan(client, people["liaison_a"], people["unit_a"])
    version = client.post(f"/api/v1/plans/{plan['id']}/versions", headers=people["liaison_a"],
                          json={"issued_on": issued_on, "signer_role": "principal"})
    assert version.status_code == 422
    assert version.json["errors"]["json"] == {"issued_on": [zh(message)]}
    assert count(PlanVersion) == 1


def test_bad_plan_data_is_explained_field_by_field(app, client, people):
    liaison = people["liaison_a"]
    response = client.post("/api/v1/plans", headers=liaison, json={
        "unit_id": people["unit_a"].id, "category": "secret", "hazard_class": "accident",
        "issued_on": ISSUED, "signer_role": "principal"})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"title": [zh("This field is required.")],
                                               "category": [zh("Not a valid choice.")]}

    outside = client.post("/api/v1/plans", headers=liaison, json=plan_body(people["unit_b"]))
    assert outside.status_code == 422
    assert outside.json["errors"]["json"] == {
        "unit_id": [zh("This unit does not exist or is outside your scope.")]}

    not_a_date = client.post("/api/v1/plans", headers=liaison,
                             json=plan_body(people["unit_a"], issued_on="2025-02-30"))
    assert not_a_date.status_code == 422
    assert not_a_date.json["errors"]["json"] == {"issued_on": [zh("Enter a date as YYYY-MM-DD.")]}

    long_subtype = client.post("/api/v1/plans", headers=liaison,
                               json=plan_body(people["unit_a"], hazard_subtype="洪" * 31))
    assert long_subtype.status_code == 422
    assert long_subtype.json["errors"]["json"] == {
        "hazard_subtype": [zh("At most %(max)s characters.", max=30)]}
    assert count(Plan) == 0


def test_api_answers_in_the_language_saved_for_the_token_user(app, client, people, make_user,
                                                              token_for):
    english = token_for(make_user(Role.LIAISON, unit=people["unit_a"], locale="en"))
    response = client.post("/api/v1/plans", headers=english,
                           json=plan_body(people["unit_a"], issued_on="2025-06-17"))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"issued_on": ["The date cannot be in the future."]}
    chinese = client.post("/api/v1/plans", headers=people["liaison_a"],
                          json=plan_body(people["unit_a"], issued_on="2025-06-17"))
    assert chinese.json["errors"]["json"] == {
        "issued_on": [zh("The date cannot be in the future.")]}


def test_return_needs_a_known_reason(app, client, people):
    ids = _everything_of_one_plan(client, people)
    v = ids["version_id"]
    for doc_type in ("filing_form", "risk_assessment"):
        upload(client, people["liaison_a"], v, doc_type, "材料.pdf", files.pdf_bytes())
    client.post(f"/api/v1/versions/{v}/submit", headers=people["liaison_a"])

    empty = client.post(f"/api/v1/versions/{v}/return", headers=people["office_a"],
                        json={"reasons": [], "comment": "不行"})
    assert empty.status_code == 422
    assert empty.json["errors"]["json"] == {"reasons": [zh("Choose at least one reason.")]}
    unknown = client.post(f"/api/v1/versions/{v}/return", headers=people["office_a"],
                          json={"reasons": ["bad_mood"]})
    assert unknown.status_code == 422
    assert unknown.json["errors"]["json"]["reasons"] == {"0": [zh("Not a valid choice.")]}
    assert client.get(f"/api/v1/versions/{v}",
                      headers=people["office_a"]).json["filing_state"] == "submitted"


def test_patch_needs_the_current_version(app, client, people):
    liaison = people["liaison_a"]
    plan = create_plan(client, liaison, people["unit_a"])
    url = f"/api/v1/plans/{plan['id']}"

    missing = client.patch(url, headers=liaison, json={"title": "无版本号"})
    assert missing.status_code == 422
    assert missing.json["errors"]["json"] == {"version": [zh("This field is required.")]}

    saved = client.patch(url, headers=liaison, json={"version": plan["version"],
                                                     "title": "兴安化工泄漏事故专项应急预案"})
    assert saved.status_code == 200
    assert saved.json["title"] == "兴安化工泄漏事故专项应急预案"
    assert saved.json["category"] == "special"
    assert saved.json["version"] == plan["version"] + 1

    stale = client.patch(url, headers=people["office_a"],
                         json={"version": plan["version"], "title": "过期的修改"})
    assert stale.status_code == 409
    assert stale.json["message"] == zh("The record was changed by someone else.")
    assert client.get(url, headers=liaison).json["title"] == "兴安化工泄漏事故专项应急预案"


@pytest.mark.parametrize("name, data, detected", [
    ("应急预案.pdf", files.pe_bytes(), "EXE"),
    ("现场照片.jpg", files.html_bytes(), "HTML"),
    ("预案文本.docx", files.plain_zip_bytes(), "ZIP"),
], ids=["exe-named-pdf", "html-named-jpg", "zip-named-docx"])
def test_disguised_files_are_refused_and_nothing_is_kept(app, client, people, name, data,
                                                        detected):
    plan = create_plan(client, people["liaison_a"], people["unit_a"])
    response = upload(client, people["liaison_a"], plan["current_version"]["id"], "plan_text",
                      name, data)
    assert response.status_code == 422
    expected = zh("The file content does not match its extension: the content is %(detected)s.",
                  detected=detected)
    assert response.json["message"] == expected
    assert response.json["errors"] == {"files": {"file": [expected]}}
    assert count(Document) == 0
    assert stored_files(app) == []


def test_upload_over_the_size_limit_gets_413_and_keeps_nothing(app, client, people):
    plan = create_plan(client, people["liaison_a"], people["unit_a"])
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big_pdf = files.pdf_bytes() + b"%" + bytes(100 * 1024)
    response = upload(client, people["liaison_a"], plan["current_version"]["id"], "plan_text",
                      "大文件.pdf", big_pdf)
    assert response.status_code == 413
    assert response.json["message"] == zh("The upload is larger than the allowed size.")
    assert count(Document) == 0
    assert stored_files(app) == []


def test_upload_without_a_file_or_with_an_unknown_type_is_refused(app, client, people):
    plan = create_plan(client, people["liaison_a"], people["unit_a"])
    url = f"/api/v1/versions/{plan['current_version']['id']}/documents"
    no_file = client.post(url, headers=people["liaison_a"], data={"doc_type": "plan_text"},
                          content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert no_file.json["errors"] == {"files": {"file": [zh("This field is required.")]}}
    bad_type = upload(client, people["liaison_a"], plan["current_version"]["id"], "photo",
                      "预案.pdf", files.pdf_bytes())
    assert bad_type.status_code == 422
    assert bad_type.json["errors"] == {"form": {"doc_type": [zh("Not a valid choice.")]}}
    assert count(Document) == 0
    assert stored_files(app) == []


def test_plan_list_filters_and_pages_within_scope(app, client, people):
    liaison = people["liaison_a"]
    for title in ("兴安化工防汛应急预案", "兴安化工火灾现场处置方案", "兴安化工综合应急预案"):
        create_plan(client, liaison, people["unit_a"], title=title)
    create_plan(client, people["liaison_b"], people["unit_b"], title="赵光建材综合应急预案")

    first = client.get("/api/v1/plans?page=1&page_size=2", headers=people["office_a"])
    assert first.status_code == 200
    assert len(first.json) == 2
    assert '"total": 3' in first.headers["X-Pagination"]
    found = client.get("/api/v1/plans?q=火灾", headers=people["office_a"]).json
    assert [p["title"] for p in found] == ["兴安化工火灾现场处置方案"]
    city_wide = client.get("/api/v1/plans?q=综合", headers=people["office_b"]).json
    assert [p["title"] for p in city_wide] == ["赵光建材综合应急预案"]
    assert client.get("/api/v1/plans?state=filed", headers=people["office_a"]).json == []
    bad = client.get("/api/v1/plans?state=lost", headers=people["office_a"])
    assert bad.status_code == 422
    assert bad.json["errors"]["query"] == {"state": [zh("Not a valid choice.")]}


def test_evaluations_and_revisions_are_recorded(app, client, people):
    liaison = people["liaison_a"]
    plan = create_plan(client, liaison, people["unit_a"])
    url = f"/api/v1/plans/{plan['id']}"
    future = client.post(f"{url}/evaluations", headers=liaison,
                         json={"evaluated_on": "2025-06-17", "conclusion": "keep"})
    assert future.status_code == 422
    assert future.json["errors"]["json"] == {
        "evaluated_on": [zh("The date cannot be in the future.")]}
    assert client.post(f"{url}/evaluations", headers=liaison,
                       json={"evaluated_on": "2025-06-12", "conclusion": "keep",
                             "summary": "预案内容适用"}).status_code == 201
    raised = client.post(f"{url}/revisions", headers=liaison,
                         json={"trigger": "law_changed", "note": "《突发事件应对法》修订"})
    assert raised.status_code == 201
    assert raised.json["raised_on"] == TODAY
    evaluations = client.get(f"{url}/evaluations", headers=people["office_a"]).json
    assert [(e["evaluated_on"], e["conclusion"]) for e in evaluations] == [("2025-06-12", "keep")]
    revisions = client.get(f"{url}/revisions", headers=people["office_a"]).json
    assert [(r["trigger"], r["closed_on"]) for r in revisions] == [("law_changed", None)]


def test_openapi_document_lists_the_plan_api(client):
    spec = client.get("/api/v1/openapi.json").json
    expected = {
        "/api/v1/plans": {"get", "post"},
        "/api/v1/plans/{plan_id}": {"get", "patch"},
        "/api/v1/plans/{plan_id}/versions": {"get", "post"},
        "/api/v1/plans/{plan_id}/evaluations": {"get", "post"},
        "/api/v1/plans/{plan_id}/revisions": {"get", "post"},
        "/api/v1/versions/{version_id}": {"get"},
        "/api/v1/versions/{version_id}/documents": {"post"},
        "/api/v1/versions/{version_id}/submit": {"post"},
        "/api/v1/versions/{version_id}/file": {"post"},
        "/api/v1/versions/{version_id}/return": {"post"},
        "/api/v1/documents/{document_id}": {"get"},
        "/api/v1/documents/{document_id}/content": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"][path]), path
    upload_body = spec["paths"]["/api/v1/versions/{version_id}/documents"]["post"]["requestBody"]
    form = upload_body["content"]["multipart/form-data"]["schema"]
    properties = spec["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]["properties"]
    assert properties["file"] == {**properties["file"], "type": "string", "format": "binary"}
    assert "doc_type" in properties
