import io
import random
import re
import struct
import tracemalloc
import zipfile
import zlib

import pytest

from emergency.documents.sniff import (
    Detected,
    FileKind,
    RejectedFile,
    RejectReason,
    check_upload,
    clean_display_name,
    inspect_zip,
    kind_from_name,
    sniff,
)

from . import files

MiB = files.MiB
#: Plan uploads accept everything the sniffer knows except spreadsheets.
PLAN_KINDS = frozenset(FileKind) - {FileKind.XLSX}
LIMIT = 50 * MiB


@pytest.fixture(scope="session")
def zip_bomb_docx(tmp_path_factory):
    """Build the 1 GB-inflating DOCX once: writing it takes seconds."""
    return files.write_zip_bomb_docx(tmp_path_factory.mktemp("bomb") / "防汛预案.docx")


def _rejected(data: bytes, name: str, allowed=PLAN_KINDS, max_bytes=LIMIT) -> RejectedFile:
    """Return the RejectedFile that check_upload raises for data sent as name."""
    with pytest.raises(RejectedFile) as excinfo:
        check_upload(io.BytesIO(data), name, allowed, max_bytes)
    return excinfo.value


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", Detected.PDF),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), Detected.OLE2),
        (b"PK\x03\x04\x14\x00", Detected.ZIP),
        (b"PK\x05\x06" + bytes(18), Detected.ZIP),
        (b"\xff\xd8\xff\xe0", Detected.JPG),
        (b"\x89PNG\r\n\x1a\n", Detected.PNG),
        (b"MZ\x90\x00", Detected.EXE),
        (b"\x7fELF\x02", Detected.ELF),
        (b"#!/bin/sh\nrm -rf /\n", Detected.SCRIPT),
        (b"<!DOCTYPE html><html>", Detected.HTML),
        (b"\xef\xbb\xbf \r\n\t<HTML><body>", Detected.HTML),
        (b"  <?xml version='1.0'?><root/>", Detected.XML),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'>", Detected.SVG),
        (b"", None),
        (b"plain text, not a document", None),
        (b"PK\x01\x02", None),
        (b" %PDF-1.7", None),
    ],
)
def test_sniff_identifies_magic_bytes(head, expected):
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("预案.PDF", FileKind.PDF),
        ("照片.JPEG", FileKind.JPG),
        ("x.exe.pdf", FileKind.PDF),
        ("x.pdf.exe", None),
        ("C:\\fakepath\\预案.docx", FileKind.DOCX),
        ("dir.pdf/readme", None),
        ("pdf", None),
        ("x.pdf.", None),
    ],
)
def test_kind_from_name_uses_final_suffix_case_insensitively(name, expected):
    assert kind_from_name(name) == expected


GOOD_SAMPLES = [
    (files.pdf_bytes, "某某镇防汛应急预案（2025年修订）.pdf", FileKind.PDF),
    (files.docx_bytes, "某某镇防汛应急预案（2025年修订）.docx", FileKind.DOCX),
    (files.ofd_bytes, "应急预案.ofd", FileKind.OFD),
    (files.ole2_bytes, "旧版预案.doc", FileKind.DOC),
    (files.ole2_bytes, "旧版预案.wps", FileKind.WPS),
    (files.jpeg_bytes, "签到表.jpg", FileKind.JPG),
    (files.jpeg_bytes, "现场照片.JPEG", FileKind.JPG),
    (files.png_bytes, "演练照片.png", FileKind.PNG),
]


@pytest.mark.parametrize(("build", "name", "kind"), GOOD_SAMPLES)
def test_real_files_are_accepted_from_a_path(tmp_path, build, name, kind):
    path = files.write(tmp_path, name, build())
    assert check_upload(path, name, PLAN_KINDS, LIMIT) is kind


@pytest.mark.parametrize(("build", "name", "kind"), GOOD_SAMPLES)
def test_real_files_are_accepted_from_a_stream_and_its_position_restored(build, name, kind):
    stream = io.BytesIO(build())
    stream.seek(3)
    assert check_upload(stream, name, PLAN_KINDS, LIMIT) is kind
    assert stream.tell() == 3


