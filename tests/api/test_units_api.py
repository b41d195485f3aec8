"""Unit API: create, read, list, patch with optimistic locking, delete; validation and JSON errors."""

import json

import pytest
from sqlalchemy import func, select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role
from emergency.extensions import db
from emergency.units.models import Unit
from tests.factories import valid_uscc

NOT_FOUND = "页面或记录未找到，或不在您的管辖范围内。"


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="office_a")


@pytest.fixture
def headers(office, token_for):
    return {**token_for(office), "Accept-Language": "zh-CN"}


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def unit_row(unit_id: int) -> Unit | None:
    db.session.expire_all()
    return db.session.get(Unit, unit_id)


def body_for(tree, **changes) -> dict:
    body = {"name": "爱辉区花园热力有限公司", "kind": "enterprise", "region_id": tree.town_a.id,
            "identifier": valid_uscc("231102"), "risk_tags": ["lifeline_utility"],
            "assessment_class": 2, "address": "花园街道1号", "phone": "0456-8221234"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    return body


def field_errors(response, status=422) -> dict:
    body = assert_error(response, status)
    return body["errors"]["json"]


# --- create ----------------------------------------------------------------------------------


def test_create_unit(client, tree, office, headers):
    body = body_for(tree)
    response = client.post("/api/v1/units", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["name"] == body["name"]
    assert created["identifier"] == body["identifier"]
    assert created["region_code"] == "231102001"
    assert created["risk_tags"] == ["lifeline_utility"]
    assert created["assessment_class"] == 2
    assert created["version"] == 1
    unit = unit_row(created["id"])
    assert unit.region_id == tree.town_a.id and unit.identifier == body["identifier"]
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "create", AuditEntry.object_type == "units")).one()
    assert audit.user_id == office.id and audit.object_id == unit.id


def test_create_normalises_a_typed_identifier(client, tree, headers):
    code = valid_uscc("231102")
    typed = " ".join([code[:6], code[6:12], code[12:]]).lower()
    response = client.post("/api/v1/units", headers=headers, json=body_for(tree, identifier=typed))
    assert response.status_code == 201
    assert response.get_json()["identifier"] == code


def test_create_school_with_school_code(client, tree, headers):
    response = client.post("/api/v1/units", headers=headers, json=body_for(
        tree, name="花园小学", kind="school", identifier="2123110201", risk_tags=["boarding_school"]))
    assert response.status_code == 201
    assert response.get_json()["identifier"] == "2123110201"


def _wrong_check(code: str) -> tuple[str, str]:
    expected = code[17]
    wrong = "1" if expected != "1" else "2"
    return code[:17] + wrong, expected


def test_invalid_check_digit_names_the_expected_character_in_chinese(client, tree, headers):
    bad, expected = _wrong_check(valid_uscc("231102"))
    response = client.post("/api/v1/units", headers=headers, json=body_for(tree, identifier=bad))
    errors = field_errors(response)
    assert errors["identifier"] == [f"校验码错误：按前17位计算，校验码应为 {expected}。"]
    assert unit_count() == 0


def test_invalid_check_digit_in_english(client, tree, headers):
    bad, expected = _wrong_check(valid_uscc("231102"))
    response = client.post("/api/v1/units", headers={**headers, "Accept-Language": "en"},
                           json=body_for(tree, identifier=bad))
    message = field_errors(response)["identifier"][0]
    assert message == ("The check character is wrong: with these first 17 characters it must be "
                       f"{expected}.")


def test_duplicate_identifier(client, tree, headers, make_unit):
    existing = make_unit(tree.town_a, name="已登记的热力公司")
    response = client.post("/api/v1/units", headers=headers,
                           json=body_for(tree, identifier=existing.identifier.lower()))
    errors = field_errors(response)
    assert errors["identifier"] == ["该代码的单位已登记：已登记的热力公司。"]
    assert unit_count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"region_id": "county_b"}, "region_id"),
    ({"region_id": "village_b"}, "region_id"),
    ({"region_id": "province"}, "region_id"),  # in no one's unit levels, and outside the scope
    ({"region_id": 999999}, "region_id"),
    ({"region_id": 2**31}, "region_id"),
    ({"name": "名" * 201}, "name"),
    ({"name": "   "}, "name"),
    ({"name": ...}, "name"),
    ({"kind": "spaceport"}, "kind"),
    ({"kind": ...}, "kind"),
    ({"identifier": ...}, "identifier"),  # an enterprise needs its code
    ({"identifier": "91231102MA1234567"}, "identifier"),  # 17 characters
    ({"identifier": "91231102MA1234567O"}, "identifier"),  # the letter O is not in the alphabet
    ({"identifier": "X" * 41}, "identifier"),
    ({"kind": "school", "identifier": valid_uscc("231102")}, "identifier"),
    ({"risk_tags": ["volcano"]}, "risk_tags"),
    ({"risk_tags": "mining"}, "risk_tags"),
    ({"risk_tags": None}, "risk_tags"),
    ({"assessment_class": 4}, "assessment_class"),
    ({"assessment_class": "一类"}, "assessment_class"),
    ({"address": "路" * 201}, "address"),
    ({"phone": "1" * 31}, "phone"),
    ({"is_active": "maybe"}, "is_active"),
])
def test_invalid_unit_is_422_and_creates_nothing(client, tree, headers, changes, field):
    changes = {key: (getattr(tree, value).id if key == "region_id" and isinstance(value, str) else value)
               for key, value in changes.items()}
    response = client.post("/api/v1/units", headers=headers, json=body_for(tree, **changes))
    errors = field_errors(response)
    assert field in errors
    assert unit_count() == 0


