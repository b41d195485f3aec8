"""Account services: passwords, login throttling, session revocation and API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from emergency.auth.models import ApiToken, LoginFailure, Role, User
from emergency.database import utcnow
from emergency.extensions import db

MIN_PASSWORD_LENGTH = 10


class AuthError(Exception):
    """A refused login or account change; `code` is translated by the view."""

    def __init__(self, code: str, until: datetime | None = None):
        super().__init__(code)
        self.code = code
        self.until = until


def hash_password(password: str) -> str:
    """Hash a password with the configured scrypt parameters."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_problem(password: str, username: str = "") -> str | None:
    """Return a code naming why a new password is too weak, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if username and username.lower() in password.lower():
        return "contains_username"
    if len(set(password)) < 4:
        return "too_simple"
    return None


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing session of the user."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Invalidate all sessions of the user (their ids carry the session version)."""
    user.session_version = (user.session_version or 1) + 1


def _lock_until(username: str, ip: str) -> datetime | None:
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    since = utcnow() - window
    by_user = select(func.count(), func.max(LoginFailure.at)).where(
        LoginFailure.username == username, LoginFailure.at >= since)
    count, last = db.session.execute(by_user).one()
    if count >= cfg["LOGIN_MAX_FAILURES"]:
        return last + window
    by_ip = select(func.count(), func.max(LoginFailure.at)).where(
        LoginFailure.ip == ip, LoginFailure.at >= since)
    count, last = db.session.execute(by_ip).one()
    if count >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
        return last + window
    return None


def _dummy_hash() -> str:
    cached = current_app.extensions.get("emergency_dummy_hash")
    if cached is None:
        cached = current_app.extensions["emergency_dummy_hash"] = hash_password(secrets.token_hex(16))
    return cached


def authenticate(username: str, password: str, ip: str) -> User:
    """Return the user for valid credentials or raise AuthError.

    Failures are rows in the database, so the limit holds for the total across all worker
    processes; while locked even the right password is refused.
    """
    username = username.strip()
    until = _lock_until(username, ip)
    if until is not None:
        raise AuthError("locked", until)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Hash even for unknown names, so the response time does not reveal which usernames exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password) or user is None:
        db.session.add(LoginFailure(username=username[:64], ip=ip))
        raise AuthError("invalid")
    if not user.is_active:
        raise AuthError("inactive")
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = utcnow()
    return user


def unlock(username: str) -> None:
    """Forget the failed logins of an account so it can log in again at once."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token and return it with its secret, which is never stored."""
    secret = "em_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_hash_token(secret), prefix=secret[:10])
    db.session.add(token)
    db.session.flush()
    return token, secret


def user_for_token(secret: str) -> User | None:
    """Return the active user owning an unrevoked token, or None."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(secret))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token.user


def revoke_token(token: ApiToken) -> None:
    """Revoke a token; requests with it get 401 from now on."""
    token.revoked_at = utcnow()


@dataclass
class UserData:
    """Fields of an account as entered by an administrator or an office user."""

    username: str
    display_name: str
    email: str
    role: str
    region_id: int | None = None
    unit_id: int | None = None
    phone: str | None = None
    is_active: bool = True
    locale: str | None = None


def create_user(data: UserData, password: str) -> User:
    """Create an account; the caller has checked scope and uniqueness."""
    user = User(password_hash=hash_password(password))
    _apply(user, data)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, data: UserData) -> None:
    """Change an account; a changed role, scope or activation ends its sessions."""
    scope_before = (user.role, user.region_id, user.unit_id, user.is_active)
    _apply(user, data)
    if scope_before != (user.role, user.region_id, user.unit_id, user.is_active):
        end_sessions(user)


def _apply(user: User, data: UserData) -> None:
    user.username = data.username
    user.display_name = data.display_name
    user.email = data.email
    user.phone = data.phone or None
    user.role = data.role
    user.region_id = data.region_id if data.role in (Role.OFFICE, Role.VIEWER) else None
    user.unit_id = data.unit_id if data.role == Role.LIAISON else None
    user.is_active = data.is_active
    user.locale = data.locale or None
