"""Read an uploaded XLSX or CSV row by row with bounded memory, and find its header row.

XLSX: the zip checks of documents/sniff.py run before openpyxl opens anything (zip bombs); the
workbook is opened read-only with cached values (data_only), its stored dimensions are ignored
(some writers store wrong ones) and it is closed in every case. A formula without a cached value
would read as an empty cell, so when the sheet contains formulas a second, formula-text reader
runs in step with the first to tell the two apart.

CSV: UTF-8 (with or without BOM) or GB18030, decided by decoding the whole file once. Cells are
text and are never evaluated: "=1+1" is stored as those three characters.
"""

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from emergency.documents.sniff import (
    Detected,
    FileKind,
    RejectedFile,
    RejectReason,
    check_upload,
    inspect_zip,
    sniff,
)
from emergency.imports.cells import CELL_ERRORS, text

#: The header row is looked for in the first rows (a title, a blank line, two-level headers...).
HEADER_SCAN_ROWS = 10
#: Decompressed size allowed for a whole workbook: far above 50 000 rows of a template.
MAX_UNZIPPED_BYTES = 150 * 1024 * 1024
CHUNK = 1024 * 1024
FORMATS = ("xlsx", "csv")
_BINARY = {Detected.PDF, Detected.OLE2, Detected.ZIP, Detected.JPG, Detected.PNG, Detected.EXE,
           Detected.ELF}


