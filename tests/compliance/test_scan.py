"""The stored scan: statuses per design §3, replacing rows, region subtrees, rule edits, and the
recompute-on-commit listener, all checked against what the unit panels compute."""

from collections import Counter
from datetime import date

from sqlalchemy import select

from emergency.auth.models import Role
from emergency.compliance import queries
from emergency.compliance.facts import STATUS_URGENCY
from emergency.compliance.models import Rule
from emergency.compliance.scan import scan
from emergency.compliance.services import load_calendar
from emergency.extensions import db
from emergency.plans.services import VersionData, add_version
from emergency.units.models import Unit
from tests.compliance.conftest import (
    TODAY_DATE,
    by_rule,
    current_version,
    key,
    plan_id_of,
    register_plan,
    stored,
    stored_count,
    upload,
)
from tests.factories import log_in

SCHOOL_TERM_MONTHS = ["2026-01", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-09",
                      "2026-10"]
GUIDE = "《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）"


def all_units():
    return db.session.scalars(select(Unit).order_by(Unit.id)).all()


def panel_keys(as_of: date) -> Counter:
    """Every unit's obligations as its panel computes them (queries.unit_obligations)."""
    found = Counter()
    for unit in all_units():
        _result, obligations = queries.unit_obligations(unit, as_of)
        found.update(key(o) for o in obligations)
    return found


def test_scan_stores_the_statuses_of_design_section_3(world):
    result = scan(TODAY_DATE)
    db.session.commit()

    assert result.units == 5
    assert result.assessment_date == date(2026, 12, 31)
    rows = stored()
    assert len(rows) == sum(result.summary.values()) == 32
    assert {row.as_of for row in rows} == {TODAY_DATE}
    assert Counter(row.status for row in rows) == {
        "overdue": 11, "missing": 2, "due_soon": 1, "due_before_assessment": 7, "done": 9,
        "not_applicable": 2}
    rules = {rule.id: rule for rule in db.session.scalars(select(Rule))}
    for row in rows:
        assert row.citation == rules[row.rule_id].citation
        assert row.rule_code == rules[row.rule_id].code

    # No plan at all: the town and county B's coal mine are "missing" their overall plan.
    town = by_rule(stored(world.town.id))
    assert town[("R6-P", "overall")] == "missing"
    assert by_rule(stored(world.b_mine.id))[("R12-P", "overall")] == "missing"
    [have] = [row for row in stored(world.town.id) if row.rule_code == "R6-P"]
    assert (have.evidence, have.due_on) == ({"categories": ["overall"], "plan_ids": []}, None)

    # The school has its plan but no drill: every past term month is overdue, nothing is owed in
    # February (winter vacation) or August (summer vacation), November is due soon (lead 10 days)
    # and December will be overdue at the assessment unless a drill is held.
    school = {row.period: row for row in stored(world.school.id) if row.rule_code == "R8-D"}
    assert sorted(school) == [f"2026-{m:02d}" for m in range(1, 13)]
    for month in SCHOOL_TERM_MONTHS:
        assert school[month].status == "overdue", month
        assert school[month].evidence["held"] == 0
    for month in ("2026-02", "2026-08"):
        assert school[month].status == "not_applicable"
        assert school[month].evidence["required"] == 0
        assert school[month].evidence["reason"] == "school_vacation"
    assert school["2026-08"].due_on == date(2026, 8, 31)
    assert (school["2026-11"].status, school["2026-11"].due_on) == ("due_soon", date(2026, 11, 30))
    assert school["2026-12"].status == "due_before_assessment"
    assert school["2026-01"].citation == GUIDE
    school_rest = by_rule(stored(world.school.id))
    assert school_rest[("R8-P", "overall")] == "done"
    assert school_rest[("G-F", "花园小学综合应急预案")] == "done"

    # The village's draft was issued 2026-08-03: 20 working days later (2026-08-31) it was due.
    filing = [row for row in stored(world.village.id) if row.rule_code == "G-F"]
    assert len(filing) == 1
    assert (filing[0].status, filing[0].due_on, filing[0].plan_id) == (
        "overdue", date(2026, 8, 31), world.village_plan.id)
    assert filing[0].evidence["filing_state"] == "draft"
    assert filing[0].evidence["submitted_on"] is None
    assert by_rule(stored(world.village.id))[("R7-P", "overall, village_brief")] == "done"

    # The chemical plant filed on time (due 2026-09-29, submitted 09-10).
    chem = {row.rule_code: row for row in stored(world.chemical.id) if row.plan_id}
    assert (chem["R12-F"].status, chem["R12-F"].due_on) == ("done", date(2026, 9, 29))
    assert chem["R12-F"].evidence["on_time"] is True
    assert chem["R12-E"].due_on == date(2029, 9, 1)


