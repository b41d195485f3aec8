"""Faults injected into real processes: SIGKILL of the sender and the scheduler, a database restart.

1. `flask reminders send` and `flask scheduler run` are killed with SIGKILL while they talk to
   a real SMTP server (aiosmtpd on 127.0.0.1), at the worst moment: the server has accepted a
   message and the sender has not recorded it. Started again, they deliver everything (nothing
   lost) and resend only that one message, recognisable by its unchanged Message-ID.
   Both databases.
2. PostgreSQL is stopped (`pg_ctl -m fast`) and started again under load, on a private
   throwaway cluster (never the machine's shared server): the app answers a clean 503 page
   (JSON under /api/) while the database is away, never a 500 or a traceback, and serves again
   once it is back, without a restart of gunicorn or its workers.

SMTP down, slow (hanging) and refusing are covered in tests/reminders/test_outbox.py.
"""

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.reliability.live import (
    BIN,
    ROOT,
    Server,
    app_string,
    build_data_set,
    child_env,
    queue_reminders,
)
from tests.reliability.pgcluster import Cluster, binaries
from tests.reliability.web import WebClient
from tests.reminders.conftest import Handler, SmtpServer

pytestmark = pytest.mark.slow

#: The sender is killed as the server accepts this message (1-based).
KILL_AT = 3


class KillingHandler(Handler):
    """Accept messages; as the KILL_AT-th is accepted, SIGKILL the sending process.

    The kill comes after the message is stored and before "250" reaches the sender: the
    sender never learns it was delivered, which is the one case where a resend is correct.
    """

    def __init__(self) -> None:
        super().__init__()
        self.victim: int | None = None
        self.killed = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.victim and len(self.received) == KILL_AT and not self.killed.is_set():
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()
        return reply


@pytest.fixture
def outbox(live_db, tmp_path) -> int:
    """Start each test from an empty outbox, then queue today's mail; return how many.

    Queued beforehand, so the scheduler has mail to send whether or not today is a working
    day (its morning job skips the others); its own runs of the jobs then add nothing.
    """
    engine = create_engine(live_db.url)
    with engine.begin() as conn:
        for table in ("reminder_notifications", "email_outbox", "scheduler_job_runs"):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    queued = queue_reminders(live_db.url, live_db.upload_root, tmp_path)
    assert queued > KILL_AT
    return queued


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.handler = KillingHandler()
    server.start()
    yield server
    server.stop()


def _outbox(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(
                text("SELECT status, message_id FROM email_outbox ORDER BY id"))]
    finally:
        engine.dispose()


