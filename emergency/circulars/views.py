"""Circular pages: choose a month and region, edit the draft, download DOCX or print."""

import io
import re
from datetime import date

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from emergency.audit.services import record_event
from emergency.auth.models import Role
from emergency.auth.scoping import region_clause
from emergency.circulars import drafting
from emergency.circulars.document import DOCX_MIMETYPE, circular_docx
from emergency.circulars.figures import FIRST_YEAR, Month, MonthError
from emergency.circulars.forms import DraftForm
from emergency.circulars.report import Circular, build_circular
from emergency.clock import china_today
from emergency.database import mark_write_request
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.regions.services import region_choices

bp = Blueprint("circulars", __name__, url_prefix="/circulars", static_folder="static")

#: Months offered in the chooser; an older one can still be typed into the URL.
MONTHS_OFFERED = 24
#: A circular names units one by one: a province's 150 000 units make no document anyone sends
#: (and would take minutes to draw up), so it covers a city or a part of one.
LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY)
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@bp.context_processor
def _template_helpers() -> dict:
    return {"drafting": drafting}


def _require_staff() -> None:
    # Liaisons see only their unit; like the dashboard, the page does not exist for them.
    if current_user.role == Role.LIAISON:
        abort(404)


def _region(value: str | None) -> Region:
    """Return the region asked for if the user may see it (else 404), or the user's top region."""
    stmt = select(Region).where(region_clause(current_user))
    if value:
        if not value.isdigit() or len(value) > 9:
            abort(404)
        region = db.session.scalar(stmt.where(Region.id == int(value)))
    else:
        region = db.session.scalars(stmt.where(Region.level != RegionLevel.PROVINCE)
                                    .order_by(Region.path).limit(1)).first()
    if region is None:
        abort(404)
    return region


def _parse(text: str | None, region: Region, today: date) -> tuple[Month | None, str | None]:
    """Return (month, None) for usable input, or (None, a message saying what is wrong)."""
    try:
        month = Month.parse(text, today)
    except MonthError as error:
        return None, _month_message(error, text or "")
    if region.level == RegionLevel.PROVINCE:
        return None, _("A circular names the units one by one, so it covers a city or a part of "
                       "one: choose a city or a county.")
    return month, None


def _month_message(error: MonthError, text: str) -> str:
    if error.code == "future":
        return _("%(month)s has not begun yet: choose this month or an earlier one.",
                 month=text[:20])
    if error.code == "too_old":
        return _("Choose a month from %(year)s on.", year=FIRST_YEAR)
    return _("The month must be written as YYYY-MM, for example %(example)s.",
             example=str(Month.of(china_today()).previous()))


def _chooser(today: date, region: Region, month: Month | None) -> dict:
    months = [Month.of(today)]
    while len(months) < MONTHS_OFFERED:
        months.append(months[-1].previous())
    if month is not None and month not in months:
        months.append(month)
    regions = region_choices(current_user, LEVELS)
    if region.id not in {rid for rid, _label in regions}:
        regions.insert(0, (region.id, region.name))
    return {"months": months, "regions": regions, "region": region,
            "month": month or Month.of(today).previous()}


def _audit(action: str, circular: Circular, title: str, output: str) -> None:
    record_event(action, circular.region, label=title[:200], changes={
        "month": str(circular.month), "region": circular.region.code, "output": output,
        "units": circular.units, "items": circular.items})


@bp.route("/")
@login_required
def index():
    """Choose a month and region; once a month is chosen, show the draft circular to edit."""
    _require_staff()
    today, region = china_today(), _region(request.args.get("region"))
    if "month" not in request.args:
        return render_template("circulars/index.html", **_chooser(today, region, None))
    month, error = _parse(request.args["month"], region, today)
    if error:
        return render_template("circulars/index.html", error=error,
                               **_chooser(today, region, None)), 400
    circular = build_circular(current_user, region, month, today)
    form = DraftForm(data={**drafting.default_text(circular, today), "month": str(month),
                           "region": str(region.id)})
    mark_write_request()  # the figures were read; the audit entry is the only write
    _audit("circular_draft", circular, form.title.data, "draft")
    db.session.commit()
    return render_template("circulars/index.html", form=form, circular=circular,
                           **_chooser(today, circular.region, month))


@bp.route("/document", methods=["POST"])
@login_required
def document():
    """Turn the edited draft into a DOCX download or a printable page (nothing is stored)."""
    _require_staff()
    form, today = DraftForm(), china_today()
    region = _region(form.region.data or "x")
    month, error = _parse(form.month.data, region, today)
    if error:
        return render_template("circulars/index.html", error=error,
                               **_chooser(today, region, None)), 400
    circular = build_circular(current_user, region, month, today)
    if not form.validate():
        return render_template("circulars/index.html", form=form, circular=circular,
                               **_chooser(today, region, month)), 400
    text = _text(form)
    if form.docx.data:
        return _send_docx(circular, text)
    _audit("circular_print", circular, text["title"], "print")
    db.session.commit()
    return render_template("circulars/print.html", circular=circular, text=text)


def _text(form: DraftForm) -> dict:
    """Return the edited text: one-line fields stripped, paragraphs split at line breaks."""
    def lines(value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    return {"title": form.title.data.strip(), "addressees": (form.addressees.data or "").strip(),
            "lead": lines(form.lead.data), "improvements": lines(form.improvements.data),
            "requirements": lines(form.requirements.data), "issuer": form.issuer.data.strip(),
            "issued_on": drafting.long_date(form.issued_on.data)}


def _send_docx(circular: Circular, text: dict):
    data = circular_docx(circular, text)
    _audit("circular_download", circular, text["title"], "docx")
    db.session.commit()
    name = _UNSAFE_IN_NAMES.sub("-", text["title"]).strip()[:80] or f"circular-{circular.month}"
    return send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True,
                     download_name=f"{name}.docx", max_age=0)
