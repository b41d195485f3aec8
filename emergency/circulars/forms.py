"""The editable draft of a circular: the office's text travels in the POST, nothing is stored."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

TOO_LONG = _l("At most %(max)d characters; this text has more.")
#: Generous for a one-page circular, small enough that nobody pastes a book into a POST.
PARAGRAPH_MAX = 5000


def _paragraph(label):
    length = Length(max=PARAGRAPH_MAX, message=TOO_LONG)
    return TextAreaField(label, validators=[Optional(), length])


class DraftForm(FlaskForm):
    """Everything of the circular the office may word; month and region say which figures."""

    month = HiddenField()
    region = HiddenField()
    title = StringField(_l("Circular title"), validators=[
        DataRequired(), Length(max=200, message=TOO_LONG)])
    addressees = StringField(_l("Addressed to"), validators=[
        Optional(), Length(max=300, message=TOO_LONG)])
    lead = TextAreaField(_l("Opening paragraph"), validators=[
        DataRequired(), Length(max=PARAGRAPH_MAX, message=TOO_LONG)])
    improvements = _paragraph(_l("Progress since last month"))
    requirements = _paragraph(_l("Requirements"))
    issuer = StringField(_l("Issuing office"), validators=[
        DataRequired(), Length(max=100, message=TOO_LONG)])
    issued_on = DateField(_l("Date of issue"), validators=[DataRequired()])
    docx = SubmitField(_l("Download DOCX"))
    printable = SubmitField(_l("Printable page"))
