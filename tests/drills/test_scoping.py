"""Scope: another county's office and another unit's liaison get 404 on every drill URL."""

import io
import re

import pytest

from tests.documents.files import pdf_bytes
from tests.drills.conftest import (
    WEB,
    add_action,
    close_action,
    new_drill,
    newest_action,
    record_held,
    snapshot,
    upload,
)

pytestmark = WEB

NOT_FOUND = "页面或记录未找到，或不在您的管辖范围内。"


def drill_rules(app) -> list[tuple[str, str]]:
    """Return (method, rule) of every drill page with an id in its path, from the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        ids = rule.arguments & {"drill_id", "action_id", "unit_id"}
        if rule.endpoint.startswith("drills.") and ids:
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                found.append((method, rule.rule))
    return found


@pytest.fixture
def school_objects(world, client_for):
    """A held school drill with a document and a closed corrective action."""
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, plan_ids=[world.plans["school"].id])
    record_held(teacher, drill.id, evacuation_seconds="130")
    upload(teacher, drill.id, "drill_scheme")
    add_action(teacher, drill.id)
    action = newest_action()
    close_action(teacher, action.id, evidence=("整改.pdf", pdf_bytes()))
    return {"drill_id": drill.id, "action_id": action.id, "unit_id": world.school.id}


def form_data(world) -> dict:
    """Valid-looking data for every drill form, aimed at changing the school's records."""
    return {"title": "越权演练", "planned_on": "2026-12-01", "form": "live", "scope": "single",
            "purpose": "inspection", "new_date": "2026-12-02", "reason": "越权", "days": "3",
            "held_on": "2026-11-19", "evacuation_seconds": "60", "doc_type": "drill_summary",
            "owner": "越权", "due_on": "2026-12-31", "comment": "越权", "note": "越权",
            "plan_ids": [world.plans["school"].id]}


@pytest.mark.parametrize("outsider", ["office_b", "chemical_liaison", "mine_liaison"])
def test_every_drill_url_is_404_outside_scope(app, world, client_for, school_objects, outsider):
    client = client_for(getattr(world, outsider))
    rules = drill_rules(app)
    assert len(rules) >= 13
    before = snapshot(app)
    problems = []
    for method, rule in rules:
        url = re.sub(r"<int:(\w+)>", lambda m: str(school_objects[m.group(1)]), rule)
        if method == "GET":
            response = client.get(url)
        else:
            data = {**form_data(world), "file": (io.BytesIO(pdf_bytes()), "越权.pdf"),
                    "evidence": (io.BytesIO(pdf_bytes()), "越权.pdf")}
            response = client.post(url, data=data, content_type="multipart/form-data")
        if response.status_code != 404 or NOT_FOUND not in response.text:
            problems.append(f"{method} {url}: {response.status_code}")
    assert problems == []
    assert snapshot(app) == before
    # The drill's documents are out of reach too.
    from emergency.documents.models import Document
    from emergency.extensions import db

    document = db.session.query(Document).filter(Document.drill_id.is_not(None)).first()
    assert client.get(f"/documents/{document.id}/download").status_code == 404


def test_the_same_urls_work_in_scope(world, client_for, school_objects):
    office = client_for(world.office_a)
    assert office.get(f"/drills/{school_objects['drill_id']}").status_code == 200
    assert office.get(f"/drills/unit/{school_objects['unit_id']}").status_code == 200
    response = office.post(f"/drills/actions/{school_objects['action_id']}/verify")
    assert response.status_code == 302


@pytest.mark.parametrize("outsider", ["office_b", "chemical_liaison"])
def test_calendar_and_register_show_only_drills_in_scope(world, client_for, school_objects,
                                                         outsider):
    client = client_for(getattr(world, outsider))
    for url in ("/drills/?view=month&month=2026-11", "/drills/?view=list&year=2026",
                "/drills/export.csv?view=list&year=2026",
                f"/drills/?view=list&year=2026&region={world.tree.county_a.id}"):
        response = client.get(url)
        assert response.status_code == 200
        text = response.data.decode("utf-8-sig")
        assert "花园小学" not in text, url
