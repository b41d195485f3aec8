"""Drill, drill change, corrective action and calendar-token models."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db
from emergency.plans.models import Plan
from emergency.units.models import Unit


class DrillStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class DrillForm(StrEnum):
    TABLETOP = "tabletop"  # 桌面推演
    LIVE = "live"  # 实战演练


class DrillScope(StrEnum):
    SINGLE = "single"  # 单项演练
    COMPREHENSIVE = "comprehensive"  # 综合演练


class DrillPurpose(StrEnum):
    INSPECTION = "inspection"  # 检验性
    DEMONSTRATION = "demonstration"  # 示范性
    RESEARCH = "research"  # 研究性


drill_plans = Table(
    "drill_plans",
    db.metadata,
    Column("drill_id", ForeignKey("drills.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Drill(db.Model):
    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=DrillStatus.PLANNED, index=True)
    #: The date in the annual drill plan (年度演练计划).
    planned_on: Mapped[date] = mapped_column(Date, index=True)
    #: The day it was actually held, entered by the user (never the upload time).
    held_on: Mapped[date | None] = mapped_column(Date, index=True)
    form: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(15))
    purpose: Mapped[str] = mapped_column(String(15))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[int | None] = mapped_column(Integer)
    #: Schools: seconds from the evacuation signal until everyone is out.
    evacuation_seconds: Mapped[int | None] = mapped_column(Integer)
    #: High-risk units: the day the drill was reported to the regulator (生产办法 第33条第二款).
    reported_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: iCalendar SEQUENCE: raised on every change calendar programs must notice.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Optimistic lock.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    plans: Mapped[list[Plan]] = relationship(secondary=drill_plans, order_by=Plan.title)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Drill {self.id} unit={self.unit_id} {self.status} {self.planned_on}>"


class DrillChange(db.Model):
    """A reschedule or cancellation of a planned drill, with its reason."""

    __tablename__ = "drill_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: "rescheduled", "cancelled", "shifted" (a whole annual plan moved), "held"
    action: Mapped[str] = mapped_column(String(12))
    old_date: Mapped[date | None] = mapped_column(Date)
    new_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class ActionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # closed by the liaison with evidence, waiting for the office
    VERIFIED = "verified"  # verified by the office


class CorrectiveAction(db.Model):
    """整改项: a problem found by a drill, with an owner and a due date."""

    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    drill_id: Mapped[int | None] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    #: The person responsible (a name; not necessarily an account).
    owner: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default=ActionStatus.OPEN, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_note: Mapped[str | None] = mapped_column(Text)
    verified_on: Mapped[date | None] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    drill: Mapped[Drill | None] = relationship()


class ActionEvent(db.Model):
    """One step of a corrective action: closed, verified or reopened (with a comment)."""

    __tablename__ = "action_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    event: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User")


class CalendarToken(db.Model):
    """A per-user secret in an ICS feed URL; stored hashed, revocable."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