class ImportRefused(Exception):
    """The whole file is refused; ``code`` and ``params`` are translated by report.py."""

    def __init__(self, code: str, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Column:
    """A column the importer understands: its template header and the other names accepted."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    #: Text format in the template, so long codes and phone numbers keep every digit.
    as_text: bool = False
    width: int = 16


@dataclass
class RawRow:
    """One data row: its number as the spreadsheet shows it, the values of known columns, and
    the cells that could not be read (key -> (problem code, what the cell held))."""

    number: int
    values: dict
    bad: dict = field(default_factory=dict)

    def is_empty(self) -> bool:
        return all(text(v) is None for v in self.values.values()) and not self.bad


@dataclass
class Table:
    """An opened file: where the header is, what each known column is called, and the rows."""

    fmt: str
    sheet: str | None
    header_row: int
    positions: dict[str, int]
    headers: dict[str, str]
    ignored: list[tuple[str, str]]
    rows: Iterator[RawRow]

    def letter(self, key: str) -> str | None:
        position = self.positions.get(key)
        return get_column_letter(position + 1) if position is not None else None


def _normalise_header(value) -> str:
    folded = unicodedata.normalize("NFKC", text(value) or "")
    return re.sub(r"[\s*:：]+", "", folded).lower()


def _without_notes(header: str) -> str:
    # "统一社会信用代码（必填）" and "电话[选填]": the note is not part of the name.
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", header)


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    found = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            found.setdefault(_normalise_header(name), column.key)
    return found


def _fill_forward(row: Sequence, width: int) -> list[str | None]:
    # A merged group header ("联络员" over four columns) is read as a value and then blanks;
    # the blanks at the end of a merged range are often not stored at all.
    filled, last = [], None
    for position in range(width):
        last = (text(row[position]) if position < len(row) else None) or last
        filled.append(last)
    return filled


@dataclass
class _Sheet:
    """One sheet being read: its rows (values, formulas), and how to count rows cheaply."""

    title: str | None
    rows: Iterator[tuple]
    #: Returns a fresh iterator over the sheet's values, for counting rows before checking any.
    fresh: Callable[[], Iterator[Sequence]]
    #: Physical rows stored in the file (an upper bound of data rows), when cheap to know.
    stored_rows: int | None = None


@dataclass
class _Header:
    index: int
    positions: dict[str, int]
    headers: dict[str, str]
    ignored: list[tuple[str, str]]


def find_header(rows: Sequence[Sequence], columns: Sequence[Column]) -> _Header | None:
    """Return the row (among the first ones) naming the most known columns, at least two."""
    names = _lookup(columns)
    best = None
    for index, row in enumerate(rows):
        above = _fill_forward(rows[index - 1], len(row)) if index else []
        positions, headers, ignored = {}, {}, []
        for position, cell in enumerate(row):
            label = text(cell)
            if label is None:
                continue
            norm = _normalise_header(label)
            group = above[position] if position < len(above) else None
            key = (names.get(_normalise_header(group + label)) if group else None) \
                or names.get(norm) or names.get(_without_notes(norm))
            if key is None or key in positions:
                ignored.append((get_column_letter(position + 1), label))
                continue
            positions[key], headers[key] = position, label
        if len(positions) >= 2 and (best is None or len(positions) > len(best.positions)):
            best = _Header(index, positions, headers, ignored)
    return best


@contextmanager
def open_table(path: Path, fmt: str, columns: Sequence[Column], *, max_rows: int,
               max_bytes: int) -> Iterator[Table]:
    """Open a file and yield its Table; the file is closed when the block ends."""
    if fmt not in FORMATS:
        raise ImportRefused("format")
    with ExitStack() as stack:
        sheets = stack.enter_context(
            _xlsx_sheets(path, max_bytes) if fmt == "xlsx" else _csv_sheets(path, max_bytes))
        for sheet in sheets:
            head = list(islice(sheet.rows, HEADER_SCAN_ROWS))
            header = find_header([values for values, _formulas in head], columns)
            if header is not None:
                break
        else:
            raise ImportRefused("no_header", rows=HEADER_SCAN_ROWS,
                                expected="、".join(c.header for c in columns if c.required))
        missing = [c.header for c in columns if c.required and c.key not in header.positions]
        if missing:
            raise ImportRefused("missing_columns", columns="、".join(missing))
        _refuse_too_many(sheet, header, max_rows)
        data = _data_rows(head[header.index + 1:], sheet.rows, header, fmt, header.index + 2,
                          max_rows)
        yield Table(fmt=fmt, sheet=sheet.title, header_row=header.index + 1,
                    positions=header.positions, headers=header.headers, ignored=header.ignored,
                    rows=data)


def _refuse_too_many(sheet: _Sheet, header: _Header, max_rows: int) -> None:
    """Refuse an oversized file before a single row is checked against the database.

    Counting needs no database and stops at the cap; for XLSX it is skipped when the rows
    stored in the sheet cannot exceed the cap anyway.
    """
    if sheet.stored_rows is not None and sheet.stored_rows - header.index - 1 <= max_rows:
        return
    positions = list(header.positions.values())
    count = 0
    for values in islice(sheet.fresh(), header.index + 1, None):
        if any(text(values[p]) is not None for p in positions if p < len(values)):
            count += 1
            if count > max_rows:
                raise ImportRefused("too_many_rows", max=max_rows)


def _data_rows(buffered, rest, header: _Header, fmt: str, first_number: int,
               max_rows: int) -> Iterator[RawRow]:
    count = 0
    for number, (values, formulas) in enumerate(_chain(buffered, rest), start=first_number):
        row = _raw_row(number, values, formulas, header.positions, fmt)
        if row.is_empty():
            continue
        count += 1
        if count > max_rows:
            raise ImportRefused("too_many_rows", max=max_rows)
        yield row
    if count == 0:
        raise ImportRefused("no_rows")


def _chain(buffered, rest):
    yield from buffered
    yield from rest


def _raw_row(number: int, values: Sequence, formulas: Sequence | None,
             positions: dict[str, int], fmt: str) -> RawRow:
    row = RawRow(number, {})
    for key, position in positions.items():
        value = values[position] if position < len(values) else None
        row.values[key] = value
        if fmt != "xlsx":
            continue
        if isinstance(value, str) and value.strip() in CELL_ERRORS:
            row.bad[key] = ("cell_error", value.strip())
            row.values[key] = None
        elif value is None and formulas is not None and position < len(formulas):
            formula = formulas[position]
            formula_text = getattr(formula, "text", formula)
            if isinstance(formula_text, str) and formula_text.startswith("="):
                row.bad[key] = ("formula_without_value", formula_text)
    return row


# --- XLSX ------------------------------------------------------------------------------------

def _check_xlsx(path: Path, max_bytes: int) -> None:
    """Refuse anything that is not a sane XLSX before openpyxl reads a single member."""
    try:
        with open(path, "rb") as handle:
            check_upload(handle, "import.xlsx", {FileKind.XLSX}, max_bytes)
            inspect_zip(handle, max_total=MAX_UNZIPPED_BYTES)
    except RejectedFile as error:
        raise ImportRefused("rejected", error=error) from error


def _quiet(iterator: Iterator) -> Iterator:
    """Iterate with openpyxl's warnings (odd styles, extensions) silenced, one row at a time;
    a damaged sheet (bad XML, bad zip data) refuses the file instead of failing with a 500."""
    while True:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"openpyxl(\.|$)")
            try:
                item = next(iterator)
            except StopIteration:
                return
            except ImportRefused:
                raise
            except Exception as exc:  # lxml/ElementTree, zlib and openpyxl errors alike
                raise ImportRefused("unreadable") from exc
        yield item


def _load(handle, *, data_only: bool):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"openpyxl(\.|$)")
        return load_workbook(handle, read_only=True, data_only=data_only, keep_links=False)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(handle, member: str | None) -> bool:
    """Tell whether a sheet's XML holds any formula (streamed; members were vetted already)."""
    if member is None:
        return True
    tail = b""
    with zipfile.ZipFile(handle) as archive, archive.open(member.lstrip("/")) as xml:
        while block := xml.read(CHUNK):
            if _FORMULA_TAG.search(tail + block):
                return True
            tail = block[-32:]
    return False


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>]")


