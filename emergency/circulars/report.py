"""Arrange two snapshots into what a circular shows: counties, towns, units, and the change."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from emergency.circulars.figures import (
    CATEGORY_ORDER,
    CHUNK,
    Month,
    Snapshot,
    computed_snapshot,
    stored_snapshot,
)
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit


@dataclass
class UnitLine:
    unit_id: int
    name: str
    items: int
    #: [(category, items)] in CATEGORY_ORDER.
    categories: list[tuple[str, int]]
    previous: int


@dataclass
class Town:
    code: str
    #: None for the units placed directly in the county (or above it).
    region: Region | None
    units: list[UnitLine] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(u.items for u in self.units)


@dataclass
class County:
    code: str
    region: Region | None
    #: True for the units placed above county level (a city's own departments).
    is_direct: bool
    towns: dict[str, Town] = field(default_factory=dict)
    units: int = 0
    items: int = 0
    previous_units: int = 0
    previous_items: int = 0
    resolved: int = 0

    @property
    def listed_towns(self) -> list[Town]:
        """Return the towns that have units with overdue items, the county's own units first."""
        towns = [t for t in self.towns.values() if t.units]
        return sorted(towns, key=lambda t: (t.region is not None, t.code))

    @property
    def change(self) -> int:
        return self.items - self.previous_items


@dataclass
class Circular:
    """Everything a circular states about one region and month."""

    region: Region
    month: Month
    current: Snapshot
    previous: Snapshot
    counties: list[County]
    #: Units that had overdue items at the previous month's end and have none now.
    cleared: list[str]

    @property
    def units(self) -> int:
        return len(self.current.items)

    @property
    def items(self) -> int:
        return self.current.total

    @property
    def previous_units(self) -> int:
        return len(self.previous.items)

    @property
    def previous_items(self) -> int:
        return self.previous.total

    @property
    def resolved(self) -> int:
        return sum(c.resolved for c in self.counties)

    @property
    def change(self) -> int:
        return self.items - self.previous_items

    @property
    def listed_counties(self) -> list[County]:
        return [c for c in self.counties if c.items]


def build_circular(user, region: Region, month: Month, today: date) -> Circular:
    """Compute the circular of a month for a region the caller has checked is in the user's scope.

    The current month reads the stored scan; an earlier month is computed as of its last day.
    The comparison is always with the previous month's last day, computed.
    """
    current = None
    if month == Month.of(today):
        current = stored_snapshot(user, region)
    if current is None:
        current = computed_snapshot(user, region, min(month.last_day, today))
    previous = computed_snapshot(user, region, month.previous().last_day)
    return arrange(region, month, current, previous)


def arrange(region: Region, month: Month, current: Snapshot, previous: Snapshot) -> Circular:
    """Group both snapshots' units into counties and towns."""
    resolved = Counter()
    for key, n in (previous.keys - current.keys).items():
        resolved[key[0]] += n
    units = _units(set(current.items) | set(previous.items), {**previous.places, **current.places})
    regions = _regions({code for _name, codes in units.values() for code in codes[2:4]})
    counties: dict[str, County] = {}
    for unit_id, (name, codes) in units.items():
        county = _county(counties, codes, regions)
        now, before = current.items.get(unit_id, Counter()), previous.items.get(unit_id, Counter())
        county.resolved += resolved[unit_id]
        if before:
            county.previous_units += 1
            county.previous_items += sum(before.values())
        if now:
            county.units += 1
            county.items += sum(now.values())
            _town(county, codes, regions).units.append(UnitLine(
                unit_id, name, sum(now.values()),
                [(c, now[c]) for c in (*CATEGORY_ORDER, "other") if now[c]], sum(before.values())))
    for county in counties.values():
        for town in county.towns.values():
            town.units.sort(key=lambda u: (-u.items, u.name, u.unit_id))
    cleared = sorted(name for unit_id, (name, _codes) in units.items()
                     if unit_id in previous.items and unit_id not in current.items)
    ordered = sorted(counties.values(), key=lambda c: (not c.is_direct, c.code))
    return Circular(region, month, current, previous, ordered, cleared)


def _units(ids: set[int], known: dict) -> dict[int, tuple[str, list[str]]]:
    """Return {unit_id: (name, region codes from the root down)}, loading those not yet known."""
    missing, places = sorted(ids - set(known)), dict(known)
    for start in range(0, len(missing), CHUNK):
        places.update({uid: (name, path) for uid, name, path in db.session.execute(
            select(Unit.id, Unit.name, Region.path).join(Unit.region)
            .where(Unit.id.in_(missing[start:start + CHUNK])))})
    return {uid: (name, [c for c in path.split("/") if c])
            for uid, (name, path) in places.items() if uid in ids}


def _regions(codes: set[str]) -> dict[str, Region]:
    ordered, found = sorted(codes), {}
    for start in range(0, len(ordered), CHUNK):
        found.update({r.code: r for r in db.session.scalars(
            select(Region).where(Region.code.in_(ordered[start:start + CHUNK])))})
    return found


def _county(counties: dict, codes: list[str], regions: dict) -> County:
    # Paths run province/city/county/town/village: the third code is the county. A unit placed
    # higher up (a city department) belongs to its own region's "directly under" group.
    if len(codes) >= 3:
        code, is_direct = codes[2], False
    else:
        code, is_direct = codes[-1], True
    if code not in counties:
        region = regions.get(code) or db.session.scalar(select(Region).where(Region.code == code))
        counties[code] = County(code, region, is_direct)
    return counties[code]


def _town(county: County, codes: list[str], regions: dict) -> Town:
    code = codes[3] if len(codes) >= 4 and not county.is_direct else ""
    if code not in county.towns:
        county.towns[code] = Town(code, regions.get(code) if code else None)
    return county.towns[code]
