"""Fixtures of the reliability and security suite: fresh databases, populated apps, file walks."""

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from emergency import create_app
from emergency.extensions import db

#: The demo's "today": four years of plan and drill history end here.
DEMO_TODAY = date(2026, 3, 6)


def on_postgresql() -> bool:
    url = os.environ.get("TEST_DATABASE_URL")
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


@pytest.fixture
def fresh_url(tmp_path):
    """Yield the URL of a new, empty database of the run's kind (SQLite file or PostgreSQL)."""
    if not on_postgresql():
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"emergency_security_{uuid.uuid4().hex[:10]}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def settings_for(url: str, upload_root: Path, **extra) -> dict:
    settings = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_ROOT=str(upload_root), **extra)
    return settings


@pytest.fixture
def fresh_app(fresh_url, tmp_path):
    """An app on the fresh database, migrated to head, inside an app context."""
    app = create_app(settings_for(fresh_url, tmp_path / "uploads"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def load_demo_data() -> None:
    from emergency.demo.services import load_demo

    g.audit_actor = "demo"
    load_demo(DEMO_TODAY)
    db.session.commit()
    db.session.remove()


def row_counts() -> dict[str, int]:
    """Every table's row count, read on a new connection."""
    db.session.remove()
    with db.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                for name in sorted(names)}


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root, by relative path."""
    if not root.exists():
        return {}
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def walk(root: Path) -> set[str]:
    """Every file and folder under root (symlinks included), as relative paths."""
    found = set()
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


# --- one populated database per run, copied for each test that needs it -----------------------


@dataclass(frozen=True)
class Populated:
    url: str
    upload_root: Path


def populate() -> None:
    """The demo, the compliance scan's obligations, reminders (inbox + outbox), tokens and the rest.

    Every table that has children in production gets some here, so migrations and backups are
    tested on rows that foreign keys and cascades could lose.
    """
    from emergency.auth.models import LoginFailure, Role, User
    from emergency.auth.services import create_token
    from emergency.compliance.scan import scan
    from emergency.compliance.seed import seed_rules
    from emergency.drills import ics
    from emergency.reminders import jobs

    load_demo_data()
    g.audit_actor = "tests"
    seed_rules()
    db.session.commit()
    scan(DEMO_TODAY)
    db.session.commit()
    jobs.generate_reminders(DEMO_TODAY, datetime(2026, 3, 6, 1, tzinfo=UTC),
                            working_days_only=False)
    db.session.commit()
    liaison = db.session.scalar(db.select(User).where(User.role == Role.LIAISON))
    create_token(liaison, "备份测试")
    ics.issue_token(liaison)
    db.session.add(LoginFailure(username="nobody", ip="10.0.0.9"))
    db.session.commit()
    db.session.remove()


def _copy_sqlite(source: Populated, target_dir: Path) -> Populated:
    database = Path(make_url(source.url).database)
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, target_dir / "copy.db")
    shutil.copytree(source.upload_root, target_dir / "uploads")
    return Populated(f"sqlite:///{target_dir}/copy.db", target_dir / "uploads")


@pytest.fixture(scope="session")
def populated_template(tmp_path_factory):
    """A database migrated to head and populated once per run (see populate)."""
    root = tmp_path_factory.mktemp("populated")
    if on_postgresql():
        base = make_url(os.environ["TEST_DATABASE_URL"])
        name = f"emergency_populated_{uuid.uuid4().hex[:10]}"
        server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        server, name, url = None, None, f"sqlite:///{root}/populated.db"
    app = create_app(settings_for(url, root / "uploads"))
    with app.app_context():
        upgrade()
        populate()
        db.engine.dispose()
    try:
        yield Populated(url, root / "uploads")
    finally:
        if server is not None:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()


@pytest.fixture
def populated_copy(populated_template, tmp_path):
    """A private copy of the populated database and its upload folder."""
    if not on_postgresql():
        yield _copy_sqlite(populated_template, tmp_path / "copy")
        return
    base = make_url(populated_template.url)
    name = f"emergency_copy_{uuid.uuid4().hex[:10]}"
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
    shutil.copytree(populated_template.upload_root, tmp_path / "uploads")
    try:
        yield Populated(base.set(database=name).render_as_string(hide_password=False),
                        tmp_path / "uploads")
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def populated_app(populated_copy):
    app = create_app(settings_for(populated_copy.url, populated_copy.upload_root))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
