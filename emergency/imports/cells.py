"""Turn raw cell values (from XLSX or CSV) into text, dates and lookup keys. Pure functions."""

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from openpyxl.utils.datetime import from_excel

from emergency.exports import unneutralise

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
    # "'=..." is how exports.py neutralises formula-like text: read it back as written.
    return unneutralise(result) or None


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


class UnreadableNumber(ValueError):
    """The cell holds something that is not a number (or time span) we can read."""


_COUNT = re.compile(r"(\d+)(?:\.0+)?(?:人|人次|名|个)?")
#: Spans as registers write them: "90", "90分钟", "1.5小时", "1小时30分", "3分20秒", "200秒".
_SPAN = re.compile(r"(?:(\d+(?:\.\d+)?)(?:小时|时|h|hr|hrs|hour|hours))?"
                   r"(?:(\d+(?:\.\d+)?)(?:分钟|分|min|mins|m|minute|minutes))?"
                   r"(?:(\d+(?:\.\d+)?)(?:秒钟|秒|s|sec|secs|second|seconds))?")
_CLOCK = re.compile(r"(\d+):(\d{1,2})(?::(\d{1,2}))?")
_SECONDS_PER = {"hours": 3600, "minutes": 60, "seconds": 1}


def parse_count(value) -> int | None:
    """Return a whole number from a cell (120, 120.0, "１２０人"), or None when blank."""
    if value is None or (isinstance(value, str) and text(value) is None):
        return None
    if isinstance(value, bool):
        raise UnreadableNumber(text(value))
    if isinstance(value, int | float):
        if float(value).is_integer():
            return int(value)
        raise UnreadableNumber(text(value))
    match = _COUNT.fullmatch(key(value))
    if not match:
        raise UnreadableNumber(text(value))
    return int(match.group(1))


def parse_span(value, unit: str) -> int | None:
    """Return a time span in whole minutes or seconds (unit), or None when blank.

    A bare number is in the column's unit; text may name its units ("1小时30分", "3分20秒");
    "m:ss" / "h:mm" read as the two units above the column's (a time cell likewise).
    """
    if value is None or (isinstance(value, str) and text(value) is None):
        return None
    per = _SECONDS_PER[unit]
    if isinstance(value, time):
        return _whole((value.hour * 3600 + value.minute * 60 + value.second) / per, value)
    if isinstance(value, timedelta):
        return _whole(value.total_seconds() / per, value)
    if isinstance(value, bool) or isinstance(value, datetime | date):
        raise UnreadableNumber(text(value))
    if isinstance(value, int | float):
        return _whole(value, value)
    folded = key(value)
    try:
        return _whole(float(folded), value)
    except ValueError:
        pass
    clock = _CLOCK.fullmatch(folded)
    if clock:
        big, small, rest = (int(part or 0) for part in clock.groups())
        seconds = (big * 3600 + small * 60 + rest) if unit == "minutes" or clock.group(3) \
            else big * 60 + small
        return _whole(seconds / per, value)
    span = _SPAN.fullmatch(folded)
    if not folded or not span or not any(span.groups()):
        raise UnreadableNumber(text(value))
    hours, minutes, seconds = (float(part or 0) for part in span.groups())
    return _whole((hours * 3600 + minutes * 60 + seconds) / per, value)


def _whole(amount: float, original) -> int:
    if amount < 0:
        raise UnreadableNumber(text(original))
    return int(round(amount))
