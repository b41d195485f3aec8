"""Reminder generation: which (recipient, item, stage) are owed, written as notifications + mail.

Generation only writes rows; the outbox sender mails them later, outside this transaction.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from emergency.auth.models import Role, User
from emergency.auth.scoping import scope_clause, scoped
from emergency.compliance.facts import ObligationKind, Status
from emergency.compliance.models import Obligation, Rule
from emergency.compliance.services import load_calendar
from emergency.extensions import db
from emergency.reminders.models import (
    Category,
    JobRun,
    MailStatus,
    Notification,
    OutboxMessage,
    Preference,
)
from emergency.reminders.settings import setting
from emergency.reminders.stages import (
    advance_stage,
    digest_time,
    overdue_days,
    overdue_stage,
    parse_quiet_hours,
)
from emergency.units.models import Unit

logger = logging.getLogger(__name__)

#: Stored statuses that still owe something (a MISSING plan has no due date to remind about).
OPEN = (Status.OVERDUE, Status.DUE_SOON, Status.DUE_BEFORE_ASSESSMENT)
#: Filing deadlines count working days, so their reminder stages do too.
WORKDAY_KINDS = frozenset({ObligationKind.FILE_PLAN})
_CHUNK = 500


@dataclass(frozen=True)
class Candidate:
    """A notification that is owed: who gets it, about what, at which stage."""

    user_id: int
    key: str
    category: str
    unit_id: int | None
    stage: str
    due_on: date | None
    payload: dict = field(hash=False, compare=False)
    is_mandatory: bool = False


@dataclass
class Generated:
    notifications: int = 0
    messages: int = 0
    by_category: dict = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict:
        return {"notifications": self.notifications, "messages": self.messages,
                **dict(self.by_category)}


def item_key(o: Obligation) -> str:
    """Return a stable name for an obligation (rows are replaced by every scan, ids are not)."""
    evidence = o.evidence or {}
    extra = evidence.get("revision_id") or evidence.get("action_id") or ""
    return f"{o.rule_code}.{o.unit_id}.{o.plan_id or ''}.{o.period or ''}.{extra}"


def item_payload(o: Obligation, unit_name: str) -> dict:
    """Snapshot what the inbox and the mail show about an obligation."""
    return {"rule_code": o.rule_code, "kind": o.kind, "subject": o.subject, "citation": o.citation,
            "period": o.period, "plan_id": o.plan_id, "unit_id": o.unit_id, "unit_name": unit_name,
            "due_on": o.due_on.isoformat() if o.due_on else None, "estimated": o.estimated}


def _reminder_rules() -> tuple[dict[int, tuple], int]:
    """Return {rule id: (leads, counts working days)} and how far ahead any stage can reach."""
    rules, horizon = {}, 0
    for rule in db.session.scalars(select(Rule)):
        leads = tuple(int(d) for d in (rule.reminder_days or ()) if int(d) >= 0)
        workdays = rule.kind in WORKDAY_KINDS
        rules[rule.id] = (leads, workdays)
        # N working days span at most about 2N + 15 calendar days (Spring Festival plus weekends).
        horizon = max(horizon, *((2 * d + 15) if workdays else d for d in leads), 0)
    return rules, horizon


def liaison_candidates(today: date) -> Iterator[Candidate]:
    """Yield the due and overdue reminders owed to liaisons as of ``today``."""
    rules, horizon = _reminder_rules()
    calendar = load_calendar()
    # A liaison sees exactly their unit (scoping.unit_clause); joining on it keeps this one
    # query for the whole province. The sender re-checks scope through unit_clause.
    stmt = (select(Obligation, User.id, Unit.name)
            .join(Unit, Unit.id == Obligation.unit_id)
            .join(User, User.unit_id == Obligation.unit_id)
            .where(User.role == Role.LIAISON, User.is_active.is_(True),
                   Obligation.status.in_(OPEN), Obligation.due_on.is_not(None),
                   Obligation.due_on <= today + timedelta(days=horizon))
            .order_by(Obligation.id, User.id).execution_options(yield_per=2000))
    for o, user_id, unit_name in db.session.execute(stmt):
        leads, workdays = rules.get(o.rule_id, ((), False))
        stage = advance_stage(o.due_on, today, leads, calendar.is_workday if workdays else None)
        category = Category.DUE
        if stage is None:
            stage, category = overdue_stage(o.due_on, today), Category.OVERDUE
        if stage is None:
            continue
        key = f"{category}:{user_id}:{item_key(o)}:{o.due_on.isoformat()}:{stage}"
        yield Candidate(user_id, key, category, o.unit_id, stage, o.due_on,
                        item_payload(o, unit_name))


def office_users() -> list[User]:
    """Return the active office accounts (the recipients of escalations and weekly digests)."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.OFFICE, User.is_active.is_(True),
                           User.region_id.is_not(None)).order_by(User.id)))


