"""Date engine tables for FILE_PLAN, EVALUATE and REVISE.

Working days (see test_workdays.py for the State Council notices): a plan issued Fri 2025-01-24
must be submitted by 2025-02-27 (20 working days across the Spring Festival; Mon-Fri alone would
give 2025-02-21). 2027 is not published: deadlines that touch it are Mon-Fri estimates.
"""

from __future__ import annotations

import pytest

from emergency.compliance.facts import Status
from tests.compliance.test_engine import K, d, one, plan, revision, rule, run, unit

S = Status


@pytest.mark.parametrize(
    ("issued", "state", "submitted", "as_of", "due", "status", "on_time"),
    [
        pytest.param("2025-01-24", "draft", None, "2025-02-27", "2025-02-27", S.DUE_SOON, None,
                     id="spring-festival-unsent-on-due-date"),
        pytest.param("2025-01-24", "draft", None, "2025-02-28", "2025-02-27", S.OVERDUE, None,
                     id="spring-festival-unsent-day-after"),
        pytest.param("2025-01-24", "draft", None, "2025-02-24", "2025-02-27", S.DUE_SOON, None,
                     id="not-overdue-where-mon-fri-would-say-so"),
        pytest.param("2025-01-24", "submitted", "2025-02-27", "2025-03-10", "2025-02-27", S.DONE,
                     True, id="submitted-on-due-date"),
        pytest.param("2025-01-24", "submitted", "2025-02-28", "2025-03-10", "2025-02-27", S.DONE,
                     False, id="submitted-a-day-late"),
        pytest.param("2025-01-24", "filed", "2025-02-20", "2025-03-10", "2025-02-27", S.DONE, True,
                     id="filed"),
        pytest.param("2025-01-24", "deemed_filed", "2025-02-20", "2025-03-10", "2025-02-27", S.DONE,
                     True, id="deemed-filed"),
        pytest.param("2025-01-24", "returned", "2025-02-20", "2025-03-10", "2025-02-27", S.OVERDUE,
                     None, id="returned-must-be-resubmitted"),
        pytest.param("2025-01-24", "returned", "2025-02-20", "2025-02-21", "2025-02-27", S.DUE_SOON,
                     None, id="returned-before-due-date"),
        pytest.param("2025-01-24", "submitted", "2025-02-20", "2025-02-10", "2025-02-27",
                     S.DUE_SOON, None, id="submitted-after-as-of-not-yet-done"),
    ],
)
def test_file_plan(issued, state, submitted, as_of, due, status, on_time):
    the_plan = plan(3, issued=issued, filing_state=state, submitted_on=submitted,
                    filed_on="2025-02-25" if state == "filed" else None)
    found = one(rule(K.FILE_PLAN), unit([the_plan]), as_of)
    assert (found.status, found.due_on, found.plan_id, found.estimated) == (
        status, d(due), 3, False)
    assert found.subject == "plan 3"
    assert found.evidence["on_time"] is on_time
    assert found.evidence["completed"] is (status is S.DONE)
    assert found.evidence["deadline_workdays"] == 20
    assert found.evidence["filing_state"] == state
    assert found.evidence["issued_on"] == issued


@pytest.mark.parametrize(
    ("issued", "days", "as_of", "due", "estimated"),
    [
        # 2027 unknown: 01-04..08, 11..15, 18..22, 25..29 are the 20 guessed working days.
        pytest.param("2027-01-01", None, "2027-01-05", "2027-01-29", True, id="unknown-year"),
        # 2026-12-28..31 (4) are published; 2027-01-01 Fri is guessed (5) ... 01-22 (20).
        pytest.param("2026-12-25", None, "2026-12-28", "2027-01-22", True, id="walks-into-unknown"),
        # Review-length rule: Wed 2025-10-08 + 5 = 10-09, 10-10, 10-11 Sat make-up, 10-13, 10-14.
        pytest.param("2025-10-08", 5, "2025-10-09", "2025-10-14", False, id="deadline-days-5"),
        # 2026 Spring Festival: Fri 02-06 + 20 = 03-12 (make-up Saturdays 02-14 and 02-28 count).
        pytest.param("2026-02-06", 20, "2026-02-10", "2026-03-12", False,
                     id="spring-festival-2026"),
    ],
)
def test_file_plan_working_day_deadline(issued, days, as_of, due, estimated):
    found = one(rule(K.FILE_PLAN, deadline_days=days), unit([plan(1, issued=issued)]), as_of)
    assert (found.due_on, found.estimated, found.status) == (d(due), estimated, S.DUE_SOON)


def test_file_plan_only_issued_plans_in_categories():
    plans = [plan(1, "overall", issued=None), plan(2, "special", issued="2025-01-24"),
             plan(3, "overall", issued="2025-03-02"), plan(4, "overall", issued="2025-02-03")]
    found = run(rule(K.FILE_PLAN, plan_categories={"overall"}), unit(plans), "2025-03-01")
    # Plan 1 has no issue date, plan 2 is another category, plan 3 was issued after as_of.
    assert [o.plan_id for o in found] == [4]


