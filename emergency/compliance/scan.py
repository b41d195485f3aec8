"""The set-based compliance scan: load facts in bulk per batch of units, run the engine, store."""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ARRAY, Integer, any_, bindparam, delete, func, insert, select

from emergency.compliance.engine import iter_obligations
from emergency.compliance.facts import (
    Obligation,
    PlanFacts,
    RevisionFacts,
    UnitFacts,
)
from emergency.compliance.models import Obligation as ObligationRow
from emergency.compliance.models import ScanRun
from emergency.database import utcnow
from emergency.compliance.settings import context_for, rule_specs
from emergency.extensions import db
from emergency.plans.models import Evaluation, Plan, PlanVersion, RevisionItem
from emergency.regions.models import Region
from emergency.units.models import Unit

BATCH_SIZE = 2000
#: Extra fact loaders registered by later features (drills, corrective actions): each takes a
#: list of unit ids and returns {unit_id: {"drills": (...), "actions": (...)}}.
FACT_LOADERS: list = []


@dataclass
class ScanResult:
    as_of: date
    assessment_date: date
    units: int = 0
    summary: dict[str, int] = field(default_factory=dict)
    obligations: list[Obligation] = field(default_factory=list)


def unit_ids_stmt(region: Region | None = None, unit_ids: Iterable[int] | None = None):
    """Return a SELECT of the active unit ids to scan, optionally limited to a region subtree."""
    stmt = select(Unit.id).where(Unit.is_active.is_(True)).order_by(Unit.id)
    if region is not None:
        below = select(Region.id).where(Region.in_subtree(region.path)).scalar_subquery()
        stmt = stmt.where(Unit.region_id.in_(below))
    if unit_ids is not None:
        stmt = stmt.where(Unit.id.in_(list(unit_ids)))
    return stmt


def in_batch(column, ids: list[int]):
    """Return ``column IN ids`` for a batch of unit ids: one array parameter on PostgreSQL."""
    # psycopg parses every placeholder of a statement on the client; 2,000 of them in each of the
    # batch's statements cost a noticeable share of a province scan. One array costs nothing.
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _batches(stmt, size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = db.session.scalars(stmt.where(Unit.id > last).limit(size)).all()
        if not ids:
            return
        yield ids
        last = ids[-1]


def load_facts(ids: list[int]) -> list[UnitFacts]:
    """Load everything the engine needs about these units in a handful of queries."""
    plans = _plan_facts(ids)
    extra = defaultdict(dict)
    for loader in FACT_LOADERS:
        for unit_id, facts in loader(ids).items():
            extra[unit_id].update(facts)
    rows = db.session.execute(
        select(Unit.id, Unit.kind, Unit.risk_tags_text).where(in_batch(Unit.id, ids)))
    return [
        UnitFacts(id=uid, kind=kind, tags=frozenset(t for t in (tags or "").split(",") if t),
                  plans=tuple(plans.get(uid, ())), drills=tuple(extra[uid].get("drills", ())),
                  actions=tuple(extra[uid].get("actions", ())))
        for uid, kind, tags in rows
    ]


def _plan_facts(ids: list[int]) -> dict[int, list[PlanFacts]]:
    evaluated = defaultdict(list)
    for plan_id, evaluated_on in db.session.execute(
            select(Evaluation.plan_id, Evaluation.evaluated_on)
            .where(in_batch(Evaluation.unit_id, ids))):
        evaluated[plan_id].append(evaluated_on)
    revisions = defaultdict(list)
    for item in db.session.execute(
            select(RevisionItem.id, RevisionItem.plan_id, RevisionItem.raised_on, RevisionItem.closed_on)
            .where(in_batch(RevisionItem.unit_id, ids))):
        revisions[item.plan_id].append(RevisionFacts(item.id, item.raised_on, item.closed_on))
    # Filing follows the newest major version: minor revisions do not restart the filing clock.
    latest_major = (select(func.max(PlanVersion.number))
                    .where(PlanVersion.plan_id == Plan.id, PlanVersion.is_major.is_(True))
                    .correlate(Plan).scalar_subquery())
    first_issued = (select(func.min(PlanVersion.issued_on)).where(PlanVersion.plan_id == Plan.id)
                    .correlate(Plan).scalar_subquery())
    stmt = (select(Plan.id, Plan.unit_id, Plan.category, Plan.title, PlanVersion.issued_on,
                   PlanVersion.filing_due_on, PlanVersion.filing_state, PlanVersion.submitted_on,
                   PlanVersion.filed_on, first_issued.label("first_issued_on"))
            .outerjoin(PlanVersion, (PlanVersion.plan_id == Plan.id)
                       & (PlanVersion.number == latest_major))
            .where(in_batch(Plan.unit_id, ids), Plan.is_archived.is_(False)).order_by(Plan.id))
    by_unit = defaultdict(list)
    for row in db.session.execute(stmt):
        by_unit[row.unit_id].append(PlanFacts(
            id=row.id, category=row.category, title=row.title, issued_on=row.issued_on,
            filing_due_on=row.filing_due_on, filing_state=row.filing_state or "draft",
            submitted_on=row.submitted_on, filed_on=row.filed_on,
            evaluations=tuple(evaluated.get(row.id, ())), revisions=tuple(revisions.get(row.id, ())),
            first_issued_on=row.first_issued_on))
    return by_unit


def scan(as_of: date, *, region: Region | None = None, unit_ids=None, persist: bool = True,
         keep: bool = False) -> ScanResult:
    """Compute every obligation as of a date; store them (replacing the units' old rows) if persist."""
    rules, ctx = rule_specs(as_of), context_for(as_of)
    result = ScanResult(as_of=as_of, assessment_date=ctx.assessment_date)
    summary, by_county = defaultdict(int), defaultdict(lambda: defaultdict(int))
    if persist and unit_ids is not None:
        # Units that were deactivated or deleted keep no stale obligations.
        db.session.execute(delete(ObligationRow).where(ObligationRow.unit_id.in_(list(unit_ids))))
    for ids in _batches(unit_ids_stmt(region, unit_ids), BATCH_SIZE):
        found = list(iter_obligations(load_facts(ids), rules, ctx))
        county = _county_codes(ids)
        for obligation in found:
            summary[obligation.status] += 1
            by_county[county.get(obligation.unit_id, "")][obligation.status] += 1
        if persist:
            _store(ids, found, as_of)
        if keep:
            result.obligations.extend(found)
        result.units += len(ids)
    result.summary = dict(summary)
    if persist and unit_ids is None:
        _record_run(result, region, by_county)
    return result


def _county_codes(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Unit.id, Region.path).join(Unit.region).where(in_batch(Unit.id, ids)))
    # "/23/2311/231102/..." → the county code is the third code on the path (or the deepest one).
    return {uid: (path.strip("/").split("/") + [""] * 3)[2] or path.strip("/").split("/")[-1]
            for uid, path in rows}


