"""Region model with a materialised path so a subtree is one index range."""

from enum import StrEnum

from sqlalchemy import ForeignKey, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.extensions import db


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


#: Official code length by level: GB/T 2260 above the county, 统计用区划代码 below it.
CODE_LENGTHS = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}
LEVEL_BY_CODE_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}


def subtree_bounds(path: str) -> tuple[str, str]:
    """Return [low, high) bounds that select a path and all its descendants.

    Paths end with "/" (0x2F) and codes are digits, so replacing the final "/" with "0" (0x30)
    gives the first string after every descendant: a plain B-tree range, no LIKE and no collation.
    """
    return path, path[:-1] + "0"


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: GB/T 2260 code (2/4/6 digits) or 统计用区划代码 (9/12 digits); unique across levels.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    #: "/23/2311/231102/": ancestors' codes, so subtree queries are an index range scan.
    #: Byte order ("C" collation) on PostgreSQL: the range trick needs "/" to sort before "0",
    #: which linguistic collations that ignore punctuation do not guarantee.
    path: Mapped[str] = mapped_column(
        String(80).with_variant(String(80, collation="C"), "postgresql"), unique=True)

    parent: Mapped["Region | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Region {self.id} {self.code} {self.name}>"

    @property
    def ancestor_codes(self) -> list[str]:
        """Return the codes from the root down to and including this region."""
        return [code for code in self.path.split("/") if code]

    def contains(self, other: "Region") -> bool:
        """Tell whether other is this region or lies below it."""
        return other.path.startswith(self.path)

    @classmethod
    def in_subtree(cls, path: str):
        """Return a SQL condition selecting regions at or below the given path."""
        low, high = subtree_bounds(path)
        return and_(cls.path >= low, cls.path < high)
