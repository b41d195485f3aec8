"""The drill calendar (month grid and list) of everything in scope, and the register export."""

from datetime import timedelta

from flask import abort, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.clock import china_today
from emergency.drills import queries
from emergency.drills.views import bp
from emergency.exports import export_response
from emergency.extensions import db
from emergency.regions.services import region_choices


@bp.route("/", endpoint="calendar")
@login_required
def calendar_page():
    """Show the planned and held drills in scope as a month grid or a list, with filters."""
    today = china_today()
    filters = queries.DrillFilters.from_args(request.args)
    start, end = filters.span(today)
    context = dict(filters=filters, today=today, start=start, end=end,
                   regions=region_choices(current_user, ["city", "county", "town"]))
    if filters.view == "month":
        month, weeks = queries.month_grid(current_user, filters, today)
        previous = (month - timedelta(days=1)).replace(day=1)
        following = (month + timedelta(days=31)).replace(day=1)
        context.update(month=month, weeks=weeks, previous=previous, following=following,
                       weekdays=[format_date(d.day, "EEE") for d in weeks[0]],
                       days=[d for week in weeks for d in week if d.in_month and d.total])
    else:
        stmt = queries.drill_query(current_user, filters, today)
        context["page"] = db.paginate(stmt, page=filters.page, per_page=50, error_out=False)
    return render_template("drills/calendar.html", **context)


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the drill register (演练台账) with the current filters as XLSX or CSV."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    filters = queries.DrillFilters.from_args(request.args)
    drills = db.session.scalars(queries.drill_query(current_user, filters, china_today())).all()
    headers, rows = queries.export_rows(drills)
    return export_response(fmt, _("Drill register"), headers, rows, _("Drill register"))
