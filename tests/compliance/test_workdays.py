"""Working-day tests.

Expected dates were counted by hand from the State Council holiday notices, not taken from the
code under test:

- 2025 (国办发明电〔2024〕12号): Spring Festival off 01-28 (Tue)..02-04 (Tue), work 01-26 (Sun)
  and 02-08 (Sat); National Day + Mid-Autumn off 10-01 (Wed)..10-08 (Wed), work 09-28 (Sun) and
  10-11 (Sat).
- 2026 (notice of 2025-11-04): New Year off 01-01..01-03, work 01-04 (Sun); Spring Festival off
  02-15 (Sun)..02-23 (Mon), work 02-14 (Sat) and 02-28 (Sat); Mid-Autumn off 09-25 (Fri)..09-27
  (Sun); National Day off 10-01 (Thu)..10-07 (Wed), work 09-20 (Sun) and 10-10 (Sat).
"""

from datetime import date

import pytest

from emergency.compliance.workdays import WorkdayCalendar, WorkdayResult

D = date
CALENDAR = WorkdayCalendar()


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 Spring Festival, start Fri 01-24: 01-26 Sun make-up (1), 01-27 (2), 01-28..02-04 off,
        # 02-05..07 (3-5), 02-08 Sat make-up (6), 02-10..14 (7-11), 02-17..21 (12-16),
        # 02-24..27 (17-20). Mon-Fri alone would give 02-21.
        pytest.param(D(2025, 1, 24), 20, D(2025, 2, 27), id="spring-festival-2025"),
        # 01-07..10 (1-4), 01-13..17 (5-9), 01-20..24 (10-14), 01-26 Sun (15), 01-27 (16),
        # 02-05..07 (17-19), 02-08 Sat make-up (20).
        pytest.param(D(2025, 1, 6), 20, D(2025, 2, 8), id="deadline-on-make-up-saturday-2025"),
        pytest.param(D(2025, 1, 24), 6, D(2025, 2, 8), id="sixth-day-is-make-up-saturday"),
        # Start on a holiday (Wed 01-29): 02-05..07 (1-3), 02-08 Sat (4), 02-10..14 (5-9),
        # 02-17..21 (10-14), 02-24..28 (15-19), 03-03 Mon (20).
        pytest.param(D(2025, 1, 29), 20, D(2025, 3, 3), id="start-on-holiday"),
        pytest.param(D(2025, 1, 29), 1, D(2025, 2, 5), id="start-on-holiday-first-day"),
        pytest.param(D(2025, 1, 25), 1, D(2025, 1, 26), id="next-day-is-make-up-sunday"),
        pytest.param(D(2025, 1, 26), 1, D(2025, 1, 27), id="start-on-make-up-sunday"),
        # 2025 National Day, start Fri 09-26: 09-28 Sun make-up (1), 09-29..30 (2-3),
        # 10-01..08 off, 10-09..10 (4-5), 10-11 Sat make-up (6), 10-13..17 (7-11),
        # 10-20..24 (12-16), 10-27..30 (17-20). Mon-Fri alone would give 10-24.
        pytest.param(D(2025, 9, 26), 20, D(2025, 10, 30), id="national-day-2025"),
        pytest.param(D(2025, 9, 26), 6, D(2025, 10, 11), id="deadline-on-make-up-saturday-oct"),
        # Review within 5 working days of a plan received on the last holiday day (Wed 10-08):
        # 10-09..10 (1-2), 10-11 Sat make-up (3), 10-12 Sun off, 10-13..14 (4-5).
        pytest.param(D(2025, 10, 8), 5, D(2025, 10, 14), id="review-5-after-holiday"),
        # 2026 Spring Festival, start Fri 02-06: 02-09..13 (1-5), 02-14 Sat make-up (6),
        # 02-15..23 off, 02-24..27 (7-10), 02-28 Sat make-up (11), 03-02..06 (12-16),
        # 03-09..12 (17-20). Mon-Fri alone would give 03-06.
        pytest.param(D(2026, 2, 6), 20, D(2026, 3, 12), id="spring-festival-2026"),
        # Start on the last holiday (Mon 02-23): 02-24..27 (1-4), 02-28 Sat make-up (5).
        pytest.param(D(2026, 2, 23), 5, D(2026, 2, 28), id="review-5-lands-on-make-up-2026"),
        # 2026 National Day, start Fri 09-18: 09-20 Sun make-up (1), 09-21..24 (2-5),
        # 09-25..27 Mid-Autumn off, 09-28..30 (6-8), 10-01..07 off, 10-08..09 (9-10),
        # 10-10 Sat make-up (11), 10-12..16 (12-16), 10-19..22 (17-20). Mon-Fri alone: 10-16.
        pytest.param(D(2026, 9, 18), 20, D(2026, 10, 22), id="national-day-2026"),
        # New Year 2026: 01-01..03 off, 01-04 Sun make-up is the first working day.
        pytest.param(D(2025, 12, 31), 1, D(2026, 1, 4), id="new-year-2026-make-up-sunday"),
    ],
)
def test_add_workdays_published_years(start, n, expected):
    assert CALENDAR.add_workdays(start, n) == WorkdayResult(expected, estimated=False)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2027 is unknown: plain Mon-Fri. 01-04..08 (1-5), 01-11..15, 01-18..22, 01-25..29 (20).
        pytest.param(D(2027, 1, 1), 20, D(2027, 1, 29), id="unknown-year-mon-fri"),
        # 12-28..31 are ordinary 2026 weekdays (1-4); 2027-01-01 Fri is guessed a working day (5).
        pytest.param(D(2026, 12, 25), 5, D(2027, 1, 1), id="walks-into-unknown-year"),
        pytest.param(D(2027, 1, 2), 1, D(2027, 1, 4), id="unknown-weekend-skipped"),
        pytest.param(D(2003, 12, 30), 1, D(2003, 12, 31), id="before-package-range"),
    ],
)
def test_add_workdays_unknown_years_are_estimated(start, n, expected):
    assert CALENDAR.add_workdays(start, n) == WorkdayResult(expected, estimated=True)


