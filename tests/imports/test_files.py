"""Bad and unusual input: encodings, zip bombs, formulas, headers, empty and huge files."""

import csv
import io
import re
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from emergency.documents.messages import rejection_message
from emergency.documents.sniff import RejectedFile, RejectReason
from emergency.extensions import db
from emergency.imports import services
from emergency.imports.readers import ImportRefused
from emergency.imports.report import cell_message, refusal_message
from emergency.units.models import Unit
from tests.documents.files import MiB, pdf_bytes
from tests.factories import valid_uscc
from tests.imports.conftest import counts
from tests.imports.files import (
    UNIT_HEADERS,
    csv_file,
    set_cached_values,
    xlsx,
    xlsx_zip_bomb,
)


def run(path, user, **options):
    return services.run_import("units", path, path.suffix[1:], user, file_name=path.name,
                               **options)


def refusal(code, **params) -> str:
    return refusal_message(ImportRefused(code, **params))


ROWS = [UNIT_HEADERS[:4], ["爱辉区第一中学", "中小学校", "黑河市/爱辉区/花园街道", "3123000001"],
        ["瑷珲酒业有限公司", "企业", "231102001", None]]


@pytest.fixture
def rows():
    data = [list(r) for r in ROWS]
    data[2][3] = valid_uscc("231102", 77)
    return data


# --- encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings(tree, office_city, tmp_path, rows, encoding):
    path = csv_file(tmp_path / "单位.csv", rows, encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = run(path, office_city, apply=True)
    assert report.applied and report.counts["create"] == 2, report.errors
    db.session.commit()
    assert sorted(db.session.scalars(select(Unit.name))) == ["爱辉区第一中学", "瑷珲酒业有限公司"]


def test_gb18030_text_that_is_not_utf8(tree, office_city, tmp_path):
    # 瑷珲 is outside GB2312: a GBK/GB18030 file; as UTF-8 its bytes are invalid.
    data = "单位名称,单位类型,所属区划\n瑷珲历史陈列馆,事业单位,231102001\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "gbk.csv"
    path.write_bytes(data)
    report = run(path, office_city)
    assert [(r.action, r.label) for r in report.rows] == [("create", "瑷珲历史陈列馆")]


def test_csv_that_is_no_known_encoding(tree, office_city, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("单位名称,单位类型,所属区划\n".encode("utf-16"))
    assert run(path, office_city).refusal in (
        refusal("encoding"), refusal("rejected", error=RejectedFile(RejectReason.CONTENT_MISMATCH)))


# --- zip bombs and other hostile files ------------------------------------------------------

def test_zip_bomb_disguised_as_xlsx_is_refused_quickly_with_bounded_memory(
        tree, office_city, tmp_path, monkeypatch):
    bomb = xlsx_zip_bomb(tmp_path / "单位名册.xlsx")
    assert bomb.stat().st_size < 2 * MiB

    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr("emergency.imports.readers.load_workbook", never)
    tracemalloc.start()
    started = time.monotonic()
    try:
        report = run(bomb, office_city, apply=True)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.refusal == rejection_message(RejectedFile(RejectReason.ZIP_BOMB))
    assert elapsed < 1.0
    assert peak < 50 * MiB
    assert counts()["units"] == 0


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("单位.xlsx", pdf_bytes(), "mismatch"),
    ("单位.xlsx", b"PK\x03\x04 not really a zip", "unknown"),
    ("单位.csv", pdf_bytes(), "mismatch"),
    ("单位.csv", b"\x7fELF\x02\x01\x01" + bytes(100), "mismatch"),
])
def test_other_content_is_refused(tree, office_city, tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    report = run(path, office_city)
    assert report.refusal is not None and not report.rows


def test_a_plain_zip_named_xlsx_is_refused(tree, office_city, tmp_path):
    path = tmp_path / "单位.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert run(path, office_city).refusal == refusal(
        "rejected", error=RejectedFile(RejectReason.CONTENT_MISMATCH))


