"""Reminder recipients follow scope at the moment of sending, not only when the mail was queued.

Queued mail about a unit goes out only if its recipient may still see that unit: a liaison moved
to another unit, office staff moved to another county, a deactivated account or an account made
a liaison elsewhere get nothing about their old scope (the outbox row is cancelled). The mails
really go to a local SMTP server (aiosmtpd), which must receive exactly the expected ones.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from emergency.auth.models import Role
from emergency.extensions import db
from emergency.reminders import jobs
from emergency.reminders.models import MailStatus, OutboxMessage
from tests.reminders.conftest import (  # noqa: F401  (fixtures)
    TODAY,
    days,
    make_obligation,
    reminder_config,
    rules,
    smtp,
    world,
)


def generate(today):
    jobs.generate_reminders(today, datetime(today.year, today.month, today.day, 1, tzinfo=UTC),
                            working_days_only=False)
    db.session.commit()


def send(today):
    jobs.send_outbox(datetime(today.year, today.month, today.day, 2, tzinfo=UTC))
    db.session.commit()


def statuses() -> list[str]:
    db.session.expire_all()
    return [row.status for row in db.session.scalars(select(OutboxMessage)
                                                     .order_by(OutboxMessage.id))]


CHANGES = {
    "nothing changes (control)": lambda w, tree: None,
    "the liaison moved to another unit": lambda w, tree: setattr(w.liaison, "unit_id",
                                                                 w.far_unit.id),
    "the liaison deactivated": lambda w, tree: setattr(w.liaison, "is_active", False),
}
ESCALATION_CHANGES = {
    "nothing changes (control)": lambda w, tree: None,
    "office staff moved to the other county": lambda w, tree: setattr(w.office, "region_id",
                                                                      tree.county_b.id),
    "office staff moved to a town of the other county": lambda w, tree: setattr(
        w.office, "region_id", tree.town_b.id),
    "office staff made a viewer elsewhere": lambda w, tree: (
        setattr(w.office, "role", Role.VIEWER), setattr(w.office, "region_id", tree.county_b.id)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_liaisons_queued_reminder_follows_the_current_unit(
        smtp, world, tree, make_obligation, change):  # noqa: F811  (fixtures imported above)
    make_obligation(world.unit, due_on=TODAY + days(7), subject="花园化工年度综合演练")
    generate(TODAY)
    assert statuses() == [MailStatus.PENDING]
    CHANGES[change](world, tree)
    db.session.commit()
    send(TODAY)
    if change.startswith("nothing"):
        assert statuses() == [MailStatus.SENT]
        assert len(smtp.handler.received) == 1
    else:
        assert statuses() == [MailStatus.CANCELLED]
        assert smtp.handler.received == []


@pytest.mark.parametrize("change", list(ESCALATION_CHANGES))
def test_an_escalation_follows_the_office_users_current_region(
        app, smtp, world, tree, make_obligation, change):  # noqa: F811  (fixtures imported above)
    app.config["REMINDER_ESCALATION_DAYS"] = 14
    world.liaison.is_active = False  # only the escalation to the office is queued
    db.session.commit()
    make_obligation(world.unit, due_on=TODAY, status="overdue", subject="花园化工预案备案")
    generate(TODAY + days(14))
    assert statuses() == [MailStatus.PENDING]
    ESCALATION_CHANGES[change](world, tree)
    db.session.commit()
    send(TODAY + days(14))
    if change.startswith("nothing"):
        assert statuses() == [MailStatus.SENT]
        assert len(smtp.handler.received) == 1
    else:
        assert statuses() == [MailStatus.CANCELLED]
        assert smtp.handler.received == []