def test_rerunning_the_scan_replaces_rows_instead_of_adding(world):
    scan(TODAY_DATE)
    db.session.commit()
    first = Counter(key(row) for row in stored())
    scan(TODAY_DATE)
    scan(TODAY_DATE)
    db.session.commit()
    again = Counter(key(row) for row in stored())
    assert again == first
    assert max(again.values()) == 1, "an obligation was stored twice"

    # A later date replaces every row with that date's answer.
    scan(date(2026, 12, 10))
    db.session.commit()
    rows = stored()
    assert {row.as_of for row in rows} == {date(2026, 12, 10)}
    assert len(rows) == len(first)
    assert by_rule(stored(world.school.id))[("R8-D", "2026-11")] == "overdue"


def test_region_scan_only_touches_the_subtree(world):
    scan(TODAY_DATE)
    db.session.commit()
    county_a_before = Counter(key(row) for row in stored() if row.unit_id != world.b_mine.id)

    result = scan(date(2026, 12, 10), region=world.tree.county_b)
    db.session.commit()

    assert result.units == 1
    b_rows = stored(world.b_mine.id)
    assert {row.as_of for row in b_rows} == {date(2026, 12, 10)}
    others = [row for row in stored() if row.unit_id != world.b_mine.id]
    assert {row.as_of for row in others} == {TODAY_DATE}
    assert Counter(key(row) for row in others) == county_a_before

    # A town's subtree holds the units of the town and of its village, nothing else.
    kept = scan(TODAY_DATE, region=world.tree.town_a, persist=False, keep=True)
    assert {o.unit_id for o in kept.obligations} == {
        world.school.id, world.chemical.id, world.town.id, world.village.id}
    village_only = scan(TODAY_DATE, region=world.tree.village_a, persist=False, keep=True)
    assert {o.unit_id for o in village_only.obligations} == {world.village.id}


def test_stored_obligations_equal_the_unit_panels(world):
    for day in (TODAY_DATE, date(2026, 8, 15), date(2026, 2, 1), date(2027, 3, 1)):
        scan(day)
        db.session.commit()
        assert Counter(key(row) for row in stored()) == panel_keys(day), day
        # Evidence too: the panel shows the same facts the stored row was computed from.
        for unit in all_units():
            _result, live = queries.unit_obligations(unit, day)
            rows = {(r.rule_code, r.period, r.plan_id, r.subject): r.evidence
                    for r in stored(unit.id)}
            assert {(o.rule_code, o.period, o.plan_id, o.subject): o.evidence for o in live} == rows


def test_editing_a_rule_changes_the_next_scan_not_the_stored_rows(world):
    scan(TODAY_DATE)
    db.session.commit()
    school_before = Counter(key(row) for row in stored(world.school.id))
    assert any(row.rule_code == "R8-D" for row in stored(world.school.id))

    rule = db.session.scalar(select(Rule).where(Rule.code == "R8-D"))
    rule.is_active = False
    db.session.commit()

    # Until the next scan the stored rows are those of the last scan.
    db.session.expire_all()
    assert Counter(key(row) for row in stored(world.school.id)) == school_before

    scan(TODAY_DATE)
    db.session.commit()
    codes = {row.rule_code for row in stored(world.school.id)}
    assert "R8-D" not in codes
    assert codes == {"G-F", "R8-E", "R8-P"}
    assert Counter(key(row) for row in stored()) == panel_keys(TODAY_DATE)


