"""`flask import units|plans|drills FILE [--dry-run]`: the web import from the command line.

Row messages are in the CLI language (EMERGENCY_LOCALE or --lang, Chinese by default); the
frame is English like the other commands. Progress goes to stderr every 1000 rows.
"""

import sys
from pathlib import Path
from types import SimpleNamespace

import click
from flask import g
from flask.cli import AppGroup
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from emergency.audit.services import record_event
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.imports import services
from emergency.imports.report import ImportReport, RowResult

import_cli = AppGroup("import",
                      help="Import units, existing plans or past drills from a spreadsheet "
                           "(XLSX or CSV).")

#: The command line acts with full scope unless --user names an account.
CLI_ACTOR = SimpleNamespace(id=None, username="cli", role=Role.ADMIN, is_active=True,
                            region_id=None, unit_id=None, can_edit=True, is_admin=True)
ACTION_WORDS = {"create": "create", "update": "update", "new_version": "new version",
                "unchanged": "unchanged", "error": "ERROR"}


def _actor(username: str | None):
    if not username:
        return CLI_ACTOR
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not user.can_edit:
        click.secho(f"No active administrator or office account {username}.", fg="red", err=True)
        sys.exit(2)
    return user


def _print_row(result: RowResult, names: dict, errors_only: bool) -> None:
    if errors_only and result.action != "error":
        return
    line = f"row {result.row:>6}  {ACTION_WORDS[result.action]:<11} {result.label}"
    if result.changes:
        line += "  [" + ", ".join(names.get(c, c) for c in result.changes) + "]"
    if result.liaison == "create":
        line += "  + liaison account"
    click.echo(line)
    for issue in result.errors:
        where = f"{issue.column} ({issue.header})" if issue.column else f"({issue.header})"
        value = f" «{issue.value}»" if issue.value else ""
        click.echo(f"{'':>12}{where}{value}: {issue.message}")


def _summary(report: ImportReport) -> None:
    counts = report.counts
    parts = [f"{counts['create']} create", f"{counts['update']} update"]
    if report.kind == "plans":
        parts.append(f"{counts['new_version']} new version")
    parts += [f"{counts['unchanged']} unchanged", f"{counts['error']} with errors"]
    click.echo(f"Read {report.rows_read} rows: " + ", ".join(parts) + f" ({report.seconds:.1f} s).")
    if report.liaisons_to_create:
        click.echo(f"Liaison accounts to create: {report.liaisons_to_create}.")
    if report.ignored_columns:
        click.echo("Ignored columns: " + ", ".join(f"{letter} ({header})"
                                                   for letter, header in report.ignored_columns))


def _run(kind: str, file: Path, dry_run: bool, skip_invalid: bool, username: str | None,
         lang: str | None, errors_only: bool) -> None:
    actor = _actor(username)
    g.audit_actor = f"cli:{actor.username}" if username else "cli"
    fmt = file.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        click.secho("The file must end in .xlsx or .csv.", fg="red", err=True)
        sys.exit(2)
    click.echo(f"{'Checking' if dry_run else 'Importing'} {file.name} ({kind}) ...")

    def on_row(result: RowResult, report: ImportReport) -> None:
        _print_row(result, report.names, errors_only)

    def progress(rows: int) -> None:
        click.echo(f"  ... {rows} rows read", err=True)

    with force_locale(lang or get_locale()):
        report = services.run_import(kind, file, fmt, actor, file_name=file.name,
                                     apply=not dry_run, skip_invalid=skip_invalid,
                                     progress=progress, on_row=on_row)
        _finish(report, kind, file, dry_run)


def _finish(report: ImportReport, kind: str, file: Path, dry_run: bool) -> None:
    if report.refusal:
        click.secho(report.refusal, fg="red", err=True)
        sys.exit(1)
    _summary(report)
    if dry_run:
        click.echo("Dry run: nothing was written.")
        sys.exit(1 if report.error_rows else 0)
    if not report.applied:
        click.secho(f"Nothing was imported: {report.error_rows} rows have errors "
                    "(correct them, or use --skip-invalid to import the other rows).",
                    fg="red", err=True)
        sys.exit(1)
    record_event("import", label=file.name[:200], changes={"kind": kind, **report.counts})
    db.session.commit()
    skipped = f", {report.error_rows} rows with errors skipped" if report.error_rows else ""
    click.echo(f"Imported: {report.changes} rows written{skipped}.")
    if report.accounts:
        click.echo("New liaison accounts (the passwords are shown only this once):")
        for account in report.accounts:
            click.echo(f"  row {account.row:>6}  {account.username:<24} {account.password}  "
                       f"{account.unit}")


def _register(kind: str, help_text: str) -> None:
    @import_cli.command(kind, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check and print the report; write nothing.")
    @click.option("--skip-invalid", is_flag=True,
                  help="Import the rows without errors and skip the others (default: all or none).")
    @click.option("--user", "username",
                  help="Act with this account's scope (default: everything, audited as 'cli').")
    @click.option("--lang", type=click.Choice(["zh", "en"]),
                  help="Language of the row messages (default: EMERGENCY_LOCALE or zh).")
    @click.option("--errors-only", is_flag=True, help="Print only the rows with errors.")
    def command(file, dry_run, skip_invalid, username, lang, errors_only) -> None:
        _run(kind, file, dry_run, skip_invalid, username, lang, errors_only)


_register("units", "Import units and liaison accounts (template: 单位及联络员导入模板.xlsx).")
_register("plans", "Import an existing plan register (template: 预案台账导入模板.xlsx).")
_register("drills", "Import past drills (template: 演练台账导入模板.xlsx).")
