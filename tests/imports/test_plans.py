"""Importing an existing plan register (预案台账): text dates, filings, evaluations, versions."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from emergency.extensions import db
from emergency.imports import services
from emergency.imports.report import cell_message
from emergency.messages import problem_message
from emergency.plans.models import Evaluation, FilingState, Plan, PlanVersion, RevisionItem
from emergency.problems import Problem
from emergency.units.models import UnitKind
from tests.factories import valid_uscc
from tests.imports.conftest import counts
from tests.imports.files import PLAN_HEADERS, csv_file

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def run(path, user, **options):
    return services.run_import("plans", path, path.suffix[1:], user, file_name=path.name,
                               **options)


def rows_of(report):
    return [(r.row, r.action, r.label) for r in report.rows]


def errors_of(report):
    return [(i.row, i.column, i.header, i.message) for i in report.errors]


@pytest.fixture
def units(tree, make_unit):
    machine = valid_uscc("231102", 501)
    return {
        "machine": make_unit(tree.town_a, name="爱辉机械厂", identifier=machine),
        "school": make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL,
                            identifier="2123000001"),
        "water": make_unit(tree.county_a, name="爱辉区水务局", kind=UnitKind.GOVERNMENT_DEPARTMENT),
        "mine": make_unit(tree.town_b, name="北安煤矿"),
    }


def plan_row(code="", unit="", region="", title="", category="", hazard="", subtype="",
             issued="", signer="", filed="", number="", evaluated="", conclusion=""):
    return [code, unit, region, title, category, hazard, subtype, issued, signer, filed, number,
            evaluated, conclusion]


@pytest.fixture
def messy_register(tmp_path, units):
    """A register with a merged title row, two-level merged headers, text dates in several
    spellings (one with full-width digits, one unreadable), a date cell, a duplicate row and
    a code no registered unit has."""
    machine = units["machine"].identifier
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "预案台账"
    sheet.append(["黑河市突发事件应急预案备案台账（2024年）"])
    sheet.merge_cells("A1:M1")
    sheet.append(["单位信息", None, None, "预案信息", None, None, None, None, None, "备案情况",
                  None, "评估情况", None])
    for cells in ("A2:C2", "D2:I2", "J2:K2", "L2:M2"):
        sheet.merge_cells(cells)
    sheet.append(PLAN_HEADERS)
    sheet.append(plan_row(machine.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                          "爱辉机械厂", "", "爱辉机械厂生产安全事故综合应急预案", "综合应急预案",
                          "事故灾难", "", "2024年3月5日", "主要负责人", "2024.3.20",
                          "231102-2024-0001", "2025/3/1", "继续适用"))
    sheet.append(plan_row("2123000001", "花园小学", "", "花园小学校园安全应急预案", "专项应急预案",
                          "公共卫生事件", "", datetime(2023, 9, 1)))
    sheet.append(plan_row("", "爱辉区水务局", "爱辉区", "爱辉区防汛抗旱应急预案", "部门应急预案",
                          "自然灾害", "防汛", "2022-06-15".translate(FULL_WIDTH), "分管负责人",
                          20220701))
    sheet.append(plan_row("2123000001", "花园小学", "", "花园小学校园安全应急预案", "专项应急预案",
                          "公共卫生事件", "", "2023/9/1"))
    sheet.append(plan_row(machine, "", "", "爱辉机械厂火灾现场处置方案", "现场处置方案", "事故灾难",
                          "火灾", "2023年5月"))
    sheet.append(plan_row("91230000MA1XXXXX0X", "不存在的公司", "", "某某预案", "专项应急预案",
                          "事故灾难", "", "2024-01-01"))
    path = tmp_path / "预案台账.xlsx"
    workbook.save(path)
    return path


def test_messy_register_gives_exactly_the_expected_report(messy_register, office_a):
    before = counts()
    report = run(messy_register, office_a)
    assert report.refusal is None and report.header_row == 3
    assert rows_of(report) == [
        (4, "create", "爱辉机械厂生产安全事故综合应急预案"),
        (5, "create", "花园小学校园安全应急预案"),
        (6, "create", "爱辉区防汛抗旱应急预案"),
        (7, "error", "花园小学校园安全应急预案"),
        (8, "error", "爱辉机械厂火灾现场处置方案"),
        (9, "error", "某某预案"),
    ]
    assert errors_of(report) == [
        (7, "D", "预案名称", cell_message("duplicate_row", "5")),
        (8, "H", "印发日期", cell_message("unreadable_date", "2023年5月")),
        (9, "A", "单位统一社会信用代码/学校标识码",
         cell_message("unit_not_found", "91230000MA1XXXXX0X")),
    ]
    assert counts() == before


def test_messy_register_imports_and_reimporting_changes_nothing(messy_register, office_a, units):
    report = run(messy_register, office_a, apply=True, skip_invalid=True)
    assert report.applied
    db.session.commit()
    plans = {p.title: p for p in db.session.scalars(select(Plan))}
    assert len(plans) == 3
    machine_plan = plans["爱辉机械厂生产安全事故综合应急预案"]
    version = machine_plan.current_version
    assert (machine_plan.category, machine_plan.hazard_class) == ("overall", "accident")
    assert (version.issued_on, version.filing_state, version.filed_on, version.filing_number) == (
        date(2024, 3, 5), FilingState.FILED, date(2024, 3, 20), "231102-2024-0001")
    assert db.session.scalar(select(Evaluation.evaluated_on).where(
        Evaluation.plan_id == machine_plan.id)) == date(2025, 3, 1)
    school = plans["花园小学校园安全应急预案"].current_version
    assert (school.issued_on, school.filing_state) == (date(2023, 9, 1), FilingState.DRAFT)
    water = plans["爱辉区防汛抗旱应急预案"]
    assert (water.hazard_subtype, water.current_version.signer_role,
            water.current_version.issued_on, water.current_version.filed_on) == (
        "防汛", "deputy", date(2022, 6, 15), date(2022, 7, 1))

    before = counts()
    again = run(messy_register, office_a, apply=True, skip_invalid=True)
    assert [r.action for r in again.rows] == ["unchanged"] * 3 + ["error"] * 3
    db.session.commit()
    assert counts() == before


def test_later_issue_date_is_a_new_version_and_earlier_is_refused(units, office_a, tmp_path):
    code = units["machine"].identifier
    title = "爱辉机械厂生产安全事故综合应急预案"
    path = csv_file(tmp_path / "p.csv", [PLAN_HEADERS,
        plan_row(code, title=title, category="overall", hazard="accident", issued="2021-03-01",
                 filed="2021-03-10"),
        plan_row(code, title=title, category="overall", hazard="accident", issued="2024-03-01",
                 filed="2024-03-15", number="A-1"),
        plan_row(code, title=title, category="overall", hazard="accident", issued="2023-01-01"),
    ])
    report = run(path, office_a)
    assert rows_of(report) == [(2, "create", title), (3, "new_version", title), (4, "error", title)]
    assert errors_of(report) == [(4, "H", "印发日期", problem_message(Problem(
        "issued_on", "date_before_previous", {"previous": "2024-03-01"})))]
    applied = run(path, office_a, apply=True, skip_invalid=True)
    assert applied.applied
    db.session.commit()
    versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.number)).all()
    assert [(v.number, v.issued_on, v.filing_state, v.filing_number) for v in versions] == [
        (1, date(2021, 3, 1), "filed", None), (2, date(2024, 3, 1), "filed", "A-1")]


def test_filing_and_evaluation_added_to_an_existing_version(units, office_a, tmp_path):
    code = units["machine"].identifier
    title = "爱辉机械厂综合应急预案"
    first = csv_file(tmp_path / "p1.csv", [PLAN_HEADERS, plan_row(
        code, title=title, category="overall", hazard="accident", issued="2024-03-01")])
    assert run(first, office_a, apply=True).applied
    db.session.commit()
    later = csv_file(tmp_path / "p2.csv", [PLAN_HEADERS, plan_row(
        code, title=title, category="overall", hazard="natural", issued="2024-03-01",
        filed="2024-03-15", evaluated="2025-03-01", conclusion="需要修订")])
    report = run(later, office_a, apply=True)
    assert [(r.action, r.changes) for r in report.rows] == [
        ("update", ["hazard_class", "filed_on", "evaluated_on"])]
    db.session.commit()
    plan = db.session.scalar(select(Plan))
    assert (plan.hazard_class, plan.current_version.filing_state) == ("natural", "filed")
    item = db.session.scalar(select(RevisionItem))
    assert (item.trigger, item.raised_on, item.closed_on) == ("evaluation", date(2025, 3, 1), None)


def test_date_and_filing_checks(units, office_a, tmp_path):
    code = units["machine"].identifier
    used = csv_file(tmp_path / "p0.csv", [PLAN_HEADERS, plan_row(
        code, title="甲预案", category="special", hazard="natural", issued="2024-01-01",
        filed="2024-01-10", number="231102-2024-0007")])
    assert run(used, office_a, apply=True).applied
    db.session.commit()
    path = csv_file(tmp_path / "p.csv", [PLAN_HEADERS,
        plan_row(code, title="乙预案", category="special", hazard="natural", issued="2027-01-01"),
        plan_row(code, title="丙预案", category="special", hazard="natural", issued="2024-05-01",
                 filed="2024-04-01"),
        plan_row(code, title="丁预案", category="special", hazard="natural", issued="2024-05-01",
                 filed="2024-05-02", number="231102-2024-0007"),
        plan_row(code, title="戊预案", category="专项", hazard="地震", issued="2024-05-01",
                 number="X-1"),
        plan_row(code, title="己预案", category="special", hazard="natural", issued="1989-12-31",
                 evaluated="2030-1-1"),
    ])
    report = run(path, office_a)
    assert errors_of(report) == [
        (2, "H", "印发日期", problem_message(Problem("issued_on", "date_in_future"))),
        (3, "J", "备案日期", cell_message("filed_before_issued")),
        (4, "K", "备案编号", cell_message("filing_number_taken")),
        (5, "F", "事件类别", cell_message("unknown_choice", "地震")),
        (5, "J", "备案日期", problem_message(Problem("filed_on", "required"))),
        (6, "H", "印发日期", problem_message(Problem("issued_on", "date_too_early"))),
        (6, "L", "评估日期", problem_message(Problem("evaluated_on", "date_in_future"))),
    ]


def test_units_by_name_and_region_and_scope(units, make_unit, tree, office_a, tmp_path):
    make_unit(tree.county_b, name="爱辉区水务局", kind=UnitKind.GOVERNMENT_DEPARTMENT)
    path = csv_file(tmp_path / "p.csv", [PLAN_HEADERS,
        plan_row(unit="爱辉区水务局", title="防汛预案", category="部门应急预案", hazard="自然灾害",
                 issued="2024-01-01"),
        plan_row(unit="北安煤矿", title="煤矿预案", category="专项应急预案", hazard="事故灾难",
                 issued="2024-01-01"),
        plan_row(code=units["mine"].identifier, title="煤矿预案", category="专项应急预案",
                 hazard="事故灾难", issued="2024-01-01"),
        plan_row(unit="不存在", region="火星", title="某预案", category="专项应急预案",
                 hazard="事故灾难", issued="2024-01-01"),
    ])
    report = run(path, office_a)
    assert [(r.row, r.action) for r in report.rows] == [
        (2, "create"), (3, "error"), (4, "error"), (5, "error")]
    assert errors_of(report) == [
        (3, "B", "单位名称", cell_message("unit_not_found", "北安煤矿")),
        (4, "A", "单位统一社会信用代码/学校标识码", cell_message("unit_out_of_scope")),
        (5, "C", "所属区划", cell_message("unknown_region", "火星")),
    ]


def test_register_without_any_unit_column_is_refused(units, office_a, tmp_path):
    path = csv_file(tmp_path / "p.csv", [PLAN_HEADERS[3:8], ["甲预案", "专项应急预案", "事故灾难",
                                                             "", "2024-01-01"]])
    report = run(path, office_a)
    assert report.refusal is not None and PLAN_HEADERS[0] in report.refusal
