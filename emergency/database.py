"""Database plumbing shared by every feature: UTC datetimes, SQLite connection settings, and
the answer while the database is unreachable."""

from datetime import UTC, datetime

from flask import (
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import gettext as _
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
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


#: Seconds a client is asked to wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 10


def is_unavailable(error: DBAPIError) -> bool:
    """Tell whether a driver error means "the database cannot be reached right now".

    Refused or dropped connections (a restart, a failover) are OperationalError or
    InterfaceError, or invalidate the pooled connection; SQLite's "database is locked" is an
    OperationalError too. Errors in the statement itself (IntegrityError...) are bugs: a 500.
    """
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


def _first_line(error: DBAPIError) -> str:
    # The driver's message, without SQLAlchemy's statement dump and link: one log line.
    lines = str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def close_session_safely(_error=None) -> None:
    """End the request's session even when its connection died during the request.

    Flask-SQLAlchemy's own teardown rolls back, which raises on a connection the server cut
    (a restart): the exception would escape Flask as a bare 500 and leave the connection checked
    out. Registered after it, this runs first (teardowns run in reverse): it invalidates the dead
    connection instead, so the pool replaces it and the request's answer stands.
    """
    from emergency.extensions import db

    try:
        db.session.remove()
    except DBAPIError as error:
        if not is_unavailable(error):
            raise
        current_app.logger.warning("Database connection lost at the end of a request: %s",
                                   _first_line(error))
        try:
            db.session().invalidate()  # the request's Session (the scoped proxy has no invalidate)
        finally:
            db.session.registry.clear()


def handle_database_error(error: DBAPIError):
    """Answer 503 "database unavailable" (a page, or JSON under /api/) while it is unreachable.

    Nothing needs restarting afterwards: the pool's pre-ping replaces dead connections at the
    next checkout, so requests succeed again as soon as the database is back.
    """
    if not is_unavailable(error):
        from emergency.errors import handle_unexpected

        return handle_unexpected(error)
    from emergency.extensions import db, login_manager

    try:
        db.session.rollback()
    except DBAPIError:
        pass  # the connection is gone; the session is discarded at teardown anyway
    current_app.logger.warning("Database unavailable (%s %s): %s", request.method, request.path,
                               _first_line(error))
    # The page must not touch the database again: no user loading (for the locale or the menu).
    g._login_user = login_manager.anonymous_user()
    g.pop("api_user", None)
    message = _("The database is not available at the moment. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response = jsonify(code=503, status="Service Unavailable", message=message)
    else:
        response = make_response(render_template("errors/503.html", code=503, message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
