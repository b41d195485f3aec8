"""Checks and changes for accounts managed by administrators and office staff."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from emergency.auth.models import Role, User
from emergency.auth.scoping import region_clause, unit_clause
from emergency.auth.services import UserData, create_user
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def normalise_email(address: str) -> str | None:
    """Return the normalised address, or None when it cannot receive mail."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def check_user(data: UserData, actor: User, existing: User | None = None) -> list[tuple[str, str]]:
    """Return (field, message) pairs for everything wrong with the account data."""
    problems = []
    if not data.username or not set(data.username) <= USERNAME_CHARS:
        problems.append(("username", _("Use letters, digits, dots, dashes and underscores only.")))
    else:
        other = db.session.scalar(select(User).where(User.username == data.username))
        if other is not None and other is not existing:
            problems.append(("username", _("This username is taken.")))
    if not data.display_name.strip():
        problems.append(("display_name", _("This field is required.")))
    if normalise_email(data.email) is None:
        problems.append(("email", _("This is not a valid e-mail address.")))
    problems += _scope_problems(data, actor)
    return problems


def _scope_problems(data: UserData, actor: User) -> list[tuple[str, str]]:
    if data.role not in set(Role):
        return [("role", _("Unknown role."))]
    if actor.role != Role.ADMIN and data.role != Role.LIAISON:
        return [("role", _("Office staff can only manage liaison accounts."))]
    if data.role in (Role.OFFICE, Role.VIEWER):
        found = data.region_id and db.session.scalar(
            select(Region.id).where(Region.id == data.region_id, region_clause(actor)))
        return [] if found else [("region_id", _("Choose a region within your scope."))]
    if data.role == Role.LIAISON:
        found = data.unit_id and db.session.scalar(
            select(Unit.id).where(Unit.id == data.unit_id, unit_clause(actor)))
        return [] if found else [("unit_id", _("Choose a unit within your scope."))]
    return []


def add_liaison(unit: Unit, form, password: str) -> list[tuple[str, str]]:
    """Create a liaison account for a unit from the liaison form; return problems if any."""
    from flask_login import current_user

    data = UserData(username=(form.username.data or "").strip(), display_name=form.display_name.data,
                    email=form.email.data or "", role=Role.LIAISON, unit_id=unit.id,
                    phone=form.phone.data)
    problems = check_user(data, current_user)
    if not problems:
        data.email = normalise_email(data.email)
        create_user(data, password)
    return problems
