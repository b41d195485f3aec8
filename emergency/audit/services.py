"""Write audit entries: automatically for every ORM change, explicitly for events like logins."""

import enum
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from emergency.audit.models import AuditEntry
from emergency.database import utcnow
from emergency.extensions import db

NEVER_AUDITED = frozenset({"audit_entries", "login_failures"})
ALWAYS_EXCLUDED = frozenset({"version", "updated_at"})

#: The length of AuditEntry.object_label.
LABEL_LENGTH = AuditEntry.__table__.c.object_label.type.length


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _actor() -> dict:
    """Describe who is acting: the logged-in user in a request, or the CLI/job actor in g."""
    actor = {"user_id": None, "username": None, "ip": None, "user_agent": None}
    if has_request_context():
        actor["ip"] = request.remote_addr
        actor["user_agent"] = (request.user_agent.string or "")[:300] or None
        user = g.get("api_user") or current_user
        if user is not None and getattr(user, "is_authenticated", False):
            actor["user_id"], actor["username"] = user.id, user.username
    if actor["username"] is None:
        actor["username"] = g.get("audit_actor") if g else None
    return actor


def _fit_label(value) -> str | None:
    """Cut a label to the column's length: a document's name alone may be 255 characters."""
    return str(value)[:LABEL_LENGTH] if value else None


def _label(obj) -> str | None:
    for attr in ("name", "username", "title", "code"):
        value = getattr(obj, attr, None)
        if value:
            return _fit_label(value)
    return None


def _diff(obj, kind: str) -> dict:
    state = inspect(obj)
    excluded = ALWAYS_EXCLUDED | getattr(obj, "__audit_exclude__", frozenset())
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in excluded:
            continue
        if kind != "update":
            changes[attr.key] = _jsonable(getattr(obj, attr.key))
            continue
        history = state.attrs[attr.key].history
        if history.added or history.deleted:
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                changes[attr.key] = [_jsonable(before), _jsonable(after)]
    return changes


def _entries_for_flush(session: Session) -> list[dict]:
    batches = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    rows, actor, now = [], _actor(), utcnow()
    for action, objects in batches:
        for obj in objects:
            if obj.__table__.name in NEVER_AUDITED:
                continue
            changes = _diff(obj, action)
            if action == "update" and not changes:
                continue
            rows.append({**actor, "at": now, "action": action, "changes": changes,
                         "object_type": obj.__table__.name, "object_id": getattr(obj, "id", None),
                         "object_label": _label(obj)})
    return rows


def _after_flush(session: Session, flush_context) -> None:
    # after_flush still sees the pre-flush history and already has the new primary keys;
    # objects cannot be added during a flush, so the rows go in through Core on the same connection.
    rows = _entries_for_flush(session)
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def install_audit_listener() -> None:
    """Audit every ORM create, update and delete, in the same transaction as the change."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def record_event(action: str, obj=None, *, label: str | None = None, changes: dict | None = None,
                 user=None) -> None:
    """Add an audit entry for something that is not a row change (login, download, export)."""
    actor = _actor()
    if user is not None:
        actor["user_id"], actor["username"] = user.id, user.username
    db.session.add(AuditEntry(
        **actor, action=action, changes=changes,
        object_type=obj.__table__.name if obj is not None else None,
        object_id=getattr(obj, "id", None),
        object_label=_fit_label(label) or (_label(obj) if obj is not None else None),
    ))
