"""Login, logout, the user's own account page and API tokens."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from emergency.audit.services import record_event
from emergency.auth import services
from emergency.auth.forms import LoginForm, PasswordForm, PreferencesForm, TokenForm
from emergency.auth.models import ApiToken, User
from emergency.extensions import db

bp = Blueprint("auth", __name__)

PASSWORD_PROBLEMS = {
    "too_short": _l("The password must be at least 10 characters long."),
    "contains_username": _l("The password must not contain the username."),
    "too_simple": _l("The password is too simple."),
}


def configure_login(login_manager, app) -> None:
    """Set up Flask-Login with session ids that die when the session version changes."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)


def _load_user(session_id: str):
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an absolute or scheme-relative URL would be an open redirect.
    # Browsers drop tabs and newlines in URLs ("/\t/evil" means "//evil"), so no control characters.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        except services.AuthError as error:
            _flash_login_error(error, form.username.data)
            return render_template("auth/login.html", form=form), 401
        session.permanent = True
        login_user(user)
        record_event("login", user, user=user)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _flash_login_error(error: services.AuthError, username: str) -> None:
    # Commit although the login failed: the failure count must survive for the throttle.
    record_event("login_failed", label=username[:64], changes={"reason": error.code})
    db.session.commit()
    if error.code == "locked":
        flash(_("Too many failed attempts. Try again after %(time)s.",
                time=format_datetime(error.until, "short")), "danger")
    else:
        flash(_("Wrong username or password, or the account is disabled."), "danger")


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and return to the login page."""
    if current_user.is_authenticated:
        record_event("logout", current_user, user=current_user)
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """Show the user's own account: password, language and API tokens."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "auth/account.html", password_form=PasswordForm(), token_form=TokenForm(),
        preferences_form=PreferencesForm(locale=current_user.locale or ""), tokens=tokens,
    )


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change the user's password and end their other sessions."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _account_with_errors(password_form=form)
    if not check_password_hash(current_user.password_hash, form.current.data):
        form.current.errors.append(_("The current password is wrong."))
        return _account_with_errors(password_form=form)
    problem = services.password_problem(form.new.data, current_user.username)
    if problem:
        form.new.errors.append(PASSWORD_PROBLEMS[problem])
        return _account_with_errors(password_form=form)
    services.set_password(current_user, form.new.data)
    record_event("password_changed", current_user)
    db.session.commit()
    # This session carries the new session version; the others die. Pass the real object: with
    # the proxy, Flask-Login stores current_user as g._login_user and the next lookup recurses.
    login_user(current_user._get_current_object())
    flash(_("Your password was changed. Other sessions have been logged out."), "success")
    return redirect(url_for("auth.account"))


def _account_with_errors(**forms):
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)).all()
    forms.setdefault("password_form", PasswordForm())
    forms.setdefault("token_form", TokenForm())
    forms.setdefault("preferences_form", PreferencesForm(locale=current_user.locale or ""))
    return render_template("auth/account.html", tokens=tokens, **forms), 400


@bp.route("/account/preferences", methods=["POST"])
@login_required
def preferences():
    """Save the user's language preference."""
    form = PreferencesForm()
    if not form.validate_on_submit():
        return _account_with_errors(preferences_form=form)
    current_user.locale = form.locale.data or None
    db.session.commit()
    flash(_("Preferences saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language (kept on the account when logged in)."""
    if code not in ("zh", "en"):
        return redirect(url_for("main.index"))
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    """Create an API token and show its secret once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _account_with_errors(token_form=form)
    token, secret = services.create_token(current_user, form.name.data.strip())
    db.session.commit()
    return render_template("auth/token_created.html", token=token, secret=secret)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's own API tokens."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    ).scalar_one_or_none()
    if token is None:
        abort(404)
    services.revoke_token(token)
    db.session.commit()
    flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.account"))
