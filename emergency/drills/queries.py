"""Read-side queries of the drill pages: annual plan, drill record, calendar and register."""

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from emergency.auth.scoping import scoped
from emergency.compliance.seed import ARTICLE_33_2
from emergency.documents.models import Document
from emergency.drills.checklist import REQUIRED_DRILL_DOCUMENTS
from emergency.drills.models import (
    ActionEvent,
    ActionStatus,
    CorrectiveAction,
    Drill,
    DrillChange,
    DrillStatus,
)
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.regions.models import Region
from emergency.units.models import SCHOOL_KINDS, Unit

#: Units that must report each drill to the regulator (生产办法 第33条第二款, 应急条例 第8条).
REPORTING_TAGS = frozenset(ARTICLE_33_2)
VIEWS = ("month", "list")
#: The status filter: "" = planned and held (the calendar), "all" includes cancelled drills.
STATUS_FILTERS = ("planned", "held", "cancelled", "all")
#: Drills shown in one day of the month grid; the rest are behind a link to the list of that day.
PER_DAY = 5
FIRST_YEAR, LAST_YEAR = 1990, 2100


def is_school(unit: Unit) -> bool:
    return unit.kind in SCHOOL_KINDS


def must_report(unit: Unit) -> bool:
    """Tell whether the unit reports its drills to the regulator (high-risk, crowded places)."""
    return bool(REPORTING_TAGS & set(unit.risk_tags))


def drill_day(drill: Drill) -> date:
    """Return the day a drill is shown on: held, else planned."""
    return drill.held_on or drill.planned_on


def _day_column():
    return func.coalesce(Drill.held_on, Drill.planned_on)


def _between(start: date, end: date):
    # Two indexed ranges instead of COALESCE(...) BETWEEN, which no index serves.
    return or_(and_(Drill.held_on.is_not(None), Drill.held_on.between(start, end)),
               and_(Drill.held_on.is_(None), Drill.planned_on.between(start, end)))


# --- a unit's annual drill plan ----------------------------------------------------------------

def unit_plans(unit: Unit) -> list[Plan]:
    """Return the unit's plans a drill can exercise, by title."""
    return list(db.session.scalars(
        select(Plan).where(Plan.unit_id == unit.id, Plan.is_archived.is_(False))
        .order_by(Plan.title)))


def year_drills(unit: Unit, year: int) -> list[Drill]:
    """Return the unit's drills planned or held in a year, by date."""
    return list(db.session.scalars(
        select(Drill).where(Drill.unit_id == unit.id,
                            or_(_between(date(year, 1, 1), date(year, 12, 31)),
                                Drill.planned_on.between(date(year, 1, 1), date(year, 12, 31))))
        .options(selectinload(Drill.plans))
        .order_by(_day_column(), Drill.id)))


# --- one drill record --------------------------------------------------------------------------

@dataclass
class ActionRow:
    action: CorrectiveAction
    evidence: list = field(default_factory=list)
    events: list = field(default_factory=list)


def drill_record(drill: Drill) -> dict:
    """Return the documents, missing checklist, history and corrective actions of a drill."""
    documents = list(db.session.scalars(
        select(Document).where(Document.drill_id == drill.id).order_by(Document.id)))
    present = {d.doc_type for d in documents}
    actions = list(db.session.scalars(
        select(CorrectiveAction).where(CorrectiveAction.drill_id == drill.id)
        .order_by(CorrectiveAction.id)))
    rows = {a.id: ActionRow(a) for a in actions}
    ids = list(rows) or [-1]
    for document in db.session.scalars(
            select(Document).where(Document.action_id.in_(ids)).order_by(Document.id)):
        rows[document.action_id].evidence.append(document)
    for event in db.session.scalars(
            select(ActionEvent).where(ActionEvent.action_id.in_(ids)).order_by(ActionEvent.id)):
        rows[event.action_id].events.append(event)
    changes = list(db.session.scalars(
        select(DrillChange).where(DrillChange.drill_id == drill.id).order_by(DrillChange.id)))
    return dict(documents=documents, required=list(REQUIRED_DRILL_DOCUMENTS),
                missing=[t for t in REQUIRED_DRILL_DOCUMENTS if t not in present],
                actions=list(rows.values()), changes=changes)


# --- the calendar and the register -------------------------------------------------------------

def _int(value, default=None):
    return int(value) if value and str(value).isdigit() and len(str(value)) < 10 else default


def _month(value) -> date | None:
    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return date(year, month, 1) if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 else None


def _day(value) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


