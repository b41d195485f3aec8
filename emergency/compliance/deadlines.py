"""Filing and review deadlines: the only place these dates are computed. Pure functions."""

from dataclasses import dataclass
from datetime import date

from emergency.compliance.workdays import WorkdayCalendar, WorkdayResult


@dataclass(frozen=True)
class FilingTiming:
    """The working-day limits of the filing workflow and where they come from."""

    #: 印发后20个工作日内备案 (办法2024 第26条; 生产办法 第26条).
    filing_workdays: int = 20
    #: 受理部门5个工作日内核对材料 (生产办法 第28条).
    review_workdays: int = 5


def filing_deadline(issued_on: date, calendar: WorkdayCalendar,
                    timing: FilingTiming = FilingTiming()) -> WorkdayResult:
    """Return the last day to submit a plan for filing: the Nth working day after issue."""
    return calendar.add_workdays(issued_on, timing.filing_workdays)


def review_deadline(submitted_on: date, calendar: WorkdayCalendar,
                    timing: FilingTiming = FilingTiming()) -> WorkdayResult:
    """Return the last day for the office to file or return a submission."""
    return calendar.add_workdays(submitted_on, timing.review_workdays)


def filing_met(due_on: date | None, submitted_on: date | None) -> bool | None:
    """Tell whether the accepted submission came on or before the due date (None: not yet known)."""
    if due_on is None or submitted_on is None:
        return None
    return submitted_on <= due_on


def is_deemed_filed(review_due_on: date | None, today: date) -> bool:
    """Tell whether the review period is over, so silence now counts as filing (inclusive due date)."""
    return review_due_on is not None and today > review_due_on
