"""Inbox (read/unread, scope), preferences, the admin outbox with retry, and /healthz."""

import html

from sqlalchemy import select

from emergency.auth.models import Role
from emergency.database import utcnow
from emergency.extensions import db
from emergency.reminders import jobs
from emergency.reminders.models import MailStatus, Notification, OutboxMessage, Preference
from tests.factories import log_in
from tests.reminders.conftest import NOW, TODAY, days


def generate() -> None:
    jobs.generate_reminders(TODAY, NOW)
    db.session.commit()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def client_as(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


def read_flags(user) -> list[bool]:
    db.session.expire_all()
    return [n.read_at is not None for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_the_inbox_lists_reminders_and_counts_unread_ones(app, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7), subject="年度综合演练")
    make_obligation(world.unit, due_on=TODAY + days(1), subject="半年演练", period="H1")
    generate()
    client = client_as(app, world.liaison)
    text = page(client, "/reminders/")
    assert "年度综合演练" in text and "半年演练" in text
    assert "《生产安全事故应急预案管理办法》第三十三条第一款" in text
    assert text.count('data-read="no"') == 2
    assert 'id="inbox-unread"' in page(client, "/plans/")  # unread badge in nav


def test_read_unread_and_mark_all(app, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    make_obligation(world.unit, due_on=TODAY + days(1), period="H1")
    generate()
    first, _second = db.session.scalars(select(Notification.id).order_by(Notification.id)).all()
    client = client_as(app, world.liaison)
    assert client.post(f"/reminders/{first}/read").status_code == 302
    assert read_flags(world.liaison) == [True, False]
    assert page(client, "/reminders/?unread=1").count('data-read="no"') == 1
    client.post(f"/reminders/{first}/unread")
    assert read_flags(world.liaison) == [False, False]
    client.post("/reminders/read-all")
    assert read_flags(world.liaison) == [True, True]
    assert 'id="inbox-unread"' not in page(client, "/reminders/")


def test_nobody_can_mark_someone_elses_reminder(app, world, make_user, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    [note_id] = db.session.scalars(select(Notification.id)).all()
    colleague = make_user(Role.LIAISON, unit=world.unit)
    assert client_as(app, colleague).post(f"/reminders/{note_id}/read").status_code == 404
    assert read_flags(world.liaison) == [False]


def test_the_inbox_follows_the_current_scope(app, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7), subject="旧单位的演练")
    generate()
    world.liaison.unit_id = world.other_unit.id
    db.session.commit()
    assert "旧单位的演练" not in page(client_as(app, world.liaison), "/reminders/")


def test_preferences_are_saved_and_bad_input_changes_nothing(app, world):
    client = client_as(app, world.office)
    assert 'id="escalations" checked disabled' in page(client, "/reminders/preferences")
    response = client.post("/reminders/preferences", data={"digest_hour": "16",
                                                           "email_weekly": "y"})
    assert response.status_code == 302
    pref = db.session.get(Preference, world.office.id)
    assert (pref.digest_hour, pref.email_reminders, pref.email_weekly) == (16, False, True)
    assert client.post("/reminders/preferences", data={"digest_hour": "3"}).status_code == 400
    assert client.post("/reminders/preferences", data={"digest_hour": "x"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Preference, world.office.id).digest_hour == 16


def test_the_outbox_is_for_admins_only(app, world, make_user):
    for user in (world.liaison, world.office):
        assert client_as(app, user).get("/reminders/outbox").status_code == 403
    admin = make_user(Role.ADMIN)
    assert client_as(app, admin).get("/reminders/outbox").status_code == 200


def test_an_admin_sees_the_last_error_and_retries_a_dead_message(app, smtp, world, make_user,
                                                                 make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    smtp.handler.replies = ["550 5.7.1 mailbox unavailable"]
    jobs.send_outbox(NOW)
    admin = client_as(app, make_user(Role.ADMIN))
    text = page(admin, "/reminders/outbox?status=dead")
    assert "550 5.7.1 mailbox unavailable" in text and "zhangsan@yjj.local" in text
    message = db.session.scalar(select(OutboxMessage))
    assert admin.post(f"/reminders/outbox/{message.id}/retry").status_code == 302
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message.id)
    assert (message.status, message.attempts, message.last_error) == (MailStatus.PENDING, 0, None)
    assert jobs.send_outbox(utcnow()) == {"sent": 1}
    assert smtp.handler.recipients() == ["zhangsan@yjj.local"]
    # A sent message is not retried (that would mail it twice).
    admin.post(f"/reminders/outbox/{message.id}/retry")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == MailStatus.SENT
    assert page(admin, "/reminders/outbox?status=sent").count("data-status=\"sent\"") == 1


def test_healthz_reports_each_jobs_last_successful_run(client, app):
    from emergency.scheduler import _record

    _record("outbox_send", last_success_at=NOW, last_result={"sent": 2})
    data = client.get("/healthz").get_json()
    assert data["scheduler"]["runs_in_this_process"] is False
    assert data["scheduler"]["jobs"]["outbox_send"]["last_success_at"] == NOW.isoformat()
