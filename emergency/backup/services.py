"""Create, verify and restore backups of the database and the upload folder.

Create: the database first (a consistent snapshot), then the files. A file uploaded meanwhile is
at worst an extra file without a row, never a row without its file.

Restore: unpack and verify everything in a staging folder next to the upload root (row counts,
the SHA-256 of every file, the schema revision), and only then replace the database (in one
transaction) and swap the upload folder in with renames. A refused archive changes nothing.
"""

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from emergency.backup import databases
from emergency.backup.archive import (
    DATABASE_MEMBERS,
    BackupError,
    Manifest,
    file_digest,
    stage,
    swap_directories,
    upload_files,
    write_archive,
)
from emergency.extensions import db


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    manifest: Manifest

    @property
    def rows(self) -> int:
        return sum(self.manifest.tables.values())


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"Backups of {name} databases are not supported.")
    return name


def _busy_timeout() -> int:
    return int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_ROOT"])


def _current_revision() -> str | None:
    with db.engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DatabaseError:  # no migration has run yet: there is no alembic_version table
            return None


def _known_revisions() -> set[str]:
    config = current_app.extensions["migrate"].migrate.get_config()
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def create_backup(out_dir: Path, now: datetime | None = None) -> BackupSummary:
    """Write one archive of the database and the uploaded files into out_dir."""
    now = now or datetime.now(UTC)
    dialect = _dialect()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"emergency-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if target.exists():
        raise BackupError(f"{target} already exists.")
    db.session.remove()  # hold no transaction (nor SQLite lock) of our own while copying
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".backup-") as work:
        database_file = Path(work) / DATABASE_MEMBERS[dialect]
        revision = _current_revision()
        if dialect == "sqlite":
            tables = databases.sqlite_dump(db.engine, database_file, _busy_timeout())
        else:
            tables = databases.pg_dump(db.engine, database_file)
        sha256, size = file_digest(database_file)
        uploads = upload_files(_upload_root())
        files = {}
        for relative, path in uploads.items():
            digest, length = file_digest(path)
            files[relative] = {"sha256": digest, "size": length}
        manifest = Manifest(dialect=dialect, revision=revision, created_at=now.isoformat(),
                            tables=tables, files=files,
                            database={"member": DATABASE_MEMBERS[dialect], "sha256": sha256,
                                      "size": size})
        write_archive(target, manifest, database_file, uploads)
    return BackupSummary(target, manifest)


def _check_fits_this_installation(manifest: Manifest) -> None:
    dialect = _dialect()
    if manifest.dialect != dialect:
        raise BackupError(f"This backup holds a {manifest.dialect} database, but this installation "
                          f"uses {dialect}; it cannot be restored here.")
    if manifest.revision is not None and manifest.revision not in _known_revisions():
        raise BackupError(f"This backup comes from a newer version of the application (schema "
                          f"revision {manifest.revision}); upgrade the application first.")


def _verify_staged_database(staged) -> None:
    expected = staged.manifest.tables
    if staged.manifest.dialect == "sqlite":
        counts = databases.sqlite_check(staged.database_file)
    else:
        # A dump carries no COPY block for an empty table.
        counts = {name: 0 for name in expected} | databases.pg_check(staged.database_file)
    if counts != expected:
        differing = sorted(name for name in set(counts) | set(expected)
                           if counts.get(name) != expected.get(name))
        raise BackupError("The database in the backup does not match its manifest (row "
                          f"counts differ in {', '.join(differing)}).")


def verify_backup(archive: Path) -> Manifest:
    """Check an archive completely without changing anything; return its manifest."""
    with tempfile.TemporaryDirectory(prefix=".verify-") as work:
        staged = stage(Path(archive), Path(work) / "staged", _check_fits_this_installation)
        _verify_staged_database(staged)
        return staged.manifest


def restore_backup(archive: Path) -> Manifest:
    """Replace the database and the upload folder with the archive's, after verifying all of it.

    Stop the web workers and the scheduler first: a restore takes the whole database back.
    """
    root = _upload_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    # Staging beside the upload root keeps the final swap a rename on one filesystem.
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".restore-") as work:
        staged = stage(Path(archive), Path(work) / "staged", _check_fits_this_installation)
        _verify_staged_database(staged)
        db.session.remove()
        if staged.manifest.dialect == "sqlite":
            databases.sqlite_load(db.engine, staged.database_file, _busy_timeout())
        else:
            databases.pg_load(db.engine, staged.database_file, staged.manifest.tables)
        swap_directories(staged.uploads_dir, root)
    return staged.manifest
