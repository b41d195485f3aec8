"""Bad input on the drill pages: a clear message, a 4xx, nothing written (rows, files, audit)."""

import pytest

from tests.documents import files
from tests.drills.conftest import (
    INVALID_DATE,
    INVALID_INTEGER,
    REQUIRED,
    WEB,
    add_action,
    close_action,
    new_drill,
    newest_action,
    plan_drill,
    record_held,
    shown,
    snapshot,
    text_of,
    upload,
)

pytestmark = WEB

NOT_PLAUSIBLE = "The date is not plausible (between 1990 and three years ahead)."
MISMATCH = "The file content does not match its extension: the content is %(detected)s."
NOT_ACCEPTED = "This file type is not accepted. Upload PDF, DOC, DOCX, WPS, OFD, JPG or PNG."
OTHER_UNIT = "Choose plans of this unit only."
NOT_FOUND = "页面或记录未找到，或不在您的管辖范围内。"
FORBIDDEN = "您没有执行此操作的权限。"


@pytest.fixture
def teacher(world, client_for):
    return client_for(world.school_liaison)


@pytest.fixture
def planned(world, teacher):
    """A school drill planned for 2026-11-18 (two days ago), not recorded yet."""
    return new_drill(teacher, world.school, plan_ids=[world.plans["school"].id])


@pytest.fixture
def held(teacher, planned):
    response = record_held(teacher, planned.id)
    assert response.status_code == 302
    return planned


def refused(app, send, status: int, message: str):
    """Send a request; check its status and message, and that nothing at all was written."""
    before = snapshot(app)
    response = send()
    page = text_of(response)
    assert response.status_code == status, page[:3000]
    assert message in page
    assert snapshot(app) == before
    return page


# --- planning ----------------------------------------------------------------------------------

def test_a_drill_for_a_plan_of_another_unit_is_refused(app, world, teacher):
    other = world.plans["mine"]  # 北安煤矿's plan, another county
    refused(app, lambda: plan_drill(teacher, world.school, plan_ids=[other.id]), 400,
            shown(OTHER_UNIT))
    mixed = [world.plans["school"].id, world.plans["chemical"].id]  # same county, another unit
    refused(app, lambda: plan_drill(teacher, world.school, plan_ids=mixed), 400, shown(OTHER_UNIT))
    refused(app, lambda: plan_drill(teacher, world.school, plan_ids=[987654]), 400,
            shown(OTHER_UNIT))
    refused(app, lambda: plan_drill(teacher, world.school, plan_ids=["abc"]), 400, "")


def test_editing_a_drill_onto_another_units_plan_is_refused(app, world, teacher, planned):
    refused(app, lambda: teacher.post(f"/drills/{planned.id}/edit", data={
        "title": "消防疏散演练", "form": "live", "scope": "single", "purpose": "inspection",
        "plan_ids": [world.plans["chemical"].id]}), 400, shown(OTHER_UNIT))


@pytest.mark.parametrize(("changes", "message"), [
    ({"planned_on": "2035-01-01"}, NOT_PLAUSIBLE),
    ({"planned_on": "1985-05-01"}, NOT_PLAUSIBLE),
    ({"planned_on": "2026-02-30"}, INVALID_DATE),
    ({"planned_on": ""}, REQUIRED),
    ({"title": ""}, REQUIRED),
    ({"title": "演" * 201}, None),
    ({"form": "drone_show"}, None),
], ids=["too-far-ahead", "before-1990", "no-such-day", "no-date", "no-title", "long-title",
        "bad-form"])
def test_bad_drill_fields_are_refused(app, world, teacher, changes, message):
    message = shown(message) if message and message.startswith("The ") else (message or "")
    refused(app, lambda: plan_drill(teacher, world.school, year="2026", **changes), 400, message)


# --- the held record ---------------------------------------------------------------------------

def test_a_held_date_in_the_future_is_refused(app, teacher, planned):
    refused(app, lambda: record_held(teacher, planned.id, held_on="2026-11-21"), 400,
            shown("The date cannot be in the future."))


