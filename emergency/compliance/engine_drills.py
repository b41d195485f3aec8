"""Engine rules about drills: every N months (interval) and at least K per calendar period."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date
from functools import lru_cache

from emergency.compliance.dates import (
    Period,
    PeriodKind,
    SchoolTerms,
    add_months,
    overlaps_term,
    periods_between,
)
from emergency.compliance.engine_base import (
    HeldDrill,
    UnitIndex,
    categories_label,
    iso,
    require,
)
from emergency.compliance.facts import Obligation, PlanFacts, RuleSpec, Status

#: A period a rule counts in, whether a drill is owed in it (False: wholly in a school vacation),
#: and its start and end as ISO strings for the evidence.
OwedPeriod = tuple[Period, bool, str, str]


def drill_interval(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return DRILL_INTERVAL obligations: per plan, or one for the unit when not per_plan."""
    months = require(rule, "interval_months")
    plans = index.plans_in(rule)
    if rule.per_plan:
        found = [_interval_one(rule, index, index.drills_of((p.id,)), [p], p.id, p.title, months)
                 for p in plans]
        return [obligation for obligation in found if obligation is not None]
    # With no categories every drill of the unit counts, even one linked to no plan.
    drills = index.drills_of(p.id for p in plans) if rule.plan_categories else index.held
    found_one = _interval_one(rule, index, drills, plans, None, categories_label(rule), months)
    return [found_one] if found_one is not None else []


def _interval_one(rule: RuleSpec, index: UnitIndex, drills: list[HeldDrill],
                  plans: list[PlanFacts], plan_id: int | None, subject: str,
                  months: int) -> Obligation | None:
    """Return the interval obligation counted from the last drill, else the earliest issue date."""
    as_of = index.ctx.as_of
    issued = [p.issued_on for p in plans if p.issued_on is not None and p.issued_on <= as_of]
    if drills:
        base, source = drills[-1][0], "last_drill"
    elif issued:
        # Never drilled: the clock starts when the plan took effect.
        base, source = min(issued), "issued_on"
    else:
        return None
    due = add_months(base, months)
    evidence = {
        "last_drill_on": iso(drills[-1][0]) if drills else None, "drills_held": len(drills),
        "base": base.isoformat(), "base_source": source, "interval_months": months,
    }
    return index.obligation(rule, index.status(due, rule), subject, evidence,
                            plan_id=plan_id, due_on=due)


@lru_cache(maxsize=512)
def owed_periods(kind: PeriodKind, assessment_date: date, terms: SchoolTerms, school_only: bool,
                 effective_from: date | None, effective_to: date | None) -> tuple[OwedPeriod, ...]:
    """Return the periods overlapping [1 Jan of A's year, A] that the rule counts, in date order."""
    # Cached: every unit under one rule shares these, and building them is most of the work.
    periods = periods_between(kind, date(assessment_date.year, 1, 1), assessment_date, terms)
    return tuple(
        (period, not school_only or overlaps_term(period, terms),
         period.start.isoformat(), period.end.isoformat())
        for period in periods
        # A period that started before the rule took effect (or after it ended) was never owed.
        if (effective_from is None or period.start >= effective_from)
        and (effective_to is None or period.start <= effective_to)
    )


def drill_period(rule: RuleSpec, index: UnitIndex) -> list[Obligation]:
    """Return DRILL_PERIOD obligations: one per period, per plan when the rule is per_plan."""
    ctx = index.ctx
    kind = PeriodKind(require(rule, "period"))
    periods = owed_periods(kind, ctx.assessment_date, ctx.terms, rule.school_terms_only,
                           rule.effective_from, rule.effective_to)
    if rule.per_plan:
        result: list[Obligation] = []
        for plan in index.issued_plans(rule):
            dates = [held_on for held_on, _ in index.drills_of((plan.id,))]
            result.extend(_period_each(rule, index, periods, dates, plan.id, plan.title))
        return result
    plans = index.plans_in(rule)
    drills = index.drills_of(p.id for p in plans) if rule.plan_categories else index.held
    dates = [held_on for held_on, _ in drills]
    return _period_each(rule, index, periods, dates, None, None)


def _period_each(rule: RuleSpec, index: UnitIndex, periods: tuple[OwedPeriod, ...],
                 dates: list[date], plan_id: int | None, title: str | None) -> list[Obligation]:
    """Return one obligation per period from the sorted dates of the drills that count."""
    need = 1 if rule.per_period is None else rule.per_period
    result = []
    for period, owed, start_iso, end_iso in periods:
        # Bisection over sorted dates keeps a monthly rule linear in drills, not drills x months.
        found = dates[bisect_left(dates, period.start):bisect_right(dates, period.end)]
        # A vacation period owes nothing, so indicators summing "required" must see 0 there.
        required = need if owed else 0
        completed = len(found) >= required
        evidence = {
            "period_start": start_iso, "period_end": end_iso, "required": required,
            "held": len(found), "drill_dates": [d.isoformat() for d in found],
            "completed": completed,
        }
        if not owed:
            evidence["reason"] = "school_vacation"
            status = Status.NOT_APPLICABLE
        else:
            # A missed period keeps its own due date: it stays overdue and never rolls forward.
            status = Status.DONE if completed else index.status(period.end, rule)
        result.append(index.obligation(rule, status, title or period.label, evidence,
                                       plan_id=plan_id, period=period.label, due_on=period.end))
    return result
