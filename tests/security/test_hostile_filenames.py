"""Hostile upload file names through every upload route: no 500, nothing outside the upload root.

Each name goes, with valid content, through the plan document upload (page and API), the drill
document upload (page and API) and the spreadsheet import upload. The multipart bodies are built
by hand, as a browser sends them (WHATWG form encoding escapes only '"', CR and LF), so control
characters, NUL, bidi overrides and 1,000-character names reach the server as raw bytes.

For every name: the answer is not a 5xx; nothing is written outside UPLOAD_ROOT (the whole
temporary folder is walked before and after); what is stored has a generated name; an accepted
document keeps the readable part of its name, and its download's Content-Disposition is one
header line that decodes to exactly that name. An explicit corpus runs first, then hypothesis
(derandomised, bounded) generates more.
"""

import io
import re
import unicodedata
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from werkzeug.http import parse_options_header

from emergency.auth.models import Role
from emergency.auth.services import create_token
from emergency.documents.models import Document
from emergency.extensions import db
from tests.factories import log_in
from tests.security.conftest import walk

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV = "单位名称,单位类别,所在区划\n花园街道供热公司,企业,231102001\n".encode("utf-8-sig")
BLOB = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9a-f]{32}")
IMPORT_BLOB = re.compile(r"imports/[0-9a-f]{32}\.(csv|xlsx)")

#: The explicit corpus; each stem is tried with the extensions of the route (see `named`).
CORPUS = [
    "2025年防汛应急预案（修订稿）",
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\system32\\config",
    "/etc/cron.d/evil",
    "C:\\Windows\\evil",
    "\\\\server\\share\\evil",
    "a/b/c",
    "预案\u202egpj.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as 预案exe.jpg
    "\u202d\u2066预案\u2069\u200f",
    "e\u0301\u0301\u0301\u0301\u0301 Z\u0351\u0352\u0353\u0354\u0355\u0356 组合字符",
    "tab\there\nnewline\rreturn",
    "bell\x07escape\x1b[31mred\x7f",
    "nul\x00byte",
    "CON", "NUL", "COM1", "LPT1", "aux", "con.txt",
    "x" * 1000,
    "预" * 1000,
    "",
    ".", "..", "...", " . . ",
    "<script>alert(1)</script>",
    "a\";b='c'&d",
    "%2e%2e%2fencoded",
    "\ufeffbom",
    "\ud7ff\ue000\uffff\U0010ffff",
    "名" + "\u3000" * 5 + "全角空格",
]
#: Each corpus stem is sent as is and with an extension the route accepts.
DOCUMENT_EXTENSION = ".pdf"
IMPORT_EXTENSION = ".csv"


def as_sent(filename: str) -> str:
    """The name as a browser puts it in the multipart header (WHATWG form encoding)."""
    return filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def short(name: str) -> str:
    return repr(name if len(name) < 60 else name[:40] + "…" + name[-10:])


def multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser builds it, with the file name as raw UTF-8."""
    boundary = f"----hostile{uuid.uuid4().hex}"
    escaped = as_sent(filename).encode("utf-8", "surrogatepass")
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                   f"{value}\r\n".encode())
    body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'
               .encode() + escaped + b'"\r\nContent-Type: application/octet-stream\r\n\r\n')
    body.write(content + f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def readable(name: str) -> str:
    """The letters and digits of a name: what a person reads in it."""
    return "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] in "LN")


class Uploads:
    """The five upload routes, on one draft plan version and one held drill of 爱辉区."""

    def __init__(self, app, tree, make_unit, make_user):
        from emergency.drills.models import Drill
        from emergency.plans.models import Plan, PlanVersion

        unit = make_unit(tree.town_a, name="花园街道供热公司")
        plan = Plan(unit_id=unit.id, title="供热公司综合应急预案", category="overall",
                    hazard_class="comprehensive")
        version = PlanVersion(plan=plan, unit_id=unit.id, number=1, issued_on=date(2026, 3, 1),
                              signer_role="principal", filing_state="draft")
        drill = Drill(unit_id=unit.id, title="供热管网泄漏应急演练", status="held",
                      planned_on=date(2026, 3, 2), held_on=date(2026, 3, 2), form="live",
                      scope="comprehensive", purpose="inspection")
        db.session.add_all([plan, version, drill])
        db.session.commit()
        self.admin = make_user(Role.ADMIN, username="uploader")
        _token, secret = create_token(self.admin, "uploads")
        db.session.commit()
        self.bearer = {"Authorization": f"Bearer {secret}"}
        self.client = app.test_client()
        log_in(self.client, self.admin)
        self.routes = {
            "plan page": (f"/plans/versions/{version.id}/documents", {"doc_type": "plan_text"},
                          PDF, False),
            "plan API": (f"/api/v1/versions/{version.id}/documents", {"doc_type": "plan_text"},
                         PDF, True),
            "drill page": (f"/drills/{drill.id}/documents", {"doc_type": "drill_scheme"}, PDF,
                           False),
            "drill API": (f"/api/v1/drills/{drill.id}/documents", {"doc_type": "drill_scheme"},
                          PDF, True),
            "import": ("/imports/", {"kind": "units"}, CSV, False),
        }

    def send(self, route: str, filename: str):
        url, fields, content, api = self.routes[route]
        body, content_type = multipart(fields, filename, content)
        return self.client.post(url, data=body, content_type=content_type,
                                headers=self.bearer if api else {})


@pytest.fixture
def uploads(app, tree, make_unit, make_user, tmp_path):
    root = tmp_path / "inside" / "uploads"
    app.config["UPLOAD_ROOT"] = str(root)
    yield Uploads(app, tree, make_unit, make_user)
    from emergency.plans.models import Plan

    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None))
    db.session.commit()


STATS = {"names": set(), "requests": 0, "accepted": 0, "imports": 0}


def check_name(app, uploads: Uploads, tmp_path: Path, filename: str) -> list[str]:
    """Send one name through every route; return what went wrong."""
    root = Path(app.config["UPLOAD_ROOT"])
    problems = []
    STATS["names"].add(filename)
    for route in uploads.routes:
        name = filename
        if route == "import" and not filename.endswith(IMPORT_EXTENSION):
            name = filename + IMPORT_EXTENSION  # otherwise refused before anything is stored
        before_files = walk(tmp_path)
        before_id = db.session.scalar(select(func.max(Document.id))) or 0
        response = uploads.send(route, name)
        STATS["requests"] += 1
        where = f"{route} {short(name)}"
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code}")
            continue
        if route == "import" and response.status_code == 302:
            # The dry-run page shows the file name: it must render, escaped.
            STATS["imports"] += 1
            page = uploads.client.get(response.headers["Location"])
            if page.status_code >= 500 or "<script>alert(1)" in page.text:
                problems.append(f"{where}: the dry-run page answered {page.status_code}")
        new = walk(tmp_path) - before_files
        outside = {p for p in new if p != "inside" and not p.startswith("inside/uploads")}
        if outside:
            problems.append(f"{where}: wrote outside the upload root: {sorted(outside)}")
        prefix = "inside/uploads/"
        stored = {p[len(prefix):] for p in new
                  if p.startswith(prefix) and (root / p[len(prefix):]).is_file()}
        bad = {p for p in stored if not (BLOB.fullmatch(p) or IMPORT_BLOB.fullmatch(p))}
        if bad:
            problems.append(f"{where}: stored under a name it did not generate: {sorted(bad)}")
        db.session.rollback()
        documents = db.session.scalars(select(Document).where(Document.id > before_id)).all()
        STATS["accepted"] += bool(documents)
        for document in documents:
            problems += check_document(uploads, document, as_sent(name), where)
    return problems


def check_document(uploads: Uploads, document: Document, sent: str, where: str) -> list[str]:
    problems = []
    name = document.original_name
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") or c in "/\\:"
           for c in name) or len(name.encode()) > 255 or not name.strip(" ."):
        problems.append(f"{where}: unsafe display name {short(name)}")
    original = readable(sent.replace("%22", '"'))  # Werkzeug decodes %22 (WHATWG) back
    if len(sent.encode()) <= 255:
        if readable(name) != original:
            problems.append(f"{where}: lost readable text {original!r} -> {short(name)}")
    else:
        stem, _dot, extension = name.rpartition(".")
        if not (readable(stem) and original.startswith(readable(stem))
                and sent.endswith("." + extension)):
            problems.append(f"{where}: shortened without its start or extension: {short(name)}")
    response = uploads.client.get(f"/documents/{document.id}/download")
    disposition = response.headers.get("Content-Disposition", "")
    response.close()
    if response.status_code != 200:
        problems.append(f"{where}: download answered {response.status_code}")
    elif any(c in disposition for c in "\r\n\x00"):
        problems.append(f"{where}: Content-Disposition spans lines: {disposition!r}")
    else:
        kind, params = parse_options_header(disposition)
        if kind != "attachment" or params.get("filename") != name:
            problems.append(f"{where}: downloaded as {short(params.get('filename', ''))}, "
                            f"not {short(name)}")
    return problems


def test_the_corpus_is_handled_safely_on_every_upload_route(app, uploads, tmp_path):
    problems = []
    for stem in CORPUS:
        for filename in (stem, stem + DOCUMENT_EXTENSION):
            problems += check_name(app, uploads, tmp_path, filename)
    assert not problems, "\n".join(problems[:40])
    # Control: the ordinary names were accepted and stored, so the checks above saw real files.
    assert STATS["accepted"] >= 20 and STATS["imports"] >= 10, STATS
    print(f"\ncorpus: {len(STATS['names'])} names, {STATS['requests']} uploads, "
          f"{STATS['accepted']} stored as documents, {STATS['imports']} imports checked")


NAME_CHARACTERS = st.characters(codec="utf-8", exclude_categories=["Cs"])
NAMES = st.one_of(
    st.text(NAME_CHARACTERS, max_size=40),
    st.builds(lambda stem, ext: stem + ext, st.text(NAME_CHARACTERS, max_size=300),
              st.sampled_from([".pdf", ".PDF", ".csv", ".pdf\u202e", "./", "\\..", ""])),
    st.builds(lambda parts: "/".join(parts) + ".pdf",
              st.lists(st.sampled_from(["..", ".", "", "etc", "预案", "\\", "C:"]), max_size=6)),
)


@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(filename=NAMES)
def test_generated_names_are_handled_safely_on_every_upload_route(app, uploads, tmp_path,
                                                                   filename):
    problems = check_name(app, uploads, tmp_path, filename)
    assert not problems, "\n".join(problems)
