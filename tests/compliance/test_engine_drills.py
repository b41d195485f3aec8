"""Date engine tables for DRILL_INTERVAL and DRILL_PERIOD.

Default school terms: spring 03-01..07-15, autumn 09-01..01-20 (next year). The assessment date
is 31 Dec of the as-of year unless a case says otherwise; lead_days is the default 30.
"""

from __future__ import annotations

import pytest

from emergency.compliance.dates import PeriodKind, SchoolTerms
from emergency.compliance.facts import Obligation, Status
from tests.compliance.test_engine import K, d, drill, plan, rule, run, unit

S = Status
OD, DS, DBA, DONE, NA = S.OVERDUE, S.DUE_SOON, S.DUE_BEFORE_ASSESSMENT, S.DONE, S.NOT_APPLICABLE
MONTH, QUARTER, HALF, YEAR, TERM = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.HALF_YEAR,
                                    PeriodKind.YEAR, PeriodKind.TERM)
#: Plan 1 overall (issued on a leap day), plan 2 special, plan 3 onsite still a draft.
PLANS = [plan(1, "overall", "2024-02-29"), plan(2, "special", "2023-05-10"),
         plan(3, "onsite", None)]
#: Spring 02-20..07-10, autumn 08-25..01-25: February and August are (partly) term time.
LONG_TERMS = SchoolTerms((2, 20), (7, 10), (8, 25), (1, 25))


def by_period(found: list[Obligation]) -> dict[str, Status]:
    """Return each obligation's status keyed by its period label."""
    return {o.period: o.status for o in found}


@pytest.mark.parametrize(
    ("per_plan", "categories", "drills", "months", "as_of", "expected"),
    [
        pytest.param(True, {"overall"}, [], 36, "2025-06-01",
                     [(1, "2027-02-28", DONE, "issued_on")], id="never-drilled-base-is-issue-date"),
        pytest.param(True, {"overall"}, [drill(1, "2025-01-31", 1)], 1, "2025-02-10",
                     [(1, "2025-02-28", DS, "last_drill")], id="jan-31-plus-1-month"),
        pytest.param(True, {"overall"}, [drill(1, "2024-02-29", 1)], 12, "2025-03-01",
                     [(1, "2025-02-28", OD, "last_drill")], id="leap-day-drill-plus-12"),
        pytest.param(True, {"overall"}, [drill(1, "2025-02-28", 1)], 12, "2026-02-28",
                     [(1, "2026-02-28", DS, "last_drill")], id="due-today-is-due-soon"),
        pytest.param(True, {"overall"}, [drill(1, "2025-02-28", 1), drill(2, "2026-02-28", 1)], 12,
                     "2026-03-01", [(1, "2027-02-28", DONE, "last_drill")],
                     id="drilled-on-due-date-restarts-clock"),
        pytest.param(True, {"overall"}, [drill(1, "2024-05-01", 1), drill(2, "2025-03-01", 1)], 12,
                     "2025-06-01", [(1, "2026-03-01", DONE, "last_drill")], id="latest-drill-wins"),
        pytest.param(True, {"overall"}, [drill(1, None, 1)], 12, "2025-06-01",
                     [(1, "2025-02-28", OD, "issued_on")], id="planned-drill-ignored"),
        pytest.param(True, {"overall"}, [drill(1, "2025-06-02", 1)], 12, "2025-06-01",
                     [(1, "2025-02-28", OD, "issued_on")], id="drill-after-as-of-ignored"),
        pytest.param(True, {"overall", "special"}, [drill(1, "2025-03-01", 2)], 12, "2025-06-01",
                     [(1, "2025-02-28", OD, "issued_on"), (2, "2026-03-01", DONE, "last_drill")],
                     id="per-plan-other-plans-drill-does-not-count"),
        pytest.param(False, {"overall", "special"}, [drill(1, "2025-03-01", 2)], 12, "2025-06-01",
                     [(None, "2026-03-01", DONE, "last_drill")], id="per-unit-any-plan-counts"),
        pytest.param(False, {"overall"}, [drill(1, "2025-03-01", 2)], 12, "2025-06-01",
                     [(None, "2025-02-28", OD, "issued_on")], id="per-unit-other-category-ignored"),
        pytest.param(False, {"overall", "special"}, [], 24, "2025-06-01",
                     [(None, "2025-05-10", OD, "issued_on")], id="per-unit-earliest-issue-date"),
        pytest.param(False, set(), [drill(1, "2025-03-01")], 12, "2025-06-01",
                     [(None, "2026-03-01", DONE, "last_drill")], id="no-categories-any-drill"),
        pytest.param(False, {"joint"}, [], 12, "2025-06-01", [], id="per-unit-no-plan-no-drill"),
        pytest.param(True, {"onsite"}, [], 12, "2025-06-01", [], id="draft-plan-never-drilled"),
        pytest.param(True, {"onsite"}, [drill(1, "2025-01-01", 3)], 6, "2025-06-01",
                     [(3, "2025-07-01", DS, "last_drill")], id="draft-plan-with-a-drill"),
    ],
)
def test_drill_interval(per_plan, categories, drills, months, as_of, expected):
    the_rule = rule(K.DRILL_INTERVAL, interval_months=months, per_plan=per_plan,
                    plan_categories=categories)
    found = run(the_rule, unit(PLANS, drills), as_of)
    assert [(o.plan_id, o.due_on, o.status, o.evidence["base_source"]) for o in found] == [
        (plan_id, d(due), status, source) for plan_id, due, status, source in expected]


