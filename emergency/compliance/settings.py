"""Turn stored rules and settings into the engine's RuleSpec list and Context."""

from datetime import date

from sqlalchemy import or_, select

from emergency.compliance.dates import PeriodKind, SchoolTerms
from emergency.compliance.deadlines import FilingTiming
from emergency.compliance.engine import applies
from emergency.compliance.facts import Context, ObligationKind, RuleSpec, UnitFacts
from emergency.compliance.models import AssessmentYear, Rule
from emergency.compliance.services import load_calendar
from emergency.extensions import db


def rule_spec(rule: Rule) -> RuleSpec:
    """Convert a stored rule to the engine's RuleSpec."""
    return RuleSpec(
        id=rule.id, code=rule.code, kind=ObligationKind(rule.kind), citation=rule.citation,
        unit_kinds=frozenset(rule.unit_kinds or ()), tags_any=frozenset(rule.tags_any or ()),
        plan_categories=frozenset(rule.plan_categories or ()),
        interval_months=rule.interval_months, deadline_days=rule.deadline_days,
        period=PeriodKind(rule.period) if rule.period else None, per_period=rule.per_period,
        per_plan=rule.per_plan, school_terms_only=rule.school_terms_only, lead_days=rule.lead_days,
        effective_from=rule.effective_from, effective_to=rule.effective_to,
    )


def rule_specs(as_of: date) -> list[RuleSpec]:
    """Return the active rules in force on a date, ordered by code."""
    rules = db.session.scalars(
        select(Rule).where(
            Rule.is_active.is_(True),
            or_(Rule.effective_from.is_(None), Rule.effective_from <= as_of),
            or_(Rule.effective_to.is_(None), Rule.effective_to >= as_of),
        ).order_by(Rule.code)
    ).all()
    return [rule_spec(rule) for rule in rules]


def filing_rule_specs() -> list[RuleSpec]:
    """Return every active filing rule, whatever its effective dates (filing_timing checks them)."""
    rules = db.session.scalars(select(Rule).where(
        Rule.is_active.is_(True), Rule.kind == ObligationKind.FILE_PLAN.value)).all()
    return [rule_spec(rule) for rule in rules]


def filing_timing(unit, category: str, issued_on: date,
                  specs: list[RuleSpec] | None = None) -> FilingTiming:
    """Return the filing limit the rules give a plan of this unit and category issued on a date.

    The stored deadline shown on plan pages must be the one the compliance engine judges by, so
    it comes from the same filing rules; with several applicable rules the strictest wins, and
    with none the statutory 20 working days apply.
    """
    facts = UnitFacts(id=unit.id, kind=str(unit.kind), tags=frozenset(unit.risk_tags))
    days = [spec.deadline_days for spec in (filing_rule_specs() if specs is None else specs)
            if spec.deadline_days is not None and applies(spec, facts, issued_on)
            and (not spec.plan_categories or str(category) in spec.plan_categories)]
    return FilingTiming(filing_workdays=min(days)) if days else FilingTiming()


def assessment_settings(year: int) -> tuple[date, SchoolTerms]:
    """Return a year's assessment date (default 12-31) and school terms (default terms)."""
    row = db.session.get(AssessmentYear, year)
    assessment = row.assessment_date if row else date(year, 12, 31)
    terms = terms_from_json(row.school_terms) if row and row.school_terms else SchoolTerms()
    return assessment, terms


def terms_from_json(data: dict) -> SchoolTerms:
    """Build SchoolTerms from {"spring": [[m, d], [m, d]], "autumn": [[m, d], [m, d]]}."""
    (spring_start, spring_end), (autumn_start, autumn_end) = data["spring"], data["autumn"]
    return SchoolTerms(spring_start=tuple(spring_start), spring_end=tuple(spring_end),
                       autumn_start=tuple(autumn_start), autumn_end=tuple(autumn_end))


def terms_to_json(terms: SchoolTerms) -> dict:
    """Store SchoolTerms as JSON lists."""
    return {"spring": [list(terms.spring_start), list(terms.spring_end)],
            "autumn": [list(terms.autumn_start), list(terms.autumn_end)]}


def context_for(as_of: date) -> Context:
    """Build the engine context for an as-of date: assessment date of that year, terms, calendar."""
    assessment, terms = assessment_settings(as_of.year)
    return Context(as_of=as_of, assessment_date=assessment, calendar=load_calendar(), terms=terms)
