"""Compliance pages as a user sees them: the unit panel, the region list and its Excel export."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from emergency.auth.models import Role
from emergency.compliance import queries
from emergency.compliance.scan import scan
from emergency.extensions import db
from tests.compliance.conftest import TODAY_DATE, key, stored, text_of, zh

STATUS_ZH = {"overdue": "已逾期", "missing": "缺失", "due_soon": "即将到期",
             "due_before_assessment": "考核前到期", "done": "已完成", "not_applicable": "不适用"}
ATTENTION = {"overdue", "missing", "due_soon", "due_before_assessment"}


def cells(row_html: str) -> list[str]:
    """Return the text of each cell of a table row, tags removed and spaces collapsed."""
    found = re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in found]


def panel_rows(page: str) -> list[dict]:
    """Return the obligations of a unit panel: rule, status and the cells the user reads."""
    table = page.split('id="obligations"', 1)[1].split("</table>", 1)[0]
    rows = []
    for rule, status, body in re.findall(
            r'<tr data-rule="([^"]+)" data-status="([^"]+)">(.*?)</tr>', table, re.S):
        status_cell, kind, subject, due, evidence, citation = cells(body)
        rows.append({"rule": rule, "status": status, "status_text": status_cell, "kind": kind,
                     "subject": subject, "due": due, "evidence": evidence, "citation": citation})
    return rows


def list_rows(page: str) -> list[list[str]]:
    """Return the cells of each row of the region list (due, status, unit, region, ...)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [cells(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def expected_panel(unit, as_of: date) -> list[tuple]:
    _result, obligations = queries.unit_obligations(unit, as_of)
    return [(o.rule_code, str(o.status), zh_date(o.due_on) if o.due_on else "—")
            for o in obligations]


def seen_panel(rows) -> list[tuple]:
    return [(r["rule"], r["status"], r["due"].replace(" 预估", "")) for r in rows]


@pytest.fixture
def office(world, login):
    return login(world.office_a)


def test_unit_panel_shows_status_due_date_evidence_and_citation(world, office):
    response = office.get(f"/compliance/units/{world.school.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert zh("What %(unit)s owes", unit="花园小学") in page
    rows = panel_rows(page)
    assert seen_panel(rows) == expected_panel(world.school, TODAY_DATE)

    # Most urgent first: the overdue drill months, then due soon, due before the assessment, done.
    statuses = [r["status"] for r in rows]
    assert statuses == sorted(statuses, key=["overdue", "missing", "due_soon",
                                             "due_before_assessment", "done",
                                             "not_applicable"].index)
    for row in rows:
        assert row["status_text"] == STATUS_ZH[row["status"]]

    months = {r["subject"]: r for r in rows if r["rule"] == "R8-D"}
    assert months["2026-03 · 2026-03"]["status_text"] == "已逾期"
    assert months["2026-03 · 2026-03"]["due"] == "2026年3月31日"
    assert months["2026-11 · 2026-11"]["status_text"] == "即将到期"
    assert months["2026-11 · 2026-11"]["due"] == "2026年11月30日"
    assert months["2026-08 · 2026-08"]["status_text"] == "不适用"
    assert "寒暑假" in months["2026-08 · 2026-08"]["evidence"]
    assert months["2026-03 · 2026-03"]["citation"] == (
        "R8-D 《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）")
    assert months["2026-03 · 2026-03"]["kind"] == zh("Drills per period")

    # The filing obligation shows the facts it was judged on: issued, submitted, filed.
    [filing] = [r for r in rows if r["rule"] == "G-F"]
    assert filing["status_text"] == "已完成"
    assert filing["subject"] == "花园小学综合应急预案"
    assert filing["due"] == "2026年3月30日"
    for fact in ("2026-03-02", "2026-03-10", "2026-03-12"):
        assert fact in filing["evidence"]
    assert filing["citation"].startswith("G-F 《突发事件应急预案管理办法》（国办发〔2024〕5号） 第二十六条")
    assert filing["kind"] == zh("File the plan")


def test_unit_panel_of_a_unit_without_plan_and_with_an_overdue_draft(world, office):
    town = panel_rows(text_of(office.get(f"/compliance/units/{world.town.id}")))
    assert [(r["rule"], r["status_text"], r["due"]) for r in town] == [
        ("R6-P", "缺失", "—"), ("R6-D2", "考核前到期", "2026年12月31日")]
    assert town[0]["kind"] == zh("Have a plan")

    village = panel_rows(text_of(office.get(f"/compliance/units/{world.village.id}")))
    assert village[0]["rule"] == "G-F"
    assert (village[0]["status_text"], village[0]["due"]) == ("已逾期", "2026年8月31日")
    assert "备案状态：未报送" in village[0]["evidence"].replace(" ", "")


@pytest.mark.parametrize("as_of", ["2026-08-15", "2026-09-01", "2026-02-10", "2027-03-01",
                                   "2025-12-31"])
def test_unit_panel_as_of_any_date_agrees_with_the_engine(world, office, as_of):
    day = date.fromisoformat(as_of)
    for unit in (world.school, world.village, world.chemical, world.town):
        response = office.get(f"/compliance/units/{unit.id}?as_of={as_of}")
        assert response.status_code == 200
        page = text_of(response)
        assert f'value="{as_of}"' in page
        assert seen_panel(panel_rows(page)) == expected_panel(unit, day), (unit.name, as_of)
    # And the scan stores the very same answer for that date.
    scan(day)
    db.session.commit()
    for unit in (world.school, world.village, world.chemical, world.town):
        _result, live = queries.unit_obligations(unit, day)
        assert sorted(map(key, stored(unit.id)), key=str) == sorted(map(key, live), key=str)


def test_unit_panel_past_and_future_answers_are_consistent(world, office):
    def village_filing(as_of):
        page = office.get(f"/compliance/units/{world.village.id}?as_of={as_of}")
        rows = panel_rows(text_of(page))
        return [(r["status_text"], r["due"]) for r in rows if r["rule"] == "G-F"]

    # Before the issue date nothing is owed; due 2026-08-31 inclusive, overdue from 09-01.
    assert village_filing("2026-08-02") == []
    assert village_filing("2026-08-15") == [("考核前到期", "2026年8月31日")]
    assert village_filing("2026-08-21") == [("即将到期", "2026年8月31日")]
    assert village_filing("2026-08-31") == [("即将到期", "2026年8月31日")]
    assert village_filing("2026-09-01") == [("已逾期", "2026年8月31日")]
    assert village_filing("2027-06-01") == [("已逾期", "2026年8月31日")]

    # The school's plan was filed on 2026-03-12: asked about 03-05, it was not yet submitted.
    rows = panel_rows(text_of(office.get(f"/compliance/units/{world.school.id}?as_of=2026-03-05")))
    [filing] = [r for r in rows if r["rule"] == "G-F"]
    assert filing["status_text"] == "考核前到期"
    assert "2026-03-10" not in filing["evidence"]


def test_unit_panel_as_of_the_assessment_date(world, office, app):
    response = office.get(f"/compliance/units/{world.school.id}?as_of=assessment")
    assert response.status_code == 200
    page = text_of(response)
    assert 'value="2026-12-31"' in page
    rows = panel_rows(page)
    assert seen_panel(rows) == expected_panel(world.school, date(2026, 12, 31))
    months = {r["subject"]: r["status_text"] for r in rows if r["rule"] == "R8-D"}
    # On the assessment day November is overdue and December is due that very day.
    assert months["2026-11 · 2026-11"] == "已逾期"
    assert months["2026-12 · 2026-12"] == "即将到期"
    # The button names the assessment date.
    today_page = text_of(office.get(f"/compliance/units/{world.school.id}"))
    assert zh("As of the assessment date (%(day)s)", day="2026年12月31日") in today_page


@pytest.mark.parametrize("value", ["garbage", "2026-02-30", "2026-13-01", "11/20/2026", "'; drop"])
def test_unit_panel_refuses_a_malformed_date(world, office, value):
    assert office.get(f"/compliance/units/{world.school.id}?as_of={value}").status_code == 400
    assert office.get(f"/compliance/?as_of={value}").status_code == 400
    assert office.get(f"/compliance/export.xlsx?as_of={value}").status_code == 400


def test_out_of_scope_units_are_404(world, client, login, make_user):
    login(world.office_b)
    assert client.get(f"/compliance/units/{world.school.id}").status_code == 404
    assert client.get(f"/compliance/units/{world.school.id}?as_of=assessment").status_code == 404
    assert client.get(f"/compliance/units/{world.b_mine.id}").status_code == 200
    assert client.get("/compliance/units/999999").status_code == 404

    login(make_user(Role.LIAISON, unit=world.school))
    assert client.get(f"/compliance/units/{world.school.id}").status_code == 200
    assert client.get(f"/compliance/units/{world.chemical.id}").status_code == 404


def test_viewing_pages_writes_nothing(world, office):
    scan(TODAY_DATE)
    db.session.commit()
    before = sorted(map(key, stored()), key=str)
    office.get(f"/compliance/units/{world.school.id}?as_of=2027-03-01")
    office.get("/compliance/?as_of=2027-03-01")
    office.get("/compliance/export.xlsx?as_of=2027-03-01")
    db.session.expire_all()
    assert sorted(map(key, stored()), key=str) == before


# --- the region list -------------------------------------------------------------------------


def test_region_list_shows_what_needs_attention_by_due_date(world, office):
    scan(TODAY_DATE)
    db.session.commit()
    page = text_of(office.get("/compliance/"))
    rows = list_rows(page)
    expected = [o for o in stored() if o.status in ATTENTION and o.unit_id != world.b_mine.id]
    assert len(rows) == len(expected) == 17
    # Sorted by due date, undated ("missing") last.
    dated = [row[0] for row in rows if row[0] != "—"]
    as_dates = [date(*map(int, re.match(r"(\d+)年(\d+)月(\d+)日", d).groups())) for d in dated]
    assert as_dates == sorted(as_dates)
    assert rows[-1][0] == "—"
    assert {row[1] for row in rows} == {"已逾期", "缺失", "即将到期", "考核前到期"}
    assert "北安煤矿" not in page
    assert rows[0][2:4] == ["花园小学", "花园街道"]
    assert rows[0][0] == "2026年1月31日"


def _units_in(page):
    return {row[2] for row in list_rows(page) if len(row) > 2}


def test_region_list_filters(world, office):
    scan(TODAY_DATE)
    db.session.commit()

    missing = list_rows(text_of(office.get("/compliance/?status=missing")))
    assert [(r[1], r[2], r[6]) for r in missing] == [("缺失", "花园街道办事处", "R6-P")]

    schools = text_of(office.get("/compliance/?kind=school"))
    assert _units_in(schools) == {"花园小学"}

    filing = list_rows(text_of(office.get("/compliance/?rule=G-F")))
    assert [(r[0], r[1], r[2]) for r in filing] == [("2026年8月31日", "已逾期", "花园社区居委会")]

    village = text_of(office.get(f"/compliance/?region={world.tree.village_a.id}"))
    assert _units_in(village) == {"花园社区居委会"}

    done = list_rows(text_of(office.get("/compliance/?status=done&kind=enterprise")))
    assert {r[2] for r in done} == {"爱辉化工厂"}
    assert {r[1] for r in done} == {"已完成"}

    combined = list_rows(text_of(office.get(
        f"/compliance/?region={world.tree.town_a.id}&kind=school&status=overdue&rule=R8-D")))
    assert len(combined) == 8
    assert {(r[1], r[2], r[6]) for r in combined} == {("已逾期", "花园小学", "R8-D")}

    nothing = text_of(office.get("/compliance/?status=missing&kind=school"))
    assert zh("Nothing matches these filters.") in nothing


def test_another_countys_obligations_never_appear(world, client, login):
    scan(TODAY_DATE)
    db.session.commit()
    login(world.office_a)
    for query in ("", "?status=missing", f"?region={world.tree.county_b.id}",
                  f"?region={world.tree.town_b.id}&status=missing", "?as_of=2026-12-10",
                  f"?as_of=2026-12-10&region={world.tree.county_b.id}", "?kind=enterprise"):
        page = text_of(client.get(f"/compliance/{query}"))
        assert "北安煤矿" not in page, query
    assert _units_in(text_of(client.get(f"/compliance/?region={world.tree.county_b.id}"))) == set()

    login(world.office_b)
    page = text_of(client.get("/compliance/"))
    assert _units_in(page) == {"北安煤矿"}
    assert _units_in(text_of(client.get("/compliance/?as_of=2026-12-10"))) == {"北安煤矿"}
    assert _units_in(text_of(client.get(f"/compliance/?region={world.tree.county_a.id}"))) == set()


def test_region_list_as_of_another_date_is_computed(world, office):
    # Nothing stored yet for the town: the list for another date computes instead of reading.
    page = text_of(office.get("/compliance/?as_of=2026-09-01&status=overdue"))
    rows = list_rows(page)
    live = [o for o in scan(date(2026, 9, 1), persist=False, keep=True).obligations
            if o.status == "overdue" and o.unit_id != world.b_mine.id]
    assert len(rows) == len(live)
    assert {(r[2], r[6]) for r in rows} == {
        ({world.school.id: "花园小学", world.village.id: "花园社区居委会",
          world.chemical.id: "爱辉化工厂"}[o.unit_id], o.rule_code) for o in live}
    assert ("2026年8月31日", "已逾期", "花园社区居委会") in {(r[0], r[1], r[2]) for r in rows}


# --- the export ------------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_has_chinese_headers_and_the_filtered_rows(world, office):
    scan(TODAY_DATE)
    db.session.commit()
    rows = _sheet(office.get("/compliance/export.xlsx?status=overdue&kind=school"))
    assert rows[0] == ["单位", "区域", "规则", "义务", "事项", "到期日", "状态", "依据"]
    data = rows[1:]
    assert len(data) == 8
    assert {(r[0], r[1], r[2], r[3], r[6]) for r in data} == {
        ("花园小学", "花园街道", "R8-D", "按周期演练", "已逾期")}
    due = [r[5].date() if hasattr(r[5], "date") else r[5] for r in data]
    assert due == sorted(due)
    assert due[0] == date(2026, 1, 31)
    assert data[0][7] == "《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）"

    # Without filters: everything needing attention in the office's scope, none of county B.
    everything = _sheet(office.get("/compliance/export.xlsx"))[1:]
    assert len(everything) == 17
    assert "北安煤矿" not in {r[0] for r in everything}


def test_export_as_of_another_date(world, office):
    rows = _sheet(office.get("/compliance/export.xlsx?as_of=2026-09-01&rule=G-F"))[1:]
    assert [(r[0], r[2], r[6]) for r in rows] == [("花园社区居委会", "G-F", "已逾期")]


def test_region_list_pages_through_many_rows(world, office, make_unit):
    from emergency.units.models import UnitKind

    for n in range(9):
        make_unit(world.tree.town_a, name=f"花园第{n + 2}小学", kind=UnitKind.SCHOOL,
                  identifier=f"21230000{n + 10}")
    scan(TODAY_DATE)
    db.session.commit()
    expected = len([o for o in stored() if o.status in ATTENTION and o.unit_id != world.b_mine.id])
    assert expected == 17 + 9 * 11
    first = text_of(office.get("/compliance/"))
    second = text_of(office.get("/compliance/?page=2"))
    assert len(list_rows(first)) == 100
    assert len(list_rows(second)) == expected - 100
    assert zh("%(total)s records", total=expected) in first
    dates = [r[0] for r in list_rows(first) + list_rows(second) if r[0] != "—"]
    parsed = [date(*map(int, re.match(r"(\d+)年(\d+)月(\d+)日", d).groups())) for d in dates]
    assert parsed == sorted(parsed)
