"""Generation + sending against a real SMTP server on 127.0.0.1: encoding, idempotency, retries."""

import threading
import time
from datetime import timedelta
from email.headerregistry import Address

import pytest
from sqlalchemy import select

from emergency.extensions import db
from emergency.reminders import jobs, outbox
from emergency.reminders.models import MailStatus, Notification, OutboxMessage
from emergency.reminders.services import save_preferences
from tests.factories import count
from tests.reminders.conftest import NOW, TODAY, days


def generate(today=TODAY, now=NOW) -> dict:
    result = jobs.generate_reminders(today, now)
    db.session.commit()
    return result


def send(now=NOW) -> dict:
    return jobs.send_outbox(now)


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- encoding ---------------------------------------------------------------------------------

def test_chinese_subject_body_and_display_names_survive_the_round_trip(
        smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7), subject="2026年防汛应急演练（综合）")
    generate()
    assert send() == {"sent": 1}

    [(mail_from, rcpt_tos, raw)] = smtp.handler.received
    [message] = smtp.handler.messages()
    assert mail_from == "noreply@yjj.local" and rcpt_tos == ["zhangsan@yjj.local"]
    stored = messages()[0]
    assert message["Subject"] == stored.subject
    assert "2026年防汛应急演练（综合）" in message["Subject"]
    assert message["From"].addresses[0] == Address("市应急管理局", addr_spec="noreply@yjj.local")
    assert message["To"].addresses[0].display_name == "张三丰"
    assert message["Message-ID"] == stored.message_id
    # Every header line on the wire is ASCII: non-ASCII words are RFC 2047 encoded.
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text == stored.body_text and html == stored.body_html
    for body in (text, html):
        assert "黑河市花园化工有限公司" in body
        assert "《生产安全事故应急预案管理办法》第三十三条第一款" in body
        assert "http://yjj.local:8080/app/compliance/units/" in body


def test_english_users_get_english_mail(smtp, world, make_obligation):
    world.liaison.locale = "en"
    db.session.commit()
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    send()
    [message] = smtp.handler.messages()
    assert message["Subject"].startswith("[Reminder] Drills per period: 2026年度综合应急演练")
    assert "due in 7 days" in message.get_body(("plain",)).get_content()


# --- idempotency ------------------------------------------------------------------------------

