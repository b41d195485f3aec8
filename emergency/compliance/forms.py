"""Rule, assessment-settings and calendar forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from emergency.compliance.labels import OBLIGATION_KINDS
from emergency.form_helpers import choices
from emergency.compliance.rules import RuleData
from emergency.labels import PLAN_CATEGORIES, RISK_TAGS, UNIT_KINDS
from emergency.units.forms import CheckboxesField

PERIODS = choices([("", "—"), ("month", _l("Month")), ("quarter", _l("Quarter")),
                   ("half_year", _l("Half year")), ("year", _l("Year")), ("term", _l("School term"))])


class RuleForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=10)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Obligation"), choices=choices(OBLIGATION_KINDS.items()))
    citation = StringField(_l("Citation (document and article)"),
                           validators=[DataRequired(), Length(max=300)])
    unit_kinds = CheckboxesField(_l("Unit kinds (none = all)"), choices=choices(UNIT_KINDS.items()))
    tags_any = CheckboxesField(_l("Risk tags (any of; none = no condition)"),
                               choices=choices(RISK_TAGS.items()))
    plan_categories = CheckboxesField(_l("Plan categories (none = any)"),
                                      choices=choices(PLAN_CATEGORIES.items()))
    interval_months = IntegerField(_l("Interval in months"), validators=[Optional()])
    deadline_days = IntegerField(_l("Deadline in days (working days for filing)"), validators=[Optional()])
    period = SelectField(_l("Period"), choices=PERIODS)
    per_period = IntegerField(_l("Drills per period"), validators=[Optional()])
    per_plan = BooleanField(_l("Counted per plan (not per unit)"))
    school_terms_only = BooleanField(_l("Only periods that overlap a school term"))
    lead_days = IntegerField(_l("Due-soon window in days"), validators=[DataRequired(message=_l("This field is required.")), NumberRange(min=0, max=366)])
    reminder_days = StringField(_l("Reminder days before the due date (e.g. 30, 7, 1)"),
                                validators=[Optional(), Length(max=60)])
    is_national = BooleanField(_l("National rule (unticked: local default)"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    effective_from = DateField(_l("In force from"), validators=[Optional()])
    effective_to = DateField(_l("In force until"), validators=[Optional()])
    is_active = BooleanField(_l("Active"))
    version = HiddenField()

    def validate_reminder_days(self, field) -> None:
        parts = [p.strip() for p in (field.data or "").replace("，", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Enter whole numbers separated by commas."))

    def to_data(self) -> RuleData:
        """Return the rule as plain data."""
        days = [int(p) for p in (self.reminder_days.data or "").replace("，", ",").split(",") if p.strip()]
        return RuleData(
            code=(self.code.data or "").strip(), title=(self.title.data or "").strip(),
            kind=self.kind.data, citation=(self.citation.data or "").strip(),
            unit_kinds=list(self.unit_kinds.data or []), tags_any=list(self.tags_any.data or []),
            plan_categories=list(self.plan_categories.data or []),
            interval_months=self.interval_months.data, deadline_days=self.deadline_days.data,
            period=self.period.data or None, per_period=self.per_period.data,
            per_plan=bool(self.per_plan.data), school_terms_only=bool(self.school_terms_only.data),
            lead_days=self.lead_days.data, reminder_days=sorted(set(days), reverse=True),
            is_national=bool(self.is_national.data), note=(self.note.data or "").strip() or None,
            effective_from=self.effective_from.data, effective_to=self.effective_to.data,
            is_active=bool(self.is_active.data),
        )


class YearSettingsForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    assessment_date = DateField(_l("Assessment date"), validators=[DataRequired()])
    spring_start = StringField(_l("Spring term starts (MM-DD)"), validators=[DataRequired(), Length(max=5)])
    spring_end = StringField(_l("Spring term ends (MM-DD)"), validators=[DataRequired(), Length(max=5)])
    autumn_start = StringField(_l("Autumn term starts (MM-DD)"), validators=[DataRequired(), Length(max=5)])
    autumn_end = StringField(_l("Autumn term ends (MM-DD, may be in January)"),
                             validators=[DataRequired(), Length(max=5)])


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    is_workday = SelectField(_l("This day is"), choices=choices([("0", _l("a holiday (no work)")),
                                                                 ("1", _l("a make-up working day"))]))
    note = StringField(_l("Note (e.g. Spring Festival)"), validators=[Optional(), Length(max=100)])


class CalendarYearForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
