"""Translated messages for problem codes, shared by the web forms, the API and imports."""

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from emergency.problems import Problem


def problem_message(problem: Problem, *, html: bool = False) -> str:
    """Return the message for a problem in the current language."""
    p = problem.params
    if problem.code == "duplicate":
        text = _("A unit with this identifier is already registered: %(name)s.", name=p["name"])
        if html:
            link = url_for("units.detail", unit_id=p["unit_id"])
            return Markup('{} <a href="{}">{}</a>').format(escape(text), link, _("Open it"))
        return text
    messages = {
        "duplicate_elsewhere": _(
            "This identifier is already registered to a unit outside your scope. "
            "Contact the city office."),
        "required": _("This field is required."),
        "too_long": _("At most %(max)s characters.", max=p.get("max")),
        "unknown_kind": _("Unknown unit kind."),
        "unknown_tag": _("Unknown risk tag: %(tags)s.", tags=p.get("tags")),
        "invalid_choice": _("Not a valid choice."),
        "region_out_of_scope": _("This region does not exist or is outside your scope."),
        "region_level": _("Choose a city, county, town/street or village/community."),
        "uscc_required": _("An enterprise needs its unified social credit code."),
        "uscc_length": _("A unified social credit code has 18 characters."),
        "uscc_characters": _(
            "A unified social credit code uses digits and capital letters except I, O, Z, S and V."
        ),
        "uscc_check": _(
            "The check character is wrong: with these first 17 characters it must be %(expected)s.",
            expected=p.get("expected"),
        ),
        "school_format": _("A school identification code has 10 digits and starts with a school category."),
        "date_in_future": _("The date cannot be in the future."),
        "date_too_early": _("The date cannot be before 1990."),
        "date_before_previous": _("The issue date cannot be before the previous version's (%(previous)s).",
                                  previous=p.get("previous")),
        "parent_not_allowed": _(
            "The parent plan must be a plan of this unit or of a government body above it."),
        "parent_cycle": _("A plan cannot be its own parent, directly or indirectly."),
        "version_under_review": _(
            "The current version is waiting for the office's review; wait for the result first."),
        "not_current_version": _("Only the newest version can be submitted."),
        "wrong_state": _("This action is not possible in the current filing state."),
        "positive_required": _("Enter a whole number of at least 1."),
        "not_negative_required": _("Enter a whole number of at least 0."),
        "lead_days_range": _("Enter a number of days between 0 and 366."),
        "end_before_start": _("The end date is before the start date."),
        "rule_overlap": _("Another version of rule %(code)s is in force in the same period.",
                          code=p.get("code")),
        "plan_of_other_unit": _("Choose plans of this unit only."),
        "date_out_of_range": _("The date is not plausible (between 1990 and three years ahead)."),
        "drill_not_planned": _("Only a planned drill can be changed this way."),
        "drill_not_held": _("Corrective actions can only be added to a drill that was held."),
        "shift_range": _("Shift by 1 to 366 days (negative moves earlier)."),
        "evacuation_only_schools": _("The evacuation time is recorded for schools only."),
        "evacuation_impossible": _("The evacuation time must be between 1 second and 1 hour."),
        "reported_before_held": _("The report date must be between the drill date and today."),
        "due_before_drill": _("The due date cannot be before the drill."),
        "action_not_open": _("Only an open corrective action can be closed."),
        "action_not_closed": _("Only a closed corrective action can be verified or reopened."),
        "evidence_required": _("Upload at least one evidence document before closing."),
        "documents_missing": _("Required documents are missing: %(missing)s.",
                               missing=_doc_list(p.get("missing", []))),
    }
    return messages.get(problem.code, problem.code)


def _doc_list(doc_types) -> str:
    from emergency.labels import DOC_TYPES

    return "、".join(str(DOC_TYPES.get(t, t)) for t in doc_types)
