"""Plan list (filters, scoping, export), the edit conflict page and the version diff page."""

import io
import re
from urllib.parse import quote

import docx
import openpyxl
import pytest

from emergency.extensions import db
from emergency.plans.models import Plan
from tests.documents.files import pdf_bytes
from tests.plans.conftest import (
    add_version,
    filed_plan,
    new_plan,
    submitted_plan,
    text_of,
    upload,
    zh,
)

PLAN_LINK = re.compile(r'<a href="/plans/(\d+)">([^<]+)</a>')


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/plans/{query}")
    assert response.status_code == 200
    return [title for _id, title in PLAN_LINK.findall(text_of(response))]


@pytest.fixture
def plans(app, units, client_for, liaison, office_a):
    """Plans in several states in 爱辉区, and one overdue draft in 北安市."""
    office = client_for(office_a)
    school = client_for(liaison(units["school"]))
    factory = client_for(liaison(units["enterprise"]))
    water = client_for(liaison(units["department"]))
    street = client_for(liaison(units["town"]))
    mine = client_for(liaison(units["b_enterprise"]))
    return {
        "submitted": submitted_plan(school, units["school"], "school", title="花园小学防汛应急预案",
                                    category="special"),
        # Issued on National Day 2026-10-01: due 10-08..09, 10-10 Sat, 10-12..16, 10-19..23,
        # 10-26..30, 11-02..03 (20th) -> 2026-11-03, before today 2026-11-20.
        "overdue": new_plan(factory, units["enterprise"], title="爱辉机械厂综合应急预案",
                            category="overall", issued_on="2026-10-01"),
        "filed": filed_plan(water, office, units["department"], "department",
                            title="爱辉区水务局防汛部门预案", category="department"),
        "draft": new_plan(street, units["town"], title="花园街道总体应急预案", category="overall"),
        "other_county": new_plan(mine, units["b_enterprise"], title="北安煤矿综合应急预案",
                                 category="overall", issued_on="2026-10-01"),
    }


def test_office_sees_its_county_only(plans, client_for, office_a, office_b):
    mine = ["花园小学防汛应急预案", "爱辉机械厂综合应急预案", "爱辉区水务局防汛部门预案",
            "花园街道总体应急预案"]
    assert sorted(listed(client_for(office_a))) == sorted(mine)
    assert listed(client_for(office_b)) == ["北安煤矿综合应急预案"]


def test_list_is_ordered_by_filing_deadline(plans, client_for, office_a):
    titles = listed(client_for(office_a))
    assert titles[0] == "爱辉机械厂综合应急预案"  # due 11-03, the others 11-30


@pytest.mark.parametrize(("query", "expected"), [
    pytest.param("?state=submitted", ["花园小学防汛应急预案"], id="state-submitted"),
    pytest.param("?state=filed", ["爱辉区水务局防汛部门预案"], id="state-filed"),
    pytest.param("?state=draft", ["爱辉机械厂综合应急预案", "花园街道总体应急预案"], id="state-draft"),
    pytest.param("?category=department", ["爱辉区水务局防汛部门预案"], id="category"),
    pytest.param("?category=overall&state=draft", ["爱辉机械厂综合应急预案", "花园街道总体应急预案"],
                 id="category-and-state"),
    pytest.param("?deadline=overdue", ["爱辉机械厂综合应急预案"], id="overdue"),
    pytest.param("?deadline=due_30", ["花园街道总体应急预案"], id="due-within-30-days"),
    pytest.param("?q=花园", ["花园小学防汛应急预案", "花园街道总体应急预案"], id="search"),
    pytest.param("?kind=school", ["花园小学防汛应急预案"], id="unit-kind"),
    pytest.param("?deadline=bogus&state=", None, id="malformed-filter-ignored"),
])
def test_list_filters(plans, client_for, office_a, query, expected):
    titles = listed(client_for(office_a), query)
    if expected is None:
        assert len(titles) == 4
    else:
        assert sorted(titles) == sorted(expected)


