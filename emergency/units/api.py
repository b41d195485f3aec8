"""Unit API: the same checks and scoping as the web pages."""

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from emergency.api.common import (
    JsonBoolean,
    SelectPage,
    abort_with_field_errors,
    api_user,
    errors,
)
from emergency.auth.models import User
from emergency.auth.scoping import get_scoped_or_404
from emergency.extensions import db
from emergency.messages import problem_message
from emergency.units import queries, services
from emergency.units.models import RiskTag, Unit, UnitKind

blp = Blueprint("api_units", __name__, url_prefix="/api/v1/units", description="Units")

KINDS = [kind.value for kind in UnitKind]
TAGS = [tag.value for tag in RiskTag]


class UnitSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    region_code = fields.Function(lambda unit: unit.region.code, dump_only=True)
    identifier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    risk_tags = fields.Function(
        lambda unit: sorted(unit.risk_tags),
        deserialize=lambda value: value,
        load_default=list,
        metadata={"type": "array", "items": {"type": "string", "enum": TAGS}},
    )
    assessment_class = fields.Integer(allow_none=True, load_default=None,
                                      validate=validate.OneOf([1, 2, 3]))
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    phone = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=30))
    is_active = JsonBoolean(load_default=True)
    version = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class UnitPatchSchema(UnitSchema):
    """Partial update; `version` must be the version the client last read."""

    version = fields.Integer(required=True, validate=validate.Range(min=1))


#: Every field may be left out of a PATCH except `version` (a missing one is a 422, not a 409).
PATCHABLE = tuple(name for name in UnitPatchSchema().load_fields if name != "version")


class UnitQuerySchema(Schema):
    q = fields.String(validate=validate.Length(max=100))
    kind = fields.String(validate=validate.OneOf(KINDS))
    region = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    tag = fields.String(validate=validate.OneOf(TAGS))
    sort = fields.String(validate=validate.OneOf(list(queries.SORTS)))


def _check_tags(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        abort_with_field_errors([("risk_tags", _("A list of risk tags is expected."))],
                                _("The unit could not be saved."))
    return value


def _save_or_422(data: services.UnitData, existing: Unit | None = None) -> None:
    problems = services.check_unit(data, api_user(), existing)
    if problems:
        abort_with_field_errors([(p.field, problem_message(p)) for p in problems],
                                _("The unit could not be saved."))


@blp.route("")
@errors(blp)
@blp.arguments(UnitQuerySchema, location="query")
@blp.response(200, UnitSchema(many=True))
@blp.paginate(SelectPage)
def list_units(args):
    """List the units in the caller's scope."""
    filters = queries.UnitFilters.from_args({k: str(v) for k, v in args.items()})
    return queries.unit_list_query(api_user(), filters)


@blp.route("", methods=["POST"])
@errors(blp, 403)
@blp.arguments(UnitSchema)
@blp.response(201, UnitSchema)
def create_unit(body):
    """Register a unit in the caller's scope."""
    if not api_user().can_edit:
        abort(403, message=_("You do not have permission to do this."))
    data = services.clean(services.UnitData(**{**body, "risk_tags": set(_check_tags(body["risk_tags"]))}))
    _save_or_422(data)
    unit = services.create_unit(data)
    db.session.commit()
    return unit


@blp.route("/<int:unit_id>")
@errors(blp, 404)
@blp.response(200, UnitSchema)
def get_unit(unit_id: int):
    """Return one unit in the caller's scope."""
    return get_scoped_or_404(Unit, unit_id, api_user())


@blp.route("/<int:unit_id>", methods=["PATCH"])
@errors(blp, 403, 404, 409)
@blp.arguments(UnitPatchSchema(partial=PATCHABLE))
@blp.response(200, UnitSchema)
def patch_unit(body, unit_id: int):
    """Change some fields of a unit; a stale `version` gives 409."""
    unit = get_scoped_or_404(Unit, unit_id, api_user())
    if not api_user().can_edit:
        abort(403, message=_("You do not have permission to do this."))
    if body.pop("version", None) != unit.version:
        abort(409, message=_("The unit was changed by someone else. Read it again and retry."))
    if "risk_tags" in body:
        body["risk_tags"] = set(_check_tags(body["risk_tags"]))
    data = services.clean(services.UnitData(**{**vars(services.unit_data(unit)), **body}))
    _save_or_422(data, existing=unit)
    try:
        services.update_unit(unit, data)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        abort(409, message=_("The unit was changed by someone else. Read it again and retry."))
    return unit


@blp.route("/<int:unit_id>", methods=["DELETE"])
@errors(blp, 403, 404, 409)
@blp.response(204)
def delete_unit(unit_id: int):
    """Delete a unit that has no liaison accounts."""
    unit = get_scoped_or_404(Unit, unit_id, api_user())
    if not api_user().can_edit:
        abort(403, message=_("You do not have permission to do this."))
    if db.session.scalar(select(User.id).where(User.unit_id == unit.id).limit(1)):
        abort(409, message=_("The unit still has liaison accounts."))
    db.session.delete(unit)
    db.session.commit()
