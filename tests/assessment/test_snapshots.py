"""Snapshots: frozen on a day, reproduced exactly after the data changes, compared, scoped."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from emergency.assessment.models import AssessmentSnapshot, SnapshotImmutableError
from emergency.compliance.scan import scan
from emergency.extensions import db
from emergency.plans.models import FilingState
from tests.assessment.conftest import TODAY, text_of, zh
from tests.assessment.test_pages import A, row_of

FREEZE = "/assessment/snapshots?year=2026"


def freeze(client, as_of: str = "2026-11-20", title: str = "") -> int:
    response = client.post(FREEZE, data={"as_of": as_of, "title": title})
    assert response.status_code == 302, text_of(response)[:2000]
    return int(re.fullmatch(r"/assessment/snapshots/(\d+)", response.headers["Location"]).group(1))


def snapshot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AssessmentSnapshot))


def file_the_school_plan(world) -> None:
    """The change after the freeze: 花园小学 finally files its plan, and the scan runs again."""
    version = world.school_plan.current_version
    version.submitted_on, version.filed_on = date(2026, 11, 18), date(2026, 11, 19)
    version.filing_state = FilingState.FILED
    db.session.commit()
    scan(TODAY)
    db.session.commit()


def test_snapshot_figures_survive_a_change_of_the_data(world, login):
    client = login(world.office_city)
    snapshot_id = freeze(client, title="2026年度考核（报省）")
    frozen_page = client.get(f"/assessment/snapshots/{snapshot_id}").text
    frozen_k3 = re.search(r'data-indicator="K3">(.*?)</td>', row_of(frozen_page, A), re.S).group(1)
    assert "2/3" in frozen_k3

    file_the_school_plan(world)

    live = client.get("/assessment/").text
    assert "3/3" in re.search(r'data-indicator="K3">(.*?)</td>', row_of(live, A), re.S).group(1)
    again = client.get(f"/assessment/snapshots/{snapshot_id}").text
    assert row_of(again, A) == row_of(frozen_page, A)
    # The frozen evidence still lists the school's plan as not filed.
    evidence = client.get(f"/assessment/snapshots/{snapshot_id}/evidence?indicator=K3&group={A}&failing=1")
    assert evidence.status_code == 200 and "花园小学校园安全应急预案" in evidence.text


def test_snapshots_cannot_be_changed_or_deleted(world, login):
    snapshot_id = freeze(login(world.office_city))
    snapshot = db.session.get(AssessmentSnapshot, snapshot_id)
    snapshot.title = "改过的标题"
    with pytest.raises(SnapshotImmutableError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AssessmentSnapshot, snapshot_id))
    with pytest.raises(SnapshotImmutableError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AssessmentSnapshot, snapshot_id).title != "改过的标题"


def test_compare_shows_the_change_per_group_and_indicator(world, login):
    client = login(world.office_city)
    before = freeze(client, title="之前")
    file_the_school_plan(world)
    after = freeze(client, title="之后")
    page = client.get(f"/assessment/snapshots/compare?a={before}&b={after}")
    assert page.status_code == 200
    cell = re.search(r'data-indicator="K3">(.*?)</td>', row_of(page.text, A), re.S).group(1)
    assert "+33.3%" in cell  # 2/3 → 3/3
    assert "64.4 →" in row_of(page.text, A)


@pytest.mark.parametrize(("as_of", "message"), [
    ("2026-11-21", "A snapshot cannot be taken for a date in the future."),
    ("2025-12-31", "The date must lie in the assessment year %(year)s or later."),
    ("", "Enter a date as YYYY-MM-DD."),
])
def test_bad_snapshot_dates_are_refused(world, login, as_of, message):
    response = login(world.office_city).post(FREEZE, data={"as_of": as_of})
    assert response.status_code == 400
    assert (zh(message, year=2026) if "%(year)s" in message else zh(message)) in text_of(response)
    assert snapshot_count() == 0


def test_a_year_without_data_cannot_be_frozen(world, login):
    response = login(world.office_city).post("/assessment/snapshots?year=2020",
                                             data={"as_of": "2026-11-20"})
    assert response.status_code == 400
    assert zh("There is no assessment data for this year and region to freeze.") in text_of(response)
    assert snapshot_count() == 0


def test_snapshots_are_scoped_and_leaders_cannot_freeze(world, login):
    city_snapshot = freeze(login(world.office_city))
    county_a = login(world.office_a)
    assert county_a.get(f"/assessment/snapshots/{city_snapshot}").status_code == 404
    assert county_a.get(f"/assessment/snapshots/{city_snapshot}/export.xlsx").status_code == 404
    assert county_a.get(f"/assessment/snapshots/{city_snapshot}/evidence?indicator=K3").status_code == 404
    assert county_a.get(f"/assessment/snapshots/compare?a={city_snapshot}&b={city_snapshot}").status_code == 404
    own = freeze(county_a)
    listed = county_a.get("/assessment/snapshots").text
    assert f"/assessment/snapshots/{own}" in listed and f"/assessment/snapshots/{city_snapshot}\"" not in listed
    assert login(world.leader_city).get(f"/assessment/snapshots/{city_snapshot}").status_code == 200
    assert login(world.leader_city).post(FREEZE, data={"as_of": "2026-11-20"}).status_code == 403
    assert snapshot_count() == 2


def test_freezing_is_audited_without_copying_the_figures(world, login):
    from emergency.audit.models import AuditEntry

    snapshot_id = freeze(login(world.office_city), title="审计")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "assessment_snapshots"))
    assert entry.object_id == snapshot_id and entry.username == world.office_city.username
    assert entry.changes["title"] == "审计" and "evidence" not in entry.changes
