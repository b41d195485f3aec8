"""Unit services: the checks shared by the web form, the API and imports, and the changes."""

from dataclasses import dataclass, field

from sqlalchemy import select

from emergency.auth.scoping import region_clause, unit_clause
from emergency.extensions import db
from emergency.problems import Problem
from emergency.regions.models import Region, RegionLevel
from emergency.units.identifiers import normalise_identifier, school_code_problem, uscc_problem
from emergency.units.models import SCHOOL_KINDS, RiskTag, Unit, UnitKind

#: Units hang below the county level; a city-level department sits on the city region.
UNIT_REGION_LEVELS = frozenset(
    {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE}
)


@dataclass
class UnitData:
    """The editable fields of a unit, as plain data."""

    name: str
    kind: str
    region_id: int | None
    identifier: str | None = None
    risk_tags: set[str] = field(default_factory=set)
    assessment_class: int | None = None
    address: str | None = None
    phone: str | None = None
    is_active: bool = True


def clean(data: UnitData) -> UnitData:
    """Normalise whitespace, full-width digits and empty strings."""
    data.name = " ".join((data.name or "").split())
    data.identifier = normalise_identifier(data.identifier) or None
    data.address = (data.address or "").strip() or None
    data.phone = (data.phone or "").strip() or None
    return data


def check_unit(data: UnitData, user, existing: Unit | None = None) -> list[Problem]:
    """Return every problem with the data for this user; an empty list means it can be saved."""
    problems = []
    if not data.name:
        problems.append(Problem("name", "required"))
    elif len(data.name) > 200:
        problems.append(Problem("name", "too_long", {"max": 200}))
    if data.kind not in set(UnitKind):
        problems.append(Problem("kind", "unknown_kind"))
    unknown_tags = set(data.risk_tags) - set(RiskTag)
    if unknown_tags:
        problems.append(Problem("risk_tags", "unknown_tag", {"tags": ", ".join(sorted(unknown_tags))}))
    if data.assessment_class not in (None, 1, 2, 3):
        problems.append(Problem("assessment_class", "invalid_choice"))
    problems += _region_problems(data, user)
    problems += _identifier_problems(data, existing, user)
    return problems


def _region_problems(data: UnitData, user) -> list[Problem]:
    if data.region_id is None:
        return [Problem("region_id", "required")]
    region = db.session.execute(
        select(Region).where(Region.id == data.region_id, region_clause(user))
    ).scalar_one_or_none()
    if region is None:
        return [Problem("region_id", "region_out_of_scope")]
    if region.level not in UNIT_REGION_LEVELS:
        return [Problem("region_id", "region_level")]
    return []


def _identifier_problems(data: UnitData, existing: Unit | None, user) -> list[Problem]:
    code = data.identifier
    if not code:
        required = data.kind == UnitKind.ENTERPRISE
        return [Problem("identifier", "uscc_required")] if required else []
    problem = school_code_problem(code) if data.kind in SCHOOL_KINDS else uscc_problem(code)
    if problem:
        return [Problem("identifier", problem.code, {"expected": problem.expected})]
    duplicate = db.session.execute(select(Unit).where(Unit.identifier == code)).scalar_one_or_none()
    if duplicate is None or duplicate is existing:
        return []
    # Name and link only what the user may see; otherwise just say the code is taken.
    visible = db.session.scalar(select(Unit.id).where(Unit.id == duplicate.id, unit_clause(user)))
    if visible is None:
        return [Problem("identifier", "duplicate_elsewhere")]
    return [Problem("identifier", "duplicate", {"unit_id": duplicate.id, "name": duplicate.name})]


def _apply(unit: Unit, data: UnitData) -> None:
    unit.name = data.name
    unit.kind = data.kind
    unit.region_id = data.region_id
    unit.identifier = data.identifier
    unit.risk_tags = data.risk_tags
    unit.assessment_class = data.assessment_class
    unit.address = data.address
    unit.phone = data.phone
    unit.is_active = data.is_active


def create_unit(data: UnitData) -> Unit:
    """Create a unit from checked data."""
    unit = Unit()
    _apply(unit, data)
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(unit: Unit, data: UnitData) -> None:
    """Change a unit from checked data; the version column guards against lost updates."""
    _apply(unit, data)
    db.session.flush()


def unit_data(unit: Unit) -> UnitData:
    """Return a unit's current fields as UnitData."""
    return UnitData(
        name=unit.name, kind=unit.kind, region_id=unit.region_id, identifier=unit.identifier,
        risk_tags=unit.risk_tags, assessment_class=unit.assessment_class, address=unit.address,
        phone=unit.phone, is_active=unit.is_active,
    )
