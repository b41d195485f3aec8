"""Unit forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from emergency.form_helpers import choices
from emergency.labels import ASSESSMENT_CLASSES, RISK_TAGS, UNIT_KINDS
from emergency.units.services import UnitData


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(UNIT_KINDS.items()),
                       validators=[DataRequired()])
    region_id = SelectField(_l("Region"), coerce=int, validators=[DataRequired()])
    identifier = StringField(
        _l("Identifier (unified social credit code or school code)"),
        validators=[Optional(), Length(max=40)],
    )
    risk_tags = CheckboxesField(_l("Risk tags"), choices=choices(RISK_TAGS.items()))
    assessment_class = SelectField(
        _l("Assessment class"),
        choices=choices([("", _l("Not assigned"))]
                         + [(str(k), v) for k, v in ASSESSMENT_CLASSES.items()]),
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    is_active = BooleanField(_l("Active"), default=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def to_data(self) -> UnitData:
        """Return the submitted values as plain data for the service."""
        return UnitData(
            name=self.name.data or "", kind=self.kind.data, region_id=self.region_id.data,
            identifier=self.identifier.data, risk_tags=set(self.risk_tags.data or []),
            assessment_class=int(self.assessment_class.data) if self.assessment_class.data else None,
            address=self.address.data, phone=self.phone.data, is_active=bool(self.is_active.data),
        )


class UnitFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"),
                       choices=choices([("", _l("All kinds"))] + list(UNIT_KINDS.items())))
    region = SelectField(_l("Region"), coerce=lambda v: int(v) if v else None)
    tag = SelectField(_l("Risk tag"),
                      choices=choices([("", _l("Any risk"))] + list(RISK_TAGS.items())))
    page = IntegerField(default=1, validators=[Optional()])


class LiaisonForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    submit = SubmitField(_l("Add liaison"))
