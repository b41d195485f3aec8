"""The assessment workbook: a summary sheet and one sheet of evidence rows per indicator.

Headers in the current language (Chinese for the CLI and by default), identifiers as text cells,
dates as date cells, and every text neutralised against formula injection (emergency.exports).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from emergency.assessment.indicators import MEASURES, EvidenceRow
from emergency.assessment.labels import (
    EVIDENCE_DATES,
    GRADES,
    GROUPINGS,
    INDICATOR_FORMULAS,
    INDICATOR_TITLES,
    STATUSES,
    deduction_label,
    evidence_subject,
)
from emergency.assessment.scoring import INDICATOR_CODES
from emergency.assessment.services import Assessment, GroupFigures
from emergency.exports import neutralise
from emergency.labels import UNIT_KINDS

FORBIDDEN_IN_TITLES = "\\/?*[]:"


def _title(text: str) -> str:
    cleaned = "".join("_" if ch in FORBIDDEN_IN_TITLES else ch for ch in text)
    return cleaned[:31]


def _append(sheet, values: Sequence, bold: bool = False) -> None:
    """Append a row: text stays text ("@"), dates are date cells, percentages are numbers."""
    sheet.append([neutralise(v) for v in values])
    for cell, value in zip(sheet[sheet.max_row], values):
        if isinstance(value, str):
            cell.number_format = "@"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, Rate):
            cell.value, cell.number_format = float(value), "0.0%"
        if bold:
            cell.font = Font(bold=True)


class Rate(float):
    """A share (0..1) written as a percentage cell."""


def _indicator_cells(figures: GroupFigures, code: str) -> list:
    figure = figures.indicators[code]
    if figure.status != "ok":
        return [str(STATUSES[figure.status]), None]
    return [Rate(figure.rate), figure.score]


def _summary(sheet, assessment: Assessment) -> None:
    headers = [_("Group")]
    for code in INDICATOR_CODES:
        headers += [f"{code} {INDICATOR_TITLES[code]}", _("%(code)s points", code=code)]
    headers += [_("Points before deductions"), _("Deductions"), _("Total score"), _("Grade")]
    _append(sheet, headers, bold=True)
    for figures in [assessment.overall, *assessment.groups]:
        row = [figures.name or _("All")]
        for code in INDICATOR_CODES:
            row += _indicator_cells(figures, code)
        row += [figures.base, figures.deducted, figures.total,
                str(GRADES[figures.grade]) if figures.grade else None]
        _append(sheet, row)
    sheet.freeze_panes = "B2"


def _about(sheet, assessment: Assessment, extra: Sequence[tuple[str, object]]) -> None:
    scheme = assessment.scheme
    lines = [(_("Year"), str(assessment.year)), (_("Region"), assessment.region_name),
             (_("Grouping"), str(GROUPINGS[assessment.grouping])),
             (_("Figures as of"), assessment.cutoff), (_("Compliance scan of"), assessment.scan_date),
             *extra,
             (_("Scoring"), _("Local defaults") if scheme.is_default else _("Set by an administrator"))]
    for key, value in lines:
        _append(sheet, [key, value])
    _append(sheet, [])
    _append(sheet, [_("Indicator"), _("Weight"), _("Formula")], bold=True)
    for code in INDICATOR_CODES:
        _append(sheet, [f"{code} {INDICATOR_TITLES[code]}", scheme.weights.get(code, 0),
                        str(INDICATOR_FORMULAS[code])])
    _append(sheet, [])
    _append(sheet, [_("Deduction"), _("Points per item"), _("Cap (empty: none)")], bold=True)
    for deduction in (assessment.overall.deductions if assessment.overall else []):
        _append(sheet, [deduction_label(deduction), deduction.points, deduction.cap])
    _append(sheet, [_("Excellent from (points)"), scheme.excellent_min])
    _append(sheet, [_("Up to standard from (points)"), scheme.pass_min])


def _evidence(sheet, code: str, rows: Iterable[EvidenceRow], group_name: Callable[[str], str]) -> None:
    first, second = EVIDENCE_DATES[code]
    headers = [_("No."), _("Group"), _("Region"), _("Unit"), _("Unit kind"), _("Identifier"),
               _("Item"), str(first or _("Date")), str(second or _("Date")), _("Owed"), _("Met"),
               _("Counts against the group")]
    _append(sheet, headers, bold=True)
    for number, row in enumerate(rows, start=1):
        _append(sheet, [number, group_name(row.key), row.region_name, row.unit_name,
                        str(UNIT_KINDS.get(row.unit_kind, row.unit_kind)), row.identifier,
                        evidence_subject(row.subject), row.date_a, row.date_b, row.den, row.num,
                        _("Yes") if row.failing(code) else _("No")])
    sheet.freeze_panes = "A2"


def build_workbook(assessment: Assessment, evidence: dict[str, list[EvidenceRow]],
                   extra: Sequence[tuple[str, object]] = ()) -> bytes:
    """Return the .xlsx bytes: summary, notes, then one evidence sheet per measured indicator."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = _title(_("Summary"))
    _summary(summary, assessment)
    _about(workbook.create_sheet(_title(_("Notes"))), assessment, extra)
    names = {g.key: g.name for g in assessment.groups}
    for code in MEASURES:
        if code not in evidence:
            continue
        sheet = workbook.create_sheet(_title(f"{code} {INDICATOR_TITLES[code]}"))
        _evidence(sheet, code, evidence[code], lambda key: names.get(key, key))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
