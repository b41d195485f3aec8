"""Bad uploads, dates and steps: a clear message in Chinese, a 4xx, and nothing written."""

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.models import FilingEvent, FilingState
from tests.documents import files
from tests.plans.conftest import (
    INVALID_CHOICE,
    INVALID_DATE,
    REQUIRED,
    add_version,
    count,
    current_version,
    file_version,
    new_plan,
    register_plan,
    return_version,
    snapshot,
    submit,
    submitted_plan,
    text_of,
    upload,
    zh,
)


def everything(app) -> dict:
    """Return what a refused request must leave unchanged: rows, files, events and audit."""
    return {**snapshot(app), "events": count(FilingEvent), "audit": count(AuditEntry)}


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    """A DOCX-shaped zip whose word/document.xml inflates to 256 MiB of zeros (about 250 kB).

    Both limits trip: more than 200 MiB in total, and a member inflating over 100 times.
    """
    path = files.write_zip_bomb_docx(tmp_path_factory.mktemp("bomb") / "预案.docx",
                                     size=256 * files.MiB)
    return path.read_bytes()


@pytest.fixture
def teacher(units, client_for, liaison):
    return client_for(liaison(units["school"]))


@pytest.fixture
def draft(units, teacher):
    """A school plan in draft, with no document yet."""
    return new_plan(teacher, units["school"], title="花园小学防汛应急预案")


def mismatch(detected: str) -> str:
    return zh("The file content does not match its extension: the content is %(detected)s.",
              detected=detected)


UPLOAD_CASES = [
    pytest.param("预案.pdf", files.pe_bytes, lambda: mismatch("EXE"), id="exe-renamed-pdf"),
    pytest.param("预案.pdf", files.elf_bytes, lambda: mismatch("ELF"), id="elf-renamed-pdf"),
    pytest.param("现场照片.jpg", files.html_bytes, lambda: mismatch("HTML"), id="html-named-jpg"),
    pytest.param("预案.docx", files.plain_zip_bytes, lambda: mismatch("ZIP"), id="plain-zip-docx"),
    pytest.param("预案.ofd", files.zip_without_ofd_xml, lambda: mismatch("ZIP"),
                 id="ofd-without-ofd-xml"),
    pytest.param("预案.docx", files.traversal_zip_bytes,
                 lambda: zh("The file contains unsafe entries and was refused."),
                 id="docx-with-traversal-member"),
    pytest.param("预案.docx", lambda: files.zip_bytes({"[Content_Types].xml": files.CONTENT_TYPES}),
                 lambda: zh("The file is damaged: required parts are missing."),
                 id="docx-without-word-part"),
    pytest.param("预案.pdf", lambda: b"just some text", lambda: zh(
        "The file content is not a recognised document."), id="text-named-pdf"),
    pytest.param("空白预案.pdf", lambda: b"", lambda: zh("The file is empty."), id="empty-file"),
    pytest.param("预案.exe", files.pdf_bytes, lambda: zh(
        "This file type is not accepted. Upload PDF, DOC, DOCX, WPS, OFD, JPG or PNG."),
        id="extension-not-allowed"),
    pytest.param("预案", files.pdf_bytes, lambda: zh(
        "This file type is not accepted. Upload PDF, DOC, DOCX, WPS, OFD, JPG or PNG."),
        id="no-extension"),
    pytest.param("../..", files.pdf_bytes, lambda: zh("The file name is not usable."),
                 id="name-only-dots"),
]


@pytest.mark.parametrize(("name", "content", "message"), UPLOAD_CASES)
def test_refused_upload_explains_and_writes_nothing(app, teacher, draft, name, content, message):
    before = everything(app)
    response = upload(teacher, draft.current_version_id, "plan_text", name, content())
    assert response.status_code == 400
    assert message() in text_of(response)
    assert everything(app) == before
    assert before["files"] == []


def test_zip_bomb_docx_is_refused_and_nothing_is_written(app, teacher, draft, zip_bomb):
    before = everything(app)
    response = upload(teacher, draft.current_version_id, "plan_text", "预案.docx", zip_bomb)
    # Werkzeug's test client spools bodies over 500 kB to a temp file it never closes.
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 400
    assert zh("The file expands to an unreasonable size and was refused.") in text_of(response)
    assert everything(app) == before


def test_refused_first_document_leaves_no_plan_behind(app, units, teacher):
    before = everything(app)
    response = register_plan(teacher, units["school"], document=("预案.pdf", files.pe_bytes()))
    assert response.status_code == 400
    assert mismatch("EXE") in text_of(response)
    assert everything(app) == before
    assert before["plans"] == 0


