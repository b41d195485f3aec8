"""Import an existing plan register (预案台账): plans, their issued versions, filing and
evaluation dates. Documents are attached later on each plan's page.

A row names a unit that is already registered (by its code, or by its name and region), and a
plan of that unit by its title. The same plan with the same issue date is the same version, so
importing a register twice changes nothing; a later issue date is a new version (list a plan's
versions oldest first). Plan fields and version checks are those of the plan form
(check_plan, check_version), so the messages are the same too.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from emergency.compliance.services import load_calendar
from emergency.extensions import db
from emergency.imports.cells import text
from emergency.imports.lookups import (
    CONCLUSION_SYNONYMS,
    HAZARD_SYNONYMS,
    PLAN_CATEGORY_SYNONYMS,
    SIGNER_SYNONYMS,
    Choices,
)
from emergency.imports.readers import Column, RawRow, Table
from emergency.imports.report import RowResult, cell_message
from emergency.imports.rows import RowErrors, choice_cell, date_cell
from emergency.imports.unitref import UNIT_REF_COLUMNS, UnitFinder
from emergency.labels import EVALUATION_CONCLUSIONS, HAZARD_CLASSES, PLAN_CATEGORIES, SIGNER_ROLES
from emergency.plans.filing import after_filing
from emergency.plans.models import (
    FILED_STATES,
    Evaluation,
    FilingEvent,
    FilingState,
    Plan,
    PlanVersion,
    SignerRole,
)
from emergency.plans.revisions import EvaluationData, record_evaluation
from emergency.plans.services import (
    EARLIEST_ISSUE_DATE,
    PlanData,
    VersionData,
    add_version,
    check_plan,
    check_version,
    create_plan,
    update_plan,
)
from emergency.problems import Problem
from emergency.units.models import Unit

PLAN_COLUMNS = (
    *UNIT_REF_COLUMNS,
    Column("title", "预案名称", True, ("预案", "预案标题", "名称", "plan", "plan title", "title"),
           width=36),
    Column("category", "预案类别", True, ("预案类型", "类别", "category")),
    Column("hazard_class", "事件类别", True, ("事件类型", "突发事件类别", "hazard class")),
    Column("hazard_subtype", "事件子类", aliases=("灾种", "事件子类型", "hazard subtype")),
    Column("issued_on", "印发日期", True,
           ("发布日期", "印发时间", "发布时间", "公布日期", "印发/公布日期", "issue date",
            "issued on"), width=14),
    Column("signer_role", "签发人", aliases=("签发人类型", "签发", "signed by")),
    Column("filed_on", "备案日期", aliases=("备案时间", "filed on", "filing date"), width=14),
    Column("filing_number", "备案编号", aliases=("备案号", "filing number"), as_text=True,
           width=20),
    Column("evaluated_on", "评估日期",
           aliases=("最近评估日期", "评估时间", "evaluated on", "evaluation date"), width=14),
    Column("conclusion", "评估结论", aliases=("conclusion", "evaluation conclusion")),
)
_PLAN_FIELDS = ("title", "category", "hazard_class", "issued_on", "signer_role")


@dataclass
class _PlanState:
    """What the database and the rows read so far say about one plan."""

    plan_id: int | None
    versions: dict[date, int | None] = field(default_factory=dict)
    under_review: bool = False

    @property
    def latest(self) -> date:
        return max(self.versions)


@dataclass
class _Row:
    unit: Unit
    plan: PlanData
    version: VersionData
    filed_on: date | None
    filing_number: str | None
    evaluated_on: date | None
    conclusion: str | None


class PlanImporter:
    kind = "plans"
    columns = PLAN_COLUMNS

    def __init__(self, user, table: Table, today: date):
        self.finder = UnitFinder(user, table)
        self.user = user
        self.table = table
        self.today = today
        self.calendar = load_calendar()
        self.categories = Choices(PLAN_CATEGORIES, PLAN_CATEGORY_SYNONYMS)
        self.hazards = Choices(HAZARD_CLASSES, HAZARD_SYNONYMS)
        self.signers = Choices(SIGNER_ROLES, SIGNER_SYNONYMS)
        self.conclusions = Choices(EVALUATION_CONCLUSIONS, CONCLUSION_SYNONYMS)
        self.plans: dict[tuple[int, str], _PlanState] = {}
        self.seen: dict[tuple, int] = {}
        self.numbers: dict[str, int] = {}
        self.accounts = []

    def prefetch(self, raws: list[RawRow]) -> None:
        """Look up the unit codes of a chunk of rows together."""
        self.finder.prefetch(raws)

    def handle(self, raw: RawRow, write: bool) -> RowResult:
        errors = RowErrors(raw, self.table, self.columns)
        values = raw.values
        unit = self.finder.find(values, errors)
        title = " ".join((text(values.get("title")) or "").split())
        category = choice_cell(values, "category", self.categories, errors, required=True)
        hazard = choice_cell(values, "hazard_class", self.hazards, errors, required=True)
        signer = choice_cell(values, "signer_role", self.signers, errors) or SignerRole.PRINCIPAL
        issued_on = date_cell(values, "issued_on", errors)
        filed_on = date_cell(values, "filed_on", errors)
        evaluated_on = date_cell(values, "evaluated_on", errors)
        conclusion = choice_cell(values, "conclusion", self.conclusions, errors)
        number = text(values.get("filing_number"))
        label = title or ""
        if unit is None:
            self._fields_only(title, category, hazard, issued_on, signer, errors)
            return errors.result(label)

        state = self._state(unit, title) if title else None
        plan = db.session.get(Plan, state.plan_id) if state and state.plan_id else None
        row = _Row(unit, PlanData(title=title, category=category or "", hazard_class=hazard or "",
                                  hazard_subtype=text(values.get("hazard_subtype")),
                                  parent_id=plan.parent_id if plan else None),
                   VersionData(issued_on=issued_on, signer_role=signer),
                   filed_on, number, evaluated_on,
                   conclusion or ("keep" if evaluated_on else None))
        self._check_fields(row, plan, errors)
        action, version_id = self._action(raw, row, state, errors)
        changes = self._changes(row, plan, version_id) if action in ("update", "unchanged") else []
        if action == "update" and not changes:
            action = "unchanged"
        if "filed_on" in changes and self._under_review(version_id):
            errors.problem("filed_on", Problem("filed_on", "wrong_state"))
        self._check_filing(row, version_id, errors)
        if errors:
            return errors.result(label)
        self._remember(raw, row, state, action)
        if write:
            self._save(row, plan, action, version_id, changes)
        return RowResult(raw.number, action, row.plan.title, changes=changes)

    # -- cells ---------------------------------------------------------------------------------

    # -- checks --------------------------------------------------------------------------------

    def _fields_only(self, title, category, hazard, issued_on, signer, errors: RowErrors) -> None:
        """Without a unit, still report what is wrong with the other cells."""
        if not title and not errors.has("title"):
            errors.required("title")
        for problem in check_version(VersionData(issued_on=issued_on, signer_role=signer),
                                     self.today):
            if problem.field not in errors.keys:
                errors.problem(problem.field, problem)

    def _check_fields(self, row: _Row, plan: Plan | None, errors: RowErrors) -> None:
        problems = check_plan(row.plan, row.unit, plan) + check_version(row.version, self.today)
        for problem in problems:
            if problem.field in _PLAN_FIELDS and problem.field not in errors.keys:
                errors.problem(problem.field, problem)
        if row.filed_on is None and row.filing_number and not errors.has("filed_on"):
            errors.required("filed_on")
        if row.filed_on is not None:
            self._check_date("filed_on", row.filed_on, errors)
            if row.version.issued_on and row.filed_on < row.version.issued_on \
                    and not errors.has("filed_on"):
                errors.add("filed_on", cell_message("filed_before_issued"),
                           row.filed_on.isoformat())
        if row.evaluated_on is not None:
            self._check_date("evaluated_on", row.evaluated_on, errors)
        elif row.conclusion and not errors.has("evaluated_on"):
            errors.required("evaluated_on")

    def _check_date(self, column_key: str, value: date, errors: RowErrors) -> None:
        if errors.has(column_key):
            return
        if value > self.today:
            errors.problem(column_key, Problem(column_key, "date_in_future"), value.isoformat())
        elif value < EARLIEST_ISSUE_DATE:
            errors.problem(column_key, Problem(column_key, "date_too_early"), value.isoformat())

    def _check_filing(self, row: _Row, version_id: int | None, errors: RowErrors) -> None:
        number = row.filing_number
        if not number or errors.has("filing_number"):
            return
        earlier = self.numbers.get(number)
        if earlier is not None:
            errors.add("filing_number", cell_message("duplicate_row", str(earlier)), number)
            return
        holder = db.session.scalar(
            select(PlanVersion.id).where(PlanVersion.filing_number == number))
        if holder is not None and holder != version_id:
            errors.add("filing_number", cell_message("filing_number_taken"), number)

    def _state(self, unit: Unit, title: str) -> _PlanState | None:
        plan_key = (unit.id, title)
        if plan_key not in self.plans:
            plan = db.session.scalar(
                select(Plan).where(Plan.unit_id == unit.id, Plan.title == title,
                                   Plan.is_archived.is_(False)).order_by(Plan.id).limit(1))
            if plan is None:
                return None
            state = _PlanState(plan.id)
            for version_id, issued_on, filing_state in db.session.execute(
                    select(PlanVersion.id, PlanVersion.issued_on, PlanVersion.filing_state)
                    .where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.number)):
                state.versions[issued_on] = version_id
                state.under_review = filing_state == FilingState.SUBMITTED
            self.plans[plan_key] = state
        return self.plans[plan_key]

    def _action(self, raw: RawRow, row: _Row, state: _PlanState | None,
                errors: RowErrors) -> tuple[str, int | None]:
        issued_on = row.version.issued_on
        if issued_on is None or not row.plan.title:
            return "error", None
        row_key = (row.unit.id, row.plan.title, issued_on)
        if row_key in self.seen:
            errors.add("title", cell_message("duplicate_row", str(self.seen[row_key])),
                       row.plan.title)
            return "error", None
        if state is None:
            return "create", None
        if issued_on in state.versions:
            return "update", state.versions[issued_on]
        if issued_on < state.latest:
            errors.problem("issued_on", Problem("issued_on", "date_before_previous",
                                                {"previous": state.latest.isoformat()}),
                           issued_on.isoformat())
            return "error", None
        if state.under_review:
            errors.problem("issued_on", Problem("issued_on", "version_under_review"))
            return "error", None
        return "new_version", None

    def _changes(self, row: _Row, plan: Plan, version_id: int | None) -> list[str]:
        changes = [column for column, old, new in (
            ("category", plan.category, row.plan.category),
            ("hazard_class", plan.hazard_class, row.plan.hazard_class),
            ("hazard_subtype", plan.hazard_subtype, row.plan.hazard_subtype or plan.hazard_subtype),
        ) if old != new]
        version = db.session.get(PlanVersion, version_id)
        if row.filed_on is not None and (
                version.filing_state not in FILED_STATES or version.filed_on != row.filed_on
                or (row.filing_number and version.filing_number != row.filing_number)):
            changes.append("filed_on")
        if row.evaluated_on is not None and not _evaluated(plan.id, row.evaluated_on):
            changes.append("evaluated_on")
        return changes

    @staticmethod
    def _under_review(version_id: int | None) -> bool:
        version = db.session.get(PlanVersion, version_id) if version_id else None
        return version is not None and version.filing_state == FilingState.SUBMITTED

    def _remember(self, raw: RawRow, row: _Row, state: _PlanState | None, action: str) -> None:
        self.seen[(row.unit.id, row.plan.title, row.version.issued_on)] = raw.number
        if row.filing_number:
            self.numbers[row.filing_number] = raw.number
        if state is None:
            state = self.plans[(row.unit.id, row.plan.title)] = _PlanState(None)
        state.versions.setdefault(row.version.issued_on, None)

    # -- writing -------------------------------------------------------------------------------

    def _save(self, row: _Row, plan: Plan | None, action: str, version_id: int | None,
              changes: list[str]) -> None:
        state = self.plans[(row.unit.id, row.plan.title)]
        if action == "create":
            plan = create_plan(row.unit, row.plan, row.version, self.user, self.today,
                               self.calendar)
            version = plan.current_version
            state.plan_id = plan.id
        elif action == "new_version":
            version = add_version(plan, row.version, self.user, self.today, self.calendar)
        else:
            version = db.session.get(PlanVersion, version_id)
            if {"category", "hazard_class", "hazard_subtype"} & set(changes):
                row.plan.hazard_subtype = row.plan.hazard_subtype or plan.hazard_subtype
                update_plan(plan, row.plan)
        state.versions[row.version.issued_on] = version.id
        if row.filed_on is not None and (action != "update" or "filed_on" in changes):
            self._file(version, row.filed_on, row.filing_number)
        if row.evaluated_on is not None and not _evaluated(version.plan_id, row.evaluated_on):
            record_evaluation(version.plan, EvaluationData(row.evaluated_on, row.conclusion),
                              self.user, self.today)

    def _file(self, version: PlanVersion, filed_on: date, number: str | None) -> None:
        """Record a filing the register says happened; the audit log records who imported it."""
        newly_filed = version.filing_state not in FILED_STATES
        version.filing_state = FilingState.FILED if newly_filed else version.filing_state
        version.filed_on = filed_on
        version.filing_number = number or version.filing_number
        if newly_filed:
            db.session.add(FilingEvent(version_id=version.id, unit_id=version.unit_id,
                                       action="filed", actor_id=getattr(self.user, "id", None)))
            # Filing closes the plan's open revision items and flags its child plans, exactly
            # as when the office files a submission.
            after_filing(version, self.user, filed_on)
        db.session.flush()


def _evaluated(plan_id: int, on: date) -> bool:
    """Tell whether the plan already has an evaluation on that day."""
    return db.session.scalar(select(Evaluation.id).where(
        Evaluation.plan_id == plan_id, Evaluation.evaluated_on == on).limit(1)) is not None
