"""API authentication: bearer tokens, their life cycle, the public OpenAPI document and /me."""

import hashlib
import re

import pytest
from sqlalchemy import func, select

from emergency.auth.models import ApiToken, Role
from emergency.extensions import db
from emergency.units.models import Unit
from tests.factories import PASSWORD, log_in, valid_uscc

TOKEN_MESSAGE_ZH = "需要有效的API令牌（Authorization: Bearer <令牌>）。"


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="api_office")


def assert_401(response):
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == 401
    assert body["message"] == TOKEN_MESSAGE_ZH


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer em_not-a-real-token"},
    {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="},
    {"Authorization": "Token em_x"},
])
def test_missing_or_wrong_token_is_401_json(client, office, headers):
    assert_401(client.get("/api/v1/me", headers=headers))


def test_token_of_another_scheme_name_is_refused_but_bearer_is_case_insensitive(client, office, token_for):
    secret = token_for(office)["Authorization"].split(" ", 1)[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200
    assert_401(client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}x"}))
    assert_401(client.get("/api/v1/me", headers={"Authorization": secret}))


def test_401_message_follows_accept_language(client, office):
    response = client.get("/api/v1/me", headers={"Accept-Language": "en-US"})
    assert response.status_code == 401
    assert response.get_json()["message"] == (
        "A valid API token is required (Authorization: Bearer <token>).")


def test_unknown_api_path_needs_a_token_first(client, office, token_for):
    assert_401(client.get("/api/v1/no-such-thing"))
    response = client.get("/api/v1/no-such-thing", headers=token_for(office))
    assert response.status_code == 404
    assert set(response.get_json()) >= {"code", "message"}


def test_revoked_token_is_401(app, client, office, token_for):
    headers = token_for(office)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == office.id)).one()
    web = app.test_client()
    log_in(web, office)
    response = web.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert_401(client.get("/api/v1/me", headers=headers))
    # The account page shows it as revoked.
    assert "已吊销" in web.get("/account").text


def test_token_of_deactivated_user_is_401(client, office, token_for):
    headers = token_for(office)
    office.is_active = False
    db.session.commit()
    assert_401(client.get("/api/v1/me", headers=headers))


def test_someone_elses_token_cannot_be_revoked(app, office, make_user, tree, token_for):
    headers = token_for(office)
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == office.id)).one()
    other = make_user(Role.OFFICE, region=tree.county_a)
    web = app.test_client()
    log_in(web, other)
    assert web.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


def test_token_created_on_account_page_is_shown_once_and_stored_hashed(app, office):
    web = app.test_client()
    log_in(web, office)
    response = web.post("/account/tokens", data={"name": "数据对接"})
    assert response.status_code == 200
    secret = re.search(r"em_[A-Za-z0-9_\-]{20,}", response.text).group(0)
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == office.id)).one()
    assert token.name == "数据对接"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.token_hash and token.prefix == secret[:10]
    # The account page lists it by prefix only.
    account = web.get("/account").text
    assert token.prefix in account and secret not in account
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "api_office"


def test_session_cookie_does_not_authenticate_the_api(app, office, tree):
    """The API is exempt from CSRF only because cookies are ignored there."""
    web = app.test_client()
    log_in(web, office)
    assert web.get("/account").status_code == 200
    response = web.post("/api/v1/units", json={
        "name": "跨站创建", "kind": "enterprise", "region_id": tree.town_a.id,
        "identifier": valid_uscc("231102")})
    assert_401(response)
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_me_returns_the_tokens_owner(client, office, tree, token_for):
    response = client.get("/api/v1/me", headers=token_for(office))
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "id": office.id, "username": "api_office", "display_name": office.display_name,
        "email": office.email, "role": "office", "region_id": tree.county_a.id, "unit_id": None,
        "locale": None,
    }
    assert "password_hash" not in body and "session_version" not in body


def test_me_for_a_liaison(client, tree, make_unit, make_user, token_for):
    unit = make_unit(tree.town_a)
    liaison = make_user(Role.LIAISON, unit=unit)
    body = client.get("/api/v1/me", headers=token_for(liaison)).get_json()
    assert body["role"] == "liaison" and body["unit_id"] == unit.id and body["region_id"] is None


def test_api_use_survives_password_change(app, office, token_for):
    """Tokens are separate credentials: they end when revoked, not when the password changes."""
    headers = token_for(office)
    web = app.test_client()
    log_in(web, office)
    response = web.post("/account/password", data={
        "current": PASSWORD, "new": "brand-new-passphrase-7", "confirm": "brand-new-passphrase-7"})
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_document_is_public_and_documents_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/regions", "/api/v1/regions/{region_id}", "/api/v1/units",
            "/api/v1/units/{unit_id}"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/v1/units"]) >= {"get", "post"}
    assert set(spec["paths"]["/api/v1/units/{unit_id}"]) >= {"get", "patch", "delete"}
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in spec["security"]


def test_openapi_documents_unit_fields_and_pagination(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    unit = spec["components"]["schemas"]["Unit"]
    assert {"name", "kind", "region_id"} <= set(unit["required"])
    assert "enterprise" in unit["properties"]["kind"]["enum"]
    patch = spec["components"]["schemas"]["UnitPatch"]
    assert "version" in patch["properties"]
    params = {p["name"] for p in spec["paths"]["/api/v1/units"]["get"]["parameters"]}
    assert {"page", "page_size", "q", "kind", "region"} <= params
