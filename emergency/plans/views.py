"""Plan pages: list and export, register, detail with history, edit, new versions, documents."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from emergency.auth.scoping import get_scoped_or_404
from emergency.clock import china_today
from emergency.compliance.services import load_calendar
from emergency.documents.messages import rejection_message
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.exports import export_response, numbered, require_format
from emergency.extensions import db
from emergency.labels import (
    EVALUATION_CONCLUSIONS,
    FILING_STATES,
    HAZARD_CLASSES,
    PLAN_CATEGORIES,
    SIGNER_ROLES,
    UNIT_KINDS,
)
from emergency.messages import problem_message
from emergency.plans import queries, services
from emergency.plans.forms import NewPlanForm, PlanForm, VersionForm
from emergency.plans.models import Evaluation, Plan, PlanVersion
from emergency.plans.page import plan_page
from emergency.problems import ProblemsError
from emergency.regions.services import region_choices
from emergency.units.models import Unit

bp = Blueprint("plans", __name__, url_prefix="/plans")


def can_manage(unit_id: int) -> bool:
    """Tell whether the current user may change this unit's plans and drills."""
    return current_user.can_manage_unit(unit_id)


def require_manage(unit_id: int) -> None:
    if not can_manage(unit_id):
        abort(403)


def apply_problems(form, problems) -> None:
    """Show each problem under its field, or at the top of the form."""
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = [*field.errors, problem_message(problem)]
        else:
            flash(problem_message(problem), "danger")


@bp.route("/", endpoint="list")
@login_required
def list_plans():
    """List the plans in scope with filters, by filing deadline."""
    filters = queries.PlanFilters.from_args(request.args)
    today = china_today()
    stmt = queries.plan_list_query(current_user, filters, today)
    page = db.paginate(stmt, page=filters.page, per_page=50, error_out=False)
    regions = region_choices(current_user, ["city", "county", "town"])
    return render_template("plans/list.html", page=page, filters=filters, regions=regions,
                           today=today)


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the filtered plan list as the filing register (预案备案登记台账), XLSX or CSV."""
    require_format(fmt)
    filters = queries.PlanFilters.from_args(request.args)
    plans = db.session.scalars(queries.plan_list_query(current_user, filters, china_today())).all()
    return export_response(fmt, _("Plan filing register"), _filing_register_headers(),
                           numbered(_filing_register_rows(plans)), _("Plan filing register"))


def _filing_register_headers() -> list[str]:
    """The columns of an office's 预案备案登记台账, in the current language."""
    return [_("No."), _("Unit"), _("Unified social credit code / school code"), _("Unit kind"),
            _("Region"), _("Region code"), _("Plan"), _("Category"), _("Hazard class"),
            _("Version"), _("Issue date"), _("Signer role"), _("Filing deadline"),
            _("Submitted on"), _("Filed on"), _("Filing number"), _("Filing state"),
            _("Last evaluation"), _("Conclusion")]


def _filing_register_rows(plans):
    latest = {}
    ids = [plan.id for plan in plans]
    for start in range(0, len(ids), 5000):
        for plan_id, evaluated_on, conclusion in db.session.execute(
                select(Evaluation.plan_id, Evaluation.evaluated_on, Evaluation.conclusion)
                .where(Evaluation.plan_id.in_(ids[start:start + 5000]))
                .order_by(Evaluation.evaluated_on, Evaluation.id)):
            latest[plan_id] = (evaluated_on, conclusion)
    for plan in plans:
        unit, v = plan.unit, plan.current_version
        evaluated_on, conclusion = latest.get(plan.id, (None, None))
        yield [unit.name, unit.identifier or "", str(UNIT_KINDS.get(unit.kind, unit.kind)),
               unit.region.name, unit.region.code, plan.title,
               str(PLAN_CATEGORIES.get(plan.category, plan.category)),
               str(HAZARD_CLASSES.get(plan.hazard_class, plan.hazard_class)),
               v.number if v else None, v.issued_on if v else None,
               str(SIGNER_ROLES.get(v.signer_role, v.signer_role)) if v else "",
               v.filing_due_on if v else None, v.submitted_on if v else None,
               v.filed_on if v else None, (v.filing_number or "") if v else "",
               str(FILING_STATES.get(v.filing_state, v.filing_state)) if v else "",
               evaluated_on, str(EVALUATION_CONCLUSIONS.get(conclusion, "")) if conclusion else ""]


