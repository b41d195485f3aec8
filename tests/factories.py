"""Factory fixtures: a small two-county region tree, units, users, logged-in clients."""

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emergency.auth.models import Role, User
from emergency.auth.services import UserData, create_token, create_user
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.regions.services import add_region
from emergency.units.identifiers import uscc_check_char
from emergency.units.models import Unit, UnitKind

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def valid_uscc(county_code: str = "231102", serial: int | None = None) -> str:
    """Return a valid enterprise 统一社会信用代码 in the given county."""
    serial = next(_counter) if serial is None else serial
    body = f"91{county_code}{serial:09d}"
    return body + uscc_check_char(body)


@dataclass
class Tree:
    province: Region
    city: Region
    county_a: Region
    county_b: Region
    town_a: Region
    town_b: Region
    village_a: Region
    village_b: Region


@pytest.fixture
def tree(app) -> Tree:
    """Build 黑龙江 > 黑河市 > 爱辉区 / 北安市 with one town and one village each."""
    province = add_region("23", "黑龙江省", RegionLevel.PROVINCE, None)
    city = add_region("2311", "黑河市", RegionLevel.CITY, province)
    county_a = add_region("231102", "爱辉区", RegionLevel.COUNTY, city)
    county_b = add_region("231181", "北安市", RegionLevel.COUNTY, city)
    town_a = add_region("231102001", "花园街道", RegionLevel.TOWN, county_a)
    town_b = add_region("231181100", "赵光镇", RegionLevel.TOWN, county_b)
    village_a = add_region("231102001001", "花园社区", RegionLevel.VILLAGE, town_a)
    village_b = add_region("231181100201", "红星村", RegionLevel.VILLAGE, town_b)
    db.session.commit()
    return Tree(province, city, county_a, county_b, town_a, town_b, village_a, village_b)


@pytest.fixture
def make_unit(app):
    """Return a function creating a committed unit."""

    def make(region: Region, **kwargs) -> Unit:
        kwargs.setdefault("name", f"测试单位{next(_counter)}")
        kwargs.setdefault("kind", UnitKind.ENTERPRISE)
        if kwargs["kind"] == UnitKind.ENTERPRISE:
            kwargs.setdefault("identifier", valid_uscc(region.code[:6]))
        tags = kwargs.pop("risk_tags", set())
        unit = Unit(region_id=region.id, **kwargs)
        unit.risk_tags = tags
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(app):
    """Return a function creating a committed user with the test password."""

    def make(role: str = Role.OFFICE, *, region: Region | None = None, unit: Unit | None = None,
             **kwargs) -> User:
        n = next(_counter)
        data = UserData(username=kwargs.pop("username", f"user{n}"),
                        display_name=kwargs.pop("display_name", f"用户{n}"),
                        email=kwargs.pop("email", f"user{n}@yjj.local"), role=role,
                        region_id=region.id if region else None, unit_id=unit.id if unit else None,
                        **kwargs)
        user = create_user(data, kwargs.get("password", PASSWORD))
        db.session.commit()
        return user

    return make


def log_in(client, user: User) -> None:
    """Put the user's session id into the test client's cookie session."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def login(client):
    """Return a function that logs the test client in as a user."""

    def do(user: User):
        log_in(client, user)
        return client

    return do


@pytest.fixture
def token_for(app):
    """Return a function creating an API token and returning request headers for it."""

    def make(user: User) -> dict:
        _token, secret = create_token(user, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


# --- counting what was written ---------------------------------------------------------------

def count(model) -> int:
    """Return the number of rows of a model, straight from the database."""
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app) -> list[str]:
    """Return every file below UPLOAD_ROOT (temp files included), relative to it."""
    root = Path(app.config["UPLOAD_ROOT"])
    found = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            found.append(str((Path(directory) / name).relative_to(root)))
    return sorted(found)
