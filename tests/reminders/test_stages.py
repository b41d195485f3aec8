"""Pure reminder timing: stages reached by a day, working-day stages, quiet hours, backoff."""

from datetime import UTC, date, datetime, timedelta

import pytest

from emergency.compliance.workdays import WorkdayCalendar
from emergency.reminders.stages import (
    CHINA,
    advance_stage,
    after_quiet_hours,
    backoff,
    digest_time,
    in_quiet_hours,
    overdue_stage,
    parse_quiet_hours,
    workdays_before,
)

CALENDAR = WorkdayCalendar()
DUE = date(2026, 6, 30)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 5, 30), None),  # 31 days before
    (date(2026, 5, 31), "d30"),
    (date(2026, 6, 22), "d30"),
    (date(2026, 6, 23), "d7"),
    (date(2026, 6, 29), "d1"),
    (date(2026, 6, 30), "d1"),  # the due day itself is not overdue
    (date(2026, 7, 1), None),
])
def test_advance_stage_is_the_latest_stage_reached(today, expected):
    assert advance_stage(DUE, today, [30, 7, 1]) == expected


def test_a_day_without_the_scheduler_loses_no_stage():
    # "≤ today", never "== today": a stage missed on its own day is still owed the next day.
    assert advance_stage(DUE, date(2026, 6, 24), [30, 7, 1]) == "d7"


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 6, 30), None), (date(2026, 7, 1), "w0"), (date(2026, 7, 7), "w0"),
    (date(2026, 7, 8), "w1"), (date(2026, 7, 15), "w2"),
])
def test_overdue_stage_is_the_first_day_then_weekly(today, expected):
    assert overdue_stage(DUE, today) == expected


@pytest.mark.parametrize(("due", "n", "expected"), [
    (date(2026, 4, 30), 0, date(2026, 4, 30)),
    (date(2026, 4, 30), 3, date(2026, 4, 27)),  # over a weekend
    (date(2026, 4, 30), 10, date(2026, 4, 16)),
    (date(2025, 10, 9), 3, date(2025, 9, 28)),  # National Day holiday; 9-28 is a make-up Sunday
])
def test_workdays_before_counts_chinas_working_days(due, n, expected):
    assert workdays_before(due, n, CALENDAR.is_workday) == expected


def test_filing_stages_count_working_days():
    due = date(2026, 4, 30)
    assert advance_stage(due, date(2026, 4, 15), [10, 3, 0], CALENDAR.is_workday) is None
    assert advance_stage(due, date(2026, 4, 16), [10, 3, 0], CALENDAR.is_workday) == "d10"
    # Counted in calendar days the 10-day stage would not be reached until 4-20.
    assert advance_stage(due, date(2026, 4, 16), [10, 3, 0]) is None
    assert advance_stage(due, due, [10, 3, 0], CALENDAR.is_workday) == "d0"


def _china(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=CHINA)


@pytest.mark.parametrize(("hour", "quiet", "expected"), [
    (23, (22, 8), True), (3, (22, 8), True), (8, (22, 8), False), (21, (22, 8), False),
    (13, (12, 14), True), (14, (12, 14), False), (3, None, False),
])
def test_quiet_hours_wrap_past_midnight(hour, quiet, expected):
    assert in_quiet_hours(_china(hour), quiet) is expected


def test_mail_due_in_quiet_hours_waits_until_they_end():
    assert after_quiet_hours(_china(23, 30), (22, 8)) == _china(8) + timedelta(days=1)
    assert after_quiet_hours(_china(6), (22, 8)) == _china(8)
    assert after_quiet_hours(_china(10), (22, 8)) == _china(10)


def test_digest_time_is_the_users_hour_but_never_in_the_past():
    now = _china(9).astimezone(UTC)
    assert digest_time(date(2026, 3, 2), 16, now, (22, 8)) == _china(16)
    assert digest_time(date(2026, 3, 2), 8, now, (22, 8)) == now


@pytest.mark.parametrize("value", ["22", "a-b", "25-3"])
def test_malformed_quiet_hours_are_refused(value):
    with pytest.raises(ValueError):
        parse_quiet_hours(value)


def test_backoff_grows_and_is_capped_at_an_hour():
    waits = [backoff(n, "mail:1:2026-03-02:abc") for n in range(1, 12)]
    assert all(later > earlier for earlier, later in zip(waits[:6], waits[1:7], strict=True))
    assert timedelta(seconds=48) <= waits[0] <= timedelta(seconds=72)
    assert max(waits) <= timedelta(seconds=3600 * 1.2)
