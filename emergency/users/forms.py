"""Account management forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from emergency.auth.services import UserData
from emergency.labels import ROLES


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLES.items()],
                       validators=[DataRequired()])
    region_id = SelectField(_l("Region (office staff and leaders)"), coerce=_optional_int,
                            validators=[Optional()])
    unit_id = SelectField(_l("Unit (liaisons)"), coerce=_optional_int, validators=[Optional()])
    locale = SelectField(_l("Language"),
                         choices=[SelectChoice("", _l("Follow the browser")), SelectChoice("zh", "中文"),
                                  SelectChoice("en", "English")])
    is_active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("New password (leave empty to keep)"),
                             validators=[Optional(), Length(min=10, max=200)])
    submit = SubmitField(_l("Save"))

    def to_data(self) -> UserData:
        """Return the submitted values as plain data."""
        return UserData(
            username=(self.username.data or "").strip(), display_name=(self.display_name.data or "").strip(),
            email=self.email.data or "", role=self.role.data, region_id=self.region_id.data,
            unit_id=self.unit_id.data, phone=self.phone.data, is_active=bool(self.is_active.data),
            locale=self.locale.data or None,
        )


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("All roles"))]
                       + [SelectChoice(k, v) for k, v in ROLES.items()])
