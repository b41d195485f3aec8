"""Database plumbing shared by every feature: UTC datetimes and SQLite connection settings."""

from datetime import UTC, datetime

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and always hand back aware UTC values.

    SQLite drops tzinfo even for DateTime(timezone=True) while PostgreSQL keeps it, so
    without this the same code would compare naive and aware values depending on the database.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def mark_write_request() -> None:
    """Make this GET request's next SQLite transaction a write transaction (BEGIN IMMEDIATE).

    The read transaction already open (login, scoping) is ended first, because upgrading it to
    a writer is exactly the race that fails with "database is locked".
    """
    from emergency.extensions import db

    g.sqlite_write = True
    db.session.commit()


def _wants_immediate() -> bool:
    # A deferred transaction that reads and later writes fails at once with SQLITE_BUSY when
    # another connection committed in between (busy_timeout does not help), so anything that may
    # write takes the write lock up front. Plain page views stay deferred so readers run in parallel.
    if has_request_context():
        return request.method not in READ_ONLY_METHODS or g.get("sqlite_write", False)
    return True


def _on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] not in {"sqlite3", "pysqlite2"}:
        return
    timeout = 15000
    if has_app_context():
        timeout = current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", timeout)
    # Take BEGIN away from pysqlite so _on_begin can choose DEFERRED or IMMEDIATE itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")


def install_sqlite_settings() -> None:
    """Register the SQLite connection listeners once per process, for every engine."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
        event.listen(Engine, "begin", _on_begin)
