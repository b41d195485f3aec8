import itertools
from datetime import date, timedelta

import pytest

from emergency.compliance.dates import (
    Period,
    PeriodKind,
    SchoolTerms,
    add_months,
    overlaps_term,
    period_containing,
    periods_between,
)

D = date
ONE_DAY = timedelta(days=1)
MONTH, QUARTER, HALF, YEAR, TERM = (
    PeriodKind.MONTH,
    PeriodKind.QUARTER,
    PeriodKind.HALF_YEAR,
    PeriodKind.YEAR,
    PeriodKind.TERM,
)
# Spring 02-20..07-10, autumn 08-25..01-25 (next year).
LONG_TERMS = SchoolTerms((2, 20), (7, 10), (8, 25), (1, 25))
# Autumn term ending before the new year.
NO_WRAP_TERMS = SchoolTerms((3, 1), (6, 30), (9, 1), (12, 31))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(D(2024, 2, 29), 36, D(2027, 2, 28), id="leap-day-plus-36-clamps"),
        pytest.param(D(2024, 2, 29), 48, D(2028, 2, 29), id="leap-day-to-leap-year"),
        pytest.param(D(2024, 2, 29), 12, D(2025, 2, 28), id="leap-day-plus-12"),
        pytest.param(D(2025, 1, 31), 1, D(2025, 2, 28), id="jan-31-to-feb"),
        pytest.param(D(2024, 1, 31), 1, D(2024, 2, 29), id="jan-31-to-leap-feb"),
        pytest.param(D(2025, 8, 31), 1, D(2025, 9, 30), id="31-to-30-day-month"),
        pytest.param(D(2025, 12, 31), 2, D(2026, 2, 28), id="across-year-end-clamps"),
        pytest.param(D(2025, 11, 15), 2, D(2026, 1, 15), id="dec-to-jan"),
        pytest.param(D(2025, 5, 31), 0, D(2025, 5, 31), id="zero"),
        pytest.param(D(2025, 3, 31), -1, D(2025, 2, 28), id="negative-clamps"),
        pytest.param(D(2024, 3, 31), -1, D(2024, 2, 29), id="negative-to-leap-feb"),
        pytest.param(D(2025, 1, 15), -1, D(2024, 12, 15), id="negative-across-year"),
        pytest.param(D(2025, 1, 15), -13, D(2023, 12, 15), id="negative-over-a-year"),
        pytest.param(D(2027, 2, 28), -36, D(2024, 2, 28), id="negative-does-not-restore-day"),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("kind", "day", "start", "end", "label"),
    [
        (MONTH, "2025-12-31", "2025-12-01", "2025-12-31", "2025-12"),
        (MONTH, "2026-01-01", "2026-01-01", "2026-01-31", "2026-01"),
        (MONTH, "2024-02-15", "2024-02-01", "2024-02-29", "2024-02"),
        (MONTH, "2025-02-28", "2025-02-01", "2025-02-28", "2025-02"),
        (QUARTER, "2025-03-31", "2025-01-01", "2025-03-31", "2025-Q1"),
        (QUARTER, "2025-04-01", "2025-04-01", "2025-06-30", "2025-Q2"),
        (QUARTER, "2025-09-30", "2025-07-01", "2025-09-30", "2025-Q3"),
        (QUARTER, "2025-12-31", "2025-10-01", "2025-12-31", "2025-Q4"),
        (QUARTER, "2026-01-01", "2026-01-01", "2026-03-31", "2026-Q1"),
        (HALF, "2025-06-30", "2025-01-01", "2025-06-30", "2025-H1"),
        (HALF, "2025-07-01", "2025-07-01", "2025-12-31", "2025-H2"),
        (HALF, "2025-12-31", "2025-07-01", "2025-12-31", "2025-H2"),
        (YEAR, "2025-12-31", "2025-01-01", "2025-12-31", "2025"),
        (YEAR, "2024-01-01", "2024-01-01", "2024-12-31", "2024"),
        # Rule rows store the kind as a plain string.
        ("quarter", "2025-05-05", "2025-04-01", "2025-06-30", "2025-Q2"),
    ],
)
def test_period_containing_calendar_kinds(kind, day, start, end, label):
    expected = Period(PeriodKind(kind), D.fromisoformat(start), D.fromisoformat(end), label)
    assert period_containing(kind, D.fromisoformat(day)) == expected


