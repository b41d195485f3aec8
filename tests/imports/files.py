"""Build real import files with openpyxl and csv, including messy and hostile ones."""

import csv
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tests.documents.files import MiB

UNIT_HEADERS = ["单位名称", "单位类型", "所属区划", "统一社会信用代码/学校标识码", "风险标签",
                "考核类别", "地址", "单位电话", "联络员姓名", "联络员用户名", "联络员邮箱",
                "联络员电话"]
PLAN_HEADERS = ["单位统一社会信用代码/学校标识码", "单位名称", "所属区划", "预案名称", "预案类别",
                "事件类别", "事件子类", "印发日期", "签发人", "备案日期", "备案编号", "评估日期",
                "评估结论"]

DRILL_HEADERS = ["单位统一社会信用代码/学校标识码", "单位名称", "所属区划", "演练名称", "演练预案",
                 "演练日期", "演练形式", "演练规模", "演练目的", "演练时长（分钟）", "参演人数",
                 "疏散用时（秒）", "报告监管部门日期", "备注"]


def xlsx(path: Path, rows, *, title_rows=(), merge_title=True, sheet="单位",
         text_columns=()) -> Path:
    """Write rows (the first is the header) below optional title rows; return the path."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    width = max(len(r) for r in rows)
    for title in title_rows:
        ws.append([title])
        if merge_title:
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=width)
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=16)
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(list(row))
    for column in text_columns:
        for cells in ws.iter_cols(min_col=column, max_col=column, min_row=1):
            for cell in cells:
                cell.number_format = "@"
    workbook.save(path)
    return path


def csv_file(path: Path, rows, encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def set_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells a cached value, as Excel does when it saves (openpyxl never does).

    values maps a cell reference ("C3") to the text to cache (written as an inline string).
    """
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = members[sheet].decode()
    for ref, value in values.items():
        pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>')
        match = pattern.search(xml)
        assert match, f"no formula cell {ref}"
        attributes = re.sub(r'\st="[^"]*"', "", match.group(1))
        cell = f'<c r="{ref}"{attributes} t="str"><f>{match.group(2)}</f><v>{value}</v></c>'
        xml = xml.replace(match.group(0), cell)
    members[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def xlsx_zip_bomb(path: Path, *, size: int = 256 * MiB, chunk: int = 4 * MiB) -> Path:
    """An .xlsx-shaped zip whose sheet XML inflates to size bytes of spaces (~250 KB on disk:
    far beyond the per-member ratio and the total size the import accepts)."""
    spaces = b" " * chunk
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                         'openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(size // chunk):
                member.write(spaces)
    return path


# --- reading exports back ---------------------------------------------------------------------

def read_xlsx(response) -> list[list]:
    """Return every row of the first sheet of an XLSX download (values, as openpyxl reads them)."""
    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    workbook = load_workbook(io.BytesIO(response.data))
    try:
        return [list(row) for row in workbook.active.iter_rows(values_only=True)]
    finally:
        workbook.close()


def xlsx_sheet(response):
    """Return the first sheet of an XLSX download (for number formats)."""
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(response.data)).active


def read_csv(response) -> list[list[str]]:
    """Return the rows of a CSV download, checking the BOM Excel needs for Chinese."""
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
