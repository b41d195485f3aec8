"""Identify uploads by content, check them against their extension, and clean their names."""

import os
import re
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import BinaryIO

MiB = 1024 * 1024
#: Enough for every signature below, including markup after a BOM and some blank lines.
HEAD_BYTES = 2048


class FileKind(StrEnum):
    """A file type the registry accepts somewhere; the value is the canonical extension."""

    PDF = "pdf"
    DOC = "doc"
    DOCX = "docx"
    WPS = "wps"
    OFD = "ofd"
    JPG = "jpg"
    PNG = "png"
    XLSX = "xlsx"


class Detected(StrEnum):
    """What content looks like: a closed set the web layer can translate."""

    PDF = "pdf"
    OLE2 = "ole2"
    ZIP = "zip"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    OOXML = "ooxml"
    OFD = "ofd"
    JPG = "jpg"
    PNG = "png"
    EXE = "exe"
    ELF = "elf"
    HTML = "html"
    XML = "xml"
    SVG = "svg"
    SCRIPT = "script"


class RejectReason(StrEnum):
    """Why an upload was refused; codes, never user-facing text."""

    EMPTY = "empty"
    EXTENSION_NOT_ALLOWED = "extension_not_allowed"
    CONTENT_MISMATCH = "content_mismatch"
    UNKNOWN_CONTENT = "unknown_content"
    ZIP_BOMB = "zip_bomb"
    ZIP_UNSAFE_MEMBER = "zip_unsafe_member"
    ZIP_MISSING_MEMBER = "zip_missing_member"
    TOO_LARGE = "too_large"
    BAD_NAME = "bad_name"


class RejectedFile(Exception):
    """Refuse an upload; the web layer turns ``code`` (and ``detected``) into a message."""

    def __init__(self, code: RejectReason, detected: str | None = None) -> None:
        super().__init__(code, detected)
        self.code = code
        self.detected = detected


_SIGNATURES: tuple[tuple[bytes, Detected], ...] = (
    (b"%PDF-", Detected.PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Detected.OLE2),
    (b"PK\x03\x04", Detected.ZIP),
    (b"PK\x05\x06", Detected.ZIP),  # an empty archive is only its end record
    (b"\xff\xd8\xff", Detected.JPG),
    (b"\x89PNG\r\n\x1a\n", Detected.PNG),
    (b"MZ", Detected.EXE),
    (b"\x7fELF", Detected.ELF),
    (b"#!", Detected.SCRIPT),
)
_MARKUP: tuple[tuple[bytes, Detected], ...] = (
    (b"<!doctype", Detected.HTML),
    (b"<html", Detected.HTML),
    (b"<?xml", Detected.XML),
    (b"<svg", Detected.SVG),
)
_KIND_BY_EXTENSION = {kind.value: kind for kind in FileKind} | {"jpeg": FileKind.JPG}
_MAGIC_BY_KIND = {
    FileKind.PDF: Detected.PDF,
    FileKind.DOC: Detected.OLE2,
    FileKind.WPS: Detected.OLE2,  # legacy WPS Writer files are OLE2 like .doc
    FileKind.JPG: Detected.JPG,
    FileKind.PNG: Detected.PNG,
}
_ZIP_KINDS = {FileKind.DOCX, FileKind.XLSX, FileKind.OFD}
_OOXML_MAIN_FOLDERS = ((Detected.DOCX, "word/"), (Detected.XLSX, "xl/"), (Detected.PPTX, "ppt/"))


def sniff(head: bytes) -> Detected | None:
    """Return what the first bytes of a file look like, or None if unrecognised."""
    for magic, detected in _SIGNATURES:
        if head.startswith(magic):
            return detected
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\f\v").lower()
    for prefix, detected in _MARKUP:
        if text.startswith(prefix):
            return detected
    return None


def kind_from_name(name: str) -> FileKind | None:
    """Return the kind a file name claims by its final suffix, ignoring case."""
    # Old browsers send a full client path; only the last component carries the suffix.
    base = re.split(r"[\\/]", name)[-1]
    _, dot, extension = base.rpartition(".")
    return _KIND_BY_EXTENSION.get(extension.lower()) if dot else None


