"""Drill pages: the annual drill plan, drill records, corrective actions, the shared calendar.

This module holds the annual plan and the drill record; corrective actions are in
action_views.py and the calendar and register in register_views.py, all on this blueprint.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.auth.scoping import get_scoped_or_404
from emergency.clock import china_today
from emergency.documents.messages import rejection_message
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.drills import queries, services
from emergency.drills.coverage import annual_coverage, periods_of
from emergency.drills.forms import (
    ActionForm,
    CancelForm,
    CloseActionForm,
    DrillDocumentForm,
    EditDrillForm,
    HeldForm,
    NewDrillForm,
    ReopenForm,
    RescheduleForm,
    ShiftForm,
)
from emergency.drills.models import Drill, DrillStatus
from emergency.extensions import db
from emergency.messages import problem_message
from emergency.plans.views import apply_problems, can_manage, require_manage
from emergency.problems import Problem, ProblemsError
from emergency.units.models import Unit

bp = Blueprint("drills", __name__, url_prefix="/drills")

#: Problems that mean "not possible in this state" (409) rather than bad input (400).
STATE_PROBLEMS = frozenset({"drill_not_planned", "drill_not_held", "action_not_open",
                            "action_not_closed"})


def problem_status(problems) -> int:
    return 409 if any(p.code in STATE_PROBLEMS for p in problems) else 400


def commit_or_discard(saved) -> None:
    """Commit; if that fails, delete the files stored for the rolled-back documents."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_files(saved)
        raise


def _year_arg(today) -> int:
    value = request.args.get("year") or ""
    if not value:
        return today.year
    if not value.isdigit() or len(value) != 4 or not (
            services.EARLIEST.year <= int(value) <= today.year + 3):
        abort(404)
    return int(value)


# --- the annual drill plan ---------------------------------------------------------------------

def unit_plan_page(unit: Unit, year: int, status: int = 200, **forms):
    """Render a unit's annual drill plan with its coverage, and the forms to change it."""
    today = china_today()
    drills = queries.year_drills(unit, year)
    coverage = annual_coverage(unit.id, year, today)
    satisfies = {d.id: periods_of(d, coverage) for d in drills if d.status != DrillStatus.CANCELLED}
    drill_form = forms.get("drill_form") or NewDrillForm(formdata=None)
    drill_form.set_plans(queries.unit_plans(unit))
    return render_template(
        "drills/unit.html", unit=unit, year=year, drills=drills, coverage=coverage,
        satisfies=satisfies, today=today, can_manage=can_manage(unit.id),
        years=range(max(services.EARLIEST.year, today.year - 3), today.year + 2),
        drill_form=drill_form, shift_form=forms.get("shift_form") or ShiftForm(formdata=None),
    ), status


@bp.route("/unit/<int:unit_id>")
@login_required
def unit_plan(unit_id: int):
    """Show a unit's annual drill plan (年度演练计划) and what it leaves uncovered."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    return unit_plan_page(unit, _year_arg(china_today()))


@bp.route("/unit/<int:unit_id>/drills", methods=["POST"])
@login_required
def plan_drill(unit_id: int):
    """Add a drill to the unit's annual plan."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    require_manage(unit.id)
    year = _year_arg(china_today())
    form = NewDrillForm()
    form.set_plans(queries.unit_plans(unit))
    if not form.validate_on_submit():
        return unit_plan_page(unit, year, drill_form=form, status=400)
    try:
        drill = services.plan_drill(unit, form.drill_data(), current_user, china_today())
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return unit_plan_page(unit, year, drill_form=form, status=problem_status(error.problems))
    flash(_("The drill was added to the annual plan."), "success")
    return redirect(url_for("drills.unit_plan", unit_id=unit.id, year=drill.planned_on.year))


