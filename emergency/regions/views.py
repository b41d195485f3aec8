"""Browse the region tree within the user's scope."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from emergency.auth.models import Role
from emergency.auth.scoping import get_scoped_or_404, region_clause
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.regions.services import children_with_counts

bp = Blueprint("regions", __name__, url_prefix="/regions")


@bp.route("/", endpoint="index")
@login_required
def index():
    """Open the tree at the top of the user's scope."""
    if current_user.role == Role.LIAISON:
        abort(404)
    top = db.session.scalars(
        select(Region).where(region_clause(current_user)).order_by(Region.path).limit(1)
    ).first()
    if top is None:
        abort(404)
    return redirect(url_for("regions.detail", region_id=top.id))


@bp.route("/<int:region_id>")
@login_required
def detail(region_id: int):
    """Show a region, the path above it and its children with unit counts."""
    region = get_scoped_or_404(Region, region_id, current_user)
    codes = region.ancestor_codes[:-1]
    ancestors = db.session.scalars(
        select(Region).where(Region.code.in_(codes), region_clause(current_user)).order_by(Region.path)
    ).all() if codes else []
    children, counts = children_with_counts(region, current_user)
    return render_template("regions/detail.html", region=region, ancestors=ancestors,
                           children=children, counts=counts)
