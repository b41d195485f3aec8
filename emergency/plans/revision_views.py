"""Evaluation, revision-trigger and version-comparison pages of a plan."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.auth.scoping import get_scoped_or_404
from emergency.clock import china_today
from emergency.documents.diff import DiffUnavailable, docx_text_diff
from emergency.documents.messages import rejection_message
from emergency.documents.models import DocType, Document
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.extensions import db
from emergency.plans import revisions
from emergency.plans.forms import EvaluationForm, RevisionForm
from emergency.plans.models import Plan, PlanVersion
from emergency.plans.page import plan_page
from emergency.plans.views import apply_problems, bp, require_manage
from emergency.problems import ProblemsError


@bp.route("/<int:plan_id>/evaluations", methods=["POST"])
@login_required
def add_evaluation(plan_id: int):
    """Record an evaluation (评估) with an optional report."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    require_manage(plan.unit_id)
    form = EvaluationForm()
    if not form.validate_on_submit():
        return plan_page(plan, evaluation_form=form, status=400)
    saved = []
    try:
        evaluation = revisions.record_evaluation(plan, form.to_data(), current_user, china_today())
        if form.report.data and getattr(form.report.data, "filename", ""):
            owner = Owner(unit_id=plan.unit_id, evaluation_id=evaluation.id)
            saved.append(save_upload(form.report.data, owner, DocType.EVALUATION_REPORT,
                                     current_user, china_today()))
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return plan_page(plan, evaluation_form=form, status=400)
    except RejectedFile as error:
        db.session.rollback()
        form.report.errors = [rejection_message(error)]
        return plan_page(db.session.get(Plan, plan_id), evaluation_form=form, status=400)
    except Exception:
        db.session.rollback()
        discard_files(saved)
        raise
    flash(_("The evaluation was recorded."), "success")
    return redirect(url_for("plans.detail", plan_id=plan_id))


@bp.route("/<int:plan_id>/revisions", methods=["POST"])
@login_required
def add_revision(plan_id: int):
    """Open a revision item because something the plan depends on changed."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    require_manage(plan.unit_id)
    form = RevisionForm()
    if not form.validate_on_submit():
        return plan_page(plan, revision_form=form, status=400)
    try:
        revisions.raise_revision(plan, form.trigger.data, form.note.data, current_user, china_today())
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return plan_page(plan, revision_form=form, status=400)
    flash(_("A revision is now required for this plan."), "success")
    return redirect(url_for("plans.detail", plan_id=plan_id))


def _docx_of(version: PlanVersion) -> Document | None:
    return db.session.scalars(
        db.select(Document).where(Document.plan_version_id == version.id, Document.kind == "docx")
        .order_by(Document.doc_type != DocType.PLAN_TEXT, Document.doc_type != DocType.ISSUED_TEXT,
                  Document.id.desc())
    ).first()


@bp.route("/<int:plan_id>/diff")
@login_required
def diff(plan_id: int):
    """Compare the DOCX text of two versions of a plan."""
    plan = get_scoped_or_404(Plan, plan_id, current_user)
    numbers = [request.args.get(k, "") for k in ("from", "to")]
    if not all(n.isdigit() for n in numbers):
        abort(404)
    versions = [db.session.scalars(db.select(PlanVersion).where(
        PlanVersion.plan_id == plan.id, PlanVersion.number == int(n))).first() for n in numbers]
    if None in versions:
        abort(404)
    documents = [_docx_of(v) for v in versions]
    if None in documents:
        return render_template("plans/diff.html", plan=plan, versions=versions, lines=None,
                               message=_("Both versions need a DOCX document to compare.")), 404
    try:
        lines = docx_text_diff(*documents)
    except DiffUnavailable:
        lines, message = None, _("The DOCX text could not be read.")
    else:
        message = None
    return render_template("plans/diff.html", plan=plan, versions=versions, lines=lines,
                           message=message)
