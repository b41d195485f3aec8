"""Logging in through the real form: redirects, refusals, throttling, unlock and the audit trail."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from emergency.audit.models import AuditEntry
from emergency.auth.models import LoginFailure, Role
from emergency.extensions import db
from tests.factories import PASSWORD, log_in

WRONG = "wrong-password-123"
LOCKED = "登录失败次数过多"
REFUSED = "用户名或密码错误，或账号已停用。"


def post_login(client, username, password, *, ip="10.0.0.1", next_url=None, **kwargs):
    url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
    return client.post(url, data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


def is_logged_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


def failures_for(username: str) -> int:
    return db.session.scalar(select(func.count()).where(LoginFailure.username == username))


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="zhangsan")


# --- success and redirects -------------------------------------------------------------------


def test_login_success_redirects_home_and_opens_session(client, office):
    response = post_login(client, "zhangsan", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)
    db.session.refresh(office)
    assert office.last_login_at is not None


def test_login_follows_local_next(client, office):
    response = post_login(client, "zhangsan", PASSWORD, next_url="/units/?kind=school")
    assert response.status_code == 302
    assert response.headers["Location"] == "/units/?kind=school"


@pytest.mark.parametrize("target", [
    "//evil.example",
    "//evil.example/units/",
    "http://evil.example",
    "https://evil.example/login",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example",
    # Browsers drop tabs and newlines from URLs, which would turn these into //evil.example.
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
])
def test_login_never_redirects_off_site(client, office, target):
    response = post_login(client, "zhangsan", PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)


def test_login_page_from_protected_page_carries_next(client, office):
    response = client.get("/units/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = client.post(login_url, data={"username": "zhangsan", "password": PASSWORD})
    assert response.headers["Location"] == "/units/"


# --- refusals --------------------------------------------------------------------------------


def test_wrong_password_is_401_with_chinese_message(client, office):
    response = post_login(client, "zhangsan", WRONG)
    assert response.status_code == 401
    assert REFUSED in response.text
    assert not is_logged_in(client)
    assert failures_for("zhangsan") == 1


def test_unknown_user_gets_the_same_message(client, tree):
    response = post_login(client, "nobody", WRONG)
    assert response.status_code == 401
    assert REFUSED in response.text
    assert failures_for("nobody") == 1


def test_empty_form_is_not_a_login(client, office):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 200
    assert not is_logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_inactive_user_is_refused_even_with_right_password(client, tree, make_user):
    make_user(Role.OFFICE, region=tree.county_a, username="retired", is_active=False)
    response = post_login(client, "retired", PASSWORD)
    assert response.status_code == 401
    assert REFUSED in response.text
    assert not is_logged_in(client)


def test_inactive_user_with_old_session_is_logged_out(client, tree, make_user):
    user = make_user(Role.OFFICE, region=tree.county_a)
    log_in(client, user)
    assert is_logged_in(client)
    user.is_active = False
    db.session.commit()
    response = client.get("/units/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- throttling ------------------------------------------------------------------------------


def _fail(client, username, times, ips=("10.0.0.1",)):
    for i in range(times):
        response = post_login(client, username, WRONG, ip=ips[i % len(ips)])
        assert response.status_code == 401


def test_lock_after_max_failures_refuses_right_password(app, client, office):
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    _fail(client, "zhangsan", limit - 1)
    # One below the limit the right password still works ...
    response = post_login(client, "zhangsan", PASSWORD)
    assert response.status_code == 302
    client.post("/logout")
    _fail(client, "zhangsan", limit)
    # ... at the limit even the right password is refused, with the lock message.
    response = post_login(client, "zhangsan", PASSWORD)
    assert response.status_code == 401
    assert LOCKED in response.text
    assert not is_logged_in(client)


def test_lock_message_shows_china_time_of_unlock(app, client, office):
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"])
    last = db.session.scalar(select(func.max(LoginFailure.at)).where(LoginFailure.username == "zhangsan"))
    until = (last + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])).astimezone(ZoneInfo("Asia/Shanghai"))
    response = post_login(client, "zhangsan", PASSWORD)
    assert LOCKED in response.text
    assert until.strftime("%H:%M") in response.text


def test_failures_from_several_ips_count_toward_the_username(app, client, office):
    ips = ("10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.5.9", "172.16.0.4")
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"], ips=ips)
    response = post_login(client, "zhangsan", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 401
    assert LOCKED in response.text


def test_lock_is_per_username_not_global(app, client, office, make_user, tree):
    make_user(Role.OFFICE, region=tree.county_a, username="lisi")
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"], ips=("10.0.0.1", "10.0.0.2"))
    response = post_login(client, "lisi", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302


def test_per_ip_limit_across_usernames(app, client, office):
    per_ip = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    per_user = app.config["LOGIN_MAX_FAILURES"]
    assert per_ip > per_user
    # Spread the guesses so that no single username reaches its own limit.
    for i in range(per_ip):
        response = post_login(client, f"guess{i % 10}", WRONG, ip="10.6.6.6")
        assert response.status_code == 401
        assert LOCKED not in response.text
    assert max(failures_for(f"guess{i}") for i in range(10)) < per_user
    # From that address even a real user with the right password is refused ...
    response = post_login(client, "zhangsan", PASSWORD, ip="10.6.6.6")
    assert response.status_code == 401
    assert LOCKED in response.text
    # ... while the same user from another address gets in.
    response = post_login(client, "zhangsan", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302


def test_success_clears_the_counter(app, client, office):
    limit = app.config["LOGIN_MAX_FAILURES"]
    _fail(client, "zhangsan", limit - 1)
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302
    assert failures_for("zhangsan") == 0
    client.post("/logout")
    _fail(client, "zhangsan", limit - 1)
    # Without the reset this would be failure number 2 * (limit - 1) >= limit: locked.
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302


def test_lock_expires_after_lock_minutes(app, client, office):
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"])
    assert LOCKED in post_login(client, "zhangsan", PASSWORD).text
    earlier = datetime.now(UTC) - timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
    db.session.execute(update(LoginFailure).values(at=earlier))
    db.session.commit()
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302


def test_admin_unlock_lets_user_in_at_once(app, client, office, make_user):
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"])
    assert LOCKED in post_login(client, "zhangsan", PASSWORD).text

    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    log_in(admin_client, admin)
    response = admin_client.post(f"/users/{office.id}/unlock")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/users/{office.id}/edit"
    assert failures_for("zhangsan") == 0
    assert db.session.scalar(
        select(func.count()).where(AuditEntry.action == "unlock", AuditEntry.object_id == office.id,
                                   AuditEntry.user_id == admin.id)) == 1

    response = post_login(client, "zhangsan", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_unlock_is_not_for_viewers(app, client, office, make_user, tree):
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"])
    viewer = make_user(Role.VIEWER, region=tree.county_a)
    viewer_client = app.test_client()
    log_in(viewer_client, viewer)
    assert viewer_client.post(f"/users/{office.id}/unlock").status_code in (403, 404)
    assert failures_for("zhangsan") == app.config["LOGIN_MAX_FAILURES"]


# --- audit -----------------------------------------------------------------------------------


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id)).all()


def test_success_and_failure_are_audited(client, office):
    post_login(client, "zhangsan", WRONG, ip="10.1.2.3")
    post_login(client, "zhangsan", PASSWORD, ip="10.1.2.4",
               headers={"User-Agent": "Mozilla/5.0 test-browser"})

    failed = _audit("login_failed")
    assert len(failed) == 1
    assert failed[0].object_label == "zhangsan"
    assert failed[0].ip == "10.1.2.3"
    assert failed[0].user_id is None
    assert failed[0].changes == {"reason": "invalid"}

    ok = _audit("login")
    assert len(ok) == 1
    assert ok[0].user_id == office.id
    assert ok[0].username == "zhangsan"
    assert ok[0].ip == "10.1.2.4"
    assert ok[0].user_agent == "Mozilla/5.0 test-browser"


def test_refusals_while_locked_and_inactive_are_audited(app, client, office, make_user, tree):
    make_user(Role.OFFICE, region=tree.county_a, username="retired", is_active=False)
    _fail(client, "zhangsan", app.config["LOGIN_MAX_FAILURES"])
    post_login(client, "zhangsan", PASSWORD)
    post_login(client, "retired", PASSWORD)
    reasons = [entry.changes["reason"] for entry in _audit("login_failed")]
    assert reasons == ["invalid"] * app.config["LOGIN_MAX_FAILURES"] + ["locked", "inactive"]
    assert _audit("login") == []


def test_logout_is_audited(client, office):
    post_login(client, "zhangsan", PASSWORD)
    client.post("/logout")
    entries = _audit("logout")
    assert [e.user_id for e in entries] == [office.id]
