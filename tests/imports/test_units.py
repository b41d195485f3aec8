"""Unit imports through the service: the report, matching, re-imports, scope, all-or-nothing."""

import pytest
from sqlalchemy import select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.imports import services
from emergency.imports import units as unit_import
from emergency.imports.report import cell_message
from emergency.messages import problem_message
from emergency.problems import Problem
from emergency.units.models import RiskTag, Unit, UnitKind
from tests.factories import valid_uscc
from tests.imports.conftest import counts
from tests.imports.files import UNIT_HEADERS, csv_file, xlsx

FULL_WIDTH = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")


def run(path, user, **options):
    return services.run_import("units", path, path.suffix[1:], user, file_name=path.name,
                               **options)


def rows_of(report):
    return [(r.row, r.action, r.label) for r in report.rows]


def errors_of(report):
    return [(i.row, i.column, i.header, i.message) for i in report.errors]


def wrong_check(code: str) -> tuple[str, str]:
    """Return the code with a wrong check character, and the right one."""
    right = code[-1]
    wrong = "0" if right != "0" else "1"
    return code[:-1] + wrong, right


def unit_row(name, kind="企业", region="231102001", code="", tags="", klass="", address="",
             phone="", liaison=("", "", "", "")):
    return [name, kind, region, code, tags, klass, address, phone, *liaison]


@pytest.fixture
def messy(tmp_path):
    """A register as offices send it: merged title row, a 序号 and a 备注 column, full-width
    digits in a code, Chinese labels with full-width brackets, a duplicate row, a bad code."""
    machine = valid_uscc("231102", 101)
    mine = valid_uscc("231181", 102)
    bad_mine, expected = wrong_check(mine)
    header = ["序号", *UNIT_HEADERS, "备注"]
    rows = [
        header,
        [1, *unit_row("爱辉机械厂", "企业", "231102001", machine.translate(FULL_WIDTH),
                      "危险化学品、人员密集场所", "一类", "花园街道工业路1号", 4568888888), ""],
        [2, *unit_row("花园小学", "中小学校", "黑河市/爱辉区/花园街道", "2123000001",
                      liaison=("王老师", "hy_school", "wang@yjj.local", "13800000000")), "寄宿"],
        [3, *unit_row("红星村村民委员会", "村（社区）", "231181100201"), ""],
        [4, *unit_row("北安煤矿", "企业", "北安市赵光镇", bad_mine, "矿山"), ""],
        [5, *unit_row("爱辉机械厂", "企业", "231102001", machine, "危险化学品、人员密集场所",
                      "一类", "花园街道工业路1号", 4568888888), "重复"],
        [6, *unit_row("爱辉区水务局", "政府部门", "231102"), ""],
    ]
    path = xlsx(tmp_path / "2025年单位名册.xlsx", rows,
                title_rows=["2025年黑河市应急预案编制单位名册（第一批）"])
    return {"path": path, "machine": machine, "bad": bad_mine, "expected": expected}


def test_messy_office_spreadsheet_gives_exactly_the_expected_report(messy, office_city):
    before = counts()
    report = run(messy["path"], office_city)

    assert report.refusal is None
    assert (report.sheet, report.header_row) == ("单位", 2)
    assert report.ignored_columns == [("A", "序号"), ("N", "备注")]
    assert rows_of(report) == [
        (3, "create", "爱辉机械厂"), (4, "create", "花园小学"), (5, "create", "红星村村民委员会"),
        (6, "error", "北安煤矿"), (7, "error", "爱辉机械厂"), (8, "create", "爱辉区水务局"),
    ]
    assert errors_of(report) == [
        (6, "E", "统一社会信用代码/学校标识码",
         problem_message(Problem("identifier", "uscc_check", {"expected": messy["expected"]}))),
        (7, "E", "统一社会信用代码/学校标识码", cell_message("duplicate_row", "3")),
    ]
    assert messy["expected"] in report.errors[0].message  # the message names the right character
    assert report.errors[0].value == messy["bad"]
    assert dict(report.counts) == {"create": 4, "error": 2}
    assert report.liaisons_to_create == 1
    assert not report.applied and counts() == before  # a dry run writes nothing


