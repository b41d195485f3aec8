"""The filing loop through the web: register, upload, checklist, submit, return, resubmit, file."""

import hashlib
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.models import FilingEvent, FilingState
from tests.documents.files import PLAN_TITLE, docx_bytes, pdf_bytes
from tests.plans.conftest import (
    current_version,
    file_version,
    new_plan,
    plan_id_of,
    register_plan,
    return_version,
    submit,
    submitted_plan,
    text_of,
    upload,
    upload_all,
    zh,
)

DOCX_NAME = f"{PLAN_TITLE}.docx"  # 某某镇防汛应急预案（2025年修订）.docx
STORED_PATH = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}$")


def checklist_line(doc_label: str, missing: bool) -> str:
    return f"✗ {doc_label} · {zh('missing')}" if missing else f"✓ {doc_label}"


def test_filing_loop_from_registration_to_receipt(app, units, client_for, liaison, office_a):
    school = units["school"]
    teacher = client_for(liaison(school))
    office = client_for(office_a)
    docx = docx_bytes()

    # The liaison registers the plan with its issue date, a deputy's signature and the DOCX.
    assert teacher.get(f"/plans/new/{school.id}").status_code == 200
    response = register_plan(teacher, school, title="花园小学防汛应急预案", signer_role="deputy",
                             issued_on="2026-11-02", document=(DOCX_NAME, docx))
    plan_id = plan_id_of(response)
    page = text_of(teacher.get(f"/plans/{plan_id}"))
    assert "花园小学防汛应急预案" in page
    assert zh("The 2024 rules require the principal to sign plans of units and basic-level "
              "organisations (办法2024 第25条).") in page
    # 20 working days after Mon 11-02: 11-03..06, 11-09..13, 11-16..20, 11-23..27, 11-30.
    assert "2026年11月30日" in page
    assert DOCX_NAME in page
    assert hashlib.sha256(docx).hexdigest() in page

    document = db.session.scalars(select(Document)).one()
    assert document.original_name == DOCX_NAME
    assert STORED_PATH.match(document.stored_path)
    assert (Path(app.config["UPLOAD_ROOT"]) / document.stored_path).read_bytes() == docx
    assert document.sha256 == hashlib.sha256(docx).hexdigest()
    version = current_version(plan_id)
    assert version.issued_on == date(2026, 11, 2)
    assert version.filing_due_on == date(2026, 11, 30)

    # The checklist shows what is missing, and submitting is refused until it is complete.
    assert checklist_line(zh("Filing application form"), missing=True) in page
    assert checklist_line(zh("Plan text"), missing=False) in page
    response = submit(teacher, version.id)
    assert response.status_code == 409
    assert zh("Required documents are missing: %(missing)s.",
              missing=zh("Filing application form")) in text_of(response)
    assert current_version(plan_id).filing_state == FilingState.DRAFT
    assert db.session.scalars(select(FilingEvent)).all() == []

    assert upload(teacher, version.id, "filing_form", "备案申报表.pdf", pdf_bytes()).status_code == 302
    page = text_of(teacher.get(f"/plans/{plan_id}"))
    assert checklist_line(zh("Filing application form"), missing=False) in page
    assert submit(teacher, version.id).status_code == 302
    version = current_version(plan_id)
    assert version.filing_state == FilingState.SUBMITTED
    assert version.submitted_on == date(2026, 11, 20)
    assert version.review_due_on == date(2026, 11, 27)  # Fri 11-20 + 5: 11-23..27

    # The office returns it with reasons and a comment; the liaison reads them on the plan page.
    response = return_version(office, version.id, ["missing_documents", "wrong_signer"],
                              "请补充校长签发的正式文本后重新报送。")
    assert response.status_code == 302
    assert current_version(plan_id).filing_state == FilingState.RETURNED
    page = text_of(teacher.get(f"/plans/{plan_id}"))
    assert zh("Returned by the office:") in page
    assert f"{zh('Documents incomplete')}；{zh('Not signed by the required person')}" in page
    assert "请补充校长签发的正式文本后重新报送。" in page

    # A corrected file, a second submission, and the office files it.
    corrected = docx_bytes("花园小学防汛应急预案（校长签发）")
    response = upload(teacher, version.id, "plan_text", "花园小学防汛应急预案（校长签发）.docx",
                      corrected)
    assert response.status_code == 302
    assert submit(teacher, version.id).status_code == 302
    assert current_version(plan_id).filing_state == FilingState.SUBMITTED
    response = file_version(office, version.id)
    assert response.status_code == 302
    version = current_version(plan_id)
    assert version.filing_state == FilingState.FILED
    assert version.filed_on == date(2026, 11, 20)
    assert version.filing_number == "231102-2026-0001"
    page = text_of(teacher.get(f"/plans/{plan_id}"))
    assert "231102-2026-0001" in page
    assert zh("Filed") in page

    receipt = teacher.get(f"/plans/versions/{version.id}/receipt")
    assert receipt.status_code == 200
    receipt_text = text_of(receipt)
    assert zh("Emergency plan filing receipt") in receipt_text
    assert "231102-2026-0001" in receipt_text
    assert "花园小学" in receipt_text and office_a.display_name in receipt_text

    actions = [e.action for e in db.session.scalars(
        select(FilingEvent).where(FilingEvent.version_id == version.id).order_by(FilingEvent.id))]
    assert actions == ["submitted", "returned", "submitted", "filed"]


