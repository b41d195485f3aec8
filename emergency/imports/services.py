"""Run an import: a dry run that writes nothing, or an apply that writes every row or none.

Both read the file once, row by row, and check each row against the database and against the
rows before it. Applying writes accepted rows as it goes, inside one transaction; when a row is
refused (and the caller did not ask to skip refused rows) or anything fails, the transaction is
rolled back. The caller commits when report.applied is True.
"""

import os
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from emergency.clock import china_today
from emergency.extensions import db
from emergency.imports.drills import DrillImporter
from emergency.imports.plans import PlanImporter
from emergency.imports.readers import ImportRefused, open_table
from emergency.imports.report import ImportReport, RowResult, refusal_message
from emergency.imports.units import UnitImporter

IMPORTERS = {"units": UnitImporter, "plans": PlanImporter, "drills": DrillImporter}
KINDS = tuple(IMPORTERS)
DEFAULT_MAX_ROWS = 50_000
PROGRESS_EVERY = 1000
#: Rows read ahead so that their units can be looked up together.
CHUNK_ROWS = 500


def max_rows() -> int:
    """Return the row cap: IMPORT_MAX_ROWS from the app config or the environment."""
    configured = current_app.config.get("IMPORT_MAX_ROWS") or os.environ.get("IMPORT_MAX_ROWS")
    return int(configured) if configured else DEFAULT_MAX_ROWS


def max_bytes() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 50 * 1024 * 1024)


def run_import(kind: str, path: Path, fmt: str, user, *, file_name: str, apply: bool = False,
               skip_invalid: bool = False, progress: Callable[[int], None] | None = None,
               on_row: Callable[[RowResult, ImportReport], None] | None = None) -> ImportReport:
    """Check (and with apply=True, write) a file; return the report.

    After apply, the session holds the changes, not yet committed, when report.applied is True;
    otherwise everything was rolled back. A dry run always ends with a rollback.
    """
    report = ImportReport(kind=kind, file_name=file_name, apply=apply, skip_invalid=skip_invalid,
                          fmt=fmt)
    started = time.monotonic()
    today = china_today()
    importer = None
    try:
        with open_table(Path(path), fmt, IMPORTERS[kind].columns, max_rows=max_rows(),
                        max_bytes=max_bytes()) as table:
            report.sheet, report.header_row = table.sheet, table.header_row
            report.columns = [(table.letter(k), table.headers[k]) for k in
                              sorted(table.positions, key=table.positions.get)]
            report.ignored_columns = table.ignored
            report.names = {column.key: table.headers.get(column.key, column.header)
                            for column in IMPORTERS[kind].columns}
            importer = IMPORTERS[kind](user, table, today)
            _read_rows(report, importer, table, apply, skip_invalid, progress, on_row)
    except ImportRefused as error:
        report.refusal = refusal_message(error)
    except BaseException:
        db.session.rollback()
        raise
    finishing = apply and report.refusal is None and report.rows_read > 0 and (
        report.error_rows == 0 or skip_invalid)
    if finishing:
        try:
            _recompute_compliance(today)
        except BaseException:
            db.session.rollback()
            raise
        report.applied = True
        report.accounts = list(importer.accounts)
    else:
        db.session.rollback()
    report.seconds = time.monotonic() - started
    return report


def _read_rows(report, importer, table, apply, skip_invalid, progress, on_row) -> None:
    writing = apply
    # Lookups must not flush half-built rows; the services flush what they create.
    with db.session.no_autoflush:
        for chunk in _chunks(table.rows, CHUNK_ROWS):
            importer.prefetch(chunk)
            for raw in chunk:
                writing = _one_row(report, importer, raw, writing, skip_invalid, progress,
                                   on_row)


def _one_row(report, importer, raw, writing: bool, skip_invalid: bool, progress,
             on_row) -> bool:
    """Handle one row; return whether later rows may still be written."""
    result = importer.handle(raw, write=writing)
    report.add(result)
    if result.liaison == "create":
        report.liaisons_to_create += 1
    if result.action == "error" and not skip_invalid:
        writing = False  # all or nothing: keep checking the rest, stop writing
    if on_row is not None:
        on_row(result, report)
    if progress is not None and report.rows_read % PROGRESS_EVERY == 0:
        progress(report.rows_read)
    return writing


def _chunks(rows, size: int):
    """Group an iterator of rows into lists of at most size rows."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _recompute_compliance(today) -> None:
    """Recompute the obligations of the units touched before the commit, in batches."""
    from emergency.compliance.live import recompute_pending

    if current_app.config.get("LIVE_RECOMPUTE", True):
        recompute_pending(db.session(), today)
