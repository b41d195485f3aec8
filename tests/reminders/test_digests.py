"""Digests as received over SMTP: grouping by unit, the office's weekly digest, scope at sending."""

import re
from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_file
from sqlalchemy import select

from emergency.auth.models import Role
from emergency.extensions import db
from emergency.plans.models import Plan, PlanVersion
from emergency.reminders import jobs
from emergency.reminders.models import MailStatus, OutboxMessage
from tests.reminders.conftest import NOW, TODAY, days

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"


def english(*users) -> None:
    """Read the mails in English: these tests check wording, and zh wording lives in the catalog."""
    for user in users:
        user.locale = "en"
    db.session.commit()


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_several_items_for_one_person_arrive_as_one_digest(smtp, world, make_obligation):
    english(world.liaison)
    make_obligation(world.unit, due_on=TODAY + days(7), subject="年度综合演练", period="2026")
    make_obligation(world.unit, due_on=TODAY + days(1), subject="危化品专项演练", period="2026-H1")
    make_obligation(world.unit, rule="filing", due_on=TODAY, subject="危化品泄漏专项应急预案")
    jobs.generate_reminders(TODAY, NOW)
    db.session.commit()
    assert jobs.send_outbox(NOW) == {"sent": 1}
    [message] = smtp.handler.messages()
    assert message["Subject"] == "[Reminder] 3 items need your attention"
    text = plain(message)
    assert text.count("黑河市花园化工有限公司") == 1  # one heading for the unit
    # Most urgent first, each with its due date, what to do, citation and link.
    assert text.index("危化品泄漏专项应急预案") < text.index("危化品专项演练") < text.index("年度综合演练")
    assert "File the plan: 危化品泄漏专项应急预案" in text and "due today" in text
    assert "due in 7 days" in text and "《突发事件应急预案管理办法》" in text
    assert len(re.findall(r"http://yjj\.local:8080/app/compliance/units/\d+", text)) == 3
    assert html(message).count("<h2") == 1


def test_an_escalation_digest_groups_items_by_unit(app, smtp, world, make_obligation):
    app.config["REMINDER_ESCALATION_DAYS"] = 7
    english(world.office)
    make_obligation(world.unit, due_on=TODAY - days(10), status="overdue", subject="甲")
    make_obligation(world.other_unit, due_on=TODAY - days(20), status="overdue", subject="乙")
    make_obligation(world.unit, due_on=TODAY - days(8), status="overdue", subject="丙", period="x")
    make_obligation(world.far_unit, due_on=TODAY - days(30), status="overdue", subject="丁")
    jobs.generate_reminders(TODAY, NOW)
    db.session.commit()
    jobs.send_outbox(NOW)
    office_mail = [m for m in smtp.handler.messages() if "lisi@yjj.local" in m["To"]]
    [message] = office_mail
    assert message["Subject"] == "[Escalation] 3 items overdue for 7 days or more"
    text = plain(message)
    assert "丁" not in text and "北安市赵光农场" not in text  # outside 爱辉区
    assert text.index("爱辉区第二热电厂") < text.index("黑河市花园化工有限公司")
    assert text.index("甲") < text.index("丙")
    assert "overdue for 20 days" in text and "Escalations cannot be switched off" in text
    assert html(message).count("<h2") == 2


def test_long_digests_list_the_first_items_and_count_the_rest(app, smtp, world, make_obligation):
    app.config["REMINDER_MAIL_ITEMS"] = 2
    english(world.liaison)
    for n in range(3):
        make_obligation(world.unit, due_on=TODAY + days(7), subject=f"演练{n}", period=f"p{n}")
    jobs.generate_reminders(TODAY, NOW)
    db.session.commit()
    jobs.send_outbox(NOW)
    [message] = smtp.handler.messages()
    assert "And 1 more in your inbox." in plain(message)


def _submitted_plan(unit, title: str, review_due_on: date) -> Plan:
    plan = Plan(unit_id=unit.id, title=title, category="special", hazard_class="natural")
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanVersion(plan_id=plan.id, unit_id=unit.id, number=1,
                               issued_on=TODAY - days(30), signer_role="principal",
                               filing_state="submitted",
                               submitted_on=TODAY - days(3), review_due_on=review_due_on))
    db.session.commit()
    return plan


def test_the_weekly_office_digest_reports_its_region(smtp, world, tree, make_user,
                                                     make_obligation):
    other_office = make_user(Role.OFFICE, region=tree.county_b, email="beian@yjj.local")
    english(world.office, other_office)
    make_obligation(world.unit, due_on=TODAY - days(3), status="overdue", subject="上周到期的演练")
    make_obligation(world.unit, due_on=TODAY - days(30), status="overdue", subject="早已逾期",
                    period="old")
    make_obligation(world.other_unit, due_on=date(2026, 9, 30), status="due_before_assessment",
                    subject="年度评估")
    _submitted_plan(world.unit, "花园化工防汛专项应急预案", TODAY + days(2))
    _submitted_plan(world.far_unit, "赵光农场火灾专项应急预案", TODAY + days(2))
    result = jobs.office_digest(TODAY, NOW)
    db.session.commit()
    assert result["weekly"] == 2
    assert jobs.office_digest(TODAY + days(3), NOW)["notifications"] == 0  # once per week
    jobs.send_outbox(NOW)
    mails = {m["To"].addresses[0].addr_spec: m for m in smtp.handler.messages()}
    assert set(mails) == {"lisi@yjj.local", "beian@yjj.local"}
    mine = mails["lisi@yjj.local"]
    assert mine["Subject"] == "[Weekly digest] 爱辉区, week 2026-W10"
    text = plain(mine)
    assert "New overdue items: 1" in text and "上周到期的演练" in text and "早已逾期" not in text
    assert "Due before the assessment (Dec 31, 2026): 1" in text and "年度评估" in text
    assert "Filings waiting for review: 1" in text and "花园化工防汛专项应急预案" in text
    assert "赵光农场" not in text
    assert "赵光农场火灾专项应急预案" in plain(mails["beian@yjj.local"])
    assert other_office.id != world.office.id


def test_an_office_user_moved_to_another_region_gets_no_stale_weekly_digest(
        smtp, world, tree, make_obligation):
    make_obligation(world.unit, due_on=TODAY - days(3), status="overdue")
    jobs.office_digest(TODAY, NOW)
    db.session.commit()
    world.office.region_id = tree.county_b.id
    db.session.commit()
    jobs.send_outbox(NOW)
    assert smtp.handler.received == []
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == MailStatus.CANCELLED


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {msg[1] if isinstance(msg[1], str) else msg[1][0]
                for msg in extract_from_file("jinja2", str(path)) if msg}


def test_text_mails_use_only_strings_their_html_twin_has():
    # babel.cfg extracts templates/**.html; the .txt twins reuse exactly those msgids, so the
    # catalogs cover them too.
    for text_template in TEMPLATES.glob("*.txt"):
        html_template = text_template.with_suffix(".html")
        assert _msgids(text_template) <= _msgids(html_template), text_template.name
        assert _msgids(text_template)
