"""A private database with the reliability data set, and gunicorn serving the app on it.

Each test module gets its own database (a SQLite file, or a fresh PostgreSQL database next to
TEST_DATABASE_URL), so whatever the fuzzer or the load writes never touches the suite's shared
test database, and the other processes (gunicorn, scheduler) see real commits.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.reliability.dataset import app_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_postgresql() -> bool:
    url = os.environ.get("TEST_DATABASE_URL")
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def _admin_engine(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(tmp: Path, label: str) -> str:
    """Return the URL of a new, empty database for one test module."""
    if not on_postgresql():
        return f"sqlite:///{tmp / f'{label}.db'}"
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{base.database}_{label}_{uuid.uuid4().hex[:8]}"
    engine = _admin_engine(os.environ["TEST_DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by create_database (SQLite files go with tmp)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    engine = _admin_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


def _dataset_command(command: str, url: str, upload_root: Path, tmp: Path) -> dict:
    out = tmp / f"{command}.json"
    result = subprocess.run([sys.executable, "-m", "tests.reliability.dataset", command, url,
                             str(upload_root), str(out)], cwd=ROOT, env=child_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def build_data_set(url: str, upload_root: Path, tmp: Path) -> dict:
    """Migrate the database and load the data set in a child process; return its description."""
    return _dataset_command("build", url, upload_root, tmp)


def queue_reminders(url: str, upload_root: Path, tmp: Path) -> int:
    """Write today's reminders to the outbox (a child process); return the outbox size."""
    return _dataset_command("queue-reminders", url, upload_root, tmp)["outbox"]


def child_env(**extra) -> dict:
    env = {**os.environ, "EMERGENCY_ENV": "testing", "PYTHONUNBUFFERED": "1", **extra}
    env.pop("TEST_DATABASE_URL", None)  # the app string names the database
    return env


def app_string(url: str, upload_root: Path, **extra) -> str:
    return f"emergency:create_app({app_config(url, str(upload_root), **extra)!r})"


@dataclass
class Server:
    """gunicorn serving the app on 127.0.0.1; its whole output goes to `log`."""

    app: str
    log: Path
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        args = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers), "--threads", str(self.threads),
                "--timeout", "120", "--graceful-timeout", "5", self.app]
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
