"""Dashboard figures, read from the stored obligations (never recomputed per request)."""

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from emergency.auth.scoping import region_clause, scoped
from emergency.compliance.models import Obligation, ScanRun
from emergency.drills.models import Drill, DrillStatus
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

ATTENTION = ("overdue", "missing", "due_soon", "due_before_assessment")


def scope_region(user, region_id: int | None) -> Region | None:
    """Return the region the dashboard covers: the one asked for if visible, else the user's top."""
    stmt = select(Region).where(region_clause(user))
    if region_id:
        return db.session.scalar(stmt.where(Region.id == region_id))
    return db.session.scalars(stmt.order_by(Region.path).limit(1)).first()


def _in_region(stmt, region: Region | None):
    return stmt.where(Region.in_subtree(region.path)) if region is not None else stmt


def _obligation_counts(user, region, *columns):
    stmt = (scoped(Obligation, user, select(*columns, Obligation.status, func.count()))
            .join(Unit, Obligation.unit_id == Unit.id).join(Region, Unit.region_id == Region.id)
            .group_by(*columns, Obligation.status))
    return db.session.execute(_in_region(stmt, region)).all()


def headline(user, region) -> dict:
    """Return {(kind, status): count} plus units lacking a required plan."""
    counts = {(kind, status): n for kind, status, n in _obligation_counts(user, region, Obligation.kind)}
    lacking = db.session.scalar(_in_region(
        scoped(Obligation, user, select(func.count(func.distinct(Obligation.unit_id))))
        .join(Unit, Obligation.unit_id == Unit.id).join(Region, Unit.region_id == Region.id)
        .where(Obligation.kind == "have_plan", Obligation.status == "missing"), region))
    return {"counts": counts, "units_lacking_plan": lacking or 0}


def completion_by_child(user, region) -> list[tuple[Region, dict]]:
    """Return each child region with its obligation counts per status."""
    children = db.session.scalars(select(Region).where(
        Region.parent_id == region.id, region_clause(user)).order_by(Region.code)).all() if region else []
    rows = _obligation_counts(user, region, Region.path)
    totals = {child.id: defaultdict(int) for child in children}
    for path, status, n in rows:
        for child in children:
            if path.startswith(child.path):
                totals[child.id][status] += n
                break
    return [(child, dict(totals[child.id])) for child in children if totals[child.id]]


def status_by_kind(user, region) -> dict[str, dict]:
    """Return {unit kind: {status: count}}."""
    result = defaultdict(dict)
    for kind, status, n in _obligation_counts(user, region, Unit.kind):
        result[kind][status] = n
    return dict(result)


def overdue_history(region, limit: int = 12) -> list[tuple[date, int]]:
    """Return (day, overdue count) from the last full scans, one per month, oldest first."""
    runs = db.session.scalars(select(ScanRun).where(ScanRun.region_code.is_(None))
                              .order_by(ScanRun.as_of.desc(), ScanRun.id.desc()).limit(400)).all()
    by_month = {}
    for run in runs:
        key = (run.as_of.year, run.as_of.month)
        if key not in by_month:
            by_month[key] = (run.as_of, _overdue_in(run, region))
    return sorted(by_month.values())[-limit:]


def _overdue_in(run: ScanRun, region) -> int:
    by_county = (run.summary or {}).get("by_county", {})
    codes = region.ancestor_codes if region is not None else []
    total = 0
    for county, counts in by_county.items():
        if not codes or county.startswith(codes[-1]) or codes[-1].startswith(county):
            total += counts.get("overdue", 0)
    return total


def drills_per_month(user, region, year: int) -> list[tuple[str, int]]:
    """Return (month label, held drills) for every month of the year."""
    # Counted per day in SQL (at most 366 rows), not one row per drill: a province holds
    # hundreds of thousands of drills a year and the dashboard must not fetch them all.
    stmt = _in_region(scoped(Drill, user, select(Drill.held_on, func.count()))
                      .join(Unit, Drill.unit_id == Unit.id)
                      .join(Region, Unit.region_id == Region.id)
                      .where(Drill.status == DrillStatus.HELD, Drill.held_on >= date(year, 1, 1),
                             Drill.held_on <= date(year, 12, 31)), region).group_by(Drill.held_on)
    months = [0] * 12
    for held_on, count in db.session.execute(stmt):
        months[held_on.month - 1] += count
    return [(f"{m + 1}", n) for m, n in enumerate(months)]