def test_the_same_reminder_generated_twice_is_one_message(smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    assert generate()["notifications"] == 1
    assert generate()["notifications"] == 0
    send()
    generate()
    send(NOW + days(1) / 24)
    assert count(Notification) == 1 and count(OutboxMessage) == 1
    assert smtp.handler.recipients() == ["zhangsan@yjj.local"]


def test_two_threads_generating_at_once_make_one_message(app, smtp, world, make_obligation):
    for n in range(5):
        make_obligation(world.unit, due_on=TODAY + days(7), subject=f"演练{n}", period=f"p{n}")
    barrier, errors = threading.Barrier(2), []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                jobs.generate_reminders(TODAY, NOW)
                db.session.commit()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(Notification) == 5 and count(OutboxMessage) == 1
    send()
    assert len(smtp.handler.received) == 1


# --- failures and retries ---------------------------------------------------------------------

def test_451_twice_then_success_delivers_once_with_growing_backoff(smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    smtp.handler.replies = ["451 4.3.0 try later", "451 4.3.0 try later"]
    now, waits = NOW, []
    for _attempt in range(2):
        assert send(now) == {"transient": 1}
        row = messages()[0]
        assert row.status == MailStatus.FAILED and row.last_error.startswith("451")
        assert send(now) == {}  # not due again before its backoff
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert send(now) == {"sent": 1}
    row = messages()[0]
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, None)
    assert waits[1] > waits[0]
    assert len(smtp.handler.received) == 1 and smtp.handler.data_commands == 3


def test_550_makes_the_message_dead_and_it_is_never_retried(smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    smtp.handler.replies = ["550 5.1.1 no such user"]
    assert send() == {"permanent": 1}
    for later in (NOW + days(1), NOW + days(30)):
        assert send(later) == {}
    row = messages()[0]
    assert (row.status, row.attempts) == (MailStatus.DEAD, 1)
    assert row.last_error.startswith("550 5.1.1")
    assert smtp.handler.data_commands == 1 and smtp.handler.received == []


def test_server_down_for_a_while_then_back_delivers_each_message_once(
        smtp, world, make_user, make_obligation):
    from emergency.auth.models import Role

    for n in range(2):
        make_user(Role.LIAISON, unit=world.unit, email=f"liaison{n}@yjj.local")
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    smtp.stop()
    now = NOW
    for _round in range(3):
        assert send(now) == {"transient": 3}
        assert {m.status for m in messages()} == {MailStatus.FAILED}
        now = max(m.next_attempt_at for m in messages())
    smtp.start()
    assert send(now) == {"sent": 3}
    for later in (now + days(1), now + days(2)):
        send(later)
    assert sorted(smtp.handler.recipients()) == [
        "liaison0@yjj.local", "liaison1@yjj.local", "zhangsan@yjj.local"]
    assert [m.attempts for m in messages()] == [4, 4, 4]


def test_a_hanging_server_does_not_hold_the_sender_past_its_timeout(
        app, smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    app.config["MAIL_TIMEOUT"] = 1
    smtp.handler.hang = 5
    started = time.monotonic()
    assert send() == {"transient": 1}
    assert time.monotonic() - started < 3
    row = messages()[0]
    assert row.status == MailStatus.FAILED and "timed out" in row.last_error
    smtp.handler.hang = 0
    assert send(row.next_attempt_at) == {"sent": 1}


def test_a_message_left_sending_by_a_crashed_sender_goes_again_with_the_same_message_id(
        smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    assert send() == {"sent": 1}
    # The crash window: SMTP said 250, the process died before it recorded "sent".
    db.session.execute(OutboxMessage.__table__.update().values(status="sending", claimed_at=NOW))
    db.session.commit()
    assert send(NOW + timedelta(minutes=5)) == {}  # not stale yet: maybe still being sent
    assert send(NOW + timedelta(minutes=11)) == {"recovered": 1, "sent": 1}
    first, second = smtp.handler.messages()
    assert first["Message-ID"] == second["Message-ID"] == messages()[0].message_id


def test_a_rolled_back_generation_sends_nothing(smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    assert jobs.generate_reminders(TODAY, NOW)["messages"] == 1
    db.session.rollback()
    assert count(OutboxMessage) == 0 and count(Notification) == 0
    assert send() == {}
    assert smtp.handler.received == []


def test_an_address_that_needs_smtputf8_is_dead_not_sent(smtp, world, make_obligation):
    world.liaison.email = "张三@yjj.local"
    db.session.commit()
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    assert send() == {"cancelled_or_dead": 1}
    row = messages()[0]
    assert row.status == MailStatus.DEAD and "ASCII" in row.last_error
    assert smtp.handler.received == []


# --- recipients at sending time ---------------------------------------------------------------

def test_a_liaison_moved_to_another_unit_before_sending_does_not_get_the_old_units_reminder(
        smtp, world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    make_obligation(world.other_unit, due_on=TODAY + days(7), subject="热电厂年度演练")
    generate()
    assert count(OutboxMessage) == 1
    world.liaison.unit_id = world.other_unit.id
    db.session.commit()
    assert send() == {"cancelled_or_dead": 1}
    assert smtp.handler.received == []
    assert messages()[0].status == MailStatus.CANCELLED
    # The next generation follows the new unit.
    generate(TODAY + days(1), NOW + days(1))
    send(NOW + days(1))
    [message] = smtp.handler.messages()
    assert "热电厂年度演练" in message["Subject"]


def test_deactivated_users_receive_nothing(smtp, world, make_user, make_obligation):
    from emergency.auth.models import Role

    second = make_user(Role.LIAISON, unit=world.unit, email="wangwu@yjj.local")
    make_obligation(world.unit, due_on=TODAY + days(7))
    world.liaison.is_active = False
    db.session.commit()
    generate()
    second.is_active = False  # deactivated after generation, before sending
    db.session.commit()
    assert send() == {"cancelled_or_dead": 1}
    assert smtp.handler.received == []
    assert count(Notification) == 1  # the generation already skipped the first one


def test_quiet_hours_hold_mail_until_they_end(app, smtp, world, make_obligation):
    app.config["REMINDER_QUIET_HOURS"] = "22-8"
    make_obligation(world.unit, due_on=TODAY + days(7))
    night = NOW - days(1) / 24 * 3  # 06:00 in China
    generate(TODAY, night)
    assert messages()[0].next_attempt_at == NOW - days(1) / 24  # 08:00 China, the digest hour
    assert send(night) == {"quiet_hours": True}
    assert send(NOW) == {"sent": 1}


def test_opting_out_keeps_the_inbox_but_escalations_are_always_mailed(
        app, smtp, world, make_obligation):
    app.config["REMINDER_ESCALATION_DAYS"] = 10
    world.office.locale = "en"
    save_preferences(world.liaison, digest_hour=8, email_reminders=False, email_weekly=False)
    save_preferences(world.office, digest_hour=8, email_reminders=False, email_weekly=False)
    db.session.commit()
    make_obligation(world.unit, due_on=TODAY - days(10), status="overdue")
    generate()
    assert count(Notification) == 2
    send()
    assert smtp.handler.recipients() == ["lisi@yjj.local"]
    [message] = smtp.handler.messages()
    assert message["Subject"].startswith("[Escalation]")


def test_dry_run_message_query_lists_what_is_due(world, make_obligation):
    make_obligation(world.unit, due_on=TODAY + days(7))
    generate()
    due = db.session.scalars(outbox.due_messages(NOW)).all()
    assert [m.user_id for m in due] == [world.liaison.id]
    assert db.session.scalars(outbox.due_messages(NOW - days(1))).all() == []


@pytest.mark.parametrize(("address", "ok"), [
    ("zhangsan@yjj.local", True), ("张三@yjj.local", False), ("a@例子.公司", False),
    ("", False), ("no-at-sign", False)])
def test_ascii_address_check(app, address, ok):
    assert (outbox.ascii_address(address) is not None) is ok
