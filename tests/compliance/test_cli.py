"""`flask compliance scan`: the documented JSON, the Chinese table, regions, and bad input."""

import json
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from emergency.compliance import queries
from emergency.compliance.models import Rule
from emergency.extensions import db
from emergency.plans.models import FilingEvent, FilingState, PlanVersion
from emergency.units.models import Unit
from tests.compliance.conftest import TODAY_DATE, add_plan, key, stored, stored_count

STATUSES = ["overdue", "missing", "due_soon", "due_before_assessment", "done", "not_applicable"]
ITEM_KEYS = {"unit_id", "unit_name", "unit_code", "region_code", "rule_code", "obligation",
             "subject", "due_on", "status", "citation"}


def run(runner, *args):
    result = runner.invoke(args=["compliance", "scan", *args])
    db.session.expire_all()
    return result


def scan_json(runner, *args) -> dict:
    result = run(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_exactly_the_documented_shape(world, runner):
    data = scan_json(runner, "--as-of", "2026-11-20")
    assert set(data) == {"as_of", "assessment_date", "summary", "items"}
    assert (data["as_of"], data["assessment_date"]) == ("2026-11-20", "2026-12-31")
    assert list(data["summary"]) == STATUSES
    assert data["summary"] == {"overdue": 11, "missing": 2, "due_soon": 1,
                               "due_before_assessment": 7, "done": 9, "not_applicable": 2}
    items = data["items"]
    assert len(items) == sum(data["summary"].values())
    assert Counter(i["status"] for i in items) == {k: v for k, v in data["summary"].items() if v}
    for item in items:
        assert set(item) == ITEM_KEYS
        assert item["status"] in STATUSES

    # Sorted by due date; obligations without one ("have a plan") come last.
    dues = [i["due_on"] for i in items]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated)
    assert dues == dated + [None] * (len(dues) - len(dated))

    units = {i["unit_id"]: i for i in items}
    school = units[world.school.id]
    assert (school["unit_name"], school["unit_code"], school["region_code"]) == (
        "花园小学", "2123000001", "231102001")
    village = [i for i in items if i["unit_id"] == world.village.id and i["rule_code"] == "G-F"]
    assert village == [{
        "unit_id": world.village.id, "unit_name": "花园社区居委会", "unit_code": None,
        "region_code": "231102001001", "rule_code": "G-F", "obligation": "file_plan",
        "subject": "花园社区简明应急预案", "due_on": "2026-08-31", "status": "overdue",
        "citation": "《突发事件应急预案管理办法》（国办发〔2024〕5号） 第二十六条"}]
    mine = [i for i in items if i["unit_id"] == world.b_mine.id and i["rule_code"] == "R12-P"]
    assert [(i["status"], i["due_on"], i["obligation"], i["unit_code"]) for i in mine] == [
        ("missing", None, "have_plan", world.b_mine.identifier)]


def test_the_scan_stores_what_it_prints_and_what_the_panels_show(world, runner):
    data = scan_json(runner, "--as-of", "2026-11-20")
    rows = stored()
    assert len(rows) == len(data["items"])
    assert {row.as_of for row in rows} == {TODAY_DATE}
    printed = Counter((i["unit_id"], i["rule_code"], i["subject"], i["due_on"], i["status"],
                       i["citation"]) for i in data["items"])
    assert printed == Counter((r.unit_id, r.rule_code, r.subject,
                               r.due_on.isoformat() if r.due_on else None, r.status, r.citation)
                              for r in rows)
    panels = Counter()
    for unit in db.session.scalars(select(Unit)):
        panels.update(key(o) for o in queries.unit_obligations(unit, TODAY_DATE)[1])
    assert Counter(key(r) for r in rows) == panels


def test_every_status_is_in_the_summary_even_when_zero(world, runner):
    data = scan_json(runner, "--as-of", "2026-11-20", "--region", "231181")
    assert list(data["summary"]) == STATUSES
    assert data["summary"] == {"overdue": 1, "missing": 1, "due_soon": 0,
                               "due_before_assessment": 2, "done": 0, "not_applicable": 0}


def test_region_limits_the_scan_to_the_subtree(world, runner):
    scan_json(runner, "--as-of", "2026-11-20")
    county_a_rows = Counter(key(r) for r in stored() if r.unit_id != world.b_mine.id)

    data = scan_json(runner, "--as-of", "2026-11-20", "--region", "231181")
    assert {i["unit_id"] for i in data["items"]} == {world.b_mine.id}
    assert {i["region_code"] for i in data["items"]} == {"231181100"}
    assert {r.as_of for r in stored(world.b_mine.id)} == {date(2026, 11, 20)}
    # County A keeps the rows of the first scan.
    assert Counter(key(r) for r in stored() if r.unit_id != world.b_mine.id) == county_a_rows

    village = scan_json(runner, "--as-of", "2026-11-20", "--region", " 231102001001 ")
    assert {i["unit_name"] for i in village["items"]} == {"花园社区居委会"}


