"""Importing past drills (演练台账): the messy office register, matching, checks, compliance."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from emergency.compliance.models import Obligation
from emergency.compliance.scan import scan
from emergency.compliance.seed import seed_rules
from emergency.drills.models import Drill, DrillChange, DrillStatus
from emergency.drills.services import DrillData, plan_drill
from emergency.extensions import db
from emergency.imports import services
from emergency.imports.report import cell_message
from emergency.messages import problem_message
from emergency.plans.models import Plan
from emergency.problems import Problem
from emergency.units.models import RiskTag, UnitKind
from tests.imports.conftest import counts
from tests.imports.files import DRILL_HEADERS, csv_file, xlsx

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def run(path, user, **options):
    return services.run_import("drills", path, path.suffix[1:], user, file_name=path.name,
                               **options)


def rows_of(report):
    return [(r.row, r.action, r.label) for r in report.rows]


def errors_of(report):
    return [(i.row, i.column, i.header, i.message) for i in report.errors]


def drill_row(code="", unit="", region="", title="", plans="", held="", form="", scope="",
              purpose="", minutes="", people="", evacuation="", reported="", notes=""):
    return [code, unit, region, title, plans, held, form, scope, purpose, minutes, people,
            evacuation, reported, notes]


def _plan(unit, title):
    plan = Plan(unit_id=unit.id, title=title, category="overall", hazard_class="comprehensive")
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def units(tree, make_unit):
    chemical = make_unit(tree.town_a, name="爱辉化工厂", risk_tags={RiskTag.HAZARDOUS_CHEMICALS})
    school = make_unit(tree.town_a, name="花园小学", kind=UnitKind.SCHOOL, identifier="2123000001")
    water = make_unit(tree.county_a, name="爱辉区水务局", kind=UnitKind.GOVERNMENT_DEPARTMENT)
    mine = make_unit(tree.town_b, name="北安煤矿", risk_tags={RiskTag.MINING})
    plans = {"chemical": _plan(chemical, "爱辉化工厂生产安全事故综合应急预案"),
             "onsite": _plan(chemical, "储罐区泄漏现场处置方案"),
             "school": _plan(school, "花园小学校园安全应急预案"),
             "mine": _plan(mine, "北安煤矿综合应急预案")}
    return {"chemical": chemical, "school": school, "water": water, "mine": mine, "plans": plans}


@pytest.fixture
def messy_register(tmp_path, units):
    """An office's drill register: a merged title row, a code in full-width digits, dates typed
    as text in several spellings (one with full-width digits), a real date cell, figures with
    their units ("１２０人", "1小时30分", "3分20秒"), a duplicate row and a code nobody has."""
    code = units["chemical"].identifier
    rows = [
        DRILL_HEADERS,
        drill_row(code.translate(FULL_WIDTH), "爱辉化工厂", "",
                  "", "爱辉化工厂生产安全事故综合应急预案、储罐区泄漏现场处置方案",
                  "2024年6月15日", "实战", "综合演练", "", "1小时30分", "１２０人", "",
                  "2024/6/20", "储罐区泄漏处置"),
        drill_row("2123000001", "花园小学", "", "花园小学春季地震疏散演练",
                  "花园小学校园安全应急预案", datetime(2024, 4, 10), "实战演练", "单项", "检验性",
                  30, 600, "3分20秒"),
        drill_row("", "爱辉区水务局", "爱辉区", "防汛桌面推演", "", "2024-07-01".translate(FULL_WIDTH),
                  "桌面推演", "单项演练", "", 90, 25),
        drill_row("2123000001", "花园小学", "", "花园小学春季地震疏散演练",
                  "花园小学校园安全应急预案", "2024/4/10", "实战演练", "单项", "检验性", 30, 600,
                  "200"),
        drill_row("91230000MA1XXXXX0X", "不存在的公司", "", "消防演练", "", "2024-05-01", "实战",
                  "单项"),
    ]
    return xlsx(tmp_path / "演练台账.xlsx", rows, title_rows=["爱辉区2024年应急演练台账"],
                sheet="演练台账")


def test_messy_register_gives_exactly_the_expected_report(messy_register, office_a):
    before = counts()
    report = run(messy_register, office_a)
    assert report.refusal is None and report.header_row == 2
    assert rows_of(report) == [
        (3, "create", "爱辉化工厂 爱辉化工厂生产安全事故综合应急预案演练"),
        (4, "create", "花园小学 花园小学春季地震疏散演练"),
        (5, "create", "爱辉区水务局 防汛桌面推演"),
        (6, "error", "花园小学 花园小学春季地震疏散演练"),
        (7, "error", "消防演练"),
    ]
    assert errors_of(report) == [
        (6, "D", "演练名称", cell_message("duplicate_row", "4")),
        (7, "A", "单位统一社会信用代码/学校标识码",
         cell_message("unit_not_found", "91230000MA1XXXXX0X")),
    ]
    assert counts() == before


def test_messy_register_imports_like_the_drill_pages_and_reimporting_changes_nothing(
        messy_register, office_a, units):
    report = run(messy_register, office_a, apply=True, skip_invalid=True)
    assert report.applied, report.errors
    db.session.commit()
    drills = {d.title: d for d in db.session.scalars(select(Drill))}
    assert len(drills) == 3
    chemical = drills["爱辉化工厂生产安全事故综合应急预案演练"]
    assert (chemical.status, chemical.planned_on, chemical.held_on, chemical.form, chemical.scope,
            chemical.purpose, chemical.duration_minutes, chemical.participants,
            chemical.reported_on, chemical.summary) == (
        DrillStatus.HELD, date(2024, 6, 15), date(2024, 6, 15), "live", "comprehensive",
        "inspection", 90, 120, date(2024, 6, 20), "储罐区泄漏处置")
    assert [p.title for p in chemical.plans] == ["储罐区泄漏现场处置方案",
                                                 "爱辉化工厂生产安全事故综合应急预案"]
    school = drills["花园小学春季地震疏散演练"]
    assert (school.held_on, school.evacuation_seconds, school.participants) == (
        date(2024, 4, 10), 200, 600)
    water = drills["防汛桌面推演"]
    assert (water.unit_id, water.held_on, water.form, water.plans) == (
        units["water"].id, date(2024, 7, 1), "tabletop", [])
    # As recorded on the drill page: a "held" step in each drill's history.
    assert sorted(c.action for c in db.session.scalars(select(DrillChange))) == ["held"] * 3

    before = counts()
    again = run(messy_register, office_a, apply=True, skip_invalid=True)
    assert [r.action for r in again.rows] == ["unchanged"] * 3 + ["error"] * 2
    db.session.commit()
    assert counts() == before


def test_changed_figures_update_the_drill_and_empty_cells_keep_them(units, office_a, tmp_path):
    first = csv_file(tmp_path / "d1.csv", [DRILL_HEADERS, drill_row(
        "2123000001", title="疏散演练", held="2024-04-10", form="实战", scope="单项",
        minutes="30", people="600", evacuation="200", notes="首次")])
    assert run(first, office_a, apply=True).applied
    db.session.commit()
    later = csv_file(tmp_path / "d2.csv", [DRILL_HEADERS, drill_row(
        "2123000001", title="疏散演练", plans="花园小学校园安全应急预案", held="2024-04-10",
        form="实战", scope="综合", evacuation="180")])
    report = run(later, office_a, apply=True)
    assert [(r.action, r.changes) for r in report.rows] == [
        ("update", ["plans", "scope", "evacuation_seconds"])]
    db.session.commit()
    drill = db.session.scalar(select(Drill))
    assert (drill.scope, drill.evacuation_seconds, drill.participants, drill.duration_minutes,
            drill.summary, [p.title for p in drill.plans]) == (
        "comprehensive", 180, 600, 30, "首次", ["花园小学校园安全应急预案"])


def test_a_planned_drill_of_that_day_is_recorded_as_held(units, office_a, tmp_path):
    planned = plan_drill(units["chemical"], DrillData(
        title="储罐泄漏演练", planned_on=date(2024, 6, 15), form="live", scope="single",
        purpose="inspection"), office_a, date(2024, 1, 1))
    db.session.commit()
    path = csv_file(tmp_path / "d.csv", [DRILL_HEADERS, drill_row(
        units["chemical"].identifier, title="储罐泄漏演练", held="2024-06-15", form="实战演练",
        scope="单项演练", people="40")])
    report = run(path, office_a, apply=True)
    assert [(r.action, r.changes) for r in report.rows] == [
        ("update", ["held_on", "participants"])]
    db.session.commit()
    drill = db.session.get(Drill, planned.id)
    assert (drill.status, drill.held_on, drill.participants) == (
        DrillStatus.HELD, date(2024, 6, 15), 40)
    assert db.session.scalar(select(Drill.id).where(Drill.id != planned.id)) is None


def test_row_checks(units, make_unit, tree, office_a, tmp_path):
    code = units["chemical"].identifier
    path = csv_file(tmp_path / "d.csv", [DRILL_HEADERS,
        drill_row(code, held="2026-11-21", form="实战", scope="单项"),
        drill_row(code, held="2024年春季", form="拉练", scope="单项"),
        drill_row(code, plans="不存在的预案", held="2024-03-01", form="实战", scope="单项",
                  minutes="半天", people="很多", evacuation="120"),
        drill_row(code, title="甲", held="2024-03-01", form="实战", scope="单项",
                  reported="2024-02-01"),
        drill_row(units["mine"].identifier, held="2024-03-01", form="实战", scope="单项"),
        drill_row(unit="北安煤矿", held="2024-03-01", form="实战", scope="单项"),
        drill_row("2123000001", held="2024-03-01", form="桌面推演", scope="综合",
                  evacuation="2小时"),
        drill_row("2123000001", held="", form="实战", scope="单项"),
    ])
    before = counts()
    report = run(path, office_a, apply=True)
    assert not report.applied and counts() == before
    assert errors_of(report) == [
        (2, "F", "演练日期", problem_message(Problem("held_on", "date_in_future"))),
        (3, "F", "演练日期", cell_message("unreadable_date", "2024年春季")),
        (3, "G", "演练形式", cell_message("unknown_choice", "拉练")),
        (4, "E", "演练预案", cell_message("unknown_plan", "不存在的预案")),
        (4, "J", "演练时长（分钟）", cell_message("unreadable_minutes", "半天")),
        (4, "K", "参演人数", cell_message("unreadable_number", "很多")),
        (4, "L", "疏散用时（秒）", problem_message(Problem("evacuation_seconds",
                                                          "evacuation_only_schools"))),
        (5, "M", "报告监管部门日期", problem_message(Problem("reported_on",
                                                            "reported_before_held"))),
        (6, "A", "单位统一社会信用代码/学校标识码", cell_message("unit_out_of_scope")),
        (7, "B", "单位名称", cell_message("unit_not_found", "北安煤矿")),
        (8, "L", "疏散用时（秒）", problem_message(Problem("evacuation_seconds",
                                                          "evacuation_impossible"))),
        (9, "F", "演练日期", problem_message(Problem("held_on", "required"))),
    ]


def test_same_drill_twice_in_a_file_without_titles(units, office_a, tmp_path):
    code = units["chemical"].identifier
    path = csv_file(tmp_path / "d.csv", [DRILL_HEADERS,
        drill_row(code, plans="储罐区泄漏现场处置方案", held="2024-03-01", form="实战", scope="单项"),
        drill_row(code, plans="储罐区泄漏现场处置方案", held="2024-03-01", form="实战", scope="单项",
                  people="30"),
        drill_row(code, held="2024-03-01", form="桌面推演", scope="单项"),
    ])
    report = run(path, office_a)
    assert rows_of(report) == [
        (2, "create", "爱辉化工厂 储罐区泄漏现场处置方案演练"),
        (3, "error", "爱辉化工厂 储罐区泄漏现场处置方案演练"),
        (4, "create", "爱辉化工厂 桌面推演"),
    ]
    assert errors_of(report) == [(3, "F", "演练日期", cell_message("duplicate_row", "2"))]


def test_importing_drills_recomputes_compliance_like_the_drill_pages(units, office_a, tmp_path,
                                                                     app):
    seed_rules()
    db.session.commit()
    school = units["school"]
    scan(date(2026, 11, 20), unit_ids=[school.id])
    db.session.commit()

    def status() -> str:
        db.session.expire_all()
        return db.session.scalar(select(Obligation.status).where(
            Obligation.unit_id == school.id, Obligation.rule_code == "R8-D",
            Obligation.period == "2026-10"))

    assert status() == "overdue"
    path = csv_file(tmp_path / "d.csv", [DRILL_HEADERS, drill_row(
        "2123000001", title="10月疏散演练", held="2026-10-15", form="实战", scope="单项",
        evacuation="95")])
    assert run(path, office_a).counts["create"] == 1
    assert status() == "overdue"  # the dry run wrote nothing
    assert run(path, office_a, apply=True).applied
    db.session.commit()
    assert status() == "done"


def test_register_with_only_a_unit_name_column_and_english_headers(units, office_a, tmp_path):
    path = csv_file(tmp_path / "d.csv", [
        ["unit name", "region", "title", "date held", "drill form", "drill scope"],
        ["爱辉区水务局", "黑河市/爱辉区", "防汛演练", "2024-07-01", "Tabletop exercise", "single"]])
    report = run(path, office_a)
    assert rows_of(report) == [(2, "create", "爱辉区水务局 防汛演练")]


def test_register_without_any_unit_column_is_refused(units, office_a, tmp_path):
    path = csv_file(tmp_path / "d.csv", [DRILL_HEADERS[3:9], ["甲", "", "2024-01-01", "实战",
                                                              "单项", ""]])
    report = run(path, office_a)
    assert report.refusal is not None and DRILL_HEADERS[0] in report.refusal


def test_template_has_the_drill_columns_and_instructions(app, units, office_a, client):
    from openpyxl import load_workbook
    import io

    from emergency.imports.templates import template_bytes

    book = load_workbook(io.BytesIO(template_bytes("drills", office_a, 50_000)))
    assert book.sheetnames == ["演练台账", "填写说明", "区划代码"]
    assert [c.value for c in book["演练台账"][1]] == DRILL_HEADERS
    notes = {row[0]: row[2] for row in book["填写说明"].iter_rows(values_only=True)
             if row and len(row) > 2}
    assert "桌面推演" in notes["演练形式"] and "综合演练" in notes["演练规模"]
    assert "学校" in notes["疏散用时（秒）"]
    book.close()


def test_formula_text_in_notes_is_stored_literally(units, office_a, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(DRILL_HEADERS)
    sheet.append(drill_row("2123000001", title="疏散", held="2024-04-01", form="实战",
                           scope="单项"))
    sheet["N2"].value = '=HYPERLINK("http://x","点我")'
    sheet["N2"].data_type = "s"
    path = tmp_path / "d.xlsx"
    workbook.save(path)
    assert run(path, office_a, apply=True).applied
    db.session.commit()
    assert db.session.scalar(select(Drill.summary)) == '=HYPERLINK("http://x","点我")'


# --- hostile files, as for units and plans (the same reader) ----------------------------------

def refusal(code, **params) -> str:
    from emergency.imports.readers import ImportRefused
    from emergency.imports.report import refusal_message

    return refusal_message(ImportRefused(code, **params))


def test_zip_bomb_named_like_a_drill_register_is_refused(units, office_a, tmp_path):
    from emergency.documents.messages import rejection_message
    from emergency.documents.sniff import RejectedFile, RejectReason
    from tests.imports.files import xlsx_zip_bomb

    before = counts()
    report = run(xlsx_zip_bomb(tmp_path / "演练台账.xlsx"), office_a, apply=True)
    assert report.refusal == rejection_message(RejectedFile(RejectReason.ZIP_BOMB))
    assert counts() == before


def test_formula_without_a_cached_value_is_an_error_on_that_cell(units, office_a, tmp_path):
    from tests.imports.files import set_cached_values

    path = xlsx(tmp_path / "d.xlsx", [DRILL_HEADERS,
        drill_row("2123000001", title="甲", held="=DATE(2024,4,1)", form="实战", scope="单项"),
        drill_row("2123000001", title="乙", held="=TODAY()-30", form="实战", scope="单项")])
    set_cached_values(path, {"F2": "2024-04-01"})
    report = run(path, office_a, apply=True)
    assert [(r.row, r.action) for r in report.rows] == [(2, "create"), (3, "error")]
    assert errors_of(report) == [(3, "F", "演练日期", cell_message("formula_without_value"))]
    assert not report.applied and counts()["drills"] == 0


@pytest.mark.parametrize("name", ["空.xlsx", "空.csv"])
def test_empty_file_and_a_workbook_without_rows(units, office_a, tmp_path, name):
    from emergency.documents.messages import rejection_message
    from emergency.documents.sniff import RejectedFile, RejectReason

    path = tmp_path / name
    path.write_bytes(b"")
    assert run(path, office_a).refusal == rejection_message(RejectedFile(RejectReason.EMPTY))
    blank = tmp_path / "blank.xlsx"
    Workbook().save(blank)
    assert run(blank, office_a).refusal == refusal("no_header", rows=10,
                                                   expected="演练日期、演练形式、演练规模")
    header_only = xlsx(tmp_path / "header.xlsx", [DRILL_HEADERS, [None] * 3])
    assert run(header_only, office_a).refusal == refusal("no_rows")


def test_missing_and_extra_columns(units, office_a, tmp_path):
    missing = csv_file(tmp_path / "m.csv", [["单位名称", "演练名称", "演练日期"],
                                            ["花园小学", "甲", "2024-04-01"]])
    assert run(missing, office_a).refusal == refusal("missing_columns", columns="演练形式、演练规模")
    extra = csv_file(tmp_path / "e.csv", [[*DRILL_HEADERS, "组织部门", ""], drill_row(
        "2123000001", title="甲", held="2024-04-01", form="实战", scope="单项") + ["校办", ""]])
    report = run(extra, office_a)
    assert report.ignored_columns == [("O", "组织部门")]
    assert [r.action for r in report.rows] == ["create"]


def test_more_rows_than_the_cap_are_refused_before_any_row_is_checked(units, office_a, tmp_path,
                                                                      app):
    app.config["IMPORT_MAX_ROWS"] = 100
    path = csv_file(tmp_path / "big.csv", [DRILL_HEADERS] + [drill_row(
        "2123000001", title=f"演练{i}", held="2024-04-01", form="实战", scope="单项")
        for i in range(101)])
    before = counts()
    report = run(path, office_a, apply=True)
    assert report.refusal == refusal("too_many_rows", max=100)
    assert counts() == before


# --- command line and pages ---------------------------------------------------------------------

def test_cli_dry_run_then_import(runner, units, tmp_path):
    path = csv_file(tmp_path / "演练台账.csv", [DRILL_HEADERS,
        drill_row("2123000001", title="疏散演练", held="2024-04-10", form="实战", scope="单项"),
        drill_row("2123000001", title="疏散演练", held="2024年4月10日", form="实战", scope="单项")])
    before = counts()
    result = runner.invoke(args=["import", "drills", str(path), "--dry-run", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "row      2  create      花园小学 疏散演练" in result.output
    assert "row      3  ERROR       花园小学 疏散演练" in result.output
    assert "Read 2 rows: 1 create, 0 update, 0 unchanged, 1 with errors" in result.output
    assert counts() == before
    applied = runner.invoke(args=["import", "drills", str(path), "--skip-invalid"])
    assert applied.exit_code == 0, applied.output
    assert "Imported: 1 rows written, 1 rows with errors skipped." in applied.output
    assert counts()["drills"] == 1


def test_web_import_of_drills(units, office_a, client, tmp_path):
    import io
    import re

    from tests.factories import log_in

    log_in(client, office_a)
    page = client.get("/imports/")
    assert "/imports/template/drills.xlsx" in page.get_data(as_text=True)
    template = client.get("/imports/template/drills.xlsx")
    assert template.status_code == 200
    assert "filename*=UTF-8''%E6%BC%94%E7%BB%83" in template.headers["Content-Disposition"]
    path = csv_file(tmp_path / "演练台账.csv", [DRILL_HEADERS, drill_row(
        "2123000001", title="疏散演练", held="2024-04-10", form="实战", scope="单项")])
    response = client.post("/imports/", data={"kind": "drills", "file": (
        io.BytesIO(path.read_bytes()), path.name)}, content_type="multipart/form-data")
    assert response.status_code == 302
    token = re.fullmatch(r"/imports/check/([^/]+)", response.headers["Location"]).group(1)
    check = client.get(f"/imports/check/{token}")
    assert check.status_code == 200 and "花园小学 疏散演练" in check.get_data(as_text=True)
    assert counts()["drills"] == 0
    done = client.post("/imports/apply", data={"upload": token})
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    assert counts()["drills"] == 1
