"""Import units (and their liaison accounts) from a spreadsheet row by row.

A row becomes the same UnitData the unit form produces and goes through the same clean() and
check_unit(), so the import accepts exactly what the form accepts, with the same messages.

Matching, so that importing a file twice creates nothing twice:
- a row with a code (统一社会信用代码 or 学校标识码) is the unit with that code; failing that, a
  unit of the same name in the same region that has no code yet (the code is filled in);
- a row without a code is the unit with that name in that region.
On an update, empty optional cells (and columns missing from the file) keep the stored value.
"""

import secrets
from collections import defaultdict

from sqlalchemy import case, select

from emergency.auth.models import Role, User
from emergency.auth.scoping import is_visible, unit_clause
from emergency.auth.services import UserData, create_user
from emergency.extensions import db
from emergency.imports.cells import rounded_number, text
from emergency.imports.lookups import (
    ASSESSMENT_SYNONYMS,
    UNIT_KIND_SYNONYMS,
    Choices,
    RegionIndex,
    split_list,
)
from emergency.imports.readers import Column, RawRow, Table
from emergency.imports.report import Account, RowResult, cell_message
from emergency.imports.rows import RowErrors
from emergency.labels import ASSESSMENT_CLASSES, RISK_TAGS, UNIT_KINDS
from emergency.problems import Problem
from emergency.units.identifiers import normalise_identifier
from emergency.units.models import Unit
from emergency.units.services import (
    UnitData,
    check_unit,
    clean,
    create_unit,
    unit_data,
    update_unit,
)
from emergency.users.services import check_user, normalise_email

UNIT_COLUMNS = (
    Column("name", "单位名称", True, ("名称", "单位", "单位全称", "name", "unit name", "unit"),
           width=32),
    Column("kind", "单位类型", True, ("类型", "单位类别", "kind", "unit kind", "type")),
    Column("region", "所属区划", True,
           ("区划", "区划代码", "所属区划代码", "行政区划", "行政区划代码", "所在区划", "所属区域",
            "区域", "所在地区", "region", "region code"), as_text=True, width=26),
    Column("identifier", "统一社会信用代码/学校标识码", False,
           ("统一社会信用代码", "学校标识码", "社会信用代码", "信用代码", "代码", "学校代码",
            "identifier", "unified social credit code"), as_text=True, width=26),
    Column("risk_tags", "风险标签", aliases=("风险类别", "风险类型", "risk tags"), width=24),
    Column("assessment_class", "考核类别", aliases=("考核分类", "assessment class")),
    Column("address", "地址", aliases=("单位地址", "详细地址", "address"), width=32),
    Column("phone", "单位电话", aliases=("电话", "联系电话", "办公电话", "phone"), as_text=True),
    Column("liaison_name", "联络员姓名", aliases=("联络员", "liaison name", "liaison")),
    Column("liaison_username", "联络员用户名", aliases=("联络员账号", "liaison username"),
           as_text=True),
    Column("liaison_email", "联络员邮箱",
           aliases=("联络员电子邮箱", "联络员电子邮件", "liaison email", "liaison e-mail"), width=26),
    Column("liaison_phone", "联络员电话", aliases=("联络员手机", "联络员联系电话", "liaison phone"),
           as_text=True),
)
#: Unit fields compared to decide between "update" and "unchanged", by column.
COMPARED = (("name", "name"), ("kind", "kind"), ("region_id", "region"),
            ("identifier", "identifier"), ("risk_tags", "risk_tags"),
            ("assessment_class", "assessment_class"), ("address", "address"), ("phone", "phone"))
_UNIT_FIELD_COLUMNS = {"region_id": "region"}
_USER_FIELD_COLUMNS = {"username": "liaison_username", "display_name": "liaison_name",
                       "email": "liaison_email", "phone": "liaison_phone"}


