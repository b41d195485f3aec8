"""A school liaison's year of drills through the pages: plan, coverage, record, actions."""

import re

from sqlalchemy import select

from emergency.documents.models import Document
from emergency.drills.models import ActionEvent, ActionStatus, DrillStatus
from emergency.extensions import db
from tests.documents.files import jpeg_bytes, pdf_bytes
from tests.drills.conftest import (
    WEB,
    add_action,
    close_action,
    missing_documents,
    new_drill,
    newest_action,
    plan_drill,
    record_held,
    shown,
    snapshot,
    text_of,
    uncovered,
    upload,
)

pytestmark = WEB

#: Planned months of 2027: every school month except May (February and August are vacations).
MONTHS_2027 = ["01-12", "03-16", "04-13", "06-15", "07-06", "09-14", "10-19", "11-16", "12-14"]


def test_the_whole_liaison_journey(app, world, rules, client_for):
    teacher = client_for(world.school_liaison)
    plan = world.plans["school"]

    # The annual plan for next year: one evacuation drill a month, May forgotten.
    for day in MONTHS_2027:
        response = plan_drill(teacher, world.school, title=f"{day[:2]}月应急疏散演练",
                              planned_on=f"2027-{day}", plan_ids=[plan.id])
        assert response.status_code == 302, text_of(response)[:2000]
        assert response.headers["Location"] == f"/drills/unit/{world.school.id}?year=2027"
    page = text_of(teacher.get(f"/drills/unit/{world.school.id}?year=2027"))
    assert shown("Annual drill plan %(year)s", year=2027) in page
    # Coverage: May is the only school month of 2027 that nothing covers.
    assert uncovered(page) == [("R8-D", "2027-05")]
    # Each drill shows which obligation it will satisfy.
    assert "R8-D · 2027-03" in page and "R8-D · 2027-12" in page
    assert page.count('data-status="planned"') == 9

    # Adding the May drill covers the whole year.
    new_drill(teacher, world.school, title="5月应急疏散演练", planned_on="2027-05-11",
              plan_ids=[plan.id])
    page = text_of(teacher.get(f"/drills/unit/{world.school.id}?year=2027"))
    assert uncovered(page) == []
    assert 'id="all-covered"' in page

    # This month's drill, recorded as held with its documents.
    drill = new_drill(teacher, world.school, title="11月消防疏散演练", planned_on="2026-11-18",
                      plan_ids=[plan.id, world.plans["school_fire"].id])
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert missing_documents(page) == ["drill_scheme", "drill_assessment", "drill_summary"]
    response = record_held(teacher, drill.id, held_on="2026-11-18", evacuation_seconds="150")
    assert response.status_code == 302, text_of(response)[:3000]
    db.session.expire_all()
    assert drill.status == DrillStatus.HELD and drill.held_on.isoformat() == "2026-11-18"
    assert (drill.duration_minutes, drill.participants, drill.evacuation_seconds) == (30, 820, 150)

    assert upload(teacher, drill.id, "drill_scheme", "演练方案.pdf").status_code == 302
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert missing_documents(page) == ["drill_assessment", "drill_summary"]
    assert "演练方案.pdf" in page
    for doc_type, name, data in [("drill_assessment", "评估报告.pdf", pdf_bytes()),
                                 ("drill_summary", "总结报告.pdf", pdf_bytes()),
                                 ("photo", "现场照片.jpg", jpeg_bytes()),
                                 ("sign_in", "签到表.pdf", pdf_bytes())]:
        response = upload(teacher, drill.id, doc_type, name, data)
        assert response.status_code == 302, text_of(response)[:3000]
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert missing_documents(page) == []
    assert "R8-D · 2026-11" in page  # counts toward this month's school rule
    # The held date is what the user entered, not the upload day.
    assert drill.held_on.isoformat() == "2026-11-18"

    # A finding becomes a corrective action.
    response = add_action(teacher, drill.id)
    assert response.status_code == 302, text_of(response)[:3000]
    action = newest_action()
    assert (action.owner, action.due_on.isoformat(), action.status) == (
        "王老师", "2026-12-31", "open")

    # Closing without evidence is refused, and nothing is written.
    before = snapshot(app)
    response = close_action(teacher, action.id)
    assert response.status_code == 400
    assert shown("Upload at least one evidence document before closing.") in text_of(response)
    assert snapshot(app) == before

    # With evidence it closes, waiting for the office.
    response = close_action(teacher, action.id, evidence=("整改照片.jpg", jpeg_bytes()))
    assert response.status_code == 302, text_of(response)[:3000]
    db.session.expire_all()
    assert action.status == ActionStatus.CLOSED and action.closed_on.isoformat() == "2026-11-20"
    evidence = db.session.scalars(select(Document).where(Document.action_id == action.id)).all()
    assert [(d.doc_type, d.original_name) for d in evidence] == [
        ("action_evidence", "整改照片.jpg")]
    # The liaison cannot verify their own work.
    assert teacher.post(f"/drills/actions/{action.id}/verify").status_code == 403

    # The office verifies it.
    office = client_for(world.office_a)
    page = text_of(office.get(f"/drills/{drill.id}"))
    assert "整改照片.jpg" in page and "已增设引导员" in page
    response = office.post(f"/drills/actions/{action.id}/verify")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/drills/{drill.id}#action-{action.id}"
    db.session.expire_all()
    assert action.status == ActionStatus.VERIFIED and action.verified_by_id == world.office_a.id
    page = office.get(f"/drills/{drill.id}").text
    assert re.search(rf'id="action-{action.id}" data-status="verified"', page)

    # Another time, the office reopens a closed action with a comment for the unit.
    add_action(teacher, drill.id, title="广播系统音量不足", owner="李主任", due_on="2026-12-15")
    second = newest_action()
    close_action(teacher, second.id, evidence=("维修单.pdf", pdf_bytes()))
    comment = "照片看不出音量改善，请补充测试记录。"
    response = office.post(f"/drills/actions/{second.id}/reopen", data={"comment": comment})
    assert response.status_code == 302
    db.session.expire_all()
    assert second.status == ActionStatus.OPEN and second.closed_on is None
    events = db.session.scalars(select(ActionEvent).where(ActionEvent.action_id == second.id)
                                .order_by(ActionEvent.id)).all()
    assert [(e.event, e.comment) for e in events] == [
        ("closed", "已增设引导员"), ("reopened", comment)]
    assert comment in text_of(teacher.get(f"/drills/{drill.id}"))
    # The evidence uploaded before still counts: the liaison can close it again with a note only.
    response = close_action(teacher, second.id, note="已补充音量测试记录")
    assert response.status_code == 302
    db.session.expire_all()
    assert second.status == ActionStatus.CLOSED


