"""Document API: metadata and content of stored documents, scoped and audited like the web."""

from flask import abort, send_file, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from emergency.api.common import api_user, errors
from emergency.audit.services import record_event
from emergency.auth.scoping import get_scoped_or_404
from emergency.database import mark_write_request
from emergency.documents.models import DocType, Document
from emergency.documents.services import MIMETYPES, open_document
from emergency.documents.storage import InvalidBlobPath
from emergency.extensions import db

blp = Blueprint("api_documents", __name__, url_prefix="/api/v1/documents",
                description="Documents of plan versions and evaluations")


class DocumentSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    plan_version_id = fields.Integer(allow_none=True)
    evaluation_id = fields.Integer(allow_none=True)
    doc_type = fields.String(metadata={"enum": [t.value for t in DocType]})
    #: The name the user uploaded, Chinese kept; the download is sent back under it.
    original_name = fields.String()
    #: The type established from the content, not from the name.
    kind = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by_id = fields.Integer(allow_none=True)
    uploaded_at = fields.AwareDateTime()
    content_url = fields.Function(
        lambda document: url_for("api_documents.document_content", document_id=document.id),
        metadata={"type": "string"})


@blp.route("/<int:document_id>")
@errors(blp, 404)
@blp.response(200, DocumentSchema)
def get_document(document_id: int):
    """Return the metadata of one document in the caller's scope."""
    return get_scoped_or_404(Document, document_id, api_user())


@blp.route("/<int:document_id>/content")
@errors(blp, 404)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
              description="The stored file, as an attachment named as it was uploaded "
                          "(RFC 5987 filename*).")
# The file goes out with the type established from its content, not always octet-stream.
@blp.doc(responses={"200": {"content": {
    mimetype: {"schema": {"type": "string", "format": "binary"}}
    for mimetype in sorted(set(MIMETYPES.values()))}}})
def document_content(document_id: int):
    """Send the file of a document; every download is audited."""
    mark_write_request()  # the download is audited
    document = get_scoped_or_404(Document, document_id, api_user())
    try:
        handle = open_document(document)
    except (FileNotFoundError, InvalidBlobPath):
        abort(404)
    name, kind, sha256 = document.original_name, document.kind, document.sha256
    record_event("download", document, label=name)
    try:
        db.session.commit()
    except Exception:
        handle.close()
        raise
    # Werkzeug sends an ASCII fallback plus filename*=UTF-8''... (RFC 5987) for Chinese names.
    return send_file(handle, mimetype=MIMETYPES.get(kind, "application/octet-stream"),
                     as_attachment=True, download_name=name, max_age=0, etag=sha256)