@pytest.mark.parametrize(("changes", "message"), [
    ({"held_on": "2026-11-31"}, INVALID_DATE),
    ({"held_on": ""}, REQUIRED),
    ({"held_on": "1989-12-31"}, "The date cannot be before 1990."),
    ({"evacuation_seconds": "0"}, "The evacuation time must be between 1 second and 1 hour."),
    ({"evacuation_seconds": "-90"}, "The evacuation time must be between 1 second and 1 hour."),
    ({"evacuation_seconds": "7200"}, "The evacuation time must be between 1 second and 1 hour."),
    ({"evacuation_seconds": "两分钟"}, INVALID_INTEGER),
    ({"duration_minutes": "0"}, "Enter a whole number of at least 1."),
    ({"participants": "-3"}, "Enter a whole number of at least 1."),
    ({"reported_on": "2026-11-01"}, "The report date must be between the drill date and today."),
    ({"reported_on": "2026-11-25"}, "The report date must be between the drill date and today."),
], ids=["no-such-day", "no-date", "before-1990", "evacuation-zero", "evacuation-negative",
        "evacuation-two-hours", "evacuation-words", "duration-zero", "participants-negative",
        "reported-before-held", "reported-in-future"])
def test_impossible_held_records_are_refused(app, teacher, planned, changes, message):
    message = shown(message) if message.startswith(("The ", "Enter ")) else message
    refused(app, lambda: record_held(teacher, planned.id, **changes), 400, message)


def test_an_evacuation_time_for_an_enterprise_is_refused(app, world, client_for):
    liaison = client_for(world.chemical_liaison)
    drill = new_drill(liaison, world.chemical)
    refused(app, lambda: record_held(liaison, drill.id, evacuation_seconds="120"), 400,
            shown("The evacuation time is recorded for schools only."))


def test_correcting_a_held_record_with_a_future_date_changes_nothing(app, teacher, held):
    refused(app, lambda: record_held(teacher, held.id, held_on="2026-12-01"), 400,
            shown("The date cannot be in the future."))


# --- documents ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "message"), [
    ("演练方案.pdf", files.pe_bytes, MISMATCH),
    ("现场照片.jpg", files.html_bytes, MISMATCH),
    ("签到表.exe", files.pdf_bytes, NOT_ACCEPTED),
    ("总结报告.pdf", lambda: b"", "The file is empty."),
], ids=["exe-as-pdf", "html-as-jpg", "exe-name", "empty"])
def test_refused_drill_documents_leave_no_file(app, teacher, held, name, data, message):
    detected = {"演练方案.pdf": "EXE", "现场照片.jpg": "HTML"}.get(name)
    expected = shown(message, detected=detected) if detected else shown(message)
    refused(app, lambda: upload(teacher, held.id, "drill_summary", name, data()), 400, expected)


def test_an_upload_without_file_or_with_a_plan_document_type_is_refused(app, teacher, held):
    no_file = {"doc_type": "drill_scheme"}
    refused(app, lambda: teacher.post(f"/drills/{held.id}/documents", data=no_file,
                                      content_type="multipart/form-data"),
            400, shown("Choose a file."))
    refused(app, lambda: upload(teacher, held.id, "filing_form"), 400, "")


# --- corrective actions ------------------------------------------------------------------------

def test_closing_without_evidence_is_refused(app, teacher, held):
    add_action(teacher, held.id)
    action = newest_action()
    refused(app, lambda: close_action(teacher, action.id), 400,
            shown("Upload at least one evidence document before closing."))


def test_closing_with_a_refused_evidence_file_leaves_nothing(app, teacher, held):
    add_action(teacher, held.id)
    action = newest_action()
    exe = ("整改照片.jpg", files.pe_bytes())
    refused(app, lambda: close_action(teacher, action.id, evidence=exe), 400,
            shown(MISMATCH, detected="EXE"))


def test_closing_a_closed_action_again_stores_no_file(app, teacher, held):
    add_action(teacher, held.id)
    action = newest_action()
    response = close_action(teacher, action.id, evidence=("整改.pdf", files.pdf_bytes()))
    assert response.status_code == 302
    another = ("又一份.pdf", files.pdf_bytes())
    refused(app, lambda: close_action(teacher, action.id, evidence=another), 409,
            shown("Only an open corrective action can be closed."))


