"""Scheduled jobs: thin loops over the services. The scheduler and the CLI call them with the clock.

Each returns a small dict that the scheduler stores as the run's result (shown by /healthz).
"""

import logging
from collections import Counter
from datetime import date, datetime

from flask import g

from emergency.compliance.services import load_calendar
from emergency.extensions import db
from emergency.reminders import digests, outbox, services
from emergency.reminders.settings import setting
from emergency.reminders.stages import in_quiet_hours

logger = logging.getLogger(__name__)


def compliance_scan(today: date, now: datetime) -> dict:
    """Apply deemed filings, then recompute every obligation as of today (the nightly scan)."""
    from emergency.compliance.scan import scan
    from emergency.plans.filing import apply_deemed_filings

    g.audit_actor = "scheduler"
    # Silence past the review period turns into "deemed filed" before statuses are computed.
    deemed = apply_deemed_filings(today)
    result = scan(today)
    return {"deemed_filed": deemed, "units": result.units,
            **{str(status): count for status, count in result.summary.items()}}


def generate_reminders(today: date, now: datetime, *, working_days_only: bool = True) -> dict:
    """Write today's due, overdue and escalation reminders (on China working days)."""
    if working_days_only and not load_calendar().is_workday(today):
        # Nothing is lost: stages are "reached by today", so the next working day catches up.
        return {"skipped": "not a working day"}
    return services.generate(services.daily_candidates(today), today, now).as_dict()


def office_digest(today: date, now: datetime) -> dict:
    """Write this week's digest for every office user whose region has something to report."""
    return services.generate(digests.weekly_candidates(today), today, now).as_dict()


def send_outbox(now: datetime, *, max_rounds: int = 20) -> dict:
    """Send the due outbox messages in rounds: claim and commit, render and commit, SMTP, record."""
    if in_quiet_hours(now, services.quiet_hours()):
        return {"quiet_hours": True}
    totals = Counter(recovered=outbox.recover_stale(now))
    db.session.commit()
    batch, smtp = setting("REMINDER_SEND_BATCH"), outbox.smtp_settings()
    for _round in range(max_rounds):
        ids = outbox.claim(now, batch)
        db.session.commit()
        envelopes = [e for e in (outbox.prepare(i, now) for i in ids) if e is not None]
        totals["cancelled_or_dead"] += len(ids) - len(envelopes)
        db.session.commit()
        outcomes = []
        # No transaction is open during SMTP. Each outcome is committed as soon as the server
        # answers: a sender killed midway then resends only the message in flight.
        for outcome in outbox.deliver(envelopes, smtp):
            outbox.record(outcome, now)
            db.session.commit()
            outcomes.append(outcome)
            totals[outcome.result] += 1
        # A full batch means more may wait; trouble with the server waits for the next run.
        if len(ids) < batch or any(o.result == "transient" for o in outcomes):
            break
    return {key: value for key, value in totals.items() if value}
