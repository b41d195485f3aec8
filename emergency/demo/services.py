"""Load the 黑河市 demonstration data through the ordinary services, once.

Everything goes through import_regions/add_region, check_unit/create_unit and create_user, the
plans through the plan, filing and revision services (emergency.demo.plans), and the drills
through the drill, document and corrective-action services (emergency.demo.drills), so the demo
is held to the same rules as real data. A fixed seed makes every load for the same day identical.
"""

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from emergency.auth.models import Role, User
from emergency.auth.services import UserData, create_user
from emergency.clock import china_today
from emergency.demo import names
from emergency.demo.drills import DrillSummary, load_drills
from emergency.demo.names import DemoAccount, Industry, SchoolTemplate
from emergency.demo.plans import PlanSummary, load_plans
from emergency.drills.models import Drill
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.regions.models import Region, RegionLevel
from emergency.regions.services import add_region, import_regions
from emergency.units.identifiers import USCC_ALPHABET, uscc_check_char
from emergency.units.models import RiskTag, Unit, UnitKind
from emergency.units.services import UnitData, check_unit, clean, create_unit

DEMO_PASSWORD = "yingji-2026"
SEED = 2311
#: The plans draw from their own generator, so they come out the same whether they are loaded
#: with the units or later into a demo database from before there were plans.
PLAN_SEED = f"{SEED}/plans"
#: Likewise the drills, loaded after the plans they exercise.
DRILL_SEED = f"{SEED}/drills"
CITY_CODE = "2311"
#: The 6-digit 行政区划代码 of the city, used in the USCC of city-level bodies.
CITY_AREA_CODE = "231100"
ADDRESS_PREFIX = "黑龙江省黑河市"
#: RFC 2606 reserved name: the account form's e-mail check accepts it (it rejects .local),
#: and no message to a demo account can ever be delivered.
EMAIL_DOMAIN = "yjj.heihe.example"
ADMIN_USERNAME = names.DEMO_ACCOUNTS[0].username
HIGH_HAZARD_TAGS = frozenset({RiskTag.HAZARDOUS_CHEMICALS, RiskTag.MINING, RiskTag.METAL_SMELTING})


class DemoDataError(RuntimeError):
    """The demo data breaks a rule of the unit services (a bug in this module)."""


@dataclass
class DemoSummary:
    """What a load added, and the demo accounts as (username, role, scope description)."""

    regions_added: int = 0
    units_added: int = 0
    users_added: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    already_loaded: bool = False
    #: The day the plan histories end on (the load's "today").
    as_of: date | None = None
    plans: PlanSummary = field(default_factory=PlanSummary)
    drills: DrillSummary = field(default_factory=DrillSummary)

    @property
    def plans_added(self) -> int:
        return self.plans.plans

    @property
    def drills_added(self) -> int:
        return self.drills.drills

    @property
    def actions_added(self) -> int:
        """Return the corrective actions added (raised from the demo drills)."""
        return self.drills.actions

    @property
    def plan_states(self) -> dict[str, int]:
        """Return the plans added by the filing state of their current version."""
        return self.plans.states


@dataclass
class County:
    """A county with its real townships and the villages the demo puts below them."""

    region: Region
    towns: list[Region]
    villages: list[tuple[Region, Region]] = field(default_factory=list)  # (town, village)

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def urban_towns(self) -> list[Region]:
        """Return the county seat: its 街道, or the first 镇 where the county has none."""
        streets = [town for town in self.towns if is_street(town)]
        return streets or self.towns[:1]

    @property
    def rural_towns(self) -> list[Region]:
        return [town for town in self.towns if not is_street(town)] or self.towns


def is_street(town: Region) -> bool:
    """Tell whether a township is a 街道 (统计用区划代码 乡级 part 001–099)."""
    return town.code[6:9] < "100"


def is_township(town: Region) -> bool:
    """Tell whether a 乡级 region is a real 乡镇/街道 (001–399), not a farm, forest farm or prison."""
    return town.code[6:9] < "400"


def load_demo(today: date | None = None) -> DemoSummary:
    """Load the demo regions, units, accounts, plans and drills unless the demo admin exists.

    The plan and drill histories end on `today` (default: today in China); planned drills run
    to the end of its year. A demo database loaded before there were plans gets its plans, one
    loaded before there were drills its drills. Flushes, never commits.
    """
    if today is None:
        today = china_today()
    admin = _user(ADMIN_USERNAME)
    if admin is not None:
        plans_missing, drills_missing = _plans_missing(admin), _drills_missing(admin)
        if not (plans_missing or drills_missing):
            return DemoSummary(accounts=_account_lines(), already_loaded=True)
        summary = DemoSummary(accounts=_account_lines(), as_of=today)
        if plans_missing:
            summary.plans = load_plans(today, PLAN_SEED)
        if drills_missing:
            summary.drills = load_drills(today, DRILL_SEED)
        return summary
    rng = random.Random(SEED)
    summary = DemoSummary(regions_added=import_regions(CITY_CODE))
    city = _region(CITY_CODE)
    counties = _counties(city)
    summary.regions_added += _add_villages(counties, rng)
    admin = _create_account(names.DEMO_ACCOUNTS[0], None, None)
    units = _UnitLoader(rng, admin, city, counties).load_all()
    summary.units_added = len(units)
    summary.users_added = 1 + _create_other_accounts(units)
    summary.accounts = _account_lines()
    summary.as_of = today
    summary.plans = load_plans(today, PLAN_SEED)
    summary.drills = load_drills(today, DRILL_SEED)
    return summary


