"""Plan, version, filing event, evaluation and revision item models."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db
from emergency.units.models import Unit


class PlanCategory(StrEnum):
    OVERALL = "overall"  # 总体 / 综合应急预案
    SPECIAL = "special"  # 专项应急预案
    DEPARTMENT = "department"  # 部门应急预案
    ONSITE = "onsite"  # 现场处置方案
    MAJOR_EVENT = "major_event"  # 重大活动保障应急预案
    JOINT = "joint"  # 联合应急预案
    VILLAGE_BRIEF = "village_brief"  # 村(社区)简明应急预案
    ENVIRONMENTAL = "environmental"  # 突发环境事件应急预案


class HazardClass(StrEnum):
    COMPREHENSIVE = "comprehensive"  # 综合 (covers several classes)
    NATURAL = "natural"  # 自然灾害
    ACCIDENT = "accident"  # 事故灾难
    PUBLIC_HEALTH = "public_health"  # 公共卫生事件
    SOCIAL_SECURITY = "social_security"  # 社会安全事件


class FilingState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    FILED = "filed"
    DEEMED_FILED = "deemed_filed"
    #: A minor revision follows the simplified procedure: no new filing (domain-rules §1.5).
    NOT_REQUIRED = "not_required"


FILED_STATES = frozenset({FilingState.FILED, FilingState.DEEMED_FILED})


class SignerRole(StrEnum):
    PRINCIPAL = "principal"  # 主要负责人
    DEPUTY = "deputy"  # 分管负责人


class Plan(db.Model):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    hazard_class: Mapped[str] = mapped_column(String(20))
    hazard_subtype: Mapped[str | None] = mapped_column(String(30))
    #: 上位预案: a new major version of the parent flags this plan for review.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    #: The newest version; its filing state is the plan's filing state.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_versions.id", use_alter=True, name="fk_plans_current_version_id"))
    is_archived: Mapped[bool] = mapped_column(default=False)
    #: Optimistic lock for concurrent edits of the plan's own fields.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    parent: Mapped["Plan | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])
    current_version: Mapped["PlanVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list["PlanVersion"]] = relationship(
        back_populates="plan", foreign_keys="PlanVersion.plan_id", order_by="PlanVersion.number")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Plan {self.id} unit={self.unit_id} {self.title!r}>"


class PlanVersion(db.Model):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_versions_plan_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: Denormalised for scoping and set-based scans.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: 印发/公布日期 as entered by the user; the filing clock starts here, not at upload.
    issued_on: Mapped[date] = mapped_column(Date)
    signer_role: Mapped[str] = mapped_column(String(10))
    change_summary: Mapped[str | None] = mapped_column(Text)
    is_major: Mapped[bool] = mapped_column(default=True)
    filing_state: Mapped[str] = mapped_column(String(15), default=FilingState.DRAFT, index=True)
    #: Last day to file: the Nth working day after issued_on (computed by the date engine).
    filing_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: True when that day lies in a year whose holidays are not yet published.
    filing_due_estimated: Mapped[bool] = mapped_column(default=False)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    #: Last day for the office to act on a submission (after it, deemed filed where the rule says so).
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    filed_on: Mapped[date | None] = mapped_column(Date)
    filing_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="versions", foreign_keys=[plan_id])

    def __repr__(self) -> str:
        return f"<PlanVersion {self.id} plan={self.plan_id} v{self.number} {self.filing_state}>"


class FilingEvent(db.Model):
    """One step of the filing workflow, with who did it and why."""

    __tablename__ = "filing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: "submitted", "returned", "filed", "deemed_filed"
    action: Mapped[str] = mapped_column(String(15))
    #: NULL for the automatic "deemed filed" transition.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Structured return reasons (ReturnReason values).
    reasons: Mapped[list | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User")


class EvaluationConclusion(StrEnum):
    KEEP = "keep"
    REVISE = "revise"


class Evaluation(db.Model):
    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    evaluated_on: Mapped[date] = mapped_column(Date)
    conclusion: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevisionTrigger(StrEnum):
    EVALUATION = "evaluation"  # 评估结论: 需修订
    LAW_CHANGED = "law_changed"  # 法律法规、上位预案变化
    PARENT_CHANGED = "parent_changed"  # 上位预案发布新的重大修订
    ORGANISATION_CHANGED = "organisation_changed"  # 指挥机构及职责调整
    RISK_CHANGED = "risk_changed"  # 面临的风险重大变化
    RESOURCES_CHANGED = "resources_changed"  # 重要应急资源重大变化
    DRILL_PROBLEMS = "drill_problems"  # 演练中发现问题
    INCIDENT_PROBLEMS = "incident_problems"  # 实际应对中发现问题
    OTHER = "other"


class RevisionItem(db.Model):
    """An open need to revise a plan; closed when a new version is filed."""

    __tablename__ = "revision_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(25))
    note: Mapped[str | None] = mapped_column(Text)
    raised_on: Mapped[date] = mapped_column(Date)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    closed_by_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)


class FilingCounter(db.Model):
    """The last filing sequence number used per prefix (region code and year)."""

    __tablename__ = "filing_counters"

    prefix: Mapped[str] = mapped_column(String(30), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
