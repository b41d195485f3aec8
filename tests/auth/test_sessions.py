"""Sessions: revocation on password, role, scope and activation changes; logout; interface language."""

import pytest
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.extensions import db
from tests.factories import PASSWORD, log_in

NEW_PASSWORD = "staple-lantern-42-river"


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="wangwu")


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(Role.ADMIN, username="admin")
    client = app.test_client()
    log_in(client, admin)
    return client


def real_login(app, username="wangwu", password=PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.text
    return client


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- password change -------------------------------------------------------------------------


def test_password_hash_is_scrypt(office):
    assert office.password_hash.startswith("scrypt:")
    assert PASSWORD not in office.password_hash


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/account/password", data={
        "current": current, "new": new, "confirm": new if confirm is None else confirm})


def test_password_change_keeps_this_session_and_ends_the_others(app, office):
    first, second = real_login(app), real_login(app)
    assert logged_in(first) and logged_in(second)

    response = change_password(first)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = first.get("/account")
    assert page.status_code == 200
    assert "密码已修改，其他会话已退出登录。" in page.text

    assert sent_to_login(second.get("/units/"))
    assert not logged_in(second)
    assert logged_in(first)


def test_password_change_stores_a_new_scrypt_hash(app, office):
    old_hash = office.password_hash
    change_password(real_login(app))
    user = reload(office)
    assert user.password_hash != old_hash
    assert user.password_hash.startswith("scrypt:")
    # The new password logs in, the old one no longer does.
    assert app.test_client().post(
        "/login", data={"username": "wangwu", "password": PASSWORD}).status_code == 401
    real_login(app, password=NEW_PASSWORD)
    assert db.session.scalar(select(AuditEntry.user_id).where(
        AuditEntry.action == "password_changed")) == office.id


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not-my-password", NEW_PASSWORD, None, "当前密码错误。"),
    (PASSWORD, "wangwu-2024-secret", None, "密码不能包含用户名。"),
    (PASSWORD, "short", None, None),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", None),
])
def test_refused_password_change_changes_nothing(app, office, current, new, confirm, message):
    first, second = real_login(app), real_login(app)
    before = (office.password_hash, office.session_version)
    response = change_password(first, current=current, new=new, confirm=confirm)
    assert response.status_code == 400
    if message:
        assert message in response.text
    user = reload(office)
    assert (user.password_hash, user.session_version) == before
    assert logged_in(first) and logged_in(second)


# --- changes by an administrator -------------------------------------------------------------


def edit_form(user: User, **changes) -> dict:
    data = {
        "username": user.username, "display_name": user.display_name, "email": user.email,
        "phone": user.phone or "", "role": str(user.role),
        "region_id": str(user.region_id or ""), "unit_id": str(user.unit_id or ""),
        "locale": user.locale or "", "is_active": "y" if user.is_active else None, "password": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("change", ["role", "scope", "deactivate", "password"])
def test_admin_change_ends_the_users_sessions(app, office, tree, admin_client, change):
    user_client = real_login(app)
    assert logged_in(user_client)
    changes = {
        "role": {"role": "viewer"},
        "scope": {"region_id": str(tree.county_b.id)},
        "deactivate": {"is_active": None},
        "password": {"password": "admin-chosen-password-9"},
    }[change]
    response = admin_client.post(f"/users/{office.id}/edit", data=edit_form(office, **changes))
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == f"/users/{office.id}/edit"

    user = reload(office)
    if change == "role":
        assert user.role == Role.VIEWER
    elif change == "scope":
        assert user.region_id == tree.county_b.id
    elif change == "deactivate":
        assert user.is_active is False
    assert sent_to_login(user_client.get("/units/"))
    # The administrator's own session is untouched.
    assert logged_in(admin_client)


def test_admin_edit_of_contact_details_keeps_sessions(app, office, admin_client):
    user_client = real_login(app)
    response = admin_client.post(f"/users/{office.id}/edit",
                                 data=edit_form(office, display_name="王五（新）", phone="0456-1234567"))
    assert response.status_code == 302
    assert reload(office).display_name == "王五（新）"
    assert logged_in(user_client)


def test_deactivated_user_cannot_log_in_again(app, office, admin_client):
    admin_client.post(f"/users/{office.id}/edit", data=edit_form(office, is_active=None))
    response = app.test_client().post("/login", data={"username": "wangwu", "password": PASSWORD})
    assert response.status_code == 401


# --- logout ----------------------------------------------------------------------------------


def test_logout_is_post_only(app, office):
    client = real_login(app)
    response = client.get("/logout")
    assert response.status_code == 405
    assert "此处不允许该操作。" in response.text
    assert logged_in(client)


def test_logout_ends_the_session(app, office):
    client = real_login(app)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert sent_to_login(client.get("/"))
    assert not logged_in(client)


def test_logout_leaves_other_sessions_alone(app, office):
    first, second = real_login(app), real_login(app)
    first.post("/logout")
    assert logged_in(second)


# --- language --------------------------------------------------------------------------------


def test_no_preference_and_no_header_is_chinese(client):
    page = client.get("/login")
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text
    assert "Log in" not in page.text


def test_language_switch_for_anonymous_user(client):
    response = client.post("/language/en", data={"next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text
    # ... and back.
    client.post("/language/zh")
    assert "登录" in client.get("/login").text


def test_language_switch_never_redirects_off_site(client):
    response = client.post("/language/en", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client):
    response = client.post("/language/fr")
    assert response.status_code == 302
    assert "登录" in client.get("/login").text


@pytest.mark.parametrize("header", ["en-US", "en-US,en;q=0.9", "en-GB,en;q=0.9,zh-CN;q=0.8,zh;q=0.7"])
def test_browser_language_for_anonymous_user(client, header):
    page = client.get("/login", headers={"Accept-Language": header})
    assert "Log in" in page.text
    assert '<html lang="en">' in page.text


@pytest.mark.parametrize("header", ["zh-CN,zh;q=0.9", "fr-FR", ""])
def test_browser_language_falls_back_to_chinese(client, header):
    page = client.get("/login", headers={"Accept-Language": header})
    assert "登录" in page.text


def test_saved_preference_beats_the_browser(app, tree, make_user):
    make_user(Role.OFFICE, region=tree.county_a, username="zhpref", locale="zh")
    make_user(Role.OFFICE, region=tree.county_a, username="enpref", locale="en")
    zh_client, en_client = real_login(app, "zhpref"), real_login(app, "enpref")
    zh_page = zh_client.get("/account", headers={"Accept-Language": "en-US"})
    assert "我的账号" in zh_page.text and "My account" not in zh_page.text
    en_page = en_client.get("/account", headers={"Accept-Language": "zh-CN"})
    assert "My account" in en_page.text and "我的账号" not in en_page.text


def test_logged_in_switch_is_saved_on_the_account(app, office):
    client = real_login(app)
    client.post("/language/en", data={"next": "/account"})
    assert reload(office).locale == "en"
    assert "My account" in client.get("/account").text
    # A new session on another computer (Chinese browser) starts in English too.
    other = real_login(app)
    assert "My account" in other.get("/account", headers={"Accept-Language": "zh-CN"}).text


def test_preferences_form_can_return_to_following_the_browser(app, office):
    office.locale = "en"
    db.session.commit()
    client = real_login(app)
    response = client.post("/account/preferences", data={"locale": ""})
    assert response.status_code == 302
    assert reload(office).locale is None
    assert "我的账号" in client.get("/account", headers={"Accept-Language": "zh-CN"}).text