def test_a_high_risk_unit_marks_the_report_to_the_regulator(world, rules, client_for):
    liaison = client_for(world.chemical_liaison)
    drill = new_drill(liaison, world.chemical, title="储罐泄漏现场处置演练",
                      planned_on="2026-11-10",
                      plan_ids=[world.plans["chemical_onsite"].id], scope="single")
    record_held(liaison, drill.id, held_on="2026-11-10")
    page = text_of(liaison.get(f"/drills/{drill.id}"))
    assert shown("Not yet reported to the regulator") in page
    assert 'name="evacuation_seconds"' not in page  # schools only
    response = record_held(liaison, drill.id, held_on="2026-11-10", reported_on="2026-11-12")
    assert response.status_code == 302
    db.session.expire_all()
    assert drill.reported_on.isoformat() == "2026-11-12"
    page = text_of(liaison.get(f"/drills/{drill.id}"))
    assert shown("Not yet reported to the regulator") not in page
    assert "2026年11月12日" in page
    # Recording again corrects the record without a second "held" entry in the history.
    assert page.count(shown("Held")) >= 1
    from emergency.drills.models import DrillChange

    changes = db.session.scalars(select(DrillChange).where(DrillChange.drill_id == drill.id)).all()
    assert [c.action for c in changes] == ["held"]


def test_the_school_page_offers_the_evacuation_time_and_the_unit_links_to_its_plan(
        world, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school)
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert 'name="evacuation_seconds"' in page
    assert 'name="reported_on"' not in page
    unit_page = teacher.get(f"/units/{world.school.id}").text
    assert f'href="/drills/unit/{world.school.id}"' in unit_page
    # The navigation takes a liaison to the annual plan of their unit.
    assert f'href="/drills/unit/{world.school.id}"' in teacher.get("/plans/").text


def test_a_planned_day_that_passed_without_a_record_covers_nothing(world, rules, client_for):
    teacher = client_for(world.school_liaison)
    late = new_drill(teacher, world.school, title="11月上旬疏散演练", planned_on="2026-11-10")
    page = text_of(teacher.get(f"/drills/unit/{world.school.id}?year=2026"))
    assert ("R8-D", "2026-11") in uncovered(page)
    assert shown("Not recorded as held yet") in page
    # Recording it (or planning another day still ahead) covers the month.
    record_held(teacher, late.id, held_on="2026-11-10")
    page = text_of(teacher.get(f"/drills/unit/{world.school.id}?year=2026"))
    assert ("R8-D", "2026-11") not in uncovered(page)
    assert "R8-D · 2026-11" in page
