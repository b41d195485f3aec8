"""Keep the audit log append-only at the ORM level: no update or delete of an audit entry.

Every code path of the app changes data through the ORM session, so refusing there covers the
pages, the API, the CLI and the jobs. A deliberate retention purge by an operator still works
through Core on the table (``AuditEntry.__table__.delete()``); on PostgreSQL the app's role
should in addition hold only INSERT and SELECT on ``audit_entries``.
"""

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from emergency.audit.models import AuditEntry


class AuditLogImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


def _refuse_changed_entries(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditLogImmutable(f"audit entry {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj, include_collections=False):
            raise AuditLogImmutable(f"audit entry {obj.id} cannot be changed")


def _refuse_bulk_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, AuditEntry):
        raise AuditLogImmutable("audit entries cannot be changed or deleted")


def install_audit_guard() -> None:
    """Refuse UPDATE and DELETE of audit entries in every ORM session (flushes and bulk)."""
    if not event.contains(Session, "before_flush", _refuse_changed_entries):
        event.listen(Session, "before_flush", _refuse_changed_entries)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_statements):
        event.listen(Session, "do_orm_execute", _refuse_bulk_statements)
