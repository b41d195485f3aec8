"""Compliance pages: what a unit owes, and everything needing attention in a region."""

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import SelectPagination

from emergency.auth.scoping import get_scoped_or_404
from emergency.clock import china_today
from emergency.compliance import queries
from emergency.compliance.display import subject_label
from emergency.compliance.labels import OBLIGATION_KINDS, STATUSES
from emergency.compliance.settings import assessment_settings
from emergency.exports import export_response, require_format
from emergency.extensions import db
from emergency.regions.services import region_choices
from emergency.units.models import Unit

bp = Blueprint("compliance", __name__, url_prefix="/compliance")


class RowPagination(SelectPagination):
    """Page a SELECT of several entities: each item is an (obligation, unit, region) row.

    db.paginate() keeps only the first entity of each row (it reads scalars).
    """

    def _query_items(self) -> list:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(stmt).all())


def _as_of_arg() -> date:
    value = request.args.get("as_of") or ""
    if value == "assessment":
        return assessment_settings(china_today().year)[0]
    try:
        return date.fromisoformat(value) if value else china_today()
    except ValueError:
        abort(400)


@bp.route("/units/<int:unit_id>")
@login_required
def unit_panel(unit_id: int):
    """Show what a unit owes as of a date, with due dates, evidence and citations."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    as_of = _as_of_arg()
    result, obligations = queries.unit_obligations(unit, as_of)
    return render_template("compliance/unit.html", unit=unit, result=result,
                           obligations=obligations, as_of=as_of, today=china_today())


def _rows(filters: queries.ObligationFilters, today: date):
    if filters.as_of and filters.as_of != today:
        return queries.live_rows(current_user, filters, filters.as_of), None
    stmt = queries.stored_query(current_user, filters)
    page = RowPagination(select=stmt, session=db.session(), page=filters.page, per_page=100,
                         error_out=False)
    return None, page


def _filters() -> queries.ObligationFilters:
    try:
        return queries.ObligationFilters.from_args(request.args)
    except ValueError:
        abort(400)


@bp.route("/", endpoint="list")
@login_required
def list_obligations():
    """List the obligations needing attention in the user's scope, by due date."""
    today, filters = china_today(), _filters()
    live, page = _rows(filters, today)
    if live is not None:
        first = (filters.page - 1) * 100
        live_page = live[first:first + 100]
    else:
        live_page = None
    regions = region_choices(current_user, ["city", "county", "town"])
    return render_template("compliance/list.html", filters=filters, page=page, live=live_page,
                           live_total=len(live) if live is not None else None, regions=regions,
                           today=today, assessment=assessment_settings(today.year)[0])


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the filtered obligations as XLSX or CSV."""
    require_format(fmt)
    today, filters = china_today(), _filters()
    if filters.as_of and filters.as_of != today:
        rows = queries.live_rows(current_user, filters, filters.as_of)
    else:
        rows = db.session.execute(queries.stored_query(current_user, filters)).all()
    headers = [_("Unit"), _("Region"), _("Rule"), _("Obligation"), _("Subject"), _("Due date"),
               _("Status"), _("Citation")]
    data = [[unit.name, region.name, o.rule_code, str(OBLIGATION_KINDS.get(o.kind, o.kind)), subject_label(o),
             o.due_on, str(STATUSES.get(o.status, o.status)), o.citation] for o, unit, region in rows]
    return export_response(fmt, _("Compliance"), headers, data, _("Compliance"))


@bp.route("/rules/export.<fmt>")
@login_required
def rules_export(fmt: str):
    """Download the rule table (office staff and administrators), XLSX or CSV."""
    from sqlalchemy import select

    from emergency.compliance.models import Rule
    from emergency.labels import PLAN_CATEGORIES, RISK_TAGS, UNIT_KINDS

    require_format(fmt)
    if not current_user.can_edit:
        abort(403)

    def names(codes, labels) -> str:
        return "、".join(str(labels.get(code, code)) for code in codes or [])

    headers = [_("Code"), _("Title"), _("Obligation"), _("Applies to"), _("Risk tags"),
               _("Plan categories"), _("Every N months"), _("Deadline (days)"),
               _("Times per period"), _("Period"), _("Citation"), _("National law"),
               _("Valid from"), _("Valid until"), _("Status")]
    rows = ([r.code, r.title, str(OBLIGATION_KINDS.get(r.kind, r.kind)),
             names(r.unit_kinds, UNIT_KINDS) or _("all units"), names(r.tags_any, RISK_TAGS),
             names(r.plan_categories, PLAN_CATEGORIES), r.interval_months, r.deadline_days,
             r.per_period, r.period or "", r.citation, _("Yes") if r.is_national else _("No"),
             r.effective_from, r.effective_to, _("Active") if r.is_active else _("Inactive")]
            for r in db.session.scalars(select(Rule).order_by(Rule.code, Rule.id)))
    return export_response(fmt, _("Rules"), headers, rows, _("Rules"))