SPRING_2025 = (D(2025, 3, 1), D(2025, 7, 15), "2025-spring")
AUTUMN_2025 = (D(2025, 9, 1), D(2026, 1, 20), "2025-autumn")


@pytest.mark.parametrize(
    ("day", "terms", "expected"),
    [
        pytest.param(D(2025, 3, 1), None, SPRING_2025, id="spring-first-day"),
        pytest.param(D(2025, 7, 15), None, SPRING_2025, id="spring-last-day"),
        pytest.param(D(2025, 7, 16), None, None, id="summer-first-day"),
        pytest.param(D(2025, 8, 31), None, None, id="summer-last-day"),
        pytest.param(D(2025, 9, 1), None, AUTUMN_2025, id="autumn-first-day"),
        pytest.param(D(2025, 12, 31), None, AUTUMN_2025, id="autumn-december"),
        pytest.param(D(2026, 1, 1), None, AUTUMN_2025, id="autumn-across-new-year"),
        pytest.param(D(2026, 1, 20), None, AUTUMN_2025, id="autumn-last-day"),
        pytest.param(D(2026, 1, 21), None, None, id="winter-first-day"),
        pytest.param(D(2026, 2, 28), None, None, id="winter-last-day"),
        pytest.param(D(2024, 2, 29), None, None, id="winter-leap-day"),
        pytest.param(
            D(2026, 1, 25),
            LONG_TERMS,
            (D(2025, 8, 25), D(2026, 1, 25), "2025-autumn"),
            id="custom-autumn-last-day",
        ),
        pytest.param(
            D(2026, 2, 20),
            LONG_TERMS,
            (D(2026, 2, 20), D(2026, 7, 10), "2026-spring"),
            id="custom-spring-first-day",
        ),
        pytest.param(D(2026, 7, 11), LONG_TERMS, None, id="custom-summer"),
        pytest.param(
            D(2025, 12, 31),
            NO_WRAP_TERMS,
            (D(2025, 9, 1), D(2025, 12, 31), "2025-autumn"),
            id="no-wrap-autumn-last-day",
        ),
        pytest.param(D(2026, 1, 5), NO_WRAP_TERMS, None, id="no-wrap-january-is-vacation"),
    ],
)
def test_period_containing_term(day, terms, expected):
    period = period_containing(TERM, day, terms)
    assert period == (None if expected is None else Period(TERM, *expected))


@pytest.mark.parametrize(
    ("kind", "start", "end", "labels"),
    [
        (MONTH, D(2025, 11, 15), D(2026, 2, 10), ["2025-11", "2025-12", "2026-01", "2026-02"]),
        (MONTH, D(2025, 5, 31), D(2025, 5, 31), ["2025-05"]),
        # A reversed range is empty rather than an error.
        (MONTH, D(2025, 6, 1), D(2025, 5, 31), []),
        (QUARTER, D(2025, 3, 31), D(2025, 4, 1), ["2025-Q1", "2025-Q2"]),
        (QUARTER, D(2025, 11, 1), D(2026, 2, 1), ["2025-Q4", "2026-Q1"]),
        (HALF, D(2025, 1, 1), D(2026, 12, 31), ["2025-H1", "2025-H2", "2026-H1", "2026-H2"]),
        (HALF, D(2025, 6, 30), D(2025, 7, 1), ["2025-H1", "2025-H2"]),
        (YEAR, D(2024, 6, 1), D(2026, 1, 1), ["2024", "2025", "2026"]),
        (TERM, D(2025, 1, 1), D(2025, 12, 31), ["2024-autumn", "2025-spring", "2025-autumn"]),
        (TERM, D(2025, 7, 16), D(2025, 8, 31), []),
        (TERM, D(2026, 1, 21), D(2026, 2, 28), []),
        (TERM, D(2025, 7, 15), D(2025, 9, 1), ["2025-spring", "2025-autumn"]),
    ],
)
def test_periods_between(kind, start, end, labels):
    periods = periods_between(kind, start, end)
    assert [p.label for p in periods] == labels
    assert all(p.kind is kind and p.overlaps(start, end) for p in periods)


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        pytest.param(MONTH, D(2024, 1, 1), D(2026, 12, 31), id="months"),
        pytest.param(QUARTER, D(2024, 1, 1), D(2026, 12, 31), id="quarters"),
        pytest.param(HALF, D(2024, 1, 1), D(2026, 12, 31), id="half-years"),
        pytest.param(YEAR, D(2024, 1, 1), D(2026, 12, 31), id="years"),
    ],
)
def test_calendar_periods_tile_without_gaps(kind, start, end):
    periods = periods_between(kind, start, end)
    assert periods[0].start == start and periods[-1].end == end
    # Each period starts the day after the previous one ends: no gap, no overlap.
    assert all(a.end + ONE_DAY == b.start for a, b in itertools.pairwise(periods))