def test_drill_interval_evidence():
    drills = [drill(1, "2024-02-29", 1), drill(2, "2025-01-31", 1), drill(3, None, 1)]
    [found] = run(rule(K.DRILL_INTERVAL, interval_months=1, per_plan=True,
                       plan_categories={"overall"}), unit(PLANS, drills), "2025-02-10")
    assert found.evidence == {"last_drill_on": "2025-01-31", "drills_held": 2, "base": "2025-01-31",
                              "base_source": "last_drill", "interval_months": 1}
    assert (found.subject, found.citation) == ("plan 1", "citation of R1")


_MAY_TO_NOV = {f"2025-{m:02d}": OD for m in range(1, 11)} | {"2025-06": DONE, "2025-11": DS,
                                                             "2025-12": DBA}


@pytest.mark.parametrize(
    ("kind", "per_period", "drill_days", "as_of", "assessment", "expected"),
    [
        pytest.param(MONTH, 1, ["2025-06-03"], "2025-11-15", None, _MAY_TO_NOV,
                     id="missed-may-still-overdue-in-november-june-done"),
        pytest.param(MONTH, 1, ["2025-05-31", "2025-06-01"], "2025-06-15", "2025-06-30",
                     {**{f"2025-{m:02d}": OD for m in range(1, 5)},
                      "2025-05": DONE, "2025-06": DONE},
                     id="month-boundary-and-configured-assessment"),
        pytest.param(MONTH, 1, ["2024-02-29"], "2024-03-15", "2024-03-31",
                     {"2024-01": OD, "2024-02": DONE, "2024-03": DS},
                     id="leap-day-counts-in-february"),
        pytest.param(MONTH, 2, ["2025-01-10", "2025-01-31", "2025-02-14"],
                     "2025-03-01", "2025-03-31",
                     {"2025-01": DONE, "2025-02": OD, "2025-03": DS}, id="two-per-month"),
        pytest.param(QUARTER, 1, ["2025-03-31", "2025-04-01"], "2025-07-15", None,
                     {"2025-Q1": DONE, "2025-Q2": DONE, "2025-Q3": DBA, "2025-Q4": DBA},
                     id="quarter-boundary"),
        pytest.param(QUARTER, 1, ["2025-01-01"], "2025-07-01", None,
                     {"2025-Q1": DONE, "2025-Q2": OD, "2025-Q3": DBA, "2025-Q4": DBA},
                     id="quarter-missed-stays-overdue"),
        pytest.param(HALF, 1, ["2025-06-30"], "2025-07-01", None, {"2025-H1": DONE, "2025-H2": DBA},
                     id="half-year-last-day-counts"),
        pytest.param(HALF, 1, ["2025-07-01"], "2025-07-01", None, {"2025-H1": OD, "2025-H2": DONE},
                     id="half-year-next-day-counts-in-h2"),
        pytest.param(YEAR, 2, ["2025-03-01"], "2025-06-01", None, {"2025": DBA},
                     id="year-one-of-two"),
        pytest.param(YEAR, 2, ["2025-03-01", "2025-12-31"], "2026-01-05", "2025-12-31",
                     {"2025": DONE}, id="year-second-on-last-day"),
        pytest.param(YEAR, 2, ["2025-03-01"], "2025-12-05", None, {"2025": DS}, id="year-due-soon"),
        pytest.param(TERM, 1, ["2025-01-15"], "2025-03-10", None,
                     {"2024-autumn": DONE, "2025-spring": DBA, "2025-autumn": DONE},
                     id="autumn-term-spans-new-year"),
        pytest.param(TERM, 1, [], "2025-01-21", None,
                     {"2024-autumn": OD, "2025-spring": DBA, "2025-autumn": DONE},
                     id="previous-autumn-term-missed"),
        pytest.param(TERM, 1, ["2025-07-15"], "2025-12-25", None,
                     {"2024-autumn": OD, "2025-spring": DONE, "2025-autumn": DS},
                     id="term-due-after-assessment-in-lead-window"),
    ],
)
def test_drill_period(kind, per_period, drill_days, as_of, assessment, expected):
    drills = [drill(i, day) for i, day in enumerate(drill_days)]
    the_rule = rule(K.DRILL_PERIOD, period=kind, per_period=per_period)
    assert by_period(run(the_rule, unit(PLANS, drills), as_of, assessment)) == expected


