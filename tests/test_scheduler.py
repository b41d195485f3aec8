"""Scheduler wiring: job ids and Asia/Shanghai triggers, the single-scheduler lock, catch-up.

No scheduler is started here: init_scheduler only registers jobs, run_job runs one directly.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from emergency import scheduler as sched
from emergency.extensions import db
from emergency.reminders.models import JobRun

CHINA = ZoneInfo("Asia/Shanghai")
EXPECTED = {
    "compliance_scan": "cron[hour='1', minute='30']",
    "reminders_generate": "cron[hour='7', minute='0']",
    "office_digest": "cron[day_of_week='mon', hour='7', minute='30']",
    "outbox_send": "interval[0:01:00]",
}


@pytest.fixture
def enabled(app, tmp_path):
    app.config.update(SCHEDULER_ENABLED=True, SCHEDULER_LOCK_FILE=str(tmp_path / "scheduler.lock"),
                      TODAY="2026-03-02", REMINDER_QUIET_HOURS="")
    yield app
    sched.release_lock()
    sched._runner = None


@pytest.fixture
def utc_process():
    """Run the test as on a container whose local zone is UTC."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_web_workers_and_tests_never_get_a_scheduler(app):
    assert app.config["SCHEDULER_ENABLED"] is False
    assert sched.init_scheduler(app) is None


def test_init_scheduler_registers_the_fixed_jobs_in_china_time(enabled, utc_process):
    scheduler = sched.init_scheduler(enabled)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(EXPECTED)
    for job_id, trigger in EXPECTED.items():
        job = jobs[job_id]
        assert str(job.trigger) == trigger
        assert job.trigger.timezone == CHINA
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)
        assert job.func_ref == "emergency.scheduler:run_job" and job.args == (job_id,)
    assert isinstance(jobs["reminders_generate"].trigger, CronTrigger)
    assert isinstance(jobs["outbox_send"].trigger, IntervalTrigger)
    assert jobs["outbox_send"].executor == "mail" and jobs["compliance_scan"].executor == "default"
    assert scheduler.timezone == CHINA


def test_morning_jobs_fire_at_seven_in_china_even_on_a_utc_host(utc_process):
    trigger = sched.build_trigger(sched.SPECS["reminders_generate"])
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 20:00 in China
    fire = trigger.get_next_fire_time(None, now)
    assert fire.utcoffset() == timedelta(hours=8)
    assert fire.astimezone(UTC) == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


def test_after_downtime_missed_jobs_run_at_once_in_table_order(enabled):
    now = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in China
    sched._record("compliance_scan", last_success_at=now - timedelta(hours=2))  # ran at 01:30
    sched._record("reminders_generate", last_success_at=now - timedelta(days=2))  # missed today
    sched._record("office_digest", last_success_at=now - timedelta(days=2))  # Monday's ran
    assert sched.missed_jobs(enabled, now) == ["reminders_generate"]
    scheduler = sched.init_scheduler(enabled, now=now)
    assert scheduler.get_job("reminders_generate").next_run_time == now + timedelta(seconds=1)
    assert getattr(scheduler.get_job("compliance_scan"), "next_run_time", None) is None


def test_a_job_that_never_ran_counts_as_missed(enabled):
    assert sched.missed_jobs(enabled, datetime(2026, 3, 4, tzinfo=UTC)) == [
        "compliance_scan", "reminders_generate", "office_digest"]


def test_run_job_records_success_and_healthz_shows_it(enabled, client):
    sched.init_scheduler(enabled)
    assert sched.run_job("outbox_send") is True
    run = db.session.get(JobRun, "outbox_send")
    assert run.last_success_at is not None and run.last_error is None
    jobs = client.get("/healthz").get_json()["scheduler"]["jobs"]
    assert jobs["outbox_send"]["last_success_at"] == run.last_success_at.isoformat()


def test_a_failing_job_records_its_error(enabled, monkeypatch):
    from emergency.reminders import jobs

    def broken(today, now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "compliance_scan", broken)
    sched.init_scheduler(enabled)
    assert sched.run_job("compliance_scan") is True
    run = db.session.get(JobRun, "compliance_scan")
    assert run.last_success_at is None and run.last_error == "RuntimeError: database went away"


def test_the_lock_lets_only_one_scheduler_run_jobs(enabled, monkeypatch):
    calls = []
    from emergency.reminders import jobs

    monkeypatch.setattr(jobs, "send_outbox", lambda now: calls.append(now) or {})
    other = sched.SchedulerLock.for_app(enabled)  # a second scheduler process, already running
    assert other.acquire() is True
    try:
        sched.init_scheduler(enabled)
        assert sched.run_job("outbox_send") is False
        assert calls == [] and db.session.get(JobRun, "outbox_send") is None
        db.session.rollback()  # end this read: SQLite lets one writer in at a time
    finally:
        other.release()
    # The first one stopped (or died): this one takes over at its next run.
    assert sched.run_job("outbox_send") is True
    assert len(calls) == 1


def test_the_lock_is_reentrant_for_its_holder_and_released_on_shutdown(enabled):
    first, second = (sched.SchedulerLock.for_app(enabled) for _ in range(2))
    assert first.acquire() and first.acquire()
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()