def test_a_scan_for_another_day_is_printed_but_not_stored(world, runner):
    scan_json(runner, "--as-of", "2026-11-20")
    before = Counter(key(r) for r in stored())
    data = scan_json(runner, "--as-of", "2026-12-15")
    assert data["as_of"] == "2026-12-15" and data["items"]
    assert Counter(key(r) for r in stored()) == before
    assert {r.as_of for r in stored()} == {date(2026, 11, 20)}


def test_table_output_is_in_chinese_by_default(world, runner, monkeypatch):
    monkeypatch.delenv("EMERGENCY_LOCALE", raising=False)
    result = run(runner, "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "截至 2026-11-20 的合规情况（考核日期 2026-12-31），共 5 个单位"
    assert lines[1:7] == ["  已逾期: 11", "  缺失: 2", "  即将到期: 1", "  考核前到期: 7",
                          "  已完成: 9", "  不适用: 2"]
    body = lines[7:]
    # Only what needs attention, by due date.
    assert len(body) == 11 + 2 + 1 + 7
    assert body[0].startswith("2026-01-31  已逾期  R8-D    花园小学 · 2026-01")
    assert "2026-08-31  已逾期  G-F     花园社区居委会 · 花园社区简明应急预案" in body
    assert any(line.startswith("—") and "缺失" in line and "花园街道办事处" in line for line in body)
    assert not any("已完成" in line or "不适用" in line for line in body)
    assert stored_count() == 21 + 11


def test_table_output_in_english_when_asked(world, runner, monkeypatch):
    monkeypatch.setenv("EMERGENCY_LOCALE", "en")
    result = run(runner, "--as-of", "2026-11-20", "--region", "231181")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Compliance as of 2026-11-20 (assessment date 2026-12-31), 1 units")


@pytest.mark.parametrize("args", [
    ["--as-of", "2026-11-20", "--region", "999999"],
    ["--as-of", "2026-11-20", "--region", "23110"],
    ["--as-of", "2026-13-01"],
    ["--as-of", "garbage"],
    ["--as-of", "2026-02-30", "--json"],
    ["--as-of", "", "--region", "nope"],
])
def test_bad_input_exits_non_zero_and_writes_nothing(world, runner, args):
    # A submission whose review period is long over: a real scan would deem it filed.
    version = world.chemical_plan.current_version
    before = stored_count()
    result = run(runner, *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.strip()
    assert ("Unknown region code" in result.stderr) or ("Not a date" in result.stderr)
    db.session.rollback()
    assert stored_count() == before
    assert db.session.get(PlanVersion, version.id).filing_state == FilingState.FILED


def test_unknown_region_names_the_code(world, runner):
    result = run(runner, "--region", "999999")
    assert result.exit_code == 2
    assert "999999" in result.stderr


def test_a_scan_for_a_future_date_does_not_deem_todays_submissions_filed(world, runner, app):
    # County B's mine submitted on 2026-11-18; the office has 5 working days (until 11-25).
    plan = add_plan(world.b_mine, world.office_b, "北安煤矿综合应急预案", "overall", "2026-11-02",
                    FilingState.SUBMITTED, "2026-11-18")
    version = plan.current_version
    version.review_due_on = date(2026, 11, 25)
    db.session.commit()

    data = scan_json(runner, "--as-of", "2026-12-15", "--region", "231181")
    filing = [i for i in data["items"] if i["rule_code"] == "R12-F"]
    assert [i["status"] for i in filing] == ["done"]
    # Asking about December must not file the plan today, with a filing number and a date to come.
    version = db.session.get(PlanVersion, version.id)
    assert version.filing_state == FilingState.SUBMITTED
    assert (version.filed_on, version.filing_number) == (None, None)
    assert db.session.scalar(select(func.count()).select_from(FilingEvent)) == 0

    # Today's scan does nothing yet; the first scan after the review day does it.
    scan_json(runner, "--as-of", "2026-11-20")
    assert db.session.get(PlanVersion, version.id).filing_state == FilingState.SUBMITTED
    app.config["TODAY"] = "2026-11-26"
    scan_json(runner)
    version = db.session.get(PlanVersion, version.id)
    assert (version.filing_state, version.filed_on) == (
        FilingState.DEEMED_FILED, date(2026, 11, 25))


def test_no_store_computes_without_writing(world, runner):
    scan_json(runner, "--as-of", "2026-11-20")
    before = Counter(key(r) for r in stored())
    data = scan_json(runner, "--as-of", "2027-03-01", "--no-store")
    assert data["as_of"] == "2027-03-01"
    assert Counter(key(r) for r in stored()) == before


def test_a_deactivated_rule_is_gone_from_the_next_scan(world, runner):
    before = scan_json(runner, "--as-of", "2026-11-20")
    assert any(i["rule_code"] == "R8-D" for i in before["items"])
    rule = db.session.scalar(select(Rule).where(Rule.code == "R8-D"))
    rule.is_active = False
    db.session.commit()
    after = scan_json(runner, "--as-of", "2026-11-20")
    assert not any(i["rule_code"] == "R8-D" for i in after["items"])
    assert after["summary"]["not_applicable"] == 0
    assert len(after["items"]) == len(before["items"]) - 12
