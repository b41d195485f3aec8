"""Year-end assessment data: the scoring scheme of each year and frozen snapshots."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db
from emergency.regions.models import Region


class AssessmentScheme(db.Model):
    """The scoring of one assessment year: weights, bands, deductions and grades.

    A year without a row is scored with the local defaults (emergency.assessment.scoring).
    """

    __tablename__ = "assessment_schemes"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: {"K1": 20, ...}: points of each indicator; they add up to 100.
    weights: Mapped[dict] = mapped_column(JSON)
    #: {"K9": [[60, 3], [40, 2], [20, 1]]}: rate bands (minimum %, points out of the first band's).
    bands: Mapped[dict] = mapped_column(JSON)
    #: {"late_filing": {"label": "...", "points": 2, "cap": 10}, ...}
    deductions: Mapped[dict] = mapped_column(JSON)
    excellent_min: Mapped[int] = mapped_column(Integer)
    pass_min: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<AssessmentScheme {self.year}>"


class AssessmentSnapshot(db.Model):
    """The assessment of a scope and year frozen on a date: figures and evidence as JSON.

    Rows are never updated or deleted through the ORM (see the listener below), so the figures
    sent to the province can be reproduced exactly after the underlying data has changed.
    """

    __tablename__ = "assessment_snapshots"
    #: The audit entry records who froze what; the figures themselves stay in this row only.
    __audit_exclude__ = frozenset({"result", "evidence"})

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    #: The scope: the region whose units were assessed.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    #: The date the figures are as of (never in the future when frozen).
    as_of: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    #: The scheme used, the groups with their figures, scores and grades (services.Assessment).
    result: Mapped[dict] = mapped_column(JSON)
    #: {"K1": [row, ...], ...}: the records behind each indicator and deduction.
    evidence: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Kept as text so the snapshot still says who froze it if the account is renamed.
    created_by_name: Mapped[str] = mapped_column(String(100))

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"<AssessmentSnapshot {self.id} {self.year} region={self.region_id} {self.as_of}>"


class SnapshotImmutableError(RuntimeError):
    """Someone tried to change or delete a frozen snapshot."""


@event.listens_for(AssessmentSnapshot, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise SnapshotImmutableError(f"snapshot {target.id} is frozen")


@event.listens_for(AssessmentSnapshot, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise SnapshotImmutableError(f"snapshot {target.id} is frozen")
