"""Administrator pages: rules, assessment dates and school terms, and holidays of unknown years."""


from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm.exc import StaleDataError

from emergency.clock import china_today
from emergency.compliance.deadlines import filing_deadline, review_deadline
from emergency.compliance.facts import ObligationKind
from emergency.compliance.forms import CalendarDayForm, CalendarYearForm, RuleForm, YearSettingsForm
from emergency.compliance.models import AssessmentYear, CalendarDay, CalendarYear, Rule
from emergency.compliance.rules import apply_rule, check_rule
from emergency.compliance.services import load_calendar
from emergency.compliance.settings import (
    assessment_settings,
    filing_rule_specs,
    filing_timing,
    terms_from_json,
    terms_to_json,
)
from emergency.compliance.views import bp
from emergency.extensions import db
from emergency.messages import problem_message
from emergency.plans.models import FilingState, PlanVersion

#: Versions whose filing deadline still matters: not yet submitted, or waiting for the office.
OPEN_FILING_STATES = (FilingState.DRAFT, FilingState.RETURNED, FilingState.SUBMITTED)


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/rules")
@login_required
def rules():
    """List every rule with its applicability, numbers, citation and whether it is national law."""
    if not current_user.can_edit:
        abort(403)
    return render_template("compliance/rules.html",
                           rules=db.session.scalars(select(Rule).order_by(Rule.code)).all())


def _rule_form(rule: Rule | None) -> RuleForm:
    form = RuleForm(obj=rule)
    if rule is not None and not form.is_submitted():
        form.reminder_days.data = ", ".join(str(d) for d in rule.reminder_days or [])
        form.version.data = rule.version
    return form


def _save_rule(rule: Rule | None, form: RuleForm):
    data = form.to_data()
    problems = check_rule(data, rule)
    for problem in problems:
        getattr(form, problem.field).errors = [*getattr(form, problem.field).errors, problem_message(problem)]
    if problems:
        return None
    if rule is not None and str(rule.version) != (form.version.data or ""):
        form.code.errors = [_("The rule was changed by someone else. Reload the page.")]
        return None
    rule = rule or Rule()
    apply_rule(rule, data)
    return rule


@bp.route("/rules/add", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit_rule(rule_id: int | None):
    """Add or edit a rule; the change is audited and takes effect at the next scan."""
    _require_admin()
    rule = db.get_or_404(Rule, rule_id) if rule_id else None
    form = _rule_form(rule)
    was_filing_rule = rule is not None and rule.kind == ObligationKind.FILE_PLAN.value
    if form.validate_on_submit():
        try:
            saved = _save_rule(rule, form)
            if saved is not None:
                if was_filing_rule or saved.kind == ObligationKind.FILE_PLAN.value:
                    # Plan pages show the stored deadline: it must follow the edited limit.
                    _refresh_deadlines(PlanVersion.filing_state.in_(OPEN_FILING_STATES))
                db.session.commit()
                flash(_("The rule was saved. It applies from the next compliance scan."), "success")
                return redirect(url_for("compliance.rules"))
        except StaleDataError:
            db.session.rollback()
            form.code.errors = [_("The rule was changed by someone else. Reload the page.")]
        db.session.rollback()
    status = 400 if form.is_submitted() else 200
    return render_template("compliance/rule_edit.html", form=form, rule=rule), status


def _year_form() -> YearSettingsForm:
    year = china_today().year
    assessment, terms = assessment_settings(year)
    form = YearSettingsForm()
    if not form.is_submitted():
        form.year.data, form.assessment_date.data = year, assessment
        form.spring_start.data, form.spring_end.data = (f"{m:02d}-{d:02d}" for m, d in (terms.spring_start, terms.spring_end))
        form.autumn_start.data, form.autumn_end.data = (f"{m:02d}-{d:02d}" for m, d in (terms.autumn_start, terms.autumn_end))
    return form


def _month_day(text: str) -> list[int]:
    month, _sep, day = (text or "").strip().partition("-")
    return [int(month), int(day)]


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Set each year's assessment date and school terms, and enter unpublished holidays."""
    _require_admin()
    form = _year_form()
    if form.validate_on_submit():
        try:
            raw = {"spring": [_month_day(form.spring_start.data), _month_day(form.spring_end.data)],
                   "autumn": [_month_day(form.autumn_start.data), _month_day(form.autumn_end.data)]}
            terms = terms_to_json(terms_from_json(raw))
        except (ValueError, TypeError):
            form.spring_start.errors = [_("Enter the term dates as MM-DD, with the spring term before the autumn term.")]
        else:
            if form.assessment_date.data.year != form.year.data:
                form.assessment_date.errors = [_("The assessment date must lie in that year.")]
            else:
                row = db.session.get(AssessmentYear, form.year.data) or AssessmentYear(year=form.year.data)
                row.assessment_date, row.school_terms = form.assessment_date.data, terms
                db.session.add(row)
                db.session.commit()
                flash(_("The settings were saved."), "success")
                return redirect(url_for("compliance.settings"))
    return _settings_page(form, status=400 if form.is_submitted() else 200)


def _settings_page(form, status=200, day_form=None, year_form=None):
    years = db.session.scalars(select(AssessmentYear).order_by(AssessmentYear.year.desc())).all()
    days = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)).all()
    complete = db.session.scalars(select(CalendarYear.year)).all()
    return render_template("compliance/settings.html", form=form, years=years, days=days,
                           complete=complete, day_form=day_form or CalendarDayForm(),
                           year_form=year_form or CalendarYearForm()), status


