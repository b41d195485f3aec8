"""Build real sample files, and hostile ones, for upload tests."""

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import openpyxl

MiB = 1024 * 1024
GiB = 1024 * MiB
PLAN_TITLE = "某某镇防汛应急预案（2025年修订）"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
OFD_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD">'
    "<ofd:DocBody><ofd:DocInfo><ofd:DocID>3f1c2a9e0b7d4c55a1e8f06b2d9c4e71</ofd:DocID>"
    f"<ofd:Title>{PLAN_TITLE}</ofd:Title></ofd:DocInfo>"
    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
OFD_DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData>'
    "<ofd:MaxUnitID>1</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
    "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages/></ofd:Document>"
)

#: Names users (or attackers) send, for clean_display_name.
TRAVERSAL_NAMES = ("../../etc/passwd.pdf", "..\\..\\x.pdf", "a/b.pdf", "CON.pdf", "a\x00b.pdf")


def write(directory: Path, name: str, data: bytes) -> Path:
    """Write data to directory/name and return the path."""
    path = directory / name
    path.write_bytes(data)
    return path


def _member(name: str) -> zipfile.ZipInfo:
    """Return a member header with a fixed date, so archives are reproducible."""
    return zipfile.ZipInfo(name, (2025, 3, 1, 0, 0, 0))


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    """Return a deflated zip archive holding members, names kept exactly as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(_member(name), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def add_members(archive_bytes: bytes, members: dict[str, bytes | str]) -> bytes:
    """Return a copy of a zip archive with extra members appended."""
    buffer = io.BytesIO(archive_bytes)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(_member(name), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """Return a small, structurally valid one-page PDF with correct xref offsets."""
    content = b"BT /F1 12 Tf 20 100 Td (Flood emergency plan) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    # The binary comment tells transfer tools the file is not text.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def docx_bytes(title: str = PLAN_TITLE) -> bytes:
    """Return a Word document made by python-docx, with Chinese text."""
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("一、总则：为有效应对汛期洪涝灾害，保障人民群众生命财产安全，制定本预案。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """Return a workbook made by openpyxl, with Chinese text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "单位"
    sheet.append(["单位名称", "统一社会信用代码", "预案数"])
    sheet.append(["某某镇人民政府", "11330100002498734X", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    """Return a minimal OFD package (GB/T 33190): OFD.xml at the root plus one document."""
    return zip_bytes({"OFD.xml": OFD_XML, "Doc_0/Document.xml": OFD_DOCUMENT_XML})


def ole2_bytes() -> bytes:
    """Return a 512-byte OLE2 compound file header (what legacy .doc/.wps files start with)."""
    end_of_chain, free = 0xFFFFFFFE, 0xFFFFFFFF
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    # Minor and major version (3 = 512-byte sectors), byte order mark, sector shifts 9 and 6.
    versions = struct.pack("<5H", 0x003E, 0x0003, 0xFFFE, 9, 6)
    # Sector counts and chain starts of an empty file; 0x1000 is the mini-stream cutoff.
    tables = struct.pack("<9L", 0, 0, end_of_chain, 0, 0x1000, end_of_chain, 0, end_of_chain, 0)
    difat = struct.pack("<109L", *[free] * 109)
    return magic + bytes(16) + versions + bytes(6) + tables + difat


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk with its length and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes() -> bytes:
    """Return a valid 1x1 red RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB, no interlace
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter type 0, then one red pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    """Return one JPEG marker segment; the length counts itself but not the marker."""
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def jpeg_bytes() -> bytes:
    """Return a minimal baseline JPEG: one 8x8 grey block, all coefficients zero."""
    one_code_of_length_1 = bytes([1]) + bytes(15)
    segments = (
        b"\xff\xd8",  # SOI
        _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _jpeg_segment(0xDB, b"\x00" + bytes([1] * 64)),  # quantisation table 0
        _jpeg_segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"),  # 1x1, 1 component
        _jpeg_segment(0xC4, b"\x00" + one_code_of_length_1 + b"\x00"),  # DC: "0" = diff 0
        _jpeg_segment(0xC4, b"\x10" + one_code_of_length_1 + b"\x00"),  # AC: "0" = EOB
        _jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        b"\x3f",  # bits "00" (DC diff 0, EOB) padded with 1s
        b"\xff\xd9",  # EOI
    )
    return b"".join(segments)


def pe_bytes() -> bytes:
    """Return the start of a Windows executable (DOS stub)."""
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    return stub + bytes(48) + b"This program cannot be run in DOS mode.\r\r\n$" + bytes(64)


def elf_bytes() -> bytes:
    """Return the start of a 64-bit little-endian ELF executable."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(44)


def html_bytes() -> bytes:
    """Return a script-bearing HTML page behind a BOM and blank lines."""
    return b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def plain_zip_bytes() -> bytes:
    """Return a zip that is no office or OFD format."""
    return zip_bytes({"readme.txt": "说明", "data/table.csv": "a,b\n1,2\n"})


def zip_without_ofd_xml() -> bytes:
    """Return an OFD-looking package that lacks its root OFD.xml."""
    return zip_bytes({"Doc_0/Document.xml": OFD_DOCUMENT_XML, "Doc_0/OFD.xml": OFD_XML})


def traversal_zip_bytes() -> bytes:
    """Return a zip with a member that would be extracted outside the target directory."""
    return zip_bytes({"../evil.txt": "pwned"})


def symlink_zip_bytes() -> bytes:
    """Return a zip whose only member is a Unix symlink to /etc/passwd."""
    info = _member("word/link.xml")
    info.create_system = 3  # Unix, so external_attr carries a st_mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def patch_first_member(
    archive_bytes: bytes, *, flag_bits: int | None = None, file_size: int | None = None
) -> bytes:
    """Return a zip with fields of its first central-directory entry overwritten."""
    # zipfile cannot write encrypted entries or lie about sizes, so hostile archives are patched.
    data = bytearray(archive_bytes)
    at = data.index(b"PK\x01\x02")
    if flag_bits is not None:
        struct.pack_into("<H", data, at + 8, flag_bits)
    if file_size is not None:
        struct.pack_into("<L", data, at + 24, file_size)
    return bytes(data)


def with_zip64_end(archive_bytes: bytes, *, entries: int | None = None) -> bytes:
    """Return the archive ended by ZIP64 records, as some writers emit even for small files."""
    eocd_at = len(archive_bytes) - 22  # assumes no archive comment
    fields = struct.unpack_from("<4s4H2LH", archive_bytes, eocd_at)
    count = fields[4] if entries is None else entries
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, fields[5], fields[6]
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd_at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return archive_bytes[:eocd_at] + record + locator + end


def write_zip_bomb_docx(path: Path, *, size: int = GiB, chunk: int = 4 * MiB) -> Path:
    """Write a DOCX-shaped zip whose word/document.xml inflates to size zero bytes."""
    zeros = bytes(chunk)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        # Streaming keeps the builder's own memory at one chunk instead of a gigabyte.
        with archive.open("word/document.xml", "w") as member:
            for _ in range(size // chunk):
                member.write(zeros)
    return path