def test_messy_spreadsheet_imports_and_reimporting_it_changes_nothing(messy, office_city):
    strict = run(messy["path"], office_city, apply=True)
    assert not strict.applied  # rows with errors: all or nothing
    db.session.rollback()
    assert counts()["units"] == 0

    report = run(messy["path"], office_city, apply=True, skip_invalid=True)
    assert report.applied
    db.session.commit()
    units = {u.name: u for u in db.session.scalars(select(Unit))}
    assert sorted(units) == ["爱辉区水务局", "爱辉机械厂", "红星村村民委员会", "花园小学"]
    machine = units["爱辉机械厂"]
    assert machine.identifier == messy["machine"]  # full-width digits folded
    assert machine.risk_tags == {RiskTag.HAZARDOUS_CHEMICALS, RiskTag.CROWDED_PLACE}
    assert (machine.assessment_class, machine.phone) == (1, "4568888888")
    assert units["红星村村民委员会"].kind == UnitKind.VILLAGE_COMMUNITY
    assert units["花园小学"].region.code == "231102001"
    liaison = db.session.scalar(select(User).where(User.username == "hy_school"))
    assert (liaison.role, liaison.unit_id) == (Role.LIAISON, units["花园小学"].id)
    assert [(a.row, a.username) for a in report.accounts] == [(4, "hy_school")]
    created = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "units", AuditEntry.action == "create")).all()
    assert len(created) == 4  # audited by the ORM listener

    before = counts()
    again = run(messy["path"], office_city)
    assert rows_of(again) == [
        (3, "unchanged", "爱辉机械厂"), (4, "unchanged", "花园小学"),
        (5, "unchanged", "红星村村民委员会"), (6, "error", "北安煤矿"),
        (7, "error", "爱辉机械厂"), (8, "unchanged", "爱辉区水务局"),
    ]
    assert [r.liaison for r in again.rows][1] == "exists"
    applied = run(messy["path"], office_city, apply=True, skip_invalid=True)
    assert applied.applied and applied.changes == 0 and not applied.accounts
    db.session.commit()
    assert counts() == before


def test_changed_fields_are_updated_and_audited(tree, make_unit, office_city, tmp_path):
    code = valid_uscc("231102", 201)
    unit = make_unit(tree.town_a, name="爱辉化工厂", identifier=code, address="旧地址")
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS, unit_row(
        "爱辉化工有限公司", "企业", "231102001", code, "危险化学品", "", "新地址")])
    report = run(path, office_city, apply=True)
    assert [(r.action, r.changes) for r in report.rows] == [
        ("update", ["name", "risk_tags", "address"])]
    db.session.commit()
    db.session.refresh(unit)
    assert (unit.name, unit.address, unit.version) == ("爱辉化工有限公司", "新地址", 2)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "units", AuditEntry.action == "update"))
    assert entry.changes["name"] == ["爱辉化工厂", "爱辉化工有限公司"]
    assert entry.changes["address"] == ["旧地址", "新地址"]


def test_empty_optional_cells_keep_stored_values(tree, make_unit, office_city, tmp_path):
    code = valid_uscc("231102", 202)
    make_unit(tree.town_a, name="爱辉机械厂", identifier=code, address="工业路1号", phone="123",
              assessment_class=2, risk_tags={RiskTag.MINING})
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:4], ["爱辉机械厂", "enterprise", "231102001", code]])
    report = run(path, office_city)
    assert [(r.action, r.changes) for r in report.rows] == [("unchanged", [])]


def test_units_without_code_match_on_region_and_name(tree, make_unit, office_city, tmp_path):
    make_unit(tree.town_a, name="花园街道办事处", kind=UnitKind.TOWN_STREET)
    school = make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL)
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:4],
                                      ["花园街道办事处", "乡镇（街道）", "231102001", ""],
                                      ["花园小学", "school", "231102001", "2123000009"],
                                      ["花园街道办事处", "town_street", "231181100", ""]])
    report = run(path, office_city, apply=True)
    assert [(r.row, r.action, r.changes) for r in report.rows] == [
        (2, "unchanged", []), (3, "update", ["identifier"]), (4, "create", [])]
    db.session.commit()
    db.session.refresh(school)
    assert school.identifier == "2123000009"


