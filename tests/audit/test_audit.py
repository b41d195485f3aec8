"""The audit log: every unit change and login, who/where/before/after, read-only for admins."""

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.units.models import Unit, UnitKind
from tests.factories import PASSWORD, valid_uscc


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="zhang.office")


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="root.admin")


def entries(**where) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def unit_form(unit_or_region, **changes) -> dict:
    if isinstance(unit_or_region, Unit):
        u = unit_or_region
        data = {"name": u.name, "kind": u.kind, "region_id": str(u.region_id),
                "identifier": u.identifier or "", "assessment_class": str(u.assessment_class or ""),
                "address": u.address or "", "phone": u.phone or "", "version": str(u.version),
                "risk_tags": sorted(u.risk_tags)}
        if u.is_active:
            data["is_active"] = "y"
    else:
        data = {"name": "审计测试企业", "kind": UnitKind.ENTERPRISE.value,
                "region_id": str(unit_or_region.id), "identifier": valid_uscc("231102"),
                "assessment_class": "", "address": "通江路8号", "phone": "", "is_active": "y"}
    data.update(changes)
    return data


# --- unit changes ---------------------------------------------------------------------------------

def test_creating_a_unit_is_audited_with_user_ip_and_values(login, office, tree):
    form = unit_form(tree.town_a)
    response = login(office).post("/units/add", data=form,
                                  environ_base={"REMOTE_ADDR": "10.23.11.5"},
                                  headers={"User-Agent": "Mozilla/5.0 审计测试"})
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit))
    [entry] = entries(action="create", object_type="units")
    assert (entry.user_id, entry.username, entry.ip) == (office.id, "zhang.office", "10.23.11.5")
    assert entry.user_agent == "Mozilla/5.0 审计测试"
    assert (entry.object_id, entry.object_label) == (unit.id, "审计测试企业")
    assert entry.changes["name"] == "审计测试企业"
    assert entry.changes["identifier"] == form["identifier"]
    assert entry.changes["region_id"] == tree.town_a.id
    assert entry.changes["address"] == "通江路8号"
    assert entry.at.tzinfo is not None
    assert abs((datetime.now(UTC) - entry.at).total_seconds()) < 60


def test_updating_a_unit_records_only_the_changed_fields(login, office, tree, make_unit):
    unit = make_unit(tree.county_a, name="旧名称", address="旧地址", phone="0456-1")
    response = login(office).post(f"/units/{unit.id}/edit", data=unit_form(
        unit, name="新名称", phone="0456-2", risk_tags=["mining"]))
    assert response.status_code == 302
    [entry] = entries(action="update", object_type="units")
    assert entry.username == "zhang.office" and entry.ip == "127.0.0.1"
    assert entry.object_id == unit.id and entry.object_label == "新名称"
    assert entry.changes == {"name": ["旧名称", "新名称"], "phone": ["0456-1", "0456-2"],
                             "risk_tags_text": ["", ",mining,"]}


def test_saving_without_changes_writes_no_update_entry(login, office, tree, make_unit):
    unit = make_unit(tree.county_a, name="不变的单位", address="原地址")
    before = len(entries())
    response = login(office).post(f"/units/{unit.id}/edit", data=unit_form(unit))
    assert response.status_code == 302
    assert entries(action="update") == []
    assert len(entries()) == before
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).version == 1


def test_a_refused_edit_writes_nothing(login, office, tree, make_unit):
    unit = make_unit(tree.county_a)
    before = len(entries())
    response = login(office).post(f"/units/{unit.id}/edit", data=unit_form(unit, name=""))
    assert response.status_code == 400
    conflict = login(office).post(f"/units/{unit.id}/edit", data=unit_form(unit, version="0"))
    assert conflict.status_code == 409
    assert len(entries()) == before


def test_deleting_a_unit_is_audited_with_its_last_values(login, office, tree, make_unit):
    unit = make_unit(tree.county_a, name="将被删除的单位", address="某路1号")
    unit_id, identifier = unit.id, unit.identifier
    response = login(office).post(f"/units/{unit_id}/delete")
    assert response.status_code == 302
    [entry] = entries(action="delete", object_type="units")
    assert (entry.username, entry.object_id, entry.object_label) == ("zhang.office", unit_id,
                                                                     "将被删除的单位")
    assert entry.changes["name"] == "将被删除的单位"
    assert entry.changes["identifier"] == identifier
    assert entry.changes["address"] == "某路1号"


