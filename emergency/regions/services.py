"""Region services: importing division data and listing regions for forms and trees."""

import csv
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import func, select

from emergency.auth.scoping import region_clause
from emergency.extensions import db
from emergency.regions.models import CODE_LENGTHS, LEVEL_BY_CODE_LENGTH, Region, RegionLevel

DATA_FILES = (
    ("provinces.csv", RegionLevel.PROVINCE, None),
    ("cities.csv", RegionLevel.CITY, "provinceCode"),
    ("areas.csv", RegionLevel.COUNTY, "cityCode"),
    ("streets.csv", RegionLevel.TOWN, "areaCode"),
)


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    parent_code: str | None


class RegionImportError(Exception):
    """The requested code is not in the shipped division data."""


def _read_rows(filename: str, parent_column: str | None):
    path = resources.files("emergency.data").joinpath(filename)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            parent = row[parent_column] if parent_column else None
            yield DivisionRow(row["code"], row["name"].strip(), parent)


def division_rows(root_code: str) -> list[tuple[RegionLevel, DivisionRow]]:
    """Return the shipped divisions at or below root_code, parents before children, ancestors included."""
    rows = []
    for filename, level, parent_column in DATA_FILES:
        for row in _read_rows(filename, parent_column):
            if row.code.startswith(root_code) or root_code.startswith(row.code):
                rows.append((level, row))
    if not any(row.code == root_code for _level, row in rows):
        raise RegionImportError(root_code)
    return rows


def import_regions(root_code: str) -> int:
    """Create or rename the regions of a province or city from the shipped data; return the count added."""
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    added = 0
    for level, row in division_rows(root_code):
        region = existing.get(row.code)
        if region is not None:
            region.name = row.name
            continue
        parent = existing.get(row.parent_code) if row.parent_code else None
        region = add_region(row.code, row.name, level, parent)
        existing[row.code] = region
        added += 1
    db.session.flush()
    return added


def add_region(code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
    """Add one region below its parent, computing its materialised path."""
    if len(code) != CODE_LENGTHS[level] or LEVEL_BY_CODE_LENGTH.get(len(code)) != level:
        raise ValueError(f"code {code} does not fit level {level}")
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region(code=code, name=name, level=level, parent=parent, path=path)
    db.session.add(region)
    return region


def region_choices(user, levels) -> list[tuple[int, str]]:
    """Return (id, indented label) for the regions of the given levels that the user may use."""
    regions = db.session.scalars(
        select(Region).where(region_clause(user), Region.level.in_(list(levels))).order_by(Region.path)
    ).all()
    depth = {level: i for i, level in enumerate(RegionLevel)}
    return [(r.id, "\u3000" * max(depth[r.level] - 1, 0) + r.name) for r in regions]


def children_with_counts(region: Region, user):
    """Return the region's children with the number of visible units below each."""
    from emergency.auth.scoping import unit_clause
    from emergency.units.models import Unit

    children = db.session.scalars(
        select(Region).where(Region.parent_id == region.id, region_clause(user)).order_by(Region.code)
    ).all()
    counts = {}
    for child in children:
        below = select(Region.id).where(Region.in_subtree(child.path)).scalar_subquery()
        counts[child.id] = db.session.scalar(
            select(func.count(Unit.id)).where(Unit.region_id.in_(below), unit_clause(user))
        )
    return children, counts