def _jobs_done(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            done = conn.execute(text("SELECT count(*) FROM scheduler_job_runs "
                                     "WHERE last_success_at IS NOT NULL")).scalar()
    finally:
        engine.dispose()
    return done == 4  # the scan, the reminders, the digest and the sender


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _command(kind: str, app: str) -> list[str]:
    if kind == "sender":
        return [str(BIN / "flask"), "--app", app, "reminders", "send"]
    return [str(BIN / "flask"), "--app", app, "scheduler", "run"]


def _wait_all_sent(url: str, process: subprocess.Popen, kind: str, timeout: float = 120) -> None:
    """Wait for the sender to exit, or for the scheduler to have sent the whole outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kind == "sender" and process.poll() is not None:
            return
        if kind == "scheduler":
            # Its daily jobs may still be running (another executor): wait for them too.
            statuses = {status for status, _id in _outbox(url)}
            if statuses and statuses <= {"sent", "dead", "cancelled"} and _jobs_done(url):
                return
        time.sleep(0.5)
    raise AssertionError(f"{kind} did not finish within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("kind", ["sender", "scheduler"])
def test_killed_mid_send_and_restarted_loses_nothing_and_resends_only_the_message_in_flight(
        live_db, outbox, smtp, kind, tmp_path):
    # REMINDER_STALE_MINUTES=0: a row left "sending" by the dead process is taken again at
    # once, instead of after the 10 minutes production waits for a slow sender to finish.
    app = app_string(live_db.url, live_db.upload_root, MAIL_SERVER="127.0.0.1",
                     MAIL_PORT=smtp.port, MAIL_TIMEOUT=10, REMINDER_QUIET_HOURS="",
                     REMINDER_STALE_MINUTES=0, SCHEDULER_LOCK_FILE=str(tmp_path / "lock"))
    log = tmp_path / f"{kind}.log"
    first = _start(_command(kind, app), log)
    smtp.handler.victim = first.pid
    try:
        assert smtp.handler.killed.wait(timeout=120), log.read_text(errors="replace")
        first.wait(timeout=30)
    finally:
        _stop(first)
    assert first.returncode == -signal.SIGKILL
    in_flight = smtp.handler.messages()[KILL_AT - 1]["Message-ID"]
    left = Counter(status for status, _id in _outbox(live_db.url))
    assert left["sending"] >= 1, left  # the message in flight (and the rest of the batch)
    assert left["sent"] == KILL_AT - 1, left  # each delivery was recorded as it happened

    second = _start(_command(kind, app), log)
    try:
        _wait_all_sent(live_db.url, second, kind)
    finally:
        _stop(second)
    output = log.read_text(errors="replace")
    rows = _outbox(live_db.url)
    assert {status for status, _id in rows} == {"sent"}, (rows, output)  # nothing lost
    received = Counter(message["Message-ID"] for message in smtp.handler.messages())
    assert set(received) == {message_id for _status, message_id in rows}, output
    duplicates = {message_id: n for message_id, n in received.items() if n > 1}
    assert duplicates == {in_flight: 2}, output
    print(f"\n{kind}: SIGKILL after SMTP accepted message {KILL_AT} of {len(rows)}; after the "
          f"restart {len(rows)} delivered, 1 duplicate (same Message-ID {in_flight})")


# --- The database restarted under load --------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    bin_dir = binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are required under CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = Cluster(bin_dir).init()
    try:
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        cluster.destroy()


@dataclass
class Answer:
    at: float
    kind: str
    status: int | None  # None: no HTTP answer at all
    detail: str = ""


@dataclass
class Load:
    """Threads that keep requesting pages, API reads and API writes, recording every answer."""

    base_url: str
    data: dict
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, response=None, error: Exception | None = None) -> None:
        if response is not None:
            answer = Answer(time.monotonic(), kind, response.status_code,
                            response.headers.get("Retry-After", "") + " " + response.text[:3000])
        else:
            answer = Answer(time.monotonic(), kind, None, f"{type(error).__name__}: {error}")
        with self.lock:
            self.answers.append(answer)

    def pages(self, username: str) -> None:
        client = WebClient(self.base_url, username, self.data["password"])
        client.log_in()
        plan = self.data["plans"][0]["id"]
        paths = ["/plans/", f"/plans/{plan}", "/units/"]
        self._loop(lambda n: client.session.get(self.base_url + paths[n % 3], timeout=30,
                                                allow_redirects=False), "page")

    def api_reads(self) -> None:
        headers = {"Authorization": f"Bearer {self.data['admin']['token']}"}
        self._loop(lambda n: requests.get(f"{self.base_url}/api/v1/plans", headers=headers,
                                          timeout=30), "api_read")

    def api_writes(self) -> None:
        headers = {"Authorization": f"Bearer {self.data['admin']['token']}"}
        plan = self.data["plans"][1]["id"]

        def write(n: int):
            current = requests.get(f"{self.base_url}/api/v1/plans/{plan}", headers=headers,
                                   timeout=30)
            if current.status_code != 200:
                return current
            return requests.patch(f"{self.base_url}/api/v1/plans/{plan}", headers=headers,
                                  json={"version": current.json()["version"],
                                        "hazard_subtype": f"写入{n}"}, timeout=30)

        self._loop(write, "api_write")

    def health(self) -> None:
        self._loop(lambda n: requests.get(f"{self.base_url}/healthz", timeout=30), "healthz")

    def _loop(self, call, kind: str) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.record(kind, call(n))
            except requests.RequestException as error:
                self.record(kind, error=error)
            time.sleep(0.05)

    def successes_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for a in self.answers if a.at > moment and a.status in (200, 302))

    def run_until(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.1)
        return False


def _booted_workers(log: str) -> int:
    return log.count("Booting worker")


def test_the_app_answers_503_while_postgresql_restarts_and_recovers_by_itself(cluster, tmp_path):
    upload_root = tmp_path / "uploads"
    data = build_data_set(cluster.url, upload_root, tmp_path)
    server = Server(app_string(cluster.url, upload_root), tmp_path / "gunicorn.log",
                    workers=2, threads=4).start()
    load = Load(server.url, data)
    office, liaison = data["office"][0]["username"], data["liaisons"][0]["username"]
    threads = [threading.Thread(target=target, args=args, daemon=True) for target, args in (
        (load.pages, (office,)), (load.pages, (liaison,)), (load.api_reads, ()),
        (load.api_reads, ()), (load.api_writes, ()), (load.health, ()))]
    try:
        for thread in threads:
            thread.start()
        assert load.run_until(lambda: load.successes_since(0) >= 30, 60), load.answers[-5:]
        stopped_at = time.monotonic()
        cluster.stop()
        time.sleep(3)  # the outage, with requests still coming in
        cluster.start()
        restarted_at = time.monotonic()
        recovered = load.run_until(lambda: load.successes_since(restarted_at) >= 30, 60)
        # Then some more, to see that once the app serves again it keeps serving.
        settled_at = time.monotonic()
        load.run_until(lambda: load.successes_since(settled_at) >= 60, 60)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        server.stop()
    log = server.output()
    answers = list(load.answers)
    before = [a for a in answers if a.at < stopped_at]
    outage = [a for a in answers if stopped_at <= a.at <= restarted_at]
    after = [a for a in answers if a.at > restarted_at]
    first_ok = min((a.at for a in after if a.status in (200, 302)), default=None)
    print(f"\nPostgreSQL restart under load: {len(answers)} requests; before "
          f"{Counter(a.status for a in before)}, during the outage "
          f"{Counter(a.status for a in outage)}, after {Counter(a.status for a in after)}; "
          f"first success {((first_ok or restarted_at) - restarted_at):.1f} s after the "
          f"server was back")

    assert recovered, [vars(a) for a in after[-10:]]
    assert all(a.status in (200, 302) for a in before), [vars(a) for a in before if a.status != 200]
    # gunicorn kept answering: every request got an HTTP answer, none of them a 500.
    assert all(a.status is not None for a in answers), [vars(a) for a in answers if not a.status]
    assert not [a for a in answers if a.status == 500], "500 answered"
    unavailable = [a for a in outage + after if a.status == 503]
    assert unavailable, "the outage was not noticed"
    for answer in unavailable:
        assert "Traceback" not in answer.detail, answer.detail[:3000]
        if answer.kind == "healthz":  # the monitor's JSON names what is down
            assert '"database":"error: OperationalError"' in answer.detail, answer.detail[:300]
        else:  # a clean page or API error that asks the client to come back
            assert answer.detail.startswith("10 "), answer.detail[:300]
            assert "OperationalError" not in answer.detail, answer.detail[:3000]
    assert {"page", "api_read"} & {a.kind for a in unavailable}, "no page or API call saw 503"
    # Once requests succeed again, they keep succeeding.
    settled = [a for a in after if a.at > settled_at]
    assert settled and all(a.status in (200, 302) for a in settled), [
        vars(a) for a in settled if a.status not in (200, 302)][:5]
    # No worker was restarted and nothing crashed.
    assert _booted_workers(log) == 2, log[-5000:]
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-10000:]
    assert "Database unavailable" in log
