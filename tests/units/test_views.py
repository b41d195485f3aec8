"""Unit pages: scoped list (filters, sort, paging), add, edit with optimistic locking, delete,
liaisons."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.units.models import RiskTag, Unit, UnitKind
from tests.factories import log_in, valid_uscc

UNIT_LINK = re.compile(r'<a href="/units/(\d+)">([^<]+)</a>')


def listed_names(response) -> list[str]:
    """Return the unit names in the list table, in page order."""
    return [name for _id, name in UNIT_LINK.findall(response.text)]


def unit_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def form_data(region, **changes) -> dict:
    data = {"name": "黑河市爱辉区新建化工有限公司", "kind": UnitKind.ENTERPRISE.value,
            "region_id": str(region.id), "identifier": valid_uscc("231102"),
            "assessment_class": "", "address": "黑河市爱辉区通江路1号", "phone": "0456-1234567",
            "is_active": "y"}
    data.update(changes)
    return data


@pytest.fixture
def office(tree, make_user):
    """An office user of 爱辉区."""
    return make_user(Role.OFFICE, region=tree.county_a)


@pytest.fixture
def units(tree, make_unit):
    """Units in 爱辉区 (county, town, village) and in 北安市."""
    return {
        "chem": make_unit(tree.county_a, name="爱辉化工厂", risk_tags={RiskTag.HAZARDOUS_CHEMICALS},
                          updated_at=datetime(2025, 1, 3, tzinfo=UTC)),
        "school": make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL,
                            identifier="2123000001", updated_at=datetime(2025, 1, 1, tzinfo=UTC)),
        "village": make_unit(tree.village_a, name="西岗社区居委会", kind=UnitKind.VILLAGE_COMMUNITY,
                             updated_at=datetime(2025, 1, 2, tzinfo=UTC)),
        "mine": make_unit(tree.county_b, name="北安煤矿", risk_tags={RiskTag.MINING}),
        "b_school": make_unit(tree.town_b, name="赵光小学", kind=UnitKind.SCHOOL,
                              identifier="2123000002"),
    }


# --- list ---------------------------------------------------------------------------------------

def test_office_sees_only_units_of_its_county(login, office, units):
    response = login(office).get("/units/")
    assert response.status_code == 200
    assert sorted(listed_names(response)) == sorted(["爱辉化工厂", "花园小学", "西岗社区居委会"])
    assert "北安煤矿" not in response.text and "赵光小学" not in response.text
    assert "共 3 条" in response.text


def test_admin_sees_every_unit(login, make_user, units):
    admin = make_user(Role.ADMIN)
    response = login(admin).get("/units/")
    assert len(listed_names(response)) == 5


@pytest.mark.parametrize("query, expected", [
    ({"kind": "school"}, ["花园小学"]),
    ({"kind": "village_community"}, ["西岗社区居委会"]),
    ({"tag": "hazardous_chemicals"}, ["爱辉化工厂"]),
    ({"tag": "mining"}, []),  # 北安煤矿 is out of scope
    ({"q": "花园"}, ["花园小学"]),
    ({"q": "社区"}, ["西岗社区居委会"]),
    ({"q": "2123000001"}, ["花园小学"]),
    ({"q": "%"}, []),  # LIKE wildcards are literal
    ({"q": "煤矿"}, []),
    ({"kind": "school", "q": "社区"}, []),
])
def test_list_filters(login, office, units, query, expected):
    response = login(office).get("/units/", query_string=query)
    assert response.status_code == 200
    assert sorted(listed_names(response)) == sorted(expected)
    if not expected:
        assert "没有符合条件的单位。" in response.text


def test_region_filter_selects_the_subtree(login, office, tree, units):
    client = login(office)
    town = client.get("/units/", query_string={"region": tree.town_a.id})
    assert sorted(listed_names(town)) == ["花园小学", "西岗社区居委会"]
    village = client.get("/units/", query_string={"region": tree.village_a.id})
    assert listed_names(village) == ["西岗社区居委会"]


def test_region_filter_outside_scope_shows_nothing(login, office, tree, units):
    response = login(office).get("/units/", query_string={"region": tree.county_b.id})
    assert response.status_code == 200
    assert listed_names(response) == []


@pytest.mark.parametrize("sort, expected", [
    # region: by path (爱辉区 < 花园街道 < 花园社区), then name
    ("region", ["爱辉化工厂", "花园小学", "西岗社区居委会"]),
    # name: 爱 < 花 < 西 both by code point and by pinyin, so any collation agrees
    ("name", ["爱辉化工厂", "花园小学", "西岗社区居委会"]),
    # kind: enterprise < school < village_community
    ("kind", ["爱辉化工厂", "花园小学", "西岗社区居委会"]),
    # updated: newest first
    ("updated", ["爱辉化工厂", "西岗社区居委会", "花园小学"]),
])
def test_list_sorts_by_each_key(login, office, units, sort, expected):
    response = login(office).get("/units/", query_string={"sort": sort})
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_sort_by_name_really_reorders(login, office, tree, make_unit):
    for name in ("西区单位", "爱民单位", "花城单位"):
        make_unit(tree.county_a, name=name)
    names = listed_names(login(office).get("/units/?sort=name"))
    assert names == ["爱民单位", "花城单位", "西区单位"]  # same by code point and by pinyin


def test_unknown_sort_falls_back_to_region_order(login, office, units):
    response = login(office).get("/units/?sort=drop+table")
    assert response.status_code == 200
    assert listed_names(response) == ["爱辉化工厂", "花园小学", "西岗社区居委会"]


def test_paging(login, office, tree, make_unit):
    for n in range(55):
        make_unit(tree.county_a, name=f"单位{n:02d}")
    client = login(office)
    first = client.get("/units/?sort=name")
    second = client.get("/units/?sort=name&page=2")
    assert len(listed_names(first)) == 50
    assert listed_names(second) == [f"单位{n:02d}" for n in range(50, 55)]
    assert "共 55 条" in first.text


@pytest.mark.parametrize("page", ["99", "abc", "-1", "0", "1.5", "²", "\u0663",
                                  "99999999999999999999"])
def test_odd_page_numbers_are_not_errors(login, office, units, page):
    response = login(office).get("/units/", query_string={"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize("region", ["abc", "²", "99999999999999999999", "-5"])
def test_odd_region_filters_are_ignored_not_errors(login, office, units, region):
    response = login(office).get("/units/", query_string={"region": region})
    assert response.status_code == 200
    assert len(listed_names(response)) == 3


@pytest.mark.parametrize("query", [{"q": "化工\x00"}, {"kind": "\x00"}, {"tag": "a\x00"}])
def test_nul_bytes_in_filters_are_a_400_not_a_500(login, office, units, query):
    # PostgreSQL cannot compare text containing NUL; it used to answer 500 there.
    response = login(office).get("/units/", query_string=query)
    assert response.status_code == 400
    assert "无法识别该请求。" in response.text


def test_page_beyond_the_end_is_empty(login, office, units):
    response = login(office).get("/units/?page=99")
    assert response.status_code == 200
    assert listed_names(response) == []
    assert "没有符合条件的单位。" in response.text


def test_list_requires_login(client, units):
    response = client.get("/units/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- add ----------------------------------------------------------------------------------------

def test_add_unit_redirects_to_detail_and_stores_it(login, office, tree):
    identifier = valid_uscc("231102")
    response = login(office).post("/units/add", data=form_data(
        tree.town_a, identifier=identifier, risk_tags=["hazardous_chemicals", "crowded_place"],
        assessment_class="2"))
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.identifier == identifier))
    assert unit is not None
    assert response.headers["Location"] == f"/units/{unit.id}"
    assert unit.name == "黑河市爱辉区新建化工有限公司"
    assert unit.region_id == tree.town_a.id
    assert unit.risk_tags == {"hazardous_chemicals", "crowded_place"}
    assert unit.assessment_class == 2
    assert unit.version == 1
    detail = login(office).get(response.headers["Location"])
    assert "单位已登记。" in detail.text  # the flash message
    assert "黑河市爱辉区新建化工有限公司" in detail.text


def test_add_normalises_a_typed_identifier(login, office, tree):
    code = valid_uscc("231102")
    typed = " ".join(code[i:i + 6] for i in range(0, 18, 6)).lower()
    typed = typed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = login(office).post("/units/add", data=form_data(tree.county_a, identifier=typed))
    assert response.status_code == 302
    assert db.session.scalar(select(Unit.identifier)) == code


def test_add_form_is_shown_in_chinese(login, office, tree):
    response = login(office).get("/units/add")
    assert response.status_code == 200
    assert "花园街道" in response.text
    assert "赵光镇" not in response.text  # regions of 北安市 are not offered


def test_invalid_uscc_is_refused_with_the_expected_check_character(login, office, tree):
    # 91231102MA1B2C3D4 + J is valid (checked by hand against GB 32100's weights).
    response = login(office).post("/units/add", data=form_data(tree.county_a,
                                                               identifier="91231102MA1B2C3D40"))
    assert response.status_code == 400
    assert "校验码错误：按前17位计算，校验码应为 J。" in response.text
    assert unit_count() == 0


def test_test_vector_check_character_is_shown(login, office, tree):
    response = login(office).post("/units/add", data=form_data(
        tree.county_a, identifier="91350100M000100Y40"))
    assert response.status_code == 400
    assert "校验码应为 3" in response.text
    assert unit_count() == 0


@pytest.mark.parametrize("identifier, message", [
    ("91231102MA1B2C3", "统一社会信用代码"),
    ("91231102MA1B2C3D4I", "统一社会信用代码"),
    ("91\u066331102MA1B2C3D4", "统一社会信用代码"),  # a non-ASCII digit used to crash the check
])
def test_malformed_uscc_is_a_400_not_a_500(login, office, tree, identifier, message):
    data = form_data(tree.county_a, identifier=identifier)
    response = login(office).post("/units/add", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert unit_count() == 0


@pytest.mark.parametrize("field", ["name", "address", "identifier"])
def test_nul_byte_in_a_form_field_is_refused(login, office, tree, field):
    data = form_data(tree.county_a)
    data[field] = data[field][:4] + "\x00" + data[field][4:]
    response = login(office).post("/units/add", data=data)
    assert response.status_code == 400
    assert unit_count() == 0


def test_nul_byte_in_api_json_is_refused(client, office, tree, token_for):
    response = client.post("/api/v1/units", headers=token_for(office), json={
        "name": "接口\u0000企业", "kind": "enterprise", "region_id": tree.county_a.id,
        "identifier": valid_uscc("231102")})
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert unit_count() == 0


def test_enterprise_without_identifier_is_refused(login, office, tree):
    response = login(office).post("/units/add", data=form_data(tree.county_a, identifier=""))
    assert response.status_code == 400
    assert unit_count() == 0


def test_school_with_bad_school_code_is_refused(login, office, tree):
    response = login(office).post("/units/add", data=form_data(
        tree.town_a, kind="school", identifier="1923000001"))
    assert response.status_code == 400
    assert unit_count() == 0


def test_duplicate_identifier_links_to_the_existing_unit(login, office, tree, make_unit):
    existing = make_unit(tree.county_a, name="原有企业")
    response = login(office).post("/units/add", data=form_data(
        tree.town_a, identifier=existing.identifier.lower()))
    assert response.status_code == 400
    assert "该代码的单位已登记：原有企业。" in response.text
    assert f'<a href="/units/{existing.id}">查看</a>' in response.text
    assert unit_count() == 1


def test_duplicate_of_a_unit_in_another_county_is_refused(login, office, tree, make_unit):
    # The identifier is unique across the whole database, so it is refused even out of scope,
    # but the other county's unit is neither named nor linked.
    other = make_unit(tree.county_b, name="北安企业")
    response = login(office).post("/units/add", data=form_data(tree.county_a,
                                                               identifier=other.identifier))
    assert response.status_code == 400
    assert "该代码已被您管辖范围以外的单位登记" in response.text
    assert "北安企业" not in response.text and f"/units/{other.id}" not in response.text
    assert unit_count() == 1


def test_region_outside_scope_is_refused(login, office, tree):
    for region in (tree.county_b, tree.town_b, tree.village_b, tree.city):
        response = login(office).post("/units/add", data=form_data(region))
        assert response.status_code == 400
        assert "不是有效的选择。" in response.text  # the region is not among the offered choices
    assert unit_count() == 0


@pytest.mark.parametrize("region_id", ["", "abc", "999999", "-1"])
def test_bogus_region_is_refused(login, office, tree, region_id):
    response = login(office).post("/units/add", data=form_data(tree.county_a, region_id=region_id))
    assert response.status_code == 400
    assert unit_count() == 0


@pytest.mark.parametrize("name, message", [
    ("", "该字段是必填字段。"),
    ("   ", "该字段是必填字段。"),
    ("名" * 201, "字段长度不能超过 200 个字符。"),
])
def test_bad_names_are_refused(login, office, tree, name, message):
    response = login(office).post("/units/add", data=form_data(tree.county_a, name=name))
    assert response.status_code == 400
    assert message in response.text
    assert unit_count() == 0


def test_name_of_200_characters_is_accepted(login, office, tree):
    response = login(office).post("/units/add", data=form_data(tree.county_a, name="名" * 200))
    assert response.status_code == 302
    assert db.session.scalar(select(Unit.name)) == "名" * 200


@pytest.mark.parametrize("field, value", [
    ("kind", "spaceship"), ("risk_tags", "alchemy"), ("assessment_class", "7"),
])
def test_unknown_choices_are_refused(login, office, tree, field, value):
    response = login(office).post("/units/add", data=form_data(tree.county_a, **{field: value}))
    assert response.status_code == 400
    assert unit_count() == 0


@pytest.mark.parametrize("role", [Role.LIAISON, Role.VIEWER])
def test_liaison_and_viewer_cannot_add(login, make_user, make_unit, tree, role):
    unit = make_unit(tree.county_a)
    user = make_user(role, region=tree.county_a if role == Role.VIEWER else None,
                     unit=unit if role == Role.LIAISON else None)
    client = login(user)
    assert client.get("/units/add").status_code == 403
    assert client.post("/units/add", data=form_data(tree.county_a)).status_code == 403
    assert client.get(f"/units/{unit.id}/edit").status_code == 403
    assert client.post(f"/units/{unit.id}/delete").status_code == 403
    assert unit_count() == 1


# --- detail, edit, optimistic lock ---------------------------------------------------------------

def test_detail_of_a_unit_outside_scope_is_404(login, office, units):
    client = login(office)
    assert client.get(f"/units/{units['mine'].id}").status_code == 404
    assert client.get(f"/units/{units['mine'].id}/edit").status_code == 404
    assert client.post(f"/units/{units['mine'].id}/delete").status_code == 404
    assert db.session.get(Unit, units["mine"].id) is not None


def edit_data(unit, **changes) -> dict:
    data = {"name": unit.name, "kind": unit.kind, "region_id": str(unit.region_id),
            "identifier": unit.identifier or "", "assessment_class": "", "address": "",
            "phone": "", "is_active": "y", "version": str(unit.version)}
    data.update(changes)
    return data


def test_edit_form_carries_the_version(login, office, units):
    response = login(office).get(f"/units/{units['chem'].id}/edit")
    assert response.status_code == 200
    version = re.search(r'<input[^>]*name="version"[^>]*>', response.text).group(0)
    assert 'type="hidden"' in version and 'value="1"' in version
    assert 'value="爱辉化工厂"' in response.text


def test_edit_saves_and_bumps_the_version(login, office, units):
    unit = units["chem"]
    response = login(office).post(f"/units/{unit.id}/edit", data=edit_data(
        unit, name="爱辉精细化工厂", phone="0456-7654321"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/units/{unit.id}"
    db.session.expire_all()
    saved = db.session.get(Unit, unit.id)
    assert (saved.name, saved.phone, saved.version) == ("爱辉精细化工厂", "0456-7654321", 2)


def test_second_save_from_the_same_version_gets_the_conflict_page(app, office, units):
    unit = units["chem"]
    alice, bob = app.test_client(), app.test_client()
    log_in(alice, office)
    log_in(bob, office)
    form_a = edit_data(unit, name="甲改的名字")
    form_b = edit_data(unit, name="乙改的名字", phone="110")
    assert alice.post(f"/units/{unit.id}/edit", data=form_a).status_code == 302
    response = bob.post(f"/units/{unit.id}/edit", data=form_b)
    assert response.status_code == 409
    assert "该单位已被他人修改" in response.text
    assert "甲改的名字" in response.text and "乙改的名字" in response.text  # both versions shown
    db.session.expire_all()
    saved = db.session.get(Unit, unit.id)
    assert (saved.name, saved.phone, saved.version) == ("甲改的名字", None, 2)


def test_a_race_after_the_version_check_also_gets_the_conflict_page(login, office, units,
                                                                    monkeypatch):
    """Someone saves between the form's version check and our UPDATE: StaleDataError -> 409."""
    from sqlalchemy import update

    from emergency.units import services

    unit = units["chem"]
    original_check = services.check_unit

    def check_then_someone_else_saves(data, user, existing=None):
        problems = original_check(data, user, existing)
        db.session.execute(update(Unit.__table__).where(Unit.__table__.c.id == unit.id)
                           .values(version=Unit.__table__.c.version + 1))
        return problems

    monkeypatch.setattr(services, "check_unit", check_then_someone_else_saves)
    response = login(office).post(f"/units/{unit.id}/edit", data=edit_data(unit, name="竞态"))
    assert response.status_code == 409
    assert "该单位已被他人修改" in response.text
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).name == "爱辉化工厂"


