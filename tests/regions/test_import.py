"""`flask regions import` from the shipped division data; the materialised-path subtree query."""

import csv
from importlib import resources

import pytest
from sqlalchemy import func, select

from emergency.audit.models import AuditEntry
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.regions.services import add_region

HEIHE_COUNTIES = {
    "231102": "爱辉区", "231123": "逊克县", "231124": "孙吴县",
    "231181": "北安市", "231182": "五大连池市", "231183": "嫩江市",
}


def shipped_towns(prefix: str) -> dict[str, tuple[str, str]]:
    """Return code -> (name, county code) for the shipped streets.csv rows under prefix."""
    path = resources.files("emergency.data").joinpath("streets.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: (row["name"].strip(), row["areaCode"])
                for row in csv.DictReader(handle) if row["code"].startswith(prefix)}


def region_count() -> int:
    return db.session.scalar(select(func.count(Region.id)))


def by_level(level: str) -> dict[str, Region]:
    return {r.code: r for r in db.session.scalars(select(Region).where(Region.level == level))}


def test_import_heihe_creates_the_whole_tree(runner):
    towns = shipped_towns("2311")
    assert len(towns) > 100  # guard: the data file really covers 黑河市

    result = runner.invoke(args=["regions", "import", "2311"])

    assert result.exit_code == 0, result.output
    total = 1 + 1 + 6 + len(towns)
    assert f"Imported {total} new regions under 2311." in result.output
    assert region_count() == total
    assert {c: r.name for c, r in by_level(RegionLevel.PROVINCE).items()} == {"23": "黑龙江省"}
    assert {c: r.name for c, r in by_level(RegionLevel.CITY).items()} == {"2311": "黑河市"}
    assert {c: r.name for c, r in by_level(RegionLevel.COUNTY).items()} == HEIHE_COUNTIES
    imported_towns = by_level(RegionLevel.TOWN)
    assert {c: r.name for c, r in imported_towns.items()} == {c: n for c, (n, _a) in towns.items()}
    assert by_level(RegionLevel.VILLAGE) == {}


def test_imported_paths_and_parents(runner):
    runner.invoke(args=["regions", "import", "2311"])
    towns = shipped_towns("2311")
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    assert regions["23"].path == "/23/" and regions["23"].parent_id is None
    assert regions["2311"].path == "/23/2311/" and regions["2311"].parent_id == regions["23"].id
    for code in HEIHE_COUNTIES:
        assert regions[code].path == f"/23/2311/{code}/"
        assert regions[code].parent_id == regions["2311"].id
    for code, (_name, county) in towns.items():
        assert regions[code].path == f"/23/2311/{county}/{code}/"
        assert regions[code].parent_id == regions[county].id
    assert regions["231102001"].name == "花园街道"
    assert regions["231102001"].path == "/23/2311/231102/231102001/"


def test_running_it_twice_adds_nothing(runner):
    first = runner.invoke(args=["regions", "import", "2311"])
    count = region_count()
    second = runner.invoke(args=["regions", "import", "2311"])
    assert second.exit_code == 0, second.output
    assert "Imported 0 new regions under 2311." in second.output
    assert region_count() == count
    assert first.exit_code == 0


def test_import_completes_and_renames_an_existing_partial_tree(runner):
    province = add_region("23", "黑龙江省", RegionLevel.PROVINCE, None)
    city = add_region("2311", "黑河市", RegionLevel.CITY, province)
    aihui = add_region("231102", "爱辉区（旧名）", RegionLevel.COUNTY, city)
    db.session.commit()
    result = runner.invoke(args=["regions", "import", "2311"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Region, aihui.id).name == "爱辉区"
    assert region_count() == 1 + 1 + 6 + len(shipped_towns("2311"))
    assert f"Imported {5 + len(shipped_towns('2311'))} new regions" in result.output


def test_import_of_a_county_brings_its_ancestors(runner):
    result = runner.invoke(args=["regions", "import", "231181"])
    assert result.exit_code == 0, result.output
    codes = set(db.session.scalars(select(Region.code)))
    assert codes == {"23", "2311", "231181"} | set(shipped_towns("231181"))


@pytest.mark.parametrize("code", ["9999", "2399", "abc", "", "23110", "2", "4401"])
def test_unknown_code_fails_and_writes_nothing(runner, code):
    result = runner.invoke(args=["regions", "import", code])
    assert result.exit_code != 0
    assert "Unknown division code" in result.output
    assert region_count() == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_import_is_audited_as_the_cli(runner):
    runner.invoke(args=["regions", "import", "2311"])
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "regions")).all()
    assert len(entries) == region_count()
    assert {(e.action, e.username) for e in entries} == {("create", "cli")}


# --- subtree selection ----------------------------------------------------------------------

def _raw_region(code: str, name: str, level: str, parent: Region | None, path: str) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent, path=path)
    db.session.add(region)
    return region


@pytest.fixture
def lookalikes(app):
    """爱辉区 231102 next to regions whose codes merely start with the same digits.

    Real codes have fixed lengths per level, so a 7-digit "2311020" cannot come from the data;
    it is built by hand to prove that the subtree is a path range, not a string prefix.
    """
    province = add_region("23", "黑龙江省", RegionLevel.PROVINCE, None)
    city = add_region("2311", "黑河市", RegionLevel.CITY, province)
    aihui = add_region("231102", "爱辉区", RegionLevel.COUNTY, city)
    town = add_region("231102001", "花园街道", RegionLevel.TOWN, aihui)
    add_region("231102001001", "花园社区", RegionLevel.VILLAGE, town)
    twin = _raw_region("2311020", "伪造区", RegionLevel.COUNTY, city, "/23/2311/2311020/")
    _raw_region("2311020001", "伪造镇", RegionLevel.TOWN, twin, "/23/2311/2311020/2311020001/")
    _raw_region("23110", "短码区", RegionLevel.COUNTY, city, "/23/2311/23110/")
    add_region("231103", "邻区", RegionLevel.COUNTY, city)
    add_region("231181", "北安市", RegionLevel.COUNTY, city)
    db.session.commit()
    return aihui


def test_in_subtree_selects_exactly_the_subtree(lookalikes):
    codes = set(db.session.scalars(select(Region.code).where(Region.in_subtree(lookalikes.path))))
    assert codes == {"231102", "231102001", "231102001001"}


def test_a_plain_prefix_match_would_leak_the_lookalike(lookalikes):
    # Negative control: the lookalike really shares the prefix, so the test above means something.
    prefix = lookalikes.path.rstrip("/")
    leaked = set(db.session.scalars(select(Region.code).where(Region.path.startswith(prefix))))
    assert "2311020" in leaked and "2311020001" in leaked


def test_in_subtree_of_a_leaf_is_the_leaf(lookalikes):
    village = db.session.scalar(select(Region).where(Region.code == "231102001001"))
    assert list(db.session.scalars(select(Region.code).where(Region.in_subtree(village.path)))) == [
        "231102001001"]


def test_in_subtree_of_the_city_has_everything_below_it(lookalikes):
    city = db.session.scalar(select(Region).where(Region.code == "2311"))
    codes = set(db.session.scalars(select(Region.code).where(Region.in_subtree(city.path))))
    assert codes == set(db.session.scalars(select(Region.code))) - {"23"}


def test_contains_agrees_with_in_subtree(lookalikes):
    regions = db.session.scalars(select(Region)).all()
    for top in regions:
        selected = set(db.session.scalars(select(Region.id).where(Region.in_subtree(top.path))))
        assert selected == {r.id for r in regions if top.contains(r)}, top.code