def test_review_queue_lists_submissions_by_review_deadline(app, units, client_for, liaison,
                                                           office_a):
    school_client = client_for(liaison(units["school"]))
    factory_client = client_for(liaison(units["enterprise"]))
    later = submitted_plan(school_client, units["school"], "school", title="花园小学地震应急预案")
    app.config["TODAY"] = "2026-11-18"  # Wed: review due Wed 11-25, before the school's 11-27
    sooner = submitted_plan(factory_client, units["enterprise"], "enterprise",
                            title="爱辉机械厂综合应急预案", category="overall")
    app.config["TODAY"] = "2026-11-20"

    page = text_of(client_for(office_a).get("/plans/review"))
    assert page.index(sooner.title) < page.index(later.title)
    assert page.index("2026年11月25日") < page.index("2026年11月27日")
    # The liaison cannot open the office's queue.
    assert school_client.get("/plans/review").status_code == 403


def test_filing_numbers_count_up_per_county_and_year(app, units, client_for, liaison, office_a,
                                                     office_b):
    school_client = client_for(liaison(units["school"]))
    factory_client = client_for(liaison(units["enterprise"]))
    mine_client = client_for(liaison(units["b_enterprise"]))
    first = submitted_plan(school_client, units["school"], "school")
    second = submitted_plan(factory_client, units["enterprise"], "enterprise")
    other_county = submitted_plan(mine_client, units["b_enterprise"], "b_enterprise")
    assert file_version(client_for(office_a), first.current_version_id).status_code == 302
    assert file_version(client_for(office_b), other_county.current_version_id).status_code == 302
    assert file_version(client_for(office_a), second.current_version_id).status_code == 302

    assert current_version(first.id).filing_number == "231102-2026-0001"
    assert current_version(second.id).filing_number == "231102-2026-0002"
    assert current_version(other_county.id).filing_number == "231181-2026-0001"
    receipt = client_for(office_a).get(f"/plans/versions/{second.current_version_id}/receipt")
    assert "231102-2026-0002" in text_of(receipt)

    # A new year starts a new sequence.
    app.config["TODAY"] = "2027-01-05"
    third = submitted_plan(school_client, units["school"], "school", title="花园小学消防应急预案")
    assert file_version(client_for(office_a), third.current_version_id).status_code == 302
    assert current_version(third.id).filing_number == "231102-2027-0001"


def test_download_keeps_the_chinese_name_and_bytes_and_is_audited(app, units, client_for,
                                                                  liaison, office_a):
    school = units["school"]
    teacher = client_for(liaison(school))
    docx = docx_bytes()
    plan = new_plan(teacher, school, document=(DOCX_NAME, docx))
    document = db.session.scalars(select(Document)).one()

    response = client_for(office_a).get(f"/documents/{document.id}/download")
    body = response.get_data()
    response.close()  # the body is a file; a WSGI server closes it after sending
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(DOCX_NAME)}" in disposition
    assert "%EF%BC%88" in disposition  # the full-width bracket （ survives, percent-encoded
    assert hashlib.sha256(body).hexdigest() == document.sha256
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download")).all()
    assert [(e.object_type, e.object_id, e.user_id, e.object_label) for e in entries] == [
        ("documents", document.id, office_a.id, DOCX_NAME)]
    assert document.plan_version_id == plan.current_version_id


