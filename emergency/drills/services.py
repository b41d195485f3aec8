"""Drill services: plan, reschedule, cancel, shift a year, record a held drill."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from emergency.drills.models import Drill, DrillChange, DrillForm, DrillPurpose, DrillScope, DrillStatus
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.problems import Problem, ProblemsError
from emergency.units.models import SCHOOL_KINDS, Unit

EARLIEST = date(1990, 1, 1)
#: Longest believable evacuation: one hour. Anything longer is a typo (minutes for seconds).
MAX_EVACUATION_SECONDS = 3600


@dataclass
class DrillData:
    title: str
    planned_on: date | None
    form: str
    scope: str
    purpose: str
    plan_ids: list[int] = field(default_factory=list)


@dataclass
class HeldData:
    held_on: date | None
    duration_minutes: int | None = None
    participants: int | None = None
    evacuation_seconds: int | None = None
    reported_on: date | None = None
    summary: str | None = None


def _plans_of(unit: Unit, plan_ids: list[int]) -> tuple[list[Plan], list[Problem]]:
    if not plan_ids:
        return [], []
    plans = db.session.scalars(select(Plan).where(Plan.id.in_(plan_ids))).all()
    if len(plans) != len(set(plan_ids)) or any(p.unit_id != unit.id for p in plans):
        return [], [Problem("plan_ids", "plan_of_other_unit")]
    return list(plans), []


def check_drill(data: DrillData, unit: Unit, today: date) -> list[Problem]:
    """Return every problem with the planned drill's fields."""
    problems = []
    data.title = " ".join((data.title or "").split())
    if not data.title:
        problems.append(Problem("title", "required"))
    elif len(data.title) > 200:
        problems.append(Problem("title", "too_long", {"max": 200}))
    if data.planned_on is None:
        problems.append(Problem("planned_on", "required"))
    elif data.planned_on < EARLIEST or data.planned_on > today + timedelta(days=3 * 366):
        problems.append(Problem("planned_on", "date_out_of_range"))
    for name, allowed in (("form", DrillForm), ("scope", DrillScope), ("purpose", DrillPurpose)):
        if getattr(data, name) not in set(allowed):
            problems.append(Problem(name, "invalid_choice"))
    return problems + _plans_of(unit, data.plan_ids)[1]


def plan_drill(unit: Unit, data: DrillData, user, today: date) -> Drill:
    """Add a drill to the unit's annual drill plan."""
    problems = check_drill(data, unit, today)
    if problems:
        raise ProblemsError(problems)
    drill = Drill(unit_id=unit.id, title=data.title, planned_on=data.planned_on, form=data.form,
                  scope=data.scope, purpose=data.purpose, status=DrillStatus.PLANNED,
                  created_by_id=user.id)
    drill.plans = _plans_of(unit, data.plan_ids)[0]
    db.session.add(drill)
    db.session.flush()
    return drill


def update_drill(drill: Drill, data: DrillData, today: date) -> None:
    """Change a drill's description and plans (its date changes through reschedule)."""
    data.planned_on = drill.planned_on
    problems = check_drill(data, drill.unit, today)
    if problems:
        raise ProblemsError(problems)
    drill.title, drill.form, drill.scope, drill.purpose = data.title, data.form, data.scope, data.purpose
    drill.plans = _plans_of(drill.unit, data.plan_ids)[0]
    drill.sequence += 1
    db.session.flush()


def _change(drill: Drill, action: str, user, old=None, new=None, reason=None) -> None:
    db.session.add(DrillChange(drill_id=drill.id, unit_id=drill.unit_id, action=action,
                               old_date=old, new_date=new, reason=reason,
                               actor_id=user.id if user else None))


def _require_planned(drill: Drill) -> None:
    if drill.status != DrillStatus.PLANNED:
        raise ProblemsError([Problem("", "drill_not_planned")])


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ProblemsError([Problem("reason", "required")])
    return reason[:2000]


def reschedule(drill: Drill, new_date: date | None, reason: str | None, user, today: date) -> None:
    """Move a planned drill to another day, with a reason."""
    _require_planned(drill)
    reason = _require_reason(reason)
    if new_date is None or new_date < EARLIEST or new_date > today + timedelta(days=3 * 366):
        raise ProblemsError([Problem("new_date", "date_out_of_range")])
    _change(drill, "rescheduled", user, drill.planned_on, new_date, reason)
    drill.planned_on = new_date
    drill.sequence += 1
    db.session.flush()


def cancel(drill: Drill, reason: str | None, user) -> None:
    """Cancel a planned drill, with a reason (calendars then show it as cancelled)."""
    _require_planned(drill)
    reason = _require_reason(reason)
    _change(drill, "cancelled", user, drill.planned_on, None, reason)
    drill.status, drill.cancel_reason = DrillStatus.CANCELLED, reason
    drill.sequence += 1
    db.session.flush()


def shift_year(unit: Unit, year: int, days: int, reason: str | None, user) -> int:
    """Move every planned drill of a unit's annual plan by a number of days; return how many."""
    reason = _require_reason(reason)
    if days == 0 or abs(days) > 366:
        raise ProblemsError([Problem("days", "shift_range")])
    drills = db.session.scalars(select(Drill).where(
        Drill.unit_id == unit.id, Drill.status == DrillStatus.PLANNED,
        Drill.planned_on >= date(year, 1, 1), Drill.planned_on <= date(year, 12, 31))).all()
    for drill in drills:
        new_date = drill.planned_on + timedelta(days=days)
        _change(drill, "shifted", user, drill.planned_on, new_date, reason)
        drill.planned_on = new_date
        drill.sequence += 1
    db.session.flush()
    return len(drills)


def check_held(data: HeldData, unit: Unit, today: date) -> list[Problem]:
    """Return every problem with the record of a held drill."""
    problems = []
    if data.held_on is None:
        problems.append(Problem("held_on", "required"))
    elif data.held_on > today:
        problems.append(Problem("held_on", "date_in_future"))
    elif data.held_on < EARLIEST:
        problems.append(Problem("held_on", "date_too_early"))
    if data.evacuation_seconds is not None:
        if unit.kind not in SCHOOL_KINDS:
            problems.append(Problem("evacuation_seconds", "evacuation_only_schools"))
        elif not 1 <= data.evacuation_seconds <= MAX_EVACUATION_SECONDS:
            problems.append(Problem("evacuation_seconds", "evacuation_impossible"))
    for name in ("duration_minutes", "participants"):
        value = getattr(data, name)
        if value is not None and not 1 <= value <= 100000:
            problems.append(Problem(name, "positive_required"))
    if data.reported_on and data.held_on and not data.held_on <= data.reported_on <= today:
        problems.append(Problem("reported_on", "reported_before_held"))
    return problems


def record_held(drill: Drill, data: HeldData, user, today: date) -> None:
    """Record that a planned drill was held; it counts for the unit's drill obligations at once."""
    if drill.status == DrillStatus.CANCELLED:
        raise ProblemsError([Problem("", "drill_not_planned")])
    problems = check_held(data, drill.unit, today)
    if problems:
        raise ProblemsError(problems)
    first_time = drill.status != DrillStatus.HELD
    drill.status, drill.held_on = DrillStatus.HELD, data.held_on
    drill.duration_minutes, drill.participants = data.duration_minutes, data.participants
    drill.evacuation_seconds, drill.reported_on = data.evacuation_seconds, data.reported_on
    drill.summary = (data.summary or "").strip() or None
    drill.sequence += 1
    if first_time:
        _change(drill, "held", user, drill.planned_on, data.held_on)
    db.session.flush()
