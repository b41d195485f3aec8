"""GET /api/v1/compliance: obligations as of a date, scoped and paged like the web list."""

from datetime import date

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from emergency.api.common import api_user, errors
from emergency.auth.scoping import region_clause, unit_clause
from emergency.clock import china_today
from emergency.compliance.facts import STATUS_URGENCY
from emergency.compliance.scan import scan
from emergency.compliance.settings import assessment_settings
from emergency.extensions import db
from emergency.plans.api import TranslatingParser
from emergency.regions.models import Region
from emergency.units.models import Unit

blp = Blueprint("api_compliance", __name__, url_prefix="/api/v1/compliance",
                description="Compliance obligations")
# Explain bad query parameters in the user's language, like the plan API does.
blp.ARGUMENTS_PARSER = TranslatingParser()


class ComplianceQuerySchema(Schema):
    as_of = fields.Date()
    region = fields.String(validate=validate.Length(min=2, max=12))
    status = fields.String(validate=validate.OneOf([str(s) for s in STATUS_URGENCY]))
    unit = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ItemSchema(Schema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    unit_code = fields.String(allow_none=True)
    region_code = fields.String()
    rule_code = fields.String()
    obligation = fields.String()
    subject = fields.String()
    due_on = fields.Date(allow_none=True)
    status = fields.String()
    citation = fields.String()


class ComplianceSchema(Schema):
    as_of = fields.Date()
    assessment_date = fields.Date()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(ItemSchema))


def _target(args, user) -> tuple[Region | None, list[int] | None]:
    region, unit_ids = None, None
    if "region" in args:
        region = db.session.scalar(select(Region).where(Region.code == args["region"], region_clause(user)))
        if region is None:
            abort(404, message=_("This region does not exist or is outside your scope."))
    if "unit" in args:
        unit = db.session.scalar(select(Unit).where(Unit.id == args["unit"], unit_clause(user)))
        if unit is None:
            abort(404, message=_("This unit does not exist or is outside your scope."))
        unit_ids = [unit.id]
    elif user.role == "liaison":
        unit_ids = [user.unit_id]
    elif region is None and user.region_id:
        region = db.session.get(Region, user.region_id)
    return region, unit_ids


@blp.route("")
@errors(blp, 404)
@blp.arguments(ComplianceQuerySchema, location="query")
@blp.response(200, ComplianceSchema)
def compliance(args):
    """Compute the obligations in the caller's scope as of a date (default today in China)."""
    user = api_user()
    as_of: date = args.get("as_of") or china_today()
    region, unit_ids = _target(args, user)
    result = scan(as_of, region=region, unit_ids=unit_ids, persist=False, keep=True)
    found = [o for o in result.obligations if "status" not in args or o.status == args["status"]]
    found.sort(key=lambda o: (o.due_on is None, o.due_on or date.max, o.unit_id, o.rule_code))
    first = (args["page"] - 1) * args["page_size"]
    return {"as_of": as_of, "assessment_date": assessment_settings(as_of.year)[0],
            "summary": {str(s): sum(1 for o in result.obligations if o.status == s) for s in STATUS_URGENCY},
            "total": len(found), "page": args["page"], "page_size": args["page_size"],
            "items": _items(found[first:first + args["page_size"]])}


def _items(obligations) -> list[dict]:
    ids = {o.unit_id for o in obligations}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    return [{"unit_id": o.unit_id, "unit_name": units[o.unit_id].name,
             "unit_code": units[o.unit_id].identifier, "region_code": units[o.unit_id].region.code,
             "rule_code": o.rule_code, "obligation": str(o.kind), "subject": o.subject,
             "due_on": o.due_on, "status": str(o.status), "citation": o.citation} for o in obligations]