def _is_demo(admin: User) -> bool:
    """Tell whether the admin and the other accounts are the demo's (not a real registry's)."""
    return (admin.email == f"{ADMIN_USERNAME}@{EMAIL_DOMAIN}"
            and all(_user(account.username) for account in names.DEMO_ACCOUNTS))


def _plans_missing(admin: User) -> bool:
    """Tell whether this is a demo database from before the demo had plans (and has none)."""
    return _is_demo(admin) and not db.session.scalar(select(func.count()).select_from(Plan))


def _drills_missing(admin: User) -> bool:
    """Tell whether this is a demo database from before the demo had drills (and has none)."""
    return _is_demo(admin) and not db.session.scalar(select(func.count()).select_from(Drill))


# --- regions -------------------------------------------------------------------------------


def _region(code: str) -> Region:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one()


def _children(parent: Region, level: RegionLevel) -> list[Region]:
    stmt = select(Region).where(Region.parent_id == parent.id, Region.level == level)
    return list(db.session.scalars(stmt.order_by(Region.code)))


def _counties(city: Region) -> list[County]:
    """Return the city's counties with their real townships, both ordered by code."""
    counties = []
    for county in _children(city, RegionLevel.COUNTY):
        towns = [town for town in _children(county, RegionLevel.TOWN) if is_township(town)]
        counties.append(County(county, towns))
    return counties


def _add_villages(counties: list[County], rng: random.Random) -> int:
    """Put 2–4 villages (or communities below a 街道) under every township; return the count added."""
    existing = {r.code: r for r in db.session.scalars(select(Region).where(
        Region.level == RegionLevel.VILLAGE, Region.code.startswith(CITY_CODE)))}
    added = 0
    for county in counties:
        # One shuffled pool per county so no county has two villages of the same name.
        pools = {True: rng.sample(names.COMMUNITY_NAMES, len(names.COMMUNITY_NAMES)),
                 False: rng.sample(names.VILLAGE_NAMES, len(names.VILLAGE_NAMES))}
        for town in county.towns:
            street = is_street(town)
            for number in range(1, rng.randint(2, 4) + 1):
                # 统计用区划代码 村级: 001–199 居委会, 200–399 村委会.
                code = f"{town.code}{number if street else 200 + number:03d}"
                name = pools[street].pop() + ("社区" if street else "村")
                village = existing.get(code)
                if village is None:
                    village = add_region(code, name, RegionLevel.VILLAGE, town)
                    added += 1
                county.villages.append((town, village))
    db.session.flush()
    return added


# --- accounts ------------------------------------------------------------------------------