@bp.route("/calendar/days", methods=["POST"])
@login_required
def add_calendar_day():
    """Record a holiday or make-up working day for a year the calendar package lacks."""
    _require_admin()
    form = CalendarDayForm()
    if not form.validate_on_submit():
        return _settings_page(_year_form(), 400, day_form=form)
    row = db.session.get(CalendarDay, form.day.data) or CalendarDay(day=form.day.data)
    row.is_workday, row.note = form.is_workday.data == "1", (form.note.data or "").strip() or None
    db.session.add(row)
    day = form.day.data
    _refresh_deadlines(and_(PlanVersion.issued_on < day, PlanVersion.filing_due_on >= day),
                       and_(PlanVersion.submitted_on < day, PlanVersion.review_due_on >= day))
    db.session.commit()
    flash(_("The day was saved."), "success")
    return redirect(url_for("compliance.settings"))


@bp.route("/calendar/years", methods=["POST"])
@login_required
def complete_calendar_year():
    """Mark a year's holidays as completely entered, so its deadlines are no longer estimates."""
    _require_admin()
    form = CalendarYearForm()
    if not form.validate_on_submit():
        return _settings_page(_year_form(), 400, year_form=form)
    if db.session.get(CalendarYear, form.year.data) is None:
        db.session.add(CalendarYear(year=form.year.data))
    _refresh_deadlines(PlanVersion.filing_due_estimated.is_(True))
    db.session.commit()
    flash(_("The year's calendar is marked as complete."), "success")
    return redirect(url_for("compliance.settings"))


def _refresh_deadlines(*conditions) -> None:
    """Recompute the stored filing and review deadlines that a changed calendar moves.

    Plan pages, the plan list and deemed filing read these stored dates, while the compliance
    engine counts from the calendar: both must follow an entered holiday or a completed year.
    """
    db.session.flush()
    calendar, specs = load_calendar(), filing_rule_specs()
    for version in db.session.scalars(select(PlanVersion).where(or_(*conditions))):
        if version.filing_due_on is not None:
            timing = filing_timing(version.plan.unit, version.plan.category, version.issued_on, specs)
            due = filing_deadline(version.issued_on, calendar, timing)
            version.filing_due_on, version.filing_due_estimated = due.date, due.estimated
        if version.review_due_on is not None and version.submitted_on is not None:
            version.review_due_on = review_deadline(version.submitted_on, calendar).date