def test_edit_with_invalid_data_changes_nothing(login, office, units):
    unit = units["chem"]
    response = login(office).post(f"/units/{unit.id}/edit", data=edit_data(unit, name=""))
    assert response.status_code == 400
    db.session.expire_all()
    saved = db.session.get(Unit, unit.id)
    assert (saved.name, saved.version) == ("爱辉化工厂", 1)


def test_edit_cannot_move_a_unit_out_of_scope(login, office, tree, units):
    unit = units["chem"]
    response = login(office).post(f"/units/{unit.id}/edit", data=edit_data(
        unit, region_id=str(tree.county_b.id)))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).region_id == tree.county_a.id


def test_edit_keeping_its_own_identifier_is_not_a_duplicate(login, office, units):
    unit = units["chem"]
    response = login(office).post(f"/units/{unit.id}/edit", data=edit_data(unit, address="新地址"))
    assert response.status_code == 302


# --- delete -------------------------------------------------------------------------------------

def test_delete_is_refused_while_a_liaison_exists(login, office, make_user, units):
    unit = units["chem"]
    make_user(Role.LIAISON, unit=unit)
    response = login(office).post(f"/units/{unit.id}/delete")
    assert response.status_code == 409
    assert "该单位仍有联络员账号" in response.text
    assert db.session.get(Unit, unit.id) is not None


