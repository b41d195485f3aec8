"""The result of a dry run or an import: counts, row actions and every error, translated."""

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _

from emergency.documents.messages import rejection_message
from emergency.documents.sniff import RejectReason
from emergency.imports.readers import ImportRefused

#: What happens to a row. "error" rows are never written.
ACTIONS = ("create", "update", "new_version", "unchanged", "error")
#: Rows and errors kept for display; the counts always cover the whole file.
KEEP_ROWS = 2000
KEEP_ERRORS = 2000


@dataclass
class Issue:
    """One error: its spreadsheet row, column letter and header (as written in the file)."""

    row: int | None
    column: str | None
    header: str | None
    message: str
    value: str | None = None


@dataclass
class RowResult:
    row: int
    action: str
    label: str
    changes: list[str] = field(default_factory=list)
    #: Liaison account: "create", "exists" or None.
    liaison: str | None = None
    errors: list[Issue] = field(default_factory=list)


@dataclass
class Account:
    """A liaison account created by the import; the password is shown once and never stored."""

    row: int
    unit: str
    username: str
    password: str


@dataclass
class ImportReport:
    kind: str
    file_name: str
    apply: bool = False
    skip_invalid: bool = False
    fmt: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)
    #: Column key -> header as written in the file (or in the template when absent).
    names: dict[str, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    rows: list[RowResult] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    error_count: int = 0
    refusal: str | None = None
    applied: bool = False
    accounts: list[Account] = field(default_factory=list)
    liaisons_to_create: int = 0
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(self.counts.values())

    @property
    def error_rows(self) -> int:
        return self.counts["error"]

    @property
    def can_apply(self) -> bool:
        """Tell whether confirming would write something (errors need skip_invalid)."""
        return self.refusal is None and self.rows_read > self.error_rows

    @property
    def changes(self) -> int:
        return self.counts["create"] + self.counts["update"] + self.counts["new_version"]

    def add(self, result: RowResult) -> None:
        self.counts[result.action] += 1
        if len(self.rows) < KEEP_ROWS:
            self.rows.append(result)
        for issue in result.errors:
            self.error_count += 1
            if len(self.errors) < KEEP_ERRORS:
                self.errors.append(issue)

    @property
    def hidden_rows(self) -> int:
        return max(0, self.rows_read - len(self.rows))

    @property
    def hidden_errors(self) -> int:
        return max(0, self.error_count - len(self.errors))


def refusal_message(error: ImportRefused) -> str:
    """Explain in the user's language why a whole file was refused."""
    p = error.params
    if error.code == "rejected":
        rejected = p["error"]
        if rejected.code == RejectReason.EXTENSION_NOT_ALLOWED:
            return _("Upload an Excel workbook (.xlsx) or a CSV file.")
        if rejected.code == RejectReason.CONTENT_MISMATCH:
            return _("The file content is not an Excel workbook (.xlsx) or a CSV file.")
        return rejection_message(rejected)
    messages = {
        "format": _("Upload an Excel workbook (.xlsx) or a CSV file."),
        "encoding": _("The CSV file is neither UTF-8 nor GB18030 text. Save it again as "
                      "\"CSV UTF-8\" or as an Excel workbook."),
        "unreadable": _("The file could not be read as a spreadsheet. Open it in Excel or WPS "
                        "and save it again as .xlsx."),
        "no_header": _("No header row was found in the first %(rows)s rows. Use the template; "
                       "the header row needs at least the columns %(expected)s.",
                       rows=p.get("rows"), expected=p.get("expected")),
        "missing_columns": _("Required columns are missing: %(columns)s.",
                             columns=p.get("columns")),
        "no_rows": _("The file has no data rows below the header."),
        "too_many_rows": _("The file has more than %(max)s data rows. Split it into smaller "
                           "files and import them one after another.", max=p.get("max")),
        "expired": _("This upload has expired or was already imported. Upload the file again."),
        "changed": _("The uploaded file was changed after the dry run. Upload it again."),
    }
    return messages.get(error.code, error.code)


def cell_message(code: str, value: str | None = None) -> str:
    """Messages for problems found by the importer itself (not by the unit or plan checks)."""
    messages = {
        "formula_without_value": _(
            "The cell holds a formula without a computed value. Open the file in Excel or WPS, "
            "save it, and upload it again, or type the value."),
        "cell_error": _("The cell shows the error %(value)s. Correct the formula or type the "
                        "value.", value=value),
        "unknown_region": _("Unknown region: %(value)s. Use the region code (6, 9 or 12 digits) "
                            "or its full name path, e.g. 黑河市/爱辉区/花园街道.", value=value),
        "ambiguous_region": _("Several regions are called %(value)s. Use the region code or the "
                              "full name path.", value=value),
        "unknown_choice": _("Unknown value: %(value)s. Use one of the names listed in the "
                            "template's instructions.", value=value),
        "unreadable_date": _("This date cannot be read: %(value)s. Write it as 2024-03-01.",
                             value=value),
        "number_rounded": _("This code was stored as a number and Excel dropped its last "
                            "digits. Format the column as text and type the code again."),
        "duplicate_row": _("Row %(value)s of this file already contains the same record.",
                           value=value),
        "unit_out_of_scope": _("A unit with this code is registered outside your scope."),
        "unit_not_found": _("No unit with this code or name is registered in your scope. "
                            "Import the units first."),
        "unit_ambiguous": _("Several units in your scope have this name. Add the unit's code or "
                            "its region."),
        "region_ambiguous_units": _("Several units in this region have this name. Add the "
                                    "unit's code."),
        "username_other_unit": _("This username belongs to another account."),
        "filed_before_issued": _("The filing date cannot be before the issue date."),
        "filing_number_taken": _("This filing number is already used by another plan version."),
        "liaison_username_required": _("Enter a username to create a liaison account."),
        "unknown_plan": _("This unit has no plan called %(value)s. Import or register the plan "
                          "first, or correct its title.", value=value),
        "unreadable_number": _("This number cannot be read: %(value)s. Write a whole number, "
                               "e.g. 120.", value=value),
        "unreadable_minutes": _("This duration cannot be read: %(value)s. Write the minutes, "
                                "e.g. 90, or 1小时30分.", value=value),
        "unreadable_seconds": _("This time cannot be read: %(value)s. Write the seconds, "
                                "e.g. 200, or 3分20秒.", value=value),
    }
    return messages.get(code, code)
