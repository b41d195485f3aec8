"""`flask backup create`, `flask backup verify` and `flask backup restore`."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from emergency.backup.archive import BackupError
from emergency.backup.services import create_backup, restore_backup, verify_backup

backup_cli = AppGroup("backup", help="Back up and restore the database and uploaded files.")


def _fail(error: BackupError) -> None:
    click.secho(f"Refused: {error}", fg="red", err=True)
    sys.exit(1)


@backup_cli.command("create")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the archive (default: <instance>/backups).")
def create(out_dir: Path | None) -> None:
    """Write one archive: an online database backup, the uploaded files and a manifest."""
    out_dir = out_dir or Path(current_app.instance_path) / "backups"
    try:
        summary = create_backup(out_dir)
    except BackupError as error:
        _fail(error)
    manifest = summary.manifest
    click.echo(f"Backup written to {summary.path}")
    click.echo(f"  database: {manifest.dialect}, schema revision {manifest.revision}, "
               f"{len(manifest.tables)} tables, {summary.rows} rows")
    click.echo(f"  uploaded files: {len(manifest.files)}")


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(archive: Path) -> None:
    """Check an archive completely (hashes, row counts, schema revision); change nothing."""
    try:
        manifest = verify_backup(archive)
    except BackupError as error:
        _fail(error)
    click.echo(f"OK: {len(manifest.tables)} tables, {sum(manifest.tables.values())} rows, "
               f"{len(manifest.files)} files, made {manifest.created_at}.")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(archive: Path, yes: bool) -> None:
    """Replace the database and the uploaded files with the archive's (stop the app first)."""
    if not yes:
        click.confirm("This replaces ALL data and uploaded files with the backup's. Continue?",
                      abort=True)
    try:
        manifest = restore_backup(archive)
    except BackupError as error:
        _fail(error)
    click.echo(f"Restored {sum(manifest.tables.values())} rows in {len(manifest.tables)} tables "
               f"and {len(manifest.files)} files from {archive}.")
