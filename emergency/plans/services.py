"""Plan and version services: checks, creation, new versions, parent choices."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from emergency.compliance.deadlines import filing_deadline
from emergency.compliance.settings import filing_timing
from emergency.compliance.workdays import WorkdayCalendar
from emergency.extensions import db
from emergency.plans.models import (
    FILED_STATES,
    FilingState,
    HazardClass,
    Plan,
    PlanCategory,
    PlanVersion,
    SignerRole,
)
from emergency.problems import Problem, ProblemsError
from emergency.regions.models import Region
from emergency.units.models import Unit, UnitKind

EARLIEST_ISSUE_DATE = date(1990, 1, 1)
PARENT_UNIT_KINDS = (UnitKind.GOVERNMENT_DEPARTMENT, UnitKind.TOWN_STREET)


@dataclass
class PlanData:
    title: str
    category: str
    hazard_class: str
    hazard_subtype: str | None = None
    parent_id: int | None = None


@dataclass
class VersionData:
    issued_on: date | None
    signer_role: str
    change_summary: str | None = None
    is_major: bool = True


def parent_candidates(unit: Unit):
    """Return a SELECT of plans that may be the parent (上位预案) of a plan of this unit.

    A parent is the unit's own plan or a plan of a government department or town/street in the
    unit's region or any region above it.
    """
    ancestors = [f"/{'/'.join(unit.region.ancestor_codes[:i])}/"
                 for i in range(1, len(unit.region.ancestor_codes) + 1)]
    government = select(Unit.id).join(Unit.region).where(
        Unit.kind.in_(PARENT_UNIT_KINDS), Region.path.in_(ancestors))
    return select(Plan).where(
        Plan.is_archived.is_(False),
        or_(Plan.unit_id == unit.id, Plan.unit_id.in_(government.scalar_subquery())),
    ).order_by(Plan.title)


def check_plan(data: PlanData, unit: Unit, plan: Plan | None = None) -> list[Problem]:
    """Return every problem with the plan fields."""
    problems = []
    data.title = " ".join((data.title or "").split())
    if not data.title:
        problems.append(Problem("title", "required"))
    elif len(data.title) > 200:
        problems.append(Problem("title", "too_long", {"max": 200}))
    if data.category not in set(PlanCategory):
        problems.append(Problem("category", "invalid_choice"))
    if data.hazard_class not in set(HazardClass):
        problems.append(Problem("hazard_class", "invalid_choice"))
    if data.parent_id is not None:
        problems += _parent_problems(data.parent_id, unit, plan)
    return problems


def _parent_problems(parent_id: int, unit: Unit, plan: Plan | None) -> list[Problem]:
    allowed = parent_candidates(unit).where(Plan.id == parent_id)
    parent = db.session.scalars(allowed).first()
    if parent is None:
        return [Problem("parent_id", "parent_not_allowed")]
    ancestor, seen = parent, set()
    while ancestor is not None and ancestor.id not in seen:
        if plan is not None and ancestor.id == plan.id:
            return [Problem("parent_id", "parent_cycle")]
        seen.add(ancestor.id)
        ancestor = ancestor.parent
    return []


def check_version(data: VersionData, today: date) -> list[Problem]:
    """Return every problem with the version fields (issue date, signer)."""
    problems = []
    if data.issued_on is None:
        problems.append(Problem("issued_on", "required"))
    elif data.issued_on > today:
        problems.append(Problem("issued_on", "date_in_future"))
    elif data.issued_on < EARLIEST_ISSUE_DATE:
        problems.append(Problem("issued_on", "date_too_early"))
    if data.signer_role not in set(SignerRole):
        problems.append(Problem("signer_role", "invalid_choice"))
    if data.change_summary and len(data.change_summary) > 5000:
        problems.append(Problem("change_summary", "too_long", {"max": 5000}))
    return problems


def create_plan(unit: Unit, data: PlanData, first: VersionData, user, today: date,
                calendar: WorkdayCalendar) -> Plan:
    """Register a plan with its first version (a draft); raise ProblemsError on bad data."""
    problems = check_plan(data, unit) + check_version(first, today)
    if problems:
        raise ProblemsError(problems)
    plan = Plan(unit_id=unit.id, title=data.title, category=data.category,
                hazard_class=data.hazard_class, hazard_subtype=data.hazard_subtype or None,
                parent_id=data.parent_id)
    db.session.add(plan)
    db.session.flush()
    _new_version(plan, first, user, calendar)
    return plan


def update_plan(plan: Plan, data: PlanData) -> None:
    """Change the plan's own fields; the version column guards against lost updates."""
    problems = check_plan(data, plan.unit, plan)
    if problems:
        raise ProblemsError(problems)
    plan.title, plan.category, plan.hazard_class = data.title, data.category, data.hazard_class
    plan.hazard_subtype = data.hazard_subtype or None
    plan.parent_id = data.parent_id
    db.session.flush()


def add_version(plan: Plan, data: VersionData, user, today: date,
                calendar: WorkdayCalendar) -> PlanVersion:
    """Add a new version; refused while the current one waits for the office's review."""
    current = plan.current_version
    if current is not None and current.filing_state == FilingState.SUBMITTED:
        raise ProblemsError([Problem("", "version_under_review")])
    problems = check_version(data, today)
    date_ok = not any(p.field == "issued_on" for p in problems)
    if current is not None and date_ok and data.issued_on < current.issued_on:
        problems.append(Problem("issued_on", "date_before_previous",
                                {"previous": current.issued_on.isoformat()}))
    if problems:
        raise ProblemsError(problems)
    return _new_version(plan, data, user, calendar)


def _new_version(plan: Plan, data: VersionData, user, calendar: WorkdayCalendar) -> PlanVersion:
    number = (db.session.scalar(
        select(func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)) or 0) + 1
    # The first version is always filed; later minor revisions follow the simplified procedure
    # and do not restart the filing clock (domain-rules §1.5).
    is_major = data.is_major or number == 1
    timing = filing_timing(plan.unit, plan.category, data.issued_on)
    due = filing_deadline(data.issued_on, calendar, timing) if is_major else None
    version = PlanVersion(
        plan_id=plan.id, unit_id=plan.unit_id, number=number, issued_on=data.issued_on,
        signer_role=data.signer_role, change_summary=(data.change_summary or "").strip() or None,
        is_major=is_major, filing_state=FilingState.DRAFT if is_major else FilingState.NOT_REQUIRED,
        filing_due_on=due.date if due else None,
        filing_due_estimated=due.estimated if due else False, created_by_id=user.id,
    )
    db.session.add(version)
    db.session.flush()
    plan.current_version = version
    db.session.flush()
    return version


def last_filed_version(plan: Plan) -> PlanVersion | None:
    """Return the newest filed (or deemed filed) version of a plan."""
    return db.session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id,
                                  PlanVersion.filing_state.in_(list(FILED_STATES)))
        .order_by(PlanVersion.number.desc())
    ).first()
