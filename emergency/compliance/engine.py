"""The date engine: turn rules and one unit's facts into obligations.

Pure: no clock, no Flask, no database. The scan loads facts in bulk and calls
``obligations_for_unit`` (or ``iter_obligations``) per unit; this is the only place a due date or
a status is computed. Kind-specific rules live in ``engine_plans`` and ``engine_drills``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from operator import attrgetter

from emergency.compliance.engine_base import UnitIndex, status_by_due
from emergency.compliance.engine_drills import drill_interval, drill_period
from emergency.compliance.engine_plans import (
    close_actions,
    evaluate,
    file_plan,
    have_plan,
    revise,
)
from emergency.compliance.facts import Context, Obligation, ObligationKind, RuleSpec, UnitFacts

__all__ = ["applies", "iter_obligations", "obligations_for_unit", "sort_rules", "status_by_due"]

Builder = Callable[[RuleSpec, UnitIndex], list[Obligation]]

_BUILDERS: dict[ObligationKind, Builder] = {
    ObligationKind.HAVE_PLAN: have_plan,
    ObligationKind.FILE_PLAN: file_plan,
    ObligationKind.EVALUATE: evaluate,
    ObligationKind.REVISE: revise,
    ObligationKind.DRILL_INTERVAL: drill_interval,
    ObligationKind.DRILL_PERIOD: drill_period,
    ObligationKind.CLOSE_ACTIONS: close_actions,
}


def applies(rule: RuleSpec, unit: UnitFacts, as_of: date) -> bool:
    """Tell whether ``rule`` binds ``unit`` on ``as_of`` (unit kind, risk tags, effective dates)."""
    if rule.unit_kinds and unit.kind not in rule.unit_kinds:
        return False
    if rule.tags_any and rule.tags_any.isdisjoint(unit.tags):
        return False
    # Both effective dates are inclusive, like due dates.
    if rule.effective_from is not None and as_of < rule.effective_from:
        return False
    return rule.effective_to is None or as_of <= rule.effective_to


def sort_rules(rules: Iterable[RuleSpec]) -> list[RuleSpec]:
    """Return ``rules`` in output order (code, then id); raise ValueError for an unknown kind."""
    ordered = sorted(rules, key=attrgetter("code", "id"))
    for rule in ordered:
        if rule.kind not in _BUILDERS:
            raise ValueError(f"rule {rule.code} has unknown kind {rule.kind!r}")
    return ordered


def obligations_for_unit(unit: UnitFacts, rules: Sequence[RuleSpec],
                         ctx: Context) -> list[Obligation]:
    """Return every obligation ``rules`` impose on ``unit`` as of ``ctx.as_of``, in stable order."""
    return _for_unit(unit, sort_rules(rules), ctx)


def iter_obligations(units: Iterable[UnitFacts], rules: Sequence[RuleSpec],
                     ctx: Context) -> Iterator[Obligation]:
    """Yield the obligations of many units, sorting and checking the rules only once."""
    ordered = sort_rules(rules)
    for unit in units:
        yield from _for_unit(unit, ordered, ctx)


def _for_unit(unit: UnitFacts, ordered: list[RuleSpec], ctx: Context) -> list[Obligation]:
    """Return the obligations of one unit under rules already in output order."""
    index = UnitIndex(unit, ctx)
    result: list[Obligation] = []
    for rule in ordered:
        if applies(rule, unit, ctx.as_of):
            # Within a rule the builders emit plans by id, then periods by start.
            result.extend(_BUILDERS[rule.kind](rule, index))
    return result
