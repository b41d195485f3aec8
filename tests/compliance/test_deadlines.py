"""Filing and review deadlines (pure): 20 / 5 working days, on-time and deemed-filing edges.

Every expected date below was counted by hand against the State Council holiday notices, not
taken from the code under test (a day is "counted" when it is an official working day; the
issue or submission day itself is never counted):

- 2025, 国办发明电〔2024〕12号 (2024-11-12): New Year 01-01 (Wed) only; Spring Festival off
  01-28 (Tue)..02-04 (Tue), make-up working days 01-26 (Sun) and 02-08 (Sat); National Day +
  Mid-Autumn off 10-01 (Wed)..10-08 (Wed), make-up working days 09-28 (Sun) and 10-11 (Sat).
- 2026, notice of 2025-11-04: New Year off 01-01..01-03, make-up 01-04 (Sun); Spring Festival
  off 02-15 (Sun)..02-23 (Mon), make-up 02-14 (Sat) and 02-28 (Sat); Mid-Autumn off
  09-25 (Fri)..09-27 (Sun); National Day off 10-01 (Thu)..10-07 (Wed), make-up 09-20 (Sun) and
  10-10 (Sat).
- 2027: not published when this was written, so Mon-Fri is assumed and the result is estimated.
"""

from datetime import date

import pytest

from emergency.compliance.deadlines import (
    FilingTiming,
    filing_deadline,
    filing_met,
    is_deemed_filed,
    review_deadline,
)
from emergency.compliance.workdays import WorkdayCalendar, WorkdayResult

D = date
CALENDAR = WorkdayCalendar()


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        # Issued Mon 2025-01-20: 01-21..24 (1-4), 01-26 Sun make-up (5), 01-27 (6),
        # 01-28..02-04 off, 02-05..07 (7-9), 02-08 Sat make-up (10), 02-10..14 (11-15),
        # 02-17..21 (16-20). Plain Mon-Fri would give 02-17; the holiday costs 6 days and the
        # two make-up days give 2 back.
        pytest.param(D(2025, 1, 20), D(2025, 2, 21), id="spring-festival-2025"),
        # Issued Tue 2025-09-23: 09-24..26 (1-3), 09-28 Sun make-up (4), 09-29..30 (5-6),
        # 10-01..08 off, 10-09..10 (7-8), 10-11 Sat make-up (9), 10-13..17 (10-14),
        # 10-20..24 (15-19), 10-27 Mon (20).
        pytest.param(D(2025, 9, 23), D(2025, 10, 27), id="national-day-2025"),
        # Issued Wed 2026-02-11: 02-12..13 (1-2), 02-14 Sat make-up (3), 02-15..23 off,
        # 02-24..27 (4-7), 02-28 Sat make-up (8), 03-02..06 (9-13), 03-09..13 (14-18),
        # 03-16..17 (19-20).
        pytest.param(D(2026, 2, 11), D(2026, 3, 17), id="spring-festival-2026"),
        # Issued Mon 2026-09-14: 09-15..18 (1-4), 09-20 Sun make-up (5), 09-21..24 (6-9),
        # 09-25..27 Mid-Autumn off, 09-28..30 (10-12), 10-01..07 off, 10-08..09 (13-14),
        # 10-10 Sat make-up (15), 10-12..16 (16-20).
        pytest.param(D(2026, 9, 14), D(2026, 10, 16), id="national-day-2026"),
        # Issued on a holiday, Fri 2025-10-03: 10-09..10 (1-2), 10-11 Sat make-up (3),
        # 10-13..17 (4-8), 10-20..24 (9-13), 10-27..31 (14-18), 11-03..04 (19-20).
        pytest.param(D(2025, 10, 3), D(2025, 11, 4), id="issued-on-national-day-holiday-2025"),
        # Issued on a holiday, Tue 2026-02-17 (正月初一): 02-24..27 (1-4), 02-28 Sat make-up (5),
        # 03-02..06 (6-10), 03-09..13 (11-15), 03-16..20 (16-20).
        pytest.param(D(2026, 2, 17), D(2026, 3, 20), id="issued-on-spring-festival-holiday-2026"),
        # Issued on the make-up Saturday 2026-02-14, a working day that is still not counted:
        # the next working day is 02-24, so the answer equals the holiday case above.
        pytest.param(D(2026, 2, 14), D(2026, 3, 20), id="issued-on-make-up-saturday-2026"),
        # Issued on the day before the New Year holiday, Wed 2025-12-31: 01-01..03 off,
        # 01-04 Sun make-up (1), 01-05..09 (2-6), 01-12..16 (7-11), 01-19..23 (12-16),
        # 01-26..29 (17-20).
        pytest.param(D(2025, 12, 31), D(2026, 1, 29), id="across-new-year-2026"),
        # Issued Tue 2026-12-01: 12-02..04 (1-3), 12-07..11 (4-8), 12-14..18 (9-13),
        # 12-21..25 (14-18), 12-28..29 (19-20): ends inside 2026, so not estimated.
        pytest.param(D(2026, 12, 1), D(2026, 12, 29), id="late-2026-still-published"),
    ],
)
def test_filing_deadline_published_years(issued_on, expected):
    assert filing_deadline(issued_on, CALENDAR) == WorkdayResult(expected, estimated=False)


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        # Issued Thu 2026-12-10: 12-11 (1), 12-14..18 (2-6), 12-21..25 (7-11), 12-28..31 (12-15),
        # then 2027 is unknown: Fri 01-01 is guessed a working day (16), 01-04..07 (17-20).
        pytest.param(D(2026, 12, 10), D(2027, 1, 7), id="walks-into-2027"),
        # Wholly in 2027, Mon 2027-03-01: 03-02..05 (1-4), 03-08..12, 03-15..19, 03-22..26 (19),
        # 03-29 (20).
        pytest.param(D(2027, 3, 1), D(2027, 3, 29), id="issued-in-2027"),
    ],
)
def test_filing_deadline_in_unpublished_year_is_estimated(issued_on, expected):
    assert filing_deadline(issued_on, CALENDAR) == WorkdayResult(expected, estimated=True)


