"""Jinja filters and globals shared by every template."""

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale

from emergency import labels
from emergency.compliance.display import evidence_items, subject_label
from emergency.compliance import labels as compliance_labels


def url_with(**changes) -> str:
    """Return the current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return f"{request.path}?{query}" if query else request.path


def register_template_helpers(app: Flask) -> None:
    """Expose labels, date formatting and URL helpers to templates."""
    app.jinja_env.globals.update(
        url_with=url_with,
        subject_label=subject_label,
        evidence_items=evidence_items,
        get_locale=get_locale,
        UNIT_KINDS=labels.UNIT_KINDS,
        RISK_TAGS=labels.RISK_TAGS,
        ROLES=labels.ROLES,
        REGION_LEVELS=labels.REGION_LEVELS,
        ASSESSMENT_CLASSES=labels.ASSESSMENT_CLASSES,
        LANGUAGE_NAMES=labels.LANGUAGE_NAMES,
        PLAN_CATEGORIES=labels.PLAN_CATEGORIES,
        HAZARD_CLASSES=labels.HAZARD_CLASSES,
        FILING_STATES=labels.FILING_STATES,
        SIGNER_ROLES=labels.SIGNER_ROLES,
        DOC_TYPES=labels.DOC_TYPES,
        RETURN_REASONS=labels.RETURN_REASONS,
        EVALUATION_CONCLUSIONS=labels.EVALUATION_CONCLUSIONS,
        REVISION_TRIGGERS=labels.REVISION_TRIGGERS,
        DRILL_FORMS=labels.DRILL_FORMS,
        DRILL_SCOPES=labels.DRILL_SCOPES,
        DRILL_PURPOSES=labels.DRILL_PURPOSES,
        DRILL_STATUSES=labels.DRILL_STATUSES,
        ACTION_STATUSES=labels.ACTION_STATUSES,
        STATUSES=compliance_labels.STATUSES,
        STATUS_COLOURS=compliance_labels.STATUS_COLOURS,
        OBLIGATION_KINDS=compliance_labels.OBLIGATION_KINDS,
    )
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, "medium") if value else ""
    app.jinja_env.filters["date"] = lambda value: format_date(value, "medium") if value else ""
