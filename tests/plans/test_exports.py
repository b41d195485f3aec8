"""The filing register (预案备案登记台账) and the review queue exports."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from emergency.extensions import db
from emergency.imports import services
from emergency.imports.cli import CLI_ACTOR
from emergency.plans.models import FilingState, Plan
from tests.imports.files import PLAN_HEADERS, csv_file, read_csv, read_xlsx, xlsx_sheet
from tests.plans.conftest import zh

REGISTER_HEADERS = ["No.", "Unit", "Unified social credit code / school code", "Unit kind",
                    "Region", "Region code", "Plan", "Category", "Hazard class", "Version",
                    "Issue date", "Signer role", "Filing deadline", "Submitted on", "Filed on",
                    "Filing number", "Filing state", "Last evaluation", "Conclusion"]


def _zh_or_msgid(msgid: str) -> str:
    # New headers are translated when the lead merges the catalogs; until then the msgid shows.
    from tests.plans.conftest import ZH

    return ZH.gettext(msgid)


@pytest.fixture
def register(units, tmp_path):
    """Plans in both counties, imported as an office's register (filed, evaluated, draft)."""
    def row(code, unit, title, category, issued, filed="", number="", evaluated="",
            conclusion=""):
        return [code, unit, "", title, category, "事故灾难", "", issued, "", filed, number,
                evaluated, conclusion]

    path = csv_file(tmp_path / "p.csv", [PLAN_HEADERS,
        row(units["enterprise"].identifier, "", "爱辉机械厂综合应急预案", "综合应急预案",
            "2024-03-05", "2024-03-20", "231102-2024-0001", "2025-03-01", "需要修订"),
        row("2123000001", "", "=花园小学校园安全应急预案", "专项应急预案", "2026-11-02"),
        row(units["b_enterprise"].identifier, "", "北安煤矿综合应急预案", "综合应急预案",
            "2024-01-10", "2024-01-20", "231181-2024-0001")])
    report = services.run_import("plans", path, "csv", CLI_ACTOR, file_name=path.name,
                                 apply=True)
    assert report.applied, report.errors
    db.session.commit()
    return {p.title: p for p in db.session.scalars(select(Plan))}


def test_filing_register_xlsx_has_the_official_columns_typed_cells_and_scope(
        register, units, client_for, office_a):
    response = client_for(office_a).get("/plans/export.xlsx")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = read_xlsx(response)
    assert rows[0] == [_zh_or_msgid(h) for h in REGISTER_HEADERS]
    assert rows[0][1] == "单位"
    by_title = {row[6]: row for row in rows[1:]}
    # County A's user never sees county B's plans.
    assert set(by_title) == {"爱辉机械厂综合应急预案", "'=花园小学校园安全应急预案"}
    machine = by_title["爱辉机械厂综合应急预案"]
    assert machine[1:6] == ["爱辉机械厂", units["enterprise"].identifier, zh("Enterprise"),
                            "花园街道", "231102001"]
    assert machine[8:11] == [zh("Accident"), 1, datetime(2024, 3, 5)]
    assert (machine[14], machine[15], machine[16], machine[17]) == (
        datetime(2024, 3, 20), "231102-2024-0001", zh("Filed"), datetime(2025, 3, 1))
    assert machine[18] == zh("Needs revision")
    assert sorted(row[0] for row in rows[1:]) == [1, 2]

    sheet = xlsx_sheet(response)
    code_cell = next(row[2] for row in sheet.iter_rows(min_row=2)
                     if row[6].value == "爱辉机械厂综合应急预案")
    assert code_cell.data_type == "s" and code_cell.number_format == "@"
    school_code = next(row[2] for row in sheet.iter_rows(min_row=2)
                       if row[1].value == "花园小学")
    assert school_code.value == "2123000001" and school_code.data_type == "s"
    issue = next(row[10] for row in sheet.iter_rows(min_row=2) if row[1].value == "爱辉机械厂")
    assert issue.is_date and issue.number_format == "yyyy-mm-dd"


def test_filing_register_csv_honours_the_filters(register, client_for, office_a, office_city):
    rows = read_csv(client_for(office_a).get("/plans/export.csv?state=filed"))
    assert rows[0][1] == "单位"
    assert [(row[0], row[6], row[10], row[15]) for row in rows[1:]] == [
        ("1", "爱辉机械厂综合应急预案", "2024-03-05", "231102-2024-0001")]
    everything = read_csv(client_for(office_city).get("/plans/export.csv"))
    assert {row[6] for row in everything[1:]} == {
        "爱辉机械厂综合应急预案", "'=花园小学校园安全应急预案", "北安煤矿综合应急预案"}
    assert client_for(office_a).get("/plans/export.pdf").status_code == 404


def test_review_queue_export(register, units, client_for, office_a, office_b, liaison):
    for title in ("爱辉机械厂综合应急预案", "北安煤矿综合应急预案"):
        version = register[title].current_version
        version.filing_state = FilingState.SUBMITTED
        version.submitted_on, version.review_due_on = date(2026, 11, 16), date(2026, 11, 23)
    db.session.commit()
    rows = read_xlsx(client_for(office_a).get("/plans/review/export.xlsx"))
    assert rows[0][:3] == [_zh_or_msgid("No."), "单位", _zh_or_msgid(
        "Unified social credit code / school code")]
    assert [(r[1], r[5], r[10], r[11]) for r in rows[1:]] == [
        ("爱辉机械厂", "爱辉机械厂综合应急预案", datetime(2026, 11, 16), datetime(2026, 11, 23))]
    rows = read_csv(client_for(office_b).get("/plans/review/export.csv"))
    assert [r[5] for r in rows[1:]] == ["北安煤矿综合应急预案"]
    assert client_for(liaison(units["enterprise"])).get(
        "/plans/review/export.xlsx").status_code == 403


@pytest.fixture
def office_city(tree, make_user):
    from emergency.auth.models import Role

    return make_user(Role.OFFICE, region=tree.city, display_name="黑河市应急局")
