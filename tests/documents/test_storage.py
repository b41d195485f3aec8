import hashlib
import io
import os
import re
from datetime import date
from pathlib import Path

import pytest

from emergency.documents.sniff import RejectedFile, RejectReason
from emergency.documents.storage import (
    InvalidBlobPath,
    StoredBlob,
    blob_path,
    delete_blob,
    open_blob,
    store_stream,
)

from . import files

TODAY = date(2026, 11, 21)
BLOB_PATH = re.compile(r"\d{4}/\d{2}/[0-9a-f]{32}")


def _files_under(directory: Path) -> list[Path]:
    """Return every file below directory, however deep."""
    return [Path(top, name) for top, _, names in os.walk(directory) for name in names]


def _store(root: Path, data: bytes, **kwargs) -> StoredBlob:
    """Store data as an upload stream under root."""
    kwargs.setdefault("max_bytes", 1024 * 1024)
    return store_stream(io.BytesIO(data), root, today=TODAY, **kwargs)


class ExplodingStream(io.RawIOBase):
    """A client that disconnects after sending its first chunk."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls == 1:
            return self.first
        raise OSError("client went away")


def test_store_returns_path_hash_and_size(tmp_path):
    data = files.docx_bytes()
    blob = _store(tmp_path, data)
    assert BLOB_PATH.fullmatch(blob.relative_path)
    assert blob.relative_path.startswith("2026/11/")
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    with open_blob(tmp_path, blob.relative_path) as stored:
        assert stored.read() == data


def test_store_files_under_the_given_month_not_the_clock(tmp_path):
    blob = store_stream(io.BytesIO(b"%PDF-"), tmp_path, max_bytes=100, today=date(2025, 3, 1))
    assert blob.relative_path.startswith("2025/03/")


def test_store_hashes_across_chunks(tmp_path):
    data = files.pdf_bytes()
    blob = _store(tmp_path, data, chunk=7)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / blob.relative_path).read_bytes() == data


def test_same_bytes_stored_twice_give_two_files(tmp_path):
    data = files.pdf_bytes()
    first, second = _store(tmp_path, data), _store(tmp_path, data)
    assert first.relative_path != second.relative_path
    assert first.sha256 == second.sha256
    assert len(_files_under(tmp_path)) == 2


def test_exactly_max_bytes_is_accepted(tmp_path):
    assert _store(tmp_path, b"x" * 100, max_bytes=100).size == 100


@pytest.mark.parametrize("chunk", [1, 7, 1024 * 1024])
def test_oversize_upload_leaves_no_file_behind(tmp_path, chunk):
    with pytest.raises(RejectedFile) as excinfo:
        _store(tmp_path, b"x" * 101, max_bytes=100, chunk=chunk)
    assert excinfo.value.code is RejectReason.TOO_LARGE
    assert _files_under(tmp_path) == []


def test_empty_upload_is_rejected_and_leaves_no_file(tmp_path):
    with pytest.raises(RejectedFile) as excinfo:
        _store(tmp_path, b"")
    assert excinfo.value.code is RejectReason.EMPTY
    assert _files_under(tmp_path) == []


def test_broken_stream_leaves_no_file_behind(tmp_path):
    with pytest.raises(OSError, match="client went away"):
        store_stream(ExplodingStream(b"%PDF-1.4"), tmp_path, max_bytes=1000, today=TODAY)
    assert _files_under(tmp_path) == []


def test_temp_file_is_written_inside_root(tmp_path):
    root = tmp_path / "uploads"
    seen: list[Path] = []

    class Watching(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            seen.extend(_files_under(tmp_path))
            return super().read(size)

    store_stream(Watching(b"abc" * 1000), root, max_bytes=10_000, today=TODAY, chunk=1000)
    assert any(path.parent == root for path in seen)  # the temp file, before it was renamed
    assert all(path.is_relative_to(root) for path in seen)


@pytest.mark.parametrize("user_name", files.TRAVERSAL_NAMES)
def test_nothing_is_written_outside_root(tmp_path, user_name):
    root = tmp_path / "uploads"
    stream = io.BytesIO(files.pdf_bytes())
    stream.name = user_name  # a careless caller might hope it is used; it must not be
    blob = store_stream(stream, root, max_bytes=1024 * 1024, today=TODAY)
    assert _files_under(tmp_path) == [root / blob.relative_path]


@pytest.mark.parametrize(
    "relative_path",
    [
        "../x",
        "/etc/passwd",
        "2026/11/../../../etc/passwd",
        "2026/11/" + "A" * 32,
        "2026/11/" + "a" * 31,
        "2026/13/" + "a" * 32,
        "2026/11/" + "a" * 32 + "\n",
        "2026\\11\\" + "a" * 32,
        "２０２６/11/" + "a" * 32,
        "",
        None,
    ],
)
def test_open_and_delete_refuse_paths_we_never_generate(tmp_path, relative_path):
    for action in (open_blob, delete_blob, blob_path):
        with pytest.raises(InvalidBlobPath):
            action(tmp_path, relative_path)


def test_open_blob_refuses_an_absolute_path_even_under_root(tmp_path):
    blob = _store(tmp_path, b"data")
    with pytest.raises(InvalidBlobPath):
        open_blob(tmp_path, str(tmp_path / blob.relative_path))


def test_open_blob_does_not_follow_a_planted_symlink(tmp_path):
    secret = files.write(tmp_path, "secret.txt", b"top secret")
    link = tmp_path / "root" / "2026" / "11" / ("b" * 32)
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    with pytest.raises(OSError):
        open_blob(tmp_path / "root", "2026/11/" + "b" * 32)


def test_delete_blob_is_idempotent(tmp_path):
    blob = _store(tmp_path, b"data")
    delete_blob(tmp_path, blob.relative_path)
    delete_blob(tmp_path, blob.relative_path)
    assert _files_under(tmp_path) == []


def test_stored_blob_is_frozen():
    blob = StoredBlob(relative_path="2026/11/" + "a" * 32, sha256="0" * 64, size=1)
    with pytest.raises(AttributeError):
        blob.size = 2
