"""Drill forms: plan, edit, reschedule, cancel, shift a year, record held, documents, actions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from emergency.drills.actions import ActionData
from emergency.drills.checklist import DRILL_DOC_TYPES
from emergency.drills.services import DrillData, HeldData
from emergency.form_helpers import choices
from emergency.labels import DOC_TYPES, DRILL_FORMS, DRILL_PURPOSES, DRILL_SCOPES
from emergency.units.forms import CheckboxesField


class PlanIdsField(CheckboxesField):
    """The plans a drill exercises, as checkboxes of the unit's plans.

    Choices are not validated here: the service refuses ids of other units' plans with its own,
    clearer message ("plan_of_other_unit").
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.type = "CheckboxesField"  # rendered as checkboxes by the shared field() macro


class DrillFieldsMixin:
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    form = SelectField(_l("Drill form"), choices=choices(DRILL_FORMS.items()))
    scope = SelectField(_l("Drill scope"), choices=choices(DRILL_SCOPES.items()))
    purpose = SelectField(_l("Drill purpose"), choices=choices(DRILL_PURPOSES.items()))
    plan_ids = PlanIdsField(_l("Plans exercised"))

    def set_plans(self, plans) -> None:
        """Offer the unit's plans as choices."""
        self.plan_ids.choices = choices((p.id, p.title) for p in plans)

    def drill_data(self) -> DrillData:
        """Return the drill fields as plain data."""
        planned = getattr(self, "planned_on", None)
        return DrillData(title=self.title.data or "",
                         planned_on=planned.data if planned is not None else None,
                         form=self.form.data, scope=self.scope.data, purpose=self.purpose.data,
                         plan_ids=list(self.plan_ids.data or []))


class NewDrillForm(DrillFieldsMixin, FlaskForm):
    planned_on = DateField(_l("Planned date"), validators=[InputRequired()])


class EditDrillForm(DrillFieldsMixin, FlaskForm):
    pass


def _reason_field():
    return TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class RescheduleForm(FlaskForm):
    new_date = DateField(_l("New date"), validators=[InputRequired()])
    reason = _reason_field()


class CancelForm(FlaskForm):
    reason = _reason_field()


class ShiftForm(FlaskForm):
    days = IntegerField(_l("Days to move (negative: earlier)"), validators=[InputRequired()])
    reason = _reason_field()


class HeldForm(FlaskForm):
    held_on = DateField(_l("Date held"), validators=[InputRequired()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[Optional()])
    participants = IntegerField(_l("Participants"), validators=[Optional()])
    evacuation_seconds = IntegerField(_l("Evacuation time (seconds)"), validators=[Optional()])
    reported_on = DateField(_l("Reported to the regulator on"), validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])

    def held_data(self) -> HeldData:
        """Return the record of the held drill as plain data."""
        return HeldData(held_on=self.held_on.data, duration_minutes=self.duration_minutes.data,
                        participants=self.participants.data,
                        evacuation_seconds=self.evacuation_seconds.data,
                        reported_on=self.reported_on.data, summary=self.summary.data)


class DrillDocumentForm(FlaskForm):
    doc_type = SelectField(_l("Document type"),
                           choices=choices((t, DOC_TYPES[t]) for t in DRILL_DOC_TYPES))
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class ActionForm(FlaskForm):
    title = StringField(_l("Problem found"), validators=[InputRequired(), Length(max=200)])
    owner = StringField(_l("Responsible person"), validators=[InputRequired(), Length(max=100)])
    due_on = DateField(_l("Due date"), validators=[InputRequired()])
    description = TextAreaField(_l("Corrective measures"),
                                validators=[Optional(), Length(max=5000)])

    def action_data(self) -> ActionData:
        """Return the corrective action as plain data."""
        return ActionData(title=self.title.data or "", owner=self.owner.data or "",
                          due_on=self.due_on.data, description=self.description.data)


class CloseActionForm(FlaskForm):
    evidence = FileField(_l("Evidence of correction"))
    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    comment = TextAreaField(_l("Comment to the unit"), validators=[Optional(), Length(max=2000)])
