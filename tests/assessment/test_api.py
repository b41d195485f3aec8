"""GET /api/v1/assessment: the page's figures as JSON, with the same scope rules."""

from emergency.auth.models import Role
from tests.assessment.test_pages import A, B


def test_city_assessment_as_json(world, client, token_for):
    response = client.get("/api/v1/assessment?year=2026", headers=token_for(world.office_city))
    assert response.status_code == 200
    body = response.get_json()
    assert body["region_code"] == "2311" and body["grouping"] == "county"
    groups = {g["key"]: g for g in body["groups"]}
    assert (groups[A]["total"], groups[A]["grade"]) == (64.4, "pass")
    k3 = next(i for i in groups[A]["indicators"] if i["code"] == "K3")
    assert (k3["num"], k3["den"]) == (2, 3)
    assert next(i for i in groups[B]["indicators"] if i["code"] == "K13")["status"] == "not_tracked"


def test_scope_no_data_and_roles(world, client, token_for, make_user):
    headers = token_for(world.office_a)
    assert client.get("/api/v1/assessment?region=231181", headers=headers).status_code == 404
    body = client.get("/api/v1/assessment", headers=headers).get_json()
    assert body["region_code"] == "231102" and "赵光镇" not in str(body)
    assert client.get("/api/v1/assessment?year=2020", headers=headers).status_code == 404
    assert client.get("/api/v1/assessment?grouping=all", headers=headers).status_code == 422
    liaison = make_user(Role.LIAISON, unit=world.school)
    assert client.get("/api/v1/assessment", headers=token_for(liaison)).status_code == 403
    assert client.get("/api/v1/assessment").status_code == 401
