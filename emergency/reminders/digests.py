"""Digests: the office's weekly summary, and one e-mail per person built from their notifications.

Mail is rendered when it is sent, in the recipient's language, from the items that are still in
their scope at that moment.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from emergency.auth.scoping import scoped, unit_clause
from emergency.compliance.labels import OBLIGATION_KINDS
from emergency.compliance.models import Obligation
from emergency.compliance.settings import assessment_settings
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.plans.queries import review_queue_query
from emergency.reminders.models import Category, Notification, Preference
from emergency.reminders.services import (
    OPEN,
    Candidate,
    item_payload,
    office_users,
    wants_mail,
)
from emergency.reminders.settings import setting
from emergency.units.models import Unit

SECTIONS = ("new_overdue", "before_assessment", "filings")


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


# --- the office's weekly digest -------------------------------------------------------------------

def _obligation_section(user, *conditions) -> dict:
    stmt = (scoped(Obligation, user, select(Obligation, Unit.name))
            .join(Unit, Unit.id == Obligation.unit_id)
            .where(Obligation.status.in_(OPEN), *conditions))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(Obligation.due_on, Obligation.id)
                              .limit(setting("REMINDER_MAIL_ITEMS")))
    return {"total": total, "items": [item_payload(o, name) for o, name in rows]}


def _filing_section(user) -> dict:
    stmt = review_queue_query(user)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.join(Unit, Unit.id == Plan.unit_id)
                              .add_columns(Plan.title, Unit.name)
                              .limit(setting("REMINDER_MAIL_ITEMS")))
    items = [{"unit_id": v.unit_id, "unit_name": unit_name, "subject": title, "plan_id": v.plan_id,
              "submitted_on": v.submitted_on.isoformat() if v.submitted_on else None,
              "due_on": v.review_due_on.isoformat() if v.review_due_on else None}
             for v, title, unit_name in rows]
    return {"total": total, "items": items}


def week_label(today: date) -> str:
    """Return the ISO week of a date, e.g. "2026-W10"."""
    year, week, _day = today.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_candidates(today: date) -> Iterator[Candidate]:
    """Yield each office user's weekly digest: new overdue, due before the assessment, filings."""
    assessment, _terms = assessment_settings(today.year)
    week = week_label(today)
    last_week = (today - timedelta(days=7), today - timedelta(days=1))
    for user in office_users():
        sections = {
            # Overdue from the day after the due date, so "became overdue this past week".
            "new_overdue": _obligation_section(
                user, Obligation.due_on.between(*last_week)),
            "before_assessment": _obligation_section(
                user, Obligation.due_on.between(today, assessment)),
            "filings": _filing_section(user),
        }
        if not any(section["total"] for section in sections.values()):
            continue
        payload = {"week": week, "as_of": today.isoformat(),
                   "assessment_date": assessment.isoformat(), "region_id": user.region_id,
                   "region_name": user.region.name, "sections": sections}
        yield Candidate(user.id, f"weekly:{user.id}:{week}", Category.WEEKLY, None, week, None,
                        payload)


# --- what may still be sent -----------------------------------------------------------------------

def _visible_units(user, unit_ids) -> set[int]:
    ids = sorted({uid for uid in unit_ids if uid is not None})
    visible = set()
    for start in range(0, len(ids), 500):
        visible.update(db.session.scalars(
            select(Unit.id).where(Unit.id.in_(ids[start:start + 500]), unit_clause(user))))
    return visible


def _weekly_units(notification: Notification) -> list[int]:
    sections = notification.payload.get("sections", {})
    return [item.get("unit_id") for s in sections.values() for item in s.get("items", ())]


def deliverable(user, notifications: list[Notification], pref: Preference) -> list[Notification]:
    """Return the notifications that may still be mailed to the user, now.

    Scope is decided at sending time: a liaison moved to another unit, or an office user moved to
    another region, no longer gets the old scope's items; an inactive user gets nothing.
    """
    if not user.is_active:
        return []
    wanted = [n for n in notifications if wants_mail(pref, n.category, n.is_mandatory)]
    units = [n.unit_id for n in wanted]
    units += [uid for n in wanted if n.category == Category.WEEKLY for uid in _weekly_units(n)]
    visible = _visible_units(user, units)
    result = []
    for n in wanted:
        if n.category == Category.WEEKLY:
            if n.payload.get("region_id") == user.region_id:
                result.append(_trim_weekly(n, visible))
        elif n.unit_id in visible:
            result.append(n)
    return result


def _trim_weekly(n: Notification, visible: set[int]) -> Notification:
    # A detached copy: the stored payload stays what was generated.
    sections = {}
    for name, section in n.payload.get("sections", {}).items():
        items = [i for i in section.get("items", ()) if i.get("unit_id") in visible]
        dropped = len(section.get("items", ())) - len(items)
        sections[name] = {"total": max(section.get("total", 0) - dropped, 0), "items": items}
    return Notification(id=n.id, key=n.key, user_id=n.user_id, category=n.category,
                        stage=n.stage, payload={**n.payload, "sections": sections},
                        created_on=n.created_on, is_mandatory=n.is_mandatory)