def _parent_choices(form, unit: Unit, plan: Plan | None = None) -> None:
    candidates = db.session.scalars(services.parent_candidates(unit)).all()
    form.parent_id.choices = [("", "—")] + [
        (p.id, f"{p.title}（{p.unit.name}）") for p in candidates if plan is None or p.id != plan.id]


@bp.route("/new/<int:unit_id>", methods=["GET", "POST"])
@login_required
def add(unit_id: int):
    """Register a plan with its first version, and optionally its first document."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    require_manage(unit.id)
    form = NewPlanForm()
    _parent_choices(form, unit)
    if form.validate_on_submit():
        try:
            plan = services.create_plan(unit, form.plan_data(), form.version_data(), current_user,
                                        china_today(), load_calendar())
            saved = _save_first_document(form, plan)
        except ProblemsError as error:
            db.session.rollback()
            apply_problems(form, error.problems)
        except RejectedFile as error:
            db.session.rollback()
            form.document.errors = [rejection_message(error)]
        else:
            return _commit_new_plan(plan, saved)
    status = 400 if form.is_submitted() else 200
    return render_template("plans/add.html", form=form, unit=unit), status


def _save_first_document(form: NewPlanForm, plan: Plan) -> list:
    upload = form.document.data
    if not upload or not getattr(upload, "filename", ""):
        return []
    owner = Owner(unit_id=plan.unit_id, plan_version_id=plan.current_version_id)
    return [save_upload(upload, owner, form.doc_type.data, current_user, china_today())]


def _commit_new_plan(plan: Plan, saved: list):
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_files(saved)
        raise
    flash(_("The plan was registered. Upload its documents, then submit it for filing."), "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/<int:plan_id>")
@login_required
def detail(plan_id: int):
    """Show a plan: current version, checklist, deadline, documents and full history."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    return plan_page(plan)


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    """Edit a plan's own fields; a save based on an outdated version shows the conflict page."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    require_manage(plan.unit_id)
    form = PlanForm(obj=plan)
    _parent_choices(form, plan.unit, plan)
    if not form.is_submitted():
        form.version.data = plan.version
    if form.validate_on_submit():
        if str(plan.version) != (form.version.data or ""):
            return render_template("plans/conflict.html", plan=plan, form=form), 409
        try:
            services.update_plan(plan, form.plan_data())
            db.session.commit()
        except ProblemsError as error:
            db.session.rollback()
            apply_problems(form, error.problems)
        except StaleDataError:
            db.session.rollback()
            plan = db.session.get(Plan, plan_id)
            return render_template("plans/conflict.html", plan=plan, form=form), 409
        else:
            flash(_("The plan was saved."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    status = 400 if form.is_submitted() else 200
    return render_template("plans/edit.html", form=form, plan=plan), status


@bp.route("/<int:plan_id>/versions/add", methods=["GET", "POST"])
@login_required
def add_version(plan_id: int):
    """Add a new version (a revision) of a plan."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    require_manage(plan.unit_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            services.add_version(plan, form.version_data(), current_user, china_today(),
                                 load_calendar())
            db.session.commit()
        except ProblemsError as error:
            db.session.rollback()
            apply_problems(form, error.problems)
        else:
            flash(_("The new version was added. Upload its documents, then submit it."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    status = 400 if form.is_submitted() else 200
    return render_template("plans/version_add.html", form=form, plan=plan), status


@bp.route("/versions/<int:version_id>/documents", methods=["POST"])
@login_required
def upload_document(version_id: int):
    """Attach a document to a version that has not been submitted yet."""
    from emergency.plans.forms import DocumentForm

    version = get_scoped_or_404(PlanVersion, version_id, current_user)
    require_manage(version.unit_id)
    form = DocumentForm()
    if version.filing_state not in ("draft", "returned", "not_required"):
        flash(_("Documents can only be added before submission."), "danger")
        return plan_page(version.plan, status=409)
    if not form.validate_on_submit():
        return plan_page(version.plan, document_form=form, status=400)
    try:
        saved = save_upload(form.file.data, Owner(unit_id=version.unit_id, plan_version_id=version.id),
                            form.doc_type.data, current_user, china_today())
    except RejectedFile as error:
        db.session.rollback()
        form.file.errors = [rejection_message(error)]
        return plan_page(version.plan, document_form=form, status=400)
    _commit_new_plan_document(saved)
    return redirect(url_for("plans.detail", plan_id=version.plan_id))


def _commit_new_plan_document(saved) -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_files([saved])
        raise
    flash(_("The document was uploaded."), "success")
