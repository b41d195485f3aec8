"""Unit exports: XLSX and CSV with Chinese headers, text codes, neutralised formulas, filters and
scope."""

import csv
import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from emergency.auth.models import Role
from emergency.units.models import RiskTag, UnitKind

HEADERS = [
    "编号", "名称", "类型", "区划代码", "区域", "代码",
    "风险标签", "考核类别", "地址", "电话", "启用",
]
FORMULA_NAME = '=HYPERLINK("http://x","点我")'


@pytest.fixture
def office(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a)


@pytest.fixture
def units(tree, make_unit):
    return {
        "chem": make_unit(tree.county_a, name="爱辉化工厂", identifier="91231102MA1B2C3D4J",
                          risk_tags={RiskTag.HAZARDOUS_CHEMICALS, RiskTag.CROWDED_PLACE},
                          assessment_class=2, phone="04561234567", address="通江路1号"),
        "school": make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL,
                            identifier="2123000001"),
        "evil": make_unit(tree.town_a, name=FORMULA_NAME, kind=UnitKind.OTHER,
                          address="+1+cmd|' /C calc'!A0", phone="-2+3", is_active=False),
        "mine": make_unit(tree.county_b, name="北安煤矿", risk_tags={RiskTag.MINING}),
    }


def read_xlsx(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    workbook.close()
    return rows


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def by_name(rows, name_index=1) -> dict:
    return {row[name_index]: row for row in rows[1:]}


def test_xlsx_opens_with_chinese_headers_and_the_users_scope(login, office, units):
    response = login(office).get("/units/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote('单位.xlsx')}" in disposition
    rows = read_xlsx(response)
    assert [cell.value for cell in rows[0]] == HEADERS
    names = {row[1].value for row in rows[1:]}
    assert names == {"爱辉化工厂", "花园小学", "'" + FORMULA_NAME}
    assert "北安煤矿" not in names


def test_xlsx_values_are_readable(login, office, units):
    rows = read_xlsx(login(office).get("/units/export.xlsx"))
    chem = {row[1].value: [cell.value for cell in row] for row in rows[1:]}["爱辉化工厂"]
    assert chem[0] == units["chem"].id
    assert chem[2:] == ["企业", "231102", "爱辉区", "91231102MA1B2C3D4J",
                        "人员密集场所、危险化学品", "二类", "通江路1号", "04561234567", "是"]


def test_xlsx_codes_are_text_cells(login, office, units):
    rows = read_xlsx(login(office).get("/units/export.xlsx"))
    cells = {row[1].value: row for row in rows[1:]}
    school_code = cells["花园小学"][5]
    assert school_code.value == "2123000001" and school_code.data_type == "s"
    assert school_code.number_format == "@"
    region_code = cells["花园小学"][3]
    assert region_code.value == "231102001" and region_code.number_format == "@"
    phone = cells["爱辉化工厂"][9]
    assert phone.value == "04561234567" and phone.number_format == "@"  # the leading 0 survives


def test_formula_like_text_is_prefixed_with_an_apostrophe_in_xlsx(login, office, units):
    rows = read_xlsx(login(office).get("/units/export.xlsx"))
    evil = {row[1].value: row for row in rows[1:]}["'" + FORMULA_NAME]
    assert evil[1].data_type == "s"  # a string, not a formula
    assert evil[8].value == "'+1+cmd|' /C calc'!A0"
    assert evil[9].value == "'-2+3"
    assert evil[10].value == "否"
    assert not any(cell.data_type == "f" for row in rows for cell in row)


def test_csv_has_a_bom_chinese_headers_and_neutralised_formulas(login, office, units):
    response = login(office).get("/units/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"filename*=UTF-8''{quote('单位.csv')}" in response.headers["Content-Disposition"]
    assert response.data[:3] == b"\xef\xbb\xbf"
    rows = read_csv(response)
    assert rows[0] == HEADERS
    names = {row[1] for row in rows[1:]}
    assert names == {"爱辉化工厂", "花园小学", "'" + FORMULA_NAME}
    evil = by_name(rows)["'" + FORMULA_NAME]
    assert evil[8] == "'+1+cmd|' /C calc'!A0" and evil[9] == "'-2+3"
    chem = by_name(rows)["爱辉化工厂"]
    assert chem[5] == "91231102MA1B2C3D4J" and chem[9] == "04561234567"


def test_csv_decodes_as_utf8_not_gbk(login, office, units):
    data = login(office).get("/units/export.csv").data
    text = data.decode("utf-8-sig")
    assert "爱辉化工厂" in text
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("query, expected", [
    ({"kind": "school"}, {"花园小学"}),
    ({"tag": "hazardous_chemicals"}, {"爱辉化工厂"}),
    ({"q": "化工"}, {"爱辉化工厂"}),
    ({"q": "没有这个"}, set()),
    ({"tag": "mining"}, set()),  # the only mining unit is outside the scope
])
def test_filters_apply_to_the_export(login, office, units, fmt, query, expected):
    response = login(office).get(f"/units/export.{fmt}", query_string=query)
    assert response.status_code == 200
    if fmt == "xlsx":
        rows = read_xlsx(response)
        assert [c.value for c in rows[0]] == HEADERS
        names = {row[1].value for row in rows[1:]}
    else:
        rows = read_csv(response)
        assert rows[0] == HEADERS
        names = {row[1] for row in rows[1:]}
    assert names == expected


def test_region_filter_applies_to_the_export(login, office, tree, units):
    rows = read_csv(login(office).get("/units/export.csv", query_string={"region": tree.town_a.id}))
    assert {row[1] for row in rows[1:]} == {"花园小学", "'" + FORMULA_NAME}


def test_export_follows_the_list_sort(login, office, units):
    rows = read_csv(login(office).get("/units/export.csv", query_string={"sort": "name"}))
    names = [row[1] for row in rows[1:]]
    assert names == sorted(names, key=lambda n: n.lstrip("'"))


def test_other_county_gets_only_its_own_units(login, make_user, tree, units):
    beian = make_user(Role.OFFICE, region=tree.county_b)
    rows = read_csv(login(beian).get("/units/export.csv"))
    assert [row[1] for row in rows[1:]] == ["北安煤矿"]


def test_liaison_exports_only_its_unit(login, make_user, units):
    liaison = make_user(Role.LIAISON, unit=units["school"])
    rows = read_xlsx(login(liaison).get("/units/export.xlsx"))
    assert [row[1].value for row in rows[1:]] == ["花园小学"]


def test_admin_exports_everything(login, make_user, units):
    admin = make_user(Role.ADMIN)
    rows = read_csv(login(admin).get("/units/export.csv"))
    assert len(rows) == 1 + 4


def test_english_export_has_english_headers(login, office, units):
    response = login(office).get("/units/export.csv", headers={"Accept-Language": "en"})
    rows = read_csv(response)
    assert rows[0][:3] == ["ID", "Name", "Kind"]
    assert by_name(rows)["爱辉化工厂"][2] == "Enterprise"


@pytest.mark.parametrize("fmt", ["pdf", "xls", "..%2fetc"])
def test_unknown_format_is_404(login, office, units, fmt):
    assert login(office).get(f"/units/export.{fmt}").status_code == 404


def test_export_requires_login(client, units):
    response = client.get("/units/export.xlsx")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