def test_drill_period_obligation_fields():
    drills = [drill(1, "2025-06-03", 1), drill(2, "2025-06-20", 2)]
    found = run(rule(K.DRILL_PERIOD, period=MONTH), unit(PLANS, drills), "2025-07-10")
    june = found[5]
    assert (june.period, june.subject, june.due_on, june.plan_id, june.status) == (
        "2025-06", "2025-06", d("2025-06-30"), None, DONE)
    assert june.evidence == {"period_start": "2025-06-01", "period_end": "2025-06-30",
                             "required": 1, "held": 2, "drill_dates": ["2025-06-03", "2025-06-20"],
                             "completed": True}
    assert [o.period for o in found] == [f"2025-{m:02d}" for m in range(1, 13)]


def test_drill_period_ignores_planned_and_later_drills():
    drills = [drill(1, None, 1), drill(2, "2025-05-25", 1)]
    found = by_period(run(rule(K.DRILL_PERIOD, period=MONTH), unit(PLANS, drills), "2025-05-20"))
    assert found["2025-05"] is DS


@pytest.mark.parametrize(
    ("terms", "as_of", "expected"),
    [
        pytest.param(None, "2025-12-20",
                     {"2025-01": OD, "2025-02": NA, **{f"2025-{m:02d}": OD for m in range(3, 8)},
                      "2025-08": NA, "2025-09": OD, "2025-10": OD, "2025-11": OD, "2025-12": DS},
                     id="default-terms-february-and-august-free"),
        pytest.param(LONG_TERMS, "2025-12-20",
                     {**{f"2025-{m:02d}": OD for m in range(1, 12)}, "2025-12": DS},
                     id="long-terms-every-month-owed"),
        pytest.param(SchoolTerms((3, 1), (6, 30), (9, 1), (12, 31)), "2025-12-20",
                     {"2025-01": NA, "2025-02": NA, **{f"2025-{m:02d}": OD for m in range(3, 7)},
                      "2025-07": NA, "2025-08": NA, "2025-09": OD, "2025-10": OD, "2025-11": OD,
                      "2025-12": DS}, id="autumn-ends-in-december-july-free"),
    ],
)
def test_school_months_in_vacation_not_owed(terms, as_of, expected):
    the_rule = rule(K.DRILL_PERIOD, period=MONTH, school_terms_only=True)
    found = run(the_rule, unit(PLANS), as_of, terms=terms)
    assert by_period(found) == expected
    vacation = [o for o in found if o.status is NA]
    assert all(o.evidence["reason"] == "school_vacation" and o.evidence["required"] == 0
               for o in vacation)


