"""Read-only region API."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from emergency.api.common import SelectPage, api_user, errors
from emergency.auth.scoping import get_scoped_or_404, scoped
from emergency.regions.models import Region, RegionLevel

blp = Blueprint("api_regions", __name__, url_prefix="/api/v1/regions",
                description="Administrative regions")


class RegionSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    path = fields.String()


class RegionQuerySchema(Schema):
    # Ids are 32-bit: a larger number is a 422 here, not an overflow in the database driver.
    parent_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    level = fields.String(validate=validate.OneOf([lvl.value for lvl in RegionLevel]))
    code = fields.String(validate=validate.Length(max=12))


@blp.route("")
@errors(blp)
@blp.arguments(RegionQuerySchema, location="query")
@blp.response(200, RegionSchema(many=True))
@blp.paginate(SelectPage)
def list_regions(args):
    """List the regions in the caller's scope."""
    stmt = scoped(Region, api_user()).order_by(Region.path)
    if "parent_id" in args:
        stmt = stmt.where(Region.parent_id == args["parent_id"])
    if "level" in args:
        stmt = stmt.where(Region.level == args["level"])
    if "code" in args:
        stmt = stmt.where(Region.code == args["code"])
    return stmt


@blp.route("/<int:region_id>")
@errors(blp, 404)
@blp.response(200, RegionSchema)
def get_region(region_id: int):
    """Return one region in the caller's scope."""
    return get_scoped_or_404(Region, region_id, api_user())