def test_region_out_of_scope_message(client, tree, headers):
    response = client.post("/api/v1/units", headers=headers,
                           json=body_for(tree, region_id=tree.town_b.id))
    assert field_errors(response)["region_id"] == ["该区域不存在或不在您的管辖范围内。"]
    assert unit_count() == 0


def test_name_of_200_chinese_characters_is_accepted(client, tree, headers):
    response = client.post("/api/v1/units", headers=headers, json=body_for(tree, name="应" * 200))
    assert response.status_code == 201
    assert unit_row(response.get_json()["id"]).name == "应" * 200


@pytest.mark.parametrize("role", [Role.LIAISON, Role.VIEWER])
def test_liaison_and_viewer_cannot_create(client, tree, make_unit, make_user, token_for, role):
    unit = make_unit(tree.town_a)
    user = (make_user(role, unit=unit) if role == Role.LIAISON else make_user(role, region=tree.county_a))
    response = client.post("/api/v1/units", headers=token_for(user), json=body_for(tree))
    assert_error(response, 403)
    assert unit_count() == 1


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ("{not json", "application/json", 400),
    ("[1, 2, 3]", "application/json", 422),
    ('"just a string"', "application/json", 422),
    ("name=x", "application/x-www-form-urlencoded", 422),
])
def test_malformed_body_is_a_json_error_not_a_500(client, headers, tree, data, content_type, status):
    response = client.post("/api/v1/units", headers=headers, data=data, content_type=content_type)
    assert_error(response, status)
    assert unit_count() == 0


# --- read and list ---------------------------------------------------------------------------


