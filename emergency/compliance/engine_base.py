"""Shared pieces of the date engine: the per-unit index, status by due date, obligation builder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from emergency.compliance.facts import (
    Context,
    Obligation,
    ObligationKind,
    PlanFacts,
    RuleSpec,
    Status,
    UnitFacts,
)

#: A held drill as the engine counts it: (held_on, drill id), sorted by date then id.
HeldDrill = tuple[date, int]
# Rule rows may carry the kind as a plain string; a dict lookup is far cheaper than the enum call
# and runs once per obligation (millions per province scan).
_KINDS: dict[str, ObligationKind] = {kind.value: kind for kind in ObligationKind}


def iso(d: date | None) -> str | None:
    """Return ``d`` as an ISO string for evidence, or None."""
    return d.isoformat() if d is not None else None


def happened_by(d: date | None, as_of: date) -> date | None:
    """Return ``d`` if it is on or before ``as_of``, else None (it has not happened yet as of D)."""
    # A scan "as of" a past date must not see later events, or history would rewrite itself.
    return d if d is not None and d <= as_of else None


def status_by_due(due: date, ctx: Context, lead_days: int) -> Status:
    """Return the status of an obligation that is not done, from its inclusive due date."""
    # Checked in STATUS_URGENCY order, so the most urgent status that applies wins.
    as_of = ctx.as_of
    if due < as_of:
        return Status.OVERDUE
    if (due - as_of).days <= lead_days:
        return Status.DUE_SOON
    if due <= ctx.assessment_date:
        return Status.DUE_BEFORE_ASSESSMENT
    # Due after the assessment and outside the lead window: nothing is owed yet as of D.
    return Status.DONE


def require(rule: RuleSpec, name: str) -> Any:
    """Return the rule's parameter ``name``, or raise ValueError when the rule row lacks it."""
    value = getattr(rule, name)
    if value is None:
        # Failing loudly beats silently owing nothing: a half-edited rule must not hide overdue
        # items.
        raise ValueError(f"rule {rule.code} ({rule.kind}) needs {name}")
    return value


def categories_label(rule: RuleSpec) -> str:
    """Return a readable list of the rule's plan categories ("any plan" when it has none)."""
    return ", ".join(sorted(rule.plan_categories)) if rule.plan_categories else "any plan"


class UnitIndex:
    """Index one unit's facts once, so each of ~19 rules reads them without rescanning."""

    __slots__ = ("unit", "ctx", "plans", "held", "_held_by_plan")

    def __init__(self, unit: UnitFacts, ctx: Context) -> None:
        """Sort plans by id and held drills by date once, keeping only drills held by ``as_of``."""
        self.unit = unit
        self.ctx = ctx
        self.plans: list[PlanFacts] = sorted(unit.plans, key=_plan_id)
        held = sorted(
            (drill.held_on, drill.id, drill.plan_ids) for drill in unit.drills
            # Planned drills (no held_on) and drills after as_of have not happened as of D.
            if drill.held_on is not None and drill.held_on <= ctx.as_of
        )
        self.held: list[HeldDrill] = [(held_on, drill_id) for held_on, drill_id, _ in held]
        by_plan: dict[int, list[HeldDrill]] = {}
        for held_on, drill_id, plan_ids in held:
            for plan_id in plan_ids:
                by_plan.setdefault(plan_id, []).append((held_on, drill_id))
        self._held_by_plan = by_plan

    def plans_in(self, rule: RuleSpec) -> list[PlanFacts]:
        """Return the unit's plans in the rule's categories (all when it names none), by id."""
        categories = rule.plan_categories
        if not categories:
            return self.plans
        return [plan for plan in self.plans if plan.category in categories]

    def existing_plans(self, rule: RuleSpec) -> list[PlanFacts]:
        """Return the plans in the rule's categories that existed on ``as_of``.

        A plan exists from its first version's issue date, so a later revision does not make it
        missing in the past; a plan whose issue date is unknown counts as existing.
        """
        as_of = self.ctx.as_of
        return [p for p in self.plans_in(rule)
                if (p.first_issued_on or p.issued_on) is None
                or (p.first_issued_on or p.issued_on) <= as_of]

    def issued_plans(self, rule: RuleSpec) -> list[PlanFacts]:
        """Return the plans in the rule's categories whose version was issued by ``as_of``."""
        as_of = self.ctx.as_of
        return [p for p in self.plans_in(rule) if p.issued_on is not None and p.issued_on <= as_of]

    def drills_of(self, plan_ids: Iterable[int]) -> list[HeldDrill]:
        """Return the held drills exercising any of ``plan_ids``, each once, in date order."""
        lists = [self._held_by_plan.get(plan_id, ()) for plan_id in plan_ids]
        if len(lists) == 1:
            return list(lists[0])
        # A drill exercising two of the plans must count once, hence the set.
        return sorted({drill for drills in lists for drill in drills})

    def status(self, due: date, rule: RuleSpec) -> Status:
        """Return the status of a not-done obligation of ``rule`` due on ``due``."""
        return status_by_due(due, self.ctx, rule.lead_days)

    def obligation(self, rule: RuleSpec, status: Status, subject: str, evidence: dict, *,
                   plan_id: int | None = None, period: str | None = None,
                   due_on: date | None = None, estimated: bool = False) -> Obligation:
        """Build an obligation of this unit under ``rule``."""
        return Obligation(
            unit_id=self.unit.id, rule_id=rule.id, rule_code=rule.code,
            kind=_KINDS[rule.kind], status=status, citation=rule.citation,
            subject=subject, plan_id=plan_id, period=period, due_on=due_on,
            estimated=estimated, evidence=evidence,
        )

def _plan_id(plan: PlanFacts) -> int:
    """Return the sort key of a plan."""
    return plan.id
