"""Date engine tests over synthetic units: invariants every obligation keeps, and stable order.

The synthetic units and the 19 seed-shaped rules are also what the engine is timed with.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date, timedelta

from emergency.compliance.dates import PeriodKind
from emergency.compliance.engine import iter_obligations, obligations_for_unit
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
from tests.compliance.test_engine import K, ctx, rule

S = Status


# --- synthetic data (also used to time the engine) -------------------------------------------

CATEGORIES = ("overall", "special", "onsite", "environmental")
KINDS = ("town_street", "village_community", "school", "kindergarten", "enterprise",
         "government_department")
TAGS = ("hazardous_chemicals", "crowded_place", "key_fire_safety", "boarding_school")
_MONTH, _QUARTER, _HALF, _YEAR = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.HALF_YEAR,
                                  PeriodKind.YEAR)
_GOV = {"town_street", "government_department"}
_FIRMS = {"enterprise"}

#: 19 rules shaped like domain-rules §9 R1-R19, covering every kind.
SEED_RULES: list[RuleSpec] = [
    rule(K.HAVE_PLAN, "R01", 1, plan_categories={"overall"}),
    rule(K.FILE_PLAN, "R02", 2),
    rule(K.EVALUATE, "R03", 3, interval_months=36),
    rule(K.REVISE, "R04", 4, deadline_days=90),
    rule(K.DRILL_INTERVAL, "R05", 5, interval_months=36, per_plan=True,
         plan_categories={"special"}),
    rule(K.DRILL_INTERVAL, "R06", 6, interval_months=12, unit_kinds=_GOV | {"village_community"}),
    rule(K.DRILL_INTERVAL, "R07", 7, interval_months=24, unit_kinds=_GOV),
    rule(K.DRILL_PERIOD, "R08", 8, period=_MONTH, unit_kinds={"school"}, school_terms_only=True),
    rule(K.DRILL_PERIOD, "R09", 9, period=_YEAR, per_period=2, tags_any={"boarding_school"}),
    rule(K.DRILL_PERIOD, "R10", 10, period=_QUARTER, unit_kinds={"kindergarten"},
         school_terms_only=True),
    rule(K.DRILL_PERIOD, "R11", 11, period=PeriodKind.TERM, unit_kinds={"school"}),
    rule(K.DRILL_PERIOD, "R12", 12, period=_YEAR, unit_kinds=_FIRMS,
         tags_any={"hazardous_chemicals"}),
    rule(K.DRILL_PERIOD, "R13", 13, period=_HALF,
         tags_any={"hazardous_chemicals", "crowded_place"}),
    rule(K.DRILL_PERIOD, "R14", 14, period=_HALF, per_plan=True, plan_categories={"onsite"},
         unit_kinds=_FIRMS),
    rule(K.DRILL_PERIOD, "R15", 15, period=_HALF, tags_any={"key_fire_safety"}),
    rule(K.DRILL_INTERVAL, "R16", 16, interval_months=12, unit_kinds=_FIRMS),
    rule(K.EVALUATE, "R17", 17, interval_months=36, plan_categories={"environmental"},
         effective_from="2015-01-01"),
    rule(K.HAVE_PLAN, "R18", 18, plan_categories={"onsite"}, unit_kinds=_FIRMS),
    rule(K.CLOSE_ACTIONS, "R19", 19),
]


def _random_day(rng: random.Random, start: date, days: int) -> date:
    """Return a day within ``days`` after ``start``."""
    return start + timedelta(days=rng.randrange(days))


def _synthetic_plan(rng: random.Random, plan_id: int) -> PlanFacts:
    """Return a plan with random issue, filing, evaluation and revision facts."""
    issued = _random_day(rng, date(2020, 1, 1), 2100) if rng.random() < 0.95 else None
    sent = issued is not None and rng.random() < 0.8
    submitted = issued + timedelta(days=rng.randrange(40)) if sent else None
    state = rng.choice(("submitted", "filed", "returned", "deemed_filed")) if submitted else "draft"
    evaluated = _random_day(rng, date(2021, 1, 1), 1700) if rng.random() < 0.5 else None
    revisions = tuple(
        RevisionFacts(plan_id * 10 + i, raised := _random_day(rng, date(2024, 1, 1), 700),
                      raised + timedelta(days=rng.randrange(150)) if rng.random() < 0.6 else None)
        for i in range(rng.choice((0, 0, 1, 2)))
    )
    return PlanFacts(plan_id, rng.choice(CATEGORIES), f"plan {plan_id}", issued,
                     filing_state=state, submitted_on=submitted,
                     evaluations=(evaluated,) if evaluated else (),
                     revisions=revisions)


def synthetic_unit(rng: random.Random, unit_id: int) -> UnitFacts:
    """Return a unit with ~3 plans, ~12 drills (some planned) and a few corrective actions."""
    plans = tuple(_synthetic_plan(rng, unit_id * 100 + i) for i in range(rng.randint(1, 5)))
    drills = tuple(
        DrillFacts(unit_id * 1000 + i,
                   _random_day(rng, date(2023, 1, 1), 1100) if rng.random() < 0.9 else None,
                   frozenset(p.id for p in rng.sample(plans, rng.randint(0, min(2, len(plans))))))
        for i in range(rng.randint(0, 24))
    )
    actions = tuple(
        ActionFacts(unit_id * 100 + i, due := _random_day(rng, date(2024, 6, 1), 600),
                    due + timedelta(days=rng.randrange(-30, 30)) if rng.random() < 0.7 else None)
        for i in range(rng.randint(0, 4))
    )
    tags = frozenset(tag for tag in TAGS if rng.random() < 0.25)
    return UnitFacts(unit_id, rng.choice(KINDS), tags, plans, drills, actions)


# --- tests ----------------------------------------------------------------------------------


def test_input_order_does_not_change_output():
    the_unit = synthetic_unit(random.Random(3), 1)
    shuffled = replace(the_unit, plans=the_unit.plans[::-1], drills=the_unit.drills[::-1],
                       actions=the_unit.actions[::-1])
    context = ctx("2025-09-10")
    assert obligations_for_unit(shuffled, SEED_RULES[::-1], context) == obligations_for_unit(
        the_unit, SEED_RULES, context)


def test_synthetic_units_keep_the_invariants():
    rng = random.Random(20250601)
    units = [synthetic_unit(rng, unit_id) for unit_id in range(300)]
    context = ctx("2025-09-10")
    codes = {r.code: r for r in SEED_RULES}
    found = list(iter_obligations(units, SEED_RULES, context))
    assert len({o.kind for o in found}) == len(ObligationKind)
    for obligation in found:
        _check_invariants(obligation, codes[obligation.rule_code], context)
    # iter_obligations is the batch form of obligations_for_unit.
    assert found == [o for u in units for o in obligations_for_unit(u, SEED_RULES, context)]
    keys = [(o.unit_id, o.rule_code, o.plan_id or 0, o.evidence.get("period_start", ""))
            for o in found if o.kind is not K.CLOSE_ACTIONS and o.kind is not K.REVISE]
    assert keys == sorted(keys)


def _check_invariants(obligation: Obligation, the_rule: RuleSpec, context: Context) -> None:
    """Assert what must hold for every obligation: citation, evidence, status against due date."""
    assert obligation.citation == the_rule.citation
    assert obligation.evidence
    json.dumps(obligation.evidence)
    due, as_of = obligation.due_on, context.as_of
    if obligation.status is S.OVERDUE:
        assert due < as_of
    elif obligation.status is S.DUE_SOON:
        assert as_of <= due <= as_of + timedelta(days=the_rule.lead_days)
    elif obligation.status is S.DUE_BEFORE_ASSESSMENT:
        assert as_of + timedelta(days=the_rule.lead_days) < due <= context.assessment_date
    elif obligation.status is S.MISSING:
        assert obligation.kind is K.HAVE_PLAN
