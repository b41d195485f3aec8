"""The inbox (every user), reminder preferences, and the outbox for administrators."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from emergency.compliance.labels import OBLIGATION_KINDS
from emergency.database import utcnow
from emergency.exports import export_response, require_format
from emergency.extensions import db
from emergency.reminders import outbox, services
from emergency.reminders.forms import ReminderPreferencesForm
from emergency.reminders.models import MailStatus, OutboxMessage

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


def _page_arg() -> int:
    value = request.args.get("page") or ""
    # ASCII digits only ("²".isdigit() is true), and small enough for LIMIT/OFFSET.
    ok = value.isascii() and value.isdigit() and len(value) <= 6
    return max(int(value), 1) if ok else 1


@bp.app_context_processor
def inject_unread_count() -> dict:
    """Give base.html the number of unread inbox entries (counted only when shown)."""
    def inbox_unread() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return services.unread_count(current_user)
        except SQLAlchemyError:
            # Error pages extend base.html too; a database outage must not break them.
            db.session.rollback()
            return 0

    return {"inbox_unread": inbox_unread}


@bp.route("/", endpoint="inbox")
@login_required
def inbox():
    """List the user's reminders, newest first; unread ones stand out."""
    unread_only = request.args.get("unread") == "1"
    page = db.paginate(services.inbox_query(current_user, unread_only=unread_only),
                       page=_page_arg(), per_page=50, error_out=False)
    return render_template("reminders/inbox.html", page=page, unread_only=unread_only,
                           link_for=_link_for)


@bp.route("/export.<fmt>")
@login_required
def inbox_export(fmt: str):
    """Download the user's inbox (?unread=1: unread only), XLSX or CSV."""
    require_format(fmt)
    unread_only = request.args.get("unread") == "1"
    found = db.session.scalars(services.inbox_query(current_user, unread_only=unread_only))
    headers = [_("Created"), _("Status"), _("Reminder"), _("Unit"), _("Obligation"),
               _("Subject"), _("Period"), _("Due date"), _("Rule"), _("Citation")]
    categories = {"due": _("Due soon"), "overdue": _("Overdue"),
                  "escalation": _("Escalation"), "weekly": _("Weekly digest")}
    rows = []
    for n in found:
        p = n.payload or {}
        rows.append([n.created_at, _("Read") if n.read_at else _("Unread"),
                     str(categories.get(n.category, n.category)),
                     p.get("unit_name") or p.get("region_name") or "",
                     str(OBLIGATION_KINDS.get(p.get("kind"), p.get("kind") or "")),
                     p.get("subject") or "", p.get("period") or "", n.due_on,
                     p.get("rule_code") or "", p.get("citation") or ""])
    return export_response(fmt, _("Inbox"), headers, rows, _("Inbox"))


def _link_for(notification) -> str:
    """Return where an inbox entry points: the plan, the unit's obligations or the review queue."""
    payload = notification.payload or {}
    if notification.category == "weekly":
        return url_for("compliance.list")
    if payload.get("plan_id"):
        return url_for("plans.detail", plan_id=payload["plan_id"])
    return url_for("compliance.unit_panel", unit_id=notification.unit_id)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one of the user's reminders read."""
    return _mark(notification_id, read=True)


@bp.route("/<int:notification_id>/unread", methods=["POST"])
@login_required
def mark_unread(notification_id: int):
    """Mark one of the user's reminders unread again."""
    return _mark(notification_id, read=False)


def _mark(notification_id: int, *, read: bool):
    if not services.mark_read(current_user, utcnow(), notification_id, read=read):
        abort(404)
    db.session.commit()
    return redirect(url_for("reminders.inbox"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all():
    """Mark every reminder of the user read."""
    count = services.mark_read(current_user, utcnow())
    db.session.commit()
    flash(_("%(count)s reminders marked as read.", count=count), "success")
    return redirect(url_for("reminders.inbox"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """Let the user choose their digest hour and which optional e-mails they get."""
    pref = services.preference_of(current_user)
    form = ReminderPreferencesForm(obj=pref)
    if form.validate_on_submit():
        services.save_preferences(current_user, **form.to_data())
        db.session.commit()
        flash(_("Reminder preferences saved."), "success")
        return redirect(url_for("reminders.preferences"))
    status = 400 if form.is_submitted() else 200
    return render_template("reminders/preferences.html", form=form), status


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/outbox")
@login_required
def outbox_list():
    """List outbox messages by status with their last error (administrators)."""
    _require_admin()
    status = request.args.get("status") or ""
    stmt = _outbox_query(status)
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    page = db.paginate(stmt, page=_page_arg(), per_page=50, error_out=False)
    return render_template("reminders/outbox.html", page=page, status=status, counts=counts,
                           statuses=list(MailStatus))


def _outbox_query(status: str):
    """The outbox messages as listed: newest first, of one status if it names one."""
    stmt = (select(OutboxMessage).options(selectinload(OutboxMessage.user))
            .order_by(OutboxMessage.id.desc()))
    return stmt.where(OutboxMessage.status == status) if status in set(MailStatus) else stmt


@bp.route("/outbox/export.<fmt>")
@login_required
def outbox_export(fmt: str):
    """Download the outbox (?status= as on the page), XLSX or CSV (administrators)."""
    require_format(fmt)
    _require_admin()
    stmt = _outbox_query(request.args.get("status") or "")
    headers = ["#", _("Status"), _("Recipient"), _("E-mail"), _("Subject"), _("Attempts"),
               _("Created"), _("Next attempt"), _("Sent"), _("Last error")]
    labels = {"pending": _("Pending"), "sending": _("Sending"), "sent": _("Sent"),
              "failed": _("Failed, will retry"), "dead": _("Dead"), "cancelled": _("Cancelled")}
    rows = ([m.id, labels.get(m.status, m.status), m.user.display_name,
             m.to_addr or m.user.email, m.subject or "",
             m.attempts, m.created_at,
             m.next_attempt_at if m.status in (MailStatus.PENDING, MailStatus.FAILED) else None,
             m.sent_at, m.last_error or ""] for m in db.session.scalars(stmt))
    return export_response(fmt, _("Outbox"), headers, rows, _("Outbox"))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@login_required
def retry(message_id: int):
    """Queue a dead or cancelled message again (administrators)."""
    _require_admin()
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status not in (MailStatus.DEAD, MailStatus.CANCELLED):
        flash(_("Only dead or cancelled messages can be retried."), "warning")
        return redirect(url_for("reminders.outbox_list"))
    outbox.retry_dead(message, utcnow())
    db.session.commit()
    flash(_("Message %(id)s queued again.", id=message.id), "success")
    return redirect(url_for("reminders.outbox_list", status=MailStatus.PENDING))