def test_get_unit_in_scope_and_404_outside(client, tree, headers, make_unit):
    mine = make_unit(tree.village_a, name="花园社区居委会", kind="village_community")
    theirs = make_unit(tree.town_b)
    response = client.get(f"/api/v1/units/{mine.id}", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "花园社区居委会"
    assert response.get_json()["region_code"] == "231102001001"
    body = assert_error(client.get(f"/api/v1/units/{theirs.id}", headers=headers), 404)
    assert body["message"] == NOT_FOUND


@pytest.mark.parametrize("unit_id", ["999999", str(2**31), str(2**63), "99999999999999999999"])
def test_unknown_or_huge_id_is_404(client, headers, unit_id):
    assert_error(client.get(f"/api/v1/units/{unit_id}", headers=headers), 404)


def test_list_filters_and_paging(client, tree, headers, make_unit):
    make_unit(tree.town_a, name="花园化工厂", risk_tags={"hazardous_chemicals"})
    make_unit(tree.town_a, name="花园小学", kind="school", identifier="2123110299")
    make_unit(tree.village_a, name="花园社区", kind="village_community")
    make_unit(tree.town_b, name="赵光化工厂", risk_tags={"hazardous_chemicals"})

    def names(query):
        response = client.get(f"/api/v1/units?{query}", headers=headers)
        assert response.status_code == 200
        return sorted(unit["name"] for unit in response.get_json())

    assert names("") == ["花园化工厂", "花园小学", "花园社区"]
    assert names("tag=hazardous_chemicals") == ["花园化工厂"]
    assert names("kind=school") == ["花园小学"]
    assert names("q=化工") == ["花园化工厂"]
    assert names(f"region={tree.village_a.id}") == ["花园社区"]
    response = client.get("/api/v1/units?page_size=2&sort=name", headers=headers)
    assert len(response.get_json()) == 2
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert_error(client.get("/api/v1/units?kind=spaceport", headers=headers), 422)
    assert_error(client.get("/api/v1/units?sort=password", headers=headers), 422)


def test_q_with_like_wildcards_matches_literally(client, tree, headers, make_unit):
    make_unit(tree.town_a, name="百分之百%公司")
    make_unit(tree.town_a, name="普通公司")
    response = client.get("/api/v1/units?q=%25", headers=headers)
    assert [unit["name"] for unit in response.get_json()] == ["百分之百%公司"]
    response = client.get("/api/v1/units?q=_", headers=headers)
    assert response.get_json() == []


def test_liaison_lists_only_its_unit(client, tree, make_unit, make_user, token_for):
    own = make_unit(tree.town_a, name="联络员的单位")
    make_unit(tree.town_a, name="邻居单位")
    headers = token_for(make_user(Role.LIAISON, unit=own))
    response = client.get("/api/v1/units", headers=headers)
    assert [unit["name"] for unit in response.get_json()] == ["联络员的单位"]


# --- patch -----------------------------------------------------------------------------------


@pytest.fixture
def unit(tree, make_unit):
    return make_unit(tree.town_a, name="原名称热力公司", risk_tags={"lifeline_utility"},
                     assessment_class=1, address="原地址")


def test_patch_changes_fields_and_bumps_version(client, headers, unit):
    response = client.patch(f"/api/v1/units/{unit.id}", headers=headers,
                            json={"version": 1, "name": "新名称热力公司"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "新名称热力公司"
    assert body["version"] == 2
    # Fields that were not sent keep their values.
    assert body["risk_tags"] == ["lifeline_utility"]
    assert body["assessment_class"] == 1 and body["address"] == "原地址"
    assert body["identifier"] == unit.identifier
    row = unit_row(unit.id)
    assert (row.name, row.version) == ("新名称热力公司", 2)
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "update", AuditEntry.object_id == unit.id)).one()
    assert audit.changes["name"] == ["原名称热力公司", "新名称热力公司"]


def test_patch_with_stale_version_is_409_and_changes_nothing(client, headers, unit):
    assert client.patch(f"/api/v1/units/{unit.id}", headers=headers,
                        json={"version": 1, "address": "第一次修改"}).status_code == 200
    response = client.patch(f"/api/v1/units/{unit.id}", headers=headers,
                            json={"version": 1, "name": "基于旧版本的修改"})
    body = assert_error(response, 409)
    assert body["message"] == "该单位已被他人修改，请重新读取后再试。"
    row = unit_row(unit.id)
    assert (row.name, row.address, row.version) == ("原名称热力公司", "第一次修改", 2)


def test_patch_without_version_is_refused(client, headers, unit):
    response = client.patch(f"/api/v1/units/{unit.id}", headers=headers, json={"name": "没有版本号"})
    assert "version" in field_errors(response)
    assert unit_row(unit.id).name == "原名称热力公司"


@pytest.mark.parametrize("changes", [
    {"region_id": "town_b"},
    {"name": ""},
    {"kind": "spaceport"},
    {"identifier": "91231102MA12345678"},
    {"risk_tags": ["volcano"]},
])
def test_invalid_patch_is_422_and_changes_nothing(client, tree, headers, unit, changes):
    changes = {key: (getattr(tree, value).id if key == "region_id" else value)
               for key, value in changes.items()}
    response = client.patch(f"/api/v1/units/{unit.id}", headers=headers, json={"version": 1, **changes})
    assert set(field_errors(response)) == set(changes)
    row = unit_row(unit.id)
    assert (row.name, row.region_id, row.version) == ("原名称热力公司", tree.town_a.id, 1)


@pytest.mark.parametrize("role", [Role.LIAISON, Role.VIEWER])
def test_liaison_and_viewer_cannot_patch(client, tree, make_user, token_for, unit, role):
    user = make_user(role, unit=unit) if role == Role.LIAISON else make_user(role, region=tree.county_a)
    response = client.patch(f"/api/v1/units/{unit.id}", headers=token_for(user),
                            json={"version": 1, "name": "联络员改名"})
    assert_error(response, 403)
    assert unit_row(unit.id).name == "原名称热力公司"


# --- delete ----------------------------------------------------------------------------------


def test_delete_unit(client, headers, unit):
    response = client.delete(f"/api/v1/units/{unit.id}", headers=headers)
    assert response.status_code == 204
    assert response.data == b""
    assert unit_row(unit.id) is None
    assert_error(client.get(f"/api/v1/units/{unit.id}", headers=headers), 404)
    assert db.session.scalar(select(func.count()).where(
        AuditEntry.action == "delete", AuditEntry.object_id == unit.id)) == 1


def test_delete_with_liaison_accounts_is_409(client, headers, unit, make_user):
    make_user(Role.LIAISON, unit=unit)
    body = assert_error(client.delete(f"/api/v1/units/{unit.id}", headers=headers), 409)
    assert body["message"] == "该单位仍有联络员账号。"
    assert unit_row(unit.id) is not None


def test_viewer_cannot_delete(client, tree, make_user, token_for, unit):
    headers = token_for(make_user(Role.VIEWER, region=tree.county_a))
    assert_error(client.delete(f"/api/v1/units/{unit.id}", headers=headers), 403)
    assert unit_row(unit.id) is not None


def test_method_not_allowed_is_json(client, headers, unit):
    assert_error(client.put(f"/api/v1/units/{unit.id}", headers=headers, json={}), 405)

