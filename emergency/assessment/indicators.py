"""Indicators K1–K15 (domain-rules §10) as set-based SQL over obligations, plans and drills.

Each measure is one SELECT of *items* (a unit, plan, drill, period or corrective action) with the
same labelled columns: the assessed group's key, the unit, a link target, a subject, two dates,
``num`` (what was met) and ``den`` (what was owed). The page sums them with one GROUP BY per
measure, and the evidence lists, the workbook and snapshots read the very same items, so a figure
and the records behind it can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from emergency.auth.scoping import unit_clause
from emergency.compliance.engine_plans import DEFAULT_REVISION_DAYS
from emergency.compliance.models import Obligation, Rule, ScanRun
from emergency.compliance.seed import ARTICLE_33_2
from emergency.documents.models import Document
from emergency.drills.checklist import REQUIRED_DRILL_DOCUMENTS
from emergency.drills.models import CorrectiveAction, Drill, DrillStatus, drill_plans
from emergency.extensions import db
from emergency.plans.models import FILED_STATES, Plan, PlanCategory, PlanVersion, RevisionItem
from emergency.regions.models import Region
from emergency.units.models import Unit, UnitKind

#: Path lengths of a county ("/23/2311/231102/") and a town ("/23/2311/231102/231102001/").
COUNTY_PATH_LENGTH = 16
TOWN_PATH_LENGTH = 26
BASIC_LEVEL_KINDS = (UnitKind.TOWN_STREET, UnitKind.VILLAGE_COMMUNITY)


class Grouping(StrEnum):
    COUNTY = "county"
    TOWN = "town"
    DEPARTMENT = "department"


#: Measures read from the stored compliance scan of the assessment year.
SCAN_MEASURES = frozenset({"K1", "K5", "K7", "K8", "K15"})
#: Every measure computed; LF (late filings) only feeds a deduction.
MEASURES = ("K1", "K3", "K4", "K5", "K6", "K7", "K8", "K9", "K10", "K11", "K12", "K15", "LF")
#: Measures whose num counts bad items (evidence of a failure: num > 0).
COUNT_MEASURES = frozenset({"K7", "LF"})


@dataclass(frozen=True)
class Scope:
    """What to assess: whose view, which region, grouped how, which year, up to which day."""

    #: The user whose scope applies (None: the command line, which sees everything).
    user: object | None
    region: Region | None
    grouping: Grouping
    year: int
    #: The last day counted: the assessment date, or the as-of day if that is earlier.
    cutoff: date
    #: Totals only: leave the descriptive columns empty so the database reads less per item.
    lean: bool = False

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)


class date_plus_days(FunctionElement):
    """date + N days, which SQLite and PostgreSQL spell differently."""

    type = Date()
    inherit_cache = True


@compiles(date_plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '+' || {compiler.process(days, **kw)} || ' days')"


@compiles(date_plus_days, "postgresql")
def _plus_days_postgresql(element, compiler, **kw):
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


# --- groups --------------------------------------------------------------------------------


def group_key(grouping: Grouping):
    """Return the SQL expression of an item's group key (region path, or department unit id)."""
    if grouping == Grouping.DEPARTMENT:
        return cast(Unit.id, String)
    length = COUNTY_PATH_LENGTH if grouping == Grouping.COUNTY else TOWN_PATH_LENGTH
    # Units attached above the level (city departments for counties) form the "本级" group.
    return case((func.length(Region.path) >= length, func.substr(Region.path, 1, length)),
                else_=Region.path)


def group_key_of(grouping: Grouping, path: str, unit_id: int, kind: str) -> str | None:
    """Return the same key as group_key() for an evidence row read back from a snapshot."""
    if grouping == Grouping.DEPARTMENT:
        return str(unit_id) if kind == UnitKind.GOVERNMENT_DEPARTMENT else None
    length = COUNTY_PATH_LENGTH if grouping == Grouping.COUNTY else TOWN_PATH_LENGTH
    return path[:length] if len(path) >= length else path


