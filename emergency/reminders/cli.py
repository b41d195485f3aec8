"""`flask reminders ...` and `flask scheduler ...`: generate and send reminders, run the jobs."""

import logging
import signal
from collections import defaultdict
from datetime import date

import click
from flask import current_app, g
from flask.cli import AppGroup
from sqlalchemy import select

from emergency.auth.models import User
from emergency.clock import date_or_today
from emergency.database import utcnow
from emergency.extensions import db

reminders_cli = AppGroup("reminders", help="Reminder e-mail and the in-app inbox.")
scheduler_cli = AppGroup("scheduler", help="The periodic jobs (run exactly one scheduler).")


@reminders_cli.command("send")
@click.option("--as-of", "as_of", help="Generate as of this date (default: today in China).")
@click.option("--dry-run", is_flag=True,
              help="List what would be sent, per recipient; change nothing.")
def send_command(as_of, dry_run) -> None:
    """Generate the reminders owed as of a date, then send the outbox."""
    from emergency.reminders import jobs

    day, now = date_or_today(as_of), utcnow()
    if dry_run:
        _print_dry_run(day, now)
        return
    g.audit_actor = "cli"
    generated = jobs.generate_reminders(day, now, working_days_only=False)
    db.session.commit()
    click.echo(f"Generated for {day}: {generated}")
    click.echo(f"Sent: {jobs.send_outbox(now)}")


@reminders_cli.command("digest")
@click.option("--as-of", "as_of", help="Week of this date (default: today in China).")
def digest_command(as_of) -> None:
    """Generate the office's weekly digests for the week of a date (sent by `reminders send`)."""
    from emergency.reminders import jobs

    g.audit_actor = "cli"
    result = jobs.office_digest(date_or_today(as_of), utcnow())
    db.session.commit()
    click.echo(f"Weekly digests: {result}")


def _print_dry_run(day: date, now) -> None:
    from emergency.reminders import outbox, services

    owed = services.new_candidates(services.daily_candidates(day))
    waiting = db.session.scalars(outbox.due_messages(now)).all()
    by_user = defaultdict(list)
    for candidate in owed:
        by_user[candidate.user_id].append(candidate)
    queued = defaultdict(list)
    for message in waiting:
        queued[message.user_id].append(message)
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(set(by_user) | set(queued))))}
    prefs = services.preferences_for(users)
    click.echo(f"Dry run as of {day}: {len(owed)} new reminders, {len(waiting)} queued messages.")
    for user_id in sorted(users):
        user = users[user_id]
        click.echo(f"{user.username} <{user.email}> ({user.role})")
        for c in by_user.get(user_id, ()):
            mailed = services.wants_mail(prefs[user_id], c.category, c.is_mandatory)
            what = f"{c.payload.get('unit_name', '')} · {c.payload.get('subject', '')}"
            click.echo(f"  new  {c.category:<10} {c.stage:<8} due {c.due_on}  {what}  "
                       f"[{'mail' if mailed else 'inbox only'}]")
        for message in queued.get(user_id, ()):
            click.echo(f"  queued #{message.id} {message.status} attempt {message.attempts + 1}")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the periodic jobs in this process until stopped (Ctrl-C or SIGTERM)."""
    from emergency.scheduler import init_scheduler, release_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()
    # This command is the scheduler process; web workers keep SCHEDULER_ENABLED off.
    app.config["SCHEDULER_ENABLED"] = True
    scheduler = init_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_args: scheduler.shutdown(wait=False))
    click.echo("Scheduler started: " + ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
    finally:
        release_lock()
        click.echo("Scheduler stopped.")


@scheduler_cli.command("status")
def scheduler_status() -> None:
    """Print each job's trigger, next run and last successful run."""
    from emergency.reminders.services import job_runs
    from emergency.scheduler import JOBS, build_trigger

    runs, now = job_runs(), utcnow()
    for spec in JOBS:
        trigger = build_trigger(spec)
        run = runs.get(spec.id, {})
        click.echo(f"{spec.id:<20} {trigger}  next {trigger.get_next_fire_time(None, now)}  "
                   f"last ok {run.get('last_success_at') or '—'}"
                   + (f"  last error {run['last_error']}" if run.get("last_error") else ""))
