"""Find the registered unit a plan or drill row names: by its code, or by its name (and region).

The plan register and the drill register share these three columns and this lookup, so a unit
is found, and refused, the same way in both. A code registered outside the importer's scope is
reported as such (the unit import does the same); a name is only looked for inside the scope.
Codes are looked up a chunk of rows at a time (prefetch), names once per distinct name.
"""

from sqlalchemy import case, select

from emergency.auth.scoping import scoped, unit_clause
from emergency.extensions import db
from emergency.imports.cells import rounded_number, text
from emergency.imports.lookups import RegionIndex
from emergency.imports.readers import Column, ImportRefused, RawRow, Table
from emergency.imports.report import cell_message
from emergency.imports.rows import RowErrors
from emergency.imports.units import UNIT_COLUMNS
from emergency.units.identifiers import normalise_identifier
from emergency.units.models import Unit

_REGION = next(column for column in UNIT_COLUMNS if column.key == "region")
UNIT_REF_COLUMNS = (
    Column("unit_identifier", "单位统一社会信用代码/学校标识码", False,
           ("统一社会信用代码/学校标识码", "统一社会信用代码", "学校标识码", "单位代码", "信用代码",
            "代码", "unit code", "identifier"), as_text=True, width=26),
    Column("unit_name", "单位名称", False, ("单位", "编制单位", "unit", "unit name"), width=30),
    Column("region", "所属区划", False, _REGION.aliases, as_text=True, width=24),
)
_PROBLEM_COLUMNS = {"unknown_region": "region", "ambiguous_region": "region",
                    "required": "unit_name"}


def row_code(raw: RawRow) -> str | None:
    """Return the unit code of a row as stored (normalised), or None."""
    value = raw.values.get("unit_identifier")
    if "unit_identifier" in raw.bad or rounded_number(value):
        return None
    return normalise_identifier(text(value)) or None


class UnitFinder:
    """Resolve rows to unit ids, remembering every answer for the rest of the file."""

    def __init__(self, user, table: Table):
        if "unit_identifier" not in table.positions and "unit_name" not in table.positions:
            raise ImportRefused("missing_columns", columns=f"{UNIT_REF_COLUMNS[0].header} / "
                                                           f"{UNIT_REF_COLUMNS[1].header}")
        self.user = user
        self._regions: RegionIndex | None = None
        #: (code, None, None) or (None, name, region text) -> (unit id, problem code)
        self.answers: dict[tuple, tuple[int | None, str | None]] = {}
        #: The units of the current chunk, held so that the session does not load them per row.
        self._chunk_units: dict[int, Unit] = {}

    def prefetch(self, raws: list[RawRow]) -> set[int]:
        """Look up the codes of a chunk of rows in one query and load their units in another;
        return the ids of the chunk's units."""
        codes = {code for code in map(row_code, raws) if code}
        codes -= {k[0] for k in self.answers if k[0]}
        if codes:
            visible = case((unit_clause(self.user), True), else_=False)
            found = {code: (unit_id, bool(seen)) for code, unit_id, seen in db.session.execute(
                select(Unit.identifier, Unit.id, visible).where(Unit.identifier.in_(codes)))}
            for code in codes:
                unit_id, seen = found.get(code, (None, False))
                problem = None if seen else ("unit_out_of_scope" if unit_id else "unit_not_found")
                self.answers[(code, None, None)] = (unit_id if seen else None, problem)
        ids = {self.answers[(code, None, None)][0] for code in map(row_code, raws) if code}
        ids.discard(None)
        self._chunk_units = {unit.id: unit for unit in db.session.scalars(
            select(Unit).where(Unit.id.in_(ids)))} if ids else {}
        return ids

    def find(self, values: dict, errors: RowErrors) -> Unit | None:
        """Return the unit a row names, or None after recording why on the right column."""
        raw_code = values.get("unit_identifier")
        if rounded_number(raw_code) and not errors.has("unit_identifier"):
            errors.add("unit_identifier", cell_message("number_rounded"), text(raw_code))
            return None
        code = normalise_identifier(text(raw_code)) or None
        name = " ".join((text(values.get("unit_name")) or "").split())
        region_text = text(values.get("region"))
        if errors.has("unit_identifier", "unit_name", "region"):
            return None
        unit_id = self.find_id(code, name, region_text, errors)
        if not unit_id:
            return None
        return self._chunk_units.get(unit_id) or db.session.get(Unit, unit_id)

    def find_id(self, code, name, region_text, errors: RowErrors) -> int | None:
        cache_key = (code, None, None) if code else (None, name, region_text)
        if cache_key not in self.answers:
            self.answers[cache_key] = self._lookup(code, name, region_text)
        unit_id, problem = self.answers[cache_key]
        if problem is None:
            return unit_id
        column_key = _PROBLEM_COLUMNS.get(problem, "unit_identifier" if code else "unit_name")
        if problem == "required":
            errors.required(column_key)
        else:
            value = region_text if column_key == "region" else (code or name)
            errors.add(column_key, cell_message(problem, value), value)
        return None

    def _lookup(self, code, name, region_text) -> tuple[int | None, str | None]:
        if code:
            row = db.session.execute(
                select(Unit.id, case((unit_clause(self.user), True), else_=False))
                .where(Unit.identifier == code)).first()
            if row is None:
                return None, "unit_not_found"
            return (row[0], None) if row[1] else (None, "unit_out_of_scope")
        if not name:
            return None, "required"
        stmt = scoped(Unit, self.user, select(Unit.id)).where(Unit.name == name)
        if region_text:
            region, problem = self._region_index().resolve(region_text)
            if problem:
                return None, problem
            stmt = stmt.where(Unit.region_id == region.id)
        found = db.session.scalars(stmt.order_by(Unit.id).limit(2)).all()
        if not found:
            return None, "unit_not_found"
        if len(found) > 1:
            return None, "unit_ambiguous"
        return found[0], None

    def _region_index(self) -> RegionIndex:
        if self._regions is None:
            self._regions = RegionIndex()
        return self._regions
