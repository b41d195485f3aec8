"""The drill register (演练台账) and corrective-action exports: columns, typed cells, filters,
scope, and a register exported from the app imports back unchanged."""

from datetime import datetime

import pytest

from emergency.extensions import db
from emergency.imports import services
from tests.drills.conftest import (
    WEB,
    ZH,
    add_action,
    new_drill,
    newest_action,
    record_held,
    shown,
    upload,
)
from tests.imports.files import read_csv, read_xlsx, xlsx_sheet

pytestmark = WEB

REGISTER_HEADERS = ["No.", "Unit", "Unified social credit code / school code", "Unit kind",
                    "Region", "Region code", "Drill", "Plans exercised", "Drill form",
                    "Drill scope", "Drill purpose", "Status", "Planned date", "Date held",
                    "Duration (minutes)", "Participants", "Evacuation time (seconds)",
                    "Reported to the regulator on", "Documents present", "Missing documents",
                    "Corrective actions", "Corrective actions not verified", "Summary",
                    "Cancellation reason"]


@pytest.fixture
def drills(world, client_for):
    """Held drills in both counties (one with a document and a corrective action) and a
    planned one, entered through the drill pages."""
    school = client_for(world.school_liaison)
    drill = new_drill(school, world.school, title="消防疏散演练", planned_on="2026-11-18",
                      plan_ids=[world.plans["school"].id])
    assert record_held(school, drill.id, evacuation_seconds="95").status_code == 302
    assert upload(school, drill.id, "drill_scheme").status_code == 302
    assert add_action(school, drill.id).status_code == 302
    chemical = client_for(world.chemical_liaison)
    tank = new_drill(chemical, world.chemical, title="=储罐泄漏处置演练", planned_on="2026-11-10",
                     form="tabletop", scope="single", plan_ids=[world.plans["chemical_onsite"].id])
    assert record_held(chemical, tank.id, held_on="2026-11-10", participants="40",
                       reported_on="2026-11-12", summary="").status_code == 302
    new_drill(client_for(world.office_a), world.factory, title="机械伤害演练",
              planned_on="2026-11-25")
    mine = client_for(world.mine_liaison)
    far = new_drill(mine, world.mine, title="透水事故演练", planned_on="2026-11-05")
    assert record_held(mine, far.id, held_on="2026-11-05").status_code == 302
    return {"school": drill, "tank": tank}


def test_drill_register_has_the_official_columns_typed_cells_and_scope(world, drills,
                                                                        client_for):
    response = client_for(world.office_a).get("/drills/export.xlsx?view=list&year=2026")
    rows = read_xlsx(response)
    assert rows[0] == [ZH.gettext(h) for h in REGISTER_HEADERS]
    assert rows[0][1:3] == ["单位", ZH.gettext("Unified social credit code / school code")]
    by_title = {row[6]: row for row in rows[1:]}
    # 爱辉区's office never sees 北安市's drill.
    assert set(by_title) == {"'=储罐泄漏处置演练", "消防疏散演练", "机械伤害演练"}
    school = by_title["消防疏散演练"]
    assert school[1:8] == ["花园小学", "2123000001", shown("Primary or secondary school"),
                           "花园街道", "231102001", "消防疏散演练", "花园小学综合应急预案"]
    assert school[8:12] == [shown("Live drill"), shown("Comprehensive"), shown("Testing"),
                            shown("Held")]
    assert school[12:17] == [datetime(2026, 11, 18), datetime(2026, 11, 18), 30, 820, 95]
    assert school[18:23] == [shown("Drill scheme"),
                             f"{shown('Drill evaluation report')}、{shown('Drill summary report')}",
                             1, 1, "全校师生按预定路线疏散。"]
    tank = by_title["'=储罐泄漏处置演练"]
    assert (tank[8], tank[17], tank[18]) == (shown("Tabletop exercise"),
                                             datetime(2026, 11, 12), None)
    planned = by_title["机械伤害演练"]
    assert (planned[11], planned[13], planned[19]) == (shown("Planned"), None, None)

    sheet = xlsx_sheet(response)
    cells = next(row for row in sheet.iter_rows(min_row=2) if row[6].value == "消防疏散演练")
    assert cells[2].data_type == "s" and cells[2].number_format == "@"
    assert cells[13].is_date and cells[13].number_format == "yyyy-mm-dd"


def test_drill_register_csv_honours_the_filters(world, drills, client_for):
    office = client_for(world.office_a)
    rows = read_csv(office.get("/drills/export.csv?view=list&year=2026&status=held"))
    assert [(r[0], r[6], r[13]) for r in rows[1:]] == [
        ("1", "'=储罐泄漏处置演练", "2026-11-10"), ("2", "消防疏散演练", "2026-11-18")]
    rows = read_csv(office.get("/drills/export.csv?view=list&year=2026&form=tabletop"))
    assert [r[6] for r in rows[1:]] == ["'=储罐泄漏处置演练"]
    city = read_csv(client_for(world.office_b).get("/drills/export.csv?view=list&year=2026"))
    assert [r[6] for r in city[1:]] == ["透水事故演练"]
    assert office.get("/drills/export.pdf").status_code == 404


def test_corrective_action_export(world, drills, client_for):
    action = newest_action()
    rows = read_xlsx(client_for(world.office_a).get(
        "/drills/actions/export.xlsx?view=list&year=2026"))
    assert rows[0][:2] == [ZH.gettext("No."), "单位"]
    assert [r[1:] for r in rows[1:]] == [[
        "花园小学", "2123000001", "花园街道", "消防疏散演练", datetime(2026, 11, 18), action.title,
        action.description, "王老师", datetime(2026, 12, 31), shown("Open"), None, None, None]]
    assert read_csv(client_for(world.office_a).get(
        "/drills/actions/export.csv?view=list&year=2026&action_status=verified"))[1:] == []
    assert read_csv(client_for(world.office_b).get(
        "/drills/actions/export.csv?view=list&year=2026"))[1:] == []


def test_exported_register_imports_back_unchanged(world, drills, client_for, tmp_path):
    response = client_for(world.office_a).get("/drills/export.xlsx?view=list&year=2026&status=held")
    path = tmp_path / "演练台账.xlsx"
    path.write_bytes(response.data)
    report = services.run_import("drills", path, "xlsx", world.office_a, file_name=path.name)
    assert report.refusal is None
    assert [(r.action, r.errors) for r in report.rows] == [("unchanged", [])] * 2
    db.session.rollback()