def test_damaged_sheet_xml_is_refused_not_a_500(tree, office_city, tmp_path, rows):
    path = xlsx(tmp_path / "u.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:-200]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    assert run(path, office_city).refusal == refusal("unreadable")


# --- formulas ---------------------------------------------------------------------------------

def test_formula_without_cached_value_is_an_error_on_that_cell(tree, office_city, tmp_path):
    path = xlsx(tmp_path / "u.xlsx", [
        UNIT_HEADERS[:4],
        ["甲单位", "其他组织", "=\"2311\"&\"02001\"", None],   # cached below: accepted
        ["乙单位", "其他组织", "=VLOOKUP(A3,区划!A:B,2,0)", None],  # never computed
        ["丙单位", "其他组织", "231102001", None],
    ])
    set_cached_values(path, {"C2": "231102001"})
    report = run(path, office_city)
    assert [(r.row, r.action) for r in report.rows] == [(2, "create"), (3, "error"), (4, "create")]
    assert [(i.row, i.column, i.header, i.message) for i in report.errors] == [
        (3, "C", "所属区划", cell_message("formula_without_value"))]
    assert report.errors[0].value == "=VLOOKUP(A3,区划!A:B,2,0)"


def test_cached_error_values_are_reported(tree, office_city, tmp_path):
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:3], ["甲单位", "其他组织", "=1/0"]])
    set_cached_values(path, {"C2": "#DIV/0!"})
    report = run(path, office_city)
    assert [i.message for i in report.errors] == [cell_message("cell_error", "#DIV/0!")]


def test_formula_text_in_an_xlsx_text_cell_is_stored_literally(tree, office_city, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(UNIT_HEADERS[:3])
    sheet.append(["x", "其他组织", "231102001"])
    sheet["A2"].value = "=1+1"
    sheet["A2"].data_type = "s"  # typed with a leading apostrophe in Excel: text, not a formula
    path = tmp_path / "u.xlsx"
    workbook.save(path)
    report = run(path, office_city, apply=True)
    assert report.applied, report.errors
    db.session.commit()
    assert db.session.scalar(select(Unit.name)) == "=1+1"


# --- headers and columns -------------------------------------------------------------------

def test_two_level_merged_header_with_title(tree, office_city, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["黑河市应急预案编制单位名册"])
    sheet.merge_cells("A1:H1")
    sheet.append(["基本信息", None, None, None, "联络员", None, None, None])
    sheet.merge_cells("A2:D2")
    sheet.merge_cells("E2:H2")
    sheet.append(["单位名称", "单位类型", "所属区划", "电话", "姓名", "用户名", "邮箱", "电话"])
    sheet.append(["甲单位", "其他组织", "231102001", "0456-1", "张三", "zhang3", "z@yjj.local",
                  "138"])
    path = tmp_path / "u.xlsx"
    workbook.save(path)
    report = run(path, office_city)
    assert report.header_row == 3
    assert report.columns == [("A", "单位名称"), ("B", "单位类型"), ("C", "所属区划"), ("D", "电话"),
                              ("E", "姓名"), ("F", "用户名"), ("G", "邮箱"), ("H", "电话")]
    assert report.names["phone"] == "电话" and report.names["liaison_username"] == "用户名"
    assert [(r.action, r.liaison) for r in report.rows] == [("create", "create")]


def test_headers_with_notes_spaces_and_full_width_characters(tree, office_city, tmp_path):
    header = ["单位名称（全称）", " 单位类型 *", "所属区划\n(代码)", "ＵＳＣＣ"]
    path = csv_file(tmp_path / "u.csv", [header, ["甲单位", "其他组织", "231102001", ""]])
    report = run(path, office_city)
    assert report.refusal is None and report.counts["create"] == 1
    assert report.ignored_columns == [("D", "ＵＳＣＣ")]


def test_missing_required_columns_are_refused(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [["单位名称", "单位类型", "地址"], ["甲", "企业", "x"]])
    report = run(path, office_city)
    assert report.refusal == refusal("missing_columns", columns="所属区划")


def test_extra_columns_are_ignored_and_listed(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [["序号", *UNIT_HEADERS[:3], "备注", "单位名称"],
                                         [1, "甲单位", "其他组织", "231102001", "x", "乙单位"]])
    report = run(path, office_city)
    assert report.ignored_columns == [("A", "序号"), ("E", "备注"), ("F", "单位名称")]
    assert [(r.action, r.label) for r in report.rows] == [("create", "甲单位")]


def test_short_rows_read_missing_cells_as_empty(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [UNIT_HEADERS, ["甲单位", "其他组织", "231102001"]])
    assert run(path, office_city).counts["create"] == 1


def test_no_header_row(tree, office_city, tmp_path):
    path = csv_file(tmp_path / "u.csv", [["a", "b"], ["1", "2"]])
    report = run(path, office_city)
    assert report.refusal == refusal("no_header", rows=10, expected="单位名称、单位类型、所属区划")


def test_header_found_on_a_later_sheet(tree, office_city, tmp_path, rows):
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["请在第二个工作表填写"])
    sheet = workbook.create_sheet("名册")
    for row in rows:
        sheet.append(row)
    path = tmp_path / "u.xlsx"
    workbook.save(path)
    report = run(path, office_city)
    assert report.sheet == "名册" and report.counts["create"] == 2


