"""Database-backed helpers of the compliance feature."""

from sqlalchemy import select

from emergency.compliance.models import CalendarDay, CalendarYear
from emergency.compliance.workdays import WorkdayCalendar
from emergency.extensions import db


def load_calendar() -> WorkdayCalendar:
    """Build the working-day calendar with the days and years administrators entered."""
    overrides = {row.day: row.is_workday for row in db.session.scalars(select(CalendarDay))}
    years = db.session.scalars(select(CalendarYear.year)).all()
    return WorkdayCalendar(overrides, years)