@bp.route("/unit/<int:unit_id>/shift", methods=["POST"])
@login_required
def shift(unit_id: int):
    """Move every planned drill of the year's plan by a number of days, with a reason."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    require_manage(unit.id)
    year = _year_arg(china_today())
    form = ShiftForm()
    if not form.validate_on_submit():
        return unit_plan_page(unit, year, shift_form=form, status=400)
    try:
        moved = services.shift_year(unit, year, form.days.data, form.reason.data, current_user)
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return unit_plan_page(unit, year, shift_form=form, status=problem_status(error.problems))
    flash(_("%(n)s planned drills were moved.", n=moved), "success")
    return redirect(url_for("drills.unit_plan", unit_id=unit.id, year=year))


# --- one drill ---------------------------------------------------------------------------------

def drill_page(drill: Drill, status: int = 200, **forms):
    """Render a drill record with fresh forms unless the caller passes ones with errors."""
    unit = drill.unit
    record = queries.drill_record(drill)
    day = queries.drill_day(drill)
    satisfies = [] if drill.status == DrillStatus.CANCELLED else periods_of(
        drill, annual_coverage(unit.id, day.year, china_today()))
    edit_form = forms.get("edit_form")
    if edit_form is None:
        edit_form = EditDrillForm(formdata=None, obj=drill)
        edit_form.plan_ids.data = [p.id for p in drill.plans]
    edit_form.set_plans(queries.unit_plans(unit))
    held_form = forms.get("held_form")
    if held_form is None:
        held_form = HeldForm(formdata=None, obj=drill)
        if drill.held_on is None and drill.planned_on <= china_today():
            held_form.held_on.data = drill.planned_on
    return render_template(
        "drills/detail.html", drill=drill, unit=unit, **record, satisfies=satisfies,
        today=china_today(), can_manage=can_manage(unit.id), is_office=current_user.can_edit,
        is_school=queries.is_school(unit),
        must_report=queries.must_report(unit) or drill.reported_on is not None,
        edit_form=edit_form, held_form=held_form,
        reschedule_form=forms.get("reschedule_form") or RescheduleForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        document_form=forms.get("document_form") or DrillDocumentForm(formdata=None),
        action_form=forms.get("action_form") or ActionForm(formdata=None),
        close_forms=forms.get("close_forms") or {}, reopen_forms=forms.get("reopen_forms") or {},
        blank_close_form=CloseActionForm(formdata=None),
        blank_reopen_form=ReopenForm(formdata=None),
    ), status


def refuse_state(drill: Drill, code: str):
    """Answer 409 with the drill page and the reason the step is not possible now."""
    flash(problem_message(Problem("", code)), "danger")
    return drill_page(drill, status=409)


def _redirect(drill_id: int):
    return redirect(url_for("drills.detail", drill_id=drill_id))


@bp.route("/<int:drill_id>")
@login_required
def detail(drill_id: int):
    """Show a drill: its record, documents with the missing checklist, changes, actions."""
    drill = get_scoped_or_404(Drill, drill_id, current_user)
    return drill_page(drill)


def _managed_drill(drill_id: int) -> Drill:
    drill = get_scoped_or_404(Drill, drill_id, current_user)
    require_manage(drill.unit_id)
    return drill


def _run(drill_id: int, form, form_name: str, action, message: str):
    """Run a service step on a drill for a validated form, committing once; 4xx on problems."""
    try:
        action()
        db.session.commit()
    except ProblemsError as error:
        db.session.rollback()
        apply_problems(form, error.problems)
        return drill_page(db.session.get(Drill, drill_id), status=problem_status(error.problems),
                          **{form_name: form})
    flash(message, "success")
    return _redirect(drill_id)


@bp.route("/<int:drill_id>/edit", methods=["POST"])
@login_required
def edit(drill_id: int):
    """Change a drill's title, form, scope, purpose and plans."""
    drill = _managed_drill(drill_id)
    if drill.status == DrillStatus.CANCELLED:
        flash(_("A cancelled drill cannot be changed."), "danger")
        return drill_page(drill, status=409)
    form = EditDrillForm()
    form.set_plans(queries.unit_plans(drill.unit))
    if not form.validate_on_submit():
        return drill_page(drill, edit_form=form, status=400)
    return _run(drill_id, form, "edit_form",
                lambda: services.update_drill(drill, form.drill_data(), china_today()),
                _("The drill was saved."))


@bp.route("/<int:drill_id>/reschedule", methods=["POST"])
@login_required
def reschedule(drill_id: int):
    """Move a planned drill to another day, with a reason."""
    drill = _managed_drill(drill_id)
    if drill.status != DrillStatus.PLANNED:
        return refuse_state(drill, "drill_not_planned")
    form = RescheduleForm()
    if not form.validate_on_submit():
        return drill_page(drill, reschedule_form=form, status=400)
    return _run(drill_id, form, "reschedule_form",
                lambda: services.reschedule(drill, form.new_date.data, form.reason.data,
                                            current_user, china_today()),
                _("The drill was rescheduled."))


@bp.route("/<int:drill_id>/cancel", methods=["POST"])
@login_required
def cancel(drill_id: int):
    """Cancel a planned drill, with a reason."""
    drill = _managed_drill(drill_id)
    if drill.status != DrillStatus.PLANNED:
        return refuse_state(drill, "drill_not_planned")
    form = CancelForm()
    if not form.validate_on_submit():
        return drill_page(drill, cancel_form=form, status=400)
    return _run(drill_id, form, "cancel_form",
                lambda: services.cancel(drill, form.reason.data, current_user),
                _("The drill was cancelled."))


@bp.route("/<int:drill_id>/held", methods=["POST"])
@login_required
def held(drill_id: int):
    """Record (or correct) that a drill was held: date, duration, participants, times."""
    drill = _managed_drill(drill_id)
    if drill.status == DrillStatus.CANCELLED:
        return refuse_state(drill, "drill_not_planned")
    form = HeldForm()
    if not form.validate_on_submit():
        return drill_page(drill, held_form=form, status=400)
    return _run(drill_id, form, "held_form",
                lambda: services.record_held(drill, form.held_data(), current_user, china_today()),
                _("The drill record was saved."))


@bp.route("/<int:drill_id>/documents", methods=["POST"])
@login_required
def upload_document(drill_id: int):
    """Attach a document (方案, 脚本, 评估报告, 总结报告, photos, sign-in sheet) to a drill."""
    drill = _managed_drill(drill_id)
    if drill.status == DrillStatus.CANCELLED:
        flash(_("Documents cannot be added to a cancelled drill."), "danger")
        return drill_page(drill, status=409)
    form = DrillDocumentForm()
    if not form.validate_on_submit():
        return drill_page(drill, document_form=form, status=400)
    try:
        saved = save_upload(form.file.data, Owner(unit_id=drill.unit_id, drill_id=drill.id),
                            form.doc_type.data, current_user, china_today())
    except RejectedFile as error:
        db.session.rollback()
        form.file.errors = [rejection_message(error)]
        return drill_page(db.session.get(Drill, drill_id), document_form=form, status=400)
    commit_or_discard([saved])
    flash(_("The document was uploaded."), "success")
    return _redirect(drill_id)

