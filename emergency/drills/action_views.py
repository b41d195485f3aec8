"""Corrective action (整改项) steps on the drill page: add, close with evidence, verify, reopen."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.auth.scoping import get_scoped_or_404, scoped
from emergency.clock import china_today
from emergency.documents.messages import rejection_message
from emergency.documents.models import DocType
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.drills import actions, queries
from emergency.drills.forms import ActionForm, CloseActionForm, ReopenForm
from emergency.drills.models import ActionStatus, CorrectiveAction, Drill, DrillStatus
from emergency.drills.views import bp, drill_page, problem_status, refuse_state
from emergency.exports import export_response, numbered, require_format
from emergency.extensions import db
from emergency.labels import ACTION_STATUSES
from emergency.units.models import Unit
from emergency.plans.views import apply_problems, require_manage
from emergency.problems import ProblemsError


def _back(action: CorrectiveAction):
    return redirect(url_for("drills.detail", drill_id=action.drill_id) + f"#action-{action.id}")


def _scoped_action(action_id: int) -> CorrectiveAction:
    """Load a corrective action of a drill in the user's scope, or 404."""
    action = get_scoped_or_404(CorrectiveAction, action_id, current_user)
    if action.drill_id is None:
        abort(404)
    return action


def _page_of(action_id: int, status: int, **forms):
    action = db.session.get(CorrectiveAction, action_id)
    return drill_page(action.drill, status=status, **forms)


@bp.route("/<int:drill_id>/actions", methods=["POST"])
@login_required
def add_action(drill_id: int):
    """Turn a finding of a held drill into a corrective action with owner and due date."""
    drill = get_scoped_or_404(Drill, drill_id, current_user)
    require_manage(drill.unit_id)
    if drill.status != DrillStatus.HELD:
        return refuse_state(drill, "drill_not_held")
    form = ActionForm()
    if not form.validate_on_submit():
        return drill_page(drill, action_form=form, status=400)
    try:
        actions.add_action(drill, form.action_data(), current_user, china_today())
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return drill_page(db.session.get(Drill, drill_id), action_form=form,
                          status=problem_status(error.problems))
    flash(_("The corrective action was added."), "success")
    return redirect(url_for("drills.detail", drill_id=drill_id))


@bp.route("/actions/<int:action_id>/close", methods=["POST"])
@login_required
def close_action(action_id: int):
    """Close an action with evidence uploaded in the same form (or uploaded before)."""
    action = _scoped_action(action_id)
    require_manage(action.unit_id)
    if action.status != ActionStatus.OPEN:
        return refuse_state(action.drill, "action_not_open")
    form = CloseActionForm()
    if not form.validate_on_submit():
        return drill_page(action.drill, close_forms={action.id: form}, status=400)
    saved = []
    try:
        upload = form.evidence.data
        if upload and getattr(upload, "filename", ""):
            owner = Owner(unit_id=action.unit_id, action_id=action.id)
            saved.append(save_upload(upload, owner, DocType.ACTION_EVIDENCE, current_user,
                                     china_today()))
        actions.close_action(action, form.note.data, current_user, china_today())
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        discard_files(saved)
        apply_problems(form, error.problems)
        return _page_of(action_id, problem_status(error.problems), close_forms={action_id: form})
    except RejectedFile as error:
        db.session.rollback()
        discard_files(saved)
        form.evidence.errors = [rejection_message(error)]
        return _page_of(action_id, 400, close_forms={action_id: form})
    except Exception:
        db.session.rollback()
        discard_files(saved)
        raise
    flash(_("The corrective action was closed. The office will verify it."), "success")
    return _back(action)


def _office_step(action_id: int) -> CorrectiveAction:
    action = _scoped_action(action_id)
    if not current_user.can_edit:
        abort(403)
    return action


@bp.route("/actions/<int:action_id>/verify", methods=["POST"])
@login_required
def verify_action(action_id: int):
    """Confirm a closed action (office staff)."""
    action = _office_step(action_id)
    if action.status != ActionStatus.CLOSED:
        return refuse_state(action.drill, "action_not_closed")
    try:
        actions.verify_action(action, current_user, china_today())
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(None, error.problems)
        return _page_of(action_id, problem_status(error.problems))
    flash(_("The corrective action was verified."), "success")
    return _back(action)


@bp.route("/actions/<int:action_id>/reopen", methods=["POST"])
@login_required
def reopen_action(action_id: int):
    """Send a closed action back to the unit with a comment (office staff)."""
    action = _office_step(action_id)
    if action.status != ActionStatus.CLOSED:
        return refuse_state(action.drill, "action_not_closed")
    form = ReopenForm()
    if not form.validate_on_submit():
        return drill_page(action.drill, reopen_forms={action.id: form}, status=400)
    try:
        actions.reopen_action(action, form.comment.data, current_user)
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return _page_of(action_id, problem_status(error.problems), reopen_forms={action_id: form})
    flash(_("The corrective action was sent back to the unit."), "success")
    return _back(action)


@bp.route("/actions/export.<fmt>")
@login_required
def export_actions(fmt: str):
    """Download the corrective actions of the drills listed with the current filters
    (region, unit kind, form, period; ?action_status=open|closed|verified narrows them)."""
    require_format(fmt)
    filters = queries.DrillFilters.from_args(request.args)
    drill_ids = queries._filtered(current_user, filters, china_today()).with_only_columns(Drill.id)
    stmt = (scoped(CorrectiveAction, current_user).join(CorrectiveAction.drill).join(Drill.unit)
            .where(CorrectiveAction.drill_id.in_(drill_ids))
            .order_by(CorrectiveAction.due_on, Unit.name, CorrectiveAction.id))
    status = request.args.get("action_status") or ""
    if status in set(ActionStatus):
        stmt = stmt.where(CorrectiveAction.status == status)
    found = db.session.scalars(stmt).all()
    headers = [_("No."), _("Unit"), _("Unified social credit code / school code"), _("Region"),
               _("Drill"), _("Date held"), _("Corrective action"), _("Description"), _("Owner"),
               _("Due date"), _("Status"), _("Closed on"), _("Closing note"), _("Verified on")]
    rows = ([a.drill.unit.name, a.drill.unit.identifier or "", a.drill.unit.region.name,
             a.drill.title, a.drill.held_on, a.title, a.description or "", a.owner, a.due_on,
             str(ACTION_STATUSES.get(a.status, a.status)), a.closed_on, a.closing_note or "",
             a.verified_on] for a in found)
    return export_response(fmt, _("Corrective actions"), headers, numbered(rows),
                           _("Corrective actions"))
