"""Indicators K1–K15 on the hand-built world (tests/assessment/conftest.py), figures worked by hand."""

from datetime import date

import pytest

from emergency.assessment.indicators import Grouping, Scope, evidence_rows, evidence_stmt, group_key_of
from emergency.assessment.services import compute, load_scheme
from tests.assessment.conftest import TODAY

A, B = "/23/2311/231102/", "/23/2311/231181/"

#: (num, den) per county, derived by hand from the world's story and the seeded rules.
EXPECTED = {
    # K1: 街道 ✓, 社区 ✗ (no plan), 小学 ✓, 应急管理局 ✓ | 赵光镇 ✓, 化工厂 ✓.
    "K1": {A: (3, 4), B: (2, 2)},
    # K3: 2026 versions past their deadline or filed: 街道 filed, 小学 not, 部门预案 filed late | 化工厂.
    "K3": {A: (2, 3), B: (1, 1)},
    # K4: of those filed, submitted in time: 街道 yes, 部门预案 no (submitted 03-20) | 化工厂 yes.
    "K4": {A: (1, 2), B: (1, 1)},
    # K5: plans under a cycle: 街道, 小学, 部门, 专项 — none overdue | 赵光镇 ×2 (overall due
    # 2026-01-10, overdue), 化工厂.
    "K5": {A: (4, 4), B: (2, 3)},
    # K6: revision items due by TODAY: 02-01 (closed in time), 05-01 (open, due 07-30).
    "K6": {B: (1, 2)},
    "K7": {A: (0, 4), B: (1, 3)},
    # K8: 小学 owes one drill in each term month ended by TODAY (Jan, Mar–Jul, Sep, Oct) and held
    # none; 应急管理局: R3-D and R2-D (special plan) renewed by the 05-10 drill | 赵光镇 R6-D due
    # 2025-01-10 (2 years after its first plan) and still not held, so still owed in 2026;
    # 化工厂 R12-D2 first half-year held.
    "K8": {A: (2, 10), B: (1, 2)},
    # K9: special plans: 应急管理局's drilled 05-10 | 赵光镇's never drilled.
    "K9": {A: (1, 1), B: (0, 1)},
    # K10: held drills with all three record documents: 05-10 yes | 05-20 (two) no, 10-10 no.
    "K10": {A: (1, 1), B: (0, 2)},
    # K11: drills of the hazardous-chemicals firm reported: 05-20 yes, 10-10 no.
    "K11": {B: (1, 2)},
    # K12: actions due by TODAY: 06-30 closed 06-20, 08-31 open.
    "K12": {B: (1, 2)},
    # K15: K1 + K8 of 街道, 社区 | 赵光镇: (1 + 0 of 2 + 0) | (1 + 0 of 1 + 1).
    "K15": {A: (1, 2), B: (1, 2)},
    # LF: late filings: 小学 (never submitted, past its deadline), 部门预案 (submitted late).
    "LF": {A: (2, 2), B: (0, 1)},
}


@pytest.fixture
def city_scope(world):
    return Scope(None, world.tree.city, Grouping.COUNTY, 2026, TODAY)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_indicator_per_county(world, city_scope, code):
    result = compute(city_scope, load_scheme(2026))
    groups = {g.key: g for g in result.groups}
    assert set(groups) == {A, B}
    for key, (num, den) in EXPECTED[code].items():
        if code == "LF":
            found = next(d.count for d in groups[key].deductions if d.source == "late_filing")
            assert found == num, key
            continue
        figure = groups[key].indicators[code]
        assert (figure.num, figure.den) == (num, den), (code, key)