def test_school_quarters_all_overlap_a_term():
    the_rule = rule(K.DRILL_PERIOD, period=QUARTER, school_terms_only=True)
    assert NA not in by_period(run(the_rule, unit(PLANS), "2025-12-20")).values()


@pytest.mark.parametrize(
    ("effective", "as_of", "labels"),
    [
        pytest.param({"effective_from": "2025-04-15"}, "2025-06-10",
                     [f"2025-{m:02d}" for m in range(5, 13)], id="from-mid-april-owes-from-may"),
        pytest.param({"effective_from": "2025-05-01"}, "2025-06-10",
                     [f"2025-{m:02d}" for m in range(5, 13)], id="from-first-of-month"),
        pytest.param({"effective_to": "2025-09-30"}, "2025-06-10",
                     [f"2025-{m:02d}" for m in range(1, 10)], id="to-end-of-september"),
        pytest.param({"effective_from": "2025-04-15"}, "2025-04-14", [], id="not-yet-effective"),
        pytest.param({"effective_to": "2025-09-30"}, "2025-10-01", [], id="no-longer-effective"),
    ],
)
def test_drill_period_effective_dates(effective, as_of, labels):
    the_rule = rule(K.DRILL_PERIOD, period=MONTH, **effective)
    assert [o.period for o in run(the_rule, unit(PLANS), as_of)] == labels


@pytest.mark.parametrize(
    ("per_plan", "expected"),
    [
        pytest.param(True, [(1, "2025-H1", DONE), (1, "2025-H2", DBA), (2, "2025-H1", OD),
                            (2, "2025-H2", DBA)], id="per-plan"),
        pytest.param(False, [(None, "2025-H1", DONE), (None, "2025-H2", DBA)], id="per-unit"),
    ],
)
def test_drill_period_per_plan_or_per_unit(per_plan, expected):
    # Plan 3 is a draft: a per-plan rule owes it nothing until it is issued.
    the_rule = rule(K.DRILL_PERIOD, period=HALF, per_plan=per_plan,
                    plan_categories={"overall", "special", "onsite"})
    found = run(the_rule, unit(PLANS, [drill(1, "2025-05-10", 1)]), "2025-07-10")
    assert [(o.plan_id, o.period, o.status) for o in found] == expected
    assert all(o.subject == ("plan " + str(o.plan_id) if per_plan else o.period) for o in found)


def test_drill_period_per_unit_counts_only_drills_of_its_categories():
    drills = [drill(1, "2025-05-10", 2), drill(2, "2025-05-11")]
    the_rule = rule(K.DRILL_PERIOD, period=HALF, plan_categories={"overall"})
    assert by_period(run(the_rule, unit(PLANS, drills), "2025-07-10"))["2025-H1"] is OD


def test_drill_exercising_two_plans_counts_once():
    the_rule = rule(K.DRILL_PERIOD, period=YEAR, per_period=2,
                    plan_categories={"overall", "special"})
    found = run(the_rule, unit(PLANS, [drill(1, "2025-03-01", 1, 2)]), "2025-06-01")
    assert found[0].evidence["held"] == 1