def test_delete_without_liaisons(login, office, units):
    unit_id = units["chem"].id
    response = login(office).post(f"/units/{unit_id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/units/"
    db.session.expire_all()
    assert db.session.get(Unit, unit_id) is None
    assert unit_count() == 4


def test_delete_needs_post(login, office, units):
    response = login(office).get(f"/units/{units['chem'].id}/delete")
    assert response.status_code == 405
    assert db.session.get(Unit, units["chem"].id) is not None


# --- liaisons -----------------------------------------------------------------------------------

def test_add_liaison_shows_password_once_and_the_liaison_sees_only_that_unit(app, login, office,
                                                                            units):
    unit = units["school"]
    response = login(office).post(f"/units/{unit.id}/liaisons", data={
        "username": "huayuan.xx", "display_name": "王老师", "email": "wang@yjj.local",
        "phone": "13800000000"})
    assert response.status_code == 200
    assert "联络员账号已创建" in response.text
    password = re.search(r'<dt class="col-sm-3">密码</dt><dd class="col-sm-9 secret">([^<]+)</dd>',
                         response.text).group(1)
    liaison = db.session.scalar(select(User).where(User.username == "huayuan.xx"))
    assert (liaison.role, liaison.unit_id, liaison.region_id) == (Role.LIAISON, unit.id, None)
    assert password not in liaison.password_hash

    other = app.test_client()
    login_response = other.post("/login", data={"username": "huayuan.xx", "password": password})
    assert login_response.status_code == 302
    home = other.get("/", follow_redirects=False)
    assert home.headers["Location"] == f"/units/{unit.id}"
    assert other.get(f"/units/{unit.id}").status_code == 200
    assert listed_names(other.get("/units/")) == ["花园小学"]
    assert other.get(f"/units/{units['chem'].id}").status_code == 404
    assert other.get(f"/units/{units['mine'].id}").status_code == 404


def test_add_liaison_with_a_taken_username_is_refused(login, office, make_user, units):
    make_user(Role.LIAISON, unit=units["chem"], username="taken")
    response = login(office).post(f"/units/{units['school'].id}/liaisons", data={
        "username": "taken", "display_name": "某人", "email": "x@yjj.local"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(User.id)).where(User.username == "taken")) == 1


def test_add_liaison_with_a_bad_email_is_refused(login, office, units):
    response = login(office).post(f"/units/{units['school'].id}/liaisons", data={
        "username": "someone", "display_name": "某人", "email": "not-an-address"})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "someone")) is None


def test_liaison_cannot_add_liaisons(login, make_user, units):
    liaison = make_user(Role.LIAISON, unit=units["school"])
    response = login(liaison).post(f"/units/{units['school'].id}/liaisons", data={
        "username": "sneaky", "display_name": "某人", "email": "s@yjj.local"})
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