@pytest.mark.parametrize(
    ("kind", "day", "due"),
    [
        pytest.param(MONTH, D(2024, 2, 10), D(2024, 2, 29), id="month"),
        pytest.param(QUARTER, D(2025, 11, 1), D(2025, 12, 31), id="quarter"),
        pytest.param(HALF, D(2025, 2, 1), D(2025, 6, 30), id="half-year"),
        pytest.param(YEAR, D(2025, 2, 1), D(2025, 12, 31), id="year"),
        pytest.param(TERM, D(2025, 10, 1), D(2026, 1, 20), id="autumn-term-due-next-year"),
    ],
)
def test_due_date_is_last_day(kind, day, due):
    assert period_containing(kind, day).due_date == due


@pytest.mark.parametrize(
    ("kind", "day", "terms", "expected"),
    [
        pytest.param(MONTH, D(2025, 7, 1), None, True, id="july-spring-ends-07-15"),
        pytest.param(MONTH, D(2025, 8, 1), None, False, id="august-summer"),
        pytest.param(MONTH, D(2026, 1, 1), None, True, id="january-autumn-ends-01-20"),
        pytest.param(MONTH, D(2026, 2, 1), None, False, id="february-winter"),
        pytest.param(MONTH, D(2025, 3, 1), None, True, id="march"),
        pytest.param(MONTH, D(2025, 9, 1), None, True, id="september"),
        pytest.param(MONTH, D(2025, 12, 1), None, True, id="december"),
        pytest.param(QUARTER, D(2025, 7, 1), None, True, id="q3"),
        pytest.param(YEAR, D(2025, 7, 1), None, True, id="year"),
        pytest.param(MONTH, D(2025, 7, 1), NO_WRAP_TERMS, False, id="july-spring-ends-06-30"),
        pytest.param(MONTH, D(2026, 1, 1), NO_WRAP_TERMS, False, id="january-autumn-ends-12-31"),
        pytest.param(MONTH, D(2026, 2, 1), LONG_TERMS, True, id="february-spring-starts-02-20"),
        pytest.param(MONTH, D(2025, 8, 1), LONG_TERMS, True, id="august-autumn-starts-08-25"),
    ],
)
def test_overlaps_term(kind, day, terms, expected):
    assert overlaps_term(period_containing(kind, day), terms) is expected


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"spring_start": (2, 30)}, id="no-such-day"),
        pytest.param({"spring_start": (2, 29)}, id="leap-day-not-every-year"),
        pytest.param({"spring_start": (13, 1)}, id="no-such-month"),
        pytest.param({"spring_end": (9, 10)}, id="spring-runs-into-autumn"),
        pytest.param({"spring_start": (7, 20)}, id="spring-ends-before-it-starts"),
        pytest.param({"autumn_end": (3, 5)}, id="autumn-runs-into-spring"),
    ],
)
def test_school_terms_reject_bad_boundaries(kwargs):
    with pytest.raises(ValueError):
        SchoolTerms(**kwargs)


def test_school_terms_accept_lists_from_settings():
    assert SchoolTerms([3, 1], [7, 15], [9, 1], [1, 20]) == SchoolTerms()
