"""The drill pages keep the house rules: no inline script or style (CSP), every input labelled,
no duplicate ids, and the forms a role may not use are not shown to it."""

import re
from html.parser import HTMLParser

import pytest

from tests.documents.files import pdf_bytes
from tests.drills.conftest import (
    WEB,
    add_action,
    close_action,
    new_drill,
    newest_action,
    plan_drill,
    record_held,
    upload,
)

pytestmark = WEB


class PageCheck(HTMLParser):
    """Collect what breaks the CSP or leaves a form control without a label."""

    def __init__(self):
        super().__init__()
        self.problems, self.ids, self.labels, self.controls = [], [], set(), []
        self._in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.problems.append(f"inline style or handler on <{tag}>")
        if tag == "script" and "src" not in attrs:
            self.problems.append("inline <script>")
        if "id" in attrs and attrs["id"] != "csrf_token":
            self.ids.append(attrs["id"])
        if tag == "label":
            self._in_label += 1
            if "for" in attrs:
                self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append((attrs.get("id"), attrs.get("name"), self._in_label > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1


def check(page: str) -> list[str]:
    parser = PageCheck()
    parser.feed(page)
    problems = list(parser.problems)
    duplicates = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    problems += [f"duplicate id {i}" for i in duplicates]
    problems += [f"unlabelled {name}" for control_id, name, wrapped in parser.controls
                 if not wrapped and control_id not in parser.labels]
    return problems


@pytest.fixture
def pages(world, rules, client_for):
    """A drill in every state with actions in every state, seen by the liaison and the office."""
    teacher = client_for(world.school_liaison)
    office = client_for(world.office_a)
    held = new_drill(teacher, world.school, plan_ids=[world.plans["school"].id])
    record_held(teacher, held.id, evacuation_seconds="130")
    upload(teacher, held.id, "drill_scheme")
    for title in ("疏散通道堆放杂物", "广播音量不足", "引导员不足"):
        add_action(teacher, held.id, title=title)
    first, second, _third = sorted(newest_action().id - n for n in (2, 1, 0))
    close_action(teacher, first, evidence=("整改.pdf", pdf_bytes()))
    close_action(teacher, second, evidence=("整改.pdf", pdf_bytes()))
    office.post(f"/drills/actions/{second}/verify")
    planned = new_drill(teacher, world.school, planned_on="2026-12-10")
    cancelled = new_drill(teacher, world.school, planned_on="2026-12-17")
    teacher.post(f"/drills/{cancelled.id}/cancel", data={"reason": "停课"})
    urls = [f"/drills/{held.id}", f"/drills/{planned.id}", f"/drills/{cancelled.id}",
            f"/drills/unit/{world.school.id}", f"/drills/unit/{world.school.id}?year=2027",
            "/drills/", "/drills/?view=list", "/drills/?view=list&day=2026-11-18"]
    return {"teacher": teacher, "office": office, "leader": client_for(world.viewer_a),
            "urls": urls, "held": held, "planned": planned, "cancelled": cancelled}


@pytest.mark.parametrize("who", ["teacher", "office", "leader"])
def test_pages_have_labels_and_no_inline_code(pages, who):
    client = pages[who]
    for url in pages["urls"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert check(response.text) == [], url


def test_pages_with_errors_keep_the_rules(world, client_for, pages):
    teacher = pages["teacher"]
    held, planned = pages["held"], pages["planned"]
    for response in (
        plan_drill(teacher, world.school, year="2026", title="", planned_on="x", plan_ids=["y"]),
        record_held(teacher, held.id, held_on="2026-12-30", evacuation_seconds="0"),
        teacher.post(f"/drills/{planned.id}/reschedule", data={"new_date": "", "reason": ""}),
        add_action(teacher, held.id, owner="", due_on="2020-01-01"),
        close_action(teacher, newest_action().id),
    ):
        assert response.status_code == 400
        assert check(response.text) == []


def test_roles_see_only_the_forms_they_may_use(pages):
    held, planned = pages["held"], pages["planned"]
    teacher_page = pages["teacher"].get(f"/drills/{held.id}").text
    office_page = pages["office"].get(f"/drills/{held.id}").text
    leader_page = pages["leader"].get(f"/drills/{held.id}").text
    assert "/verify" not in teacher_page and "/reopen" not in teacher_page
    assert "/verify" in office_page and "/reopen" in office_page
    assert "<form method=\"post\"" not in leader_page.split('<main', 1)[1]
    planned_page = pages["teacher"].get(f"/drills/{planned.id}").text
    assert f"/drills/{planned.id}/reschedule" in planned_page
    assert f"/drills/{planned.id}/cancel" in planned_page
    assert f"/drills/{planned.id}/actions" not in planned_page  # findings come with a held drill
    cancelled_page = pages["teacher"].get(f"/drills/{pages['cancelled'].id}").text
    assert "<form method=\"post\"" not in cancelled_page.split('<main', 1)[1]


def test_forms_carry_the_csrf_token(app, pages):
    app.config["WTF_CSRF_ENABLED"] = True
    teacher, planned = pages["teacher"], pages["planned"]
    assert teacher.post(f"/drills/{planned.id}/cancel", data={"reason": "停课"}).status_code == 400
    page = teacher.get(f"/drills/{planned.id}").text
    form = page.split(f'action="/drills/{planned.id}/cancel"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = teacher.post(f"/drills/{planned.id}/cancel",
                            data={"reason": "停课", "csrf_token": token})
    assert response.status_code == 302
