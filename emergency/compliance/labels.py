"""Translated names of obligation kinds and statuses."""

from flask_babel import lazy_gettext as _l

from emergency.compliance.facts import ObligationKind, Status

STATUSES = {
    Status.OVERDUE: _l("Overdue"),
    Status.MISSING: _l("Missing"),
    Status.DUE_SOON: _l("Due soon"),
    Status.DUE_BEFORE_ASSESSMENT: _l("Due before the assessment"),
    Status.DONE: _l("Done"),
    Status.NOT_APPLICABLE: _l("Not applicable"),
}

OBLIGATION_KINDS = {
    ObligationKind.HAVE_PLAN: _l("Have a plan"),
    ObligationKind.FILE_PLAN: _l("File the plan"),
    ObligationKind.EVALUATE: _l("Evaluate the plan"),
    ObligationKind.REVISE: _l("Revise the plan"),
    ObligationKind.DRILL_INTERVAL: _l("Hold a drill"),
    ObligationKind.DRILL_PERIOD: _l("Drills per period"),
    ObligationKind.CLOSE_ACTIONS: _l("Close corrective actions"),
}

#: Bootstrap colour of each status badge.
STATUS_COLOURS = {
    Status.OVERDUE: "danger", Status.MISSING: "danger", Status.DUE_SOON: "warning",
    Status.DUE_BEFORE_ASSESSMENT: "info", Status.DONE: "success", Status.NOT_APPLICABLE: "secondary",
}
