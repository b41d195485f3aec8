"""Migrations on a fresh database: upgrade from empty, downgrade to base, upgrade again, no drift.

Runs on SQLite (a new temporary file) and, when TEST_DATABASE_URL is PostgreSQL, on a new
PostgreSQL database created for the test and dropped afterwards.
"""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from emergency import create_app
from emergency.extensions import db
from tests.security.conftest import populated_app, populated_copy, populated_template, row_counts

# Fixtures shared with the backup tests: one populated database per run, copied per test.
__all__ = ["populated_app", "populated_copy", "populated_template"]


@pytest.fixture
def fresh_url(tmp_path):
    """Yield the URL of an empty database of the same kind as the test run's."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or make_url(base).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = f"emergency_migrations_{uuid.uuid4().hex[:10]}"
    server = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def fresh_app(fresh_url, tmp_path):
    settings = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=fresh_url, UPLOAD_ROOT=str(tmp_path / "uploads"))
    app = create_app(settings)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def revisions(app) -> list[str]:
    """Return the revision ids from the first to head."""
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_fresh_database_starts_empty(fresh_app):
    assert table_names() == set()


def test_upgrade_downgrade_upgrade_and_no_drift(fresh_app):
    model_tables = set(db.metadata.tables)
    assert {"regions", "units", "users", "audit_entries"} <= model_tables

    upgrade()
    assert table_names() == model_tables | {"alembic_version"}
    assert schema_differences() == []

    downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0

    upgrade()
    assert table_names() == model_tables | {"alembic_version"}
    assert schema_differences() == []
    head = revisions(fresh_app)[-1]
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_flask_db_check_reports_no_new_operations(fresh_app):
    upgrade()
    result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    assert "New upgrade operations detected" not in result.output


def test_flask_db_check_fails_on_an_unmigrated_database(fresh_app):
    # Control for the test above: the check really compares something.
    result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code != 0
    assert "Target database is not up to date" in str(result.exception) + result.output


def counts_now() -> dict[str, int]:
    """Row counts of every table but alembic_version, on a new connection."""
    return {name: count for name, count in row_counts().items() if name != "alembic_version"}


#: Child tables that must hold rows before the walk, or the test would prove nothing about them.
CHILDREN = ("plan_versions", "documents", "filing_events", "evaluations", "revision_items",
            "drills", "drill_plans", "drill_changes", "corrective_actions", "action_events",
            "obligations", "reminder_notifications", "email_outbox", "api_tokens",
            "calendar_tokens", "login_failures", "audit_entries")


#: Rows that cannot exist below a revision because they belong to what its downgrade removes
#: (a document of a drill cannot outlive the drills table): table -> SQL condition of the rows
#: that stay. Every other row of every surviving table must stay.
OWNED_BY_DROPPED = {
    "c4091e7223a7": {"documents": "drill_id IS NULL AND action_id IS NULL"},
}


def expected_below(revision: str, above: dict[str, int]) -> dict[str, int]:
    expected = dict(above)
    for table, condition in OWNED_BY_DROPPED.get(revision, {}).items():
        with db.engine.connect() as conn:
            expected[table] = conn.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE {condition}')).scalar()
    return expected


def test_every_migration_down_and_up_keeps_every_row(populated_app):
    """Batch mode recreates tables with DROP TABLE; with foreign keys on, SQLite would cascade.

    On the populated database (demo, scan, reminders, tokens: see tests/security/conftest.py),
    take each migration from the head down and up again. Going down, every table that survives
    keeps its rows (less those OWNED_BY_DROPPED); coming back up, every table that existed on
    both sides has the rows it had below. Iterates over whatever migrations exist.
    """
    steps = revisions(populated_app)
    above = counts_now()
    empty = sorted(name for name in CHILDREN if not above.get(name))
    assert not empty, f"populate() left these child tables empty: {empty}"
    print(f"\n{len(steps)} migrations, {sum(above.values())} rows in {len(above)} tables")
    for revision in reversed(steps):
        previous = f"{revision}-1" if revision != steps[0] else "base"
        expected = expected_below(revision, above)
        downgrade(revision=previous)
        below = counts_now()
        lost = {name: (expected[name], count) for name, count in below.items()
                if name in expected and expected[name] != count}
        assert not lost, f"rows lost going below {revision}: {lost}"
        upgrade(revision=revision)
        back = counts_now()
        lost = {name: (count, back.get(name)) for name, count in below.items()
                if back.get(name) != count}
        assert not lost, f"rows lost coming back up through {revision}: {lost}"
        assert set(back) == set(above)
        downgrade(revision=previous)
        above = below
    assert table_names() == {"alembic_version"}
    upgrade()
    assert schema_differences() == []
