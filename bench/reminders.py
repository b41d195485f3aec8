"""10,000 due reminders through the outbox to a local SMTP sink: throughput and exactly-once.

    .venv/bin/python -m bench.reminders --database postgresql+psycopg://postgres@127.0.0.1/bench_reminders

The database is reset: the schema comes from the migrations, then 10,000 units, each with one
liaison and one stored obligation due in three days (rule G-A, stages 7/1/0 days), so the daily
generation owes each liaison exactly one reminder and one e-mail. The bench times the generation
job and the sending job (the same functions the scheduler runs, with the default batch size) against
an aiosmtpd server on 127.0.0.1, then runs both jobs again, which must add nothing. It checks that
the sink received exactly N messages with N distinct Message-IDs, each the one stored on its outbox
row, and exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select

from bench.common import DEFAULT_TODAY, make_app
from bench.generate import prepare_schema


class Sink:
    """An aiosmtpd handler that keeps each message's Message-ID and recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: list[str] = []
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        from email import message_from_bytes

        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.message_ids.append(message["Message-ID"])
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def load_fixture(count: int, today: date) -> None:
    """Write ``count`` units, liaisons and due obligations in bulk (Core executemany)."""
    from emergency.auth.models import User
    from emergency.auth.services import hash_password
    from emergency.compliance.models import Obligation, Rule
    from emergency.extensions import db
    from emergency.regions.models import Region
    from emergency.units.models import Unit

    now = datetime.now(UTC)
    rule = db.session.scalar(select(Rule).where(Rule.code == "G-A"))
    db.session.execute(insert(Region.__table__), [dict(id=1, code="23", name="黑龙江省",
                                                       level="province", parent_id=None, path="/23/")])
    db.session.execute(insert(Unit.__table__), [
        dict(id=i, name=f"基准测试企业{i}", kind="enterprise", region_id=1, identifier=None,
             risk_tags="", is_active=True, version=1, created_at=now, updated_at=now)
        for i in range(1, count + 1)])
    password = hash_password("bench-yingji-2026")
    db.session.execute(insert(User.__table__), [
        dict(id=i, username=f"liaison{i}", display_name=f"联络员{i}", email=f"liaison{i}@yjj.local",
             role="liaison", unit_id=i, password_hash=password, session_version=1, locale="zh",
             is_active=True, created_at=now, updated_at=now)
        for i in range(1, count + 1)])
    due = today + timedelta(days=3)
    db.session.execute(insert(Obligation.__table__), [
        dict(unit_id=i, plan_id=None, rule_id=rule.id, rule_code=rule.code, kind=rule.kind,
             status="due_soon", subject="演练发现问题整改", period=None, due_on=due, estimated=False,
             citation=rule.citation, evidence={"action_id": i}, as_of=today)
        for i in range(1, count + 1)])
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        for table in ("regions", "units", "users"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


def outbox_counts() -> Counter:
    from emergency.extensions import db
    from emergency.reminders.models import OutboxMessage

    return Counter(dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def run(url: str, count: int, port: int, today: date) -> dict:
    from aiosmtpd.controller import Controller
    from flask import g

    from emergency.extensions import db
    from emergency.reminders import jobs
    from emergency.reminders.models import Notification, OutboxMessage

    prepare_schema(url, reset=True)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    # 10:00 China time: after the default digest hour (8) and outside the quiet hours (22-8).
    now = datetime(today.year, today.month, today.day, 2, 0, tzinfo=UTC)
    app = make_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   REMINDER_BASE_URL="http://127.0.0.1:5000")
    figures: dict = {"count": count, "database": db_name(url)}
    try:
        with app.app_context():
            g.audit_actor = "bench"
            start = time.perf_counter()
            load_fixture(count, today)
            figures["fixture_s"] = time.perf_counter() - start

            start, cpu = time.perf_counter(), time.process_time()
            generated = jobs.generate_reminders(today, now, working_days_only=False)
            db.session.commit()
            figures["generate_s"] = time.perf_counter() - start
            figures["generate_cpu_s"] = time.process_time() - cpu
            figures["generated"] = generated

            start, calls, cpu = time.perf_counter(), 0, time.process_time()
            while True:
                result = jobs.send_outbox(now)
                db.session.commit()
                calls += 1
                if not result.get("sent") and not result.get("transient"):
                    break
            figures["send_s"] = time.perf_counter() - start
            # Includes the SMTP sink's thread, which runs in this process.
            figures["send_cpu_s"] = time.process_time() - cpu
            figures["send_calls"] = calls

            # Exactly once: both jobs again must add and send nothing.
            again = jobs.generate_reminders(today, now, working_days_only=False)
            resend = jobs.send_outbox(now)
            db.session.commit()
            figures["second_generate"], figures["second_send"] = again, resend
            figures["outbox"] = dict(outbox_counts())
            figures["notifications"] = db.session.scalar(select(func.count(Notification.id)))
            stored_ids = set(db.session.scalars(select(OutboxMessage.message_id).where(
                OutboxMessage.status == "sent")))
            db.session.remove()
            db.engine.dispose()
    finally:
        # The sink may still be reading the last QUIT; give it a moment before stopping.
        time.sleep(0.5)
        controller.stop()
    received = Counter(sink.message_ids)
    figures.update(
        delivered=len(sink.message_ids), distinct_message_ids=len(received),
        duplicates=sum(n - 1 for n in received.values() if n > 1),
        unknown_message_ids=len(set(received) - stored_ids),
        messages_per_s=len(sink.message_ids) / figures["send_s"] if figures["send_s"] else 0.0)
    figures["ok"] = (figures["delivered"] == count and figures["distinct_message_ids"] == count
                     and figures["duplicates"] == 0 and figures["unknown_message_ids"] == 0
                     and figures["outbox"].get("sent") == count
                     and not again.get("notifications") and not resend.get("sent"))
    return figures


def db_name(url: str) -> str:
    from bench.common import dialect_of

    return dialect_of(url)


def report(f: dict) -> None:
    print(f"reminders on {f['database']}: {f['count']:,} due reminders through the outbox")
    print(f"  fixture (units, liaisons, obligations)  {f['fixture_s']:7.1f} s")
    print(f"  generate (notifications + outbox)       {f['generate_s']:7.1f} s   "
          f"({f['generate_cpu_s']:.1f} s CPU)  {f['generated']}")
    print(f"  send (render + SMTP + record)           {f['send_s']:7.1f} s   "
          f"({f['send_cpu_s']:.1f} s CPU incl. the sink)  "
          f"{f['messages_per_s']:.0f} messages/s in {f['send_calls']} job runs")
    print(f"  generate + send                         {f['generate_s'] + f['send_s']:7.1f} s")
    print(f"  outbox: {f['outbox']}; notifications {f['notifications']:,}")
    print(f"  sink: delivered {f['delivered']:,}, distinct Message-IDs {f['distinct_message_ids']:,}, "
          f"duplicates {f['duplicates']}, not from the outbox {f['unknown_message_ids']}")
    print(f"  second run: generate {f['second_generate']}, send {f['second_send']}")
    print(f"  exactly once: {'OK' if f['ok'] else 'FAILED'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a database this bench may reset")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--today", default=DEFAULT_TODAY)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.database, args.count, args.port, date.fromisoformat(args.today))
    report(figures)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