def _in_scope(stmt, scope: Scope, kinds=None):
    """Join the unit's region and keep active units the scope covers."""
    stmt = stmt.join(Region, Unit.region_id == Region.id).where(Unit.is_active.is_(True))
    if scope.user is not None:
        stmt = stmt.where(unit_clause(scope.user))
    if scope.region is not None:
        stmt = stmt.where(Region.in_subtree(scope.region.path))
    if scope.grouping == Grouping.DEPARTMENT:
        stmt = stmt.where(Unit.kind == UnitKind.GOVERNMENT_DEPARTMENT)
    if kinds:
        stmt = stmt.where(Unit.kind.in_(kinds))
    return stmt


def _scope_units(scope: Scope):
    """Return a SELECT of the ids of the units in scope."""
    return _in_scope(select(Unit.id).select_from(Unit), scope)


def _by_unit(column, scope: Scope):
    """Filter a table's unit_id on the scope's units when the scope is a county or smaller.

    There the filter lets the database start from the scope's few units instead of, say, every
    drill of the year; for a city or province it would only add a large IN list to every query.
    """
    if scope.region is None or len(scope.region.path) < COUNTY_PATH_LENGTH:
        return true()
    return column.in_(_scope_units(scope))


def _columns(scope: Scope, ref: str, ref_id, subject, date_a, date_b, num, den) -> list:
    if scope.lean:
        ref_id, subject, date_a, date_b = null(), null(), null(), null()
    return [group_key(scope.grouping).label("key"), Unit.id.label("unit_id"),
            literal(ref, String).label("ref"), ref_id.label("ref_id"),
            cast(subject, String).label("subject"),
            # type_coerce, not CAST: SQLite's CAST(... AS DATE) turns '2026-03-01' into 2026.
            type_coerce(date_a, Date).label("date_a"), type_coerce(date_b, Date).label("date_b"),
            num.label("num"), den.label("den")]


def _one():
    return literal(1)


def _flag(condition):
    return case((condition, 1), else_=0)


# --- measures read from the stored scan ---------------------------------------------------


def _coverage_items(scope: Scope, kinds=None):
    """K1: one item per unit owing a plan; met unless a required plan is missing."""
    missing = func.max(_flag(Obligation.status == "missing"))
    stmt = (select(*_columns(scope, "unit", Unit.id, func.min(Obligation.subject), null(), null(),
                             1 - missing, _one()))
            .select_from(Obligation).join(Unit, Obligation.unit_id == Unit.id)
            .where(Obligation.kind == "have_plan"))
    return _in_scope(stmt, scope, kinds).group_by(Unit.id, Region.path)


def _evaluation_items(scope: Scope, count_overdue: bool):
    """K5/K7: one item per plan under an evaluation cycle; K7 counts those past it."""
    overdue = func.max(_flag(Obligation.status == "overdue"))
    stmt = (select(*_columns(scope, "plan", Obligation.plan_id, func.min(Obligation.subject),
                             func.min(Obligation.due_on), null(),
                             overdue if count_overdue else 1 - overdue, _one()))
            .select_from(Obligation).join(Unit, Obligation.unit_id == Unit.id)
            .where(Obligation.kind == "evaluate", Obligation.plan_id.is_not(None)))
    return _in_scope(stmt, scope).group_by(Obligation.plan_id, Unit.id, Region.path)


def _drill_items(scope: Scope, kinds=None):
    """K8: drills owed in the year, per rule and period, capped at what each period requires."""
    required = Obligation.evidence["required"].as_integer()
    held = Obligation.evidence["held"].as_integer()
    periods = (select(*_columns(scope, "unit", Unit.id, Obligation.rule_code + " " + Obligation.subject,
                                Obligation.due_on, null(),
                                case((held >= required, required), else_=held), required))
               .select_from(Obligation).join(Unit, Obligation.unit_id == Unit.id)
               .where(Obligation.kind == "drill_period", Obligation.status != "not_applicable",
                      Obligation.due_on.between(scope.start, scope.cutoff)))
    # A multi-year rule owes one drill in Y when its window ends in Y or was renewed by a drill
    # held in Y (domain-rules §10 K8). A window that ended in an earlier year without a drill
    # keeps counting: the drill is still owed in Y, and the engine never rolls its due date on.
    last = Obligation.evidence["last_drill_on"].as_string()
    drilled = and_(last >= scope.start.isoformat(), last <= scope.cutoff.isoformat())
    intervals = (select(*_columns(scope, "unit", Unit.id, Obligation.rule_code + " " + Obligation.subject,
                                  Obligation.due_on, null(), _flag(drilled), _one()))
                 .select_from(Obligation).join(Unit, Obligation.unit_id == Unit.id)
                 .where(Obligation.kind == "drill_interval",
                        or_(drilled, Obligation.due_on <= scope.cutoff)))
    return union_all(_in_scope(periods, scope, kinds), _in_scope(intervals, scope, kinds))


