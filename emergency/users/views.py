"""Account management pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from emergency.audit.services import record_event
from emergency.auth import services as auth_services
from emergency.auth.models import Role, User
from emergency.auth.scoping import get_scoped_or_404, scoped
from emergency.exports import export_response, require_format
from emergency.extensions import db
from emergency.labels import ROLES
from emergency.regions.services import region_choices
from emergency.units.models import Unit
from emergency.users.forms import UserFilterForm, UserForm
from emergency.users.services import check_user, normalise_email

bp = Blueprint("users", __name__, url_prefix="/users")


def _require_manager() -> None:
    if not current_user.can_edit:
        abort(403)


@bp.route("/", endpoint="list")
@login_required
def list_users():
    """List the accounts the user may manage."""
    _require_manager()
    form = UserFilterForm(request.args)
    page = db.paginate(_user_query(), per_page=50, error_out=False)
    return render_template("users/list.html", page=page, form=form)


def _user_query():
    """The accounts in scope with the list's filters (search text, role), as listed."""
    stmt = scoped(User, current_user).order_by(User.role, User.username)
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        stmt = stmt.where(or_(User.username.contains(q), User.display_name.contains(q)))
    if request.args.get("role"):
        stmt = stmt.where(User.role == request.args["role"])
    return stmt


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download the filtered account list, XLSX or CSV (no secrets: no hashes, no tokens)."""
    require_format(fmt)
    _require_manager()
    users = db.session.scalars(_user_query()).all()
    headers = [_("Username"), _("Name"), _("Role"), _("Scope"), _("E-mail"), _("Phone"),
               _("Last login"), _("Status")]
    rows = ([u.username, u.display_name, str(ROLES.get(u.role, u.role)),
             u.unit.name if u.unit else (u.region.name if u.region else _("Everything")),
             u.email, u.phone or "", u.last_login_at,
             _("Active") if u.is_active else _("Disabled")] for u in users)
    return export_response(fmt, _("Accounts"), headers, rows, _("Accounts"))


def _user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.region_id.choices = [("", "—")] + region_choices(
        current_user, ["province", "city", "county", "town"])
    units = db.session.execute(scoped(Unit, current_user, select(Unit.id, Unit.name)).order_by(Unit.name))
    form.unit_id.choices = [("", "—")] + [(u.id, u.name) for u in units]
    if not current_user.is_admin:
        form.role.choices = [c for c in form.role.choices if c.value == Role.LIAISON]
    return form


def _apply_problems(form: UserForm, problems) -> None:
    for field, message in problems:
        getattr(form, field).errors.append(message)


@bp.route("/add", methods=["GET", "POST"])
@login_required
def add():
    """Create an account."""
    _require_manager()
    form = _user_form()
    if form.validate_on_submit():
        data = form.to_data()
        problems = check_user(data, current_user)
        password_problem = auth_services.password_problem(form.password.data or "", data.username)
        if password_problem:
            problems.append(("password", _("Set a password of at least 10 characters that does not contain the username.")))
        if not problems:
            data.email = normalise_email(data.email)
            user = auth_services.create_user(data, form.password.data)
            db.session.commit()
            flash(_("The account was created."), "success")
            return redirect(url_for("users.edit", user_id=user.id))
        _apply_problems(form, problems)
    return render_template("users/edit.html", form=form, user=None), 400 if form.is_submitted() else 200


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    """Edit an account; changing role, scope or activation logs the person out everywhere."""
    user = get_scoped_or_404(User, user_id, current_user)
    _require_manager()
    if not current_user.is_admin and user.role != Role.LIAISON:
        abort(404)
    form = _user_form(obj=user)
    if form.validate_on_submit():
        data = form.to_data()
        problems = check_user(data, current_user, existing=user)
        if form.password.data and auth_services.password_problem(form.password.data, data.username):
            problems.append(("password", _("Set a password of at least 10 characters that does not contain the username.")))
        if not problems:
            data.email = normalise_email(data.email)
            auth_services.update_user(user, data)
            if form.password.data:
                auth_services.set_password(user, form.password.data)
            db.session.commit()
            flash(_("The account was saved."), "success")
            return redirect(url_for("users.edit", user_id=user.id))
        _apply_problems(form, problems)
    return render_template("users/edit.html", form=form, user=user), 400 if form.is_submitted() else 200


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    """Clear an account's failed logins so it can log in at once."""
    user = get_scoped_or_404(User, user_id, current_user)
    _require_manager()
    if not current_user.is_admin and user.role != Role.LIAISON:
        abort(403)
    auth_services.unlock(user.username)
    record_event("unlock", user)
    db.session.commit()
    flash(_("The account was unlocked."), "success")
    return redirect(url_for("users.edit", user_id=user.id))
