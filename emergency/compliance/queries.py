"""Read-side queries over obligations: stored (today) or computed live (any other date)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from emergency.auth.models import Role
from emergency.auth.scoping import scoped
from emergency.compliance.facts import Status
from emergency.compliance.models import Obligation
from emergency.compliance.scan import scan
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

ATTENTION = (Status.OVERDUE, Status.MISSING, Status.DUE_SOON, Status.DUE_BEFORE_ASSESSMENT)


def _int(value):
    return int(value) if value and str(value).isdigit() else None


@dataclass
class ObligationFilters:
    region: int | None = None
    kind: str = ""
    rule: str = ""
    status: str = ""
    #: An obligation kind (ObligationKind value), e.g. "file_plan"; dashboards link with it.
    obligation: str = ""
    as_of: date | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "ObligationFilters":
        """Read filters from query arguments; a malformed date raises ValueError."""
        as_of = args.get("as_of") or ""
        return cls(region=_int(args.get("region")), kind=args.get("kind") or "",
                   rule=(args.get("rule") or "").strip()[:10], status=args.get("status") or "",
                   obligation=(args.get("obligation") or "")[:20],
                   as_of=date.fromisoformat(as_of) if as_of else None,
                   page=max(_int(args.get("page")) or 1, 1))

    def statuses(self) -> list[str]:
        return [self.status] if self.status else [str(s) for s in ATTENTION]


def stored_query(user, filters: ObligationFilters):
    """Return the scoped SELECT of stored obligations (with their unit and region), by due date."""
    stmt = (scoped(Obligation, user, select(Obligation, Unit, Region))
            .join(Unit, Obligation.unit_id == Unit.id).join(Region, Unit.region_id == Region.id)
            .where(Obligation.status.in_(filters.statuses())))
    if filters.region:
        region = db.session.get(Region, filters.region)
        stmt = stmt.where(Region.in_subtree(region.path)) if region else stmt.where(Unit.id < 0)
    if filters.kind:
        stmt = stmt.where(Unit.kind == filters.kind)
    if filters.rule:
        stmt = stmt.where(Obligation.rule_code == filters.rule)
    if filters.obligation:
        stmt = stmt.where(Obligation.kind == filters.obligation)
    return stmt.order_by(Obligation.due_on.is_(None), Obligation.due_on, Unit.id)


def _live_region(user, filters: ObligationFilters) -> tuple[bool, Region | None]:
    """Return (visible, region) to scan: the filter region if the user may see it, else their scope."""
    from emergency.auth.scoping import region_clause

    if filters.region:
        region = db.session.scalar(select(Region).where(Region.id == filters.region, region_clause(user)))
        return region is not None, region
    return True, db.session.get(Region, user.region_id) if user.region_id else None


def live_rows(user, filters: ObligationFilters, as_of: date) -> list[tuple]:
    """Compute obligations as of another date for the user's scope, filtered like stored_query."""
    visible, region = _live_region(user, filters)
    if not visible or (user.role == Role.LIAISON and not user.unit_id):
        return []
    unit_ids = [user.unit_id] if user.role == Role.LIAISON else None
    result = scan(as_of, region=region, unit_ids=unit_ids, persist=False, keep=True)
    wanted = set(filters.statuses())
    found = [o for o in result.obligations
             if o.status in wanted and (not filters.rule or o.rule_code == filters.rule)
             and (not filters.obligation or o.kind == filters.obligation)]
    units = {}
    ids = sorted({o.unit_id for o in found})
    for chunk in range(0, len(ids), 5000):
        units.update({u.id: u for u in db.session.scalars(
            select(Unit).where(Unit.id.in_(ids[chunk:chunk + 5000])))})
    found = [o for o in found if not filters.kind or units[o.unit_id].kind == filters.kind]
    found.sort(key=lambda o: (o.due_on is None, o.due_on or date.max, o.unit_id))
    return [(o, units[o.unit_id], units[o.unit_id].region) for o in found]


def unit_obligations(unit: Unit, as_of: date):
    """Compute one unit's obligations as of a date (the unit panel), most urgent first."""
    result = scan(as_of, unit_ids=[unit.id], persist=False, keep=True)
    order = {str(s): i for i, s in enumerate((Status.OVERDUE, Status.MISSING, Status.DUE_SOON,
                                              Status.DUE_BEFORE_ASSESSMENT, Status.DONE,
                                              Status.NOT_APPLICABLE))}
    return result, sorted(result.obligations,
                          key=lambda o: (order[str(o.status)], o.due_on or date.max, o.rule_code))


def is_liaison(user) -> bool:
    return user.role == Role.LIAISON