def test_api_changes_are_audited_as_the_token_owner(client, office, tree, token_for):
    headers = token_for(office)
    response = client.post("/api/v1/units", headers=headers, json={
        "name": "接口创建的企业", "kind": "enterprise", "region_id": tree.county_a.id,
        "identifier": valid_uscc("231102")})
    assert response.status_code == 201, response.get_json()
    [entry] = entries(action="create", object_type="units")
    assert (entry.username, entry.user_id) == ("zhang.office", office.id)


# --- secrets --------------------------------------------------------------------------------------

def test_password_hashes_never_reach_the_audit_log(app, login, office, tree, make_unit):
    unit = make_unit(tree.county_a)
    client = login(office)
    created = client.post(f"/units/{unit.id}/liaisons", data={
        "username": "liaison.one", "display_name": "联络员甲", "email": "l1@yjj.local"})
    assert created.status_code == 200
    # The office user changes their own password, then logs in again.
    changed = client.post("/account/password", data={
        "current": PASSWORD, "new": "another-long-secret-42", "confirm": "another-long-secret-42"})
    assert changed.status_code == 302
    other = app.test_client()
    assert other.post("/login", data={"username": "zhang.office",
                                      "password": "another-long-secret-42"}).status_code == 302

    hashes = list(db.session.scalars(select(User.password_hash)))
    assert len(hashes) == 2 and all(h.startswith("scrypt:") for h in hashes)
    rows = entries()
    assert any(e.object_type == "users" and e.action == "create" for e in rows)
    assert any(e.action == "password_changed" for e in rows)
    dumped = [json.dumps(e.changes, ensure_ascii=False) for e in rows]
    for text in dumped:
        assert "password_hash" not in text
        assert "scrypt:" not in text
        assert "another-long-secret-42" not in text and PASSWORD not in text
        assert not any(h in text for h in hashes)


# --- logins ---------------------------------------------------------------------------------------