def test_scores_totals_and_grades_by_hand(world, city_scope):
    result = compute(city_scope, load_scheme(2026))
    a, b = sorted(result.groups, key=lambda g: g.key)
    # A: K1 .75×20=15, K3 2/3×12=8, K4 .5×8=4, K5 10, K8 .2×15=3, K9 100% band → 6, K10 8;
    # applicable weights 79, points 54 → 68.35; late filing 2 × 2 = 4 → 64.4, 达标.
    assert a.indicators["K9"].score == 6
    assert a.base == pytest.approx(68.35)
    assert a.deducted == 4
    assert (a.total, a.grade) == (64.4, "pass")
    # B: 20 + 12 + 8 + 6.67 + 4 + 7.5 + 0 (K9 0% below every band) + 0 + 2.5 + 4 = 64.67 over all
    # 100 points; overdue action 0.5 → 64.2.
    assert b.indicators["K9"].score == 0
    assert b.base == pytest.approx(64.67)
    assert (b.deducted, b.total, b.grade) == (0.5, 64.2, "pass")
    assert not a.partial and not b.partial
    # Not tracked indicators carry no figure at all.
    assert {code: a.indicators[code].status for code in ("K2", "K13", "K14")} == {
        "K2": "not_tracked", "K13": "not_tracked", "K14": "not_tracked"}


def test_overall_row_sums_the_groups(world, city_scope):
    result = compute(city_scope, load_scheme(2026))
    assert (result.overall.indicators["K1"].num, result.overall.indicators["K1"].den) == (5, 6)
    assert (result.overall.indicators["K8"].num, result.overall.indicators["K8"].den) == (3, 12)


def test_town_and_department_groupings(world):
    towns = compute(Scope(None, world.tree.city, Grouping.TOWN, 2026, TODAY), load_scheme(2026))
    names = {g.name: g for g in towns.groups}
    # The department sits on the county itself: its own "本级" group next to the towns.
    assert {"花园街道", "赵光镇"} <= set(names)
    assert any(name.startswith("爱辉区") for name in names)
    assert (names["赵光镇"].indicators["K6"].num, names["赵光镇"].indicators["K6"].den) == (1, 2)
    departments = compute(Scope(None, world.tree.city, Grouping.DEPARTMENT, 2026, TODAY),
                          load_scheme(2026))
    assert [g.name for g in departments.groups] == ["爱辉区应急管理局"]
    figures = departments.groups[0].indicators
    assert (figures["K3"].num, figures["K3"].den, figures["K8"].num, figures["K8"].den) == (1, 1, 2, 2)


def test_scope_of_a_county_user_leaves_out_the_other_county(world):
    result = compute(Scope(world.office_a, world.tree.county_a, Grouping.TOWN, 2026, TODAY),
                     load_scheme(2026))
    assert "赵光镇" not in {g.name for g in result.groups}
    assert (result.overall.indicators["K1"].num, result.overall.indicators["K1"].den) == (3, 4)


def test_evidence_rows_are_the_records_behind_the_figure(world, city_scope):
    rows = evidence_rows(evidence_stmt(city_scope, "K3", A))
    assert sorted((r.subject, r.num) for r in rows) == [
        ("爱辉区应急管理局部门应急预案", 1), ("花园小学校园安全应急预案", 0), ("花园街道突发事件总体应急预案", 1)]
    failing = evidence_rows(evidence_stmt(city_scope, "K3", A, failing=True))
    assert [r.unit_name for r in failing] == ["花园小学"]
    assert failing[0].date_a == date(2026, 2, 2)
    # Snapshots regroup stored rows in Python: the same keys as the SQL.
    for grouping in Grouping:
        scope = Scope(None, world.tree.city, grouping, 2026, TODAY)
        for row in evidence_rows(evidence_stmt(scope, "K10")):
            assert group_key_of(grouping, row.region_path, row.unit_id, row.unit_kind) == row.key


def test_cutoff_limits_what_counts(world):
    """As of 2026-06-01 the 08-31 action and the 10-10 drill have not come due yet."""
    result = compute(Scope(None, world.tree.city, Grouping.COUNTY, 2026, date(2026, 6, 1)),
                     load_scheme(2026))
    b = next(g for g in result.groups if g.key == B)
    assert (b.indicators["K10"].num, b.indicators["K10"].den) == (0, 1)
    assert b.indicators["K12"].den == 0
