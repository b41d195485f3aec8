"""Reminder fixtures: a real SMTP server on 127.0.0.1 (aiosmtpd), rules, obligations, recipients.

The SMTP handler can be told to answer 4xx a number of times, to refuse with 5xx, or to hang;
tests read what it really received and parse it back.
"""

import asyncio
import email
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller

from emergency.auth.models import Role
from emergency.compliance.models import Obligation, Rule
from emergency.extensions import db
from emergency.units.models import UnitKind

TODAY = date(2026, 3, 2)  # a Monday and a working day
#: 09:00 in China on TODAY: after the default digest hour, outside the quiet hours.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Handler:
    """An SMTP handler that records messages and can be scripted to fail."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        #: Replies for the next DATA commands, used up one per message ("451 ..." or "550 ...").
        self.replies: list[str] = []
        #: Seconds to sit on each DATA before answering (a hung relay).
        self.hang = 0.0
        self.data_commands = 0

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.hang:
            await asyncio.sleep(self.hang)
            return "451 4.4.2 timed out"
        if self.replies:
            return self.replies.pop(0)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        """Return the received messages parsed with the modern policy (headers decoded)."""
        return [email.message_from_bytes(raw, policy=policy.default)
                for _from, _to, raw in self.received]

    def recipients(self) -> list[str]:
        return [to for _from, tos, _raw in self.received for to in tos]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An aiosmtpd Controller that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def reminder_config(app):
    """Fix today, switch quiet hours and live recomputation off, and send only to 127.0.0.1.

    Not autouse, so the pure tests (test_stages.py) need no app and no database; the fixtures
    below depend on it.
    """
    app.config.update(TODAY=TODAY.isoformat(), REMINDER_QUIET_HOURS="", LIVE_RECOMPUTE=False,
                      MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2,
                      MAIL_USE_TLS=False, MAIL_USERNAME=None,
                      REMINDER_BASE_URL="http://yjj.local:8080/app")
    return app


@pytest.fixture
def smtp(reminder_config):
    """Start a real SMTP server on 127.0.0.1 and point the app at it."""
    server = SmtpServer()
    server.start()
    reminder_config.config["MAIL_PORT"] = server.port
    yield server
    server.handler.hang = 0
    server.stop()


@pytest.fixture
def rules(reminder_config) -> dict[str, Rule]:
    """A filing rule (working-day stages) and a drill rule (calendar-day stages)."""
    filing = Rule(code="G-F", title="应急预案印发后20个工作日内备案", kind="file_plan",
                  citation="《突发事件应急预案管理办法》（国办发〔2024〕5号）第二十六条",
                  unit_kinds=[], tags_any=[], plan_categories=[], deadline_days=20, lead_days=10,
                  reminder_days=[10, 3, 0])
    drill = Rule(code="R12-D", title="生产经营单位每年至少组织一次演练", kind="drill_period",
                 citation="《生产安全事故应急预案管理办法》第三十三条第一款", unit_kinds=[],
                 tags_any=[], plan_categories=[], period="year", per_period=1, lead_days=30,
                 reminder_days=[30, 7, 1])
    db.session.add_all([filing, drill])
    db.session.commit()
    return {"filing": filing, "drill": drill}


@pytest.fixture
def make_obligation(app, rules):
    """Return a function storing an obligation as the compliance scan would."""

    def make(unit, *, rule="drill", due_on: date, subject="2026年度综合应急演练",
             status="due_soon", plan_id=None, period=None, **evidence) -> Obligation:
        r = rules[rule]
        row = Obligation(unit_id=unit.id, plan_id=plan_id, rule_id=r.id, rule_code=r.code,
                         kind=r.kind, status=status, subject=subject, period=period,
                         due_on=due_on, citation=r.citation, evidence=evidence, as_of=TODAY)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@dataclass
class World:
    unit: object
    other_unit: object
    far_unit: object
    liaison: object
    office: object


@pytest.fixture
def world(reminder_config, tree, make_unit, make_user) -> World:
    """Two enterprises in 爱辉区, one in 北安市; a liaison of the first; office staff of 爱辉区."""
    unit = make_unit(tree.town_a, name="黑河市花园化工有限公司", kind=UnitKind.ENTERPRISE)
    other = make_unit(tree.town_a, name="爱辉区第二热电厂", kind=UnitKind.ENTERPRISE)
    far = make_unit(tree.town_b, name="北安市赵光农场", kind=UnitKind.ENTERPRISE)
    liaison = make_user(Role.LIAISON, unit=unit, display_name="张三丰",
                        email="zhangsan@yjj.local")
    office = make_user(Role.OFFICE, region=tree.county_a, display_name="李四（爱辉区应急局）",
                       email="lisi@yjj.local")
    return World(unit, other, far, liaison, office)


def days(n: int) -> timedelta:
    return timedelta(days=n)
