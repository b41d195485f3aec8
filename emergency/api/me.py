"""GET /api/v1/me: the account behind the token."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from emergency.api.common import api_user, errors

blp = Blueprint("api_me", __name__, url_prefix="/api/v1/me", description="The current user")


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String()
    role = fields.String()
    region_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    locale = fields.String(allow_none=True)


@blp.route("")
@errors(blp)
@blp.response(200, MeSchema)
def me():
    """Return the user who owns the API token."""
    return api_user()