def test_successful_login_is_audited(client, office):
    response = client.post("/login", data={"username": "zhang.office", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert response.status_code == 302
    [entry] = entries(action="login")
    assert (entry.username, entry.user_id, entry.ip) == ("zhang.office", office.id, "10.0.0.8")
    assert entry.object_type == "users" and entry.object_id == office.id


def test_failed_login_is_audited_without_the_password(client, office):
    response = client.post("/login",
                           data={"username": "zhang.office", "password": "wrong-guess-123"},
                           environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    [entry] = entries(action="login_failed")
    assert entry.user_id is None and entry.username is None
    assert entry.object_label == "zhang.office" and entry.ip == "10.0.0.9"
    assert entry.changes == {"reason": "invalid"}
    assert "wrong-guess-123" not in json.dumps(entry.changes)
    assert entries(action="login") == []


def test_failed_login_for_an_unknown_user_is_audited(client):
    client.post("/login", data={"username": "nobody", "password": "whatever-123"})
    [entry] = entries(action="login_failed")
    assert entry.object_label == "nobody"


def test_logout_is_audited(login, office):
    response = login(office).post("/logout")
    assert response.status_code == 302
    [entry] = entries(action="logout")
    assert entry.username == "zhang.office"


# --- the audit page -------------------------------------------------------------------------

def listed_labels(response) -> list[str]:
    return re.findall(r"<td>[a-z_]+ #\d+ ([^<]*?)</td>", response.text)


@pytest.fixture
def history(app, office, admin):
    """Exactly these entries, at known instants around midnight China time (UTC+8).

    The fixtures' own users and regions were audited when created; they are cleared so the page
    shows only the entries below.
    """
    db.session.execute(delete(AuditEntry.__table__))  # a deliberate Core purge: the ORM refuses
    rows = [
        ("zhang.office", "create", datetime(2025, 3, 1, 1, 0, tzinfo=UTC), "三月一日上午"),
        ("zhang.office", "update", datetime(2025, 3, 1, 15, 59, tzinfo=UTC), "三月一日深夜"),
        ("li.office", "update", datetime(2025, 3, 1, 16, 30, tzinfo=UTC), "三月二日凌晨"),
        ("li.office", "delete", datetime(2025, 3, 3, 2, 0, tzinfo=UTC), "三月三日"),
    ]
    for n, (username, action, at, label) in enumerate(rows, start=1):
        db.session.add(AuditEntry(username=username, action=action, at=at, object_type="units",
                                  object_id=n, object_label=label, ip="10.0.0.1"))
    db.session.commit()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.VIEWER])
def test_audit_page_is_forbidden_for_non_admins(login, make_user, tree, role):
    user = make_user(role, region=tree.county_a)
    response = login(user).get("/audit/")
    assert response.status_code == 403
    assert "您没有执行此操作的权限。" in response.text


def test_audit_page_is_forbidden_for_liaisons(login, make_user, make_unit, tree):
    liaison = make_user(Role.LIAISON, unit=make_unit(tree.county_a))
    assert login(liaison).get("/audit/").status_code == 403


def test_audit_page_needs_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_every_entry_newest_first_in_china_time(login, admin, history):
    response = login(admin).get("/audit/")
    assert response.status_code == 200
    assert "审计日志" in response.text
    labels = listed_labels(response)
    # the admin's own login is not in the log (the factory logs in through the session)
    assert labels == ["三月三日", "三月二日凌晨", "三月一日深夜", "三月一日上午"]
    assert "2025年3月2日 00:30:00" in response.text  # 16:30Z is half past midnight in Beijing
    assert "2025年3月1日 09:00:00" in response.text


@pytest.mark.parametrize("query, expected", [
    ({"username": "li.office"}, ["三月三日", "三月二日凌晨"]),
    ({"username": " zhang.office "}, ["三月一日深夜", "三月一日上午"]),
    ({"action": "update"}, ["三月二日凌晨", "三月一日深夜"]),
    ({"action": "update", "username": "li.office"}, ["三月二日凌晨"]),
    ({"from": "2025-03-01", "to": "2025-03-01"}, ["三月一日深夜", "三月一日上午"]),
    ({"from": "2025-03-02", "to": "2025-03-02"}, ["三月二日凌晨"]),
    ({"from": "2025-03-02"}, ["三月三日", "三月二日凌晨"]),
    ({"to": "2025-03-01"}, ["三月一日深夜", "三月一日上午"]),
    ({"from": "2025-03-04"}, []),
    ({"object_type": "units", "object_id": "3"}, ["三月二日凌晨"]),
    ({"from": "not-a-date", "to": "2025-13-45"}, ["三月三日", "三月二日凌晨", "三月一日深夜",
                                                  "三月一日上午"]),
])
def test_admin_filters_the_log(login, admin, history, query, expected):
    response = login(admin).get("/audit/", query_string=query)
    assert response.status_code == 200
    assert listed_labels(response) == expected
    if not expected:
        assert "暂无记录。" in response.text


def test_changes_are_shown_readably_in_chinese(login, office, admin, tree, make_unit):
    unit = make_unit(tree.county_a, name="旧名称", phone=None)
    data = unit_form(unit, name="新名称<b>", phone="110")
    assert login(office).post(f"/units/{unit.id}/edit", data=data).status_code == 302
    response = login(admin).get("/audit/", query_string={"action": "update"})
    # HTML-escaped but readable, not \\uXXXX escapes
    assert "<code>name</code>: 旧名称 → 新名称&lt;b&gt;" in response.text
    assert "<code>phone</code>: — → 110" in response.text
    assert "\\u65e7" not in response.text


@pytest.mark.parametrize("query", [
    {"object_id": "²"}, {"object_id": "99999999999999999999"}, {"object_id": "-1"},
    {"page": "abc"}, {"page": "99999999999999999999"}, {"page": "-3"}, {"page": "²"},
    {"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-31", "to": "0001-01-01"},
    {"username": "x" * 500}, {"action": "\u5220\u9664"},
])
def test_odd_audit_filters_are_not_errors(login, admin, history, query):
    response = login(admin).get("/audit/", query_string=query)
    assert response.status_code == 200
    assert "审计日志" in response.text


def test_second_page_of_the_log(login, admin, history):
    db.session.add_all([AuditEntry(action="download", object_type="units", object_id=1000 + n,
                                   object_label=f"批量{n:03d}") for n in range(120)])
    db.session.commit()
    client = login(admin)
    first, second = client.get("/audit/"), client.get("/audit/?page=2")
    assert len(listed_labels(first)) == 100
    oldest = ["三月三日", "三月二日凌晨", "三月一日深夜", "三月一日上午"]
    assert listed_labels(second)[-4:] == oldest
    assert len(listed_labels(second)) == 24
    assert listed_labels(client.get("/audit/?page=9")) == []


def test_no_route_can_change_the_audit_log(app):
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    audit_rules = [rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/audit") or "audit" in rule.endpoint
                   or rule.rule.startswith("/api/v1/audit")]
    assert audit_rules, "the audit page must exist"
    for rule in audit_rules:
        assert not (rule.methods & writes), f"{rule.rule} accepts {sorted(rule.methods & writes)}"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_the_audit_page_are_refused(login, admin, history, method):
    response = getattr(login(admin), method)("/audit/")
    assert response.status_code == 405
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 4
