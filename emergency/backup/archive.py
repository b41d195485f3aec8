"""The backup archive: a gzip'd tar of manifest.json, the database and the uploaded files.

Layout::

    manifest.json          format, time, dialect, schema revision, row counts, SHA-256 of all files
    database.sqlite3       an online SQLite backup (sqlite3 Connection.backup), or
    database.pgdump        pg_dump --format=custom (PostgreSQL)
    uploads/<relative>     every file under UPLOAD_ROOT

Reading never trusts the archive: member names and types are checked before anything is written,
every byte is hashed against the manifest, and nothing outside the staging folder is touched.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

FORMAT = "emergency-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
#: Table names as the migrations create them; anything else in a manifest is refused.
TABLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: Files the upload code is still writing (see documents/storage.py); never part of a backup.
TEMP_PREFIX = ".upload-"


class BackupError(Exception):
    """A backup could not be made or an archive is refused; the message says why."""


@dataclass
class Manifest:
    """What an archive claims to hold; restore checks every claim before using any of it."""

    dialect: str
    revision: str | None
    created_at: str
    tables: dict[str, int]
    database: dict  # {"member": ..., "sha256": ..., "size": ...}
    files: dict[str, dict] = field(default_factory=dict)  # relative path -> {"sha256", "size"}

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "version": FORMAT_VERSION, **self.__dict__}
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
                raise BackupError(
                    "This file is not an emergency-registry backup of a known format.")
            manifest = cls(dialect=data["dialect"], revision=data["revision"],
                           created_at=data["created_at"], tables=dict(data["tables"]),
                           database=dict(data["database"]), files=dict(data["files"]))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"The manifest of the backup is damaged ({error}).") from error
        if manifest.dialect not in DATABASE_MEMBERS:
            raise BackupError(f"The backup holds an unknown database kind: {manifest.dialect!r}.")
        if manifest.database.get("member") != DATABASE_MEMBERS[manifest.dialect]:
            raise BackupError("The manifest names an unexpected database file.")
        for name in manifest.files:
            safe_relative(name)
        for name, count in manifest.tables.items():
            if not TABLE_NAME.fullmatch(str(name)) or not isinstance(count, int) or count < 0:
                raise BackupError(f"The manifest lists an impossible table: {name!r}.")
        return manifest


def file_digest(path: Path) -> tuple[str, int]:
    """Return the SHA-256 hex digest and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def safe_relative(name: str) -> PurePosixPath:
    """Return name as a relative path that stays inside its folder, or refuse the archive."""
    path = PurePosixPath(name)
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name
            or any(part in ("", ".", "..") for part in name.split("/"))):
        raise BackupError(f"The backup contains an unsafe file name: {name!r}.")
    return path


def upload_files(root: Path) -> dict[str, Path]:
    """Return every finished file under the upload root by its relative POSIX path."""
    found = {}
    if not root.is_dir():
        return found
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if name.startswith(TEMP_PREFIX) or path.is_symlink() or not path.is_file():
                continue
            found[path.relative_to(root).as_posix()] = path
    return dict(sorted(found.items()))


def write_archive(target: Path, manifest: Manifest, database_file: Path,
                  uploads: dict[str, Path]) -> None:
    """Write the archive to a temporary name beside target, then rename it into place."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, manifest.to_json())
            tar.add(database_file, arcname=manifest.database["member"], recursive=False)
            for relative, path in uploads.items():
                tar.add(path, arcname=f"{UPLOADS}/{relative}", recursive=False)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


@dataclass
class Staged:
    """An archive unpacked and verified in a staging folder, ready to be put in place."""

    manifest: Manifest
    database_file: Path
    uploads_dir: Path


def stage(archive: Path, staging: Path, check_manifest=None) -> Staged:
    """Unpack archive into the empty folder staging, checking every member against the manifest.

    check_manifest(manifest) may refuse the archive (BackupError) before anything is unpacked.

    Raises BackupError for a damaged, incomplete, padded or tampered archive.
    """
    try:
        _check_compression(archive)
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            manifest = _read_manifest(tar, members)
            if check_manifest is not None:
                check_manifest(manifest)
            expected = _expected_members(manifest)
            _check_members(members, expected)
            uploads_dir = staging / UPLOADS
            uploads_dir.mkdir(parents=True)
            for member in members:
                if member.isdir() or member.name == MANIFEST:
                    continue
                _extract_verified(tar, member, staging, expected[member.name])
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as error:
        raise BackupError(f"The backup file is damaged or unreadable ({error}).") from error
    return Staged(manifest, staging / manifest.database["member"], uploads_dir)


def _check_compression(archive: Path) -> None:
    # tarfile stops at the first unreadable header and never reaches gzip's CRC, so damage in
    # the middle could pass for a shorter archive: read the whole stream once first.
    with gzip.open(archive, "rb") as stream:
        while stream.read(CHUNK):
            pass


def _read_manifest(tar: tarfile.TarFile, members) -> Manifest:
    found = [m for m in members if m.name == MANIFEST]
    if len(found) != 1 or not found[0].isfile():
        raise BackupError("The backup has no manifest; it was not made by `flask backup create`.")
    return Manifest.from_json(tar.extractfile(found[0]).read())


def _expected_members(manifest: Manifest) -> dict[str, dict]:
    expected = {manifest.database["member"]: manifest.database}
    for relative, facts in manifest.files.items():
        expected[f"{UPLOADS}/{relative}"] = facts
    return expected


def _check_members(members, expected: dict[str, dict]) -> None:
    seen = set()
    for member in members:
        if member.name == MANIFEST or (member.isdir() and not member.issym()):
            safe_relative(member.name.rstrip("/"))
            continue
        if member.name not in expected or not member.isfile():
            raise BackupError(
                f"The backup contains a file its manifest does not list: {member.name!r}.")
        if member.name in seen:
            raise BackupError(f"The backup contains {member.name!r} twice.")
        seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The backup is incomplete: {len(missing)} file(s) listed in its "
                          f"manifest are missing, e.g. {missing[0]!r}.")


def _extract_verified(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path,
                      facts: dict) -> None:
    target = staging.joinpath(*safe_relative(member.name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    source = tar.extractfile(member)
    # O_EXCL: a name can never be written twice or through something planted in staging.
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while block := source.read(CHUNK):
            digest.update(block)
            size += len(block)
            out.write(block)
    if digest.hexdigest() != facts.get("sha256") or size != facts.get("size"):
        raise BackupError(f"{member.name!r} does not match the SHA-256 in the manifest: the backup "
                          "is corrupted or was altered.")


def swap_directories(new: Path, current: Path) -> None:
    """Put the folder new in place of current with renames, then remove the old contents."""
    old = current.with_name(f".{current.name}.before-restore")
    if old.exists():
        shutil.rmtree(old)
    if current.exists():
        os.replace(current, old)
    try:
        os.replace(new, current)
    except BaseException:
        if old.exists():
            os.replace(old, current)
        raise
    shutil.rmtree(old, ignore_errors=True)