def escalation_candidates(today: date) -> Iterator[Candidate]:
    """Yield one escalation per office user in scope and item overdue for N days or more."""
    days = setting("REMINDER_ESCALATION_DAYS")
    limit = today - timedelta(days=days)
    for user in office_users():
        stmt = (scoped(Obligation, user, select(Obligation, Unit.name))
                .join(Unit, Unit.id == Obligation.unit_id)
                .where(Obligation.status.in_(OPEN), Obligation.due_on <= limit)
                .order_by(Obligation.id).execution_options(yield_per=2000))
        for o, unit_name in db.session.execute(stmt):
            payload = {**item_payload(o, unit_name), "overdue_days": overdue_days(o.due_on, today)}
            key = f"escalation:{user.id}:{item_key(o)}:{o.due_on.isoformat()}"
            yield Candidate(user.id, key, Category.ESCALATION, o.unit_id, "esc", o.due_on,
                            payload, is_mandatory=True)


def daily_candidates(today: date) -> Iterator[Candidate]:
    """Yield every reminder the daily generation owes as of ``today``."""
    yield from liaison_candidates(today)
    yield from escalation_candidates(today)


def _chunks(items: Iterable, size: int = _CHUNK) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def new_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Return the candidates whose notification does not exist yet (for --dry-run)."""
    result = []
    for chunk in _chunks(candidates):
        taken = set(db.session.scalars(
            select(Notification.key).where(Notification.key.in_([c.key for c in chunk]))))
        result.extend(c for c in chunk if c.key not in taken)
    return result


def _insert(model):
    """Return the dialect's INSERT, which knows ON CONFLICT DO NOTHING on both databases."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def store(candidates: Iterable[Candidate], today: date, now: datetime) -> list:
    """Insert the candidates' notifications; return (id, user_id, key, category, mandatory) rows.

    A notification that already exists is skipped by the unique key, so two runs, or two
    processes at once, produce it once: only the run that inserted it goes on to mail it.
    """
    inserted = []
    for chunk in _chunks(candidates):
        rows = [dict(key=c.key, user_id=c.user_id, category=str(c.category), unit_id=c.unit_id,
                     stage=c.stage, due_on=c.due_on, payload=c.payload,
                     is_mandatory=c.is_mandatory, created_on=today, created_at=now)
                for c in chunk]
        stmt = (_insert(Notification).values(rows).on_conflict_do_nothing(index_elements=["key"])
                .returning(Notification.id, Notification.user_id, Notification.key,
                           Notification.category, Notification.is_mandatory))
        inserted.extend(db.session.execute(stmt).all())
    return inserted


def preferences_for(user_ids: Iterable[int]) -> dict[int, Preference]:
    """Return each user's preferences, defaults for users who never chose."""
    ids = list(user_ids)
    found = {}
    for chunk in _chunks(ids):
        found.update({p.user_id: p for p in db.session.scalars(
            select(Preference).where(Preference.user_id.in_(chunk)))})
    hour = setting("REMINDER_DIGEST_HOUR")
    return {uid: found.get(uid) or Preference(user_id=uid, digest_hour=hour, email_reminders=True,
                                              email_weekly=True) for uid in ids}


def wants_mail(pref: Preference, category: str, is_mandatory: bool) -> bool:
    """Tell whether a notification of this category goes out by e-mail for this user."""
    if is_mandatory:
        return True
    if category == Category.WEEKLY:
        return pref.email_weekly
    return pref.email_reminders


