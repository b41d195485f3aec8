"""Rescheduling, cancelling and shifting the annual plan, each with a reason; editing a drill."""

from datetime import date

from sqlalchemy import select

from emergency.drills.models import DrillChange, DrillStatus
from emergency.extensions import db
from tests.drills.conftest import (
    REQUIRED,
    WEB,
    new_drill,
    record_held,
    shown,
    snapshot,
    text_of,
)

pytestmark = WEB


def changes_of(drill_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(c.action, c.old_date, c.new_date, c.reason) for c in db.session.scalars(
        select(DrillChange).where(DrillChange.drill_id == drill_id).order_by(DrillChange.id))]


def test_reschedule_needs_a_reason_and_is_recorded(app, world, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, planned_on="2026-12-08")

    before = snapshot(app)
    response = teacher.post(f"/drills/{drill.id}/reschedule",
                            data={"new_date": "2026-12-15", "reason": "  "})
    assert response.status_code == 400
    assert shown("This field is required.") in text_of(response)
    assert snapshot(app) == before

    response = teacher.post(f"/drills/{drill.id}/reschedule",
                            data={"new_date": "2026-12-15", "reason": "与期末考试冲突"})
    assert response.status_code == 302
    db.session.expire_all()
    assert drill.planned_on == date(2026, 12, 15) and drill.sequence == 1
    assert changes_of(drill.id) == [
        ("rescheduled", date(2026, 12, 8), date(2026, 12, 15), "与期末考试冲突")]
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert "与期末考试冲突" in page and shown("Rescheduled") in page


def test_cancel_needs_a_reason_and_then_the_drill_is_closed_to_changes(app, world, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, planned_on="2026-12-08")

    before = snapshot(app)
    response = teacher.post(f"/drills/{drill.id}/cancel", data={"reason": ""})
    assert response.status_code == 400
    assert shown("This field is required.") in text_of(response)
    assert snapshot(app) == before

    response = teacher.post(f"/drills/{drill.id}/cancel", data={"reason": "寒潮停课"})
    assert response.status_code == 302
    db.session.expire_all()
    assert drill.status == DrillStatus.CANCELLED and drill.cancel_reason == "寒潮停课"
    assert changes_of(drill.id) == [("cancelled", date(2026, 12, 8), None, "寒潮停课")]
    page = text_of(teacher.get(f"/drills/{drill.id}"))
    assert "寒潮停课" in page
    assert f'action="/drills/{drill.id}/held"' not in page

    # A cancelled drill is in the wrong state for every further step: 409, nothing written.
    before = snapshot(app)
    again = {"new_date": "2026-12-20", "reason": "补做"}
    for url, data in [(f"/drills/{drill.id}/reschedule", again),
                      (f"/drills/{drill.id}/cancel", {"reason": "再次取消"}),
                      (f"/drills/{drill.id}/held", {"held_on": "2026-11-18"}),
                      (f"/drills/{drill.id}/edit", {"title": "改名", "form": "live",
                                                    "scope": "single", "purpose": "inspection"})]:
        response = teacher.post(url, data=data)
        assert response.status_code == 409, url
    response = teacher.post(f"/drills/{drill.id}/reschedule", data=again)
    assert shown("Only a planned drill can be changed this way.") in text_of(response)
    assert snapshot(app) == before


def test_a_held_drill_cannot_be_rescheduled_or_cancelled(app, world, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, planned_on="2026-11-18")
    record_held(teacher, drill.id)
    before = snapshot(app)
    assert teacher.post(f"/drills/{drill.id}/reschedule",
                        data={"new_date": "2026-12-20", "reason": "x"}).status_code == 409
    assert teacher.post(f"/drills/{drill.id}/cancel", data={"reason": "x"}).status_code == 409
    assert snapshot(app) == before


def test_shift_the_whole_annual_plan(app, world, client_for):
    teacher = client_for(world.school_liaison)
    first = new_drill(teacher, world.school, planned_on="2027-03-16")
    second = new_drill(teacher, world.school, planned_on="2027-04-13")
    held = new_drill(teacher, world.school, planned_on="2026-11-18")
    record_held(teacher, held.id)
    other_year = new_drill(teacher, world.school, planned_on="2028-03-14")

    before = snapshot(app)
    shift = f"/drills/unit/{world.school.id}/shift?year=2027"
    response = teacher.post(shift, data={"days": "7", "reason": ""})
    assert response.status_code == 400
    assert shown("This field is required.") in text_of(response)
    for days in ("0", "400", "-367"):
        response = teacher.post(f"/drills/unit/{world.school.id}/shift?year=2027",
                                data={"days": days, "reason": "开学推迟"})
        assert response.status_code == 400
        assert shown("Shift by 1 to 366 days (negative moves earlier).") in text_of(response)
    response = teacher.post(f"/drills/unit/{world.school.id}/shift?year=2027",
                            data={"days": "一周", "reason": "开学推迟"})
    assert response.status_code == 400
    assert snapshot(app) == before

    response = teacher.post(f"/drills/unit/{world.school.id}/shift?year=2027",
                            data={"days": "7", "reason": "春季开学推迟一周"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/drills/unit/{world.school.id}?year=2027"
    db.session.expire_all()
    assert (first.planned_on, second.planned_on) == (date(2027, 3, 23), date(2027, 4, 20))
    assert other_year.planned_on == date(2028, 3, 14)
    assert held.planned_on == date(2026, 11, 18)
    assert changes_of(first.id) == [
        ("shifted", date(2027, 3, 16), date(2027, 3, 23), "春季开学推迟一周")]
    page = text_of(teacher.get(f"/drills/unit/{world.school.id}?year=2027"))
    assert shown("%(n)s planned drills were moved.", n=2) in page


def test_edit_changes_the_description_and_the_plans(world, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, plan_ids=[world.plans["school"].id])
    response = teacher.post(f"/drills/{drill.id}/edit", data={
        "title": "消防疏散桌面推演", "form": "tabletop", "scope": "single", "purpose": "research",
        "plan_ids": [world.plans["school_fire"].id]})
    assert response.status_code == 302
    db.session.expire_all()
    assert (drill.title, drill.form, drill.scope, drill.purpose) == (
        "消防疏散桌面推演", "tabletop", "single", "research")
    assert [p.id for p in drill.plans] == [world.plans["school_fire"].id]


def test_reason_is_required_shows_the_wtforms_free_message(world, client_for):
    """The reason message comes from the service, so it reads like every other required field."""
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, planned_on="2026-12-08")
    page = text_of(teacher.post(f"/drills/{drill.id}/cancel", data={}))
    assert REQUIRED not in page
    assert shown("This field is required.") in page
