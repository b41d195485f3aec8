"""Database plumbing: SQLite connection settings, BEGIN IMMEDIATE against the lock-upgrade race,
and UTC datetimes that behave the same on SQLite and PostgreSQL."""

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError, StatementError

from emergency.audit.models import AuditEntry
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def sqlite_file(app) -> str:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite connection settings and locking only apply to SQLite "
                    f"(this run uses {db.engine.dialect.name})")
    return db.engine.url.database


def other_connection(path: str, timeout: float) -> sqlite3.Connection:
    """A second process's view of the file: a plain sqlite3 connection in autocommit mode."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


# --- T5.1 connection settings -----------------------------------------------------------------

def test_fresh_pooled_connection_has_the_pragmas(sqlite_file):
    db.engine.dispose()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_every_pooled_connection_gets_the_pragmas(sqlite_file):
    db.engine.dispose()
    # Raw DBAPI connections: two SQLAlchemy connections would both BEGIN IMMEDIATE and queue.
    first, second = db.engine.raw_connection(), db.engine.raw_connection()
    try:
        assert first.driver_connection is not second.driver_connection
        for conn in (first, second):
            cursor = conn.cursor()
            assert cursor.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert cursor.execute("PRAGMA busy_timeout").fetchone() == (15000,)
            assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            cursor.close()
    finally:
        first.close()
        second.close()


def test_foreign_keys_are_enforced(sqlite_file, tree):
    db.session.add(Unit(name="无区域单位", kind="other", region_id=987654))
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.session.commit()
    db.session.rollback()


# --- T5.2 the lock-upgrade race ---------------------------------------------------------------

def test_session_outside_a_request_takes_the_write_lock_up_front(sqlite_file, tree):
    # A: the app's session outside a request (CLI, job) reads first.
    names = db.session.scalars(select(Region.name).order_by(Region.path)).all()
    assert names[0] == "黑龙江省"

    # B cannot write while A's transaction is open: A began with BEGIN IMMEDIATE.
    b = other_connection(sqlite_file, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        b.execute("UPDATE regions SET name = 'B' WHERE code = '23'")
    assert time.monotonic() - started >= 0.15  # B waited for its busy timeout, then gave up

    # A writes after reading and commits without any OperationalError.
    db.session.execute(update(Region).where(Region.code == "23").values(name="A"))
    db.session.commit()
    assert b.execute("SELECT name FROM regions WHERE code = '23'").fetchone() == ("A",)
    b.close()


def test_a_waiting_writer_goes_after_the_session_commits(sqlite_file, tree):
    db.session.scalars(select(Region.name)).all()  # A holds the write lock from here on
    outcome = {}

    def writer():
        b = other_connection(sqlite_file, timeout=10)
        try:
            b.execute("UPDATE regions SET name = 'B' WHERE code = '23'")
            outcome["ok"] = True
        except sqlite3.Error as error:  # pragma: no cover - reported below
            outcome["error"] = error
        finally:
            b.close()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive(), "B should be waiting for A's lock"
    db.session.execute(update(Region).where(Region.code == "23").values(name="A"))
    db.session.commit()
    thread.join(10)
    assert outcome == {"ok": True}
    db.session.expire_all()
    assert db.session.scalar(select(Region.name).where(Region.code == "23")) == "B"  # B after A


def test_negative_control_a_deferred_transaction_fails_in_the_same_race(sqlite_file, tree):
    """Without BEGIN IMMEDIATE, read-then-write fails at once even with a 15 s busy timeout."""
    a = other_connection(sqlite_file, timeout=15)
    b = other_connection(sqlite_file, timeout=15)
    try:
        a.execute("BEGIN")  # deferred, as pysqlite or a read-only request would do
        assert a.execute("SELECT name FROM regions WHERE code = '23'").fetchone() == ("黑龙江省",)
        b.execute("UPDATE regions SET name = 'B' WHERE code = '23'")  # commits (autocommit)
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            a.execute("UPDATE regions SET name = 'A' WHERE code = '23'")
        assert time.monotonic() - started < 5  # SQLITE_BUSY_SNAPSHOT: the timeout does not help
        a.execute("ROLLBACK")
    finally:
        a.close()
        b.close()


def test_negative_control_through_the_app_a_read_only_request_is_deferred(app, sqlite_file, tree):
    """A GET request opens a deferred transaction; if it then wrote, it would hit the race."""
    with app.test_request_context("/units/", method="GET"):
        db.session.scalars(select(Region.name)).all()
        b = other_connection(sqlite_file, timeout=1)
        b.execute("UPDATE regions SET name = 'B' WHERE code = '23'")  # B is not blocked
        b.close()
        with pytest.raises(OperationalError, match="database is locked"):
            db.session.execute(update(Region).where(Region.code == "23").values(name="A"))
            db.session.flush()
        db.session.rollback()
    db.session.remove()
    assert db.session.scalar(select(Region.name).where(Region.code == "23")) == "B"


def test_a_post_request_begins_immediate(app, sqlite_file, tree):
    with app.test_request_context("/units/add", method="POST"):
        db.session.scalars(select(Region.name)).all()
        b = other_connection(sqlite_file, timeout=0.2)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            b.execute("UPDATE regions SET name = 'B' WHERE code = '23'")
        b.close()
        db.session.execute(update(Region).where(Region.code == "23").values(name="A"))
        db.session.commit()
    db.session.remove()
    assert db.session.scalar(select(Region.name).where(Region.code == "23")) == "A"


# --- T5.6 UTC datetimes on both databases -------------------------------------------------------

def test_aware_datetime_round_trips_as_utc(app):
    beijing_morning = datetime(2025, 3, 1, 9, 0, tzinfo=CHINA)
    entry = AuditEntry(action="test", at=beijing_morning)
    db.session.add(entry)
    db.session.commit()
    entry_id = entry.id
    db.session.expunge_all()

    loaded = db.session.get(AuditEntry, entry_id)
    assert loaded.at == datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
    assert loaded.at.tzinfo is not None and loaded.at.utcoffset() == timedelta(0)
    assert (loaded.at.hour, loaded.at.day) == (1, 1)
    assert loaded.at.astimezone(CHINA).hour == 9


def test_the_stored_instant_is_utc(app):
    db.session.add(AuditEntry(action="test", at=datetime(2025, 3, 1, 9, 0, tzinfo=CHINA)))
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        raw = db.session.execute(text("SELECT at FROM audit_entries")).scalar()
        assert raw.startswith("2025-03-01 01:00:00")
    else:
        raw = db.session.execute(
            text("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM audit_entries")
        ).scalar()
        assert raw == "2025-03-01 01:00"


@pytest.mark.parametrize("offset_hours", [8, 0, -5, 14])
def test_queries_compare_instants_not_wall_clocks(app, offset_hours):
    instant = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
    db.session.add(AuditEntry(action="test", at=instant))
    db.session.commit()
    same = instant.astimezone(timezone(timedelta(hours=offset_hours)))
    assert db.session.scalar(select(AuditEntry.at).where(AuditEntry.at == same)) == instant
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.at > same + timedelta(seconds=1))) is None


def test_naive_datetime_is_refused_on_write(app):
    db.session.add(AuditEntry(action="test", at=datetime(2025, 3, 1, 9, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_naive_datetime_is_refused_in_a_query(app):
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.execute(select(AuditEntry).where(AuditEntry.at >= datetime(2025, 3, 1)))
    db.session.rollback()


def test_default_timestamps_are_aware_utc(app, tree, make_unit):
    unit_id = make_unit(tree.county_a).id
    db.session.expunge_all()
    loaded = db.session.get(Unit, unit_id)
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - loaded.created_at) < timedelta(minutes=1)