def test_region_filter_and_scoping(tree, plans, client_for, office_a):
    office = client_for(office_a)
    # The town holds the school, the enterprise and the street office; the water bureau sits at
    # the county level, above the town.
    assert sorted(listed(office, f"?region={tree.town_a.id}")) == sorted(
        ["花园小学防汛应急预案", "爱辉机械厂综合应急预案", "花园街道总体应急预案"])
    assert len(listed(office, f"?region={tree.county_a.id}")) == 4
    # Asking for another county's region shows nothing, not its plans.
    assert listed(office, f"?region={tree.county_b.id}") == []
    assert listed(office, f"?region={tree.town_b.id}&deadline=overdue") == []
    assert listed(office, "?region=999999") == []


def test_overdue_filter_follows_the_fixed_today(app, plans, client_for, office_a):
    office = client_for(office_a)
    page = text_of(office.get("/plans/?deadline=overdue"))
    assert zh("Overdue") in page
    app.config["TODAY"] = "2026-11-03"  # the deadline day itself is still on time
    assert listed(office, "?deadline=overdue") == []
    app.config["TODAY"] = "2026-11-04"
    assert listed(office, "?deadline=overdue") == ["爱辉机械厂综合应急预案"]


def test_liaison_sees_only_own_unit(plans, units, client_for, liaison):
    assert listed(client_for(liaison(units["enterprise"]))) == ["爱辉机械厂综合应急预案"]


