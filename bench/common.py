"""Helpers shared by the benchmark scripts: an app bound to a database URL, timers, memory."""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager

from sqlalchemy.engine import make_url

#: The default as-of date of every benchmark: fixed, so the generated status mix is reproducible.
DEFAULT_TODAY = "2026-11-20"


def make_app(url: str, **overrides):
    """Build the application bound to ``url`` (development config, a throwaway instance folder)."""
    from emergency import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-not-secret",
              "UPLOAD_ROOT": os.path.join(tempfile.gettempdir(), "bench-uploads"), **overrides}
    return create_app(config)


def dialect_of(url: str) -> str:
    """Return "postgresql" or "sqlite" for a SQLAlchemy URL."""
    return make_url(url).get_backend_name()


def psycopg_dsn(url: str) -> str:
    """Return a libpq connection string for a postgresql+psycopg:// SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    """Return the file path of a sqlite:/// URL (absolute paths only: no instance folder here)."""
    path = make_url(url).database
    if not path or path == ":memory:":
        raise SystemExit("give SQLite as sqlite:////absolute/path.db")
    return path


def max_rss_mb() -> float:
    """Return this process's peak resident set size in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, sink: dict | None = None):
    """Time a block; print the seconds and store them in ``sink[label]`` when given."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if sink is not None:
        sink[label] = seconds
    print(f"  {label}: {seconds:.2f} s", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