def _record_run(result: ScanResult, region: Region | None, by_county) -> None:
    """Keep each full scan's counts per status and county: the history behind trend charts."""
    db.session.add(ScanRun(as_of=result.as_of, region_code=region.code if region else None,
                           finished_at=utcnow(), units=result.units,
                           summary={"total": dict(result.summary),
                                    "by_county": {k: dict(v) for k, v in by_county.items()}}))


def _store(ids: list[int], found: list[Obligation], as_of: date) -> None:
    db.session.execute(delete(ObligationRow).where(in_batch(ObligationRow.unit_id, ids)))
    if not found:
        return
    rows = [_row(o, as_of) for o in found]
    if db.session.get_bind().dialect.name == "postgresql":
        _copy(rows)
    else:
        # Core, not ORM, bulk insert: the ORM groups rows by which values are None, and the mixed
        # plan_id/period/due_on of obligations split a batch into thousands of tiny statements.
        db.session.execute(insert(ObligationRow.__table__), rows)


_COPY_COLUMNS = ("unit_id", "plan_id", "rule_id", "rule_code", "kind", "status", "subject",
                 "period", "due_on", "estimated", "citation", "evidence", "as_of")


def _copy(rows: list[dict]) -> None:
    """Write the rows with COPY on the session's own connection (same transaction).

    A province scan stores millions of obligations; row-by-row INSERTs (even pipelined) cost
    several times the whole computation, COPY a fraction of it.
    """
    raw = db.session.connection().connection.driver_connection
    columns = ", ".join(_COPY_COLUMNS)
    with raw.cursor() as cursor, cursor.copy(f"COPY obligations ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((row["unit_id"], row["plan_id"], row["rule_id"], row["rule_code"],
                            str(row["kind"]), str(row["status"]), row["subject"], row["period"],
                            row["due_on"], row["estimated"], row["citation"],
                            json.dumps(row["evidence"]), row["as_of"]))


def _row(o: Obligation, as_of: date) -> dict:
    return dict(unit_id=o.unit_id, plan_id=o.plan_id, rule_id=o.rule_id, rule_code=o.rule_code,
                kind=o.kind, status=o.status, subject=o.subject[:300], period=o.period,
                due_on=o.due_on, estimated=o.estimated, citation=o.citation[:300],
                evidence=o.evidence, as_of=as_of)