@pytest.mark.parametrize(
    ("issued", "evaluated", "months", "as_of", "due", "status", "base"),
    [
        pytest.param("2024-02-29", None, 36, "2027-02-28", "2027-02-28", S.DUE_SOON, "2024-02-29",
                     id="never-evaluated-leap-day-36-months-due-today"),
        pytest.param("2024-02-29", None, 36, "2027-03-01", "2027-02-28", S.OVERDUE, "2024-02-29",
                     id="never-evaluated-overdue-next-day"),
        pytest.param("2024-02-29", None, 36, "2026-06-01", "2027-02-28", S.DONE, "2024-02-29",
                     id="within-cycle-due-after-assessment"),
        pytest.param("2024-02-29", None, 48, "2027-06-01", "2028-02-29", S.DONE, "2024-02-29",
                     id="leap-day-to-leap-year"),
        pytest.param("2024-01-10", "2025-01-31", 1, "2025-02-10", "2025-02-28", S.DUE_SOON,
                     "2025-01-31", id="jan-31-plus-1-month"),
        pytest.param("2023-01-10", "2024-01-31", 1, "2024-02-10", "2024-02-29", S.DUE_SOON,
                     "2024-01-31", id="jan-31-plus-1-month-leap-year"),
        pytest.param("2021-03-01", "2024-03-01", 36, "2025-06-01", "2027-03-01", S.DONE,
                     "2024-03-01", id="evaluation-restarts-cycle"),
        pytest.param("2024-06-01", "2023-05-01", 36, "2025-06-01", "2027-06-01", S.DONE,
                     "2024-06-01", id="new-version-restarts-cycle"),
        pytest.param("2022-01-10", "2025-06-01", 36, "2025-03-01", "2025-01-10", S.OVERDUE,
                     "2022-01-10", id="evaluation-after-as-of-ignored"),
        pytest.param("2022-12-31", None, 36, "2025-06-01", "2025-12-31", S.DUE_BEFORE_ASSESSMENT,
                     "2022-12-31", id="due-on-assessment-date"),
        pytest.param("2023-01-01", None, 36, "2025-06-01", "2026-01-01", S.DONE, "2023-01-01",
                     id="due-day-after-assessment"),
        pytest.param("2022-07-20", None, 36, "2025-06-01", "2025-07-20", S.DUE_BEFORE_ASSESSMENT,
                     "2022-07-20", id="due-later-this-year"),
    ],
)
def test_evaluate(issued, evaluated, months, as_of, due, status, base):
    the_plan = plan(2, issued=issued, evaluations=(d(evaluated),) if evaluated else ())
    found = one(rule(K.EVALUATE, interval_months=months), unit([the_plan]), as_of)
    assert (found.status, found.due_on, found.plan_id) == (status, d(due), 2)
    assert found.evidence["base"] == base
    assert found.evidence["interval_months"] == months


def test_evaluate_skips_unissued_and_future_plans():
    plans = [plan(1, issued=None), plan(2, issued="2025-07-01"), plan(3, issued="2025-01-01")]
    found = run(rule(K.EVALUATE, interval_months=36), unit(plans), "2025-06-01")
    assert [o.plan_id for o in found] == [3]


@pytest.mark.parametrize(
    ("raised", "closed", "days", "as_of", "due", "status", "on_time"),
    [
        # 2025-01-31 + 30 days = 2025-03-02 (February has 28 days).
        pytest.param("2025-01-31", "2025-03-02", 30, "2025-03-10", "2025-03-02", S.DONE, True,
                     id="closed-on-due-date"),
        pytest.param("2025-01-31", "2025-03-03", 30, "2025-03-10", "2025-03-02", S.DONE, False,
                     id="closed-a-day-late"),
        pytest.param("2025-01-31", None, 30, "2025-03-02", "2025-03-02", S.DUE_SOON, None,
                     id="open-on-due-date"),
        pytest.param("2025-01-31", None, 30, "2025-03-03", "2025-03-02", S.OVERDUE, None,
                     id="open-day-after-due"),
        pytest.param("2025-01-31", "2025-03-05", 30, "2025-03-03", "2025-03-02", S.OVERDUE, None,
                     id="closed-after-as-of-is-open"),
        pytest.param("2025-01-01", None, None, "2025-01-02", "2025-04-01", S.DUE_BEFORE_ASSESSMENT,
                     None, id="default-90-days"),
        pytest.param("2024-02-28", None, 1, "2024-02-29", "2024-02-29", S.DUE_SOON, None,
                     id="leap-day-due"),
    ],
)
def test_revise(raised, closed, days, as_of, due, status, on_time):
    the_plan = plan(5, revisions=[revision(8, raised, closed)])
    found = one(rule(K.REVISE, deadline_days=days), unit([the_plan]), as_of)
    assert (found.status, found.due_on, found.plan_id, found.subject) == (
        status, d(due), 5, "plan 5")
    assert found.evidence["revision_id"] == 8
    assert found.evidence["on_time"] is on_time
    assert found.evidence["deadline_days"] == (days or 90)


def test_revise_one_per_item_raised_by_as_of():
    plans = [
        plan(2, "overall", revisions=[revision(5, "2025-03-01"),
                                      revision(4, "2025-02-01", "2025-02-10"),
                                      revision(6, "2025-07-01")]),
        plan(1, "special", revisions=[revision(9, "2025-01-01")]),
    ]
    found = run(rule(K.REVISE, deadline_days=30), unit(plans), "2025-06-01")
    # Item 6 is raised after as_of; order is plan id, then raised date.
    assert [(o.plan_id, o.evidence["revision_id"], o.status) for o in found] == [
        (1, 9, S.OVERDUE), (2, 4, S.DONE), (2, 5, S.OVERDUE)]


def test_evaluate_as_of_a_past_day_counts_the_evaluations_made_by_then():
    """A later evaluation must not hide an earlier one when asking about the past."""
    the_plan = plan(2, issued="2021-03-01", evaluations=(d("2023-05-01"), d("2025-07-01")))
    found = one(rule(K.EVALUATE, interval_months=36), unit([the_plan]), "2025-06-01")
    assert (found.status, found.due_on) == (S.DONE, d("2026-05-01"))
    assert found.evidence["last_evaluated_on"] == "2023-05-01"
