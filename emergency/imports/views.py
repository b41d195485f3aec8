"""Import pages: download a template, upload a file, read the dry-run report, confirm.

The upload is kept under UPLOAD_ROOT/imports/<uuid>.<xlsx|csv>; the page addresses carry a
signed token naming that file, its SHA-256, the kind of import and the user, so nothing is
stored in the database between the dry run and the confirmation, and a file changed on disk
or a token of another user is refused. The dry run is a GET (a read-only transaction, so on
SQLite it does not hold the write lock while a large file is checked).
"""

import io
import re
import time
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer

from emergency.audit.services import record_event
from emergency.extensions import db
from emergency.imports import services
from emergency.imports.forms import KIND_LABELS, ConfirmForm, UploadForm
from emergency.imports.readers import ImportRefused, save_stream
from emergency.imports.report import ImportReport, refusal_message
from emergency.imports.templates import FILE_NAMES, template_bytes

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: How long an uploaded file waits for its confirmation.
KEEP_SECONDS = 24 * 3600
_FILE_ID = re.compile(r"[0-9a-f]{32}")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_editor() -> None:
    if not current_user.can_edit:
        abort(403)


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_ROOT"]) / "imports"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="emergency.imports")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """Templates to download and the upload form."""
    _require_editor()
    form = UploadForm()
    if form.validate_on_submit():
        try:
            token = _keep_upload(form)
        except ImportRefused as error:
            form.file.errors = [refusal_message(error)]
        else:
            return redirect(url_for("imports.check", token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("imports/index.html", form=form, kinds=KIND_LABELS,
                           max_rows=services.max_rows()), status


def _keep_upload(form: UploadForm) -> str:
    upload = form.file.data
    name = (getattr(upload, "filename", "") or "").strip()
    fmt = name.rpartition(".")[2].lower() if "." in name else ""
    if fmt not in ("xlsx", "csv"):
        raise ImportRefused("format")
    _sweep()
    file_id = uuid.uuid4().hex
    sha256, _size = save_stream(upload.stream, _folder() / f"{file_id}.{fmt}",
                                services.max_bytes())
    payload = {"f": file_id, "x": fmt, "h": sha256, "k": form.kind.data, "u": current_user.id,
               "n": re.split(r"[\\/]", name)[-1][:200]}
    return _serializer().dumps(payload)


def _sweep() -> None:
    """Delete uploads nobody confirmed within KEEP_SECONDS."""
    folder = _folder()
    if not folder.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if _FILE_ID.fullmatch(path.stem) and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _upload(token: str) -> tuple[dict, Path]:
    """Return the token's payload and file, or abort 404 / raise ImportRefused."""
    try:
        payload = _serializer().loads(token, max_age=KEEP_SECONDS)
    except BadSignature:
        abort(404)
    valid = (payload.get("u") == current_user.id and payload.get("k") in services.KINDS
             and _FILE_ID.fullmatch(str(payload.get("f"))) and payload.get("x") in ("xlsx", "csv"))
    if not valid:
        abort(404)
    path = _folder() / f"{payload['f']}.{payload['x']}"
    if not path.is_file():
        raise ImportRefused("expired")
    if _sha256(path) != payload["h"]:
        raise ImportRefused("changed")
    return payload, path


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _refused_page(token: str, error: ImportRefused, status: int = 410):
    report = ImportReport(kind="", file_name="", refusal=refusal_message(error))
    return render_template("imports/report.html", report=report, token=token, form=None,
                           kinds=KIND_LABELS), status


@bp.route("/template/<kind>.xlsx")
@login_required
def template(kind: str):
    """Download the XLSX template (Chinese headers, instructions, the user's regions)."""
    _require_editor()
    if kind not in services.KINDS:
        abort(404)
    data = template_bytes(kind, current_user, services.max_rows())
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=FILE_NAMES[kind])


@bp.route("/check/<token>")
@login_required
def check(token: str):
    """The dry run: what each row would do and every error; nothing is written."""
    _require_editor()
    try:
        payload, path = _upload(token)
    except ImportRefused as error:
        return _refused_page(token, error)
    report = services.run_import(payload["k"], path, payload["x"], current_user,
                                 file_name=payload["n"])
    form = ConfirmForm(upload=token, skip_invalid=report.error_rows > 0)
    return render_template("imports/report.html", report=report, token=token, form=form,
                           kinds=KIND_LABELS)


@bp.route("/apply", methods=["POST"])
@login_required
def apply():
    """Write the file in one transaction, or nothing; list new liaison passwords once."""
    _require_editor()
    form = ConfirmForm()
    if not form.validate_on_submit() or not form.upload.data:
        abort(400)
    token = form.upload.data
    try:
        payload, path = _upload(token)
    except ImportRefused as error:
        return _refused_page(token, error)
    report = services.run_import(payload["k"], path, payload["x"], current_user,
                                 file_name=payload["n"], apply=True,
                                 skip_invalid=bool(form.skip_invalid.data))
    if not report.applied:
        return render_template("imports/report.html", report=report, token=token,
                               form=ConfirmForm(upload=token, skip_invalid=report.error_rows > 0),
                               kinds=KIND_LABELS), 409
    record_event("import", label=payload["n"][:200],
                 changes={"kind": payload["k"], "sha256": payload["h"], **report.counts})
    db.session.commit()
    path.unlink(missing_ok=True)
    return render_template("imports/done.html", report=report, kinds=KIND_LABELS)
