"""GET /api/v1/compliance: tokens, scoping, dates, status filter, paging, agreement with the CLI."""

import json
from collections import Counter

import pytest

from emergency.auth.models import Role
from emergency.compliance import queries
from emergency.extensions import db
from tests.compliance.conftest import TODAY_DATE, key, stored, stored_count, zh

STATUSES = ["overdue", "missing", "due_soon", "due_before_assessment", "done", "not_applicable"]
URL = "/api/v1/compliance"


def get(client, headers, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"{URL}?{query}" if query else URL, headers=headers)


def all_items(client, headers, **params) -> list[dict]:
    """Read every page of the answer."""
    items, page = [], 1
    while True:
        body = get(client, headers, page=page, page_size=7, **params).get_json()
        items.extend(body["items"])
        if page * 7 >= body["total"]:
            return items
        page += 1


def test_a_token_is_required(world, client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["message"] == zh(
        "A valid API token is required (Authorization: Bearer <token>).")
    assert client.get(URL, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_office_sees_its_county_only(world, client, token_for):
    headers = token_for(world.office_a)
    response = get(client, headers, as_of="2026-11-20")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"as_of", "assessment_date", "summary", "total", "page", "page_size",
                         "items"}
    assert (body["as_of"], body["assessment_date"]) == ("2026-11-20", "2026-12-31")
    assert set(body["summary"]) == set(STATUSES)
    assert body["summary"] == {"overdue": 10, "missing": 1, "due_soon": 1,
                               "due_before_assessment": 5, "done": 9, "not_applicable": 2}
    assert body["total"] == sum(body["summary"].values()) == len(body["items"])
    assert {i["unit_name"] for i in body["items"]} == {"花园小学", "爱辉化工厂", "花园街道办事处",
                                                       "花园社区居委会"}
    # The default date is today in China.
    assert get(client, headers).get_json() == body

    # A town of its county is fine; a region or unit of county B is "not there".
    town = get(client, headers, region="231102001").get_json()
    assert town["total"] == body["total"]
    village = get(client, headers, region="231102001001").get_json()
    assert {i["unit_name"] for i in village["items"]} == {"花园社区居委会"}
    for params in ({"region": "231181"}, {"region": "231181100"}, {"region": "2311"},
                   {"region": "999999"}):
        response = get(client, headers, **params)
        assert response.status_code == 404, params
        assert response.get_json()["message"] == zh(
            "This region does not exist or is outside your scope.")
    response = get(client, headers, unit=world.b_mine.id)
    assert response.status_code == 404
    assert response.get_json()["message"] == zh(
        "This unit does not exist or is outside your scope.")

    mine = get(client, headers, unit=world.village.id).get_json()
    assert {i["unit_id"] for i in mine["items"]} == {world.village.id}

    # County B's office sees its mine and nothing of county A.
    b_body = get(client, token_for(world.office_b)).get_json()
    assert {i["unit_name"] for i in b_body["items"]} == {"北安煤矿"}
    assert get(client, token_for(world.office_b), region="231102").status_code == 404


def test_a_liaison_sees_only_its_unit(world, client, token_for, make_user):
    headers = token_for(make_user(Role.LIAISON, unit=world.school))
    body = get(client, headers).get_json()
    assert {i["unit_id"] for i in body["items"]} == {world.school.id}
    assert body["total"] == 15
    # Its own region still shows only its own unit, not its neighbours.
    same_region = get(client, headers, region="231102001")
    assert same_region.status_code == 200
    assert {i["unit_id"] for i in same_region.get_json()["items"]} == {world.school.id}
    assert get(client, headers, region="231102").status_code == 404
    assert get(client, headers, unit=world.chemical.id).status_code == 404
    assert get(client, headers, unit=world.school.id).get_json()["total"] == 15


@pytest.mark.parametrize("value", ["2026-13-01", "garbage", "2026-02-30", "11/20/2026"])
def test_a_malformed_date_is_422_with_a_chinese_message(world, client, token_for, value):
    response = get(client, token_for(world.office_a), as_of=value)
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"]["query"]["as_of"] == [zh("Enter a date as YYYY-MM-DD.")]


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "bogus"}, "status"), ({"page": "0"}, "page"), ({"page_size": "5000"}, "page_size"),
    ({"unit": "abc"}, "unit"),
])
def test_other_bad_parameters_are_422(world, client, token_for, params, field):
    response = get(client, token_for(world.office_a), **params)
    assert response.status_code == 422
    messages = response.get_json()["errors"]["query"][field]
    assert messages and all(not m.isascii() for m in messages), messages


def test_a_region_code_of_the_wrong_length_is_422(world, client, token_for):
    # marshmallow's "Length must be between 2 and 12." has no Chinese translation yet.
    assert get(client, token_for(world.office_a), region="1").status_code == 422


def test_status_filter(world, client, token_for):
    headers = token_for(world.admin)
    body = get(client, headers, status="overdue").get_json()
    assert body["total"] == body["summary"]["overdue"] == 11
    assert {i["status"] for i in body["items"]} == {"overdue"}
    missing = get(client, headers, status="missing").get_json()
    assert sorted(i["unit_name"] for i in missing["items"]) == ["北安煤矿", "花园街道办事处"]
    assert [i["due_on"] for i in missing["items"]] == [None, None]
    # The summary always counts everything in scope, whatever the filter.
    assert missing["summary"] == body["summary"]


def test_paging(world, client, token_for):
    headers = token_for(world.admin)
    whole = get(client, headers, page_size=1000).get_json()
    assert whole["total"] == 32
    pages = [get(client, headers, page=n, page_size=10).get_json() for n in (1, 2, 3, 4, 5)]
    assert [len(p["items"]) for p in pages] == [10, 10, 10, 2, 0]
    assert {p["total"] for p in pages} == {32}
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5]
    assert [i for p in pages for i in p["items"]] == whole["items"]
    assert get(client, headers).get_json()["page_size"] == 100


def test_items_match_the_cli_json_for_the_same_date(world, client, token_for, runner):
    for as_of in ("2026-11-20", "2026-08-15", "2027-03-01"):
        api = all_items(client, token_for(world.admin), as_of=as_of)
        result = runner.invoke(
            args=["compliance", "scan", "--as-of", as_of, "--json", "--no-store"])
        assert result.exit_code == 0, result.output
        cli = json.loads(result.stdout)
        assert api == cli["items"], as_of
        body = get(client, token_for(world.admin), as_of=as_of).get_json()
        assert body["summary"] == cli["summary"]
        assert body["assessment_date"] == cli["assessment_date"]

    # The same holds inside a region, for an office user.
    api = all_items(client, token_for(world.office_a), as_of="2026-11-20", region="231102001")
    result = runner.invoke(args=["compliance", "scan", "--as-of", "2026-11-20", "--region",
                                 "231102001", "--json", "--no-store"])
    assert api == json.loads(result.stdout)["items"]


def test_the_api_matches_the_panels_and_writes_nothing(world, client, token_for):
    before = stored_count()
    items = all_items(client, token_for(world.admin), as_of="2026-11-20")
    db.session.expire_all()
    assert stored_count() == before
    panels = Counter()
    for unit in (world.school, world.chemical, world.town, world.village, world.b_mine):
        for o in queries.unit_obligations(unit, TODAY_DATE)[1]:
            panels[(o.unit_id, o.rule_code, o.subject, o.due_on.isoformat() if o.due_on else None,
                    str(o.status))] += 1
    assert Counter((i["unit_id"], i["rule_code"], i["subject"], i["due_on"], i["status"])
                   for i in items) == panels
    assert all(key(row) for row in stored())
