"""The assessment page, its evidence lists and who may see what."""

import re

import pytest

from emergency.auth.models import Role
from tests.assessment.conftest import text_of, zh

A, B = "/23/2311/231102/", "/23/2311/231181/"


def row_of(page: str, key: str) -> str:
    match = re.search(rf'<tr[^>]*data-group="{re.escape(key)}">(.*?)</tr>', page, re.S)
    assert match, key
    return match.group(1)


def total_of(page: str, key: str) -> str:
    return re.search(r"data-total>([\d.]+)", row_of(page, key)).group(1)


def test_city_office_sees_each_county_with_scores_and_grades(world, login):
    page = login(world.office_city).get("/assessment/", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert total_of(page.text, A) == "64.4" and total_of(page.text, B) == "64.2"
    assert zh("Up to standard") in text_of(page)
    # Each indicator figure links to the records behind it.
    k3 = re.search(r'data-indicator="K3">\s*<a href="([^"]+)"', row_of(page.text, A)).group(1)
    listed = login(world.office_city).get(k3.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "花园小学校园安全应急预案" in listed.text and "赵光镇" not in listed.text


def test_each_deduction_links_to_the_records_it_came_from(world, login):
    client = login(world.office_city)
    page = client.get("/assessment/").text
    deductions = re.search(r'id="assessment-deductions".*?</table>', page, re.S).group(0)
    links = re.findall(r'href="([^"]*indicator=LF[^"]*)"', deductions)
    assert links, "the late-filing deduction links to its records"
    own = next(link for link in links if "231102" in link).replace("&amp;", "&")
    listed = client.get(own)
    assert listed.status_code == 200
    text = text_of(listed)
    assert "花园小学校园安全应急预案" in text and "爱辉区应急管理局部门应急预案" in text
    assert "花园街道突发事件总体应急预案" not in text  # filed on time: not behind the deduction


def test_department_and_town_groupings(world, login):
    client = login(world.office_city)
    page = text_of(client.get("/assessment/?grouping=department"))
    assert "爱辉区应急管理局" in page and "北安化工厂" not in page
    page = text_of(client.get("/assessment/?grouping=town"))
    assert "花园街道" in page and "赵光镇" in page


def test_county_office_sees_only_its_county(world, login):
    client = login(world.office_a)
    page = client.get("/assessment/")
    assert page.status_code == 200
    text = text_of(page)
    assert "花园街道" in text and "赵光镇" not in text and "北安市" not in text
    # URL edits answer 404: the other county, its group key, a made-up grouping or year.
    assert client.get(f"/assessment/?region={world.tree.county_b.id}").status_code == 404
    assert client.get(f"/assessment/evidence?indicator=K3&group={B}").status_code == 404
    assert client.get(f"/assessment/evidence?indicator=K3&region={world.tree.county_b.id}").status_code == 404
    assert client.get("/assessment/export.xlsx?region=" + str(world.tree.county_b.id)).status_code == 404
    assert client.get("/assessment/?grouping=everything").status_code == 404
    assert client.get("/assessment/?year=abc").status_code == 404
    assert client.get("/assessment/evidence?indicator=K99").status_code == 404


def test_leader_reads_but_liaison_has_no_assessment(world, login, make_user):
    assert login(world.leader_city).get("/assessment/").status_code == 200
    liaison = make_user(Role.LIAISON, unit=world.school)
    client = login(liaison)
    assert client.get("/assessment/").status_code == 404
    assert client.get("/assessment/snapshots").status_code == 404


def test_year_without_data_says_so(world, login):
    page = login(world.office_city).get("/assessment/?year=2020")
    assert page.status_code == 200
    assert 'id="no-data"' in page.text
    assert 'id="assessment-figures"' not in page.text
    assert login(world.office_city).get("/assessment/export.xlsx?year=2020").status_code == 404


def test_past_year_without_its_scan_is_honest(world, login):
    """2025 has table data (a special plan filed) but no compliance scan of 2025."""
    page = login(world.office_city).get("/assessment/?year=2025")
    assert page.status_code == 200
    assert "K1" in page.text and zh("No compliance scan of this year") in text_of(page)


def test_nav_links_the_assessment_for_office_leader_and_admin(world, login, make_user):
    for user in (world.office_city, world.leader_city, world.admin):
        assert 'href="/assessment/"' in login(user).get("/plans/").text
    liaison = make_user(Role.LIAISON, unit=world.school)
    assert 'href="/assessment/"' not in login(liaison).get("/plans/").text


@pytest.mark.parametrize("indicator", ["K1", "K5", "K8", "K12", "LF"])
def test_evidence_lists_render(world, login, indicator):
    page = login(world.office_city).get(f"/assessment/evidence?indicator={indicator}&failing=1")
    assert page.status_code == 200
