"""What a unit's annual drill plan covers: which drill obligations each planned drill satisfies."""

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from emergency.compliance.engine import obligations_for_unit
from emergency.compliance.facts import ObligationKind, Status
from emergency.compliance.scan import load_facts
from emergency.compliance.settings import context_for, rule_specs
from emergency.drills.facts import planned_as_held
from emergency.drills.models import Drill, DrillStatus
from emergency.extensions import db

DRILL_KINDS = (ObligationKind.DRILL_PERIOD, ObligationKind.DRILL_INTERVAL)


@dataclass(frozen=True)
class Coverage:
    #: Drill obligations the plan (held + planned) leaves unmet at the assessment date.
    uncovered: list
    #: Drill obligations met, each with the planned or held drill dates that meet it.
    covered: list
    assessment_date: date


def annual_coverage(unit_id: int, year: int, today: date | None = None) -> Coverage:
    """Evaluate the drill rules as of the assessment date, counting planned drills as held.

    Given `today`, a planned drill whose day has passed without being recorded as held covers
    nothing: the period it was meant for shows as uncovered, as the compliance panel has it.
    """
    ctx = context_for(date(year, 12, 31))
    ctx = replace(ctx, as_of=ctx.assessment_date)
    [facts] = load_facts([unit_id])
    stmt = select(Drill).where(Drill.unit_id == unit_id, Drill.status == DrillStatus.PLANNED)
    if today is not None:
        stmt = stmt.where(Drill.planned_on >= today)
    planned = db.session.scalars(stmt).all()
    facts = replace(facts, drills=facts.drills + planned_as_held(planned))
    rules = [r for r in rule_specs(ctx.as_of) if r.kind in DRILL_KINDS]
    found = [o for o in obligations_for_unit(facts, rules, ctx) if o.status != Status.NOT_APPLICABLE]
    return Coverage(uncovered=[o for o in found if o.status != Status.DONE],
                    covered=[o for o in found if o.status == Status.DONE],
                    assessment_date=ctx.assessment_date)


def periods_of(drill: Drill, coverage: Coverage) -> list:
    """Return the covered drill obligations whose evidence counts this drill's date."""
    day = (drill.held_on or drill.planned_on).isoformat()
    return [o for o in coverage.covered
            if day in o.evidence.get("drill_dates", ()) or o.evidence.get("last_drill_on") == day]
