"""Filing workflow pages: submit, the office's review queue, file, return, receipt."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from emergency.auth.scoping import get_scoped_or_404, scoped
from emergency.clock import china_today
from emergency.compliance.services import load_calendar
from emergency.database import mark_write_request
from emergency.exports import export_response, numbered, require_format
from emergency.extensions import db
from emergency.labels import PLAN_CATEGORIES
from emergency.plans import filing
from emergency.plans.forms import ReturnForm
from emergency.plans.models import FilingEvent, PlanVersion
from emergency.plans.page import REVIEW_CITATION, plan_page
from emergency.plans.queries import review_queue_query
from emergency.plans.views import apply_problems, bp, require_manage
from emergency.problems import ProblemsError
from emergency.units.models import Unit


def _require_office() -> None:
    if not current_user.can_edit:
        abort(403)


def _transition(version: PlanVersion, action, message: str, *args):
    try:
        action(version, current_user, *args)
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        for problem in error.problems:
            apply_problems(None, [problem])
        return plan_page(db.session.get(PlanVersion, version.id).plan, status=409)
    flash(message, "success")
    return redirect(url_for("plans.detail", plan_id=version.plan_id))


@bp.route("/versions/<int:version_id>/submit", methods=["POST"])
@login_required
def submit(version_id: int):
    """Submit a version for filing once its checklist is complete."""
    version = get_scoped_or_404(PlanVersion, version_id, current_user)
    require_manage(version.unit_id)
    return _transition(version, filing.submit, _("The plan was submitted for filing."),
                       china_today(), load_calendar())


@bp.route("/review")
@login_required
def review():
    """List the submissions waiting for the office, most urgent first."""
    _require_office()
    # Opening the queue is also when silence turns into "deemed filed" for overdue reviews.
    mark_write_request()
    visible_units = scoped(Unit, current_user, select(Unit.id))
    if filing.apply_deemed_filings(china_today(), visible_units.scalar_subquery()):
        db.session.commit()
    versions = db.session.scalars(review_queue_query(current_user)).all()
    return render_template("plans/review.html", versions=versions, today=china_today(),
                           review_citation=REVIEW_CITATION, return_form=ReturnForm())


@bp.route("/review/export.<fmt>")
@login_required
def review_export(fmt: str):
    """Download the review queue as shown (most urgent first), XLSX or CSV."""
    require_format(fmt)
    _require_office()
    versions = db.session.scalars(review_queue_query(current_user)).all()
    headers = [_("No."), _("Unit"), _("Unified social credit code / school code"), _("Region"),
               _("Region code"), _("Plan"), _("Category"), _("Version"), _("Issue date"),
               _("Filing deadline"), _("Submitted on"), _("Review deadline")]
    rows = ([v.plan.unit.name, v.plan.unit.identifier or "", v.plan.unit.region.name,
             v.plan.unit.region.code, v.plan.title,
             str(PLAN_CATEGORIES.get(v.plan.category, v.plan.category)), v.number, v.issued_on,
             v.filing_due_on, v.submitted_on, v.review_due_on] for v in versions)
    return export_response(fmt, _("Filings waiting for review"), headers, numbered(rows),
                           _("Filings waiting for review"))


@bp.route("/versions/<int:version_id>/file", methods=["POST"])
@login_required
def file(version_id: int):
    """File a submitted version and give it a filing number."""
    version = get_scoped_or_404(PlanVersion, version_id, current_user)
    _require_office()
    return _transition(version, filing.file_version, _("The plan was filed."), china_today())


@bp.route("/versions/<int:version_id>/return", methods=["POST"])
@login_required
def return_version(version_id: int):
    """Return a submission to the unit with reasons."""
    version = get_scoped_or_404(PlanVersion, version_id, current_user)
    _require_office()
    form = ReturnForm()
    if not form.validate_on_submit() or not form.reasons.data:
        form.reasons.errors = [*form.reasons.errors, _("Choose at least one reason.")]
        return plan_page(version.plan, return_form=form, status=400)
    return _transition(version, filing.return_for_correction,
                       _("The plan was returned to the unit."), form.reasons.data,
                       form.comment.data)


@bp.route("/versions/<int:version_id>/receipt")
@login_required
def receipt(version_id: int):
    """Show the printable filing receipt (备案回执) of a filed version."""
    version = get_scoped_or_404(PlanVersion, version_id, current_user)
    if version.filing_state not in ("filed", "deemed_filed"):
        abort(404)
    event = db.session.scalars(
        select(FilingEvent).where(FilingEvent.version_id == version.id,
                                  FilingEvent.action.in_(["filed", "deemed_filed"]))
        .order_by(FilingEvent.id.desc())).first()
    return render_template("plans/receipt.html", version=version, plan=version.plan, event=event)
