"""The figures of a monthly circular: who has overdue items, by county and town, and the change
since the end of the previous month.

"Now" is read from the stored obligations that the compliance scan materialises, with a few
set-based queries (GROUP BY in the database; Python only sees the units that have overdue items).
The scan history (ScanRun) keeps only counts per status and county, not the items themselves, so
the previous month's figures cannot be read back from it: they are recomputed as of that month's
last day with the scan's own engine and fact loaders (load_facts + iter_obligations, batch by
batch, nothing stored). A circular for an earlier month is computed the same way at both ends.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from emergency.auth.scoping import unit_clause
from emergency.compliance.engine import iter_obligations
from emergency.compliance.facts import ObligationKind, Status
from emergency.compliance.models import Obligation, ScanRun
from emergency.compliance.scan import BATCH_SIZE, load_facts, unit_ids_stmt
from emergency.compliance.settings import context_for, rule_specs
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

#: An item the circular names: past its due date, or a required plan that does not exist at all.
OVERDUE = (Status.OVERDUE, Status.MISSING)
#: The circular speaks of kinds of problems; both drill rules are "drills not held".
CATEGORY = {
    ObligationKind.HAVE_PLAN: "no_plan",
    ObligationKind.FILE_PLAN: "filing",
    ObligationKind.EVALUATE: "evaluation",
    ObligationKind.REVISE: "revision",
    ObligationKind.DRILL_INTERVAL: "drills",
    ObligationKind.DRILL_PERIOD: "drills",
    ObligationKind.CLOSE_ACTIONS: "actions",
}
CATEGORY_ORDER = ("no_plan", "filing", "evaluation", "revision", "drills", "actions")
#: The earliest month a circular can be asked for (nothing in the registry is older).
FIRST_YEAR = 2000
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
#: SQLite's limit on bound parameters is 999 in older builds.
CHUNK = 900


class MonthError(ValueError):
    """A month that cannot be used; `code` says why (the view words the message)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None, today: date) -> "Month":
        """Read "YYYY-MM"; raise MonthError for another shape, a future month or one too old."""
        match = _MONTH.fullmatch((text or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise MonthError("malformed")
        month = cls(int(match.group(1)), int(match.group(2)))
        if month > cls.of(today):
            raise MonthError("future")
        if month.year < FIRST_YEAR:
            raise MonthError("too_old")
        return month

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)

    def previous(self) -> "Month":
        return Month.of(self.first_day - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass
class Snapshot:
    """The overdue items of the units in scope on one day."""

    as_of: date
    #: True: read from the stored scan; False: computed by the engine for this report.
    stored: bool
    #: {unit_id: Counter({category: items})}
    items: dict[int, Counter] = field(default_factory=dict)
    #: Every overdue item's identity, so that the items dealt with since can be told apart.
    keys: Counter = field(default_factory=Counter)
    #: {unit_id: (name, region path)} where the query already had them.
    places: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add(self, unit_id: int, kind: str, n: int = 1) -> None:
        self.items.setdefault(unit_id, Counter())[CATEGORY.get(kind, "other")] += n

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.items.values())


def item_key(unit_id, rule_code, plan_id, period, evidence_id) -> tuple:
    """Identify an item across dates: its due date moves with completions, its identity does not.

    Revision items and corrective actions are one obligation each under the same rule and plan,
    so their own id (kept in the evidence) is part of the identity.
    """
    own_id = int(evidence_id) if evidence_id is not None else None
    return (unit_id, rule_code, plan_id, period, own_id)


def _evidence_id(evidence: dict):
    return evidence.get("action_id", evidence.get("revision_id"))


# --- stored (now) --------------------------------------------------------------------------------

def _in_scope(stmt, user, region: Region):
    return (stmt.join(Unit, Obligation.unit_id == Unit.id).join(Region, Unit.region_id == Region.id)
            .where(unit_clause(user), Unit.is_active.is_(True), Region.in_subtree(region.path)))


def stored_snapshot(user, region: Region) -> Snapshot | None:
    """Read the overdue items from the stored scan (None if nothing was stored for the scope).

    One GROUP BY over the scope's overdue rows gives the counts, the items' identities and the
    units' names and places.
    """
    evidence_id = func.coalesce(Obligation.evidence["action_id"].as_integer(),
                                Obligation.evidence["revision_id"].as_integer())
    identity = (Obligation.unit_id, Obligation.kind, Obligation.rule_code, Obligation.plan_id,
                Obligation.period, evidence_id, Unit.name, Region.path)
    rows = db.session.execute(
        _in_scope(select(*identity, func.max(Obligation.as_of), func.count()), user, region)
        .where(Obligation.status.in_([str(s) for s in OVERDUE])).group_by(*identity)).all()
    as_of = max((row[-2] for row in rows), default=None) or _stored_day(user, region)
    if as_of is None:
        return None
    snapshot = Snapshot(as_of=as_of, stored=True)
    for unit_id, kind, rule_code, plan_id, period, own_id, name, path, _as_of, n in rows:
        snapshot.add(unit_id, kind, n)
        snapshot.keys[item_key(unit_id, rule_code, plan_id, period, own_id)] += n
        snapshot.places[unit_id] = (name, path)
    return snapshot


def _stored_day(user, region: Region) -> date | None:
    """Return the day of the stored scan when nothing in scope is overdue (None: never scanned)."""
    stored = db.session.scalar(_in_scope(select(Obligation.as_of), user, region).limit(1))
    if stored is None:
        return None
    return db.session.scalar(select(func.max(ScanRun.as_of))) or stored


# --- computed (another day) ----------------------------------------------------------------------

def computed_snapshot(user, region: Region, as_of: date) -> Snapshot:
    """Run the scan's engine as of a day for the units in scope, keeping only the overdue items."""
    rules, ctx = rule_specs(as_of), context_for(as_of)
    snapshot = Snapshot(as_of=as_of, stored=False)
    ids = db.session.scalars(unit_ids_stmt(region).where(unit_clause(user))).all()
    for start in range(0, len(ids), BATCH_SIZE):
        for o in iter_obligations(load_facts(ids[start:start + BATCH_SIZE]), rules, ctx):
            if o.status in OVERDUE:
                snapshot.add(o.unit_id, o.kind)
                snapshot.keys[item_key(o.unit_id, o.rule_code, o.plan_id, o.period,
                                       _evidence_id(o.evidence))] += 1
    return snapshot
