"""ICS feeds (pitfalls T9.5): parsed back with icalendar, times in UTC, folding in octets, SEQUENCE,
cancelled drills, tokens (wrong, revoked, regenerated, deactivated owner), scoping, deadlines."""

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.support import Translations
from icalendar import Calendar
from sqlalchemy import select, update

from emergency.auth.models import Role
from emergency.compliance.models import Obligation, Rule
from emergency.compliance.seed import seed_rules
from emergency.compliance.services import load_calendar
from emergency.drills import ics, services
from emergency.drills.models import CalendarToken, Drill
from emergency.extensions import db
from emergency.plans.models import FilingState, Plan
from emergency.plans.services import PlanData, VersionData, create_plan
from emergency.units.models import RiskTag
from tests.factories import log_in

TODAY = "2025-06-16"
TODAY_DATE = date.fromisoformat(TODAY)
ZH = Translations.load(str(Path(__file__).resolve().parents[2] / "emergency" / "translations"),
                       ["zh"])
#: Commas, semicolons and a backslash must come back exactly: the library escapes them.
LONG_TITLE = ("兴安化工危险化学品储罐区泄漏、火灾爆炸；人员疏散\\综合应急演练"
              "（2025年度第二次，联合消防救援大队）")


@pytest.fixture(autouse=True)
def settings(app):
    app.config["TODAY"] = TODAY
    # Obligations are stored by hand here; the recompute on commit would replace them.
    app.config["LIVE_RECOMPUTE"] = False
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def world(tree, make_unit, make_user):
    unit_a1 = make_unit(tree.town_a, name="黑河市爱辉区兴安化工有限公司")
    unit_a2 = make_unit(tree.town_a, name="爱辉区花园热力有限公司")
    unit_b = make_unit(tree.town_b, name="北安市赵光建材有限公司")
    users = {
        "liaison_a1": make_user(Role.LIAISON, unit=unit_a1),
        "office_a": make_user(Role.OFFICE, region=tree.county_a),
        "office_b": make_user(Role.OFFICE, region=tree.county_b),
        "viewer_a": make_user(Role.VIEWER, region=tree.county_a),
    }
    drills = {
        "a1": plan(unit_a1, users["liaison_a1"], LONG_TITLE, "2025-07-10"),
        "a2": plan(unit_a2, users["office_a"], "供热管网抢修演练", "2025-08-01"),
        "b": plan(unit_b, users["office_b"], "粉尘爆炸应急演练", "2025-07-20"),
    }
    return {"units": {"a1": unit_a1, "a2": unit_a2, "b": unit_b}, "users": users, "drills": drills,
            "tree": tree}


def plan(unit, user, title, planned_on) -> Drill:
    drill = services.plan_drill(unit, services.DrillData(
        title=title, planned_on=date.fromisoformat(planned_on), form="live",
        scope="comprehensive", purpose="inspection"), user, TODAY_DATE)
    db.session.commit()
    return drill


def feed_path(user) -> str:
    secret = ics.issue_token(user)
    db.session.commit()
    return f"/calendar/{secret}.ics"


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response


def events_of(body: bytes) -> dict:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def drill_uid(drill) -> str:
    return f"drill-{drill.id}@yjj.local"


def test_feed_parses_back_with_uids_utc_times_timezone_and_chinese_text(client, world):
    body = fetch(client, feed_path(world["users"]["liaison_a1"])).data
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    expected_name = ZH.gettext("Emergency drills and deadlines: %(scope)s") % {
        "scope": "黑河市爱辉区兴安化工有限公司"}
    assert str(calendar["X-WR-CALNAME"]) == expected_name
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    events = calendar.walk("VEVENT")
    assert events
    for event in events:
        assert event.get("UID") and event.get("DTSTAMP"), event
    [event] = [e for e in events if str(e["UID"]) == drill_uid(world["drills"]["a1"])]
    # 09:00 in Shanghai on the planned day is 01:00 UTC.
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2025, 7, 10, 1, 0, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2025, 7, 10, 3, 0, tzinfo=UTC)
    assert b"DTSTART;TZID=Asia/Shanghai:20250710T090000" in body
    assert str(event["SUMMARY"]) == f"黑河市爱辉区兴安化工有限公司：{LONG_TITLE}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert event.get("LAST-MODIFIED")
    assert ZH.gettext("Drill form") in str(event["DESCRIPTION"])