def _basic_level_items(scope: Scope):
    """K15: K1 and K8 restricted to towns/streets and villages/communities, pooled."""
    return union_all(_coverage_items(scope, BASIC_LEVEL_KINDS), *_drill_items(scope, BASIC_LEVEL_KINDS).selects)


# --- measures read from plans, revisions, drills and actions -----------------------------


def _filing_base(scope: Scope, num, date_a, date_b):
    """Major versions issued in the year of plans that a filing rule applies to."""
    # Correlated through the unit, whose obligations are indexed: a plan is subject to filing when
    # the scan owes a filing for it.
    subject_to_filing = exists().where(Obligation.unit_id == Unit.id, Obligation.plan_id == Plan.id,
                                       Obligation.kind == "file_plan")
    stmt = (select(*_columns(scope, "plan", Plan.id, Plan.title, date_a, date_b, num, _one()))
            .select_from(PlanVersion).join(Plan, PlanVersion.plan_id == Plan.id)
            .join(Unit, Plan.unit_id == Unit.id)
            .where(_by_unit(PlanVersion.unit_id, scope), PlanVersion.is_major.is_(True),
                   Plan.is_archived.is_(False),
                   PlanVersion.issued_on.between(scope.start, scope.cutoff),
                   subject_to_filing))
    return _in_scope(stmt, scope)


def _filed(scope: Scope):
    return and_(PlanVersion.filing_state.in_([str(s) for s in FILED_STATES]),
                or_(PlanVersion.filed_on.is_(None), PlanVersion.filed_on <= scope.cutoff))


def _filing_items(scope: Scope):
    """K3: versions issued in the year with a filing record (deemed filing counts).

    A version still inside its filing window and not filed yet is not owed yet, so it is left
    out rather than counted as a failure (a plan issued last week cannot be filed already).
    """
    owed = or_(_filed(scope), PlanVersion.filing_due_on.is_(None),
               PlanVersion.filing_due_on < scope.cutoff)
    return _filing_base(scope, _flag(_filed(scope)), PlanVersion.issued_on,
                        PlanVersion.filed_on).where(owed)


def _timely_items(scope: Scope):
    """K4: filed versions submitted within their filing deadline."""
    on_time = _flag(PlanVersion.submitted_on <= PlanVersion.filing_due_on)
    return _filing_base(scope, on_time, PlanVersion.filing_due_on,
                        PlanVersion.submitted_on).where(_filed(scope))


def _late_filing_items(scope: Scope):
    """LF: versions submitted after their deadline, or not submitted and past it (未按期备案)."""
    unsubmitted = or_(PlanVersion.submitted_on.is_(None),
                      PlanVersion.filing_state.in_(["draft", "returned"]))
    late = or_(and_(~unsubmitted, PlanVersion.submitted_on > PlanVersion.filing_due_on),
               and_(unsubmitted, PlanVersion.filing_due_on < scope.cutoff))
    return _filing_base(scope, _flag(late), PlanVersion.filing_due_on, PlanVersion.submitted_on)


def revision_days() -> int:
    """Return the days allowed to close a revision item (the active revise rule, else 90)."""
    days = db.session.scalar(select(Rule.deadline_days).where(
        Rule.kind == "revise", Rule.is_active.is_(True)).order_by(Rule.code).limit(1))
    return days if days is not None else DEFAULT_REVISION_DAYS