def test_filing_deadline_follows_admin_entered_days_for_unpublished_year():
    # If the admin enters 2027-01-01 as a day off and declares 2027 complete, the walk from
    # 2026-12-10 loses that day: 01-04..08 give 16-20, so the deadline is 01-08 and trusted.
    calendar = WorkdayCalendar({D(2027, 1, 1): False}, override_years=(2027,))
    assert filing_deadline(D(2026, 12, 10), calendar) == WorkdayResult(D(2027, 1, 8), False)


def test_filing_deadline_uses_the_configured_number_of_days():
    # A 10-working-day rule from Mon 2025-01-20: 01-21..24 (4), 01-26 (5), 01-27 (6),
    # 02-05..07 (9), 02-08 Sat (10).
    timing = FilingTiming(filing_workdays=10)
    assert filing_deadline(D(2025, 1, 20), CALENDAR, timing).date == D(2025, 2, 8)


@pytest.mark.parametrize(
    ("submitted_on", "expected", "estimated"),
    [
        # Fri 2025-01-24: 01-26 Sun make-up (1), 01-27 (2), 01-28..02-04 off, 02-05..07 (3-5).
        pytest.param(D(2025, 1, 24), D(2025, 2, 7), False, id="spring-festival-2025"),
        # Tue 2025-09-30: 10-01..08 off, 10-09..10 (1-2), 10-11 Sat make-up (3), 10-13..14 (4-5).
        pytest.param(D(2025, 9, 30), D(2025, 10, 14), False, id="national-day-2025"),
        # Wed 2026-02-11: 02-12..13 (1-2), 02-14 Sat make-up (3), 02-15..23 off, 02-24..25 (4-5).
        pytest.param(D(2026, 2, 11), D(2026, 2, 25), False, id="spring-festival-2026"),
        # Wed 2026-09-30: 10-01..07 off, 10-08..09 (1-2), 10-10 Sat make-up (3), 10-12..13 (4-5).
        pytest.param(D(2026, 9, 30), D(2026, 10, 13), False, id="national-day-2026"),
        # Submitted on a holiday, Mon 2026-02-16: 02-24..27 (1-4), 02-28 Sat make-up (5).
        pytest.param(D(2026, 2, 16), D(2026, 2, 28), False, id="submitted-on-holiday"),
        # An ordinary week: Fri 2026-11-20 -> 11-23..27.
        pytest.param(D(2026, 11, 20), D(2026, 11, 27), False, id="ordinary-week"),
        # Thu 2026-12-24: 12-25 (1), 12-28..31 (2-5): just inside 2026.
        pytest.param(D(2026, 12, 24), D(2026, 12, 31), False, id="ends-on-new-years-eve"),
        # Fri 2026-12-25: 12-28..31 (1-4), 2027-01-01 guessed working day (5).
        pytest.param(D(2026, 12, 25), D(2027, 1, 1), True, id="ends-in-2027"),
    ],
)
def test_review_deadline_is_five_working_days(submitted_on, expected, estimated):
    assert review_deadline(submitted_on, CALENDAR) == WorkdayResult(expected, estimated)


@pytest.mark.parametrize(
    ("due_on", "submitted_on", "expected"),
    [
        pytest.param(D(2025, 2, 21), D(2025, 2, 20), True, id="day-before"),
        pytest.param(D(2025, 2, 21), D(2025, 2, 21), True, id="on-the-due-date-is-met"),
        pytest.param(D(2025, 2, 21), D(2025, 2, 22), False, id="day-after-is-late"),
        pytest.param(D(2025, 2, 21), D(2025, 3, 21), False, id="month-late"),
        pytest.param(D(2025, 2, 21), None, None, id="not-submitted-yet"),
        pytest.param(None, D(2025, 2, 21), None, id="no-due-date"),
    ],
)
def test_filing_met(due_on, submitted_on, expected):
    assert filing_met(due_on, submitted_on) is expected


@pytest.mark.parametrize(
    ("review_due_on", "today", "expected"),
    [
        pytest.param(D(2026, 11, 27), D(2026, 11, 26), False, id="before-review-day"),
        pytest.param(D(2026, 11, 27), D(2026, 11, 27), False, id="review-day-is-inclusive"),
        pytest.param(D(2026, 11, 27), D(2026, 11, 28), True, id="day-after-review-day"),
        pytest.param(D(2026, 11, 27), D(2027, 1, 5), True, id="long-after"),
        pytest.param(None, D(2026, 11, 28), False, id="never-submitted"),
    ],
)
def test_is_deemed_filed(review_due_on, today, expected):
    assert is_deemed_filed(review_due_on, today) is expected
