"""Reminder generation from stored obligations: stages, overdue weeks, escalations, recipients."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from emergency.auth.models import Role
from emergency.compliance.models import Rule
from emergency.extensions import db
from emergency.reminders import jobs, services
from emergency.reminders.models import Category, Notification, OutboxMessage
from tests.reminders.conftest import NOW, TODAY, days


def generate(today: date) -> dict:
    now = datetime(today.year, today.month, today.day, 1, tzinfo=UTC)
    result = jobs.generate_reminders(today, now, working_days_only=False)
    db.session.commit()
    return result


def notes(user=None) -> list[tuple[str, str]]:
    stmt = select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return [(n.category, n.stage) for n in db.session.scalars(stmt)]


def test_each_stage_is_generated_once_on_its_day(world, make_obligation):
    due = TODAY + days(30)
    make_obligation(world.unit, due_on=due)
    for offset in range(-31, 1):
        generate(due + days(offset))
    assert notes(world.liaison) == [("due", "d30"), ("due", "d7"), ("due", "d1")]
    assert notes(world.office) == []


def test_after_downtime_only_the_latest_stage_is_sent(world, make_obligation):
    due = TODAY + days(30)
    make_obligation(world.unit, due_on=due)
    generate(due - days(30))
    generate(due - days(1))  # the scheduler was down for four weeks
    assert notes(world.liaison) == [("due", "d30"), ("due", "d1")]


def test_overdue_on_the_first_day_then_weekly(world, make_obligation):
    due = TODAY
    make_obligation(world.unit, due_on=due, status="overdue")
    for offset in range(1, 16):
        generate(due + days(offset))
    assert notes(world.liaison) == [("overdue", "w0"), ("overdue", "w1"), ("overdue", "w2")]


def test_escalation_reaches_office_staff_in_scope_once(app, world, tree, make_user,
                                                       make_obligation):
    app.config["REMINDER_ESCALATION_DAYS"] = 14
    other_county = make_user(Role.OFFICE, region=tree.county_b)
    city = make_user(Role.OFFICE, region=tree.city)
    make_obligation(world.unit, due_on=TODAY, status="overdue")
    generate(TODAY + days(13))
    assert notes(world.office) == []
    generate(TODAY + days(14))
    generate(TODAY + days(20))
    assert notes(world.office) == [("escalation", "esc")]
    assert notes(city) == [("escalation", "esc")]
    assert notes(other_county) == []
    escalation = db.session.scalar(select(Notification).where(
        Notification.category == Category.ESCALATION, Notification.user_id == world.office.id))
    assert escalation.is_mandatory and escalation.payload["overdue_days"] == 14


def test_filing_reminders_count_working_days(world, make_obligation):
    due = date(2026, 4, 30)
    make_obligation(world.unit, rule="filing", due_on=due, subject="化工公司危化品泄漏专项应急预案")
    generate(date(2026, 4, 15))
    assert notes() == []
    generate(date(2026, 4, 16))  # 10 working days before; 14 calendar days
    generate(date(2026, 4, 27))  # 3 working days before, over a weekend
    generate(due)
    assert notes() == [("due", "d10"), ("due", "d3"), ("due", "d0")]


def test_done_items_inactive_users_and_other_units_get_nothing(world, make_user, make_obligation):
    make_user(Role.LIAISON, unit=world.unit, is_active=False)
    make_obligation(world.unit, due_on=TODAY + days(7), status="done")
    make_obligation(world.other_unit, due_on=TODAY + days(7))
    generate(TODAY)
    assert notes() == []


def test_a_new_cycle_is_reminded_again(world, make_obligation):
    row = make_obligation(world.unit, due_on=TODAY + days(7))
    generate(TODAY)
    # Done, and the next cycle is due a year later: the scan replaces the row.
    row.due_on = date(2027, 3, 9)
    db.session.commit()
    generate(date(2027, 3, 2))
    assert notes() == [("due", "d7"), ("due", "d7")]


def test_several_items_on_one_day_are_one_message_per_person(world, make_user, make_obligation):
    second = make_user(Role.LIAISON, unit=world.unit)
    for n in range(3):
        make_obligation(world.unit, due_on=TODAY + days(7), subject=f"演练{n}", period=f"p{n}")
    result = generate(TODAY)
    assert result["notifications"] == 6 and result["messages"] == 2
    by_user = {m.user_id for m in db.session.scalars(select(OutboxMessage))}
    assert by_user == {world.liaison.id, second.id}


def test_working_days_only_skips_weekends_and_holidays(world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    saturday = date(2026, 3, 7)
    assert jobs.generate_reminders(saturday, NOW) == {"skipped": "not a working day"}
    assert jobs.generate_reminders(date(2026, 3, 9), NOW)["notifications"] == 1


def test_dry_run_candidates_skip_what_was_already_generated(world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    owed = services.new_candidates(services.daily_candidates(TODAY))
    assert [(c.user_id, c.stage) for c in owed] == [(world.liaison.id, "d7")]
    generate(TODAY)
    assert services.new_candidates(services.daily_candidates(TODAY)) == []


@pytest.mark.parametrize("reminder_days", [[], None])
def test_rules_without_lead_times_only_remind_when_overdue(world, rules, make_obligation,
                                                           reminder_days):
    rule = db.session.get(Rule, rules["drill"].id)
    rule.reminder_days = reminder_days
    db.session.commit()
    make_obligation(world.unit, due_on=TODAY + days(1))
    generate(TODAY)
    generate(TODAY + days(2))
    assert notes() == [("overdue", "w0")]
