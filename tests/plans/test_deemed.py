"""Deemed filing (视为已备案): an enterprise submission left unanswered past the review day."""

from datetime import date

from sqlalchemy import select

from emergency.extensions import db
from emergency.plans.models import FilingEvent, FilingState
from tests.plans.conftest import current_version, submitted_plan, text_of, zh


def events_of(version_id: int) -> list[FilingEvent]:
    return db.session.scalars(select(FilingEvent).where(FilingEvent.version_id == version_id)
                              .order_by(FilingEvent.id)).all()


def test_unanswered_enterprise_submission_is_deemed_filed_after_the_review_day(
        app, units, client_for, liaison, office_a):
    factory = client_for(liaison(units["enterprise"]))
    office = client_for(office_a)
    plan = submitted_plan(factory, units["enterprise"], "enterprise",
                          title="爱辉机械厂综合应急预案", category="overall")
    version = current_version(plan.id)
    assert version.review_due_on == date(2026, 11, 27)  # Fri 11-20 + 5 working days

    # On the review day itself the office may still act: nothing happens.
    app.config["TODAY"] = "2026-11-27"
    page = office.get("/plans/review")
    assert page.status_code == 200
    assert plan.title in text_of(page)
    version = current_version(plan.id)
    assert version.filing_state == FilingState.SUBMITTED
    assert version.filing_number is None
    assert [e.action for e in events_of(version.id)] == ["submitted"]

    # The day after, opening the queue turns the silence into a filing.
    app.config["TODAY"] = "2026-11-28"
    page = text_of(office.get("/plans/review"))
    assert plan.title not in page
    assert zh("Nothing is waiting for review.") in page
    version = current_version(plan.id)
    assert version.filing_state == FilingState.DEEMED_FILED
    assert version.filing_number == "231102-2026-0001"
    assert version.filed_on == date(2026, 11, 27)
    events = events_of(version.id)
    assert [(e.action, e.actor_id) for e in events] == [("submitted", events[0].actor_id),
                                                        ("deemed_filed", None)]

    plan_page = text_of(factory.get(f"/plans/{plan.id}"))
    assert zh("Deemed filed") in plan_page
    assert "231102-2026-0001" in plan_page
    assert zh("automatically") in plan_page
    receipt = text_of(factory.get(f"/plans/versions/{version.id}/receipt"))
    assert zh("deemed filed: no answer within the review period") in receipt
    assert "2026年11月27日" in receipt

    # Opening the queue again changes nothing more.
    app.config["TODAY"] = "2026-12-01"
    office.get("/plans/review")
    assert current_version(plan.id).filing_number == "231102-2026-0001"
    assert len(events_of(version.id)) == 2


def test_school_submission_is_never_deemed_filed(app, units, client_for, liaison, office_a):
    school = client_for(liaison(units["school"]))
    plan = submitted_plan(school, units["school"], "school", title="花园小学防汛应急预案")
    app.config["TODAY"] = "2027-03-01"
    page = text_of(client_for(office_a).get("/plans/review"))
    assert plan.title in page  # still waiting, months later
    version = current_version(plan.id)
    assert version.filing_state == FilingState.SUBMITTED
    assert version.filing_number is None
    assert [e.action for e in events_of(version.id)] == ["submitted"]
    assert zh("Waiting for review") in text_of(school.get(f"/plans/{plan.id}"))


def test_government_department_submission_is_never_deemed_filed(app, units, client_for, liaison,
                                                                office_a):
    client = client_for(liaison(units["department"]))
    plan = submitted_plan(client, units["department"], "department", category="department")
    app.config["TODAY"] = "2026-12-31"
    client_for(office_a).get("/plans/review")
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED


def test_another_countys_office_does_not_deem_it(app, units, client_for, liaison, office_a,
                                                 office_b):
    factory = client_for(liaison(units["enterprise"]))
    plan = submitted_plan(factory, units["enterprise"], "enterprise", category="overall")
    app.config["TODAY"] = "2026-11-30"
    page = text_of(client_for(office_b).get("/plans/review"))
    assert plan.title not in page
    assert current_version(plan.id).filing_state == FilingState.SUBMITTED
    # Its own county's office does.
    client_for(office_a).get("/plans/review")
    assert current_version(plan.id).filing_state == FilingState.DEEMED_FILED


def test_deemed_filing_takes_the_next_number_after_filed_plans(app, units, client_for, liaison,
                                                              office_a):
    office = client_for(office_a)
    school = client_for(liaison(units["school"]))
    factory = client_for(liaison(units["enterprise"]))
    waiting = submitted_plan(factory, units["enterprise"], "enterprise", category="overall")
    filed = submitted_plan(school, units["school"], "school")
    assert office.post(f"/plans/versions/{filed.current_version_id}/file").status_code == 302
    app.config["TODAY"] = "2026-11-30"
    office.get("/plans/review")
    assert current_version(filed.id).filing_number == "231102-2026-0001"
    assert current_version(waiting.id).filing_number == "231102-2026-0002"