def _revision_items(scope: Scope):
    """K6: revision items due in the year, closed by their due date."""
    days = revision_days()
    due = date_plus_days(RevisionItem.raised_on, literal(days))
    on_time = and_(RevisionItem.closed_on.is_not(None), RevisionItem.closed_on <= due,
                   RevisionItem.closed_on <= scope.cutoff)
    stmt = (select(*_columns(scope, "plan", Plan.id, Plan.title, due, RevisionItem.closed_on,
                             _flag(on_time), _one()))
            .select_from(RevisionItem).join(Plan, RevisionItem.plan_id == Plan.id)
            .join(Unit, RevisionItem.unit_id == Unit.id)
            # Due in [start, cutoff] ⇔ raised in [start - N, cutoff - N]: no date maths per row.
            .where(_by_unit(RevisionItem.unit_id, scope),
                   RevisionItem.raised_on.between(scope.start - timedelta(days=days),
                                                  scope.cutoff - timedelta(days=days))))
    return _in_scope(stmt, scope)


def _special_drill_items(scope: Scope):
    """K9: special plans in force drilled at least once in the year."""
    # drills.id IN (the plan's drills) lets both databases start from the plan's few links (an
    # indexed lookup) instead of every drill held in the year.
    linked = select(drill_plans.c.drill_id).where(drill_plans.c.plan_id == Plan.id).correlate(Plan)
    last_held = (select(func.max(Drill.held_on))
                 .where(Drill.id.in_(linked), Drill.status == DrillStatus.HELD,
                        Drill.held_on.between(scope.start, scope.cutoff))
                 .correlate(Plan).scalar_subquery())
    in_force = exists().where(PlanVersion.plan_id == Plan.id, PlanVersion.issued_on <= scope.cutoff)
    stmt = (select(*_columns(scope, "plan", Plan.id, Plan.title, last_held, null(),
                             _flag(last_held.is_not(None)), _one()))
            .select_from(Plan).join(Unit, Plan.unit_id == Unit.id)
            .where(_by_unit(Plan.unit_id, scope), Plan.category == PlanCategory.SPECIAL,
                   Plan.is_archived.is_(False), in_force))
    return _in_scope(stmt, scope)


def _held_drills(scope: Scope, num, date_b):
    stmt = (select(*_columns(scope, "drill", Drill.id, Drill.title, Drill.held_on, date_b, num, _one()))
            .select_from(Drill).join(Unit, Drill.unit_id == Unit.id)
            .where(_by_unit(Drill.unit_id, scope), Drill.status == DrillStatus.HELD,
                   Drill.held_on.between(scope.start, scope.cutoff)))
    return _in_scope(stmt, scope)


def _record_items(scope: Scope):
    """K10: drills held in the year whose record has 方案, 评估报告 and 总结报告."""
    # Correlated per drill: documents.drill_id is indexed, so each drill costs one lookup.
    kinds = (select(func.count(func.distinct(Document.doc_type)))
             .where(Document.drill_id == Drill.id,
                    Document.doc_type.in_([str(t) for t in REQUIRED_DRILL_DOCUMENTS]))
             .correlate(Drill).scalar_subquery())
    return _held_drills(scope, _flag(kinds >= len(REQUIRED_DRILL_DOCUMENTS)), null())


def _reported_items(scope: Scope):
    """K11: drills of high-risk and crowded-place units reported to the regulator (第33条第二款)."""
    reported = and_(Drill.reported_on.is_not(None), Drill.reported_on <= scope.cutoff)
    tagged = or_(*[Unit.risk_tags_text.like(f"%,{tag},%") for tag in ARTICLE_33_2])
    return _held_drills(scope, _flag(reported), Drill.reported_on).where(tagged)


def _action_items(scope: Scope):
    """K12: corrective actions due in the year, closed by their due date."""
    on_time = and_(CorrectiveAction.closed_on.is_not(None),
                   CorrectiveAction.closed_on <= CorrectiveAction.due_on,
                   CorrectiveAction.closed_on <= scope.cutoff)
    stmt = (select(*_columns(scope, "drill", CorrectiveAction.drill_id, CorrectiveAction.title,
                             CorrectiveAction.due_on, CorrectiveAction.closed_on, _flag(on_time), _one()))
            .select_from(CorrectiveAction).join(Unit, CorrectiveAction.unit_id == Unit.id)
            .where(_by_unit(CorrectiveAction.unit_id, scope),
                   CorrectiveAction.due_on.between(scope.start, scope.cutoff)))
    return _in_scope(stmt, scope)