def _stored_rows(handle, member: str | None) -> int | None:
    """Count the <row> elements of a sheet's XML without parsing it."""
    if member is None:
        return None
    count, tail = 0, b""
    try:
        with zipfile.ZipFile(handle) as archive, archive.open(member.lstrip("/")) as xml:
            while block := xml.read(CHUNK):
                data = tail + block
                # A match lying wholly in the carried-over tail was counted with the last block.
                count += sum(1 for m in _ROW_TAG.finditer(data) if m.end() > len(tail))
                tail = data[-16:]
    except Exception as exc:  # damaged member: refuse like the reader would
        raise ImportRefused("unreadable") from exc
    return count


@contextmanager
def _xlsx_sheets(path: Path, max_bytes: int):
    _check_xlsx(path, max_bytes)
    with ExitStack() as stack:
        values_file = stack.enter_context(open(path, "rb"))
        try:
            workbook = _load(values_file, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged package
            raise ImportRefused("unreadable") from exc
        stack.callback(workbook.close)
        formula_book = []

        def sheets():
            for index, sheet in enumerate(workbook.worksheets):
                if not hasattr(sheet, "reset_dimensions"):
                    continue  # a chart sheet
                sheet.reset_dimensions()
                values = _quiet(sheet.iter_rows(values_only=True))
                formulas = None
                try:
                    if _has_formulas(values_file, getattr(sheet, "_worksheet_path", None)):
                        formulas = _formula_rows(stack, formula_book, path, index)
                except Exception as exc:  # the same damaged-package errors as above
                    raise ImportRefused("unreadable") from exc
                member = getattr(sheet, "_worksheet_path", None)
                yield _Sheet(sheet.title, _paired(values, formulas),
                             fresh=lambda sheet=sheet: _quiet(sheet.iter_rows(values_only=True)),
                             stored_rows=_stored_rows(values_file, member))

        yield sheets()


def _formula_rows(stack: ExitStack, books: list, path: Path, index: int) -> Iterator:
    if not books:
        handle = stack.enter_context(open(path, "rb"))
        book = _load(handle, data_only=False)
        stack.callback(book.close)
        books.append(book)
    sheet = books[0].worksheets[index]
    sheet.reset_dimensions()
    return _quiet(sheet.iter_rows(values_only=True))


def _paired(values: Iterator, formulas: Iterator | None) -> Iterator[tuple]:
    """Yield (values, formulas) per row; both readers parse the same XML, so rows line up."""
    for row in values:
        yield row, (next(formulas, None) if formulas is not None else None)


# --- CSV -------------------------------------------------------------------------------------

def _check_csv(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise ImportRefused("rejected", error=RejectedFile(RejectReason.EMPTY))
    if size > max_bytes:
        raise ImportRefused("rejected", error=RejectedFile(RejectReason.TOO_LARGE))
    with open(path, "rb") as handle:
        head = handle.read(4096)
    detected = sniff(head)
    if detected in _BINARY or b"\x00" in head:
        raise ImportRefused("rejected", error=RejectedFile(RejectReason.CONTENT_MISMATCH, detected))


def detect_encoding(path: Path) -> str:
    """Return "utf-8-sig" if the whole file is UTF-8 (a BOM is optional), else "gb18030"."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while block := handle.read(CHUNK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportRefused("encoding")


@contextmanager
def _csv_sheets(path: Path, max_bytes: int):
    _check_csv(path, max_bytes)
    encoding = detect_encoding(path)
    with ExitStack() as stack:
        def records():
            handle = stack.enter_context(open(path, encoding=encoding, newline=""))
            try:
                for record in csv.reader(handle):
                    yield tuple(record)
            except csv.Error as exc:
                raise ImportRefused("unreadable") from exc

        yield iter([_Sheet(None, ((record, None) for record in records()), fresh=records)])


def save_stream(stream: io.BufferedIOBase, target: Path, max_bytes: int) -> tuple[str, int]:
    """Copy an upload to target in chunks; return its SHA-256 and size (refusing oversize)."""
    import hashlib

    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "xb") as out:
            while block := stream.read(min(CHUNK, max_bytes - size + 1)):
                size += len(block)
                if size > max_bytes:
                    raise ImportRefused("rejected", error=RejectedFile(RejectReason.TOO_LARGE))
                digest.update(block)
                out.write(block)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size
