"""Exactly once across processes: gunicorn with 3 workers plus 2 scheduler processes (PostgreSQL).

The second scheduler is the ops mistake the lock exists for; the web workers must not schedule.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from emergency.auth.models import Role
from emergency.compliance.models import Obligation
from emergency.compliance.scan import scan
from emergency.extensions import db
from emergency.plans.models import Plan, PlanVersion
from emergency.reminders.models import MailStatus, OutboxMessage
from tests.reminders.conftest import TODAY, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL")
        or make_url(os.environ["TEST_DATABASE_URL"]).get_backend_name() != "postgresql",
        reason="needs TEST_DATABASE_URL on PostgreSQL (several processes share the database)"),
]


def _plan_due_for_filing(unit) -> None:
    """A plan issued 2026-02-04: filing due 2026-03-10, six working days after TODAY."""
    plan = Plan(unit_id=unit.id, title="黑河市花园化工有限公司危化品泄漏专项应急预案",
                category="special", hazard_class="accident")
    db.session.add(plan)
    db.session.flush()
    version = PlanVersion(plan_id=plan.id, unit_id=unit.id, number=1, issued_on=date(2026, 2, 4),
                          signer_role="principal", filing_state="draft",
                          filing_due_on=date(2026, 3, 10))
    db.session.add(version)
    db.session.flush()
    plan.current_version_id = version.id
    db.session.commit()


def _app_string(smtp_port: int, lock_file: Path) -> str:
    overrides = {"TODAY": TODAY.isoformat(), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
                 "REMINDER_QUIET_HOURS": "", "SCHEDULER_LOCK_FILE": str(lock_file)}
    return f"emergency:create_app({overrides!r})"


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "EMERGENCY_ENV": "testing", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _sent() -> int:
    db.session.rollback()  # a fresh snapshot each time
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == MailStatus.SENT))


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_three_workers_and_two_schedulers_send_each_reminder_exactly_once(
        smtp, world, make_user, rules, tmp_path):
    liaisons = [world.liaison] + [make_user(Role.LIAISON, unit=world.unit,
                                            email=f"liaison{n}@yjj.local") for n in (2, 3)]
    _plan_due_for_filing(world.unit)
    scan(TODAY)
    db.session.commit()
    filing = db.session.scalar(select(Obligation).where(Obligation.rule_code == "G-F"))
    assert (filing.status, filing.due_on) == ("due_soon", date(2026, 3, 10))

    app = _app_string(smtp.port, tmp_path / "scheduler.lock")
    web_port = free_port()
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "scheduler1", "scheduler2")}
    processes = [
        _start([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{web_port}", app], logs["web"]),
        _start([str(BIN / "flask"), "--app", app, "scheduler", "run"], logs["scheduler1"]),
        _start([str(BIN / "flask"), "--app", app, "scheduler", "run"], logs["scheduler2"]),
    ]
    try:
        deadline = time.monotonic() + 90
        # Three liaisons get the filing reminder; the office gets its weekly digest (the
        # filing is due before the assessment).
        while _sent() < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # time for a duplicate to show up, if there were one
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=10) as reply:
            health = json.load(reply)
    finally:
        _stop(processes)

    output = {name: path.read_text(errors="replace") for name, path in logs.items()}
    assert _sent() == 4, output
    assert sorted(smtp.handler.recipients()) == sorted(
        [u.email for u in liaisons] + [world.office.email])
    subjects = [m["Subject"] for m in smtp.handler.messages()]
    assert sum("危化品泄漏专项应急预案" in s for s in subjects) == 3, subjects
    assert health["scheduler"]["runs_in_this_process"] is False
    assert health["scheduler"]["jobs"]["reminders_generate"]["last_success_at"]
    # Exactly one scheduler ran jobs; the other stood by; no web worker started one.
    ran = [name for name in ("scheduler1", "scheduler2")
           if "Job reminders_generate done" in output[name]]
    assert len(ran) == 1, output
    standby = "scheduler2" if ran == ["scheduler1"] else "scheduler1"
    assert "Another scheduler holds the lock" in output[standby]
    assert "Scheduler started" not in output["web"]
