"""Import forms: the upload, and the confirmation after the dry run."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField

from emergency.form_helpers import choices

KIND_LABELS = {"units": _l("Units and liaisons"), "plans": _l("Existing plans (plan register)"),
               "drills": _l("Past drills (drill register)")}


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file contains"), choices=choices(KIND_LABELS.items()))
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"),
                     validators=[FileRequired(message=_l("Choose a file."))])


class ConfirmForm(FlaskForm):
    #: The signed upload token (file id, SHA-256, kind, user) from the dry-run page.
    upload = HiddenField()
    #: Set when the dry run found refused rows and the user chose to import the others.
    skip_invalid = BooleanField(_l("Import the other rows and skip the rows with errors"))