def test_add_workdays_within_known_year_near_unknown_one_is_not_estimated():
    # 12-28..31 are 2026 weekdays; the walk stops before 2027.
    assert CALENDAR.add_workdays(D(2026, 12, 25), 4) == WorkdayResult(D(2026, 12, 31), False)


@pytest.mark.parametrize(
    ("overrides", "years", "start", "n", "expected"),
    [
        # Admin marks 2027-01-01 (New Year) off: the 5th day moves to Mon 01-04.
        pytest.param({D(2027, 1, 1): False}, (), D(2026, 12, 25), 5, (D(2027, 1, 4), True)),
        # Declaring 2027 complete makes the same answer non-estimated.
        pytest.param({D(2027, 1, 1): False}, (2027,), D(2026, 12, 25), 5, (D(2027, 1, 4), False)),
        # A make-up Saturday entered for 2027 counts as a working day.
        pytest.param({D(2027, 1, 2): True}, (), D(2027, 1, 1), 1, (D(2027, 1, 2), True)),
        # Declared complete with no entries at all: plain Mon-Fri, but trusted.
        pytest.param({}, (2027,), D(2027, 1, 1), 20, (D(2027, 1, 29), False)),
        # Overrides win over the package too (a local extra day off on Thu 2025-10-09).
        pytest.param({D(2025, 10, 9): False}, (), D(2025, 10, 8), 1, (D(2025, 10, 10), False)),
    ],
)
def test_add_workdays_with_overrides(overrides, years, start, n, expected):
    calendar = WorkdayCalendar(overrides, override_years=years)
    assert calendar.add_workdays(start, n) == WorkdayResult(*expected)


@pytest.mark.parametrize("n", [0, -1])
def test_add_workdays_rejects_non_positive_n(n):
    with pytest.raises(ValueError):
        CALENDAR.add_workdays(D(2025, 1, 1), n)


def test_add_workdays_memo_returns_same_answer():
    calendar = WorkdayCalendar()
    first = calendar.add_workdays(D(2025, 9, 26), 20)
    assert first == WorkdayResult(D(2025, 10, 30), estimated=False)
    assert calendar.add_workdays(D(2025, 9, 26), 20) is first


def test_overrides_are_copied():
    overrides = {D(2027, 1, 4): False}
    calendar = WorkdayCalendar(overrides)
    overrides[D(2027, 1, 4)] = True
    assert calendar.is_workday(D(2027, 1, 4)) is False


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(D(2025, 1, 26), True, id="make-up-sunday-2025"),
        pytest.param(D(2025, 2, 8), True, id="make-up-saturday-2025"),
        pytest.param(D(2025, 1, 28), False, id="new-year-eve-2025"),
        pytest.param(D(2025, 10, 6), False, id="mid-autumn-monday-2025"),
        pytest.param(D(2025, 10, 8), False, id="last-national-day-2025"),
        pytest.param(D(2025, 10, 9), True, id="back-to-work-2025"),
        pytest.param(D(2026, 1, 4), True, id="make-up-sunday-2026"),
        pytest.param(D(2026, 2, 23), False, id="spring-festival-monday-2026"),
        pytest.param(D(2026, 9, 25), False, id="mid-autumn-friday-2026"),
        pytest.param(D(2026, 10, 10), True, id="make-up-saturday-2026"),
        pytest.param(D(2026, 10, 11), False, id="ordinary-sunday-2026"),
        pytest.param(D(2027, 1, 1), True, id="unknown-friday"),
        pytest.param(D(2027, 1, 2), False, id="unknown-saturday"),
    ],
)
def test_is_workday(day, expected):
    assert CALENDAR.is_workday(day) is expected


@pytest.mark.parametrize(
    ("years", "day", "expected"),
    [
        pytest.param((), D(2026, 6, 1), False, id="published"),
        pytest.param((), D(2027, 6, 1), True, id="unpublished"),
        pytest.param((), D(2003, 6, 1), True, id="before-package-range"),
        pytest.param((2027,), D(2027, 6, 1), False, id="declared-complete"),
        pytest.param((2027,), D(2028, 6, 1), True, id="other-year-still-estimated"),
    ],
)
def test_is_estimated(years, day, expected):
    assert WorkdayCalendar(override_years=years).is_estimated(day) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(D(2025, 1, 24), D(2025, 2, 27), 20, id="spring-festival-2025"),
        pytest.param(D(2025, 9, 26), D(2025, 10, 30), 20, id="national-day-2025"),
        pytest.param(D(2026, 2, 6), D(2026, 3, 12), 20, id="spring-festival-2026"),
        pytest.param(D(2026, 9, 18), D(2026, 10, 22), 20, id="national-day-2026"),
        pytest.param(D(2025, 9, 30), D(2025, 10, 8), 0, id="inside-holiday"),
        pytest.param(D(2025, 1, 24), D(2025, 1, 24), 0, id="same-day"),
        pytest.param(D(2025, 2, 27), D(2025, 1, 24), 0, id="reversed"),
        pytest.param(D(2025, 1, 24), D(2025, 1, 26), 1, id="end-is-make-up-sunday-inclusive"),
        pytest.param(D(2027, 1, 1), D(2027, 1, 29), 20, id="unknown-year"),
    ],
)
def test_workdays_between(start, end, expected):
    assert CALENDAR.workdays_between(start, end) == expected
