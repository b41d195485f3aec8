"""ICS calendar feeds: the drills and open deadlines in a user's scope, behind a revocable token.

The token is a secret in the feed URL, shown once and stored only as its SHA-256 (like API tokens).
The feed is built with the icalendar library, which escapes text and folds lines at 75 octets;
nothing here writes iCalendar lines by hand.

Events and their UIDs (host-independent, stable across requests and compliance rescans):

* ``drill-<id>@yjj.local``: every planned, held or cancelled drill, a timed event at 09:00
  Asia/Shanghai (with a VTIMEZONE) on the held day or else the planned day. SEQUENCE is the drill's
  own counter, raised by every reschedule, cancellation, edit and held record; a cancelled drill
  stays in the feed with STATUS:CANCELLED so calendar programs remove it.
* ``obligation-<unit>-<rule>-<plan or 0>-<period or due date>[-a<action>|-r<revision>]@yjj.local``:
  every stored compliance obligation that is still open (overdue, due soon, due before the
  assessment) and has a due date, as an all-day event. The due date (or period) is part of the UID,
  so an obligation whose date moves is a new event, and SEQUENCE stays 0.
* ``filing-<version>-<due date>@yjj.local``: the filing deadline of a current plan version not yet
  submitted (draft or returned), unless an open filing obligation already shows the same deadline.

Events dated more than a year back are left out (a calendar is for what is coming), and each
kind is capped at MAX_EVENTS.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from emergency.auth.models import User
from emergency.auth.scoping import scoped
from emergency.clock import CHINA
from emergency.compliance.facts import ObligationKind, Status
from emergency.compliance.models import Obligation
from emergency.database import utcnow
from emergency.drills.models import CalendarToken, Drill, DrillStatus
from emergency.extensions import db
from emergency.plans.models import FilingState, Plan, PlanVersion
from emergency.units.models import Unit

#: Host-independent domain of every UID: the same event keeps its UID behind any host name.
UID_DOMAIN = "yjj.local"
TZID = "Asia/Shanghai"
PRODID = "-//yjj.local//Emergency plan registry and drill scheduler//ZH"
#: Drills have a day, not an hour: they are shown from 09:00 China time.
DRILL_START = time(9, 0)
#: Length shown for a drill whose duration is not recorded.
DEFAULT_DRILL_MINUTES = 120
#: Events dated earlier than this many days before today are left out.
PAST_DAYS = 366
#: At most this many events of each kind (drills, obligations, filing deadlines).
MAX_EVENTS = 5000
OPEN_STATUSES = (Status.OVERDUE, Status.DUE_SOON, Status.DUE_BEFORE_ASSESSMENT)
UNSUBMITTED = (FilingState.DRAFT, FilingState.RETURNED)
TOKEN_PREFIX = "cal_"
#: Longer strings are never our tokens; refuse them before hashing.
MAX_TOKEN_LENGTH = 100


# --- Tokens ------------------------------------------------------------------------------------

def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def active_token(user: User) -> CalendarToken | None:
    """Return the user's calendar token in use, or None."""
    return db.session.scalars(
        select(CalendarToken).where(CalendarToken.user_id == user.id,
                                    CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.id.desc())).first()


def revoke_tokens(user: User) -> int:
    """Revoke every calendar token of the user; their feed URLs answer 404 from now on."""
    tokens = db.session.scalars(select(CalendarToken).where(
        CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None))).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    return len(tokens)


def issue_token(user: User) -> str:
    """Replace the user's calendar token by a new one and return its secret (never stored)."""
    revoke_tokens(user)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(CalendarToken(user_id=user.id, token_hash=_hash(secret)))
    db.session.flush()
    return secret


