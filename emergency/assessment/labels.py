"""Translated names of the assessment's indicators, groupings, grades and evidence columns."""

from flask_babel import lazy_gettext as _l

INDICATOR_TITLES = {
    "K1": _l("Plan coverage"),
    "K2": _l("Risk coverage"),
    "K3": _l("Filing rate"),
    "K4": _l("Filing timeliness"),
    "K5": _l("Evaluations on time"),
    "K6": _l("Revisions on time"),
    "K7": _l("Plans past their evaluation cycle"),
    "K8": _l("Drill completion"),
    "K9": _l("Special plans drilled this year"),
    "K10": _l("Complete drill records"),
    "K11": _l("Key units' drills reported"),
    "K12": _l("Corrective actions closed on time"),
    "K13": _l("Timely incident reporting"),
    "K14": _l("Training"),
    "K15": _l("Basic level (towns and villages)"),
    "K16": _l("Total score"),
    "LF": _l("Filings past the deadline"),
}

#: What num and den count, per measure (the evidence list and the workbook explain the figure).
INDICATOR_FORMULAS = {
    "K1": _l("Units holding every required plan ÷ units that must hold plans"),
    "K2": _l("Not tracked: the registry holds no list of each unit's risk topics."),
    "K3": _l("Major versions issued this year with a filing record (deemed filing counts) ÷ those past their filing deadline or filed"),
    "K4": _l("Filed versions submitted within 20 working days of issue ÷ filed versions issued this year"),
    "K5": _l("Plans evaluated within their cycle ÷ plans under an evaluation cycle (latest compliance scan)"),
    "K6": _l("Revision items due this year and closed in time ÷ revision items due this year"),
    "K7": _l("Plans past their evaluation cycle (count) out of plans under a cycle"),
    "K8": _l("Drills held (up to what each period requires) ÷ drills required this year"),
    "K9": _l("Special plans drilled at least once this year ÷ special plans in force"),
    "K10": _l("Held drills with scheme, evaluation report and summary report ÷ held drills"),
    "K11": _l("Drills of high-risk and crowded-place units reported to the regulator ÷ their drills"),
    "K12": _l("Corrective actions due this year and closed by their due date ÷ actions due this year"),
    "K13": _l("Not tracked: the registry does not record incident reports."),
    "K14": _l("Not tracked: the registry does not record training."),
    "K15": _l("K1 and K8 for towns/streets and villages/communities, pooled"),
    "LF": _l("Versions submitted after their filing deadline, or not submitted and past it"),
}

#: The two date columns of each measure's evidence rows.
EVIDENCE_DATES = {
    "K1": (None, None),
    "K3": (_l("Issued on"), _l("Filed on")),
    "K4": (_l("Filing deadline"), _l("Submitted on")),
    "K5": (_l("Evaluation due"), None),
    "K6": (_l("Due on"), _l("Closed on")),
    "K7": (_l("Evaluation due"), None),
    "K8": (_l("Due on"), None),
    "K9": (_l("Last drill this year"), None),
    "K10": (_l("Held on"), None),
    "K11": (_l("Held on"), _l("Reported on")),
    "K12": (_l("Due on"), _l("Closed on")),
    "K15": (_l("Due on"), None),
    "LF": (_l("Filing deadline"), _l("Submitted on")),
}

GROUPINGS = {
    "county": _l("By county / district"),
    "town": _l("By town / street"),
    "department": _l("By government department"),
}

GRADES = {"excellent": _l("Excellent"), "pass": _l("Up to standard"), "fail": _l("Below standard")}

DEDUCTION_LABELS = {
    "late_filing": _l("Plan not filed on time"),
    "overdue_plan": _l("Plan past its evaluation cycle"),
    "missing_plan": _l("Unit without a required plan"),
    "missed_drill": _l("Required drill not held"),
    "unreported_drill": _l("Key unit's drill not reported"),
    "overdue_action": _l("Corrective action not closed on time"),
}

STATUSES = {
    "not_applicable": _l("Nothing owed"),
    "unavailable": _l("No compliance scan of this year"),
    "not_tracked": _l("Not tracked"),
}


def deduction_label(figure) -> str:
    """Return a deduction's label: the administrator's wording, else the translated default."""
    return figure.label or str(DEDUCTION_LABELS[figure.source])


def evidence_subject(subject: str | None) -> str:
    """Return an evidence row's subject with plan-category codes and "any plan" translated."""
    from emergency.labels import PLAN_CATEGORIES

    if not subject:
        return ""
    subject = subject.replace("any plan", str(_l("any plan")))
    parts = [part.strip() for part in subject.split(",")]
    if all(part in PLAN_CATEGORIES for part in parts):
        return "、".join(str(PLAN_CATEGORIES[part]) for part in parts)
    return subject
