"""Compliance data: rules, calendar overrides, assessment settings, computed obligations."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db


class CalendarDay(db.Model):
    """A day whose status an admin set: a holiday (False) or a make-up working day (True)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(100))


class CalendarYear(db.Model):
    """A year whose holidays an admin has entered completely, so its deadlines are not estimates."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)


class Rule(db.Model):
    """An editable regulation: who it applies to, what it requires, and where it comes from.

    Several rows may share a code as successive versions over time; their effective periods
    must not overlap.
    """

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("code", "effective_from", name="uq_rules_code_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    unit_kinds: Mapped[list] = mapped_column(JSON, default=list)
    tags_any: Mapped[list] = mapped_column(JSON, default=list)
    plan_categories: Mapped[list] = mapped_column(JSON, default=list)
    interval_months: Mapped[int | None] = mapped_column(Integer)
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(12))
    per_period: Mapped[int | None] = mapped_column(Integer)
    per_plan: Mapped[bool] = mapped_column(default=False)
    school_terms_only: Mapped[bool] = mapped_column(default=False)
    lead_days: Mapped[int] = mapped_column(Integer, default=30)
    #: Reminder stages in days before the due date, e.g. [30, 7, 1].
    reminder_days: Mapped[list] = mapped_column(JSON, default=list)
    #: Document and article, shown next to every flag.
    citation: Mapped[str] = mapped_column(String(300))
    #: False for local defaults that are not national law (shown as such to admins).
    is_national: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Rule {self.id} {self.code} {self.kind}>"


class AssessmentYear(db.Model):
    """Per-year settings: the provincial assessment date and the school terms."""

    __tablename__ = "assessment_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_date: Mapped[date] = mapped_column(Date)
    #: {"spring": [[3, 1], [7, 15]], "autumn": [[9, 1], [1, 20]]}; NULL uses the defaults.
    school_terms: Mapped[dict | None] = mapped_column(JSON)


class Obligation(db.Model):
    """One obligation of a unit as computed by the latest scan (what dashboards and reminders read)."""

    __tablename__ = "obligations"
    # (unit, kind, status) serves the dashboard's counts and every lookup by unit alike.
    __table_args__ = (Index("ix_obligations_status_due", "status", "due_on"),
                      Index("ix_obligations_unit_kind_status", "unit_id", "kind", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), index=True)
    rule_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(300))
    period: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)
    estimated: Mapped[bool] = mapped_column(default=False)
    citation: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The date the status was computed for.
    as_of: Mapped[date] = mapped_column(Date)


class ScanRun(db.Model):
    """One run of the compliance scan, with its counts per status (the daily history for charts)."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    units: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