# --- rendering ------------------------------------------------------------------------------------

def external_url(endpoint: str, **values) -> str:
    """Build an absolute link to a page of the app from REMINDER_BASE_URL (no request needed)."""
    base = urlsplit(setting("REMINDER_BASE_URL"))
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def _when(due: date, today: date) -> str:
    days = (due - today).days
    if days > 0:
        return _("due in %(days)s days", days=days)
    if days == 0:
        return _("due today")
    return _("overdue for %(days)s days", days=-days)


def _item_view(payload: dict, today: date) -> dict:
    due = date.fromisoformat(payload["due_on"]) if payload.get("due_on") else None
    link = (external_url("plans.detail", plan_id=payload["plan_id"]) if payload.get("plan_id")
            else external_url("compliance.unit_panel", unit_id=payload["unit_id"]))
    return {**payload, "due_on": due, "due_text": format_date(due, "medium") if due else "—",
            "when": _when(due, today) if due else "", "link": link,
            "what": str(OBLIGATION_KINDS.get(payload.get("kind"), payload.get("kind") or ""))}


def _groups(notifications: list[Notification], today: date, limit: int) -> tuple[list, int]:
    """Group the items by unit (units ordered by their most urgent item); cut at ``limit`` items."""
    ordered = sorted(notifications, key=lambda n: (n.due_on or date.max, n.id or 0))
    shown, hidden = ordered[:limit], len(ordered) - min(len(ordered), limit)
    by_unit = defaultdict(list)
    for n in shown:
        by_unit[(n.payload.get("unit_name") or "", n.unit_id)].append(_item_view(n.payload, today))
    return [{"unit_name": name, "items": items} for (name, _uid), items in by_unit.items()], hidden


def _reminder_subject(notifications: list[Notification], today: date) -> str:
    escalations = [n for n in notifications if n.category == Category.ESCALATION]
    if escalations and len(escalations) == len(notifications):
        if len(escalations) == 1:
            return _("[Escalation] Overdue: %(subject)s (%(unit)s)",
                     subject=escalations[0].payload.get("subject"),
                     unit=escalations[0].payload.get("unit_name"))
        return _("[Escalation] %(count)s items overdue for %(days)s days or more",
                 count=len(escalations), days=setting("REMINDER_ESCALATION_DAYS"))
    if len(notifications) == 1:
        view = _item_view(notifications[0].payload, today)
        return _("[Reminder] %(what)s: %(subject)s, %(when)s", what=view["what"],
                 subject=view["subject"], when=view["when"])
    return _("[Reminder] %(count)s items need your attention", count=len(notifications))


def _weekly_context(n: Notification, today: date) -> dict:
    sections = {}
    for name in SECTIONS:
        section = n.payload["sections"].get(name, {"total": 0, "items": []})
        items = []
        for item in section["items"]:
            view = _item_view({**item, "kind": item.get("kind", "file_plan")}, today)
            if name == "filings":
                view["link"] = external_url("plans.detail", plan_id=item["plan_id"])
            items.append(view)
        sections[name] = {"total": section["total"], "items": items,
                          "hidden": max(section["total"] - len(items), 0)}
    assessment = date.fromisoformat(n.payload["assessment_date"])
    return {"sections": sections, "region_name": n.payload.get("region_name"),
            "week": n.payload.get("week"), "assessment_text": format_date(assessment, "medium"),
            "review_link": external_url("plans.review"),
            "inbox_link": external_url("reminders.inbox")}


def compose(user, notifications: list[Notification], today: date) -> Mail:
    """Render one e-mail for the user in their language: a weekly digest or a reminder digest."""
    languages = current_app.config["LANGUAGES"]
    locale = user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        weekly = [n for n in notifications if n.category == Category.WEEKLY]
        if weekly:
            context = {**_weekly_context(weekly[0], today), "user": user}
            subject = _("[Weekly digest] %(region)s, week %(week)s",
                        region=context["region_name"], week=context["week"])
            return _render("office_digest", subject, context)
        groups, hidden = _groups(notifications, today, setting("REMINDER_MAIL_ITEMS"))
        context = {"user": user, "groups": groups, "hidden": hidden,
                   "count": len(notifications), "inbox_link": external_url("reminders.inbox"),
                   "preferences_link": external_url("reminders.preferences"),
                   "escalation_days": setting("REMINDER_ESCALATION_DAYS"),
                   "is_escalation": all(n.category == Category.ESCALATION for n in notifications)}
        return _render("reminder_digest", _reminder_subject(notifications, today), context)


def _render(name: str, subject: str, context: dict) -> Mail:
    # Header fields must be one line; a subject or title could carry a line break.
    subject = " ".join(subject.split())[:250]
    # EmailMessage ends each part with a newline; storing it too keeps the stored copy exact.
    text = render_template(f"email/{name}.txt", **context).rstrip("\n") + "\n"
    html = render_template(f"email/{name}.html", subject=subject, **context).rstrip("\n") + "\n"
    return Mail(subject=subject, text=text, html=html)
