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
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from emergency import create_app
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.units.models import Unit


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


def test_stepping_each_migration_down_and_up_keeps_existing_rows(fresh_app):
    """Batch mode recreates tables with DROP TABLE; with foreign keys on, SQLite would cascade.

    Seed parent and child rows, then take every migration above the first one down and up again.
    """
    upgrade()
    province = Region(code="23", name="黑龙江省", level=RegionLevel.PROVINCE, path="/23/")
    county = Region(code="231102", name="爱辉区", level=RegionLevel.COUNTY, parent=province,
                    path="/23/231102/")
    unit = Unit(name="花园小学", kind="school", region=county, identifier="2123000001")
    db.session.add_all([province, county, unit])
    db.session.flush()
    db.session.add(User(username="liaison", display_name="联络员", email="l@yjj.local",
                        role=Role.LIAISON, unit_id=unit.id, password_hash="x"))
    db.session.commit()

    def counts():
        found = tuple(db.session.scalar(select(func.count()).select_from(model))
                      for model in (Region, Unit, User))
        db.session.remove()  # outside a request the session holds SQLite's write lock
        return found

    before = counts()
    assert before == (2, 1, 1)
    steps = revisions(fresh_app)
    for revision in reversed(steps[1:]):
        downgrade(revision=f"{revision}-1")
        assert counts() == before, f"rows lost going below {revision}"
        upgrade()
        assert counts() == before, f"rows lost going up through {revision}"
        assert schema_differences() == []