def _user(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _create_account(account: DemoAccount, region_id: int | None, unit_id: int | None) -> User:
    data = UserData(
        username=account.username, display_name=account.display_name,
        email=f"{account.username}@{EMAIL_DOMAIN}", role=account.role,
        region_id=region_id, unit_id=unit_id, phone=account.phone,
    )
    return create_user(data, DEMO_PASSWORD)


def _create_other_accounts(units: list[Unit]) -> int:
    """Create every demo account but the admin, resolving each scope; return the count."""
    for account in names.DEMO_ACCOUNTS[1:]:
        if ":" in account.scope:
            kind, county_code = account.scope.split(":")
            _create_account(account, None, _first_unit(units, kind, county_code).id)
        else:
            _create_account(account, _region(account.scope).id, None)
    return len(names.DEMO_ACCOUNTS) - 1


def _first_unit(units: list[Unit], kind: str, county_code: str) -> Unit:
    """Return the first unit created of a kind in a county (creation order is deterministic)."""
    return next(u for u in units if u.kind == kind and u.region.code.startswith(county_code))


def _account_lines() -> list[tuple[str, str, str]]:
    lines = []
    for account in names.DEMO_ACCOUNTS:
        user = _user(account.username)
        if user is not None:
            lines.append((user.username, str(user.role), _scope_text(user)))
    return lines


def _scope_text(user: User) -> str:
    if user.role == Role.ADMIN:
        return "everything"
    if user.unit is not None:
        return f"unit {user.unit.name} (id {user.unit.id})"
    if user.region is not None:
        return f"{user.region.name} ({user.region.code}) and below"
    return "nothing"


# --- units ---------------------------------------------------------------------------------


class _UnitLoader:
    """Create the demo units in a fixed order, drawing every random choice from one generator."""

    def __init__(self, rng: random.Random, admin: User, city: Region, counties: list[County]):
        self.rng = rng
        self.admin = admin
        self.city = city
        self.counties = counties
        self.by_code = {county.code: county for county in counties}
        self.identifiers: set[str] = set()
        self.names: set[str] = set()
        self.units: list[Unit] = []

    def load_all(self) -> list[Unit]:
        """Create every unit and return them in creation order."""
        for county in self.counties:
            self._towns_and_villages(county)
        for county in self.counties:
            self._schools(county)
        self._universities()
        self._enterprises()
        self._departments()
        self._institutions()
        return self.units

    def _add(self, data: UnitData) -> Unit:
        """Create a unit after the same checks as the web form; demo data must be valid data."""
        data = clean(data)
        problems = check_unit(data, self.admin)
        if problems:
            raise DemoDataError(f"{data.name}: {problems}")
        unit = create_unit(data)
        self.units.append(unit)
        self.names.add(unit.name)
        return unit

    # --- random details

    def _uscc(self, registration: str, area_code: str) -> str:
        """Return an unused valid 统一社会信用代码 for a registration class (91, 11, 12...)."""
        while True:
            subject = "".join(self.rng.choice(USCC_ALPHABET) for _ in range(9))
            body = f"{registration}{area_code}{subject}"
            code = body + uscc_check_char(body)
            if code not in self.identifiers:
                self.identifiers.add(code)
                return code

    def _school_code(self, category: str) -> str:
        """Return an unused 学校标识码: category, province 23, six-digit sequence."""
        while True:
            if category == "41":  # universities: 0 + their five-digit 教育部 code
                sequence = f"0{self.rng.randrange(10**5):05d}"
            else:
                sequence = f"{self.rng.randrange(10**6):06d}"
            code = f"{category}23{sequence}"
            if code not in self.identifiers:
                self.identifiers.add(code)
                return code

    def _phone(self, area_code: str) -> str:
        return f"0456-{names.PHONE_LEAD_DIGIT[area_code]}{self.rng.randrange(10**6):06d}"

    def _street_address(self, place: str) -> str:
        road = self.rng.choice(names.ROAD_NAMES)
        return f"{ADDRESS_PREFIX}{place}{road}{self.rng.randint(1, 298)}号"

    # --- kinds

    def _towns_and_villages(self, county: County) -> None:
        """Create each township's government and the committees of about half its villages."""
        for town in county.towns:
            self._add(UnitData(
                name=_town_unit_name(town), kind=UnitKind.TOWN_STREET, region_id=town.id,
                address=self._street_address(county.region.name + _town_label(town)),
                phone=self._phone(county.code),
            ))
        for town, village in county.villages:
            if self.rng.random() < 0.5:
                place = f"{county.region.name}{_town_label(town)}{village.name}"
                self._add(UnitData(
                    name=_village_unit_name(village), kind=UnitKind.VILLAGE_COMMUNITY,
                    region_id=village.id, address=ADDRESS_PREFIX + place,
                    phone=self._phone(county.code),
                ))

    def _schools(self, county: County) -> None:
        """Create the county-seat schools, one rural town's schools, and the kindergartens."""
        seat, rural = county.urban_towns, self.rng.choice(county.rural_towns)
        for template in names.URBAN_SCHOOLS:
            self._school(county, self.rng.choice(seat), county.region.name + template.suffix,
                         template)
        for template in names.RURAL_SCHOOLS:
            name = county.region.name + _town_label(rural) + template.suffix
            self._school(county, rural, name, template)
        for suffix in names.KINDERGARTENS[county.code]:
            town = self.rng.choice(seat)
            self._add(UnitData(
                name=county.region.name + suffix, kind=UnitKind.KINDERGARTEN, region_id=town.id,
                identifier=self._school_code("11"),
                address=self._street_address(county.region.name + _town_label(town)),
                phone=self._phone(county.code),
            ))

    def _school(self, county: County, town: Region, name: str, template: SchoolTemplate) -> None:
        tags = {RiskTag.BOARDING_SCHOOL} if template.boarding else set()
        self._add(UnitData(
            name=name, kind=UnitKind.SCHOOL, region_id=town.id, risk_tags=tags,
            identifier=self._school_code(template.category),
            address=self._street_address(county.region.name + _town_label(town)),
            phone=self._phone(county.code),
        ))

    def _universities(self) -> None:
        """Create 黑河学院 and a vocational college in the city seat (爱辉区)."""
        county = self.by_code["231102"]
        for name in names.UNIVERSITIES:
            town = self.rng.choice(county.urban_towns)
            self._add(UnitData(
                name=name, kind=UnitKind.UNIVERSITY, region_id=town.id,
                identifier=self._school_code("41"), risk_tags={RiskTag.KEY_FIRE_SAFETY},
                address=self._street_address(county.region.name + _town_label(town)),
                phone=self._phone(county.code),
            ))

    def _enterprises(self) -> None:
        """Create about 80 firms; cycling through the industries guarantees each appears."""
        slots = [code for code, count in names.ENTERPRISES_PER_COUNTY.items() for _ in range(count)]
        self.rng.shuffle(slots)
        for number, county_code in enumerate(slots):
            industry = names.INDUSTRIES[number % len(names.INDUSTRIES)]
            self._enterprise(self.by_code[county_code], industry)

    def _enterprise(self, county: County, industry: Industry) -> None:
        town = self.rng.choice(county.urban_towns if industry.urban else county.rural_towns)
        suffix = self.rng.choices(names.COMPANY_SUFFIXES, weights=(6, 3, 1))[0]
        tags = set(industry.tags)
        # A 股份有限公司 is rarely small; otherwise about a quarter of firms are medium-size or larger.
        if suffix == "股份有限公司" or self.rng.random() < 0.25:
            tags.add(RiskTag.MEDIUM_OR_LARGER)
        self._add(UnitData(
            name=self._firm_name(county, industry, suffix), kind=UnitKind.ENTERPRISE,
            region_id=town.id, identifier=self._uscc("91", county.code), risk_tags=tags,
            assessment_class=self._assessment_class(tags),
            address=self._street_address(county.region.name + _town_label(town)),
            phone=self._phone(county.code),
        ))

    def _firm_name(self, county: County, industry: Industry, suffix: str) -> str:
        """Return an unused firm name such as 北安恒泰热电有限公司."""
        while True:
            brand = self.rng.choice(names.FIRM_BRANDS)
            name = f"{names.FIRM_PLACE_PREFIX[county.code]}{brand}{industry.word}{suffix}"
            if name not in self.names:
                return name

    def _assessment_class(self, tags: set[str]) -> int | None:
        """Draw a 考核 class: high-hazard firms mostly class 1, untagged ones often unassigned."""
        if tags & HIGH_HAZARD_TAGS:
            return self.rng.choice((1, 1, 2))
        if tags:
            return self.rng.choice((2, 2, 3))
        return self.rng.choice((None, 3, 3))

    def _departments(self) -> None:
        """Create the city departments on the city region and each county's own on the county."""
        aihui = self.by_code["231102"].region.name
        for department in names.CITY_DEPARTMENTS:
            self._body(self.city.name + department, UnitKind.GOVERNMENT_DEPARTMENT, self.city,
                       CITY_AREA_CODE, set(), aihui)
        for county in self.counties:
            for department in names.COUNTY_DEPARTMENTS:
                self._body(county.region.name + department, UnitKind.GOVERNMENT_DEPARTMENT,
                           county.region, county.code, set(), county.region.name)

    def _institutions(self) -> None:
        """Create hospitals, libraries and the like; city-level ones sit on the city region."""
        aihui = self.by_code["231102"].region.name
        for item in names.PUBLIC_INSTITUTIONS:
            county = self.by_code[item.county] if item.county else None
            region = county.region if county else self.city
            area_code = county.code if county else CITY_AREA_CODE
            self._body(item.name, UnitKind.PUBLIC_INSTITUTION, region, area_code, set(item.tags),
                       region.name if county else aihui)

    def _body(self, name: str, kind: UnitKind, region: Region, area_code: str, tags: set[str],
              place: str) -> None:
        """Create a government department (USCC class 11) or public institution (class 12)."""
        registration = "11" if kind == UnitKind.GOVERNMENT_DEPARTMENT else "12"
        self._add(UnitData(
            name=name, kind=kind, region_id=region.id, risk_tags=tags,
            identifier=self._uscc(registration, area_code),
            address=self._street_address(place), phone=self._phone(area_code),
        ))


def _town_label(town: Region) -> str:
    """Return the township name as used in addresses (北安's 街道 carry a statistical 地区 suffix)."""
    return town.name.removesuffix("地区")


def _town_unit_name(town: Region) -> str:
    """Return the township's government: XX街道办事处 or XX镇/乡人民政府."""
    label = _town_label(town)
    return f"{label}办事处" if is_street(town) else f"{label}人民政府"


def _village_unit_name(village: Region) -> str:
    """Return the committee of a village (红星村民委员会) or community (文化社区居民委员会)."""
    if village.name.endswith("社区"):
        return f"{village.name}居民委员会"
    return f"{village.name.removesuffix('村')}村民委员会"
