"""Which documents a held drill's record should contain (演练指南 §6.4: 方案, 评估报告, 总结报告)."""

from sqlalchemy import select

from emergency.documents.models import DocType, Document
from emergency.extensions import db

REQUIRED_DRILL_DOCUMENTS = (DocType.DRILL_SCHEME, DocType.DRILL_ASSESSMENT, DocType.DRILL_SUMMARY)
RECOMMENDED_DRILL_DOCUMENTS = (DocType.DRILL_SCRIPT, DocType.PHOTO, DocType.SIGN_IN)
DRILL_DOC_TYPES = REQUIRED_DRILL_DOCUMENTS + RECOMMENDED_DRILL_DOCUMENTS + (DocType.OTHER,)


def missing_drill_documents(drill_id: int) -> list[DocType]:
    """Return the required record documents a drill does not have yet."""
    present = set(db.session.scalars(select(Document.doc_type).where(Document.drill_id == drill_id)))
    return [t for t in REQUIRED_DRILL_DOCUMENTS if t not in present]
