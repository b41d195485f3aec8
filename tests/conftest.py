"""Fixtures: a migrated database (SQLite file or TEST_DATABASE_URL), an app per test, clients."""

import os

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from config import TestingConfig
from emergency import create_app
from emergency.extensions import db

pytest_plugins = ["tests.factories"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Return the test database URL: TEST_DATABASE_URL (PostgreSQL in CI) or a temp SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in inspect(conn).get_table_names():
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """Build the schema once per run through the migrations, so every run tests them."""
    _drop_everything(database_url)
    app = create_app(_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _config(url: str, upload_root) -> dict:
    overrides = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    overrides.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_ROOT=str(upload_root))
    return overrides


def _empty_tables() -> None:
    # plans and plan_versions point at each other, so no table order can delete them both.
    if "plans" in db.metadata.tables:
        db.session.execute(db.metadata.tables["plans"].update().values(
            current_version_id=None, parent_id=None))
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _fresh_g(sender, **extra) -> None:
    # Tests keep one app context open and Flask reuses it for every request, so without this
    # g (Flask-Login's user, Flask-Babel's locale, the API user) would leak between clients.
    g.__dict__.clear()


@pytest.fixture(scope="session")
def _shared_app(migrated, tmp_path_factory):
    """Build the app once: creating it (routes, OpenAPI spec) costs far more than a test."""
    application = create_app(_config(migrated, tmp_path_factory.mktemp("uploads")))
    request_started.connect(_fresh_g, application)
    yield application
    # Close pooled connections before interpreter exit: a psycopg connection left to the garbage
    # collector raises an unraisable-exception warning, which fails the run on PostgreSQL.
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_shared_app, tmp_path):
    """Return the app in a fresh context; config changes are undone and tables emptied after."""
    saved = dict(_shared_app.config)
    _shared_app.config["UPLOAD_ROOT"] = str(tmp_path / "uploads")
    with _shared_app.app_context():
        try:
            yield _shared_app
        finally:
            db.session.rollback()
            db.session.remove()
            _empty_tables()
            db.session.remove()
            _shared_app.config.clear()
            _shared_app.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
