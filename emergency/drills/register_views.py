"""The drill calendar (month grid and list) of everything in scope, and the register export."""

from datetime import timedelta

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.clock import china_today
from emergency.drills import queries
from emergency.drills.views import bp
from emergency.drills.checklist import DRILL_DOC_TYPES, REQUIRED_DRILL_DOCUMENTS
from emergency.drills.models import DrillStatus
from emergency.exports import export_response, numbered, require_format
from emergency.extensions import db
from emergency.labels import (
    DOC_TYPES,
    DRILL_FORMS,
    DRILL_PURPOSES,
    DRILL_SCOPES,
    DRILL_STATUSES,
    UNIT_KINDS,
)
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
    require_format(fmt)
    filters = queries.DrillFilters.from_args(request.args)
    drills = db.session.scalars(queries.drill_query(current_user, filters, china_today())).all()
    return export_response(fmt, _("Drill register"), _drill_register_headers(),
                           numbered(_drill_register_rows(drills)), _("Drill register"))


def _drill_register_headers() -> list[str]:
    """The columns of an office's 演练台账, in the current language."""
    return [_("No."), _("Unit"), _("Unified social credit code / school code"), _("Unit kind"),
            _("Region"), _("Region code"), _("Drill"), _("Plans exercised"), _("Drill form"),
            _("Drill scope"), _("Drill purpose"), _("Status"), _("Planned date"),
            _("Date held"), _("Duration (minutes)"), _("Participants"),
            _("Evacuation time (seconds)"), _("Reported to the regulator on"),
            _("Documents present"), _("Missing documents"), _("Corrective actions"),
            _("Corrective actions not verified"), _("Summary"), _("Cancellation reason")]


def _drill_register_rows(drills):
    # The same bulk facts (documents, action counts) as the drill pages' register.
    present, actions, open_actions = queries.register_facts([d.id for d in drills])
    for d in drills:
        unit = d.unit
        missing = ([t for t in REQUIRED_DRILL_DOCUMENTS if t not in present[d.id]]
                   if d.status == DrillStatus.HELD else [])
        documents = [t for t in DRILL_DOC_TYPES if t in present[d.id]]
        yield [unit.name, unit.identifier or "", str(UNIT_KINDS.get(unit.kind, unit.kind)),
               unit.region.name, unit.region.code, d.title, "；".join(p.title for p in d.plans),
               str(DRILL_FORMS.get(d.form, d.form)), str(DRILL_SCOPES.get(d.scope, d.scope)),
               str(DRILL_PURPOSES.get(d.purpose, d.purpose)),
               str(DRILL_STATUSES.get(d.status, d.status)), d.planned_on, d.held_on,
               d.duration_minutes, d.participants, d.evacuation_seconds, d.reported_on,
               "、".join(str(DOC_TYPES[t]) for t in documents),
               "、".join(str(DOC_TYPES[t]) for t in missing), actions[d.id], open_actions[d.id],
               d.summary or "", d.cancel_reason or ""]
