"""Load drill and corrective-action facts for the compliance scan, a batch of units at a time."""

from collections import defaultdict

from sqlalchemy import select

from emergency.compliance.facts import ActionFacts, DrillFacts
from emergency.compliance.scan import in_batch
from emergency.drills.models import ActionStatus, CorrectiveAction, Drill, DrillStatus, drill_plans
from emergency.extensions import db


def load_drill_facts(ids: list[int]) -> dict[int, dict]:
    """Return {unit_id: {"drills": (...), "actions": (...)}} for held drills and all actions."""
    # One pass over the held drills with their plan links (a drill exercising no plan comes back
    # once with plan_id NULL), instead of reading the drills twice.
    held: dict[int, tuple[int, object, set]] = {}
    for drill_id, unit_id, held_on, plan_id in db.session.execute(
            select(Drill.id, Drill.unit_id, Drill.held_on, drill_plans.c.plan_id)
            .outerjoin(drill_plans, drill_plans.c.drill_id == Drill.id)
            .where(in_batch(Drill.unit_id, ids), Drill.status == DrillStatus.HELD)):
        entry = held.get(drill_id)
        if entry is None:
            entry = held[drill_id] = (unit_id, held_on, set())
        if plan_id is not None:
            entry[2].add(plan_id)
    result = defaultdict(lambda: {"drills": [], "actions": []})
    for drill_id, (unit_id, held_on, plan_ids) in held.items():
        result[unit_id]["drills"].append(DrillFacts(drill_id, held_on, frozenset(plan_ids)))
    for action in db.session.execute(
            select(CorrectiveAction.id, CorrectiveAction.unit_id, CorrectiveAction.due_on,
                   CorrectiveAction.closed_on, CorrectiveAction.status, CorrectiveAction.title)
            .where(in_batch(CorrectiveAction.unit_id, ids))):
        closed = action.closed_on if action.status != ActionStatus.OPEN else None
        result[action.unit_id]["actions"].append(
            ActionFacts(action.id, action.due_on, closed, action.title))
    return {unit_id: {k: tuple(v) for k, v in facts.items()} for unit_id, facts in result.items()}


def planned_as_held(drills) -> tuple[DrillFacts, ...]:
    """Treat planned drills as held on their planned day (for annual-plan coverage)."""
    return tuple(DrillFacts(d.id, d.planned_on, frozenset(p.id for p in d.plans)) for d in drills)


