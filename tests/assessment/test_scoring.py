"""The scoring arithmetic: pure functions, table tests."""

import pytest

from emergency.assessment.scoring import (
    DEFAULT_WEIGHTS,
    Scheme,
    check_scheme,
    deduction_amount,
    deduction_count,
    grade,
    half_up,
    indicator_score,
    rescaled,
    total_score,
)

MEIZHOU = [[60, 3], [40, 2], [20, 1]]


def test_default_weights_add_up_to_100_and_leave_untracked_data_at_0():
    assert sum(DEFAULT_WEIGHTS.values()) == 100
    assert DEFAULT_WEIGHTS["K2"] == DEFAULT_WEIGHTS["K13"] == DEFAULT_WEIGHTS["K14"] == 0
    assert check_scheme(Scheme(year=2026)) == []


@pytest.mark.parametrize(("num", "den", "expected"), [
    (6, 10, 6.0),  # 60% → 3 of 3 points → the whole weight
    (59, 100, 4.0),  # 40–60% → 2 of 3
    (4, 10, 4.0),
    (39, 100, 2.0),  # 20–40% → 1 of 3
    (2, 10, 2.0),
    (19, 100, 0.0),  # below every band
    (0, 0, None),  # nothing owed: the indicator does not apply
])
def test_k9_bands_of_meizhou(num, den, expected):
    assert indicator_score("K9", 6, num, den, MEIZHOU) == expected


@pytest.mark.parametrize(("code", "num", "den", "expected"), [
    ("K1", 3, 4, 15.0),
    ("K1", 2, 3, 13.33),
    ("K7", 1, 4, 15.0),  # a count of bad items scores the share that is fine
])
def test_linear_scores(code, num, den, expected):
    assert indicator_score(code, 20, num, den, None) == expected


@pytest.mark.parametrize(("count", "points", "cap", "expected"), [
    (3, 2, 10, 6), (7, 2, 10, 10), (7, 2, None, 14), (0, 2, 10, 0), (3, 0.5, 1, 1)])
def test_deductions_are_capped(count, points, cap, expected):
    assert deduction_amount(count, points, cap) == expected


def test_deduction_counts_read_shortfalls_or_counts():
    measures = {"K1": (3, 5), "LF": (2, 9), "K7": (4, 10)}
    assert deduction_count("missing_plan", measures) == 2
    assert deduction_count("late_filing", measures) == 2
    assert deduction_count("overdue_plan", measures) == 4
    assert deduction_count("missed_drill", measures) == 0


def test_rescaling_total_and_grades():
    assert rescaled([(20, 15), (12, 8), (0, 0)]) == pytest.approx(71.88)
    assert rescaled([]) is None
    assert half_up(64.35, 1) == 64.4
    assert total_score(68.35, 4) == 64.4
    assert total_score(3, 10) == 0
    scheme = Scheme(year=2026)
    assert [grade(t, scheme) for t in (95, 90, 89.9, 60, 59.9, None)] == [
        "excellent", "excellent", "pass", "pass", "fail", None]


@pytest.mark.parametrize(("change", "problem"), [
    ({"weights": {**DEFAULT_WEIGHTS, "K1": 21}}, ("weights", "sum")),
    ({"weights": {**DEFAULT_WEIGHTS, "K1": -5, "K3": 37}}, ("weights", "negative")),
    ({"bands": {"K9": [[40, 3], [60, 2], [20, 1]]}}, ("bands_K9", "order")),
    ({"bands": {"K9": [[60, 3], [40, 3], [20, 1]]}}, ("bands_K9", "order")),
    ({"bands": {"K9": [[160, 3], [40, 2], [20, 1]]}}, ("bands_K9", "range")),
    ({"excellent_min": 60, "pass_min": 60}, ("grades", "order")),
])
def test_bad_schemes_are_refused(change, problem):
    assert problem in check_scheme(Scheme(year=2026, **change))