def test_region_outside_scope_is_an_error_on_that_row_only(tree, office_a, tmp_path):
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:4],
                                      ["爱辉机械厂", "企业", "231102001", valid_uscc("231102")],
                                      ["北安煤矿", "企业", "231181100", valid_uscc("231181")],
                                      ["北安某厂", "企业", "231199", valid_uscc("231181")]])
    report = run(path, office_a)
    assert rows_of(report) == [(2, "create", "爱辉机械厂"), (3, "error", "北安煤矿"),
                               (4, "error", "北安某厂")]
    assert errors_of(report) == [
        (3, "C", "所属区划", problem_message(Problem("region_id", "region_out_of_scope"))),
        (4, "C", "所属区划", cell_message("unknown_region", "231199")),
    ]


def test_unit_registered_outside_scope_is_not_taken_over(tree, make_unit, office_a, tmp_path):
    code = valid_uscc("231181", 301)
    make_unit(tree.town_b, name="北安煤矿", identifier=code)
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:4], ["北安煤矿", "企业", "231102001", code]])
    report = run(path, office_a)
    assert errors_of(report) == [(2, "D", "统一社会信用代码/学校标识码",
                                  cell_message("unit_out_of_scope"))]


@pytest.mark.parametrize(("region", "found"), [
    ("231102001", "231102001"), ("231102001000", "231102001"), ("231102000000", "231102"),
    ("２３１１０２００１", "231102001"), ("黑河市/爱辉区/花园街道", "231102001"),
    ("黑河市 爱辉区 花园街道", "231102001"), ("爱辉区花园街道", "231102001"),
    ("黑龙江省黑河市爱辉区", "231102"), ("花园社区", "231102001001"), ("黑河市", "2311"),
])
def test_region_by_code_or_name_path(tree, office_city, tmp_path, region, found):
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:3], ["某某单位", "其他组织", region]])
    report = run(path, office_city, apply=True)
    assert report.applied, errors_of(report)
    db.session.commit()
    assert db.session.scalar(select(Unit)).region.code == found


@pytest.mark.parametrize(("typed", "kind"), [
    ("企业", "enterprise"), ("enterprise", "enterprise"), ("Enterprise", "enterprise"),
    ("乡镇（街道）", "town_street"), ("乡镇(街道)", "town_street"), ("中小学校", "school"),
    ("Government department", "government_department"), ("事业单位", "public_institution"),
])
def test_unit_kind_by_chinese_name_english_name_or_code(tree, office_city, tmp_path, typed, kind):
    code = "2123000001" if kind == "school" else valid_uscc("231102")
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:4], ["某某单位", typed, "231102001", code]])
    report = run(path, office_city)
    assert rows_of(report) == [(2, "create", "某某单位")], errors_of(report)


def test_unknown_kind_and_tag_and_class_are_reported(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:6],
                                         ["某某单位", "合作社", "231102001", "2123000001", "", ""],
                                         ["某某企业", "企业", "231102001", valid_uscc("231102"),
                                          "危险化学品、放射源", "四类"]])
    report = run(path, office_city)
    assert errors_of(report) == [
        (2, "B", "单位类型", cell_message("unknown_choice", "合作社")),
        (3, "E", "风险标签", problem_message(Problem("risk_tags", "unknown_tag", {"tags": "放射源"}))),
        (3, "F", "考核类别", problem_message(Problem("assessment_class", "invalid_choice"))),
    ]


def test_enterprise_needs_a_code_and_school_code_is_checked(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:4],
                                         ["某某企业", "企业", "231102001", ""],
                                         ["某某学校", "中小学校", "231102001", "99123"]])
    report = run(path, office_city)
    assert errors_of(report) == [
        (2, "D", "统一社会信用代码/学校标识码", problem_message(Problem("identifier", "uscc_required"))),
        (3, "D", "统一社会信用代码/学校标识码", problem_message(Problem("identifier", "school_format"))),
    ]


