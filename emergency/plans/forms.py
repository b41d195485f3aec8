"""Plan, version, document, review, evaluation and revision forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from emergency.form_helpers import choices
from emergency.plans.checklist import PLAN_DOC_TYPES
from emergency.labels import (
    DOC_TYPES,
    EVALUATION_CONCLUSIONS,
    HAZARD_CLASSES,
    PLAN_CATEGORIES,
    RETURN_REASONS,
    REVISION_TRIGGERS,
    SIGNER_ROLES,
)
from emergency.plans.revisions import EvaluationData
from emergency.plans.services import PlanData, VersionData
from emergency.units.forms import CheckboxesField


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class PlanFieldsMixin:
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=choices(PLAN_CATEGORIES.items()))
    hazard_class = SelectField(_l("Hazard class"), choices=choices(HAZARD_CLASSES.items()))
    hazard_subtype = StringField(_l("Hazard subtype (e.g. flood, fire)"),
                                 validators=[Optional(), Length(max=30)])
    parent_id = SelectField(_l("Parent plan"), coerce=_optional_int, validators=[Optional()])

    def plan_data(self) -> PlanData:
        """Return the plan fields as plain data."""
        return PlanData(title=self.title.data or "", category=self.category.data,
                        hazard_class=self.hazard_class.data,
                        hazard_subtype=(self.hazard_subtype.data or "").strip() or None,
                        parent_id=self.parent_id.data)


class VersionFieldsMixin:
    issued_on = DateField(_l("Issue date (印发/公布日期)"), validators=[InputRequired()])
    signer_role = SelectField(_l("Signed by"), choices=choices(SIGNER_ROLES.items()))
    change_summary = TextAreaField(_l("Summary of changes"), validators=[Optional(), Length(max=5000)])
    is_major = BooleanField(_l("Major revision (needs filing again)"), default=True)

    def version_data(self) -> VersionData:
        """Return the version fields as plain data."""
        return VersionData(issued_on=self.issued_on.data, signer_role=self.signer_role.data,
                           change_summary=self.change_summary.data, is_major=bool(self.is_major.data))


class NewPlanForm(PlanFieldsMixin, VersionFieldsMixin, FlaskForm):
    document = FileField(_l("First document (optional)"))
    doc_type = SelectField(_l("Document type"), choices=choices((t, DOC_TYPES[t]) for t in PLAN_DOC_TYPES))


class PlanForm(PlanFieldsMixin, FlaskForm):
    version = HiddenField()


class VersionForm(VersionFieldsMixin, FlaskForm):
    pass


class DocumentForm(FlaskForm):
    doc_type = SelectField(_l("Document type"), choices=choices((t, DOC_TYPES[t]) for t in PLAN_DOC_TYPES))
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class ReturnForm(FlaskForm):
    reasons = CheckboxesField(_l("Reasons"), choices=choices(RETURN_REASONS.items()))
    comment = TextAreaField(_l("Comment to the unit"), validators=[Optional(), Length(max=2000)])


class EvaluationForm(FlaskForm):
    evaluated_on = DateField(_l("Evaluation date"), validators=[InputRequired()])
    conclusion = SelectField(_l("Conclusion"), choices=choices(EVALUATION_CONCLUSIONS.items()))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    report = FileField(_l("Evaluation report (optional)"))

    def to_data(self) -> EvaluationData:
        """Return the evaluation as plain data."""
        return EvaluationData(evaluated_on=self.evaluated_on.data, conclusion=self.conclusion.data,
                              summary=self.summary.data)


class RevisionForm(FlaskForm):
    trigger = SelectField(_l("Reason for revision"), choices=choices(
        (k, v) for k, v in REVISION_TRIGGERS.items() if k != "evaluation"))
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)])
