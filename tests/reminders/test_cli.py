"""`flask reminders send [--as-of] [--dry-run]`, `reminders digest`, `scheduler status`."""

import re

from sqlalchemy import func, select

from emergency.auth.models import Role
from emergency.extensions import db
from emergency.reminders.models import Notification, OutboxMessage
from tests.reminders.conftest import TODAY, days


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Notification)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))


def test_dry_run_lists_per_recipient_and_changes_nothing(runner, smtp, world, make_user,
                                                         make_obligation):
    make_user(Role.LIAISON, unit=world.unit, username="liaison_b", email="b@yjj.local")
    make_obligation(world.unit, due_on=TODAY + days(7), subject="年度综合演练")
    result = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-02", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 new reminders" in result.output
    assert "liaison_b <b@yjj.local> (liaison)" in result.output
    lines = re.findall(r"new\s+due\s+d7\s+due 2026-03-09 .*年度综合演练  \[mail\]", result.output)
    assert len(lines) == 2
    assert counts() == (0, 0) and smtp.handler.received == []


def test_send_generates_and_delivers(runner, smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    result = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert "'sent': 1" in result.output
    again = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-02"])
    assert "'notifications': 0" in again.output
    assert smtp.handler.recipients() == ["zhangsan@yjj.local"]
    assert counts() == (1, 1)


def test_send_generates_on_any_day_it_is_asked_for(runner, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    result = runner.invoke(args=["reminders", "send", "--as-of", "2026-03-07", "--dry-run"])
    assert "1 new reminders" in result.output  # a Saturday: the CLI does not skip it


def test_weekly_digest_command(runner, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY - days(2), status="overdue")
    result = runner.invoke(args=["reminders", "digest", "--as-of", "2026-03-02"])
    assert result.exit_code == 0 and "'weekly': 1" in result.output


def test_a_bad_date_is_refused(runner):
    result = runner.invoke(args=["reminders", "send", "--as-of", "2026-02-30"])
    assert result.exit_code == 2 and "Not a date" in result.output


def test_scheduler_status_lists_the_jobs(runner):
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0
    for job_id in ("compliance_scan", "reminders_generate", "office_digest", "outbox_send"):
        assert job_id in result.output
