"""Load drill and corrective-action facts for the compliance scan, a batch of units at a time."""

from collections import defaultdict

from sqlalchemy import select

from emergency.compliance.facts import ActionFacts, DrillFacts
from emergency.drills.models import ActionStatus, CorrectiveAction, Drill, DrillStatus, drill_plans
from emergency.extensions import db


def load_drill_facts(ids: list[int]) -> dict[int, dict]:
    """Return {unit_id: {"drills": (...), "actions": (...)}} for held drills and all actions."""
    plans_of = defaultdict(set)
    rows = db.session.execute(
        select(drill_plans.c.drill_id, drill_plans.c.plan_id)
        .join(Drill, Drill.id == drill_plans.c.drill_id)
        .where(Drill.unit_id.in_(ids), Drill.status == DrillStatus.HELD))
    for drill_id, plan_id in rows:
        plans_of[drill_id].add(plan_id)
    result = defaultdict(lambda: {"drills": [], "actions": []})
    for drill_id, unit_id, held_on in db.session.execute(
            select(Drill.id, Drill.unit_id, Drill.held_on)
            .where(Drill.unit_id.in_(ids), Drill.status == DrillStatus.HELD)):
        result[unit_id]["drills"].append(DrillFacts(drill_id, held_on, frozenset(plans_of[drill_id])))
    for action in db.session.execute(
            select(CorrectiveAction.id, CorrectiveAction.unit_id, CorrectiveAction.due_on,
                   CorrectiveAction.closed_on, CorrectiveAction.status, CorrectiveAction.title)
            .where(CorrectiveAction.unit_id.in_(ids))):
        closed = action.closed_on if action.status != ActionStatus.OPEN else None
        result[action.unit_id]["actions"].append(ActionFacts(action.id, action.due_on, closed, action.title))
    return {unit_id: {k: tuple(v) for k, v in facts.items()} for unit_id, facts in result.items()}


def planned_as_held(drills) -> tuple[DrillFacts, ...]:
    """Treat planned drills as held on their planned day (for annual-plan coverage)."""
    return tuple(DrillFacts(d.id, d.planned_on, frozenset(p.id for p in d.plans)) for d in drills)