def owner_of(secret: str) -> User | None:
    """Return the active user whose unrevoked calendar token this is, or None."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalars(
        select(CalendarToken).where(CalendarToken.token_hash == _hash(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = db.session.get(User, token.user_id)
    return user if user is not None and user.is_active else None


# --- The feed ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedWindow:
    today: date

    @property
    def start(self) -> date:
        return self.today - timedelta(days=PAST_DAYS)


def feed_locale(user: User) -> str:
    """Calendar programs send no language: use the owner's, else the default (Chinese)."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def build_feed(user: User, today: date) -> bytes:
    """Return the iCalendar document of the drills and open deadlines in the user's scope."""
    window = FeedWindow(today)
    with force_locale(feed_locale(user)):
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Emergency drills and deadlines: %(scope)s",
                                       scope=_scope_name(user)))
        calendar.add("x-wr-timezone", TZID)
        drills = _drills(user, window)
        last = max((_drill_day(d) for d in drills), default=today)
        calendar.add_component(Timezone.from_tzid(
            TZID, first_date=date(1970, 1, 1),
            last_date=max(date(2038, 1, 1), last + timedelta(days=366))))
        for drill in drills:
            calendar.add_component(drill_event(drill))
        obligations = _obligations(user, window)
        seen = set()
        for obligation, unit_name in obligations:
            event = obligation_event(obligation, unit_name)
            if event["uid"] not in seen:
                seen.add(event["uid"])
                calendar.add_component(event)
        shown_filings = {(o.plan_id, o.due_on) for o, _name in obligations
                         if o.kind == ObligationKind.FILE_PLAN}
        for version, plan, unit_name in _filings(user, window):
            if (plan.id, version.filing_due_on) not in shown_filings:
                calendar.add_component(filing_event(version, plan, unit_name))
        return calendar.to_ical()


def _scope_name(user: User) -> str:
    if user.unit_id:
        return user.unit.name
    if user.region_id:
        return user.region.name
    return _("Everything")


def _drill_day(drill: Drill) -> date:
    return drill.held_on or drill.planned_on


def _drills(user: User, window: FeedWindow) -> list[Drill]:
    day = func.coalesce(Drill.held_on, Drill.planned_on)
    stmt = (scoped(Drill, user).join(Drill.unit)
            .where(Unit.is_active.is_(True),
                   or_(Drill.held_on >= window.start,
                       and_(Drill.held_on.is_(None), Drill.planned_on >= window.start)))
            .options(contains_eager(Drill.unit), selectinload(Drill.plans))
            .order_by(day, Drill.id).limit(MAX_EVENTS))
    return list(db.session.scalars(stmt).unique())


def _obligations(user: User, window: FeedWindow) -> list:
    stmt = (scoped(Obligation, user, select(Obligation, Unit.name))
            .join(Unit, Unit.id == Obligation.unit_id)
            .where(Unit.is_active.is_(True), Obligation.status.in_([str(s) for s in OPEN_STATUSES]),
                   Obligation.due_on.is_not(None), Obligation.due_on >= window.start)
            .order_by(Obligation.due_on, Obligation.id).limit(MAX_EVENTS))
    return list(db.session.execute(stmt).tuples())


def _filings(user: User, window: FeedWindow) -> list:
    stmt = (scoped(PlanVersion, user, select(PlanVersion, Plan, Unit.name))
            .join(Plan, Plan.current_version_id == PlanVersion.id)
            .join(Unit, Unit.id == PlanVersion.unit_id)
            .where(Unit.is_active.is_(True), Plan.is_archived.is_(False),
                   PlanVersion.filing_state.in_([str(s) for s in UNSUBMITTED]),
                   PlanVersion.filing_due_on.is_not(None),
                   PlanVersion.filing_due_on >= window.start)
            .order_by(PlanVersion.filing_due_on, PlanVersion.id).limit(MAX_EVENTS))
    return list(db.session.execute(stmt).tuples())


def _lines(*pairs) -> str:
    return "\n".join(f"{label}：{value}" for label, value in pairs if value not in (None, ""))


