"""Spreadsheet exports of any list: XLSX and CSV, safe against formula injection."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHINA = ZoneInfo("Asia/Shanghai")
FORMATS = ("xlsx", "csv")
#: Column widths (characters) of an exported sheet: from the header, within these bounds.
MIN_WIDTH, MAX_WIDTH = 10, 40


def require_format(fmt: str) -> None:
    """404 for anything but /export.xlsx and /export.csv."""
    if fmt not in FORMATS:
        abort(404)


def numbered(rows: Iterable[Sequence]) -> Iterable[list]:
    """Prefix each row with its number (序号), as the office's registers do."""
    for number, row in enumerate(rows, start=1):
        yield [number, *row]


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (CWE-1236)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo neutralise(): an exported register imported back keeps its original text."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _cell_value(value):
    # openpyxl refuses aware datetimes; the office reads China wall-clock time.
    if isinstance(value, datetime):
        return value.astimezone(CHINA).replace(tzinfo=None)
    return neutralise(value)


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> bytes:
    """Build a workbook in write-only mode; text cells stay text so long codes keep their digits."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    # Widths and the frozen header must be set before the first row in write-only mode.
    for position, header in enumerate(headers, start=1):
        width = min(max(len(str(header)) * 2 + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_cell_value(value))
            if isinstance(value, str):
                cell.number_format = "@"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names (and openpyxl raises on them).
    cleaned = "".join("_" if ch in "\\/?*[]:" else ch for ch in str(title))
    return cleaned[:31] or "Sheet1"


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Build a CSV with a BOM, without which Excel on Chinese Windows reads it as GBK."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else _csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value):
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return neutralise(value)


def export_response(fmt: str, filename: str, headers, rows, sheet_title: str = "Sheet1") -> Response:
    """Send the rows as an XLSX or CSV download named filename (Chinese names allowed)."""
    if fmt == "csv":
        data, mimetype = csv_bytes(headers, rows), "text/csv; charset=utf-8"
    else:
        fmt = "xlsx"
        data = xlsx_bytes(headers, rows, sheet_title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{filename}.{fmt}")