def test_download_outside_scope_is_404_and_not_audited(app, units, client_for, liaison, office_b):
    teacher = client_for(liaison(units["school"]))
    new_plan(teacher, units["school"], document=(DOCX_NAME, docx_bytes()))
    document = db.session.scalars(select(Document)).one()
    response = client_for(office_b).get(f"/documents/{document.id}/download")
    assert response.status_code == 404
    assert zh("The page or record was not found, or it is outside your scope.") in text_of(response)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download")).all() == []


def checklist_of(client, plan_id: int) -> dict[str, bool]:
    """Return {document label: missing?} from the checklist on the plan page."""
    page = text_of(client.get(f"/plans/{plan_id}"))
    section = page.split(zh("Filing checklist"), 1)[1].split("</ul>", 1)[0]
    items = re.findall(r'<span class="text-(danger|success)">[✗✓] ([^<·]+?)(?: · [^<]*)?</span>',
                       section)
    return {label: cls == "danger" for cls, label in items}


def test_enterprise_checklist_asks_for_review_opinion_only_for_high_risk(units, client_for,
                                                                         liaison):
    plain = new_plan(client_for(liaison(units["enterprise"])), units["enterprise"],
                     category="overall")
    risky = new_plan(client_for(liaison(units["chemical"])), units["chemical"],
                     category="overall")
    base = [zh("Filing application form"), zh("Plan text"),
            zh("Risk assessment and emergency resource survey")]
    assert list(checklist_of(client_for(liaison(units["enterprise"])), plain.id)) == base
    assert list(checklist_of(client_for(liaison(units["chemical"])), risky.id)) == [
        base[0], zh("Expert review opinion"), *base[1:]]


def test_government_department_needs_issued_text_and_drafting_notes(units, client_for, liaison):
    client = client_for(liaison(units["department"]))
    plan = new_plan(client, units["department"], category="department")
    assert checklist_of(client, plan.id) == {zh("Officially issued text"): True,
                                             zh("Drafting notes"): True}
    upload_all(client, plan.current_version_id, ["issued_text"])
    assert checklist_of(client, plan.id) == {zh("Officially issued text"): False,
                                             zh("Drafting notes"): True}


def test_signature_warning_depends_on_signer_and_unit(units, client_for, liaison):
    warning = zh("The 2024 rules require the principal to sign plans of units and basic-level "
                 "organisations (办法2024 第25条).")
    school_client = client_for(liaison(units["school"]))
    principal = new_plan(school_client, units["school"], signer_role="principal")
    assert warning not in text_of(school_client.get(f"/plans/{principal.id}"))
    department_client = client_for(liaison(units["department"]))
    deputy = new_plan(department_client, units["department"], signer_role="deputy",
                      category="department")
    assert warning not in text_of(department_client.get(f"/plans/{deputy.id}"))


def test_plan_page_says_whether_the_submission_was_in_time(app, units, client_for, liaison):
    factory = client_for(liaison(units["enterprise"]))
    # Issued on National Day 2026-10-01: due 2026-11-03; submitted 11-20, so late.
    late = submitted_plan(factory, units["enterprise"], "enterprise", title="迟报的预案",
                          issued_on="2026-10-01")
    in_time = submitted_plan(factory, units["enterprise"], "enterprise", title="按期的预案",
                             issued_on="2026-11-02")
    late_page = text_of(factory.get(f"/plans/{late.id}"))
    assert zh("Submitted late") in late_page and zh("Submitted in time") not in late_page
    assert "2026年11月3日" in late_page
    in_time_page = text_of(factory.get(f"/plans/{in_time.id}"))
    assert zh("Submitted in time") in in_time_page and zh("Submitted late") not in in_time_page


def test_unsubmitted_plan_past_its_deadline_is_marked_overdue(app, units, client_for, liaison):
    factory = client_for(liaison(units["enterprise"]))
    plan = new_plan(factory, units["enterprise"], issued_on="2026-10-01")
    app.config["TODAY"] = "2026-11-03"
    assert zh("Overdue") not in text_of(factory.get(f"/plans/{plan.id}"))
    app.config["TODAY"] = "2026-11-04"
    assert zh("Overdue") in text_of(factory.get(f"/plans/{plan.id}"))