def test_every_raw_line_is_at_most_75_octets(client, world):
    response = fetch(client, feed_path(world["users"]["office_a"]))
    body = response.data
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    # The long Chinese summary really was folded, and never inside a UTF-8 character.
    assert any(line.startswith(b" ") for line in lines)
    for line in lines:
        line.decode("utf-8")


def test_response_headers_etag_and_not_modified(client, world):
    path = feed_path(world["users"]["office_a"])
    response = fetch(client, path)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private"
    etag = response.headers["ETag"]
    assert etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert fetch(client, path).headers["ETag"] == etag  # nothing changed, same ETag


def test_cancelling_keeps_the_uid_marks_cancelled_and_raises_sequence(client, world):
    path = feed_path(world["users"]["office_a"])
    drill = world["drills"]["a2"]
    before = events_of(fetch(client, path).data)[drill_uid(drill)]
    etag = fetch(client, path).headers["ETag"]

    services.cancel(drill, "供热季提前，改期另行安排", world["users"]["office_a"])
    db.session.commit()
    response = fetch(client, path)
    after = events_of(response.data)[drill_uid(drill)]
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert response.headers["ETag"] != etag
    assert "供热季提前" in str(after["DESCRIPTION"])


def test_rescheduling_moves_the_event_and_raises_sequence(client, world):
    path = feed_path(world["users"]["liaison_a1"])
    drill = world["drills"]["a1"]
    before = events_of(fetch(client, path).data)[drill_uid(drill)]
    services.reschedule(drill, date(2025, 9, 3), "避开检修期", world["users"]["liaison_a1"],
                        TODAY_DATE)
    db.session.commit()
    after = events_of(fetch(client, path).data)[drill_uid(drill)]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART").astimezone(UTC) == datetime(2025, 9, 3, 1, 0, tzinfo=UTC)