def drill_event(drill: Drill) -> Event:
    """Return the VEVENT of a drill: 09:00 China time on the held (else planned) day."""
    from emergency.labels import DRILL_FORMS, DRILL_PURPOSES, DRILL_SCOPES, DRILL_STATUSES

    start = datetime.combine(_drill_day(drill), DRILL_START, tzinfo=CHINA)
    minutes = drill.duration_minutes or DEFAULT_DRILL_MINUTES
    event = Event()
    event.add("uid", f"drill-{drill.id}@{UID_DOMAIN}")
    event.add("dtstamp", drill.updated_at.astimezone(UTC))
    event.add("created", drill.created_at.astimezone(UTC))
    event.add("last-modified", drill.updated_at.astimezone(UTC))
    event.add("sequence", drill.sequence or 0)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", f"{drill.unit.name}：{drill.title}")
    cancelled = drill.status == DrillStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("description", _lines(
        (_("Status"), DRILL_STATUSES.get(drill.status, drill.status)),
        (_("Planned date"), drill.planned_on.isoformat()),
        (_("Date held"), drill.held_on.isoformat() if drill.held_on else None),
        (_("Drill form"), DRILL_FORMS.get(drill.form, drill.form)),
        (_("Drill scope"), DRILL_SCOPES.get(drill.scope, drill.scope)),
        (_("Drill purpose"), DRILL_PURPOSES.get(drill.purpose, drill.purpose)),
        (_("Plans"), "；".join(plan.title for plan in drill.plans)),
        (_("Cancellation reason"), drill.cancel_reason if cancelled else None),
    ))
    return event


def _obligation_key(obligation: Obligation) -> str:
    key = obligation.period or obligation.due_on.isoformat()
    evidence = obligation.evidence or {}
    if evidence.get("action_id") is not None:
        key += f"-a{evidence['action_id']}"
    if evidence.get("revision_id") is not None:
        key += f"-r{evidence['revision_id']}"
    return key


def _deadline(event: Event, day: date, stamp: datetime) -> None:
    event.add("dtstamp", stamp)
    event.add("sequence", 0)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    # A deadline does not block the day in anyone's schedule.
    event.add("transp", "TRANSPARENT")
    event.add("status", "CONFIRMED")


def obligation_event(obligation: Obligation, unit_name: str) -> Event:
    """Return the all-day VEVENT of an open obligation on its due date."""
    from emergency.compliance.labels import OBLIGATION_KINDS, STATUSES

    kind = OBLIGATION_KINDS.get(obligation.kind, obligation.kind)
    event = Event()
    event.add("uid", "obligation-{}-{}-{}-{}@{}".format(
        obligation.unit_id, obligation.rule_code, obligation.plan_id or 0,
        _obligation_key(obligation), UID_DOMAIN))
    # The scan recomputes the row every day: its as-of date is when this version of it was made.
    _deadline(event, obligation.due_on,
              datetime.combine(obligation.as_of, time(), tzinfo=CHINA).astimezone(UTC))
    subject = f"（{obligation.subject}）" if obligation.subject else ""
    event.add("summary", f"{unit_name}：{kind}{subject}")
    event.add("description", _lines(
        (_("Status"), STATUSES.get(obligation.status, obligation.status)),
        (_("Due date"), obligation.due_on.isoformat()
         + (f"（{_('estimated')}）" if obligation.estimated else "")),
        (_("Period"), obligation.period),
        (_("Rule"), obligation.rule_code),
        (_("Citation"), obligation.citation),
    ))
    return event


def filing_event(version: PlanVersion, plan: Plan, unit_name: str) -> Event:
    """Return the all-day VEVENT of a plan version's filing deadline."""
    from emergency.compliance.labels import OBLIGATION_KINDS
    from emergency.labels import FILING_STATES

    due = version.filing_due_on
    event = Event()
    event.add("uid", f"filing-{version.id}-{due.isoformat()}@{UID_DOMAIN}")
    _deadline(event, due, version.created_at.astimezone(UTC))
    kind = OBLIGATION_KINDS[ObligationKind.FILE_PLAN]
    event.add("summary", f"{unit_name}：{kind}（{plan.title}）")
    event.add("description", _lines(
        (_("Filing state"), FILING_STATES.get(version.filing_state, version.filing_state)),
        (_("Issue date"), version.issued_on.isoformat()),
        (_("Filing deadline"), due.isoformat()
         + (f"（{_('estimated')}）" if version.filing_due_estimated else "")),
    ))
    return event
