"""Forms of the year-end assessment: the scoring scheme of a year, and freezing a snapshot."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from emergency.assessment.labels import DEDUCTION_LABELS, INDICATOR_TITLES
from emergency.assessment.scoring import DEDUCTION_SOURCES, INDICATOR_CODES, Scheme, check_scheme

NOT_NEGATIVE = _l("Enter a number that is not negative.")
BAND_CODE = "K9"
BAND_COUNT = 3


def _weight(code: str) -> IntegerField:
    return IntegerField(f"{code} {INDICATOR_TITLES[code]}", validators=[
        InputRequired(message=_l("This field is required.")),
        NumberRange(min=0, max=100, message=_l("Enter a whole number from 0 to 100."))])


def _points(label) -> FloatField:
    return FloatField(label, validators=[InputRequired(message=_l("This field is required.")),
                                         NumberRange(min=0, message=NOT_NEGATIVE)])


class SchemeForm(FlaskForm):
    """Weights, the K9 bands, deduction rules and grade limits of one year."""

    excellent_min = IntegerField(_l("Excellent from (points)"), validators=[
        InputRequired(message=_l("This field is required.")), NumberRange(min=1, max=100)])
    pass_min = IntegerField(_l("Up to standard from (points)"), validators=[
        InputRequired(message=_l("This field is required.")), NumberRange(min=1, max=100)])

    def validate(self, extra_validators=None) -> bool:
        """Check each field, then the rules across fields (sum of weights, band order, grades)."""
        if not super().validate(extra_validators):
            return False
        messages = {
            "sum": _l("The weights add up to %(total)s; they must add up to 100.",
                      total=sum(self.weight_field(c).data for c in INDICATOR_CODES)),
            "negative": NOT_NEGATIVE,
            "order": _l("Put the bands from best to worst: both the minimum rates and the points must fall."),
            "range": _l("Enter a rate from 0 to 100."),
        }
        for field_name, code in check_scheme(self.to_scheme(0)):
            if field_name == "grades":
                self.pass_min.errors = [_l("The limit for excellent must be above the limit for up to standard.")]
            elif field_name == "weights":
                self.form_errors.append(messages[code])
            elif field_name.startswith("bands_"):
                self.band_field(0, "min").errors = [messages[code]]
            else:
                self.deduction_field(field_name.removeprefix("deduction_"), "points").errors = [messages[code]]
        return not self.form_errors and not any(f.errors for f in self)

    def weight_field(self, code: str):
        return getattr(self, f"weight_{code}")

    def band_field(self, index: int, part: str):
        return getattr(self, f"band{index}_{part}")

    def deduction_field(self, source: str, part: str):
        return getattr(self, f"deduction_{source}_{part}")

    def fill(self, scheme: Scheme) -> None:
        """Show a stored (or default) scheme in the form."""
        for code in INDICATOR_CODES:
            self.weight_field(code).data = scheme.weights.get(code, 0)
        for index, (minimum, points) in enumerate(scheme.bands.get(BAND_CODE, [])[:BAND_COUNT]):
            self.band_field(index, "min").data = minimum
            self.band_field(index, "points").data = points
        for source, rule in scheme.deductions.items():
            self.deduction_field(source, "label").data = rule.get("label") or ""
            self.deduction_field(source, "points").data = rule["points"]
            self.deduction_field(source, "cap").data = rule.get("cap")
        self.excellent_min.data, self.pass_min.data = scheme.excellent_min, scheme.pass_min

    def to_scheme(self, year: int) -> Scheme:
        """Return the scheme the form describes."""
        bands = [[self.band_field(i, "min").data, self.band_field(i, "points").data]
                 for i in range(BAND_COUNT)]
        deductions = {source: {"label": (self.deduction_field(source, "label").data or "").strip(),
                               "points": self.deduction_field(source, "points").data,
                               "cap": self.deduction_field(source, "cap").data}
                      for source in DEDUCTION_SOURCES}
        return Scheme(year=year, weights={c: self.weight_field(c).data for c in INDICATOR_CODES},
                      bands={BAND_CODE: bands}, deductions=deductions,
                      excellent_min=self.excellent_min.data, pass_min=self.pass_min.data,
                      is_default=False)


for _code in INDICATOR_CODES:
    setattr(SchemeForm, f"weight_{_code}", _weight(_code))
for _index in range(BAND_COUNT):
    setattr(SchemeForm, f"band{_index}_min", IntegerField(_l("Minimum rate (%)"), validators=[
        InputRequired(message=_l("This field is required.")),
        NumberRange(min=0, max=100, message=_l("Enter a rate from 0 to 100."))]))
    setattr(SchemeForm, f"band{_index}_points", _points(_l("Points")))
for _source in DEDUCTION_SOURCES:
    setattr(SchemeForm, f"deduction_{_source}_label", StringField(
        DEDUCTION_LABELS[_source], validators=[Optional(), Length(max=60)]))
    setattr(SchemeForm, f"deduction_{_source}_points", _points(_l("Points per item")))
    setattr(SchemeForm, f"deduction_{_source}_cap", FloatField(_l("Cap (empty: none)"), validators=[
        Optional(), NumberRange(min=0, message=NOT_NEGATIVE)]))


class SnapshotForm(FlaskForm):
    """Freeze the assessment shown (its year and region) as of a day."""

    as_of = DateField(_l("Figures as of"), validators=[DataRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, today: date, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.year = today, year

    def validate_as_of(self, field) -> None:
        if field.data > self.today:
            raise ValidationError(_l("A snapshot cannot be taken for a date in the future."))
        if field.data.year < self.year:
            raise ValidationError(_l("The date must lie in the assessment year %(year)s or later.",
                                     year=self.year))
