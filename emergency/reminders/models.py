"""Reminder data: per-user preferences, inbox notifications, the e-mail outbox, job runs."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.auth.models import User
from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db


class Category(StrEnum):
    DUE = "due"  # before the due date, at the rule's lead times
    OVERDUE = "overdue"  # the day it becomes overdue, then weekly
    ESCALATION = "escalation"  # to office staff, N days overdue; cannot be switched off
    WEEKLY = "weekly"  # the office's weekly digest of its region


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a transient failure; retried at next_attempt_at
    DEAD = "dead"  # permanent failure or too many attempts; an admin may retry it
    CANCELLED = "cancelled"  # nothing left to send: recipient out of scope, inactive or opted out


class Preference(db.Model):
    """A user's reminder choices; a user without a row gets the defaults."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_range"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: Hour (China time) the daily digest is sent; quiet hours still apply.
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)
    #: E-mail for due and overdue reminders (the inbox always gets them).
    email_reminders: Mapped[bool] = mapped_column(default=True)
    #: E-mail for the office's weekly digest.
    email_weekly: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Preference user={self.user_id} hour={self.digest_hour}>"


class OutboxMessage(db.Model):
    """One e-mail to one user, written in the same transaction as the notifications it carries."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'cancelled')",
                        name="status_known"),
        Index("ix_email_outbox_status_next", "status", "next_attempt_at"),
    )
    #: The sender updates these on every attempt; only admin actions are worth an audit entry.
    __audit_exclude__ = frozenset({"body_text", "body_html", "claimed_at", "claim_token"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: (recipient, items) digest: a second generation of the same reminders finds it taken.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The China date the generation ran for.
    created_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not before this instant: the user's digest hour, quiet hours, or the retry backoff.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Which sender round claimed the row, so a round only touches its own rows.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    #: Filled when the message is rendered for sending (recipient data as of sending time).
    to_addr: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: Derived from the key, so a resend after a crash carries the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} user={self.user_id} {self.status} tries={self.attempts}>"


class Notification(db.Model):
    """One reminder for one user: the inbox entry, and the unit of idempotency."""

    __tablename__ = "reminder_notifications"
    __table_args__ = (
        CheckConstraint("category IN ('due', 'overdue', 'escalation', 'weekly')",
                        name="category_known"),
        Index("ix_reminder_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: (recipient, item, stage, period): generating the same reminder again inserts nothing.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(12))
    #: The unit the item belongs to (NULL for a weekly digest, which spans a region).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"),
                                                index=True)
    #: "d30", "d7", "d0" before the due date; "w0", "w1"... weeks overdue; "esc"; "2026-W10".
    stage: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[date | None] = mapped_column(Date)
    #: What the reminder is about, as it stood when generated (rule, subject, citation, counts).
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    is_mandatory: Mapped[bool] = mapped_column(default=False)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The e-mail carrying it; NULL when the user opted out of this kind of mail.
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_outbox.id", ondelete="SET NULL"), index=True)

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id} {self.category} {self.stage}>"


class JobRun(db.Model):
    """The last run of each scheduled job: what /healthz reports and what catch-up reads."""

    __tablename__ = "scheduler_job_runs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: What the last successful run reported, e.g. {"sent": 3}.
    last_result: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<JobRun {self.job_id} ok={self.last_success_at}>"
