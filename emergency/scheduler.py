"""APScheduler wiring: the fixed job table, the single-scheduler lock, and the job wrapper.

No business logic here: the jobs live in emergency/reminders/jobs.py and poll the database for
what is due, so the database, not the scheduler, is the source of truth. Only the
`flask scheduler run` process builds a scheduler; web workers never do (SCHEDULER_ENABLED).
"""

import fcntl
import inspect
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from emergency.database import utcnow
from emergency.extensions import db

logger = logging.getLogger(__name__)

CHINA = ZoneInfo("Asia/Shanghai")
#: pg_try_advisory_lock key of the scheduler ("emergency scheduler"); any constant unique in the DB.
LOCK_KEY = 0x656D_7363_6864
#: 3.x skips a run more than 1 s late by default; a busy pool or a restart must not lose one.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


@dataclass(frozen=True)
class JobSpec:
    id: str
    #: "module:function", so a persistent job store would stay possible.
    func: str
    trigger: str
    fields: dict = field(hash=False)
    #: Database-heavy jobs share one worker (and run in order); mail has its own.
    executor: str = "default"


JOBS = (
    JobSpec("compliance_scan", "emergency.reminders.jobs:compliance_scan", "cron",
            {"hour": 1, "minute": 30}),
    # Every morning; the job itself skips non-working days, because China's make-up working
    # days (调休) fall on weekends, which no cron expression knows.
    JobSpec("reminders_generate", "emergency.reminders.jobs:generate_reminders", "cron",
            {"hour": 7, "minute": 0}),
    JobSpec("office_digest", "emergency.reminders.jobs:office_digest", "cron",
            {"day_of_week": "mon", "hour": 7, "minute": 30}),
    JobSpec("outbox_send", "emergency.reminders.jobs:send_outbox", "interval", {"minutes": 1},
            executor="mail"),
)
SPECS = {spec.id: spec for spec in JOBS}


def build_trigger(spec: JobSpec):
    """Return the spec's trigger in Asia/Shanghai (triggers ignore the scheduler's zone)."""
    if spec.trigger == "cron":
        return CronTrigger(timezone=CHINA, **spec.fields)
    return IntervalTrigger(timezone=CHINA, **spec.fields)


class SchedulerLock:
    """Held by exactly one scheduler process; the others run no job until it is free.

    PostgreSQL: a session advisory lock on a dedicated connection outside the pool (a pooled
    one would hand the lock to whatever borrows it next). SQLite: flock on a file, one host.
    Both vanish with the process, so a standby scheduler takes over after a crash.
    """

    def __init__(self, database_url: str, lock_file: str) -> None:
        self.database_url = database_url
        self.lock_file = lock_file
        self._connection = None
        self._fd: int | None = None

    @classmethod
    def for_app(cls, app: Flask) -> "SchedulerLock":
        from emergency.reminders.settings import setting

        with app.app_context():
            lock_file = setting("SCHEDULER_LOCK_FILE") or os.path.join(app.instance_path,
                                                                       "scheduler.lock")
        return cls(app.config["SQLALCHEMY_DATABASE_URI"], lock_file)

    @property
    def uses_postgresql(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

    def acquire(self) -> bool:
        """Take the lock, or confirm it is still held; False when another process has it."""
        return self._acquire_pg() if self.uses_postgresql else self._acquire_file()

    def _acquire_pg(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.exec_driver_sql("SELECT 1")
                return True
            except DBAPIError:
                # The connection died and the server dropped the lock with it: try again.
                self._close_connection()
        engine = create_engine(self.database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        connection = engine.connect()
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        if taken.scalar():
            self._connection = connection
            return True
        connection.close()
        engine.dispose()
        return False

    def _close_connection(self) -> None:
        try:
            self._connection.close()
            self._connection.engine.dispose()
        except DBAPIError:
            pass
        self._connection = None

    def _acquire_file(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock up (on shutdown)."""
        if self._connection is not None:
            self._close_connection()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class _Runner:
    app: Flask
    lock: SchedulerLock


_runner: _Runner | None = None


def _record(job_id: str, **values) -> None:
    # An upsert through Core: one row per job, and no audit entry every minute.
    from emergency.reminders.models import JobRun

    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(JobRun)
    db.session.execute(insert.values(job_id=job_id, **values)
                       .on_conflict_do_update(index_elements=["job_id"], set_=values))
    db.session.commit()


def _call(spec: JobSpec, today, now: datetime):
    module, name = spec.func.split(":")
    func = getattr(import_module(module), name)
    wanted = inspect.signature(func).parameters
    return func(**{k: v for k, v in (("today", today), ("now", now)) if k in wanted})


def run_job(job_id: str) -> bool:
    """Run one job in the app if this process holds the lock; return whether it ran."""
    from emergency.clock import china_today

    runner = _runner
    with runner.app.app_context():
        try:
            if not runner.lock.acquire():
                logger.info("Another scheduler holds the lock; %s not run here.", job_id)
                return False
            now = utcnow()
            _record(job_id, last_started_at=now)
            try:
                result = _call(SPECS[job_id], china_today(), now)
                db.session.commit()
                _record(job_id, last_success_at=utcnow(), last_result=result or {})
                logger.info("Job %s done: %s", job_id, result)
            except Exception as error:
                db.session.rollback()
                logger.exception("Job %s failed", job_id)
                _record(job_id, last_error_at=utcnow(),
                        last_error=f"{type(error).__name__}: {error}"[:500])
            return True
        finally:
            db.session.remove()


def missed_jobs(app: Flask, now: datetime) -> list[str]:
    """Return the cron jobs whose last success is older than their latest fire time (or never)."""
    from emergency.reminders.models import JobRun

    with app.app_context():
        last = dict(db.session.execute(select(JobRun.job_id, JobRun.last_success_at)).all())
        db.session.remove()
    missed = []
    for spec in JOBS:
        if spec.trigger != "cron":
            continue
        done = last.get(spec.id)
        due = build_trigger(spec).get_next_fire_time(None, done) if done else None
        if done is None or (due is not None and due <= now):
            missed.append(spec.id)
    return missed


def init_scheduler(app: Flask, scheduler: BaseScheduler | None = None,
                   now: datetime | None = None) -> BaseScheduler | None:
    """Register the fixed job list on a scheduler (a BlockingScheduler by default), or None.

    Returns None unless SCHEDULER_ENABLED: web workers and tests never get one. Cron jobs
    missed while no scheduler ran (after downtime) and the interval jobs are due at once, in
    table order, so a restart catches up without waiting for the next fire time.
    """
    global _runner
    if not app.config.get("SCHEDULER_ENABLED"):
        return None
    _runner = _Runner(app, SchedulerLock.for_app(app))
    scheduler = scheduler or BlockingScheduler(
        timezone=CHINA, job_defaults=JOB_DEFAULTS,
        executors={"default": ThreadPoolExecutor(1), "mail": ThreadPoolExecutor(1)})
    now = now or utcnow()
    missed = missed_jobs(app, now)
    for index, spec in enumerate(JOBS):
        due_now = spec.id in missed or spec.trigger == "interval"
        extra = {"next_run_time": now + timedelta(seconds=index)} if due_now else {}
        scheduler.add_job(f"{__name__}:run_job", trigger=build_trigger(spec), args=[spec.id],
                          id=spec.id, name=spec.id, executor=spec.executor,
                          replace_existing=True, **JOB_DEFAULTS, **extra)
    return scheduler


def release_lock() -> None:
    """Release the scheduler lock of this process (called when the scheduler stops)."""
    if _runner is not None:
        _runner.lock.release()
