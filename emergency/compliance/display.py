"""Show obligations in the user's language: subjects built from codes, and evidence keys."""

from flask_babel import lazy_gettext as _l

from emergency.compliance.facts import ObligationKind

EVIDENCE_LABELS = {
    "action_id": _l("Corrective action"), "base": _l("Counted from"),
    "base_source": _l("Counted from what"), "categories": _l("Plan categories"),
    "closed_on": _l("Closed on"), "completed": _l("Completed"), "deadline_days": _l("Days allowed"),
    "deadline_workdays": _l("Working days allowed"), "drill_dates": _l("Drill dates"),
    "drills_held": _l("Drills held"), "filed_on": _l("Filed on"), "filing_state": _l("Filing state"),
    "held": _l("Drills held"), "interval_months": _l("Interval in months"),
    "issued_on": _l("Issue date"), "last_drill_on": _l("Last drill"),
    "last_evaluated_on": _l("Last evaluation"), "on_time": _l("On time"),
    "period_end": _l("Period ends"), "period_start": _l("Period starts"), "plan_ids": _l("Plans"),
    "raised_on": _l("Raised on"), "required": _l("Drills required"), "revision_id": _l("Revision item"),
    "submitted_on": _l("Submitted on"), "reason": _l("Reason"),
}
SOURCE_VALUES = {"last_drill": _l("the last drill"), "issued_on": _l("the issue date"),
                 "last_evaluated_on": _l("the last evaluation"), "school_vacation": _l("school vacation")}


def subject_label(obligation) -> str:
    """Return the subject, translating plan-category codes of "have a plan" obligations."""
    from emergency.labels import PLAN_CATEGORIES

    if obligation.kind != ObligationKind.HAVE_PLAN:
        return obligation.subject
    if obligation.subject == "any plan":
        return str(_l("any plan"))
    return "、".join(str(PLAN_CATEGORIES.get(code.strip(), code.strip()))
                    for code in obligation.subject.split(","))


def _value(key: str, value):
    from emergency.labels import FILING_STATES, PLAN_CATEGORIES

    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if key == "filing_state":
        return str(FILING_STATES.get(value, value))
    if key == "categories" and isinstance(value, list):
        return "、".join(str(PLAN_CATEGORIES.get(v, v)) for v in value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    if value is None:
        return "—"
    return str(SOURCE_VALUES.get(value, value))


def evidence_items(obligation) -> list[tuple[str, str]]:
    """Return the evidence as (translated label, readable value) pairs."""
    return [(str(EVIDENCE_LABELS.get(k, k)), _value(k, v)) for k, v in (obligation.evidence or {}).items()]
