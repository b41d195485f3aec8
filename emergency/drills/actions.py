"""Corrective actions (整改项): raised from a drill, closed with evidence, verified by the office."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from emergency.documents.models import Document
from emergency.drills.models import (
    ActionEvent,
    ActionStatus,
    CorrectiveAction,
    Drill,
    DrillStatus,
)
from emergency.extensions import db
from emergency.problems import Problem, ProblemsError


@dataclass
class ActionData:
    title: str
    owner: str
    due_on: date | None
    description: str | None = None


def _event(action: CorrectiveAction, event: str, user, comment: str | None = None) -> None:
    db.session.add(ActionEvent(action_id=action.id, unit_id=action.unit_id, event=event,
                               comment=comment, actor_id=user.id))


def add_action(drill: Drill, data: ActionData, user, today: date) -> CorrectiveAction:
    """Turn a drill finding into a corrective action with an owner and a due date."""
    if drill.status != DrillStatus.HELD:
        # Only a drill that took place has findings to correct.
        raise ProblemsError([Problem("", "drill_not_held")])
    problems = []
    title, owner = " ".join((data.title or "").split()), " ".join((data.owner or "").split())
    if not title or len(title) > 200:
        problems.append(Problem("title", "required" if not title else "too_long", {"max": 200}))
    if not owner or len(owner) > 100:
        problems.append(Problem("owner", "required" if not owner else "too_long", {"max": 100}))
    if data.due_on is None:
        problems.append(Problem("due_on", "required"))
    elif drill.held_on and data.due_on < drill.held_on:
        problems.append(Problem("due_on", "due_before_drill"))
    if problems:
        raise ProblemsError(problems)
    action = CorrectiveAction(unit_id=drill.unit_id, drill_id=drill.id, title=title, owner=owner,
                              due_on=data.due_on, description=(data.description or "").strip() or None)
    db.session.add(action)
    db.session.flush()
    return action


def evidence_count(action: CorrectiveAction) -> int:
    """Return how many evidence documents the action has."""
    return db.session.scalar(select(func.count(Document.id)).where(Document.action_id == action.id))


def close_action(action: CorrectiveAction, note: str | None, user, today: date) -> None:
    """Close an action; refused without at least one evidence document."""
    if action.status != ActionStatus.OPEN:
        raise ProblemsError([Problem("", "action_not_open")])
    if evidence_count(action) == 0:
        raise ProblemsError([Problem("evidence", "evidence_required")])
    action.status, action.closed_on = ActionStatus.CLOSED, today
    action.closing_note = (note or "").strip()[:2000] or None
    _event(action, "closed", user, action.closing_note)
    db.session.flush()


def verify_action(action: CorrectiveAction, user, today: date) -> None:
    """Confirm a closed action (office only)."""
    if action.status != ActionStatus.CLOSED:
        raise ProblemsError([Problem("", "action_not_closed")])
    action.status, action.verified_on, action.verified_by_id = ActionStatus.VERIFIED, today, user.id
    _event(action, "verified", user)
    db.session.flush()


def reopen_action(action: CorrectiveAction, comment: str | None, user) -> None:
    """Send a closed action back to the unit with a comment (office only)."""
    if action.status != ActionStatus.CLOSED:
        raise ProblemsError([Problem("", "action_not_closed")])
    comment = (comment or "").strip()
    if not comment:
        raise ProblemsError([Problem("comment", "required")])
    action.status, action.closed_on = ActionStatus.OPEN, None
    _event(action, "reopened", user, comment[:2000])
    db.session.flush()
