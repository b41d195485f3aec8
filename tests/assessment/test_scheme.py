"""The administrator's scoring form: defaults, clear errors on bad input, audited saves."""

import re

import pytest
from sqlalchemy import func, select

from emergency.assessment.models import AssessmentScheme
from emergency.assessment.scoring import DEFAULT_DEDUCTIONS, DEFAULT_WEIGHTS
from emergency.audit.models import AuditEntry
from emergency.extensions import db
from tests.assessment.conftest import text_of, zh


def valid_form(**changes) -> dict:
    data = {f"weight_{code}": str(weight) for code, weight in DEFAULT_WEIGHTS.items()}
    for index, (minimum, points) in enumerate([[60, 3], [40, 2], [20, 1]]):
        data[f"band{index}_min"], data[f"band{index}_points"] = str(minimum), str(points)
    for source, rule in DEFAULT_DEDUCTIONS.items():
        data[f"deduction_{source}_label"] = ""
        data[f"deduction_{source}_points"] = str(rule["points"])
        data[f"deduction_{source}_cap"] = "" if rule["cap"] is None else str(rule["cap"])
    data.update(excellent_min="90", pass_min="60")
    data.update(changes)
    return data


def saved_schemes() -> int:
    return db.session.scalar(select(func.count()).select_from(AssessmentScheme))


def test_defaults_are_shown_and_labelled_as_local(world, login):
    page = login(world.admin).get("/assessment/scheme?year=2026")
    assert page.status_code == 200
    field = re.search(r'<input[^>]*name="weight_K1"[^>]*>', page.text).group(0)
    assert 'value="20"' in field
    assert zh("Local defaults (not national rules)") in text_of(page)


@pytest.mark.parametrize(("changes", "message"), [
    ({"weight_K1": "25"}, "The weights add up to %(total)s; they must add up to 100."),
    ({"weight_K1": "-5", "weight_K3": "37"}, "Enter a whole number from 0 to 100."),
    ({"deduction_late_filing_points": "-2"}, "Enter a number that is not negative."),
    ({"deduction_late_filing_cap": "-1"}, "Enter a number that is not negative."),
    ({"band0_min": "30", "band1_min": "40"},
     "Put the bands from best to worst: both the minimum rates and the points must fall."),
    ({"excellent_min": "50"}, "The limit for excellent must be above the limit for up to standard."),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(world, login, changes, message):
    response = login(world.admin).post("/assessment/scheme?year=2026", data=valid_form(**changes))
    assert response.status_code == 400
    expected = zh(message, total=105) if "%(total)s" in message else zh(message)
    assert expected in text_of(response)
    assert saved_schemes() == 0


def test_a_valid_scheme_is_saved_audited_and_used(world, login):
    client = login(world.admin)
    form = valid_form(weight_K1="30", weight_K10="0", weight_K12="6", deduction_late_filing_points="1",
                      deduction_late_filing_label="未按期备案")
    response = client.post("/assessment/scheme?year=2026", data=form)
    assert response.status_code == 302
    row = db.session.get(AssessmentScheme, 2026)
    assert row.weights["K1"] == 30 and row.deductions["late_filing"]["points"] == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "assessment_schemes"))
    assert entry is not None and entry.action == "create" and entry.username == world.admin.username
    page = text_of(client.get("/assessment/"))
    assert "未按期备案" in page
    assert zh("weight %(w)s", w=30) in page and zh("weight %(w)s", w=20) not in page


def test_only_administrators_edit_the_scheme(world, login):
    assert login(world.office_city).get("/assessment/scheme?year=2026").status_code == 403
    response = login(world.office_city).post("/assessment/scheme?year=2026", data=valid_form())
    assert response.status_code == 403
    assert saved_schemes() == 0
