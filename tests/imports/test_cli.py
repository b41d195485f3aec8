"""`flask import units|plans FILE [--dry-run]`."""

from sqlalchemy import select

from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.units.models import Unit
from tests.factories import valid_uscc
from tests.imports.conftest import counts
from tests.imports.files import PLAN_HEADERS, UNIT_HEADERS, csv_file, xlsx


def test_cli_dry_run_prints_the_report_and_writes_nothing(runner, tree, tmp_path):
    bad = valid_uscc("231102", 5)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    path = xlsx(tmp_path / "单位.xlsx", [UNIT_HEADERS[:4],
                                        ["爱辉机械厂", "企业", "231102001", valid_uscc("231102", 6)],
                                        ["爱辉化工厂", "企业", "231102001", bad]],
                title_rows=["名册"])
    before = counts()
    result = runner.invoke(args=["import", "units", str(path), "--dry-run", "--lang", "en"])
    assert result.exit_code == 1, result.output  # the file has errors
    assert "row      3  create      爱辉机械厂" in result.output
    assert "row      4  ERROR       爱辉化工厂" in result.output
    assert "D (统一社会信用代码/学校标识码)" in result.output and "The check character is wrong" \
        in result.output
    assert "Read 2 rows: 1 create, 0 update, 0 unchanged, 1 with errors" in result.output
    assert "Dry run: nothing was written." in result.output
    assert counts() == before


def test_cli_apply_prints_passwords_once_and_reimport_changes_nothing(runner, tree, tmp_path):
    path = csv_file(tmp_path / "单位.csv", [UNIT_HEADERS, [
        "爱辉机械厂", "企业", "231102001", valid_uscc("231102", 7), "", "", "", "", "张三", "zhang3",
        "zhang3@yjj.local", ""]])
    result = runner.invoke(args=["import", "units", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported: 1 rows written." in result.output
    line = next(line for line in result.output.splitlines() if "zhang3 " in line)
    assert "爱辉机械厂" in line
    assert db.session.scalar(select(User.role).where(User.username == "zhang3")) == Role.LIAISON

    before = counts()
    again = runner.invoke(args=["import", "units", str(path)])
    assert again.exit_code == 0, again.output
    assert "1 unchanged" in again.output and "liaison accounts" not in again.output
    assert counts()["units"] == before["units"] and counts()["users"] == before["users"]


def test_cli_refuses_a_file_with_errors_unless_told_to_skip(runner, tree, tmp_path):
    path = csv_file(tmp_path / "单位.csv", [UNIT_HEADERS[:3], ["甲单位", "其他组织", "231102001"],
                                           ["乙单位", "不知道", "231102001"]])
    strict = runner.invoke(args=["import", "units", str(path)])
    assert strict.exit_code == 1 and "Nothing was imported" in strict.output
    assert counts()["units"] == 0
    skipping = runner.invoke(args=["import", "units", str(path), "--skip-invalid"])
    assert skipping.exit_code == 0, skipping.output
    assert db.session.scalars(select(Unit.name)).all() == ["甲单位"]


def test_cli_with_a_users_scope(runner, tree, make_user, tmp_path):
    office = make_user(Role.OFFICE, region=tree.county_a, username="aihui_office")
    path = csv_file(tmp_path / "单位.csv", [UNIT_HEADERS[:3], ["北安某单位", "其他组织", "231181100"]])
    result = runner.invoke(args=["import", "units", str(path), "--user", office.username,
                                 "--dry-run", "--lang", "en"])
    assert result.exit_code == 1
    assert "outside your scope" in result.output


def test_cli_plans_and_refusals(runner, tree, make_unit, tmp_path):
    make_unit(tree.county_a, name="爱辉区水务局", kind="government_department")
    path = csv_file(tmp_path / "台账.csv", [PLAN_HEADERS, [
        "", "爱辉区水务局", "", "防汛预案", "部门应急预案", "自然灾害", "", "2024-5-1", "", "", "",
        "", ""]])
    result = runner.invoke(args=["import", "plans", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 new version" in result.output and counts()["plans"] == 1

    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    refused = runner.invoke(args=["import", "units", str(empty), "--lang", "en"])
    assert refused.exit_code == 1 and "The file is empty." in refused.output
    other = tmp_path / "x.ods"
    other.write_bytes(b"x")
    assert runner.invoke(args=["import", "units", str(other)]).exit_code == 2


def test_cli_prints_progress(runner, tree, tmp_path):
    rows = [UNIT_HEADERS[:3]] + [[f"单位{i}", "其他组织", "231102001"] for i in range(2100)]
    path = csv_file(tmp_path / "单位.csv", rows)
    result = runner.invoke(args=["import", "units", str(path), "--dry-run", "--errors-only"])
    assert result.exit_code == 0, result.output
    assert "... 1000 rows read" in result.output and "... 2000 rows read" in result.output
    assert "Read 2100 rows: 2100 create" in result.output
