"""The data the date engine works on: rules, facts about a unit, and the obligations it returns.

Plain frozen dataclasses, no Flask and no database: the scan loads them in bulk, the engine
turns them into obligations, and tests build them by hand.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from emergency.compliance.dates import PeriodKind, SchoolTerms
from emergency.compliance.workdays import WorkdayCalendar


class ObligationKind(StrEnum):
    HAVE_PLAN = "have_plan"  # hold a plan of one of the rule's categories
    FILE_PLAN = "file_plan"  # submit each plan version for filing within N working days of issue
    EVALUATE = "evaluate"  # evaluate each plan every N months
    REVISE = "revise"  # close each open revision item (file a revised version) within N days
    DRILL_INTERVAL = "drill_interval"  # hold a drill at least every N months
    DRILL_PERIOD = "drill_period"  # hold at least K drills in every calendar period
    CLOSE_ACTIONS = "close_actions"  # close each corrective action by its due date


class Status(StrEnum):
    OVERDUE = "overdue"
    MISSING = "missing"
    DUE_SOON = "due_soon"
    DUE_BEFORE_ASSESSMENT = "due_before_assessment"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


#: Most urgent first: when several statuses apply to one obligation, the first one wins.
STATUS_URGENCY = (Status.OVERDUE, Status.MISSING, Status.DUE_SOON, Status.DUE_BEFORE_ASSESSMENT,
                  Status.DONE, Status.NOT_APPLICABLE)


@dataclass(frozen=True)
class RuleSpec:
    """One editable rule (seeded from domain-rules §9), as the engine needs it."""

    id: int
    code: str
    kind: ObligationKind
    citation: str
    #: Unit kinds the rule applies to (UnitKind values); empty means every kind.
    unit_kinds: frozenset[str] = frozenset()
    #: The unit must carry at least one of these risk tags; empty means no tag is needed.
    tags_any: frozenset[str] = frozenset()
    #: Plan categories the obligation is about (PlanCategory values); empty means any plan.
    plan_categories: frozenset[str] = frozenset()
    #: EVALUATE / DRILL_INTERVAL: months between completions.
    interval_months: int | None = None
    #: FILE_PLAN: working days after issue; REVISE: calendar days after the item was raised.
    deadline_days: int | None = None
    #: DRILL_PERIOD: the calendar period and how many drills each period needs.
    period: PeriodKind | None = None
    per_period: int | None = None
    #: Drill rules: True = each plan in plan_categories needs its own drills; False = the unit.
    per_plan: bool = False
    #: DRILL_PERIOD for schools: only periods overlapping a school term are owed.
    school_terms_only: bool = False
    #: Days before the due date from which the obligation is "due_soon".
    lead_days: int = 30
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True)
class RevisionFacts:
    id: int
    raised_on: date
    closed_on: date | None = None


@dataclass(frozen=True)
class PlanFacts:
    id: int
    category: str
    title: str
    #: The current version's 印发 date and filing data.
    issued_on: date | None
    filing_due_on: date | None = None
    filing_state: str = "draft"
    submitted_on: date | None = None
    filed_on: date | None = None
    #: Every evaluation's date: as of a past day only the ones made by then count.
    evaluations: tuple[date, ...] = ()
    revisions: tuple[RevisionFacts, ...] = ()
    #: The first version's 印发 date: the plan has existed since then, whatever its revisions.
    first_issued_on: date | None = None


@dataclass(frozen=True)
class DrillFacts:
    id: int
    #: The day it was held; None for a planned drill not held yet (never counts as done).
    held_on: date | None
    plan_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ActionFacts:
    """A corrective action (整改项) found by a drill or an evaluation."""

    id: int
    due_on: date
    closed_on: date | None = None
    title: str = ""


@dataclass(frozen=True)
class UnitFacts:
    id: int
    kind: str
    tags: frozenset[str] = frozenset()
    plans: tuple[PlanFacts, ...] = ()
    drills: tuple[DrillFacts, ...] = ()
    actions: tuple[ActionFacts, ...] = ()


@dataclass(frozen=True)
class Context:
    """Everything about "when": the as-of date, the assessment date, terms and the calendar."""

    as_of: date
    assessment_date: date
    calendar: WorkdayCalendar
    terms: SchoolTerms = field(default_factory=SchoolTerms)


@dataclass(frozen=True)
class Obligation:
    unit_id: int
    rule_id: int
    rule_code: str
    kind: ObligationKind
    status: Status
    citation: str
    #: What the obligation is about, e.g. a plan title or a period label ("2026-05").
    subject: str
    plan_id: int | None = None
    period: str | None = None
    due_on: date | None = None
    #: True when the due date rests on a year whose holidays are not published.
    estimated: bool = False
    #: The facts the status was computed from, e.g. {"last_drill_on": "2026-03-02"}.
    evidence: dict = field(default_factory=dict)
