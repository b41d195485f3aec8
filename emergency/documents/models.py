"""Stored documents attached to plan versions, evaluations and (later) drills."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db


class DocType(StrEnum):
    """What a document is, as the filing checklist names it."""

    FILING_FORM = "filing_form"  # 应急预案备案申报表
    REVIEW_OPINION = "review_opinion"  # 评审意见 / 评审纪要
    PLAN_TEXT = "plan_text"  # 应急预案文本 (电子文档)
    RISK_ASSESSMENT = "risk_assessment"  # 风险评估结果和应急资源调查清单
    ISSUED_TEXT = "issued_text"  # 正式印发文本
    DRAFTING_NOTES = "drafting_notes"  # 编制说明
    EVALUATION_REPORT = "evaluation_report"  # 评估报告
    DRILL_SCHEME = "drill_scheme"  # 演练方案
    DRILL_SCRIPT = "drill_script"  # 演练脚本
    DRILL_ASSESSMENT = "drill_assessment"  # 演练评估报告
    DRILL_SUMMARY = "drill_summary"  # 演练总结报告
    PHOTO = "photo"  # 现场照片
    SIGN_IN = "sign_in"  # 签到表
    ACTION_EVIDENCE = "action_evidence"  # 整改佐证材料
    OTHER = "other"


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        # CASE keeps it portable: PostgreSQL cannot add booleans.
        CheckConstraint(
            "(CASE WHEN plan_version_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN evaluation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN drill_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Denormalised owner unit: every download is scoped through it without joins.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    plan_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    drill_id: Mapped[int | None] = mapped_column(
        ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    #: The name the user uploaded (cleaned, Chinese kept); only ever shown and sent back.
    original_name: Mapped[str] = mapped_column(String(255))
    #: Generated "YYYY/MM/<uuid hex>" below UPLOAD_ROOT; never derived from the user's name.
    stored_path: Mapped[str] = mapped_column(String(60), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: The type established from the content (FileKind).
    kind: Mapped[str] = mapped_column(String(10))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.doc_type} {self.original_name!r}>"