def test_xlsx_is_accepted_only_where_allowed():
    data = files.xlsx_bytes()
    assert check_upload(io.BytesIO(data), "单位名单.xlsx", {FileKind.XLSX}, LIMIT) is FileKind.XLSX
    assert _rejected(data, "单位名单.xlsx").code is RejectReason.EXTENSION_NOT_ALLOWED


@pytest.mark.parametrize(
    ("data", "name", "code", "detected"),
    [
        (files.pe_bytes(), "预案.pdf", RejectReason.CONTENT_MISMATCH, Detected.EXE),
        (files.elf_bytes(), "预案.pdf", RejectReason.CONTENT_MISMATCH, Detected.ELF),
        (files.html_bytes(), "照片.jpg", RejectReason.CONTENT_MISMATCH, Detected.HTML),
        (files.plain_zip_bytes(), "预案.docx", RejectReason.CONTENT_MISMATCH, Detected.ZIP),
        (files.zip_without_ofd_xml(), "预案.ofd", RejectReason.CONTENT_MISMATCH, Detected.ZIP),
        (files.xlsx_bytes(), "预案.docx", RejectReason.CONTENT_MISMATCH, Detected.XLSX),
        (files.docx_bytes(), "预案.ofd", RejectReason.CONTENT_MISMATCH, Detected.DOCX),
        (files.ofd_bytes(), "预案.docx", RejectReason.CONTENT_MISMATCH, Detected.OFD),
        (files.docx_bytes(), "预案.pdf", RejectReason.CONTENT_MISMATCH, Detected.ZIP),
        (files.pdf_bytes(), "预案.doc", RejectReason.CONTENT_MISMATCH, Detected.PDF),
        (files.png_bytes(), "照片.jpg", RejectReason.CONTENT_MISMATCH, Detected.PNG),
        (files.pe_bytes(), "setup.exe", RejectReason.EXTENSION_NOT_ALLOWED, Detected.EXE),
        (files.pdf_bytes(), "预案.pdf.exe", RejectReason.EXTENSION_NOT_ALLOWED, Detected.PDF),
        (files.pdf_bytes(), "预案", RejectReason.EXTENSION_NOT_ALLOWED, Detected.PDF),
        (b"", "预案.pdf", RejectReason.EMPTY, None),
        (b"just some text", "预案.pdf", RejectReason.UNKNOWN_CONTENT, None),
        (b"PK\x03\x04" + bytes(100), "预案.docx", RejectReason.UNKNOWN_CONTENT, Detected.ZIP),
        (files.traversal_zip_bytes(), "预案.docx", RejectReason.ZIP_UNSAFE_MEMBER, Detected.ZIP),
    ],
)
def test_spoofed_and_hostile_uploads_are_rejected(data, name, code, detected):
    error = _rejected(data, name)
    assert (error.code, error.detected) == (code, detected)


def test_docx_carrying_a_traversal_member_is_rejected():
    data = files.add_members(files.docx_bytes(), {"../evil.txt": "pwned"})
    assert _rejected(data, "预案.docx").code is RejectReason.ZIP_UNSAFE_MEMBER


def test_office_package_without_its_main_part_is_missing_a_member():
    data = files.zip_bytes({"[Content_Types].xml": files.CONTENT_TYPES, "docProps/app.xml": ""})
    error = _rejected(data, "预案.docx")
    assert (error.code, error.detected) == (RejectReason.ZIP_MISSING_MEMBER, Detected.OOXML)


def test_upload_over_the_limit_is_too_large():
    data = files.pdf_bytes()
    assert check_upload(io.BytesIO(data), "预案.pdf", PLAN_KINDS, len(data)) is FileKind.PDF
    assert _rejected(data, "预案.pdf", max_bytes=len(data) - 1).code is RejectReason.TOO_LARGE


