"""Turn raw cell values (from XLSX or CSV) into text, dates and lookup keys. Pure functions."""

import re
import unicodedata
from datetime import date, datetime

from openpyxl.utils.datetime import from_excel

#: Characters Excel users paste by accident: zero-width spaces, BOMs, non-breaking spaces.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
#: Excel's error values as they arrive from a cached formula result.
CELL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                         "#GETTING_DATA", "#SPILL!", "#CALC!"})
#: Excel keeps 15 significant digits: a longer code typed as a number has lost its tail.
EXCEL_DIGITS = 15


def text(value) -> str | None:
    """Return a cell as trimmed text (numbers without a spurious ".0"), or None when blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date | datetime):
        value = value.isoformat()
    result = str(value).translate(_INVISIBLE).replace("\u00a0", " ").replace("\u3000", " ").strip()
    return result or None


def key(value) -> str:
    """Return a lookup key: full-width folded, no spaces, lower case."""
    folded = unicodedata.normalize("NFKC", text(value) or "")
    return re.sub(r"\s+", "", folded).lower()


def rounded_number(value) -> bool:
    """Tell whether a numeric cell is too long for Excel to have kept all its digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return len(str(int(value))) > EXCEL_DIGITS


_TEXT_DATE = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
#: Excel serial numbers of 1954-10-03 .. 2119-01-09: anything else typed as a number is no date.
_SERIAL_RANGE = (20000, 80000)


class UnreadableDate(ValueError):
    """The cell holds something that is not a date we can read."""


def parse_date(value) -> date | None:
    """Return the date in a cell: a real date, an Excel serial, or text such as 2024-03-01,
    2024/3/1, 2024.3.1, 2024年3月1日 or 20240301 (full-width digits allowed); None if blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_date(value)
    raw = text(value)
    if raw is None:
        return None
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    for pattern in _TEXT_DATE:
        match = pattern.fullmatch(folded)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError as exc:
                raise UnreadableDate(raw) from exc
    raise UnreadableDate(raw)


def _number_date(value: float) -> date:
    if float(value).is_integer() and 19000101 <= value <= 21001231:
        return parse_date(str(int(value)))
    if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        return from_excel(value).date()
    raise UnreadableDate(text(value))