def test_bad_corrective_actions_are_refused(app, teacher, held, planned):
    refused(app, lambda: add_action(teacher, held.id, due_on="2026-11-01"), 400,
            shown("The due date cannot be before the drill."))
    refused(app, lambda: add_action(teacher, held.id, owner=""), 400, REQUIRED)
    refused(app, lambda: add_action(teacher, held.id, due_on="明年"), 400, INVALID_DATE)


def test_actions_only_for_held_drills(app, world, teacher):
    drill = new_drill(teacher, world.school, planned_on="2026-12-10")
    refused(app, lambda: add_action(teacher, drill.id), 409,
            shown("Corrective actions can only be added to a drill that was held."))


def test_verify_and_reopen_check_scope_role_state_and_comment(app, world, client_for, teacher,
                                                               held):
    add_action(teacher, held.id)
    action = newest_action()
    office = client_for(world.office_a)
    # Open, not closed yet: the office cannot verify or reopen it.
    refused(app, lambda: office.post(f"/drills/actions/{action.id}/verify"), 409,
            shown("Only a closed corrective action can be verified or reopened."))
    close_action(teacher, action.id, evidence=("整改.pdf", files.pdf_bytes()))
    # Outside scope: another county's office gets 404, whatever it sends.
    outsider = client_for(world.office_b)
    verify, reopen = f"/drills/actions/{action.id}/verify", f"/drills/actions/{action.id}/reopen"
    refused(app, lambda: outsider.post(verify), 404, NOT_FOUND)
    refused(app, lambda: outsider.post(reopen, data={"comment": "不合格"}), 404, NOT_FOUND)
    # Wrong role: the liaison and a read-only leader cannot verify.
    refused(app, lambda: teacher.post(verify), 403, FORBIDDEN)
    refused(app, lambda: client_for(world.viewer_a).post(verify), 403, FORBIDDEN)
    # Reopening needs a comment.
    refused(app, lambda: office.post(reopen, data={"comment": " "}), 400,
            shown("This field is required."))


# --- roles and odd addresses -------------------------------------------------------------------

def test_a_leader_reads_but_cannot_change(app, world, client_for, planned):
    leader = client_for(world.viewer_a)
    assert leader.get(f"/drills/{planned.id}").status_code == 200
    assert leader.get(f"/drills/unit/{world.school.id}").status_code == 200
    page = text_of(leader.get(f"/drills/{planned.id}"))
    assert f'action="/drills/{planned.id}/held"' not in page
    unit = f"/drills/unit/{world.school.id}"
    for url, data in [(f"{unit}/drills", {"title": "x", "planned_on": "2026-12-01"}),
                      (f"{unit}/shift", {"days": "3", "reason": "x"}),
                      (f"/drills/{planned.id}/held", {"held_on": "2026-11-18"}),
                      (f"/drills/{planned.id}/cancel", {"reason": "x"})]:
        refused(app, lambda url=url, data=data: leader.post(url, data=data), 403, FORBIDDEN)


@pytest.mark.parametrize("year", ["99999", "abcd", "1900", "2031", "-1"])
def test_an_impossible_year_is_404_not_500(world, teacher, year):
    assert teacher.get(f"/drills/unit/{world.school.id}?year={year}").status_code == 404


@pytest.mark.parametrize("query", [
    "view=month&month=2026-13", "view=month&month=99999-01", "view=list&day=2026-02-30&year=x",
    "view=list&page=-4&region=abc&kind=%00", "view=gantt&status=lost&form=x", "month=0000-01",
    "view=list&year=99999999999999999999",
])
def test_malformed_calendar_filters_are_ignored(world, client_for, query):
    office = client_for(world.office_a)
    expected = 400 if "%00" in query else 200  # NUL bytes are refused before any view runs
    assert office.get(f"/drills/?{query}").status_code == expected
    assert office.get(f"/drills/export.csv?{query}").status_code == expected
