"""The audit log for administrators: read-only, filterable."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.exports import export_response, require_format
from emergency.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
CHINA = ZoneInfo("Asia/Shanghai")


def _day(value: str | None):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None
    # Days at the ends of the calendar overflow once shifted to UTC or to the next day.
    return day if day is None or 1 < day.year < 9999 else None


def _number(value: str | None) -> int | None:
    # ASCII digits only ("²".isdigit() is true but int() refuses it), small enough for an INTEGER.
    text = value or ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


@bp.route("/", endpoint="list")
@login_required
def list_entries():
    """List audit entries, newest first, filtered by user, action, object and day."""
    if not current_user.is_admin:
        abort(403)
    args = request.args
    page = db.paginate(_entry_query(args), page=max(_number(args.get("page")) or 1, 1),
                       per_page=100, error_out=False)
    return render_template("audit/list.html", page=page, args=args)


def _entry_query(args):
    """The entries matching the list's filters, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if args.get("username"):
        stmt = stmt.where(AuditEntry.username == args["username"].strip())
    if args.get("action"):
        stmt = stmt.where(AuditEntry.action == args["action"])
    if args.get("object_type"):
        stmt = stmt.where(AuditEntry.object_type == args["object_type"])
    if _number(args.get("object_id")) is not None:
        stmt = stmt.where(AuditEntry.object_id == _number(args["object_id"]))
    day_from, day_to = _day(args.get("from")), _day(args.get("to"))
    if day_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(day_from, time(), CHINA))
    if day_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(day_to + timedelta(days=1), time(), CHINA))
    return stmt


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the filtered audit log, XLSX or CSV (administrators)."""
    require_format(fmt)
    if not current_user.is_admin:
        abort(403)
    entries = db.session.execute(_entry_query(request.args)).scalars()
    headers = [_("Time"), _("User"), _("Action"), _("Object type"), _("Object ID"), _("Object"),
               _("IP"), _("Changes")]
    rows = ([e.at, e.username or "", e.action, e.object_type or "", e.object_id,
             e.object_label or "", e.ip or "",
             json.dumps(e.changes, ensure_ascii=False, default=str) if e.changes else ""]
            for e in entries)
    return export_response(fmt, _("Audit log"), headers, rows, _("Audit log"))