def test_registering_and_filing_through_the_web_updates_stored_obligations(world, client,
                                                                            make_user):
    scan(TODAY_DATE)
    db.session.commit()
    assert by_rule(stored(world.town.id)) == {("R6-P", "overall"): "missing",
                                              ("R6-D2", "2026"): "due_before_assessment"}
    others_before = Counter(key(row) for row in stored() if row.unit_id != world.town.id)

    liaison = make_user(Role.LIAISON, unit=world.town, display_name="花园街道联络员")
    log_in(client, liaison)
    response = register_plan(client, world.town, title="花园街道突发事件总体应急预案",
                             category="overall", issued_on="2026-11-02")
    plan_id = plan_id_of(response)

    # The commit that registered the plan also recomputed the town's stored obligations.
    db.session.expire_all()
    town = by_rule(stored(world.town.id))
    assert town[("R6-P", "overall")] == "done"
    # 20 working days after Mon 2026-11-02 is Mon 11-30: ten days away, inside G-F's lead window.
    filing = [row for row in stored(world.town.id) if row.rule_code == "G-F"]
    assert [(row.status, row.due_on, row.plan_id) for row in filing] == [
        ("due_soon", date(2026, 11, 30), plan_id)]
    assert town[("R6-E", "花园街道突发事件总体应急预案")] == "done"
    assert Counter(key(row) for row in stored(world.town.id)) == Counter(
        key(o) for o in queries.unit_obligations(world.town, TODAY_DATE)[1])

    version_id = current_version(plan_id).id
    for doc_type in ("issued_text", "drafting_notes"):
        assert upload(client, version_id, doc_type).status_code == 302
    assert client.post(f"/plans/versions/{version_id}/submit").status_code == 302
    db.session.expire_all()
    filing = [row for row in stored(world.town.id) if row.rule_code == "G-F"]
    assert [(row.status, row.evidence["submitted_on"]) for row in filing] == [
        ("done", "2026-11-20")]

    # The office files it: still done, and the evidence now carries the filing date.
    log_in(client, world.office_a)
    assert client.post(f"/plans/versions/{version_id}/file").status_code == 302
    db.session.expire_all()
    filing = [row for row in stored(world.town.id) if row.rule_code == "G-F"]
    assert [(row.status, row.evidence["filed_on"]) for row in filing] == [("done", "2026-11-20")]
    assert max(Counter(key(row) for row in stored()).values()) == 1

    # Nobody else's stored obligations were touched.
    assert Counter(key(row) for row in stored() if row.unit_id != world.town.id) == others_before


def test_deactivating_a_unit_drops_its_stored_obligations_at_commit(world):
    scan(TODAY_DATE)
    db.session.commit()
    assert stored(world.b_mine.id)
    total = stored_count()
    mine = len(stored(world.b_mine.id))

    world.b_mine.is_active = False
    db.session.commit()

    assert stored(world.b_mine.id) == []
    assert stored_count() == total - mine
    assert scan(TODAY_DATE, persist=False).units == 4


def test_a_scan_that_does_not_persist_writes_nothing(world):
    scan(TODAY_DATE)
    db.session.commit()
    before = Counter(key(row) for row in stored())
    result = scan(date(2027, 3, 1), persist=False, keep=True)
    db.session.commit()
    assert Counter(key(row) for row in stored()) == before
    assert set(result.summary) <= {str(s) for s in STATUS_URGENCY}
    assert Counter(str(o.status) for o in result.obligations) == {
        str(k): v for k, v in result.summary.items()}


def test_a_plan_exists_from_its_first_issue_date_in_past_answers(world):
    """As of a past day, a plan issued later is missing then; a later revision changes nothing."""

    def have_plan(as_of: str) -> str:
        _result, found = queries.unit_obligations(world.village, date.fromisoformat(as_of))
        [obligation] = [o for o in found if o.rule_code == "R7-P"]
        return str(obligation.status)

    # The village's first plan was issued on 2026-08-03.
    assert have_plan("2026-08-02") == "missing"
    assert have_plan("2026-08-03") == "done"
    plan = world.village_plan
    add_version(plan, VersionData(issued_on=date(2026, 10, 12), signer_role="principal",
                                  is_major=True), world.office_a, TODAY_DATE, load_calendar())
    db.session.commit()
    assert have_plan("2026-09-01") == "done"