@dataclass
class DrillFilters:
    view: str = "month"
    month: date | None = None
    year: int | None = None
    day: date | None = None
    region: int | None = None
    kind: str = ""
    form: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "DrillFilters":
        """Read filters from query arguments, ignoring anything malformed."""
        view = args.get("view") or ""
        status = args.get("status") or ""
        year = _int(args.get("year"))
        return cls(view=view if view in VIEWS else "month", month=_month(args.get("month")),
                   year=year if year and FIRST_YEAR <= year <= LAST_YEAR else None,
                   day=_day(args.get("day")), region=_int(args.get("region")),
                   kind=(args.get("kind") or "")[:30], form=(args.get("form") or "")[:15],
                   status=status if status in STATUS_FILTERS else "",
                   page=max(_int(args.get("page"), 1), 1))

    def span(self, today: date) -> tuple[date, date]:
        """Return the first and last day shown: a day, a month, a year, else this month/year."""
        if self.day and self.view == "list":
            return self.day, self.day
        if self.month:
            first = self.month
        elif self.year:
            if self.view == "list":
                return date(self.year, 1, 1), date(self.year, 12, 31)
            first = date(self.year, 1, 1)
        elif self.view == "list":
            return date(today.year, 1, 1), date(today.year, 12, 31)
        else:
            first = today.replace(day=1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _filtered(user, filters: DrillFilters, today: date):
    """Return the scoped, filtered SELECT of drills joined to their unit and region."""
    start, end = filters.span(today)
    stmt = scoped(Drill, user).join(Drill.unit).join(Unit.region).where(_between(start, end))
    if filters.region:
        region = db.session.get(Region, filters.region)
        stmt = stmt.where(Region.in_subtree(region.path)) if region else stmt.where(Drill.id < 0)
    if filters.kind:
        stmt = stmt.where(Unit.kind == filters.kind)
    if filters.form:
        stmt = stmt.where(Drill.form == filters.form)
    if filters.status == "all":
        return stmt
    if filters.status:
        return stmt.where(Drill.status == filters.status)
    return stmt.where(Drill.status != DrillStatus.CANCELLED)


def drill_query(user, filters: DrillFilters, today: date):
    """Return the scoped, filtered SELECT of drills (with unit and region) in the filters' span."""
    return (_filtered(user, filters, today)
            .options(contains_eager(Drill.unit).contains_eager(Unit.region),
                     selectinload(Drill.plans))
            .order_by(_day_column(), Unit.name, Drill.id))


@dataclass
class Day:
    day: date
    in_month: bool
    drills: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.drills)


def month_grid(user, filters: DrillFilters, today: date) -> tuple[date, list[list[Day]]]:
    """Return the month shown and its weeks (Monday first), with at most PER_DAY drills a day."""
    first, last = filters.span(today)
    day = _day_column()
    ranked = (_filtered(user, filters, today).with_only_columns(
        Drill.id, day.label("day"),
        func.row_number().over(partition_by=day, order_by=(Unit.name, Drill.id)).label("rank"))
        .subquery())
    shown = select(ranked.c.id).where(ranked.c.rank <= PER_DAY)
    counts = dict(db.session.execute(
        select(ranked.c.day, func.count()).group_by(ranked.c.day)).all())
    by_day = defaultdict(list)
    for drill in db.session.scalars(drill_query(user, filters, today).where(Drill.id.in_(shown))):
        by_day[drill_day(drill)].append(drill)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    weeks, current = [], start
    while current <= end:
        week = []
        for _i in range(7):
            week.append(Day(current, current.month == first.month, by_day.get(current, []),
                            counts.get(current, 0)))
            current += timedelta(days=1)
        weeks.append(week)
    return first, weeks


def register_facts(ids: list[int]):
    """Return the document types, action counts and open action counts of drills, in bulk."""
    present, actions, open_actions = defaultdict(set), defaultdict(int), defaultdict(int)
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk:chunk + 5000]
        for drill_id, doc_type in db.session.execute(
                select(Document.drill_id, Document.doc_type).where(Document.drill_id.in_(part))
                .distinct()):
            present[drill_id].add(doc_type)
        for drill_id, status, number in db.session.execute(
                select(CorrectiveAction.drill_id, CorrectiveAction.status, func.count())
                .where(CorrectiveAction.drill_id.in_(part))
                .group_by(CorrectiveAction.drill_id, CorrectiveAction.status)):
            actions[drill_id] += number
            if status != ActionStatus.VERIFIED:
                open_actions[drill_id] += number
    return present, actions, open_actions
