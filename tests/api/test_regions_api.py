"""Region API: paging with X-Pagination, filters, scoping and JSON errors."""

import json

import pytest

from emergency.auth.models import Role

ALL_NAMES = ["黑龙江省", "黑河市", "爱辉区", "花园街道", "花园社区", "北安市", "赵光镇", "红星村"]


@pytest.fixture
def admin_headers(tree, make_user, token_for):
    return token_for(make_user(Role.ADMIN))


@pytest.fixture
def office_headers(tree, make_user, token_for):
    return token_for(make_user(Role.OFFICE, region=tree.county_a))


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [region["name"] for region in response.get_json()]


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def test_list_is_ordered_by_tree_path(client, admin_headers):
    response = client.get("/api/v1/regions?page_size=50", headers=admin_headers)
    # Depth first: each region is followed by its subtree.
    assert names(response) == ALL_NAMES
    first = response.get_json()[0]
    assert first == {"id": first["id"], "code": "23", "name": "黑龙江省", "level": "province",
                     "parent_id": None, "path": "/23/"}


def test_paging_with_x_pagination_header(client, admin_headers):
    first = client.get("/api/v1/regions?page_size=3", headers=admin_headers)
    assert names(first) == ALL_NAMES[:3]
    assert pagination(first) == {"total": 8, "total_pages": 3, "first_page": 1, "last_page": 3,
                                 "page": 1, "next_page": 2}
    last = client.get("/api/v1/regions?page_size=3&page=3", headers=admin_headers)
    assert names(last) == ALL_NAMES[6:]
    assert pagination(last)["previous_page"] == 2
    assert "next_page" not in pagination(last)
    # Walking the pages gives every region exactly once.
    seen = []
    for page in range(1, 4):
        seen += names(client.get(f"/api/v1/regions?page_size=3&page={page}", headers=admin_headers))
    assert seen == ALL_NAMES


def test_default_page_size_still_reports_the_total(client, admin_headers):
    response = client.get("/api/v1/regions", headers=admin_headers)
    assert pagination(response)["total"] == 8


@pytest.mark.parametrize("query", ["page=0", "page_size=0", "page=abc", "page_size=100000"])
def test_bad_paging_is_422_json(client, admin_headers, query):
    response = client.get(f"/api/v1/regions?{query}", headers=admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["message"]
    assert "errors" in body


def test_office_sees_only_its_subtree(client, office_headers):
    response = client.get("/api/v1/regions?page_size=50", headers=office_headers)
    assert names(response) == ["爱辉区", "花园街道", "花园社区"]
    assert pagination(response)["total"] == 3


def test_liaison_sees_only_its_units_region(client, tree, make_unit, make_user, token_for):
    unit = make_unit(tree.village_b)
    headers = token_for(make_user(Role.LIAISON, unit=unit))
    assert names(client.get("/api/v1/regions", headers=headers)) == ["红星村"]


def test_viewer_in_a_town_sees_the_town_and_below(client, tree, make_user, token_for):
    headers = token_for(make_user(Role.VIEWER, region=tree.town_b))
    assert names(client.get("/api/v1/regions", headers=headers)) == ["赵光镇", "红星村"]


@pytest.mark.parametrize(("query", "expected"), [
    ("level=town", ["花园街道", "赵光镇"]),
    ("level=county", ["爱辉区", "北安市"]),
    ("code=231181100", ["赵光镇"]),
    ("code=999999", []),
])
def test_filters(client, admin_headers, query, expected):
    assert names(client.get(f"/api/v1/regions?{query}", headers=admin_headers)) == expected


def test_children_of_a_region(client, tree, admin_headers, office_headers):
    assert names(client.get(f"/api/v1/regions?parent_id={tree.city.id}", headers=admin_headers)) == [
        "爱辉区", "北安市"]
    # The same question from 爱辉区 staff only shows their own county.
    assert names(client.get(f"/api/v1/regions?parent_id={tree.city.id}", headers=office_headers)) == [
        "爱辉区"]
    assert names(client.get(f"/api/v1/regions?parent_id={tree.county_b.id}", headers=office_headers)) == []


def test_filters_respect_scope(client, office_headers):
    assert names(client.get("/api/v1/regions?level=town", headers=office_headers)) == ["花园街道"]
    assert names(client.get("/api/v1/regions?code=231181", headers=office_headers)) == []


@pytest.mark.parametrize("query", ["level=planet", "parent_id=0", "parent_id=x", "code=" + "1" * 13])
def test_bad_filter_is_422_json(client, admin_headers, query):
    response = client.get(f"/api/v1/regions?{query}", headers=admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["message"] and body["errors"]


def test_get_one_region(client, tree, office_headers):
    response = client.get(f"/api/v1/regions/{tree.town_a.id}", headers=office_headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": tree.town_a.id, "code": "231102001", "name": "花园街道", "level": "town",
        "parent_id": tree.county_a.id, "path": "/23/2311/231102/231102001/"}


@pytest.mark.parametrize("which", ["county_b", "village_b", "city", "province"])
def test_region_outside_scope_is_404_json(client, tree, office_headers, which):
    response = client.get(f"/api/v1/regions/{getattr(tree, which).id}", headers=office_headers)
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404
    assert body["message"] == "页面或记录未找到，或不在您的管辖范围内。"


def test_unknown_region_is_the_same_404(client, office_headers):
    response = client.get("/api/v1/regions/999999", headers=office_headers)
    assert response.status_code == 404
    assert response.get_json()["message"] == "页面或记录未找到，或不在您的管辖范围内。"


def test_regions_are_read_only(client, tree, admin_headers):
    response = client.post("/api/v1/regions", headers=admin_headers, json={"name": "新区"})
    assert response.status_code == 405
    assert set(response.get_json()) >= {"code", "message"}
    response = client.delete(f"/api/v1/regions/{tree.county_b.id}", headers=admin_headers)
    assert response.status_code == 405
