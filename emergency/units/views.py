"""Unit pages: list with filters and export, detail, add, edit, delete, liaisons."""

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from emergency.auth.models import Role, User
from emergency.auth.scoping import get_scoped_or_404
from emergency.exports import export_response
from emergency.extensions import db
from emergency.regions.services import region_choices
from emergency.units import queries, services
from emergency.units.forms import LiaisonForm, UnitFilterForm, UnitForm
from emergency.messages import problem_message
from emergency.units.models import Unit
from emergency.users.services import add_liaison

bp = Blueprint("units", __name__, url_prefix="/units")


def _require_editor() -> None:
    if not current_user.can_edit:
        abort(403)


def _filter_form() -> UnitFilterForm:
    form = UnitFilterForm(request.args)
    form.region.choices = [("", _("All regions"))] + region_choices(
        current_user, services.UNIT_REGION_LEVELS - {"village"})
    return form


@bp.route("/", endpoint="list")
@login_required
def list_units():
    """List the units in the user's scope with filters, sorting and paging."""
    form = _filter_form()
    filters = queries.UnitFilters.from_args(request.args)
    stmt = queries.unit_list_query(current_user, filters)
    page = db.paginate(stmt, page=filters.page, per_page=50, error_out=False)
    return render_template("units/list.html", form=form, page=page, filters=filters)


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the filtered unit list as XLSX or CSV."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    filters = queries.UnitFilters.from_args(request.args)
    units = db.session.scalars(queries.unit_list_query(current_user, filters)).all()
    headers, rows = queries.export_rows(units)
    return export_response(fmt, _("Units"), headers, rows, sheet_title=_("Units"))


@bp.route("/<int:unit_id>")
@login_required
def detail(unit_id: int):
    """Show one unit and its liaisons."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    return _detail_page(unit, LiaisonForm())


def _detail_page(unit: Unit, liaison_form: LiaisonForm, status: int = 200):
    liaisons = db.session.scalars(
        select(User).where(User.unit_id == unit.id, User.role == Role.LIAISON).order_by(User.username)
    ).all()
    from emergency.plans.models import Plan
    from emergency.plans.views import can_manage

    plans = db.session.scalars(select(Plan).where(Plan.unit_id == unit.id, Plan.is_archived.is_(False))
                               .order_by(Plan.title)).all()
    return render_template("units/detail.html", unit=unit, liaisons=liaisons, plans=plans,
                           can_manage_plans=can_manage(unit.id), liaison_form=liaison_form), status


def _unit_form(**kwargs) -> UnitForm:
    form = UnitForm(**kwargs)
    form.region_id.choices = region_choices(current_user, services.UNIT_REGION_LEVELS)
    return form


def _save_problems(form: UnitForm, problems) -> None:
    for problem in problems:
        getattr(form, problem.field).errors.append(problem_message(problem, html=True))


@bp.route("/add", methods=["GET", "POST"])
@login_required
def add():
    """Register a new unit in the user's scope."""
    _require_editor()
    form = _unit_form()
    if form.validate_on_submit():
        data = services.clean(form.to_data())
        problems = services.check_unit(data, current_user)
        if not problems:
            unit = services.create_unit(data)
            db.session.commit()
            flash(_("The unit was registered."), "success")
            return redirect(url_for("units.detail", unit_id=unit.id))
        _save_problems(form, problems)
    status = 400 if form.is_submitted() else 200
    return render_template("units/edit.html", form=form, unit=None), status


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: int):
    """Edit a unit; a save based on an outdated version shows the conflict page."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    _require_editor()
    form = _unit_form(obj=unit, data={"risk_tags": sorted(unit.risk_tags),
                                      "assessment_class": str(unit.assessment_class or "")})
    if not form.is_submitted():
        form.version.data = unit.version
    if form.validate_on_submit():
        if str(unit.version) != (form.version.data or ""):
            return _conflict(unit, form)
        data = services.clean(form.to_data())
        problems = services.check_unit(data, current_user, existing=unit)
        if not problems:
            return _commit_edit(unit, data, form)
        _save_problems(form, problems)
    status = 400 if form.is_submitted() else 200
    return render_template("units/edit.html", form=form, unit=unit), status


def _commit_edit(unit: Unit, data, form: UnitForm):
    try:
        services.update_unit(unit, data)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _conflict(db.session.get(Unit, unit.id), form)
    flash(_("The unit was saved."), "success")
    return redirect(url_for("units.detail", unit_id=unit.id))


def _conflict(unit: Unit, form: UnitForm):
    return render_template("units/conflict.html", unit=unit, form=form), 409


@bp.route("/<int:unit_id>/delete", methods=["POST"])
@login_required
def delete(unit_id: int):
    """Delete a unit that nothing depends on yet."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    _require_editor()
    if db.session.scalar(select(User.id).where(User.unit_id == unit.id).limit(1)):
        flash(_("The unit still has liaison accounts. Move or delete them first, or deactivate the unit."),
              "danger")
        return _detail_page(unit, LiaisonForm(), 409)
    db.session.delete(unit)
    db.session.commit()
    flash(_("The unit was deleted."), "success")
    return redirect(url_for("units.list"))


@bp.route("/<int:unit_id>/liaisons", methods=["POST"])
@login_required
def add_liaison_view(unit_id: int):
    """Create a liaison account for the unit and show its first password once."""
    unit = get_scoped_or_404(Unit, unit_id, current_user)
    _require_editor()
    form = LiaisonForm()
    if form.validate_on_submit():
        password = secrets.token_urlsafe(9)
        problems = add_liaison(unit, form, password)
        if not problems:
            db.session.commit()
            return render_template("units/liaison_created.html", unit=unit,
                                   username=form.username.data, password=password)
        for field, message in problems:
            getattr(form, field).errors.append(message)
    return _detail_page(unit, form, 400)
