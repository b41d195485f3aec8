"""Read-side queries for plan lists, the review queue and exports."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_
from sqlalchemy.orm import contains_eager

from emergency.auth.scoping import scoped
from emergency.extensions import db
from emergency.plans.models import FilingState, Plan, PlanVersion
from emergency.regions.models import Region
from emergency.units.models import Unit

DEADLINE_FILTERS = ("overdue", "due_30")


def _int(value, default=None):
    return int(value) if value and str(value).isdigit() else default


@dataclass
class PlanFilters:
    q: str = ""
    region: int | None = None
    kind: str = ""
    category: str = ""
    state: str = ""
    deadline: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "PlanFilters":
        """Read filters from query arguments, ignoring anything malformed."""
        deadline = args.get("deadline") or ""
        return cls(q=(args.get("q") or "").strip()[:100], region=_int(args.get("region")),
                   kind=args.get("kind") or "", category=args.get("category") or "",
                   state=args.get("state") or "",
                   deadline=deadline if deadline in DEADLINE_FILTERS else "",
                   page=max(_int(args.get("page"), 1), 1))


def plan_list_query(user, filters: PlanFilters, today: date):
    """Return the scoped, filtered SELECT of plans with their current version, by deadline."""
    stmt = (scoped(Plan, user).join(Plan.unit).join(Unit.region)
            .outerjoin(PlanVersion, Plan.current_version_id == PlanVersion.id)
            .options(contains_eager(Plan.unit).contains_eager(Unit.region),
                     contains_eager(Plan.current_version))
            .where(Plan.is_archived.is_(False)))
    if filters.q:
        stmt = stmt.where(or_(Plan.title.contains(filters.q), Unit.name.contains(filters.q)))
    if filters.region:
        region = db.session.get(Region, filters.region)
        stmt = stmt.where(Region.in_subtree(region.path)) if region else stmt.where(Plan.id < 0)
    if filters.kind:
        stmt = stmt.where(Unit.kind == filters.kind)
    if filters.category:
        stmt = stmt.where(Plan.category == filters.category)
    if filters.state:
        stmt = stmt.where(PlanVersion.filing_state == filters.state)
    stmt = _deadline_filter(stmt, filters.deadline, today)
    return stmt.order_by(PlanVersion.filing_due_on, Plan.id)


def _deadline_filter(stmt, deadline: str, today: date):
    unfiled = PlanVersion.filing_state.in_([FilingState.DRAFT, FilingState.RETURNED])
    if deadline == "overdue":
        return stmt.where(unfiled, PlanVersion.filing_due_on < today)
    if deadline == "due_30":
        return stmt.where(unfiled, PlanVersion.filing_due_on >= today,
                          PlanVersion.filing_due_on <= today + timedelta(days=30))
    return stmt


def review_queue_query(user):
    """Return the submissions waiting for review in the user's scope, most urgent first."""
    return (scoped(PlanVersion, user).join(PlanVersion.plan)
            .where(PlanVersion.filing_state == FilingState.SUBMITTED)
            .order_by(PlanVersion.review_due_on, PlanVersion.id))