def test_upload_without_a_file_asks_for_one(app, teacher, draft):
    before = everything(app)
    response = teacher.post(f"/plans/versions/{draft.current_version_id}/documents",
                            data={"doc_type": "plan_text"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert zh("Choose a file.") in text_of(response)
    assert everything(app) == before


def test_unknown_document_type_is_refused(app, teacher, draft):
    before = everything(app)
    response = upload(teacher, draft.current_version_id, "passport", "预案.pdf", files.pdf_bytes())
    assert response.status_code == 400
    assert INVALID_CHOICE in text_of(response)
    assert everything(app) == before


def walk(root: Path) -> list[Path]:
    return sorted(Path(d) / f for d, _dirs, names in os.walk(root) for f in names)


@pytest.mark.parametrize(("name", "shown"), [
    pytest.param("../../etc/passwd.pdf", "etcpasswd.pdf", id="dot-dot-slash"),
    pytest.param("..\\..\\x.pdf", "x.pdf", id="dot-dot-backslash"),
    pytest.param("a/b.pdf", "ab.pdf", id="slash"),
    pytest.param("/etc/cron.d/预案.pdf", "etccron.d预案.pdf", id="absolute"),
    pytest.param("CON.pdf", "CON.pdf", id="windows-device"),
])
def test_path_traversal_name_is_stored_under_a_generated_name(app, tmp_path, teacher, draft,
                                                              name, shown):
    root = Path(app.config["UPLOAD_ROOT"])
    assert root.is_relative_to(tmp_path)
    outside_before = [p for p in walk(tmp_path) if not p.is_relative_to(root)]
    pdf = files.pdf_bytes()

    response = upload(teacher, draft.current_version_id, "plan_text", name, pdf)
    assert response.status_code == 302

    document = db.session.scalars(select(Document)).one()
    assert document.original_name == shown
    assert "/" not in document.original_name and "\\" not in document.original_name
    stored = walk(root)
    assert stored == [root / document.stored_path]
    assert stored[0].read_bytes() == pdf
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert [p for p in walk(tmp_path) if not p.is_relative_to(root)] == outside_before
    page = text_of(teacher.get(f"/plans/{draft.id}"))
    assert shown in page


def test_over_size_body_gets_the_translated_413_page(app, teacher, draft):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    before = everything(app)
    big = files.pdf_bytes() + b"%" + b"x" * 20_000
    response = upload(teacher, draft.current_version_id, "plan_text", "大文件.pdf", big)
    assert response.status_code == 413
    assert "上传的文件超过允许的大小。" in text_of(response)
    assert everything(app) == before


@pytest.mark.parametrize(("issued_on", "message"), [
    pytest.param("2026-11-21", "The date cannot be in the future.", id="tomorrow"),
    pytest.param("1989-12-31", "The date cannot be before 1990.", id="before-1990"),
])
def test_bad_issue_date_registers_nothing(app, units, teacher, issued_on, message):
    before = everything(app)
    response = register_plan(teacher, units["school"], issued_on=issued_on,
                             document=("预案.pdf", files.pdf_bytes()))
    assert response.status_code == 400
    assert zh(message) in text_of(response)
    assert everything(app) == before


@pytest.mark.parametrize(("issued_on", "message"), [
    pytest.param("2026-11-21", "The date cannot be in the future.", id="tomorrow"),
    pytest.param("1900-01-01", "The date cannot be before 1990.", id="before-1990"),
])
def test_bad_issue_date_adds_no_version(app, teacher, draft, issued_on, message):
    before = everything(app)
    response = add_version(teacher, draft.id, issued_on=issued_on)
    assert response.status_code == 400
    assert zh(message) in text_of(response)
    assert everything(app) == before


def test_issue_date_today_is_accepted(app, units, teacher):
    response = register_plan(teacher, units["school"], issued_on="2026-11-20")
    assert response.status_code == 302


def test_submitting_twice_is_a_conflict(app, units, teacher):
    plan = submitted_plan(teacher, units["school"], "school")
    before = everything(app)
    response = submit(teacher, plan.current_version_id)
    assert response.status_code == 409
    assert zh("This action is not possible in the current filing state.") in text_of(response)
    assert everything(app) == before
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED


def test_no_new_version_or_upload_while_under_review(app, units, teacher):
    plan = submitted_plan(teacher, units["school"], "school")
    before = everything(app)
    response = add_version(teacher, plan.id)
    assert response.status_code == 400
    assert zh("The current version is waiting for the office's review; wait for the result "
              "first.") in text_of(response)
    response = upload(teacher, plan.current_version_id, "other", "补充.pdf", files.pdf_bytes())
    assert response.status_code == 409
    assert zh("Documents can only be added before submission.") in text_of(response)
    assert everything(app) == before


def test_filing_or_returning_outside_scope_is_404(app, units, teacher, client_for, office_b):
    plan = submitted_plan(teacher, units["school"], "school")
    other_office = client_for(office_b)
    before = everything(app)
    for response in (file_version(other_office, plan.current_version_id),
                     return_version(other_office, plan.current_version_id, ["other"], "越权")):
        assert response.status_code == 404
        assert zh("The page or record was not found, or it is outside your scope.") in text_of(
            response)
    assert other_office.get(f"/plans/{plan.id}").status_code == 404
    assert other_office.get(f"/plans/versions/{plan.current_version_id}/receipt").status_code == 404
    assert everything(app) == before
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED


def test_filing_or_returning_in_the_wrong_state_is_409(app, draft, client_for, office_a):
    office = client_for(office_a)
    before = everything(app)
    for response in (file_version(office, draft.current_version_id),
                     return_version(office, draft.current_version_id, ["other"], "草稿")):
        assert response.status_code == 409
        assert zh("This action is not possible in the current filing state.") in text_of(response)
    assert office.get(f"/plans/versions/{draft.current_version_id}/receipt").status_code == 404
    assert everything(app) == before
    version = current_version(draft.id)
    assert (version.filing_state, version.filing_number) == (FilingState.DRAFT, None)


def test_filing_twice_is_409_and_keeps_the_number(app, units, teacher, client_for, office_a):
    office = client_for(office_a)
    plan = submitted_plan(teacher, units["school"], "school")
    assert file_version(office, plan.current_version_id).status_code == 302
    before = everything(app)
    assert file_version(office, plan.current_version_id).status_code == 409
    assert everything(app) == before
    assert current_version(plan.id).filing_number == "231102-2026-0001"


def test_returning_without_a_reason_is_refused(app, units, teacher, client_for, office_a):
    plan = submitted_plan(teacher, units["school"], "school")
    before = everything(app)
    response = return_version(client_for(office_a), plan.current_version_id, [], "请修改")
    assert response.status_code == 400
    assert zh("Choose at least one reason.") in text_of(response)
    assert everything(app) == before
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED


def test_a_liaison_cannot_file_or_return(app, units, teacher):
    plan = submitted_plan(teacher, units["school"], "school")
    before = everything(app)
    for response in (file_version(teacher, plan.current_version_id),
                     return_version(teacher, plan.current_version_id, ["other"], "自己备案")):
        assert response.status_code == 403
        assert zh("You do not have permission to do this.") in text_of(response)
    assert everything(app) == before
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED


def test_version_of_another_unit_is_404_on_upload_and_submit(app, units, teacher, client_for,
                                                            liaison):
    factory = client_for(liaison(units["enterprise"]))
    theirs = new_plan(factory, units["enterprise"], title="爱辉机械厂综合应急预案")
    before = everything(app)
    response = upload(teacher, theirs.current_version_id, "plan_text", "预案.pdf",
                      files.pdf_bytes())
    assert response.status_code == 404
    assert submit(teacher, theirs.current_version_id).status_code == 404
    assert teacher.post(f"/plans/{theirs.id}/revisions",
                        data={"trigger": "other"}).status_code == 404
    assert teacher.get(f"/plans/{theirs.id}").status_code == 404
    assert everything(app) == before


def test_a_liaison_cannot_register_a_plan_for_another_unit(app, units, teacher):
    before = everything(app)
    response = register_plan(teacher, units["enterprise"])
    assert response.status_code == 404
    assert everything(app) == before


@pytest.mark.parametrize(("issued_on", "message"), [
    pytest.param("2026-02-30", INVALID_DATE, id="no-such-day"),
    pytest.param("20.11.2026", INVALID_DATE, id="wrong-format"),
    pytest.param("", REQUIRED, id="empty"),
])
def test_malformed_issue_date_is_refused(app, units, teacher, issued_on, message):
    before = everything(app)
    response = register_plan(teacher, units["school"], issued_on=issued_on)
    assert response.status_code == 400
    assert message in text_of(response)
    assert everything(app) == before


def test_only_the_newest_version_can_be_submitted(app, units, teacher, draft):
    upload_all_school = ("filing_form", "plan_text")
    for doc_type in upload_all_school:
        assert upload(teacher, draft.current_version_id, doc_type, f"{doc_type}.pdf",
                      files.pdf_bytes()).status_code == 302
    first = draft.current_version_id
    assert add_version(teacher, draft.id).status_code == 302
    before = everything(app)
    response = submit(teacher, first)
    assert response.status_code == 409
    assert zh("Only the newest version can be submitted.") in text_of(response)
    assert everything(app) == before
