"""The inbox and outbox exports."""

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.support import Translations

from emergency.auth.models import Role
from emergency.extensions import db
from emergency.reminders.models import Notification, OutboxMessage
from tests.factories import log_in
from tests.imports.files import read_csv, read_xlsx

ZH = Translations.load(str(Path(__file__).resolve().parents[2] / "emergency" / "translations"),
                       ["zh"])
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def inbox(tree, make_unit, make_user):
    school = make_unit(tree.town_a, name="花园小学", kind="school", identifier="2123000001")
    mine = make_unit(tree.town_b, name="北安煤矿")
    office = make_user(Role.OFFICE, region=tree.county_a, username="office_a")
    admin = make_user(Role.ADMIN, username="boss")

    def note(unit, key, read=None):
        db.session.add(Notification(
            key=key, user_id=office.id, category="overdue", unit_id=unit.id, stage="w0",
            due_on=date(2026, 11, 1), created_on=date(2026, 11, 20), created_at=NOW, read_at=read,
            payload={"unit_name": unit.name, "kind": "drill_period", "subject": "=季度演练",
                     "period": "2026-Q4", "rule_code": "R8-D", "citation": "某办法 第8条"}))

    note(school, "a")
    note(school, "b", read=NOW)
    note(mine, "c")  # a unit outside the office's region: not listed, not exported
    db.session.add(OutboxMessage(key="m1", user_id=office.id, created_on=date(2026, 11, 20),
                                 status="dead", attempts=5, next_attempt_at=NOW,
                                 message_id="<m1@yjj.local>", to_addr="office_a@yjj.local",
                                 subject="逾期提醒", last_error="550 mailbox unavailable"))
    db.session.add(OutboxMessage(key="m2", user_id=office.id, created_on=date(2026, 11, 20),
                                 status="sent", attempts=1, next_attempt_at=NOW, sent_at=NOW,
                                 message_id="<m2@yjj.local>", subject="到期提醒"))
    db.session.commit()
    return {"office": office, "admin": admin}


def test_inbox_export_is_the_users_own_scoped_inbox(inbox, client):
    log_in(client, inbox["office"])
    rows = read_xlsx(client.get("/reminders/export.xlsx"))
    assert rows[0][:2] == ["创建时间", "状态"]
    # Newest first, as listed; "Read" is a new message (msgid until the catalogs are merged).
    assert [(r[1], r[3], r[5], r[7]) for r in rows[1:]] == [
        (ZH.gettext("Read"), "花园小学", "'=季度演练", datetime(2026, 11, 1)),
        ("未读", "花园小学", "'=季度演练", datetime(2026, 11, 1))]
    assert {r[3] for r in rows[1:]} == {"花园小学"}
    assert rows[1][0] == datetime(2026, 11, 20, 9, 0)  # China wall-clock time
    unread = read_csv(client.get("/reminders/export.csv?unread=1"))
    assert [r[1] for r in unread[1:]] == ["未读"]


def test_outbox_export_is_for_administrators_and_honours_the_status(inbox, client):
    log_in(client, inbox["office"])
    assert client.get("/reminders/outbox/export.xlsx").status_code == 403
    log_in(client, inbox["admin"])
    rows = read_xlsx(client.get("/reminders/outbox/export.xlsx"))
    assert len(rows) == 3
    dead = read_csv(client.get("/reminders/outbox/export.csv?status=dead"))
    assert [(r[3], r[4], r[9]) for r in dead[1:]] == [
        ("office_a@yjj.local", "逾期提醒", "550 mailbox unavailable")]