def check_upload(
    source: str | os.PathLike[str] | BinaryIO,
    original_name: str,
    allowed: Collection[FileKind],
    max_bytes: int,
) -> FileKind:
    """Return the upload's kind if its extension is allowed and its content agrees.

    A file object must be seekable and is read from offset 0; its position is restored.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fileobj:
            return _check_fileobj(fileobj, original_name, allowed, max_bytes)
    position = source.tell()
    try:
        return _check_fileobj(source, original_name, allowed, max_bytes)
    finally:
        source.seek(position)


def _check_fileobj(
    fileobj: BinaryIO, original_name: str, allowed: Collection[FileKind], max_bytes: int
) -> FileKind:
    """Run the checks of check_upload on an open binary file."""
    size = fileobj.seek(0, os.SEEK_END)
    fileobj.seek(0)
    detected = sniff(fileobj.read(HEAD_BYTES))
    kind = kind_from_name(original_name)
    if kind is None or kind not in allowed:
        raise RejectedFile(RejectReason.EXTENSION_NOT_ALLOWED, detected)
    if size == 0:
        raise RejectedFile(RejectReason.EMPTY)
    if size > max_bytes:
        raise RejectedFile(RejectReason.TOO_LARGE, detected)
    if kind in _ZIP_KINDS:
        _expect(detected, Detected.ZIP)
        _check_zip_flavour(inspect_zip(fileobj), kind)
    else:
        _expect(detected, _MAGIC_BY_KIND[kind])
    return kind


def _expect(detected: Detected | None, wanted: Detected) -> None:
    """Refuse content that is unrecognised or is something other than wanted."""
    if detected is None:
        raise RejectedFile(RejectReason.UNKNOWN_CONTENT)
    if detected != wanted:
        raise RejectedFile(RejectReason.CONTENT_MISMATCH, detected)


def zip_flavours(names: Iterable[str]) -> set[Detected]:
    """Return the zip-based formats whose required members are all present."""
    # OPC part names are case-insensitive, and some OFD writers vary the case too.
    lowered = {name.lower() for name in names}
    found = {Detected.OFD} if "ofd.xml" in lowered else set()
    if "[content_types].xml" in lowered:
        found.add(Detected.OOXML)
        for flavour, folder in _OOXML_MAIN_FOLDERS:
            if any(name.startswith(folder) for name in lowered):
                found.add(flavour)
    return found


def _check_zip_flavour(names: list[str], kind: FileKind) -> None:
    """Refuse an archive that is not the zip-based format its extension claims."""
    found = zip_flavours(names)
    if Detected(kind.value) in found:
        return
    other = sorted(found - {Detected.OOXML})
    if other:
        raise RejectedFile(RejectReason.CONTENT_MISMATCH, other[0])
    if Detected.OOXML in found and kind is not FileKind.OFD:
        # An Office package without its main part: damaged, or a format we don't know.
        raise RejectedFile(RejectReason.ZIP_MISSING_MEMBER, Detected.OOXML)
    raise RejectedFile(RejectReason.CONTENT_MISMATCH, min(found, default=Detected.ZIP))


def inspect_zip(
    fileobj: BinaryIO,
    *,
    max_entries: int = 1000,
    max_total: int = 200 * MiB,
    max_ratio: int = 100,
) -> list[str]:
    """Return the member names after vetting the central directory; never read a member."""
    _check_directory_size(fileobj, max_entries)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise RejectedFile(RejectReason.UNKNOWN_CONTENT, Detected.ZIP) from exc
    # Declared sizes are enough: zipfile stops inflating a member at its declared file_size.
    if len(infos) > max_entries or sum(info.file_size for info in infos) > max_total:
        raise RejectedFile(RejectReason.ZIP_BOMB, Detected.ZIP)
    for info in infos:
        _check_member(info, max_ratio)
    return [info.filename for info in infos]


_ENCRYPTED_FLAG = 0x1
_DRIVE = re.compile(r"[A-Za-z]:")


def _check_member(info: zipfile.ZipInfo, max_ratio: int) -> None:
    """Refuse a member that could escape a directory, link elsewhere, hide, or inflate."""
    name = info.filename
    unsafe_name = (
        not name
        or name.startswith("/")
        or "\\" in name
        or _DRIVE.match(name) is not None
        or ".." in name.split("/")
    )
    is_symlink = stat.S_ISLNK(info.external_attr >> 16)
    if unsafe_name or is_symlink or info.flag_bits & _ENCRYPTED_FLAG:
        raise RejectedFile(RejectReason.ZIP_UNSAFE_MEMBER, Detected.ZIP)
    # Multiplying avoids dividing by a compress_size of 0 (which is suspicious unless empty).
    if info.file_size > max_ratio * info.compress_size:
        raise RejectedFile(RejectReason.ZIP_BOMB, Detected.ZIP)


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
#: Generous room per central-directory entry (46-byte header + name + extra + comment).
_DIRECTORY_BYTES_PER_ENTRY = 1024


def _check_directory_size(fileobj: BinaryIO, max_entries: int) -> None:
    """Refuse an oversized central directory before zipfile turns it all into objects."""
    # Without this a 50 MB upload of empty members becomes ~1M ZipInfo objects in memory.
    stats = _directory_stats(fileobj)
    if stats is None:
        return  # no end record: zipfile reports the archive as corrupt
    entries, directory_size = stats
    if entries > max_entries or directory_size > max_entries * _DIRECTORY_BYTES_PER_ENTRY:
        raise RejectedFile(RejectReason.ZIP_BOMB, Detected.ZIP)


def _directory_stats(fileobj: BinaryIO) -> tuple[int, int] | None:
    """Return (entry count, central directory size) from the end records, if present."""
    end = fileobj.seek(0, os.SEEK_END)
    longest = _EOCD.size + 0xFFFF + _ZIP64_LOCATOR.size + _ZIP64_EOCD.size
    fileobj.seek(max(0, end - longest))
    tail = fileobj.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    fields = _EOCD.unpack_from(tail, at)
    entries, directory_size = fields[4], fields[5]
    if entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        return _zip64_stats(tail, at) or (entries, directory_size)
    return entries, directory_size


def _zip64_stats(tail: bytes, eocd_at: int) -> tuple[int, int] | None:
    """Return the ZIP64 counts stored just before the classic end record, if any."""
    locator_at = eocd_at - _ZIP64_LOCATOR.size
    record_at = locator_at - _ZIP64_EOCD.size
    if record_at < 0 or not tail.startswith(b"PK\x06\x07", locator_at):
        return None
    if not tail.startswith(b"PK\x06\x06", record_at):
        return None
    fields = _ZIP64_EOCD.unpack_from(tail, record_at)
    return fields[7], fields[8]


#: Line/paragraph separators, controls, format characters (bidi overrides) and lone surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Chromium and Safari ignore a ``filename*`` containing ``/`` or ``:`` (flask#3074).
_DROPPED_CHARS = frozenset("/\\:\x00")
_MAX_NAME_BYTES = 255
_MAX_EXTENSION_BYTES = 16


def clean_display_name(name: str) -> str:
    """Return a safe display name for an upload, keeping Chinese text and the extension."""
    name = unicodedata.normalize("NFC", name)
    kept = "".join(
        char
        for char in name
        if char not in _DROPPED_CHARS and unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    kept = re.sub(r"^[\s.]+", "", kept).rstrip()
    if not kept:
        raise RejectedFile(RejectReason.BAD_NAME)
    return _truncate_utf8(kept, _MAX_NAME_BYTES)


def _truncate_utf8(name: str, limit: int) -> str:
    """Shorten name to at most limit UTF-8 bytes, keeping the extension and whole characters."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension
    if not stem or len(suffix.encode()) > _MAX_EXTENSION_BYTES:
        stem, suffix = name, ""
    budget = limit - len(suffix.encode())
    # Cutting bytes can split the last character; "ignore" drops only that partial tail.
    return stem.encode()[:budget].decode("utf-8", "ignore").rstrip() + suffix
