"""Date engine tests: builders, applicability, status boundaries, HAVE_PLAN, CLOSE_ACTIONS, order.

Kind-specific tables live in test_engine_plans.py and test_engine_drills.py, synthetic-unit
invariants in test_engine_synthetic.py; they import the builders below. Expected dates are
worked out by hand in the comments, not taken from the code.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from emergency.compliance.dates import PeriodKind, SchoolTerms
from emergency.compliance.engine import (
    applies,
    obligations_for_unit,
    status_by_due,
)
from emergency.compliance.facts import (
    ActionFacts,
    Context,
    DrillFacts,
    Obligation,
    ObligationKind,
    PlanFacts,
    RevisionFacts,
    RuleSpec,
    Status,
    UnitFacts,
)
from emergency.compliance.workdays import WorkdayCalendar

K = ObligationKind
S = Status
CALENDAR = WorkdayCalendar()
_DATE_FIELDS = ("issued_on", "first_issued_on", "submitted_on", "filed_on",
                "effective_from", "effective_to", "raised_on", "closed_on", "due_on")


# --- builders -------------------------------------------------------------------------------


def d(text: str | None) -> date | None:
    """Return the date written as ``YYYY-MM-DD``, or None."""
    return date.fromisoformat(text) if text else None


def _dates(fields: dict) -> dict:
    """Return ``fields`` with ISO strings in date fields turned into dates."""
    return {k: d(v) if k in _DATE_FIELDS and isinstance(v, str) else v for k, v in fields.items()}


def ctx(as_of: str, assessment: str | None = None, terms: SchoolTerms | None = None) -> Context:
    """Return a context; the assessment date defaults to 31 Dec of the as-of year."""
    day = d(as_of)
    return Context(day, d(assessment) or date(day.year, 12, 31), CALENDAR, terms or SchoolTerms())


def rule(kind: ObligationKind, code: str = "R1", rule_id: int = 1, **fields) -> RuleSpec:
    """Return a rule; ``plan_categories``/``unit_kinds``/``tags_any`` may be any iterable."""
    for name in ("plan_categories", "unit_kinds", "tags_any"):
        if name in fields:
            fields[name] = frozenset(fields[name])
    return RuleSpec(id=rule_id, code=code, kind=kind, citation=f"citation of {code}",
                    **_dates(fields))


def plan(plan_id: int = 1, category: str = "overall", issued: str | None = "2024-02-29",
         **fields) -> PlanFacts:
    """Return a plan whose current version was issued on ``issued``."""
    fields["revisions"] = tuple(fields.get("revisions", ()))
    return PlanFacts(id=plan_id, category=category, title=f"plan {plan_id}", issued_on=d(issued),
                     **_dates(fields))


def drill(drill_id: int, held: str | None, *plan_ids: int) -> DrillFacts:
    """Return a drill held on ``held`` (None: planned) exercising ``plan_ids``."""
    return DrillFacts(id=drill_id, held_on=d(held), plan_ids=frozenset(plan_ids))


def revision(item_id: int, raised: str, closed: str | None = None) -> RevisionFacts:
    """Return a revision item."""
    return RevisionFacts(id=item_id, raised_on=d(raised), closed_on=d(closed))


def action(action_id: int, due: str, closed: str | None = None) -> ActionFacts:
    """Return a corrective action."""
    return ActionFacts(id=action_id, due_on=d(due), closed_on=d(closed),
                       title=f"action {action_id}")


def unit(plans=(), drills=(), actions=(), kind: str = "school", tags=()) -> UnitFacts:
    """Return a unit holding the given facts."""
    return UnitFacts(id=7, kind=kind, tags=frozenset(tags), plans=tuple(plans),
                     drills=tuple(drills), actions=tuple(actions))


def run(the_rule: RuleSpec, the_unit: UnitFacts, as_of: str, assessment: str | None = None,
        terms: SchoolTerms | None = None) -> list[Obligation]:
    """Return the obligations of one unit under one rule."""
    return obligations_for_unit(the_unit, [the_rule], ctx(as_of, assessment, terms))


def one(the_rule: RuleSpec, the_unit: UnitFacts, as_of: str, **kwargs) -> Obligation:
    """Return the single obligation of one unit under one rule."""
    found = run(the_rule, the_unit, as_of, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --- applicability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "kind", "tags", "as_of", "expected"),
    [
        pytest.param({}, "school", (), "2025-06-01", True, id="no-filters"),
        pytest.param({"unit_kinds": {"school"}}, "school", (), "2025-06-01", True,
                     id="kind-listed"),
        pytest.param({"unit_kinds": {"enterprise"}}, "school", (), "2025-06-01", False,
                     id="kind-not-listed"),
        pytest.param({"tags_any": {"mining", "fireworks"}}, "enterprise", ("fireworks",),
                     "2025-06-01", True, id="tags-intersect"),
        pytest.param({"tags_any": {"mining"}}, "enterprise", ("fireworks",), "2025-06-01", False,
                     id="tags-disjoint"),
        pytest.param({"tags_any": {"mining"}}, "enterprise", (), "2025-06-01", False,
                     id="tags-needed-unit-has-none"),
        pytest.param({}, "enterprise", ("mining",), "2025-06-01", True, id="tags-not-needed"),
        pytest.param({"unit_kinds": {"enterprise"}, "tags_any": {"mining"}}, "school", ("mining",),
                     "2025-06-01", False, id="tag-matches-kind-does-not"),
        pytest.param({"effective_from": "2025-06-01"}, "school", (), "2025-06-01", True,
                     id="effective-from-inclusive"),
        pytest.param({"effective_from": "2025-06-01"}, "school", (), "2025-05-31", False,
                     id="before-effective-from"),
        pytest.param({"effective_to": "2025-06-01"}, "school", (), "2025-06-01", True,
                     id="effective-to-inclusive"),
        pytest.param({"effective_to": "2025-06-01"}, "school", (), "2025-06-02", False,
                     id="after-effective-to"),
    ],
)
def test_applies(fields, kind, tags, as_of, expected):
    the_rule = rule(K.HAVE_PLAN, **fields)
    the_unit = unit(kind=kind, tags=tags)
    assert applies(the_rule, the_unit, d(as_of)) is expected
    # A rule that does not apply produces nothing at all, not even "missing".
    assert bool(run(the_rule, the_unit, as_of)) is expected


# --- status boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "assessment", "lead", "due", "expected"),
    [
        pytest.param("2025-06-01", "2025-12-31", 30, "2025-05-31", S.OVERDUE, id="due-yesterday"),
        pytest.param("2025-06-01", "2025-12-31", 30, "2025-06-01", S.DUE_SOON, id="due-today"),
        pytest.param("2025-06-01", "2025-12-31", 30, "2025-07-01", S.DUE_SOON, id="last-lead-day"),
        pytest.param("2025-06-01", "2025-12-31", 30, "2025-07-02", S.DUE_BEFORE_ASSESSMENT,
                     id="day-after-lead-window"),
        pytest.param("2025-06-01", "2025-12-31", 30, "2025-12-31", S.DUE_BEFORE_ASSESSMENT,
                     id="due-on-assessment-date"),
        pytest.param("2025-06-01", "2025-12-31", 30, "2026-01-01", S.DONE,
                     id="due-day-after-assessment"),
        pytest.param("2025-06-01", "2025-12-31", 0, "2025-06-01", S.DUE_SOON, id="lead-0-today"),
        pytest.param("2025-06-01", "2025-12-31", 0, "2025-06-02", S.DUE_BEFORE_ASSESSMENT,
                     id="lead-0-tomorrow"),
        pytest.param("2025-12-15", "2025-12-31", 30, "2026-01-14", S.DUE_SOON,
                     id="lead-window-reaches-past-assessment"),
        pytest.param("2025-12-15", "2025-12-31", 30, "2026-01-15", S.DONE,
                     id="past-assessment-and-lead-window"),
        pytest.param("2025-06-01", "2025-09-30", 30, "2025-10-01", S.DONE,
                     id="configured-assessment-date"),
        pytest.param("2026-01-10", "2025-12-31", 30, "2026-03-01", S.DONE,
                     id="assessment-already-past"),
        pytest.param("2024-02-29", "2024-12-31", 30, "2024-03-30", S.DUE_SOON,
                     id="leap-year-lead-window"),
        pytest.param("2024-02-29", "2024-12-31", 30, "2024-03-31", S.DUE_BEFORE_ASSESSMENT,
                     id="leap-year-after-lead-window"),
    ],
)
def test_status_by_due(as_of, assessment, lead, due, expected):
    assert status_by_due(d(due), ctx(as_of, assessment), lead) is expected


# --- HAVE_PLAN -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "plans", "status", "plan_ids", "subject"),
    [
        pytest.param({"overall", "special"}, [plan(3, "special"), plan(1, "onsite")], S.DONE, [3],
                     "overall, special", id="one-category-held"),
        pytest.param({"overall"}, [plan(2, "overall"), plan(1, "overall", issued=None)], S.DONE,
                     [1, 2], "overall", id="every-match-listed-by-id"),
        pytest.param({"overall"}, [plan(1, "onsite")], S.MISSING, [], "overall",
                     id="only-other-category"),
        pytest.param(set(), [plan(5, "joint")], S.DONE, [5], "any plan", id="any-plan"),
        pytest.param(set(), [], S.MISSING, [], "any plan", id="no-plan-at-all"),
        pytest.param({"overall"}, [plan(1, "overall", issued="2025-06-02")], S.MISSING, [],
                     "overall", id="first-issued-after-the-as-of-date"),
        pytest.param({"overall"}, [plan(1, "overall", issued="2025-06-02",
                                        first_issued_on="2022-03-01")], S.DONE, [1], "overall",
                     id="revised-after-the-as-of-date-but-older"),
        pytest.param({"overall"}, [plan(1, "overall", issued="2025-06-01")], S.DONE, [1],
                     "overall", id="issued-on-the-as-of-date"),
    ],
)
def test_have_plan(categories, plans, status, plan_ids, subject):
    found = one(rule(K.HAVE_PLAN, plan_categories=categories), unit(plans), "2025-06-01")
    assert (found.status, found.subject, found.plan_id, found.due_on) == (
        status, subject, None, None)
    assert found.evidence == {"categories": sorted(categories), "plan_ids": plan_ids}
    assert found.citation == "citation of R1"


# --- CLOSE_ACTIONS ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "closed", "as_of", "status", "on_time"),
    [
        pytest.param("2025-03-31", "2025-03-31", "2025-04-15", S.DONE, True,
                     id="closed-on-due-date"),
        pytest.param("2025-03-31", "2025-04-01", "2025-04-15", S.DONE, False,
                     id="closed-a-day-late"),
        pytest.param("2025-03-31", None, "2025-03-31", S.DUE_SOON, None, id="open-on-due-date"),
        pytest.param("2025-03-31", None, "2025-04-01", S.OVERDUE, None, id="open-day-after-due"),
        pytest.param("2025-03-31", "2025-04-10", "2025-04-01", S.OVERDUE, None,
                     id="closed-after-as-of-is-open"),
        pytest.param("2025-03-31", None, "2025-01-15", S.DUE_BEFORE_ASSESSMENT, None,
                     id="open-due-later-this-year"),
        pytest.param("2026-02-01", None, "2025-06-01", S.DONE, None,
                     id="open-due-after-assessment"),
        pytest.param("2024-02-29", "2024-02-29", "2024-03-01", S.DONE, True, id="leap-day-due"),
    ],
)
def test_close_actions(due, closed, as_of, status, on_time):
    found = one(rule(K.CLOSE_ACTIONS), unit(actions=[action(4, due, closed)]), as_of)
    assert (found.status, found.due_on, found.subject) == (status, d(due), "action 4")
    assert found.evidence == {"action_id": 4, "closed_on": closed if status is S.DONE else None,
                              "completed": status is S.DONE and closed is not None,
                              "on_time": on_time}


def test_close_actions_one_per_action_in_due_order():
    actions = [action(1, "2025-05-01"), action(2, "2025-03-01", "2025-02-20"),
               action(3, "2025-03-01")]
    found = run(rule(K.CLOSE_ACTIONS), unit(actions=actions), "2025-04-01")
    assert [(o.evidence["action_id"], o.status) for o in found] == [
        (2, S.DONE), (3, S.OVERDUE), (1, S.DUE_SOON)]


# --- order, errors, invariants ---------------------------------------------------------------


def test_order_is_rule_code_then_plan_then_period():
    rules = [
        rule(K.DRILL_PERIOD, "R3", 3, period=PeriodKind.HALF_YEAR, per_plan=True),
        rule(K.HAVE_PLAN, "R1", 1),
        rule(K.FILE_PLAN, "R2", 2),
    ]
    the_unit = unit([plan(9, issued="2025-01-06"), plan(4, issued="2025-01-06")])
    found = obligations_for_unit(the_unit, rules, ctx("2025-06-01"))
    assert [(o.rule_code, o.plan_id, o.period) for o in found] == [
        ("R1", None, None), ("R2", 4, None), ("R2", 9, None),
        ("R3", 4, "2025-H1"), ("R3", 4, "2025-H2"), ("R3", 9, "2025-H1"), ("R3", 9, "2025-H2"),
    ]


@pytest.mark.parametrize(
    ("the_rule", "message"),
    [
        pytest.param(rule(K.EVALUATE), "R1 (evaluate) needs interval_months", id="evaluate"),
        pytest.param(rule(K.DRILL_INTERVAL), "needs interval_months", id="drill-interval"),
        pytest.param(rule(K.DRILL_PERIOD), "needs period", id="drill-period"),
        pytest.param(replace(rule(K.HAVE_PLAN), kind="bogus"), "unknown kind", id="unknown-kind"),
    ],
)
def test_incomplete_rule_is_refused(the_rule, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        run(the_rule, unit([plan()]), "2025-06-01")


def test_kind_given_as_plain_string():
    # Rule rows read from the database may carry plain strings rather than enum members.
    found = one(replace(rule(K.HAVE_PLAN), kind="have_plan"), unit([plan()]), "2025-06-01")
    assert found.kind is K.HAVE_PLAN
