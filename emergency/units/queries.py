"""Read-side queries for unit lists and exports."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from emergency.auth.scoping import scoped
from emergency.extensions import db
from emergency.labels import ASSESSMENT_CLASSES, RISK_TAGS, UNIT_KINDS
from emergency.regions.models import Region
from emergency.units.models import Unit

SORTS = {
    "name": (Unit.name, Unit.id),
    "kind": (Unit.kind, Unit.name),
    "region": (Region.path, Unit.name),
    "updated": (Unit.updated_at.desc(), Unit.id.desc()),
}


def _int_arg(value, default=None):
    # ASCII only ("²".isdigit() is true but int() refuses it) and at most 9 digits, so that
    # neither SQLite's nor PostgreSQL's integers overflow on a typed-in page or region number.
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else default


@dataclass
class UnitFilters:
    q: str = ""
    kind: str = ""
    region: int | None = None
    tag: str = ""
    sort: str = "region"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "UnitFilters":
        """Read filters from query arguments, ignoring anything malformed."""
        sort = args.get("sort", "region")
        return cls(
            q=(args.get("q") or "").strip()[:100], kind=args.get("kind") or "",
            region=_int_arg(args.get("region")), tag=args.get("tag") or "",
            sort=sort if sort in SORTS else "region", page=max(_int_arg(args.get("page"), 1), 1),
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def unit_list_query(user, filters: UnitFilters):
    """Return the scoped, filtered and sorted SELECT for the unit list."""
    stmt = scoped(Unit, user).join(Unit.region).options(joinedload(Unit.region))
    if filters.q:
        pattern = f"%{_escape_like(filters.q)}%"
        stmt = stmt.where(or_(Unit.name.like(pattern, escape="\\"),
                              Unit.identifier.like(pattern.upper(), escape="\\")))
    if filters.kind:
        stmt = stmt.where(Unit.kind == filters.kind)
    if filters.tag:
        stmt = stmt.where(Unit.risk_tags_text.like(f"%,{_escape_like(filters.tag)},%", escape="\\"))
    if filters.region:
        region = db.session.get(Region, filters.region)
        # An out-of-scope region simply yields nothing: the scope condition above still applies.
        stmt = stmt.where(Region.in_subtree(region.path)) if region else stmt.where(Unit.id < 0)
    return stmt.order_by(*SORTS[filters.sort])


def export_rows(units):
    """Return headers and rows for a unit export in the current language."""
    headers = [_("ID"), _("Name"), _("Kind"), _("Region code"), _("Region"), _("Identifier"),
               _("Risk tags"), _("Assessment class"), _("Address"), _("Phone"), _("Active")]
    rows = [
        [u.id, u.name, str(UNIT_KINDS.get(u.kind, u.kind)), u.region.code, u.region.name,
         u.identifier, "、".join(str(RISK_TAGS.get(t, t)) for t in sorted(u.risk_tags)),
         str(ASSESSMENT_CLASSES.get(u.assessment_class, "")), u.address, u.phone,
         _("Yes") if u.is_active else _("No")]
        for u in units
    ]
    return headers, rows
