"""The one place that decides which rows a user may see.

Lists, detail pages, downloads, exports, the API and (later) reminder recipients all call
these helpers; anything outside the user's scope is reported as 404, never 403, so that ids
of other units do not even confirm that they exist.
"""

from flask import abort
from sqlalchemy import false, or_, select, true

from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit


def _scope_region(user) -> Region | None:
    return db.session.get(Region, user.region_id) if user.region_id else None


def _regions_below(user):
    region = _scope_region(user)
    if region is None:
        return None
    return select(Region.id).where(Region.in_subtree(region.path)).scalar_subquery()


def unit_clause(user):
    """Return a condition on Unit selecting the units the user may see."""
    if not user.is_active:
        return false()
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.LIAISON:
        return Unit.id == user.unit_id if user.unit_id else false()
    below = _regions_below(user)
    return Unit.region_id.in_(below) if below is not None else false()


def region_clause(user):
    """Return a condition on Region selecting the regions the user may browse."""
    if not user.is_active:
        return false()
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.LIAISON:
        unit = db.session.get(Unit, user.unit_id) if user.unit_id else None
        return Region.id == unit.region_id if unit else false()
    region = _scope_region(user)
    return Region.in_subtree(region.path) if region else false()


def user_clause(user):
    """Return a condition on User selecting the accounts the user may see."""
    if not user.is_active:
        return false()
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.LIAISON or user.role == Role.VIEWER:
        return User.id == user.id
    below = _regions_below(user)
    if below is None:
        return User.id == user.id
    units = select(Unit.id).where(Unit.region_id.in_(below)).scalar_subquery()
    return or_(User.id == user.id, User.region_id.in_(below), User.unit_id.in_(units))


def scope_clause(model, user):
    """Return the visibility condition for any scoped model.

    Features with a unit_id column (plans, drills, documents...) are scoped through their unit.
    """
    if model is Unit:
        return unit_clause(user)
    if model is Region:
        return region_clause(user)
    if model is User:
        return user_clause(user)
    if hasattr(model, "unit_id"):
        return model.unit_id.in_(select(Unit.id).where(unit_clause(user)).scalar_subquery())
    raise TypeError(f"{model.__name__} has no scoping rule")


def scoped(model, user, stmt=None):
    """Return a SELECT of model restricted to what the user may see."""
    stmt = select(model) if stmt is None else stmt
    return stmt.where(scope_clause(model, user))


def get_scoped_or_404(model, object_id, user):
    """Load one object the user may see, or abort with 404."""
    obj = db.session.execute(
        scoped(model, user).where(model.id == object_id)
    ).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def is_visible(obj, user) -> bool:
    """Tell whether the user may see an already-loaded object."""
    model = type(obj)
    found = db.session.execute(
        select(model.id).where(model.id == obj.id, scope_clause(model, user))
    ).first()
    return found is not None
