"""Corrective action (整改项) steps on the drill page: add, close with evidence, verify, reopen."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.auth.scoping import get_scoped_or_404
from emergency.clock import china_today
from emergency.documents.messages import rejection_message
from emergency.documents.models import DocType
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.drills import actions
from emergency.drills.forms import ActionForm, CloseActionForm, ReopenForm
from emergency.drills.models import ActionStatus, CorrectiveAction, Drill, DrillStatus
from emergency.drills.views import bp, drill_page, problem_status, refuse_state
from emergency.extensions import db
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
