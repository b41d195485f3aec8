"""Document downloads: scoped, audited, sent back under the original (Chinese) name."""

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from emergency.audit.services import record_event
from emergency.auth.scoping import get_scoped_or_404
from emergency.database import mark_write_request
from emergency.documents.models import Document
from emergency.documents.services import MIMETYPES, open_document
from emergency.documents.storage import InvalidBlobPath
from emergency.extensions import db

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>/download")
@login_required
def download(document_id: int):
    """Send a document as an attachment named as it was uploaded."""
    mark_write_request()  # the download is audited
    document = get_scoped_or_404(Document, document_id, current_user)
    try:
        handle = open_document(document)
    except (FileNotFoundError, InvalidBlobPath):
        abort(404)
    record_event("download", document, label=document.original_name)
    try:
        db.session.commit()
    except Exception:
        handle.close()  # the error page is sent instead; do not leak the open file
        raise
    # Werkzeug sends an ASCII fallback plus filename*=UTF-8''... (RFC 5987) for Chinese names.
    return send_file(handle, mimetype=MIMETYPES.get(document.kind, "application/octet-stream"),
                     as_attachment=True, download_name=document.original_name,
                     max_age=0, etag=document.sha256)