def test_code_typed_as_a_number_that_excel_rounded(tree, office_city, tmp_path):
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:4],
                                      ["某某企业", "企业", 231102001, 912311020000001234]])
    report = run(path, office_city)
    assert errors_of(report) == [(2, "D", "统一社会信用代码/学校标识码",
                                  cell_message("number_rounded"))]


def test_liaison_columns(tree, make_unit, make_user, office_city, tmp_path):
    taken = make_user(Role.OFFICE, region=tree.county_a, username="taken")
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS,
        unit_row("甲厂", code=valid_uscc(), liaison=("张三", "zhang", "zhang@yjj.local", "")),
        unit_row("乙厂", code=valid_uscc(), liaison=("李四", "", "li@yjj.local", "")),
        unit_row("丙厂", code=valid_uscc(), liaison=("王五", taken.username, "w@yjj.local", "")),
        unit_row("丁厂", code=valid_uscc(), liaison=("赵六", "zhao", "not-an-address", "")),
        unit_row("戊厂", code=valid_uscc(), liaison=("钱七", "zhang", "q@yjj.local", "")),
    ])
    report = run(path, office_city)
    assert [(i.row, i.column) for i in report.errors] == [(3, "J"), (4, "J"), (5, "K"), (6, "J")]
    assert report.errors[0].message == cell_message("liaison_username_required")
    assert report.errors[1].message == cell_message("username_other_unit")
    assert report.errors[3].message == cell_message("duplicate_row", "2")
    assert report.liaisons_to_create == 1


def test_csv_formula_text_is_stored_literally(tree, office_city, tmp_path):
    formula = '=HYPERLINK("http://x","点我")'
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:3], [formula, "其他组织", "231102001"]])
    report = run(path, office_city, apply=True)
    assert report.applied
    db.session.commit()
    assert db.session.scalar(select(Unit.name)) == formula


def test_apply_is_all_or_nothing_when_the_last_row_fails(tree, office_city, tmp_path,
                                                         monkeypatch):
    rows = [UNIT_HEADERS] + [unit_row(f"单位{i}", code=valid_uscc(),
                                      liaison=(f"联络员{i}", f"liaison{i}", f"l{i}@yjj.local", ""))
                             for i in range(5)]
    path = csv_file(tmp_path / "u.csv", rows)
    before = counts()
    real_create = unit_import.create_unit
    calls = []

    def failing_create(data):
        calls.append(data.name)
        if data.name == "单位4":
            raise RuntimeError("disk full")
        return real_create(data)

    monkeypatch.setattr(unit_import, "create_unit", failing_create)
    with pytest.raises(RuntimeError):
        run(path, office_city, apply=True)
    assert calls == [f"单位{i}" for i in range(5)]  # four rows were written before the failure
    assert counts() == before


def test_row_cap_refuses_the_file(tree, office_city, tmp_path, app):
    app.config["IMPORT_MAX_ROWS"] = 3
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS[:3]] + [
        [f"单位{i}", "其他组织", "231102001"] for i in range(4)])
    before = counts()
    report = run(path, office_city, apply=True)
    assert not report.applied
    assert "3" in report.refusal and counts() == before


def test_export_of_the_unit_list_reimports_unchanged(tree, make_unit, office_city, tmp_path,
                                                      client, login):
    make_unit(tree.town_a, name="爱辉机械厂", risk_tags={RiskTag.MINING}, assessment_class=2,
              address="工业路1号", phone="0456-1234567")
    make_unit(tree.town_b, name="红星小学", kind=UnitKind.SCHOOL, identifier="2123000002")
    login(office_city)
    exported = client.get("/units/export.xlsx", headers={"Accept-Language": "zh-CN"})
    path = tmp_path / "export.xlsx"
    path.write_bytes(exported.data)
    report = run(path, office_city)
    assert [r.action for r in report.rows] == ["unchanged", "unchanged"], errors_of(report)
