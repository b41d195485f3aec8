"""Smoke test of the benchmark code: a tiny generated database, scanned, agrees with the SQL floor.

The benchmarks themselves print figures and are not run here; this proves the generator still
produces rows the current schema accepts and that the scan and the hand-written floor statement
still count the same obligations per rule and status.
"""

import os
import sqlite3
from datetime import date

import pytest
from sqlalchemy.engine import make_url

from bench.generate import generate
from bench.scan import run


@pytest.fixture
def bench_url(tmp_path):
    """A database of its own: the generator resets it, so never the shared test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or make_url(url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path}/bench_tiny.db"
        return
    import psycopg

    base = make_url(url)
    name = f"{base.database}_bench"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_tiny_dataset_scans_to_the_floor_counts(bench_url):
    counts = generate(bench_url, "tiny", seed=7, today=date(2026, 11, 20), quiet=True)
    assert counts["units"] == 60 and counts["drills"] > 0 and counts["corrective_actions"] > 0

    figures = run(bench_url, date(2026, 11, 20), runs=1, trace=False)

    assert figures["match"], figures["problems"]
    # The generated mix is what the benchmarks are about: every status a user acts on occurs.
    assert {"overdue", "missing", "due_soon", "done"} <= set(figures["by_status"])


def _rows(path) -> list:
    with sqlite3.connect(path) as conn:
        return [conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("units", "plan_versions", "drills", "corrective_actions")]


def test_same_seed_gives_the_same_rows(tmp_path):
    generate(f"sqlite:///{tmp_path}/a.db", "tiny", seed=3, quiet=True)
    generate(f"sqlite:///{tmp_path}/b.db", "tiny", seed=3, quiet=True)
    generate(f"sqlite:///{tmp_path}/c.db", "tiny", seed=4, quiet=True)
    assert _rows(tmp_path / "a.db") == _rows(tmp_path / "b.db")
    assert _rows(tmp_path / "a.db") != _rows(tmp_path / "c.db")
