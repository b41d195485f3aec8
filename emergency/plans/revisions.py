"""Evaluations (评估) and revision items (修订): what keeps a plan current."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from emergency.extensions import db
from emergency.plans.models import (
    Evaluation,
    EvaluationConclusion,
    Plan,
    RevisionItem,
    RevisionTrigger,
)
from emergency.plans.services import EARLIEST_ISSUE_DATE
from emergency.problems import Problem, ProblemsError


@dataclass
class EvaluationData:
    evaluated_on: date | None
    conclusion: str
    summary: str | None = None


def record_evaluation(plan: Plan, data: EvaluationData, user, today: date) -> Evaluation:
    """Record an evaluation; a "revise" conclusion opens a revision item."""
    problems = []
    if data.evaluated_on is None:
        problems.append(Problem("evaluated_on", "required"))
    elif data.evaluated_on > today:
        problems.append(Problem("evaluated_on", "date_in_future"))
    elif data.evaluated_on < EARLIEST_ISSUE_DATE:
        problems.append(Problem("evaluated_on", "date_too_early"))
    if data.conclusion not in set(EvaluationConclusion):
        problems.append(Problem("conclusion", "invalid_choice"))
    if problems:
        raise ProblemsError(problems)
    evaluation = Evaluation(plan_id=plan.id, unit_id=plan.unit_id, evaluated_on=data.evaluated_on,
                            conclusion=data.conclusion, summary=(data.summary or "").strip() or None,
                            recorded_by_id=user.id)
    db.session.add(evaluation)
    db.session.flush()
    if data.conclusion == EvaluationConclusion.REVISE:
        db.session.add(RevisionItem(plan_id=plan.id, unit_id=plan.unit_id,
                                    trigger=RevisionTrigger.EVALUATION, raised_on=data.evaluated_on,
                                    raised_by_id=user.id, evaluation_id=evaluation.id))
        db.session.flush()
    return evaluation


def raise_revision(plan: Plan, trigger: str, note: str | None, user, today: date) -> RevisionItem:
    """Open a revision item for a plan because something changed (a revision trigger)."""
    if trigger not in set(RevisionTrigger) or trigger == RevisionTrigger.EVALUATION:
        raise ProblemsError([Problem("trigger", "invalid_choice")])
    item = RevisionItem(plan_id=plan.id, unit_id=plan.unit_id, trigger=trigger,
                        note=(note or "").strip()[:2000] or None, raised_on=today,
                        raised_by_id=user.id)
    db.session.add(item)
    db.session.flush()
    return item


def open_revisions(plan: Plan) -> list[RevisionItem]:
    """Return the plan's revision items that no filed version has closed yet."""
    return db.session.scalars(
        select(RevisionItem).where(RevisionItem.plan_id == plan.id, RevisionItem.closed_on.is_(None))
        .order_by(RevisionItem.raised_on)
    ).all()
