"""What the importers share: collecting a row's errors against its columns, reading cells."""

from collections.abc import Sequence
from datetime import date

from emergency.imports.cells import UnreadableDate, parse_date, text
from emergency.imports.readers import Column, RawRow, Table
from emergency.imports.report import Issue, RowResult, cell_message
from emergency.imports.lookups import Choices
from emergency.messages import problem_message
from emergency.problems import Problem


class RowErrors:
    """The errors of one row, each pinned to a column (its letter and header in the file)."""

    def __init__(self, raw: RawRow, table: Table, columns: Sequence[Column]):
        self.raw = raw
        self.table = table
        self.templates = {column.key: column.header for column in columns}
        self.issues: list[Issue] = []
        self._positions: list[int] = []
        self.keys: set[str] = set()
        for column_key, (code, value) in raw.bad.items():
            self.add(column_key, cell_message(code, value), value)

    def add(self, column_key: str, message: str, value=None) -> None:
        """Record an error on a column (shown even when the file lacks that column)."""
        header = self.table.headers.get(column_key) or self.templates.get(column_key)
        if value is None:
            value = text(self.raw.values.get(column_key))  # what the cell holds, as typed
        shown = None if value is None else str(value)
        self.issues.append(Issue(self.raw.number, self.table.letter(column_key), header, message,
                                 shown))
        self._positions.append(self.table.positions.get(column_key, len(self.table.positions)))
        self.keys.add(column_key)

    def problem(self, column_key: str, problem: Problem, value=None) -> None:
        """Record a Problem from the shared checks, translated like the web forms do."""
        self.add(column_key, problem_message(problem), value)

    def required(self, column_key: str) -> None:
        self.problem(column_key, Problem(column_key, "required"))

    def has(self, *column_keys: str) -> bool:
        return any(column_key in self.keys for column_key in column_keys)

    def __bool__(self) -> bool:
        return bool(self.issues)

    def result(self, label: str) -> RowResult:
        # Left to right, as the user reads the row; one column's messages keep their order.
        ordered = sorted(zip(self._positions, range(len(self.issues)), self.issues))
        return RowResult(self.raw.number, "error", label, errors=[i for _p, _n, i in ordered])


def choice_cell(values: dict, column_key: str, choices: Choices, errors: RowErrors, *,
                required: bool = False):
    """Return the code a cell names (label, synonym or code), or None after an error."""
    if errors.has(column_key):
        return None
    raw = text(values.get(column_key))
    if raw is None:
        if required:
            errors.required(column_key)
        return None
    found = choices.get(raw)
    if found is None:
        errors.add(column_key, cell_message("unknown_choice", raw), raw)
    return found


def date_cell(values: dict, column_key: str, errors: RowErrors) -> date | None:
    """Return the date in a cell (a date cell or text such as 2024年3月1日), or None."""
    if errors.has(column_key):
        return None
    try:
        return parse_date(values.get(column_key))
    except UnreadableDate as error:
        errors.add(column_key, cell_message("unreadable_date", str(error)), str(error))
        return None
