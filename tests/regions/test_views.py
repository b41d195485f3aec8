"""Region pages: the tree within the user's scope, with breadcrumbs and unit counts."""

import re

import pytest

from emergency.auth.models import Role
from emergency.units.models import UnitKind


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a)


@pytest.fixture
def units(tree, make_unit):
    return [
        make_unit(tree.county_a, name="爱辉区应急管理局", kind=UnitKind.GOVERNMENT_DEPARTMENT,
                  identifier=None),
        make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET),
        make_unit(tree.village_a, name="花园社区居委会", kind=UnitKind.VILLAGE_COMMUNITY),
        make_unit(tree.village_a, name="花园社区幼儿园", kind=UnitKind.KINDERGARTEN,
                  identifier="1123000001"),
        make_unit(tree.town_b, name="赵光镇政府", kind=UnitKind.TOWN_STREET),
    ]


def breadcrumb(response) -> list[str]:
    nav = re.search(r'<ol class="breadcrumb">(.*?)</ol>', response.text, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item).strip()
            for item in re.findall(r'<li class="breadcrumb-item[^"]*"[^>]*>(.*?)</li>', nav, re.S)]


def child_rows(response) -> dict[str, str]:
    """Return child name -> unit count from the children table."""
    rows = re.findall(r'<td><a href="/regions/\d+">([^<]+)</a></td>.*?'
                      r'<td class="text-end"><a href="/units/\?region=\d+">(\d+)</a></td>',
                      response.text, re.S)
    return {name: int(count) for name, count in rows}


def test_office_starts_at_its_county(login, office, tree):
    response = login(office).get("/regions/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/regions/{tree.county_a.id}"


def test_county_page_lists_children_with_unit_counts(login, office, tree, units):
    response = login(office).get(f"/regions/{tree.county_a.id}")
    assert response.status_code == 200
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S).group(1)
    assert "爱辉区" in heading and "县（市、区）" in heading and "231102" in heading
    assert child_rows(response) == {"花园街道": 3}  # the town and its village, not the county's own
    assert "北安市" not in response.text
    assert f'href="/units/?region={tree.county_a.id}"' in response.text  # "本区域的单位"
    assert "本区域的单位" in response.text


def test_breadcrumb_stops_at_the_top_of_the_scope(login, office, tree, units):
    response = login(office).get(f"/regions/{tree.village_a.id}")
    assert response.status_code == 200
    assert breadcrumb(response) == ["爱辉区", "花园街道", "花园社区"]
    assert "没有下级区域。" in response.text


def test_admin_sees_the_whole_path_and_both_counties(login, make_user, tree, units):
    admin = make_user(Role.ADMIN)
    client = login(admin)
    assert client.get("/regions/").headers["Location"] == f"/regions/{tree.province.id}"
    city = client.get(f"/regions/{tree.city.id}")
    assert child_rows(city) == {"爱辉区": 4, "北安市": 1}
    village = client.get(f"/regions/{tree.village_a.id}")
    assert breadcrumb(village) == ["黑龙江省", "黑河市", "爱辉区", "花园街道", "花园社区"]


def test_region_outside_scope_is_404(login, office, tree):
    client = login(office)
    for region in (tree.county_b, tree.town_b, tree.village_b, tree.city, tree.province):
        response = client.get(f"/regions/{region.id}")
        assert response.status_code == 404
        assert "页面或记录未找到，或不在您的管辖范围内。" in response.text


def test_unknown_region_is_404(login, office, tree):
    assert login(office).get("/regions/999999").status_code == 404


def test_viewer_browses_like_the_office(login, make_user, tree, units):
    viewer = make_user(Role.VIEWER, region=tree.county_b)
    client = login(viewer)
    assert client.get("/regions/").headers["Location"] == f"/regions/{tree.county_b.id}"
    assert child_rows(client.get(f"/regions/{tree.county_b.id}")) == {"赵光镇": 1}
    assert client.get(f"/regions/{tree.county_a.id}").status_code == 404


def test_liaison_has_no_region_tree(login, make_user, units):
    liaison = make_user(Role.LIAISON, unit=units[1])
    response = login(liaison).get("/regions/")
    assert response.status_code == 404


def test_region_pages_need_login(client, tree):
    response = client.get(f"/regions/{tree.county_a.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