def test_a_held_drill_is_shown_on_its_held_day_for_its_duration(client, world):
    path = feed_path(world["users"]["office_a"])
    drill = world["drills"]["a2"]
    services.record_held(drill, services.HeldData(held_on=date(2025, 6, 12), duration_minutes=90),
                         world["users"]["office_a"], TODAY_DATE)
    db.session.commit()
    event = events_of(fetch(client, path).data)[drill_uid(drill)]
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2025, 6, 12, 1, 0, tzinfo=UTC)
    assert event.decoded("DTEND").astimezone(UTC) == datetime(2025, 6, 12, 2, 30, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 1


def test_wrong_revoked_and_regenerated_tokens_are_404(client, world):
    user = world["users"]["office_a"]
    assert client.get("/calendar/cal_guessed-0000000000000000000000000000000000000.ics"
                      ).status_code == 404
    assert client.get("/calendar/.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 5000 + ".ics").status_code == 404

    old = feed_path(user)
    fetch(client, old)
    new = feed_path(user)  # regenerating replaces the old link
    assert client.get(old).status_code == 404
    fetch(client, new)
    ics.revoke_tokens(user)
    db.session.commit()
    assert client.get(new).status_code == 404


def test_a_deactivated_owner_gets_404(client, world):
    user = world["users"]["office_a"]
    path = feed_path(user)
    fetch(client, path)
    user.is_active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_only_the_hash_of_the_token_is_stored(client, world):
    user = world["users"]["liaison_a1"]
    path = feed_path(user)
    secret = path.removeprefix("/calendar/").removesuffix(".ics")
    [token] = db.session.scalars(select(CalendarToken)).all()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            assert secret not in repr(tuple(row)), table.name


def test_feeds_show_only_the_owners_scope(client, world):
    drills, users = world["drills"], world["users"]
    liaison = set(events_of(fetch(client, feed_path(users["liaison_a1"])).data))
    assert liaison == {drill_uid(drills["a1"])}
    for name in ("office_a", "viewer_a"):
        county_a = set(events_of(fetch(client, feed_path(users[name])).data))
        assert county_a == {drill_uid(drills["a1"]), drill_uid(drills["a2"])}
    county_b = set(events_of(fetch(client, feed_path(users["office_b"])).data))
    assert county_b == {drill_uid(drills["b"])}


def add_obligation(unit, rule, status, due_on, **fields) -> Obligation:
    obligation = Obligation(unit_id=unit.id, rule_id=rule.id, rule_code=rule.code, kind=rule.kind,
                            status=status, subject=fields.pop("subject", "2025年"),
                            due_on=date.fromisoformat(due_on) if due_on else None,
                            citation=rule.citation, evidence=fields.pop("evidence", {}),
                            as_of=TODAY_DATE, **fields)
    db.session.add(obligation)
    return obligation


def test_open_deadlines_appear_done_ones_do_not(client, world):
    units = world["units"]
    rule = Rule(code="R12-D", title="生产经营单位每年至少组织一次演练", kind="drill_period",
                citation="《生产安全事故应急预案管理办法》第三十三条")
    actions_rule = Rule(code="G-A", title="整改项应按期整改落实", kind="close_actions",
                        citation="《突发事件应急演练指南》第六条")
    db.session.add_all([rule, actions_rule])
    db.session.flush()
    add_obligation(units["a1"], rule, "overdue", "2025-03-31", period="2025-Q1", subject="2025-Q1")
    add_obligation(units["a1"], rule, "due_soon", "2025-06-30", period="2025-Q2", subject="2025-Q2")
    add_obligation(units["a1"], rule, "due_before_assessment", "2025-12-31", period="2025",
                   subject="2025年度演练")
    add_obligation(units["a1"], rule, "done", "2024-12-31", period="2024", subject="已完成的2024")
    add_obligation(units["a1"], rule, "not_applicable", "2025-08-31", period="2025-08",
                   subject="暑假")
    add_obligation(units["a1"], rule, "missing", None, subject="没有预案")
    # Two corrective actions due the same day stay two events.
    add_obligation(units["a1"], actions_rule, "due_soon", "2025-07-01", subject="补充消防器材",
                   evidence={"action_id": 7})
    add_obligation(units["a1"], actions_rule, "due_soon", "2025-07-01", subject="修订疏散路线",
                   evidence={"action_id": 8})
    add_obligation(units["b"], rule, "overdue", "2025-03-31", period="2025-Q1")
    db.session.commit()

    body = fetch(client, feed_path(world["users"]["office_a"])).data
    events = events_of(body)
    unit_id = units["a1"].id
    deadlines = {uid: event for uid, event in events.items() if uid.startswith("obligation-")}
    assert set(deadlines) == {
        f"obligation-{unit_id}-R12-D-0-2025-Q1@yjj.local",
        f"obligation-{unit_id}-R12-D-0-2025-Q2@yjj.local",
        f"obligation-{unit_id}-R12-D-0-2025@yjj.local",
        f"obligation-{unit_id}-G-A-0-2025-07-01-a7@yjj.local",
        f"obligation-{unit_id}-G-A-0-2025-07-01-a8@yjj.local",
    }
    q2 = deadlines[f"obligation-{unit_id}-R12-D-0-2025-Q2@yjj.local"]
    assert q2.decoded("DTSTART") == date(2025, 6, 30)
    assert q2.decoded("DTEND") == date(2025, 7, 1)
    assert b"DTSTART;VALUE=DATE:20250630" in body
    assert str(q2["SUMMARY"]).startswith("黑河市爱辉区兴安化工有限公司：")
    assert "2025-Q2" in str(q2["SUMMARY"])
    assert "第三十三条" in str(q2["DESCRIPTION"])
    assert str(q2["TRANSP"]) == "TRANSPARENT"

    # A rescan stores new rows with new ids: the UIDs stay the same.
    db.session.execute(update(Obligation).values(id=Obligation.id + 1000))
    db.session.commit()
    assert set(events_of(fetch(client, feed_path(world["users"]["office_a"])).data)) == set(events)
    # The liaison of the other unit in county A and the other county see none of these.
    office_b = events_of(fetch(client, feed_path(world["users"]["office_b"])).data)
    assert [uid for uid in office_b if uid.startswith("obligation-")] == [
        f"obligation-{units['b'].id}-R12-D-0-2025-Q1@yjj.local"]


def test_unsubmitted_filing_deadlines_appear_once_and_leave_when_submitted(client, world):
    unit, liaison = world["units"]["a1"], world["users"]["liaison_a1"]
    plan_ = create_plan(unit, PlanData(title="危险化学品泄漏专项应急预案", category="special",
                                       hazard_class="accident"),
                        VersionData(issued_on=date(2025, 6, 3), signer_role="principal"),
                        liaison, TODAY_DATE, load_calendar())
    db.session.commit()
    version = plan_.current_version
    path = feed_path(liaison)
    uid = f"filing-{version.id}-2025-07-01@yjj.local"
    event = events_of(fetch(client, path).data)[uid]
    assert event.decoded("DTSTART") == date(2025, 7, 1)
    assert "危险化学品泄漏专项应急预案" in str(event["SUMMARY"])

    # When the scan stored the same deadline as an open obligation, it is shown once.
    rule = Rule(code="G-F", title="应急预案印发后20个工作日内备案", kind="file_plan",
                citation="《突发事件应急预案管理办法》第二十六条")
    db.session.add(rule)
    db.session.flush()
    add_obligation(unit, rule, "due_soon", "2025-07-01", plan_id=plan_.id,
                   subject=plan_.title)
    db.session.commit()
    uids = set(events_of(fetch(client, path).data))
    assert uid not in uids
    assert f"obligation-{unit.id}-G-F-{plan_.id}-2025-07-01@yjj.local" in uids

    db.session.execute(update(Obligation).values(status="done"))
    version.filing_state = FilingState.SUBMITTED
    db.session.commit()
    uids = set(events_of(fetch(client, path).data))
    assert not [u for u in uids if u.startswith(("filing-", "obligation-"))]


def test_real_scan_deadlines_reach_the_feed(app, client, world):
    """With the seeded rules and the recompute on commit, a new plan's filing deadline shows."""
    app.config["LIVE_RECOMPUTE"] = True
    seed_rules()
    db.session.commit()
    unit, liaison = world["units"]["a1"], world["users"]["liaison_a1"]
    unit.risk_tags = {RiskTag.HAZARDOUS_CHEMICALS}  # R12-F: high-risk enterprises file in 20 days
    db.session.commit()
    create_plan(unit, PlanData(title="兴安化工综合应急预案", category="overall",
                               hazard_class="comprehensive"),
                VersionData(issued_on=date(2025, 6, 3), signer_role="principal"),
                liaison, TODAY_DATE, load_calendar())
    db.session.commit()
    stored = db.session.scalars(select(Obligation).where(
        Obligation.unit_id == unit.id, Obligation.kind == "file_plan")).all()
    assert [(o.status, o.due_on) for o in stored] == [("due_before_assessment", date(2025, 7, 1))]
    events = events_of(fetch(client, feed_path(liaison)).data)
    filing = [uid for uid, event in events.items()
              if "兴安化工综合应急预案" in str(event["SUMMARY"])
              and event.decoded("DTSTART") == date(2025, 7, 1)]
    assert filing == [f"obligation-{unit.id}-{stored[0].rule_code}-{stored[0].plan_id}-2025-07-01"
                      "@yjj.local"]


def test_account_page_creates_shows_once_regenerates_and_revokes_the_link(client, world):
    user = world["users"]["liaison_a1"]
    log_in(client, user)
    page = client.get("/account")
    assert page.status_code == 200
    assert 'action="/calendar/token"' in page.text
    assert "calendar-feed-url" not in page.text

    created = client.post("/calendar/token")
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    [url] = re.findall(r'id="calendar-feed-url">(http://[^<]+\.ics)<', created.text)
    path = url.removeprefix("http://localhost")
    assert fetch(client, path).data.startswith(b"BEGIN:VCALENDAR")
    # Shown once: the account page never shows it again, only that a link is active.
    page = client.get("/account")
    assert path not in page.text and "calendar-feed-url" not in page.text
    assert 'action="/calendar/token/revoke"' in page.text

    regenerated = client.post("/calendar/token")
    [new_url] = re.findall(r'id="calendar-feed-url">(http://[^<]+\.ics)<', regenerated.text)
    new_path = new_url.removeprefix("http://localhost")
    assert new_path != path
    assert client.get(path).status_code == 404
    fetch(client, new_path)

    revoked = client.post("/calendar/token/revoke")
    assert revoked.status_code == 302 and revoked.headers["Location"] == "/account"
    assert client.get(new_path).status_code == 404
    page = client.get("/account")
    assert 'action="/calendar/token/revoke"' not in page.text


def test_token_routes_need_a_login(client, world):
    assert client.post("/calendar/token").status_code == 302
    assert client.post("/calendar/token/revoke").status_code == 302
    assert db.session.scalars(select(CalendarToken)).all() == []