def test_wrong_stored_dimensions_are_ignored(tree, office_city, tmp_path, rows):
    path = xlsx(tmp_path / "u.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]*"/>',
                                                 '<dimension ref="A1:B2"/>', sheet).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    report = run(path, office_city)
    assert report.counts["create"] == 2


# --- empty and huge files ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["空.xlsx", "空.csv"])
def test_empty_file(tree, office_city, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert run(path, office_city).refusal == rejection_message(RejectedFile(RejectReason.EMPTY))


def test_workbook_without_rows_and_header_without_data(tree, office_city, tmp_path):
    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    assert run(empty, office_city).refusal == refusal("no_header", rows=10,
                                                      expected="单位名称、单位类型、所属区划")
    header_only = xlsx(tmp_path / "header.xlsx", [UNIT_HEADERS, [None] * 3, [" ", "", None]])
    assert run(header_only, office_city).refusal == refusal("no_rows")


def test_100000_rows_are_refused_above_the_cap_with_bounded_memory(tree, office_city, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(UNIT_HEADERS[:4])
        for i in range(100_000):
            writer.writerow([f"单位{i}", "企业", "231102001", "91231102MA1234567X"])
    before = counts()
    tracemalloc.start()
    try:
        report = run(path, office_city, apply=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.refusal == refusal("too_many_rows", max=services.DEFAULT_MAX_ROWS)
    assert not report.applied and counts() == before
    assert peak < 100 * MiB, peak  # the report keeps a bounded number of rows and errors


def test_refused_upload_of_a_non_spreadsheet_extension(tree, office_city, tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("单位名称,单位类型,所属区划\n")
    report = services.run_import("units", path, "txt", office_city, file_name="u.txt")
    assert report.refusal == refusal("format")


def test_line_breaks_inside_csv_cells(tree, office_city, tmp_path):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([UNIT_HEADERS[:3] + ["地址"],
                                  ["甲单位", "其他组织", "231102001", "第一行\n第二行"],
                                  ["乙单位", "其他组织", "231102001", ""]])
    path = tmp_path / "u.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    report = run(path, office_city)
    assert [(r.row, r.label) for r in report.rows] == [(2, "甲单位"), (3, "乙单位")]


def test_xlsx_over_the_cap_is_refused_before_any_row_is_checked(tree, office_city, tmp_path,
                                                                 app, monkeypatch):
    app.config["IMPORT_MAX_ROWS"] = 5
    path = xlsx(tmp_path / "u.xlsx", [UNIT_HEADERS[:3]] + [
        [f"单位{i}", "其他组织", "231102001"] for i in range(6)])

    def never(*args, **kwargs):
        raise AssertionError("a row was checked")

    monkeypatch.setattr("emergency.imports.units.UnitImporter.handle", never)
    report = run(path, office_city)
    assert report.refusal == refusal("too_many_rows", max=5)


def test_formatted_empty_rows_do_not_count_towards_the_cap(tree, office_city, tmp_path, app):
    app.config["IMPORT_MAX_ROWS"] = 5
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(UNIT_HEADERS[:3])
    for i in range(3):
        sheet.append([f"单位{i}", "其他组织", "231102001"])
    for row in range(5, 40):  # borders or a number format applied to empty rows
        sheet.cell(row=row, column=1).number_format = "@"
    path = tmp_path / "u.xlsx"
    workbook.save(path)
    report = run(path, office_city)
    assert report.refusal is None and report.counts["create"] == 3
