"""Engine rules about plans and their follow-up: hold, file, evaluate, revise, close actions."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from emergency.compliance.dates import add_months
from emergency.compliance.deadlines import FilingTiming, filing_deadline, filing_met
from emergency.compliance.engine_base import (
    UnitIndex,
    categories_label,
    happened_by,
    iso,
    require,
)
from emergency.compliance.facts import Obligation, PlanFacts, RuleSpec, Status

#: Filing states in which the plan still has to be (re)submitted.
UNSUBMITTED_STATES = frozenset({"draft", "returned"})
#: REVISE without deadline_days: close a revision item within 90 days (domain-rules §10 K6, a local
#: default rather than a national number).
DEFAULT_REVISION_DAYS = 90


def have_plan(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return the HAVE_PLAN obligation: done when a plan of the categories exists, else missing."""
    plans = index.existing_plans(rule)
    evidence = {"categories": sorted(rule.plan_categories), "plan_ids": [p.id for p in plans]}
    status = Status.DONE if plans else Status.MISSING
    return [index.obligation(rule, status, categories_label(rule), evidence)]


@lru_cache(maxsize=64)
def _timing(workdays: int) -> FilingTiming:
    """Return the filing timing for a rule's working-day limit (cached: one per distinct limit)."""
    return FilingTiming(filing_workdays=workdays)


def file_plan(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return one FILE_PLAN obligation per issued plan: submit within N working days of issue."""
    # No deadline on the rule means the statutory 20 working days (办法2024 第26条).
    days = rule.deadline_days
    timing = _timing(FilingTiming().filing_workdays if days is None else days)
    return [_file_one(rule, index, plan, timing) for plan in index.issued_plans(rule)]


def _file_one(rule: RuleSpec, index: UnitIndex, plan: PlanFacts,
              timing: FilingTiming) -> Obligation:
    """Return the filing obligation of one plan's current version."""
    deadline = filing_deadline(plan.issued_on, index.ctx.calendar, timing)
    submitted_on = happened_by(plan.submitted_on, index.ctx.as_of)
    # A returned submission must be resubmitted, so only a live or accepted one counts.
    completed = submitted_on is not None and plan.filing_state not in UNSUBMITTED_STATES
    status = Status.DONE if completed else index.status(deadline.date, rule)
    evidence = {
        "issued_on": plan.issued_on.isoformat(), "deadline_workdays": timing.filing_workdays,
        "filing_state": str(plan.filing_state), "submitted_on": iso(submitted_on),
        "filed_on": iso(happened_by(plan.filed_on, index.ctx.as_of)), "completed": completed,
        "on_time": filing_met(deadline.date, submitted_on) if completed else None,
    }
    return index.obligation(rule, status, plan.title, evidence, plan_id=plan.id,
                            due_on=deadline.date, estimated=deadline.estimated)


def evaluate(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return one EVALUATE obligation per issued plan: evaluate every N months."""
    months = require(rule, "interval_months")
    return [_evaluate_one(rule, index, plan, months) for plan in index.issued_plans(rule)]


def _evaluate_one(rule: RuleSpec, index: UnitIndex, plan: PlanFacts, months: int) -> Obligation:
    """Return the evaluation obligation of one plan."""
    as_of = index.ctx.as_of
    evaluated_on = max((day for day in plan.evaluations if day <= as_of), default=None)
    # A newly issued version restarts the cycle just as an evaluation does.
    base = max(evaluated_on, plan.issued_on) if evaluated_on else plan.issued_on
    due = add_months(base, months)
    evidence = {
        "issued_on": plan.issued_on.isoformat(), "last_evaluated_on": iso(evaluated_on),
        "base": base.isoformat(), "interval_months": months,
    }
    return index.obligation(rule, index.status(due, rule), plan.title, evidence,
                            plan_id=plan.id, due_on=due)


def revise(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return one REVISE obligation per revision item raised by ``as_of``: close within N days."""
    days = DEFAULT_REVISION_DAYS if rule.deadline_days is None else rule.deadline_days
    as_of = index.ctx.as_of
    result = []
    for plan in index.plans_in(rule):
        for item in sorted(plan.revisions, key=lambda r: (r.raised_on, r.id)):
            if item.raised_on > as_of:
                continue
            due = item.raised_on + timedelta(days=days)
            closed_on = happened_by(item.closed_on, as_of)
            evidence = {"revision_id": item.id, "raised_on": item.raised_on.isoformat(),
                        "deadline_days": days, **_closing(closed_on, due)}
            status = Status.DONE if closed_on else index.status(due, rule)
            result.append(index.obligation(rule, status, plan.title, evidence,
                                           plan_id=plan.id, due_on=due))
    return result


def close_actions(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return one CLOSE_ACTIONS obligation per corrective action: close it by its due date."""
    as_of = index.ctx.as_of
    result = []
    for action in sorted(index.unit.actions, key=lambda a: (a.due_on, a.id)):
        closed_on = happened_by(action.closed_on, as_of)
        evidence = {"action_id": action.id, **_closing(closed_on, action.due_on)}
        # Closing late still closes the action; the lateness stays visible as on_time False.
        status = Status.DONE if closed_on else index.status(action.due_on, rule)
        subject = action.title or f"#{action.id}"
        result.append(index.obligation(rule, status, subject, evidence, due_on=action.due_on))
    return result


def _closing(closed_on: date | None, due: date) -> dict:
    """Return the evidence of an item that is closed by a date: when, and whether on time."""
    on_time = closed_on <= due if closed_on is not None else None
    return {"closed_on": iso(closed_on), "completed": closed_on is not None, "on_time": on_time}
