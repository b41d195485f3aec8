"""Fixtures of the reliability suite: a private database with the data set, gunicorn on it."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.live import build_data_set, create_database, drop_database


@dataclass
class LiveDatabase:
    url: str
    upload_root: Path
    data: dict
    tmp: Path


@pytest.fixture(scope="module")
def live_db(request, tmp_path_factory) -> LiveDatabase:
    """A migrated database holding the small data set, private to the test module."""
    label = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    tmp = tmp_path_factory.mktemp(label)
    url = create_database(tmp, label)
    try:
        upload_root = tmp / "uploads"
        yield LiveDatabase(url, upload_root, build_data_set(url, upload_root, tmp), tmp)
    finally:
        drop_database(url)


def duration(name: str, ci_default: float, local_default: float) -> float:
    """Seconds a load test runs: the env var, else longer under CI than on a laptop."""
    if os.environ.get(name):
        return float(os.environ[name])
    return ci_default if os.environ.get("CI") else local_default