def message_id_for(key: str) -> str:
    """Return the Message-ID of an outbox key: the same on every (re)send of that message."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@localhost"
    domain = sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<reminder.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def quiet_hours() -> tuple[int, int] | None:
    """Return the configured quiet hours as (start, end), or None."""
    return parse_quiet_hours(setting("REMINDER_QUIET_HOURS"))


def enqueue(inserted: list, today: date, now: datetime) -> int:
    """Write one outbox message per user for the new notifications they want mailed."""
    by_user = defaultdict(list)
    for row in inserted:
        by_user[row.user_id].append(row)
    prefs = preferences_for(by_user)
    quiet, count = quiet_hours(), 0
    for user_id, rows in by_user.items():
        pref = prefs[user_id]
        mailed = [r for r in rows if wants_mail(pref, r.category, r.is_mandatory)]
        if not mailed:
            continue
        digest = hashlib.sha256("\n".join(sorted(r.key for r in mailed)).encode()).hexdigest()
        key = f"mail:{user_id}:{today.isoformat()}:{digest[:24]}"
        stmt = (_insert(OutboxMessage).values(
            key=key, user_id=user_id, created_on=today, status=MailStatus.PENDING, attempts=0,
            next_attempt_at=digest_time(today, pref.digest_hour, now, quiet),
            message_id=message_id_for(key), created_at=now)
            .on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMessage.id))
        outbox_id = db.session.execute(stmt).scalar()
        if outbox_id is None:
            continue
        db.session.execute(update(Notification).where(Notification.id.in_([r.id for r in mailed]))
                           .values(outbox_id=outbox_id))
        count += 1
    return count


def generate(candidates: Iterable[Candidate], today: date, now: datetime) -> Generated:
    """Store the owed notifications and enqueue their mail; flush, do not commit."""
    inserted = store(candidates, today, now)
    result = Generated(notifications=len(inserted))
    for row in inserted:
        result.by_category[row.category] += 1
    result.messages = enqueue(inserted, today, now)
    db.session.flush()
    logger.info("Generated reminders for %s: %s", today, result.as_dict())
    return result


# --- inbox and preferences ------------------------------------------------------------------------

def inbox_query(user, *, unread_only: bool = False):
    """Return the user's notifications that are still in their scope, newest first."""
    stmt = (select(Notification).where(
        Notification.user_id == user.id,
        or_(Notification.unit_id.is_(None), scope_clause(Notification, user)))
        .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return stmt.where(Notification.read_at.is_(None)) if unread_only else stmt


def unread_count(user) -> int:
    """Count the user's unread notifications in scope."""
    stmt = inbox_query(user, unread_only=True).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def mark_read(user, now: datetime, notification_id: int | None = None, *, read: bool = True) -> int:
    """Mark one of the user's notifications (or all of them) read or unread; return how many."""
    # A Core UPDATE on purpose: read marks are not state changes worth an audit entry each.
    stmt = update(Notification).where(Notification.user_id == user.id)
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    elif read:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = db.session.execute(stmt.values(read_at=now if read else None))
    return result.rowcount


def preference_of(user) -> Preference:
    """Return the user's stored preferences or the defaults (not added to the session)."""
    return preferences_for([user.id])[user.id]


def save_preferences(user, *, digest_hour: int, email_reminders: bool, email_weekly: bool) -> None:
    """Store the user's reminder choices."""
    pref = db.session.get(Preference, user.id)
    if pref is None:
        pref = Preference(user_id=user.id)
        db.session.add(pref)
    pref.digest_hour, pref.email_reminders, pref.email_weekly = (
        digest_hour, email_reminders, email_weekly)
    db.session.flush()


def job_runs() -> dict[str, dict]:
    """Return each scheduled job's last successful run and last error, for /healthz."""
    result = {}
    for run in db.session.scalars(select(JobRun).order_by(JobRun.job_id)):
        result[run.job_id] = {
            "last_success_at": run.last_success_at.isoformat() if run.last_success_at else None,
            "last_error_at": run.last_error_at.isoformat() if run.last_error_at else None,
            "last_error": run.last_error,
        }
    return result
