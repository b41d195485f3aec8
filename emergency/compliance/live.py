"""Recompute a unit's obligations in the same transaction as any change to its plans or drills.

The nightly scan keeps everything current; this keeps the pages of a unit that was just
changed from showing yesterday's status until then.
"""


from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

#: Tables whose rows feed the engine; later features (drills, corrective actions) add theirs.
WATCHED_TABLES = {"plans", "plan_versions", "evaluations", "revision_items", "units", "drills",
                  "corrective_actions"}
_PENDING = "compliance_pending_units"
#: Units recomputed per scan: a whole import's units in one IN list would pass SQLite's limit
#: of 32,766 parameters in one statement.
RECOMPUTE_BATCH = 2000


def _unit_id(obj) -> int | None:
    if obj.__table__.name == "units":
        return obj.id
    return getattr(obj, "unit_id", None)


def _collect(session: Session, flush_context, instances) -> None:
    pending = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if getattr(obj, "__table__", None) is not None and obj.__table__.name in WATCHED_TABLES:
            unit_id = _unit_id(obj)
            if unit_id is not None:
                pending.add(unit_id)


def _after_flush(session: Session, flush_context) -> None:
    # New objects only have their ids after the flush.
    pending = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if getattr(obj, "__table__", None) is not None and obj.__table__.name in WATCHED_TABLES:
            unit_id = _unit_id(obj)
            if unit_id is not None:
                pending.add(unit_id)


def _before_commit(session: Session) -> None:
    if not has_app_context() or not current_app.config.get("LIVE_RECOMPUTE", True):
        session.info.pop(_PENDING, None)
        return
    from emergency.clock import china_today

    recompute_pending(session, china_today())


def recompute_pending(session: Session, today) -> None:
    """Recompute now, in batches, the units whose plans or drills this transaction changed."""
    from emergency.compliance.scan import scan

    # Flush first, so that changes nobody flushed yet (a unit edited or deactivated and
    # committed at once) are collected too.
    session.flush()
    pending = sorted(session.info.pop(_PENDING, set()))
    for start in range(0, len(pending), RECOMPUTE_BATCH):
        scan(today, unit_ids=pending[start:start + RECOMPUTE_BATCH])
    session.flush()
    # The scan's own flushes touch no watched table, but nothing must be left for the commit.
    session.info.pop(_PENDING, None)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def install_recompute_listener() -> None:
    """Register the session hooks once per process."""
    if not event.contains(Session, "before_flush", _collect):
        event.listen(Session, "before_flush", _collect)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", lambda s, t: _after_rollback(s))


