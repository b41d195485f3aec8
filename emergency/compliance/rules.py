"""Checks and changes for rules edited by administrators."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from emergency.compliance.dates import PeriodKind
from emergency.compliance.facts import ObligationKind
from emergency.compliance.models import Rule
from emergency.extensions import db
from emergency.plans.models import PlanCategory
from emergency.problems import Problem
from emergency.units.models import RiskTag, UnitKind

NEEDS_INTERVAL = {ObligationKind.EVALUATE, ObligationKind.DRILL_INTERVAL}
NEEDS_DEADLINE = {ObligationKind.FILE_PLAN, ObligationKind.REVISE}


@dataclass
class RuleData:
    code: str
    title: str
    kind: str
    citation: str
    unit_kinds: list[str] = field(default_factory=list)
    tags_any: list[str] = field(default_factory=list)
    plan_categories: list[str] = field(default_factory=list)
    interval_months: int | None = None
    deadline_days: int | None = None
    period: str | None = None
    per_period: int | None = None
    per_plan: bool = False
    school_terms_only: bool = False
    lead_days: int = 30
    reminder_days: list[int] = field(default_factory=list)
    is_national: bool = True
    note: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    is_active: bool = True


def _count_problems(data: RuleData) -> list[Problem]:
    problems = []
    if data.kind in NEEDS_INTERVAL and (data.interval_months is None or data.interval_months < 1):
        problems.append(Problem("interval_months", "positive_required"))
    if data.kind == ObligationKind.FILE_PLAN and (data.deadline_days or 0) < 1:
        # Filing falls due on the Nth working day after issue: there is no 0th working day.
        problems.append(Problem("deadline_days", "positive_required"))
    elif data.kind in NEEDS_DEADLINE and (data.deadline_days is None or data.deadline_days < 0):
        problems.append(Problem("deadline_days", "not_negative_required"))
    if data.kind == ObligationKind.DRILL_PERIOD:
        if data.period not in set(PeriodKind):
            problems.append(Problem("period", "invalid_choice"))
        if data.per_period is None or data.per_period < 1:
            problems.append(Problem("per_period", "positive_required"))
    if data.lead_days is None or data.lead_days < 0 or data.lead_days > 366:
        problems.append(Problem("lead_days", "lead_days_range"))
    if any(d < 0 or d > 366 for d in data.reminder_days):
        problems.append(Problem("reminder_days", "lead_days_range"))
    return problems


def _choice_problems(data: RuleData) -> list[Problem]:
    problems = []
    if data.kind not in set(ObligationKind):
        problems.append(Problem("kind", "invalid_choice"))
    for name, allowed in (("unit_kinds", UnitKind), ("tags_any", RiskTag),
                          ("plan_categories", PlanCategory)):
        if set(getattr(data, name)) - set(allowed):
            problems.append(Problem(name, "invalid_choice"))
    if not data.code or not data.title or not data.citation:
        problems.append(Problem("code" if not data.code else "title" if not data.title else "citation",
                                "required"))
    return problems


def check_rule(data: RuleData, existing: Rule | None = None) -> list[Problem]:
    """Return every problem with the rule data, including overlapping periods of the same code."""
    problems = _choice_problems(data) + _count_problems(data)
    if data.effective_from and data.effective_to and data.effective_to < data.effective_from:
        problems.append(Problem("effective_to", "end_before_start"))
    elif data.code and _overlaps(data, existing):
        problems.append(Problem("effective_from", "rule_overlap", {"code": data.code}))
    return problems


def _overlaps(data: RuleData, existing: Rule | None) -> bool:
    others = db.session.scalars(select(Rule).where(Rule.code == data.code)).all()
    start, end = data.effective_from or date.min, data.effective_to or date.max
    for other in others:
        if existing is not None and other.id == existing.id:
            continue
        if start <= (other.effective_to or date.max) and (other.effective_from or date.min) <= end:
            return True
    return False


def apply_rule(rule: Rule, data: RuleData) -> None:
    """Copy checked data onto a rule (new or existing); it takes effect at the next scan."""
    for name, value in vars(data).items():
        setattr(rule, name, value)
    db.session.add(rule)
    db.session.flush()
