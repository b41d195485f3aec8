"""The circular's figures: units with overdue items by county and town, and the change."""

from datetime import date

import pytest
from sqlalchemy import delete

from emergency.circulars.figures import Month, MonthError, computed_snapshot, stored_snapshot
from emergency.circulars.report import build_circular
from emergency.compliance.models import Obligation
from emergency.extensions import db
from tests.circulars.conftest import TODAY_DATE

NOVEMBER = Month(2026, 11)


def lines(circular) -> dict:
    """Return {county: {town: [(unit, items, {category: n}, items last month)]}} by name."""
    result = {}
    for county in circular.listed_counties:
        towns = result.setdefault(county.region.name, {})
        for town in county.listed_towns:
            towns[town.region.name if town.region else None] = [
                (u.name, u.items, dict(u.categories), u.previous) for u in town.units]
    return result


def test_units_with_overdue_items_by_county_and_town(city):
    circular = build_circular(city.office_city, city.tree.city, NOVEMBER, TODAY_DATE)

    assert circular.current.stored and circular.current.as_of == TODAY_DATE
    assert lines(circular) == {
        "爱辉区": {"花园街道": [("花园热力公司", 2, {"filing": 1, "revision": 1}, 3),
                              ("爱辉化工厂", 1, {"no_plan": 1}, 1)]},
        "北安市": {None: [("北安市应急管理局", 1, {"no_plan": 1}, 1)],
                  "赵光镇": [("北安煤矿", 1, {"filing": 1}, 0)]},
    }
    assert (circular.units, circular.items) == (4, 5)


def test_change_since_the_end_of_last_month(city):
    circular = build_circular(city.office_city, city.tree.city, NOVEMBER, TODAY_DATE)

    assert not circular.previous.stored and circular.previous.as_of == date(2026, 10, 31)
    assert (circular.previous_units, circular.previous_items) == (4, 6)
    # The late filing of 爱辉建筑公司 and one closed revision item of 花园热力公司.
    assert circular.resolved == 2
    assert circular.change == -1
    assert circular.cleared == ["爱辉建筑公司"]
    by_county = {c.region.name: (c.previous_units, c.previous_items, c.units, c.items, c.resolved)
                 for c in circular.counties}
    assert by_county == {"爱辉区": (3, 5, 2, 3, 2), "北安市": (1, 1, 2, 2, 0)}


def test_a_county_office_gets_only_its_county(city):
    circular = build_circular(city.office_b, city.tree.county_b, NOVEMBER, TODAY_DATE)

    assert set(lines(circular)) == {"北安市"}
    figures = (circular.units, circular.items, circular.previous_items, circular.resolved)
    assert figures == (2, 2, 1, 0)


def test_scope_limits_the_units_even_for_a_region_above_it(city):
    # The views never pass a region outside scope; the figures still only count visible units.
    circular = build_circular(city.office_a, city.tree.city, NOVEMBER, TODAY_DATE)

    assert set(lines(circular)) == {"爱辉区"}


def test_an_earlier_month_is_computed_as_of_its_last_day(city):
    circular = build_circular(city.office_city, city.tree.city, Month(2026, 10), TODAY_DATE)

    assert not circular.current.stored and circular.current.as_of == date(2026, 10, 31)
    assert circular.previous.as_of == date(2026, 9, 30)
    assert (circular.units, circular.items) == (4, 6)
    assert {u.name for c in circular.listed_counties for t in c.listed_towns for u in t.units} == {
        "爱辉化工厂", "花园热力公司", "爱辉建筑公司", "北安市应急管理局"}


def test_stored_and_recomputed_items_are_the_same_items(city):
    """The improvements compare stored rows with computed ones: their identities must agree."""
    stored = stored_snapshot(city.admin, city.tree.city)
    computed = computed_snapshot(city.admin, city.tree.city, TODAY_DATE)

    assert stored.keys == computed.keys and stored.items == computed.items
    # The revision items differ only by their own id, which the evidence carries.
    revision_keys = [k for k in stored.keys if k[1] == "T-REV"]
    assert len(revision_keys) == 1 and revision_keys[0][4] is not None


def test_nothing_stored_yet_falls_back_to_computing_today(app, city):
    db.session.execute(delete(Obligation))
    db.session.commit()
    circular = build_circular(city.office_city, city.tree.city, NOVEMBER, TODAY_DATE)

    assert not circular.current.stored and (circular.units, circular.items) == (4, 5)


def test_a_stored_scan_with_nothing_overdue_is_still_the_stored_scan(app, city):
    db.session.execute(delete(Obligation).where(Obligation.status.in_(["overdue", "missing"])))
    db.session.commit()

    snapshot = stored_snapshot(city.office_city, city.tree.city)

    assert snapshot.stored and snapshot.as_of == TODAY_DATE and snapshot.total == 0


@pytest.mark.parametrize(("text", "code"), [
    ("2026-13", "malformed"), ("2026-00", "malformed"), ("2026-1", "malformed"),
    ("26-10", "malformed"), ("２０２６-１０", "malformed"), ("", "malformed"), (None, "malformed"),
    ("2026-12", "future"), ("2027-01", "future"), ("1999-12", "too_old"),
])
def test_month_refuses_bad_input(text, code):
    with pytest.raises(MonthError) as raised:
        Month.parse(text, date(2026, 11, 20))
    assert raised.value.code == code


@pytest.mark.parametrize(("text", "first", "last", "previous"), [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), Month(2026, 10)),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31), Month(2025, 12)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), Month(2024, 1)),
    (" 2025-12 ", date(2025, 12, 1), date(2025, 12, 31), Month(2025, 11)),
])
def test_month_bounds(text, first, last, previous):
    month = Month.parse(text, date(2026, 11, 20))
    assert (month.first_day, month.last_day, month.previous()) == (first, last, previous)
