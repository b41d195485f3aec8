"""The dashboard: headline figures from the stored scan, drill-down links, charts without scripts."""

import re
from datetime import date

import pytest

from emergency.auth.models import Role
from emergency.compliance.scan import scan
from emergency.compliance.seed import seed_rules
from emergency.extensions import db
from emergency.units.models import UnitKind

TODAY = date(2026, 11, 20)


@pytest.fixture
def scanned(app, tree, make_unit):
    """Two counties with schools and towns that have no plans, scanned on TODAY."""
    app.config["TODAY"] = TODAY.isoformat()
    seed_rules()
    make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET)
    make_unit(tree.town_a, name="爱辉区第一小学", kind=UnitKind.SCHOOL)
    make_unit(tree.town_b, name="赵光镇人民政府", kind=UnitKind.TOWN_STREET)
    scan(TODAY)
    db.session.commit()
    return tree


def figures(html: str) -> dict[str, int]:
    pairs = re.findall(r'<div class="text-muted small">([^<]*)</div><div class="fs-3 text-body">(\d+)', html)
    return {label: int(value) for label, value in pairs}


def test_city_office_sees_figures_for_both_counties(scanned, login, make_user):
    office = make_user(Role.OFFICE, region=scanned.city)
    page = login(office).get("/dashboard/", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    numbers = figures(page.text)
    # Three units, none with a plan: each misses its required plan.
    assert numbers["没有所需预案的单位"] == 3
    assert "爱辉区" in page.text and "北安市" in page.text
    assert page.text.count("<svg") == 4 and "<script>" not in page.text


def test_county_office_sees_only_its_county(scanned, login, make_user):
    office = make_user(Role.OFFICE, region=scanned.county_a)
    page = login(office).get("/dashboard/", headers={"Accept-Language": "zh-CN"})
    assert figures(page.text)["没有所需预案的单位"] == 2
    assert "北安市" not in page.text


def test_each_figure_links_to_the_items_behind_it(scanned, login, make_user):
    office = make_user(Role.OFFICE, region=scanned.county_a)
    client = login(office)
    page = client.get("/dashboard/").text
    link = re.search(r'href="(/compliance/\?[^"]*obligation=have_plan[^"]*)"', page).group(1)
    listed = client.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "花园街道办事处" in listed.text and "爱辉区第一小学" in listed.text
    assert "赵光镇人民政府" not in listed.text


def test_region_outside_scope_is_404_and_liaisons_have_no_dashboard(scanned, login, make_user,
                                                                    make_unit):
    office = make_user(Role.OFFICE, region=scanned.county_a)
    assert login(office).get(f"/dashboard/?region={scanned.county_b.id}").status_code == 404
    unit = make_unit(scanned.town_a, name="某企业")
    liaison = make_user(Role.LIAISON, unit=unit)
    assert login(liaison).get("/dashboard/").status_code == 404