class UnitImporter:
    """Check (and, when writing, save) unit rows one at a time, remembering what the file
    already contained so duplicates within the file are reported."""

    kind = "units"
    columns = UNIT_COLUMNS

    def __init__(self, user, table: Table, today=None):
        self.user = user
        self.table = table
        self.regions = RegionIndex()
        self.kinds = Choices(UNIT_KINDS, UNIT_KIND_SYNONYMS)
        self.tags = Choices(RISK_TAGS)
        self.classes = Choices(ASSESSMENT_CLASSES, ASSESSMENT_SYNONYMS)
        self.seen: dict[tuple, int] = {}
        self.seen_units: dict[int, int] = {}
        self.seen_usernames: dict[str, int] = {}
        self.accounts: list[Account] = []
        #: Units of the current chunk of rows, looked up in two queries (see prefetch).
        self._by_code: dict[str, tuple[Unit, bool]] | None = None
        self._by_name: dict[tuple[int, str], list[Unit]] | None = None

    def prefetch(self, raws: list[RawRow]) -> None:
        """Look up the units a chunk of rows may name, in two queries instead of two per row.

        Units written by earlier rows of the file are found too (they were flushed); rows that
        name them again are reported as duplicates before these lookups matter.
        """
        codes, names = set(), set()
        for raw in raws:
            value = raw.values.get("identifier")
            if "identifier" not in raw.bad and not rounded_number(value):
                code = normalise_identifier(text(value))
                if code:
                    codes.add(code)
            name = " ".join((text(raw.values.get("name")) or "").split())
            if name:
                names.add(name)
        visible = case((unit_clause(self.user), True), else_=False)
        self._by_code = {unit.identifier: (unit, bool(seen)) for unit, seen in db.session.execute(
            select(Unit, visible).where(Unit.identifier.in_(codes)))} if codes else {}
        self._by_name = defaultdict(list)
        if names:
            for unit in db.session.scalars(select(Unit).where(Unit.name.in_(names))
                                           .order_by(Unit.id)):
                self._by_name[(unit.region_id, unit.name)].append(unit)

    # -- reading a row -------------------------------------------------------------------------

    def handle(self, raw: RawRow, write: bool) -> RowResult:
        """Check one row; with write=True and no errors, save it. Return what happens to it."""
        errors = RowErrors(raw, self.table, self.columns)
        values = raw.values
        name = " ".join((text(values.get("name")) or "").split())
        if not name and not errors.has("name"):
            errors.required("name")
        kind = self._kind(values.get("kind"), errors)
        region = self._region(values.get("region"), errors)
        identifier = self._identifier(values.get("identifier"), errors)
        tags = self._tags(values.get("risk_tags"))
        assessment = self._assessment(values.get("assessment_class"), errors)
        address, phone = text(values.get("address")), text(values.get("phone"))

        existing = self._match(identifier, region, name, errors)
        self._check_duplicate(raw, identifier, region, name, existing, errors)
        data = self._data(existing, name, kind, region, identifier, tags, assessment, address,
                          phone)
        self._check_unit(data, existing, errors)
        liaison = self._liaison(values, existing, errors)

        label = name or text(values.get("identifier")) or ""
        if errors:
            return errors.result(label)
        changes = _changes(existing, data)
        action = "create" if existing is None else ("update" if changes else "unchanged")
        result = RowResult(raw.number, action, data.name, changes=changes,
                           liaison=liaison[0] if liaison else None)
        if write:
            self._save(raw, existing, data, changes, liaison)
        return result

    def _kind(self, value, errors: RowErrors) -> str | None:
        if errors.has("kind"):
            return None
        if text(value) is None:
            errors.required("kind")
            return None
        kind = self.kinds.get(value)
        if kind is None:
            errors.add("kind", cell_message("unknown_choice", text(value)), text(value))
        return kind

    def _region(self, value, errors: RowErrors):
        if errors.has("region"):
            return None
        region, problem = self.regions.resolve(value)
        if problem == "required":
            errors.required("region")
        elif problem:
            errors.add("region", cell_message(problem, text(value)), text(value))
        return region

    def _identifier(self, value, errors: RowErrors) -> str | None:
        if errors.has("identifier"):
            return None
        if rounded_number(value):
            errors.add("identifier", cell_message("number_rounded"), text(value))
            return None
        return normalise_identifier(text(value)) or None

    def _tags(self, value) -> set[str]:
        # Unknown names are kept as typed: check_unit reports them as unknown risk tags.
        return {self.tags.get(item) or item for item in split_list(value)}

    def _assessment(self, value, errors: RowErrors) -> int | None:
        raw = text(value)
        if raw is None or errors.has("assessment_class"):
            return None
        number = self.classes.get(raw)
        if number is None:
            errors.problem("assessment_class", Problem("assessment_class", "invalid_choice"), raw)
        return number

    # -- matching ------------------------------------------------------------------------------

    def _match(self, identifier, region, name, errors: RowErrors) -> Unit | None:
        if identifier:
            unit, visible = self._unit_by_code(identifier)
            if unit is not None:
                if visible:
                    return unit
                errors.add("identifier", cell_message("unit_out_of_scope"), identifier)
                return None
        if region is None or not name:
            return None
        found = [unit for unit in self._units_by_name(region.id, name)
                 if not identifier or unit.identifier is None]
        if len(found) > 1:
            errors.add("name", cell_message("region_ambiguous_units"), name)
            return None
        return found[0] if found else None

    def _unit_by_code(self, identifier: str) -> tuple[Unit | None, bool]:
        if self._by_code is not None:
            return self._by_code.get(identifier, (None, False))
        unit = db.session.scalar(select(Unit).where(Unit.identifier == identifier))
        return unit, unit is not None and is_visible(unit, self.user)

    def _units_by_name(self, region_id: int, name: str) -> list[Unit]:
        if self._by_name is not None:
            return self._by_name.get((region_id, name), [])
        return db.session.scalars(select(Unit).where(Unit.region_id == region_id,
                                                     Unit.name == name).order_by(Unit.id)).all()

    def _check_duplicate(self, raw: RawRow, identifier, region, name, existing,
                         errors: RowErrors) -> None:
        keys = [("identifier", identifier)] if identifier else []
        if region is not None and name:
            keys.append(("name", region.id, name))
        earlier = next((self.seen[k] for k in keys if k in self.seen), None)
        if earlier is None and existing is not None:
            earlier = self.seen_units.get(existing.id)
        if earlier is not None:
            errors.add("identifier" if identifier else "name",
                       cell_message("duplicate_row", str(earlier)), identifier or name)
            return
        for k in keys:
            self.seen[k] = raw.number
        if existing is not None:
            self.seen_units[existing.id] = raw.number

    # -- checks --------------------------------------------------------------------------------

    @staticmethod
    def _data(existing, name, kind, region, identifier, tags, assessment, address,
              phone) -> UnitData:
        if existing is None:
            data = UnitData(name=name, kind=kind or "", region_id=region.id if region else None,
                            identifier=identifier, risk_tags=tags, assessment_class=assessment,
                            address=address, phone=phone)
        else:
            # Empty cells keep what is stored: a partial register never wipes data.
            data = unit_data(existing)
            data.risk_tags = set(data.risk_tags)
            data.name = name
            data.kind = kind or existing.kind
            data.region_id = region.id if region else existing.region_id
            data.identifier = identifier or existing.identifier
            data.risk_tags = tags or data.risk_tags
            data.assessment_class = assessment or data.assessment_class
            data.address = address or data.address
            data.phone = phone or data.phone
        return clean(data)

    def _check_unit(self, data: UnitData, existing, errors: RowErrors) -> None:
        # No second message for a cell already reported, and no code check against a kind
        # that could not be read (a school code would be judged as a credit code).
        skip = set(errors.keys) | ({"identifier"} if errors.has("kind") else set())
        for problem in check_unit(data, self.user, existing):
            column_key = _UNIT_FIELD_COLUMNS.get(problem.field, problem.field)
            if column_key not in skip:
                errors.problem(column_key, problem, _shown(data, problem.field))

    def _liaison(self, values, existing, errors: RowErrors):
        """Return ("create", UserData) / ("exists", None) / None for the liaison columns."""
        name, username = text(values.get("liaison_name")), text(values.get("liaison_username"))
        email, phone = text(values.get("liaison_email")), text(values.get("liaison_phone"))
        if not any((name, username, email, phone)):
            return None
        if not username:
            errors.add("liaison_username", cell_message("liaison_username_required"))
            return None
        if username in self.seen_usernames:
            errors.add("liaison_username",
                       cell_message("duplicate_row", str(self.seen_usernames[username])), username)
            return None
        self.seen_usernames[username] = errors.raw.number
        account = db.session.scalar(select(User).where(User.username == username))
        if account is not None:
            if (account.role == Role.LIAISON and existing is not None
                    and account.unit_id == existing.id):
                return "exists", None
            errors.add("liaison_username", cell_message("username_other_unit"), username)
            return None
        data = UserData(username=username, display_name=name or "", email=email or "",
                        role=Role.LIAISON, unit_id=existing.id if existing else None, phone=phone)
        for field_name, message in check_user(data, self.user):
            if field_name == "unit_id" and existing is None:
                continue  # the unit is created by this row; its region was checked above
            errors.add(_USER_FIELD_COLUMNS.get(field_name, "liaison_username"), message,
                       getattr(data, field_name, None))
        return "create", data

    # -- writing -------------------------------------------------------------------------------

    def _save(self, raw: RawRow, existing, data: UnitData, changes, liaison) -> None:
        if existing is None:
            unit = create_unit(data)
        else:
            unit = existing
            if changes:
                update_unit(existing, data)
        if liaison and liaison[0] == "create":
            account = liaison[1]
            account.unit_id = unit.id
            account.email = normalise_email(account.email)
            password = secrets.token_urlsafe(9)
            create_user(account, password)
            self.accounts.append(Account(raw.number, unit.name, account.username, password))


def _shown(data: UnitData, field_name: str):
    value = getattr(data, field_name, None)
    if isinstance(value, set):
        return "、".join(sorted(value)) or None
    return value if isinstance(value, str) else None


def _changes(existing: Unit | None, data: UnitData) -> list[str]:
    if existing is None:
        return []
    before = unit_data(existing)
    return [column for attr, column in COMPARED
            if _comparable(getattr(before, attr)) != _comparable(getattr(data, attr))]


def _comparable(value):
    return frozenset(value) if isinstance(value, set | frozenset) else value
