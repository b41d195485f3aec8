"""Import past drills (演练台账): held drills with their form, scope, plans and figures.

A row names a registered unit (by its code, or by its name and region, as in the plan register)
and the day the drill was held. It becomes the same drill the drill pages make: planned on that
day (plan_drill) and recorded as held (record_held), through the same checks (check_drill,
check_held) and so with the same messages; compliance is recomputed like any drill change.

Matching, so that importing a register twice changes nothing: a drill is the unit's drill held
on that day with that title (a row without a title gets "<first plan>演练" or the form's name);
a row without a title also matches the only drill of that day exercising the same plans. A drill
planned for that day and not yet recorded is recorded as held. Empty optional cells keep what is
stored.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from emergency.drills.models import Drill, DrillPurpose, DrillStatus, drill_plans
from emergency.drills.services import (
    DrillData,
    HeldData,
    check_drill,
    check_held,
    plan_drill,
    record_held,
    update_drill,
)
from emergency.extensions import db
from emergency.imports.cells import UnreadableNumber, key, parse_count, parse_span, text
from emergency.imports.lookups import (
    DRILL_FORM_SYNONYMS,
    DRILL_PURPOSE_SYNONYMS,
    DRILL_SCOPE_SYNONYMS,
    Choices,
    split_list,
)
from emergency.imports.readers import Column, RawRow, Table
from emergency.imports.report import RowResult, cell_message
from emergency.imports.rows import RowErrors, choice_cell, date_cell
from emergency.imports.unitref import UNIT_REF_COLUMNS, UnitFinder
from emergency.labels import DRILL_FORMS, DRILL_PURPOSES, DRILL_SCOPES
from emergency.plans.models import Plan
from emergency.units.models import Unit

DRILL_COLUMNS = (
    *UNIT_REF_COLUMNS,
    Column("title", "演练名称", False,
           ("演练", "演练项目", "演练科目", "演练主题", "演练内容", "演练名称及内容", "名称", "drill",
            "drill title", "title"), width=32),
    Column("plans", "演练预案", False,
           ("演练的预案", "演练所依据的预案", "所演练预案", "依据预案", "涉及预案", "检验预案",
            "预案名称", "预案",
            "plans", "plans exercised"), width=36),
    Column("held_on", "演练日期", True,
           ("演练时间", "举行日期", "开展日期", "实施日期", "组织日期", "日期", "held on",
            "date held", "date"), width=14),
    Column("form", "演练形式", True, ("形式", "演练方式", "form", "drill form")),
    Column("scope", "演练规模", True,
           ("演练类别", "演练类型", "演练范围", "单项/综合", "scope", "drill scope")),
    Column("purpose", "演练目的", False, ("目的", "演练性质", "purpose", "drill purpose")),
    Column("duration_minutes", "演练时长（分钟）", False,
           ("演练时长", "时长（分钟）", "时长", "持续时间", "用时", "duration",
            "duration (minutes)")),
    Column("participants", "参演人数", False,
           ("参加人数", "参与人数", "参演人员数", "人数", "participants")),
    Column("evacuation_seconds", "疏散用时（秒）", False,
           ("疏散用时", "疏散时间", "疏散时间（秒）", "疏散用时(秒)", "evacuation time",
            "evacuation time (seconds)"), width=14),
    Column("reported_on", "报告监管部门日期", False,
           ("报送监管部门日期", "报告日期", "报备日期", "向监管部门报告日期", "reported on",
            "reported to the regulator on"), width=16),
    Column("summary", "备注", False, ("摘要", "说明", "演练总结", "情况说明", "notes", "summary"),
           width=40),
)
#: Service fields and the column each is read from.
_FIELD_COLUMNS = {"planned_on": "held_on", "plan_ids": "plans"}
#: Fields compared to decide between "update" and "unchanged", in column order.
_COMPARED = ("plans", "held_on", "form", "scope", "purpose", "duration_minutes",
             "participants", "evacuation_seconds", "reported_on", "summary")
#: Fields changed through update_drill; the others through record_held.
_DESCRIPTION = frozenset({"plans", "form", "scope", "purpose"})
_HELD_FIELDS = ("duration_minutes", "participants", "evacuation_seconds", "reported_on",
                "summary")
_ATTRS = {"plans": "plan_ids"}
_SPANS = {"duration_minutes": ("minutes", "unreadable_minutes"),
          "evacuation_seconds": ("seconds", "unreadable_seconds")}


@dataclass
class _Stored:
    """What the database (or an earlier row of the file) holds about one drill."""

    id: int | None
    title: str
    status: str
    day: date
    plan_ids: frozenset
    form: str
    scope: str
    purpose: str
    duration_minutes: int | None = None
    participants: int | None = None
    evacuation_seconds: int | None = None
    reported_on: date | None = None
    summary: str | None = None

    @property
    def held_on(self) -> date | None:
        return self.day if self.status == DrillStatus.HELD else None


@dataclass
class _UnitState:
    plans: dict[str, int] = field(default_factory=dict)  # folded title -> plan id
    drills: list[_Stored] = field(default_factory=list)


class DrillImporter:
    kind = "drills"
    columns = DRILL_COLUMNS

    def __init__(self, user, table: Table, today: date):
        self.finder = UnitFinder(user, table)
        self.user = user
        self.table = table
        self.today = today
        self.forms = Choices(DRILL_FORMS, DRILL_FORM_SYNONYMS)
        self.scopes = Choices(DRILL_SCOPES, DRILL_SCOPE_SYNONYMS)
        self.purposes = Choices(DRILL_PURPOSES, DRILL_PURPOSE_SYNONYMS)
        with force_locale("zh"):
            # A generated title is data, in the registers' language whatever the page's.
            self.form_titles = {code: str(label) for code, label in DRILL_FORMS.items()}
        self.units: dict[int, _UnitState] = {}
        self.seen: dict[tuple, int] = {}
        self.seen_drills: dict[int, int] = {}
        self.accounts = []

    # -- lookups, a chunk of rows at a time ----------------------------------------------------

    def prefetch(self, raws: list[RawRow]) -> None:
        """Find the chunk's units by code, then their plans and drills, in a few queries."""
        unit_ids = self.finder.prefetch(raws)
        self._load(unit_ids - set(self.units))

    def _load(self, unit_ids: set[int]) -> None:
        ids = sorted(unit_ids)
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            states = {unit_id: _UnitState() for unit_id in part}
            for plan_id, unit_id, title in db.session.execute(
                    select(Plan.id, Plan.unit_id, Plan.title)
                    .where(Plan.unit_id.in_(part), Plan.is_archived.is_(False))
                    .order_by(Plan.id)):
                states[unit_id].plans.setdefault(key(title), plan_id)
            plans_of = defaultdict(set)
            for drill_id, plan_id in db.session.execute(
                    select(drill_plans.c.drill_id, drill_plans.c.plan_id)
                    .join(Drill, Drill.id == drill_plans.c.drill_id)
                    .where(Drill.unit_id.in_(part), Drill.status != DrillStatus.CANCELLED)):
                plans_of[drill_id].add(plan_id)
            for d in db.session.execute(
                    select(Drill.id, Drill.unit_id, Drill.title, Drill.status, Drill.held_on,
                           Drill.planned_on, Drill.form, Drill.scope, Drill.purpose,
                           Drill.duration_minutes, Drill.participants, Drill.evacuation_seconds,
                           Drill.reported_on, Drill.summary)
                    .where(Drill.unit_id.in_(part), Drill.status != DrillStatus.CANCELLED)
                    .order_by(Drill.id)):
                states[d.unit_id].drills.append(_Stored(
                    d.id, d.title, d.status, d.held_on or d.planned_on,
                    frozenset(plans_of[d.id]), d.form, d.scope, d.purpose, d.duration_minutes,
                    d.participants, d.evacuation_seconds, d.reported_on, d.summary))
            self.units.update(states)

    def _state(self, unit: Unit) -> _UnitState:
        if unit.id not in self.units:
            self._load({unit.id})  # a unit named without a code
        return self.units[unit.id]

    # -- one row -------------------------------------------------------------------------------

    def handle(self, raw: RawRow, write: bool) -> RowResult:
        errors = RowErrors(raw, self.table, self.columns)
        values = raw.values
        unit = self.finder.find(values, errors)
        title = " ".join((text(values.get("title")) or "").split())
        held_on = date_cell(values, "held_on", errors)
        if held_on is None and not errors.has("held_on"):
            errors.required("held_on")
        form = choice_cell(values, "form", self.forms, errors, required=True)
        scope = choice_cell(values, "scope", self.scopes, errors, required=True)
        purpose = choice_cell(values, "purpose", self.purposes, errors)
        figures = {name: self._number(values, name, errors)
                   for name in ("duration_minutes", "participants", "evacuation_seconds")}
        reported_on = date_cell(values, "reported_on", errors)
        summary = (text(values.get("summary")) or "").strip() or None
        label = title or text(values.get("unit_name")) or ""
        if unit is None:
            return errors.result(label)

        state = self._state(unit)
        plan_ids = self._plans(values, state, errors)
        title = title or self._default_title(plan_ids, form)
        row = _Stored(None, title, DrillStatus.HELD, held_on, frozenset(plan_ids or ()),
                      form or "", scope or "", purpose or "", reported_on=reported_on,
                      summary=summary, **figures)
        existing = None if held_on is None else self._match(
            state, row, explicit=bool(text(values.get("title"))), plans_given=plan_ids is not None)
        merged = self._merged(row, existing, plan_ids)
        self._check(merged, unit, errors)
        label = f"{unit.name} {merged.title}"
        if held_on is not None and not errors:
            self._check_duplicate(raw, unit, merged, existing, errors)
        if errors:
            return errors.result(label)
        changes = _changes(existing, merged)
        action = "create" if existing is None else ("update" if changes else "unchanged")
        drill_id = self._save(unit, state, merged, existing, changes) if write else None
        if existing is None:
            # Later rows naming the same drill are duplicates, written or not.
            created = replace(merged, id=drill_id or -raw.number)
            state.drills.append(created)
            self.seen_drills[created.id] = raw.number
        return RowResult(raw.number, action, label, changes=changes)

    def _number(self, values, column_key: str, errors: RowErrors) -> int | None:
        if errors.has(column_key):
            return None
        value = values.get(column_key)
        unit, problem = _SPANS.get(column_key, (None, "unreadable_number"))
        try:
            return parse_span(value, unit) if unit else parse_count(value)
        except UnreadableNumber:
            errors.add(column_key, cell_message(problem, text(value)), text(value))
            return None

    def _plans(self, values, state: _UnitState, errors: RowErrors) -> list[int] | None:
        """Return the ids of the plans named (None when the cell is empty)."""
        if errors.has("plans"):
            return None
        titles = split_list(values.get("plans"))
        if not titles:
            return None
        found = []
        for title in titles:
            plan_id = state.plans.get(key(title))
            if plan_id is None:
                errors.add("plans", cell_message("unknown_plan", title), title)
            elif plan_id not in found:
                found.append(plan_id)
        return found

    def _default_title(self, plan_ids, form) -> str:
        if plan_ids:
            first = db.session.get(Plan, plan_ids[0])
            return (first.title + "演练")[:200]
        return self.form_titles.get(form, "")

    @staticmethod
    def _match(state: _UnitState, row: _Stored, *, explicit: bool,
               plans_given: bool) -> _Stored | None:
        same_day = [d for d in state.drills if d.day == row.day]
        for drill in same_day:
            if drill.title == row.title:
                return drill
        if not explicit and plans_given:
            same_plans = [d for d in same_day if d.plan_ids == row.plan_ids]
            if len(same_plans) == 1:
                return same_plans[0]
        return None

    @staticmethod
    def _merged(row: _Stored, existing: _Stored | None, plan_ids) -> _Stored:
        """The drill as it will be: the row, with empty optional cells keeping stored values."""
        if existing is None:
            return replace(row, purpose=row.purpose or DrillPurpose.INSPECTION)
        kept = {name: getattr(row, name) if getattr(row, name) is not None
                else getattr(existing, name) for name in _HELD_FIELDS}
        return replace(existing, status=DrillStatus.HELD, day=row.day,
                       plan_ids=existing.plan_ids if plan_ids is None else row.plan_ids,
                       form=row.form, scope=row.scope, purpose=row.purpose or existing.purpose,
                       **kept)

    def _check(self, drill: _Stored, unit: Unit, errors: RowErrors) -> None:
        """Run the drill form's checks; report each problem on its column once."""
        data = DrillData(title=drill.title, planned_on=drill.day, form=drill.form,
                         scope=drill.scope, purpose=drill.purpose, plan_ids=list(drill.plan_ids))
        held = HeldData(drill.day, drill.duration_minutes, drill.participants,
                        drill.evacuation_seconds, drill.reported_on, drill.summary)
        skip = set(errors.keys)
        if not drill.title and errors.has("form"):
            skip.add("title")  # no title to generate from a form that could not be read
        problems = (check_held(held, unit, self.today) if drill.day else []) + (
            check_drill(data, unit, self.today) if drill.day else [])
        for problem in problems:
            column_key = _FIELD_COLUMNS.get(problem.field, problem.field)
            if column_key not in skip and column_key not in errors.keys:
                errors.problem(column_key, problem, _shown(drill, column_key))

    def _check_duplicate(self, raw: RawRow, unit: Unit, drill: _Stored, existing,
                         errors: RowErrors) -> None:
        row_key = (unit.id, drill.day, drill.title)
        earlier = self.seen.get(row_key)
        if earlier is None and existing is not None and existing.id is not None:
            earlier = self.seen_drills.get(existing.id)
        if earlier is not None:
            column_key = "title" if text(raw.values.get("title")) else "held_on"
            errors.add(column_key, cell_message("duplicate_row", str(earlier)))
            return
        self.seen[row_key] = raw.number
        if existing is not None and existing.id is not None:
            self.seen_drills[existing.id] = raw.number

    # -- writing -------------------------------------------------------------------------------

    def _save(self, unit: Unit, state: _UnitState, drill: _Stored, existing: _Stored | None,
              changes: list[str]) -> int:
        """Write the drill as the drill pages do; return its id."""
        data = DrillData(title=drill.title, planned_on=drill.day, form=drill.form,
                         scope=drill.scope, purpose=drill.purpose, plan_ids=sorted(drill.plan_ids))
        held = HeldData(drill.day, drill.duration_minutes, drill.participants,
                        drill.evacuation_seconds, drill.reported_on, drill.summary)
        if existing is None:
            record = plan_drill(unit, data, self.user, self.today)
            record_held(record, held, self.user, self.today)
            return record.id
        record = db.session.get(Drill, existing.id)
        if _DESCRIPTION & set(changes):
            update_drill(record, data, self.today)
        if set(changes) - _DESCRIPTION:
            record_held(record, held, self.user, self.today)
        state.drills[state.drills.index(existing)] = drill
        return record.id


def _changes(existing: _Stored | None, drill: _Stored) -> list[str]:
    if existing is None:
        return []
    return [name for name in _COMPARED
            if getattr(existing, _ATTRS.get(name, name)) != getattr(drill, _ATTRS.get(name, name))]


def _shown(drill: _Stored, column_key: str):
    value = getattr(drill, "day" if column_key == "held_on" else column_key, None)
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None or isinstance(value, frozenset) else str(value)
