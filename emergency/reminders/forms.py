"""The reminder preferences form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField

from emergency.form_helpers import choices

#: Hours a digest may be sent at; outside them are the usual quiet hours.
DIGEST_HOURS = tuple(range(7, 20))


class ReminderPreferencesForm(FlaskForm):
    digest_hour = SelectField(_l("Send my daily digest at"), coerce=int,
                              choices=choices((h, f"{h:02d}:00") for h in DIGEST_HOURS))
    email_reminders = BooleanField(
        _l("E-mail me reminders before items fall due and while they are overdue"))
    email_weekly = BooleanField(_l("E-mail me the weekly digest of my region"))
    submit = SubmitField(_l("Save"))

    def to_data(self) -> dict:
        """Return the choices as keyword arguments for save_preferences."""
        return {"digest_hour": self.digest_hour.data, "email_reminders": self.email_reminders.data,
                "email_weekly": self.email_weekly.data}