def read_xlsx(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_export_xlsx_is_the_scoped_filtered_filing_register(plans, client_for, office_a):
    office = client_for(office_a)
    response = office.get("/plans/export.xlsx")
    assert response.status_code == 200
    assert f"filename*=UTF-8''{quote(zh('Plan filing register') + '.xlsx')}" in response.headers[
        "Content-Disposition"]
    rows = read_xlsx(response)
    header = rows[0]
    column = {name: header.index(zh(name)) for name in ("Unit", "Region", "Plan", "Filing state",
                                                        "Filing number")}
    by_plan = {row[column["Plan"]]: row for row in rows[1:]}
    assert set(by_plan) == {"花园小学防汛应急预案", "爱辉机械厂综合应急预案", "爱辉区水务局防汛部门预案",
                            "花园街道总体应急预案"}
    filed = by_plan["爱辉区水务局防汛部门预案"]
    assert filed[column["Unit"]] == "爱辉区水务局"
    assert filed[column["Region"]] == "爱辉区"
    assert filed[column["Filing state"]] == zh("Filed")
    assert filed[column["Filing number"]] == "231102-2026-0001"

    rows = read_xlsx(office.get("/plans/export.xlsx?deadline=overdue"))
    assert [row[column["Plan"]] for row in rows[1:]] == ["爱辉机械厂综合应急预案"]
    assert office.get("/plans/export.pdf").status_code == 404


def loaded_edit_form(client, plan_id: int) -> dict:
    """GET the edit page and return its fields as a browser would post them back."""
    page = client.get(f"/plans/{plan_id}/edit").get_data(as_text=True)
    [version] = re.findall(r'<input[^>]*name="version"[^>]*value="(\d+)"', page)
    plan = db.session.get(Plan, plan_id)
    return {"title": plan.title, "category": plan.category, "hazard_class": plan.hazard_class,
            "hazard_subtype": plan.hazard_subtype or "", "parent_id": "", "version": version}


def test_second_edit_from_the_same_loaded_version_gets_the_conflict_page(units, client_for,
                                                                         liaison, office_a):
    factory = client_for(liaison(units["enterprise"]))
    office = client_for(office_a)
    plan = new_plan(factory, units["enterprise"], title="爱辉机械厂综合应急预案")
    first = loaded_edit_form(factory, plan.id)
    second = loaded_edit_form(office, plan.id)
    assert first["version"] == second["version"]

    response = factory.post(f"/plans/{plan.id}/edit", data=first | {"title": "爱辉机械厂综合应急预案（修订）"})
    assert response.status_code == 302
    response = office.post(f"/plans/{plan.id}/edit",
                           data=second | {"title": "爱辉机械厂生产安全事故综合应急预案"})
    assert response.status_code == 409
    page = text_of(response)
    assert zh("Someone else changed this plan") in page
    assert "爱辉机械厂综合应急预案（修订）" in page  # saved now
    assert "爱辉机械厂生产安全事故综合应急预案" in page  # what this user typed

    db.session.expire_all()
    saved = db.session.get(Plan, plan.id)
    assert saved.title == "爱辉机械厂综合应急预案（修订）"
    assert saved.version == int(first["version"]) + 1

    # Reloading the form gives the new version, and the save goes through.
    third = loaded_edit_form(office, plan.id)
    assert office.post(f"/plans/{plan.id}/edit", data=third | {"title": "第三次"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).title == "第三次"


def docx_with(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_diff_between_two_docx_versions_shows_added_and_removed_paragraphs(units, client_for,
                                                                          liaison):
    street = client_for(liaison(units["town"]))
    plan = new_plan(street, units["town"], title="花园街道防汛应急预案", category="overall")
    old = docx_with(["第一章 总则", "适用于本街道行政区域内洪涝灾害的应对工作。",
                     "第二章 组织机构：街道防汛指挥部。"])
    new = docx_with(["第一章 总则", "适用于本街道行政区域内洪涝灾害和城市内涝的应对工作。",
                     "第二章 组织机构：街道防汛指挥部。", "第三章 预警响应分为四级。"])
    assert upload(street, plan.current_version_id, "issued_text", "防汛预案v1.docx",
                  old).status_code == 302
    assert add_version(street, plan.id, issued_on="2026-11-18").status_code == 302
    db.session.expire_all()
    v2 = db.session.get(Plan, plan.id).current_version_id
    assert upload(street, v2, "issued_text", "防汛预案v2.docx", new).status_code == 302

    response = street.get(f"/plans/{plan.id}/diff?from=1&to=2")
    assert response.status_code == 200
    page = text_of(response)
    removed = re.findall(r"<del[^>]*>− ([^<]*)</del>", page)
    added = re.findall(r"<ins[^>]*>\+ ([^<]*)</ins>", page)
    assert removed == ["适用于本街道行政区域内洪涝灾害的应对工作。"]
    assert added == ["适用于本街道行政区域内洪涝灾害和城市内涝的应对工作。", "第三章 预警响应分为四级。"]
    assert "第二章 组织机构：街道防汛指挥部。" in page
    assert zh("Compare versions") in page
    # The plan page links the comparison.
    assert f"/plans/{plan.id}/diff?from=1&amp;to=2" in street.get(
        f"/plans/{plan.id}").get_data(as_text=True)


def test_diff_without_docx_is_404_with_a_message(units, client_for, liaison):
    street = client_for(liaison(units["town"]))
    plan = new_plan(street, units["town"], title="花园街道防汛应急预案", category="overall")
    assert upload(street, plan.current_version_id, "issued_text", "防汛预案.pdf",
                  pdf_bytes()).status_code == 302
    assert add_version(street, plan.id, issued_on="2026-11-18").status_code == 302
    db.session.expire_all()
    v2 = db.session.get(Plan, plan.id).current_version_id
    assert upload(street, v2, "issued_text", "防汛预案v2.docx",
                  docx_with(["第一章 总则"])).status_code == 302

    response = street.get(f"/plans/{plan.id}/diff?from=1&to=2")
    assert response.status_code == 404
    assert zh("Both versions need a DOCX document to compare.") in text_of(response)
    assert street.get(f"/plans/{plan.id}/diff?from=1&to=9").status_code == 404
    assert street.get(f"/plans/{plan.id}/diff?from=a&to=2").status_code == 404
