"""The drill calendar (month grid and list) with its filters, and the drill register export."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.drills.conftest import WEB, new_drill, record_held, shown, text_of, upload

pytestmark = WEB


@pytest.fixture
def drills(world, client_for):
    """Drills of November 2026 in both counties, held, planned and cancelled, live and tabletop."""
    teacher = client_for(world.school_liaison)
    office = client_for(world.office_a)
    school = world.school
    made = {
        "school_planned": new_drill(teacher, school, title="11月下旬疏散演练",
                                    planned_on="2026-11-25"),
        "school_held": new_drill(teacher, school, title="11月消防疏散演练",
                                 planned_on="2026-11-16", plan_ids=[world.plans["school"].id]),
        "school_cancelled": new_drill(teacher, school, title="取消的演练", planned_on="2026-11-27"),
        "school_december": new_drill(teacher, school, title="12月疏散演练",
                                     planned_on="2026-12-08"),
        "chemical": new_drill(client_for(world.chemical_liaison), world.chemical,
                              title="泄漏处置桌面推演", planned_on="2026-11-25", form="tabletop",
                              scope="single"),
        "mine": new_drill(client_for(world.mine_liaison), world.mine, title="透水事故演练",
                          planned_on="2026-11-25"),
    }
    record_held(teacher, made["school_held"].id, held_on="2026-11-18", evacuation_seconds="140")
    upload(teacher, made["school_held"].id, "drill_scheme")
    teacher.post(f"/drills/{made['school_cancelled'].id}/cancel", data={"reason": "天气原因"})
    for n in range(6):
        made[f"factory{n}"] = new_drill(office, world.factory, title=f"车间演练{n + 1}",
                                        planned_on="2026-11-30")
    return made


def cell(page: str, day: str) -> str:
    """Return the HTML of one day of the month grid."""
    match = re.search(rf'<td[^>]*data-day="{day}">(.*?)</td>', page, re.S)
    assert match, day
    return match.group(1)


def list_titles(page: str) -> list[str]:
    table = page.split('id="drill-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/drills/\d+">([^<]+)</a>', table)


def test_month_grid_places_drills_on_their_day_in_scope(world, client_for, drills):
    office = client_for(world.office_a)
    page = text_of(office.get("/drills/?view=month&month=2026-11"))
    assert "2026-11" in page
    day = cell(page, "2026-11-25")
    assert "11月下旬疏散演练" in day and "泄漏处置桌面推演" in day
    assert "透水事故演练" not in page  # another county
    # A held drill is shown on the day it was held, not the day it was planned.
    assert "11月消防疏散演练" in cell(page, "2026-11-18")
    assert "11月消防疏散演练" not in cell(page, "2026-11-16")
    # Cancelled drills are left out unless asked for; December is another month.
    assert "取消的演练" not in page and "12月疏散演练" not in page
    # At most five a day, and a link to the list of that day for the rest.
    busy = cell(page, "2026-11-30")
    assert busy.count("车间演练") == 5
    assert shown("%(n)s more", n=1) in busy
    assert "view=list" in busy and "day=2026-11-30" in busy
    # Phones get the same month as a list of days.
    assert 'id="month-days"' in page
    # Monday comes first; the month before and after are a click away.
    assert "month=2026-10" in page and "month=2026-12" in page
    grid = page.split('id="month-grid"', 1)[1]
    assert re.search(r'data-day="2026-10-26"', grid)  # the Monday before 1 November 2026 (a Sunday)


def test_month_grid_filters(world, client_for, drills):
    office = client_for(world.office_a)
    page = text_of(office.get("/drills/?view=month&month=2026-11&kind=school"))
    assert "11月下旬疏散演练" in page and "泄漏处置桌面推演" not in page and "车间演练" not in page
    page = text_of(office.get("/drills/?view=month&month=2026-11&form=tabletop"))
    assert "泄漏处置桌面推演" in page and "11月下旬疏散演练" not in page
    page = text_of(office.get("/drills/?view=month&month=2026-11&status=cancelled"))
    assert "取消的演练" in cell(page, "2026-11-27") and "11月下旬疏散演练" not in page
    page = text_of(office.get("/drills/?view=month&month=2026-11&status=held"))
    assert "11月消防疏散演练" in page and "11月下旬疏散演练" not in page
    page = text_of(office.get("/drills/?view=month&month=2026-11&status=all"))
    assert "取消的演练" in page and "11月下旬疏散演练" in page
    # Another county's region shows nothing to this office, even asked for explicitly.
    page = text_of(office.get(f"/drills/?view=month&month=2026-11&region={world.tree.county_b.id}"))
    assert "透水事故演练" not in page and "车间演练" not in page
    # The city office sees both counties, and can narrow to one.
    page = text_of(client_for(world.office_b).get(
        f"/drills/?view=month&month=2026-11&region={world.tree.county_b.id}"))
    assert "透水事故演练" in page


def test_this_month_is_the_default(world, client_for, drills):
    page = text_of(client_for(world.office_a).get("/drills/"))
    assert 'id="month-grid"' in page and "2026-11" in page
    assert "11月下旬疏散演练" in page


def test_list_view_by_year_month_and_day(world, client_for, drills):
    office = client_for(world.office_a)
    page = text_of(office.get("/drills/?view=list"))  # this year
    titles = list_titles(page)
    assert titles[:3] == ["11月消防疏散演练", "泄漏处置桌面推演", "11月下旬疏散演练"]
    assert titles[-1] == "12月疏散演练"
    assert "透水事故演练" not in titles and "取消的演练" not in titles
    page = text_of(office.get("/drills/?view=list&month=2026-12"))
    assert list_titles(page) == ["12月疏散演练"]
    page = text_of(office.get("/drills/?view=list&day=2026-11-30"))
    assert sorted(list_titles(page)) == [f"车间演练{n}" for n in range(1, 7)]
    page = text_of(office.get("/drills/?view=list&year=2025"))
    assert list_titles(page) == []
    # A liaison's calendar holds their own unit only.
    page = text_of(client_for(world.chemical_liaison).get("/drills/?view=list"))
    assert list_titles(page) == ["泄漏处置桌面推演"]


def test_register_export_xlsx(world, client_for, drills):
    office = client_for(world.office_a)
    response = office.get("/drills/export.xlsx?view=list&year=2026")
    assert response.status_code == 200
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    column = {name: header.index(shown(name)) for name in (
        "Unit", "Drill", "Plans exercised", "Status", "Planned date", "Date held",
        "Evacuation time (seconds)", "Missing documents")}
    by_title = {row[column["Drill"]]: row for row in rows[1:]}
    assert set(by_title) == {"11月消防疏散演练", "泄漏处置桌面推演", "11月下旬疏散演练",
                             "12月疏散演练",
                             *(f"车间演练{n}" for n in range(1, 7))}
    held = by_title["11月消防疏散演练"]
    assert held[column["Unit"]] == "花园小学"
    assert held[column["Plans exercised"]] == "花园小学综合应急预案"
    assert held[column["Status"]] == shown("Held")
    assert held[column["Planned date"]].date() == date(2026, 11, 16)
    assert held[column["Date held"]].date() == date(2026, 11, 18)
    assert held[column["Evacuation time (seconds)"]] == 140
    assert held[column["Missing documents"]] == "、".join(
        [shown("Drill evaluation report"), shown("Drill summary report")])
    # The current filters apply to the export as well.
    response = office.get("/drills/export.xlsx?view=list&year=2026&form=tabletop")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[column["Drill"]] for row in rows[1:]] == ["泄漏处置桌面推演"]

def test_register_export_csv_with_cancelled_drills(world, client_for, drills):
    office = client_for(world.office_a)
    response = office.get("/drills/export.csv?view=month&month=2026-11&status=cancelled")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    drill, reason = rows[0].index(shown("Drill")), rows[0].index(shown("Cancellation reason"))
    assert [(r[drill], r[reason]) for r in rows[1:]] == [("取消的演练", "天气原因")]
    assert client_for(world.office_a).get("/drills/export.pdf").status_code == 404
