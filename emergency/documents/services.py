"""Save uploads as documents and send them back, with content checks and cleanup on failure."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from emergency.documents.models import Document
from emergency.documents.sniff import FileKind, RejectedFile, check_upload, clean_display_name
from emergency.documents.storage import delete_blob, open_blob, store_stream
from emergency.extensions import db

PLAN_FILE_KINDS = frozenset({
    FileKind.PDF, FileKind.DOC, FileKind.DOCX, FileKind.WPS, FileKind.OFD, FileKind.JPG, FileKind.PNG,
})


@dataclass(frozen=True)
class Owner:
    """Where a document belongs: exactly one of the owner ids, plus its unit for scoping."""

    unit_id: int
    plan_version_id: int | None = None
    evaluation_id: int | None = None
    drill_id: int | None = None
    action_id: int | None = None


def upload_root() -> Path:
    """Return the configured upload directory, creating it on first use."""
    root = Path(current_app.config["UPLOAD_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def save_upload(upload: FileStorage, owner: Owner, doc_type: str, user, today: date) -> Document:
    """Check an upload by name and content, store it under a generated name and add its row.

    Raises RejectedFile without leaving a file behind. The caller commits; if that fails, it
    must call discard_files() for the documents it saved.
    """
    name = clean_display_name(upload.filename or "")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    kind = check_upload(upload.stream, name, PLAN_FILE_KINDS, limit)
    blob = store_stream(upload.stream, upload_root(), max_bytes=limit, today=today)
    document = Document(
        unit_id=owner.unit_id, plan_version_id=owner.plan_version_id,
        evaluation_id=owner.evaluation_id, drill_id=owner.drill_id, action_id=owner.action_id,
        doc_type=doc_type, original_name=name,
        stored_path=blob.relative_path, sha256=blob.sha256, size=blob.size, kind=kind,
        uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def discard_files(documents) -> None:
    """Delete the stored files of documents whose rows were rolled back."""
    for document in documents:
        delete_blob(upload_root(), document.stored_path)


def open_document(document: Document):
    """Open a stored document for reading."""
    return open_blob(upload_root(), document.stored_path)


MIMETYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.DOC: "application/msword",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.WPS: "application/vnd.ms-works",
    FileKind.OFD: "application/ofd",
    FileKind.JPG: "image/jpeg",
    FileKind.PNG: "image/png",
}

__all__ = ["Owner", "RejectedFile", "save_upload", "discard_files", "open_document", "MIMETYPES"]
