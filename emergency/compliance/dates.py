"""Month arithmetic and the calendar periods that period rules are counted in."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

ONE_DAY = timedelta(days=1)

#: A (month, day) pair, e.g. (3, 1) for 1 March.
MonthDay = tuple[int, int]


class PeriodKind(StrEnum):
    """Name the kinds of period a period rule counts its obligations in."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    TERM = "term"


# The calendar kinds are blocks of whole months aligned to January, so one formula serves all four.
_SPAN_MONTHS = {
    PeriodKind.MONTH: 1,
    PeriodKind.QUARTER: 3,
    PeriodKind.HALF_YEAR: 6,
    PeriodKind.YEAR: 12,
}


@dataclass(frozen=True)
class Period:
    """Hold one period; ``end`` is inclusive and is the due date of the period's obligation."""

    kind: PeriodKind
    start: date
    end: date
    label: str

    @property
    def due_date(self) -> date:
        """Return the last day of the period, on which its obligation falls due."""
        # Due dates are inclusive: work done on the last day still counts for this period.
        return self.end

    def contains(self, d: date) -> bool:
        """Tell whether ``d`` lies inside the period."""
        return self.start <= d <= self.end

    def overlaps(self, start: date, end: date) -> bool:
        """Tell whether the period shares at least one day with [start, end]."""
        return self.start <= end and start <= self.end


def add_months(d: date, months: int) -> date:
    """Return ``d`` moved by ``months`` (may be negative), clamped to the target month's end."""
    # Count months from year 0 so that divmod handles year changes in both directions.
    year, month_index = divmod(d.year * 12 + d.month - 1 + months, 12)
    month = month_index + 1
    # Clamping (not rolling over) keeps 31 Jan + 1 month inside February, as the rules read.
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _check_month_day(value: MonthDay) -> MonthDay:
    """Return ``value`` as a (month, day) tuple, or raise ValueError if it is not one."""
    month, day = value
    # 2001 is not a leap year: a term boundary must exist every year, so 29 Feb is refused.
    date(2001, month, day)
    return (month, day)


@dataclass(frozen=True)
class SchoolTerms:
    """Configure the two school terms as (month, day) boundaries, both inclusive."""

    spring_start: MonthDay = (3, 1)
    spring_end: MonthDay = (7, 15)
    autumn_start: MonthDay = (9, 1)
    #: Earlier in the year than autumn_start means the autumn term ends in the next year.
    autumn_end: MonthDay = (1, 20)

    def __post_init__(self) -> None:
        """Normalise the boundaries to tuples and reject terms that overlap."""
        # Settings may arrive as JSON lists; tuples compare correctly and keep instances hashable.
        for name in ("spring_start", "spring_end", "autumn_start", "autumn_end"):
            object.__setattr__(self, name, _check_month_day(getattr(self, name)))
        if not self.spring_start <= self.spring_end < self.autumn_start:
            raise ValueError("the spring term must end before the autumn term starts")
        if self.autumn_wraps and self.autumn_end >= self.spring_start:
            raise ValueError("the autumn term must end before the next spring term starts")

    @property
    def autumn_wraps(self) -> bool:
        """Tell whether the autumn term ends in the calendar year after it starts."""
        return self.autumn_end < self.autumn_start

    def terms_starting_in(self, year: int) -> list[Period]:
        """Return the spring and autumn terms that start in ``year``."""
        autumn_end_year = year + 1 if self.autumn_wraps else year
        spring = Period(
            PeriodKind.TERM,
            date(year, *self.spring_start),
            date(year, *self.spring_end),
            f"{year}-spring",
        )
        # The autumn term is named after the year it starts in, like the school year it opens.
        autumn = Period(
            PeriodKind.TERM,
            date(year, *self.autumn_start),
            date(autumn_end_year, *self.autumn_end),
            f"{year}-autumn",
        )
        return [spring, autumn]


DEFAULT_TERMS = SchoolTerms()


def _calendar_label(kind: PeriodKind, year: int, index: int) -> str:
    """Return the label of the ``index``-th (0-based) period of ``kind`` in ``year``."""
    if kind is PeriodKind.MONTH:
        return f"{year}-{index + 1:02d}"
    if kind is PeriodKind.QUARTER:
        return f"{year}-Q{index + 1}"
    if kind is PeriodKind.HALF_YEAR:
        return f"{year}-H{index + 1}"
    return f"{year}"


def _calendar_period(kind: PeriodKind, d: date) -> Period:
    """Return the month, quarter, half-year or year that contains ``d``."""
    span = _SPAN_MONTHS[kind]
    index = (d.month - 1) // span
    start = date(d.year, index * span + 1, 1)
    end = add_months(start, span) - ONE_DAY
    return Period(kind, start, end, _calendar_label(kind, d.year, index))


def _terms_between(start: date, end: date, terms: SchoolTerms) -> list[Period]:
    """Return the terms that overlap [start, end], in date order."""
    # Start one year early: the autumn term of the previous year may run into January.
    return [
        term
        for year in range(start.year - 1, end.year + 1)
        for term in terms.terms_starting_in(year)
        if term.overlaps(start, end)
    ]


def period_containing(
    kind: PeriodKind | str, d: date, terms: SchoolTerms | None = None
) -> Period | None:
    """Return the period of ``kind`` containing ``d``; None for a term-kind date in a vacation."""
    # Accept the plain string stored in rule rows as well as the enum.
    kind = PeriodKind(kind)
    if kind is PeriodKind.TERM:
        found = _terms_between(d, d, terms if terms is not None else DEFAULT_TERMS)
        return found[0] if found else None
    return _calendar_period(kind, d)


def periods_between(
    kind: PeriodKind | str, start: date, end: date, terms: SchoolTerms | None = None
) -> list[Period]:
    """Return every period of ``kind`` that overlaps [start, end]; empty when start > end."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.TERM:
        return _terms_between(start, end, terms if terms is not None else DEFAULT_TERMS)
    periods: list[Period] = []
    current = start
    while current <= end:
        period = _calendar_period(kind, current)
        periods.append(period)
        current = period.end + ONE_DAY
    return periods


def overlaps_term(period: Period, terms: SchoolTerms | None = None) -> bool:
    """Tell whether ``period`` shares a day with a school term."""
    # School drill rules owe nothing for a month or quarter spent wholly in a vacation.
    terms = terms if terms is not None else DEFAULT_TERMS
    return bool(_terms_between(period.start, period.end, terms))
