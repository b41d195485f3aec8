"""CSRF protection with WTF_CSRF_ENABLED=True: every state-changing page route refuses a missing token.

The routes are enumerated from app.url_map, so a new POST/PUT/PATCH/DELETE page is covered (and must
be protected) without touching this file. The JSON API under /api/ is exempt because it takes no
cookies, only bearer tokens (see tests/api/test_tokens.py).
"""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from emergency import create_app
from emergency.auth.models import LoginFailure, User
from emergency.auth.services import create_token
from emergency.extensions import db
from tests.conftest import _config, _empty_tables
from tests.factories import PASSWORD, log_in, valid_uscc
from tests.test_idor import FACTORIES, OTHER_ARGUMENTS, World, admin_world, fill, liaison_b

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
NEW_PASSWORD = "staple-lantern-42-river"
CSRF_MESSAGE = "表单已过期或并非从本系统提交。请刷新页面后重试。"
#: Routes whose success with `payload()` (CSRF off) is checked too, proving that the payload would
#: have changed something: the 400 is then due to the missing token alone. (Logging in while
#: logged in changes nothing, so auth.login is not here.)
CONTROLLED = {
    "auth.logout", "auth.change_password", "auth.preferences", "auth.set_language",
    "auth.create_token", "auth.revoke_token", "units.add", "units.edit", "units.delete",
    "units.add_liaison_view", "users.add", "users.edit", "users.unlock",
}


@pytest.fixture
def app(migrated, tmp_path):
    """Like conftest's app, but with CSRF protection on as in production."""
    settings = _config(migrated, tmp_path / "uploads")
    settings["WTF_CSRF_ENABLED"] = True
    application = create_app(settings)
    with application.app_context():
        yield application
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


def _state_changing_rules():
    rules = create_app({"WTF_CSRF_ENABLED": True, "SECRET_KEY": "x"}).url_map.iter_rules()
    found = []
    for rule in rules:
        if rule.rule.startswith("/api/"):
            continue
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            found.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return found


RULES = _state_changing_rules()


def test_the_enumeration_finds_the_known_forms():
    endpoints = {param.values[1] for param in RULES}
    assert {"auth.login", "auth.logout", "auth.change_password", "units.add", "units.edit",
            "units.delete", "users.edit", "users.unlock"} <= endpoints
    assert not any(param.values[0].startswith("/api/") for param in RULES)


world = pytest.fixture(admin_world, name="world")


def url_for_rule(rule: str, world: World) -> str:
    values = {}
    for name in re.findall(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", rule):
        if name == "token_id":
            # Tokens can only be revoked by their owner: use one of the admin's.
            token, _secret = create_token(world.admin, "integration")
            db.session.commit()
            values[name] = token.id
        elif name == "user_id":
            user = liaison_b(world)
            db.session.add(LoginFailure(username=user.username, ip="10.0.0.9", at=datetime.now(UTC)))
            db.session.commit()
            values[name] = user.id
        elif name in FACTORIES:
            values[name] = FACTORIES[name](world)
        elif name in OTHER_ARGUMENTS:
            values[name] = OTHER_ARGUMENTS[name]
        else:
            pytest.fail(f"{rule}: no test value for <{name}>; add a factory to tests/test_idor.py")
    return fill(rule, values)


def payload(world: World) -> dict:
    """Valid data for the forms, so that only the missing token can stop the change."""
    return {
        "username": "csrfuser", "password": NEW_PASSWORD, "display_name": "跨站测试",
        "email": "csrf@yjj.local", "phone": "0456-8220000", "role": "office",
        "region_id": str(world.tree.town_a.id), "unit_id": "", "locale": "en", "is_active": "y",
        "name": "跨站请求伪造测试", "kind": "enterprise", "identifier": valid_uscc("231102"),
        "assessment_class": "", "version": "1", "current": PASSWORD, "new": NEW_PASSWORD,
        "confirm": NEW_PASSWORD, "next": "/",
    }


def snapshot() -> dict:
    """Every row of every table, read fresh from the database."""
    db.session.rollback()
    return {
        table.name: [tuple(row) for row in db.session.execute(
            select(table).order_by(*table.primary_key.columns)).all()]
        for table in db.metadata.sorted_tables
    }


@pytest.mark.parametrize(("rule", "endpoint", "method"), RULES)
def test_state_change_without_token_is_refused(app, client, world, rule, endpoint, method):
    log_in(client, world.admin)
    url = url_for_rule(rule, world)
    before = snapshot()

    response = client.open(url, method=method, data=payload(world))

    assert response.status_code == 400, f"{method} {url} accepted a request without CSRF token"
    assert CSRF_MESSAGE in response.text
    assert snapshot() == before
    # Control: the same request does change things once CSRF is off, so the check above is not
    # passing merely because the payload was unusable.
    if endpoint in CONTROLLED:
        app.config["WTF_CSRF_ENABLED"] = False
        response = client.open(url, method=method, data=payload(world))
        assert response.status_code < 400, response.text
        assert snapshot() != before


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def test_login_with_token_from_the_page_succeeds(client, world):
    page = client.get("/login")
    token = csrf_token_in(page.text)
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200


def test_login_without_token_is_refused_and_not_counted(client, world):
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.text
    assert client.get("/account").status_code == 302


def test_token_from_another_session_is_refused(app, client, world):
    other = app.test_client()
    token = csrf_token_in(other.get("/login").text)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_forged_token_is_refused(client, world):
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": "IjEyMyI.forged.token"})
    assert response.status_code == 400


def test_buttons_in_the_layout_carry_a_working_token(client, world):
    log_in(client, world.admin)
    token = csrf_token_in(client.get("/account").text)
    response = client.post("/language/en", data={"csrf_token": token, "next": "/account"})
    assert response.status_code == 302
    assert db.session.get(User, world.admin.id).locale == "en"
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
