"""Unit model: an organisation that must hold plans, placed in the region tree."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db
from emergency.regions.models import Region


class UnitKind(StrEnum):
    TOWN_STREET = "town_street"
    VILLAGE_COMMUNITY = "village_community"
    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"
    GOVERNMENT_DEPARTMENT = "government_department"
    PUBLIC_INSTITUTION = "public_institution"
    OTHER = "other"


class RiskTag(StrEnum):
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    MINING = "mining"
    METAL_SMELTING = "metal_smelting"
    CONSTRUCTION = "construction"
    FIREWORKS = "fireworks"
    CROWDED_PLACE = "crowded_place"
    LIFELINE_UTILITY = "lifeline_utility"
    BOARDING_SCHOOL = "boarding_school"
    KEY_FIRE_SAFETY = "key_fire_safety"
    MEDIUM_OR_LARGER = "medium_or_larger"


SCHOOL_KINDS = frozenset({UnitKind.SCHOOL, UnitKind.KINDERGARTEN, UnitKind.UNIVERSITY})
#: Kinds identified by a 统一社会信用代码; schools use the 学校标识码 instead.
USCC_KINDS = frozenset(
    {UnitKind.ENTERPRISE, UnitKind.GOVERNMENT_DEPARTMENT, UnitKind.PUBLIC_INSTITUTION, UnitKind.OTHER}
)


def encode_tags(tags) -> str:
    """Encode risk tags as ",a,b," so SQL can test membership with LIKE '%,tag,%' on any database."""
    cleaned = sorted({str(tag) for tag in tags})
    return f",{','.join(cleaned)}," if cleaned else ""


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("assessment_class IN (1, 2, 3)", name="assessment_class_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    #: 统一社会信用代码 (18 chars) or 学校标识码 (10 digits); NULL where the unit has none.
    identifier: Mapped[str | None] = mapped_column(String(18), unique=True)
    #: Risk tags encoded by encode_tags(); drive which rules apply.
    risk_tags_text: Mapped[str] = mapped_column("risk_tags", String(400), default="")
    #: 考核 class 一/二/三类 assigned by the office; NULL until assigned.
    assessment_class: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Optimistic lock: a save based on an older version is refused with a conflict page.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.kind} {self.name}>"

    @property
    def risk_tags(self) -> set[str]:
        """Return the unit's risk tags as a set of RiskTag values."""
        return {tag for tag in (self.risk_tags_text or "").split(",") if tag}

    @risk_tags.setter
    def risk_tags(self, tags) -> None:
        self.risk_tags_text = encode_tags(tags)
