"""GET /api/v1/assessment: the year-end assessment of a region, with the page's scope rules."""

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from emergency.api.common import api_user, errors, forbidden
from emergency.assessment import services
from emergency.assessment.indicators import Grouping, Scope
from emergency.auth.models import Role
from emergency.auth.scoping import region_clause
from emergency.clock import china_today
from emergency.extensions import db
from emergency.plans.api import TranslatingParser
from emergency.regions.models import Region, RegionLevel

blp = Blueprint("api_assessment", __name__, url_prefix="/api/v1/assessment",
                description="Year-end assessment: indicators, deductions, scores and grades")
blp.ARGUMENTS_PARSER = TranslatingParser()


class AssessmentQuerySchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    region = fields.String(validate=validate.Length(min=2, max=12))
    grouping = fields.String(validate=validate.OneOf([g.value for g in Grouping]))


class IndicatorSchema(Schema):
    code = fields.String()
    num = fields.Integer()
    den = fields.Integer()
    rate = fields.Float(allow_none=True)
    weight = fields.Float()
    score = fields.Float(allow_none=True)
    status = fields.String(metadata={"enum": ["ok", "not_applicable", "unavailable", "not_tracked"]})


class DeductionSchema(Schema):
    source = fields.String()
    count = fields.Integer(allow_none=True)
    points = fields.Float()
    cap = fields.Float(allow_none=True)
    amount = fields.Float()


class GroupSchema(Schema):
    key = fields.String()
    name = fields.String()
    indicators = fields.List(fields.Nested(IndicatorSchema))
    deductions = fields.List(fields.Nested(DeductionSchema))
    base = fields.Float(allow_none=True)
    deducted = fields.Float()
    total = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    partial = fields.Boolean()


class AssessmentSchema(Schema):
    year = fields.Integer()
    region_code = fields.String()
    region_name = fields.String()
    grouping = fields.String()
    cutoff = fields.Date()
    scan_date = fields.Date(allow_none=True)
    scheme_is_default = fields.Boolean()
    overall = fields.Nested(GroupSchema)
    groups = fields.List(fields.Nested(GroupSchema))


def _region(user, code: str | None) -> Region:
    stmt = select(Region).where(region_clause(user))
    if code:
        region = db.session.scalar(stmt.where(Region.code == code))
    else:
        region = db.session.scalars(stmt.order_by(func.length(Region.path), Region.path).limit(1)).first()
    if region is None:
        abort(404, message=_("This region does not exist or is outside your scope."))
    return region


def _group(figures) -> dict:
    return {**figures.__dict__, "indicators": list(figures.indicators.values())}


@blp.route("")
@errors(blp, 403, 404)
@blp.arguments(AssessmentQuerySchema, location="query")
@blp.response(200, AssessmentSchema)
def assessment(args):
    """Compute the assessment of a year (default this year) for a region in the caller's scope."""
    user = api_user()
    if user.role == Role.LIAISON:
        forbidden()
    region = _region(user, args.get("region"))
    year = args.get("year") or china_today().year
    grouping = Grouping(args["grouping"]) if "grouping" in args else (
        Grouping.COUNTY if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY) else Grouping.TOWN)
    scope = Scope(user, region, grouping, year, services.cutoff_for(year, china_today()))
    result = services.compute(scope, services.load_scheme(year))
    if not result.has_data:
        abort(404, message=_("There is no assessment data for %(year)s in %(region)s.", year=year,
                             region=region.name))
    return {"year": year, "region_code": region.code, "region_name": region.name,
            "grouping": str(grouping), "cutoff": result.cutoff, "scan_date": result.scan_date,
            "scheme_is_default": result.scheme.is_default, "overall": _group(result.overall),
            "groups": [_group(g) for g in result.groups]}