ITEMS = {
    "K1": _coverage_items,
    "K3": _filing_items,
    "K4": _timely_items,
    "K5": lambda scope: _evaluation_items(scope, count_overdue=False),
    "K6": _revision_items,
    "K7": lambda scope: _evaluation_items(scope, count_overdue=True),
    "K8": _drill_items,
    "K9": _special_drill_items,
    "K10": _record_items,
    "K11": _reported_items,
    "K12": _action_items,
    "K15": _basic_level_items,
    "LF": _late_filing_items,
}


# --- reading -------------------------------------------------------------------------------


#: Measures whose totals follow from another's: K7 (plans past their cycle) = K5's shortfall.
DERIVED = {"K7": "K5"}


def totals(scope: Scope, code: str, known: dict | None = None) -> dict[str, tuple[int, int]]:
    """Return {group key: (num, den)} for one measure: one GROUP BY in the database."""
    if code in DERIVED and known is not None and DERIVED[code] in known:
        return {key: (den - num, den) for key, (num, den) in known[DERIVED[code]].items()}
    items = ITEMS[code](replace(scope, lean=True)).subquery()
    stmt = select(items.c.key, func.sum(items.c.num), func.sum(items.c.den)).group_by(items.c.key)
    return {key: (int(num or 0), int(den or 0)) for key, num, den in db.session.execute(stmt)}


@dataclass
class EvidenceRow:
    """One record behind a figure, as the evidence list, the workbook and a snapshot show it."""

    key: str
    unit_id: int
    unit_name: str
    identifier: str | None
    unit_kind: str
    region_name: str
    region_path: str
    ref: str
    ref_id: int | None
    subject: str | None
    date_a: date | None
    date_b: date | None
    num: int
    den: int

    def failing(self, code: str) -> bool:
        """Tell whether the row counts against the group (a shortfall or a bad item)."""
        return self.num > 0 if code in COUNT_MEASURES else self.num < self.den

    def to_json(self) -> list:
        return [self.key, self.unit_id, self.unit_name, self.identifier, self.unit_kind,
                self.region_name, self.region_path, self.ref, self.ref_id, self.subject,
                _iso(self.date_a), _iso(self.date_b), self.num, self.den]

    @classmethod
    def from_json(cls, row: list) -> EvidenceRow:
        values = list(row)
        values[10], values[11] = _day(values[10]), _day(values[11])
        return cls(*values)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def evidence_stmt(scope: Scope, code: str, key: str | None = None, failing: bool = False):
    """Return the SELECT of a measure's items with their unit and region, ordered for reading."""
    items = ITEMS[code](scope).subquery()
    stmt = (select(items, Unit.name.label("unit_name"), Unit.identifier, Unit.kind.label("unit_kind"),
                   Region.name.label("region_name"), Region.path.label("region_path"))
            .join(Unit, Unit.id == items.c.unit_id).join(Region, Unit.region_id == Region.id))
    if key is not None:
        stmt = stmt.where(items.c.key == key)
    if failing:
        stmt = stmt.where(items.c.num > 0 if code in COUNT_MEASURES else items.c.num < items.c.den)
    return stmt.order_by(Region.path, Unit.name, items.c.subject, items.c.date_a, items.c.ref_id)


def evidence_rows(stmt) -> list[EvidenceRow]:
    """Run an evidence SELECT and return its rows."""
    return [EvidenceRow(key=r.key, unit_id=r.unit_id, unit_name=r.unit_name, identifier=r.identifier,
                        unit_kind=r.unit_kind, region_name=r.region_name, region_path=r.region_path, ref=r.ref,
                        ref_id=r.ref_id, subject=r.subject, date_a=r.date_a, date_b=r.date_b,
                        num=int(r.num or 0), den=int(r.den or 0))
            for r in db.session.execute(stmt)]


def scan_date() -> date | None:
    """Return the day of the latest stored compliance scan (what K1, K5, K7, K8, K15 read)."""
    found = db.session.scalar(select(func.max(ScanRun.as_of)))
    return found or db.session.scalar(select(func.max(Obligation.as_of)))
