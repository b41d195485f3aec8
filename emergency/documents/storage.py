"""Store uploaded bytes under generated names, hashing them on the way in."""

import contextlib
import hashlib
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from emergency.documents.sniff import RejectedFile, RejectReason

CHUNK_BYTES = 1024 * 1024
#: ASCII classes on purpose: ``\d`` would also match full-width and other Unicode digits.
_BLOB_PATH = re.compile(r"[0-9]{4}/(0[1-9]|1[0-2])/[0-9a-f]{32}")
_TEMP_PREFIX = ".upload-"
#: Refuse to follow a symlink planted where a blob should be (not available on Windows).
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class InvalidBlobPath(ValueError):
    """A relative path that store_stream could not have produced (e.g. a tampered DB row)."""


@dataclass(frozen=True)
class StoredBlob:
    """Where an upload landed under the storage root, and what it contained."""

    relative_path: str
    sha256: str
    size: int


def store_stream(
    stream: BinaryIO, root: Path, *, max_bytes: int, today: date, chunk: int = CHUNK_BYTES
) -> StoredBlob:
    """Copy stream into a new blob under root and return where it went."""
    root.mkdir(parents=True, exist_ok=True)
    # A temp file inside root is on the same filesystem, so os.replace is an atomic rename
    # and readers never see a half-written blob.
    fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=root)
    try:
        with os.fdopen(fd, "wb") as temp:
            sha256, size = _copy(stream, temp, max_bytes=max_bytes, chunk=chunk)
            temp.flush()
            os.fsync(temp.fileno())
        relative_path = f"{today.year:04d}/{today.month:02d}/{uuid.uuid4().hex}"
        target = root / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_name, target)
    except BaseException:
        # Also on KeyboardInterrupt or a worker timeout: a failed upload leaves nothing behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return StoredBlob(relative_path=relative_path, sha256=sha256, size=size)


def _copy(stream: BinaryIO, temp: BinaryIO, *, max_bytes: int, chunk: int) -> tuple[str, int]:
    """Copy stream to temp in chunks; return its SHA-256 hex digest and size."""
    digest = hashlib.sha256()
    size = 0
    # Never ask for more than one byte past the limit: that byte alone proves it is too large.
    while block := stream.read(min(chunk, max_bytes - size + 1)):
        size += len(block)
        if size > max_bytes:
            raise RejectedFile(RejectReason.TOO_LARGE)
        digest.update(block)
        temp.write(block)
    if size == 0:
        raise RejectedFile(RejectReason.EMPTY)
    return digest.hexdigest(), size


def blob_path(root: Path, relative_path: str) -> Path:
    """Return the absolute path of a stored blob, refusing paths we never generate."""
    if not isinstance(relative_path, str) or not _BLOB_PATH.fullmatch(relative_path):
        raise InvalidBlobPath(relative_path)
    return root / relative_path


def open_blob(root: Path, relative_path: str) -> BinaryIO:
    """Open a stored blob for binary reading."""
    fd = os.open(blob_path(root, relative_path), os.O_RDONLY | _O_NOFOLLOW)
    return os.fdopen(fd, "rb")


def delete_blob(root: Path, relative_path: str) -> None:
    """Delete a stored blob; deleting one that is already gone is not an error."""
    blob_path(root, relative_path).unlink(missing_ok=True)