def test_zip_bomb_docx_is_rejected_without_inflating(zip_bomb_docx, monkeypatch):
    def refuse_to_read(*args, **kwargs):
        raise AssertionError("a zip member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_to_read)
    tracemalloc.start()
    try:
        with pytest.raises(RejectedFile) as excinfo:
            check_upload(zip_bomb_docx, "防汛预案.docx", PLAN_KINDS, LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert excinfo.value.code is RejectReason.ZIP_BOMB
    assert peak < 50 * MiB


def test_zip_bomb_fixture_really_is_a_bomb(zip_bomb_docx):
    with zipfile.ZipFile(zip_bomb_docx) as archive:
        declared = archive.getinfo("word/document.xml").file_size
    assert declared == files.GiB
    assert zip_bomb_docx.stat().st_size < 2 * MiB


def _inspect(data: bytes, **limits) -> list[str]:
    """Run inspect_zip over in-memory archive bytes."""
    return inspect_zip(io.BytesIO(data), **limits)


def _inspect_error(data: bytes, **limits) -> RejectReason:
    """Return the code inspect_zip rejects data with."""
    with pytest.raises(RejectedFile) as excinfo:
        _inspect(data, **limits)
    return excinfo.value.code


def test_inspect_zip_returns_member_names():
    assert _inspect(files.ofd_bytes()) == ["OFD.xml", "Doc_0/Document.xml"]


UNSAFE_MEMBER_NAMES = [
    "../evil.txt",
    "word/../../evil.txt",
    "/etc/passwd",
    "word\\..\\evil.txt",
    "C:/Windows/evil.dll",
    "c:evil.txt",
]


@pytest.mark.parametrize("name", UNSAFE_MEMBER_NAMES)
def test_inspect_zip_refuses_unsafe_member_names(name):
    data = files.zip_bytes({"[Content_Types].xml": files.CONTENT_TYPES, name: "x"})
    assert _inspect_error(data) is RejectReason.ZIP_UNSAFE_MEMBER


def test_inspect_zip_refuses_symlinks():
    assert _inspect_error(files.symlink_zip_bytes()) is RejectReason.ZIP_UNSAFE_MEMBER


def test_inspect_zip_refuses_encrypted_members():
    data = files.patch_first_member(files.zip_bytes({"a.xml": "x" * 10}), flag_bits=0x1)
    assert _inspect_error(data) is RejectReason.ZIP_UNSAFE_MEMBER


def test_inspect_zip_refuses_too_many_entries():
    data = files.zip_bytes({f"word/part{i}.xml": "" for i in range(1001)})
    assert _inspect_error(data) is RejectReason.ZIP_BOMB
    assert len(_inspect(data, max_entries=1001)) == 1001


def test_inspect_zip_refuses_a_large_total_size():
    # Random bytes barely compress, so only the total can trip.
    noise = random.Random(2025)
    data = files.zip_bytes({"a.bin": noise.randbytes(3000), "b.bin": noise.randbytes(3000)})
    assert _inspect_error(data, max_total=5999) is RejectReason.ZIP_BOMB
    assert len(_inspect(data, max_total=6000)) == 2


def test_inspect_zip_refuses_a_high_compression_ratio():
    data = files.zip_bytes({"word/document.xml": bytes(MiB)})
    assert _inspect_error(data) is RejectReason.ZIP_BOMB
    assert _inspect(data, max_ratio=2000) == ["word/document.xml"]


def test_inspect_zip_treats_content_from_nothing_as_a_bomb():
    # A stored empty member has compress_size 0; declaring a size for it cannot be honest.
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("empty.txt", b"")
    assert _inspect(stored.getvalue()) == ["empty.txt"]
    data = files.patch_first_member(stored.getvalue(), file_size=10)
    assert _inspect_error(data) is RejectReason.ZIP_BOMB


def _declare_entries(data: bytes, count: int) -> bytes:
    """Return the archive with its end record claiming count entries."""
    patched = bytearray(data)
    struct.pack_into("<HH", patched, len(patched) - 22 + 8, count, count)
    return bytes(patched)


def test_inspect_zip_refuses_a_huge_central_directory_before_parsing_it(monkeypatch):
    data = _declare_entries(files.zip_bytes({"a.txt": "x"}), 5000)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # proves zipfile never parses it
    assert _inspect_error(data) is RejectReason.ZIP_BOMB


def test_inspect_zip_counts_entries_itself_when_the_end_record_lies():
    data = files.zip_bytes({f"word/part{i}.xml": "" for i in range(1001)})
    assert _inspect_error(_declare_entries(data, 5)) is RejectReason.ZIP_BOMB


def test_inspect_zip_reads_zip64_end_records():
    data = files.with_zip64_end(files.ofd_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["OFD.xml", "Doc_0/Document.xml"]
    assert _inspect(data) == ["OFD.xml", "Doc_0/Document.xml"]
    assert _inspect_error(files.with_zip64_end(files.ofd_bytes(), entries=5000)) is (
        RejectReason.ZIP_BOMB
    )


@pytest.mark.parametrize("data", [b"PK\x03\x04" + bytes(100), b"PK\x05\x06", b"", b"PK"])
def test_inspect_zip_reports_corrupt_archives_as_unknown_zip_content(data):
    with pytest.raises(RejectedFile) as excinfo:
        _inspect(data)
    assert (excinfo.value.code, excinfo.value.detected) == (
        RejectReason.UNKNOWN_CONTENT,
        Detected.ZIP,
    )


def test_inspect_zip_accepts_an_empty_archive():
    assert _inspect(files.zip_bytes({})) == []


def test_ofd_xml_must_sit_at_the_root():
    assert _rejected(files.zip_without_ofd_xml(), "预案.ofd").code is RejectReason.CONTENT_MISMATCH
    assert check_upload(io.BytesIO(files.ofd_bytes()), "预案.OFD", PLAN_KINDS, LIMIT) is FileKind.OFD


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("某某镇防汛应急预案（2025年修订）.docx", "某某镇防汛应急预案（2025年修订）.docx"),
        ("../../etc/passwd.pdf", "etcpasswd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("a/b.pdf", "ab.pdf"),
        ("CON.pdf", "CON.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("预案\r\n\t\x1b[31m.pdf", "预案[31m.pdf"),
        ("报告\u202egpj.exe", "报告gpj.exe"),
        ("D:预案.pdf", "D预案.pdf"),
        ("  .hidden 预案 .pdf  ", "hidden 预案 .pdf"),
        ("e\u0301.pdf", "\u00e9.pdf"),
        ("\ud800预案.pdf", "预案.pdf"),
    ],
)
def test_clean_display_name(name, expected):
    assert clean_display_name(name) == expected


@pytest.mark.parametrize("name", files.TRAVERSAL_NAMES)
def test_clean_display_name_never_keeps_separators_or_controls(name):
    cleaned = clean_display_name(name)
    assert not re.search(r"[/\\:\x00-\x1f\x7f]", cleaned)
    assert not cleaned.startswith(".")


def test_clean_display_name_truncates_long_chinese_names_keeping_the_extension():
    name = "应急预案" * 250 + ".docx"
    cleaned = clean_display_name(name)
    encoded = cleaned.encode()
    assert len(encoded) <= 255
    assert cleaned.endswith(".docx")
    assert name.startswith(cleaned.removesuffix(".docx"))
    assert len(encoded) > 250  # only the partial last character was given up


def test_clean_display_name_truncates_a_long_name_without_extension():
    cleaned = clean_display_name("预" * 1000)
    assert cleaned == "预" * 85


@pytest.mark.parametrize("name", ["", "   ", "...", "../", "\x00\x01", "/\\:"])
def test_clean_display_name_rejects_names_that_clean_to_nothing(name):
    with pytest.raises(RejectedFile) as excinfo:
        clean_display_name(name)
    assert excinfo.value.code is RejectReason.BAD_NAME


def test_rejected_file_carries_codes_not_text():
    error = RejectedFile(RejectReason.CONTENT_MISMATCH, Detected.EXE)
    assert (error.code, error.detected) == ("content_mismatch", "exe")
    assert error.args == (RejectReason.CONTENT_MISMATCH, Detected.EXE)


def test_pdf_fixture_xref_points_at_its_objects():
    data = files.pdf_bytes()
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[xref_at:].startswith(b"xref\n0 6\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", data[xref_at:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset):].startswith(b"%d 0 obj\n" % number)


def test_png_fixture_chunks_have_valid_crcs():
    data = files.png_bytes()
    at, kinds = 8, []
    while at < len(data):
        (length,) = struct.unpack_from(">I", data, at)
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack_from(">I", data, at + 8 + length)
        assert crc == zlib.crc32(kind + body)
        kinds.append(kind)
        at += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_jpeg_fixture_segments_are_well_formed():
    data = files.jpeg_bytes()
    assert data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")
    at, markers = 2, []
    while data[at + 1] != 0xDA:
        (length,) = struct.unpack_from(">H", data, at + 2)
        markers.append(data[at + 1])
        at += 2 + length
    assert markers == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4]
