"""Rule administration and assessment settings through the admin pages."""

from datetime import date

import pytest
from sqlalchemy import func, select

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role
from emergency.compliance import queries
from emergency.compliance.models import AssessmentYear, CalendarDay, CalendarYear, Rule
from emergency.compliance.scan import scan
from emergency.extensions import db
from emergency.plans.models import Plan
from tests.compliance.conftest import TODAY_DATE, add_plan, by_rule, stored, text_of, zh

SETTINGS = {"year": "2026", "assessment_date": "2026-11-30", "spring_start": "03-01",
            "spring_end": "07-15", "autumn_start": "09-01", "autumn_end": "01-20"}


def rule(code: str) -> Rule:
    db.session.expire_all()
    return db.session.scalars(select(Rule).where(Rule.code == code).order_by(Rule.id)).first()


def rule_form(r: Rule | None = None, **changes) -> dict:
    """Return the edit form of a rule as the page would post it back unchanged."""
    data = {}
    if r is not None:
        data = {
            "code": r.code, "title": r.title, "kind": r.kind, "citation": r.citation,
            "unit_kinds": list(r.unit_kinds), "tags_any": list(r.tags_any),
            "plan_categories": list(r.plan_categories),
            "interval_months": "" if r.interval_months is None else str(r.interval_months),
            "deadline_days": "" if r.deadline_days is None else str(r.deadline_days),
            "period": r.period or "",
            "per_period": "" if r.per_period is None else str(r.per_period),
            "lead_days": str(r.lead_days), "reminder_days": ", ".join(map(str, r.reminder_days)),
            "note": r.note or "",
            "effective_from": r.effective_from.isoformat() if r.effective_from else "",
            "effective_to": r.effective_to.isoformat() if r.effective_to else "",
            "version": str(r.version),
        }
        for flag in ("per_plan", "school_terms_only", "is_national", "is_active"):
            if getattr(r, flag):
                data[flag] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def snapshot() -> list[tuple]:
    """Every rule row as stored, and the number of audit entries about rules."""
    db.session.expire_all()
    rules = [(r.id, r.code, r.version, r.lead_days, r.interval_months, r.per_period,
              r.effective_from, r.effective_to, r.is_active)
             for r in db.session.scalars(select(Rule).order_by(Rule.id))]
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.object_type == "rules"))
    return rules + [audits]


@pytest.fixture
def admin(world, login):
    return login(world.admin)


def test_office_staff_cannot_edit_rules_or_settings(world, client, login, make_user):
    login(world.office_a)
    r8d = rule("R8-D")
    before = snapshot()
    assert client.get(f"/compliance/rules/{r8d.id}/edit").status_code == 403
    assert client.post(f"/compliance/rules/{r8d.id}/edit",
                       data=rule_form(r8d, lead_days="1")).status_code == 403
    assert client.get("/compliance/rules/add").status_code == 403
    assert client.post("/compliance/rules/add", data=rule_form(r8d, code="X1")).status_code == 403
    assert client.get("/compliance/settings").status_code == 403
    assert client.post("/compliance/settings", data=SETTINGS).status_code == 403
    assert client.post("/compliance/calendar/days",
                       data={"day": "2027-01-01", "is_workday": "0"}).status_code == 403
    assert client.post("/compliance/calendar/years", data={"year": "2027"}).status_code == 403
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(AssessmentYear)) == 0
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    # The rule list itself is readable by office staff, without edit links.
    page = text_of(client.get("/compliance/rules"))
    assert "R8-D" in page
    assert f"/compliance/rules/{r8d.id}/edit" not in page

    # A liaison sees no rule pages at all.
    login(make_user(Role.LIAISON, unit=world.school))
    assert client.get("/compliance/rules").status_code == 403
    assert client.get(f"/compliance/rules/{r8d.id}/edit").status_code == 403


def test_rule_list_marks_local_defaults(world, admin):
    response = admin.get("/compliance/rules")
    assert response.status_code == 200
    page = text_of(response)
    badge = zh("local default, not national law")
    assert badge == "本地默认，非国家规定"
    rows = {}
    for r in db.session.scalars(select(Rule)):
        start = page.index(f">{r.code}</a>")
        rows[r.code] = page[start:page.index("</tr>", start)]
    for r in db.session.scalars(select(Rule)):
        assert (badge in rows[r.code]) is (not r.is_national), r.code
        assert r.citation in rows[r.code]
    assert badge in rows["R8-P"]
    assert badge not in rows["R8-D"]
    assert "《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）" in rows["R8-D"]


def test_admin_edits_lead_days_audited_and_effective_from_the_next_scan(world, admin):
    scan(TODAY_DATE)
    db.session.commit()
    assert by_rule(stored(world.school.id))[("R8-D", "2026-11")] == "due_soon"
    r8d = rule("R8-D")
    assert r8d.lead_days == 10

    form_page = admin.get(f"/compliance/rules/{r8d.id}/edit")
    assert form_page.status_code == 200
    assert 'name="version" type="hidden" value="1"' in text_of(form_page)

    response = admin.post(f"/compliance/rules/{r8d.id}/edit", data=rule_form(r8d, lead_days="5"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/compliance/rules"
    page = text_of(admin.get("/compliance/rules"))
    assert zh("The rule was saved. It applies from the next compliance scan.") in page
    assert "规则已保存，将在下一次合规扫描时生效。" in page

    saved = rule("R8-D")
    assert (saved.lead_days, saved.version, saved.reminder_days) == (5, 2, [10, 1])
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "rules",
                                                          AuditEntry.action == "update")).all()
    assert entry.object_id == r8d.id
    assert entry.username == world.admin.username
    assert entry.changes == {"lead_days": [10, 5]}

    # The stored obligations are the last scan's until the next scan runs.
    assert by_rule(stored(world.school.id))[("R8-D", "2026-11")] == "due_soon"
    scan(TODAY_DATE)
    db.session.commit()
    # November is due in 10 days: outside a 5-day window, it is now "due before the assessment".
    assert by_rule(stored(world.school.id))[("R8-D", "2026-11")] == "due_before_assessment"


@pytest.mark.parametrize(("code", "changes", "field_message"), [
    ("R8-E", {"interval_months": "-12"}, "Enter a whole number of at least 1."),
    ("R8-E", {"interval_months": "0"}, "Enter a whole number of at least 1."),
    ("R8-D", {"per_period": "0"}, "Enter a whole number of at least 1."),
    ("R8-D", {"per_period": "-1"}, "Enter a whole number of at least 1."),
    ("G-F", {"deadline_days": "-3"}, "Enter a whole number of at least 1."),
    ("G-V", {"deadline_days": "-3"}, "Enter a whole number of at least 0."),
    ("R8-D", {"effective_from": "2026-09-01", "effective_to": "2026-08-31"},
     "The end date is before the start date."),
    ("R8-D", {"reminder_days": "10, 400"}, "Enter a number of days between 0 and 366."),
])
def test_bad_rule_values_are_refused_and_nothing_changes(world, admin, code, changes,
                                                          field_message):
    r = rule(code)
    before = snapshot()
    response = admin.post(f"/compliance/rules/{r.id}/edit", data=rule_form(r, **changes))
    assert response.status_code == 400
    assert zh(field_message) in text_of(response)
    assert snapshot() == before


def test_a_filing_deadline_of_zero_working_days_is_refused(world, admin):
    # Zero working days has no "Nth working day after issue"; it must not break every page.
    r = rule("G-F")
    before = snapshot()
    response = admin.post(f"/compliance/rules/{r.id}/edit", data=rule_form(r, deadline_days="0"))
    assert response.status_code == 400
    assert zh("Enter a whole number of at least 1.") in text_of(response)
    assert snapshot() == before
    assert admin.get(f"/compliance/units/{world.village.id}").status_code == 200


def test_overlapping_versions_of_a_rule_are_refused(world, admin):
    r8d = rule("R8-D")
    before = snapshot()
    # The seeded R8-D has no end date: a second version from 2027 would overlap it.
    response = admin.post("/compliance/rules/add",
                          data=rule_form(r8d, effective_from="2027-01-01", version=""))
    assert response.status_code == 400
    assert zh("Another version of rule %(code)s is in force in the same period.", code="R8-D") in (
        text_of(response))
    assert "规则 R8-D 的另一个版本在同一期间内有效。" in text_of(response)
    assert snapshot() == before

    # Ending the first version before the second starts makes room for it.
    assert admin.post(f"/compliance/rules/{r8d.id}/edit",
                      data=rule_form(r8d, effective_to="2026-12-31")).status_code == 302
    response = admin.post("/compliance/rules/add", data=rule_form(
        r8d, effective_from="2027-01-01", effective_to="", per_period="2", version=""))
    assert response.status_code == 302
    versions = db.session.scalars(select(Rule).where(Rule.code == "R8-D").order_by(Rule.id)).all()
    assert [(v.effective_from, v.effective_to, v.per_period) for v in versions] == [
        (None, date(2026, 12, 31), 1), (date(2027, 1, 1), None, 2)]
    created = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "rules", AuditEntry.action == "create",
        AuditEntry.username == world.admin.username)).all()
    assert [(e.object_id, e.changes["effective_from"], e.changes["per_period"])
            for e in created] == [(versions[1].id, "2027-01-01", 2)]

    # Each date is judged by the version in force on it.
    _r, in_2026 = queries.unit_obligations(world.school, date(2026, 11, 20))
    _r, in_2027 = queries.unit_obligations(world.school, date(2027, 3, 15))
    assert {o.rule_id for o in in_2026 if o.rule_code == "R8-D"} == {versions[0].id}
    assert {o.rule_id for o in in_2027 if o.rule_code == "R8-D"} == {versions[1].id}
    assert {o.evidence["required"] for o in in_2027 if o.rule_code == "R8-D"} == {0, 2}

    # Editing the new version so that it reaches back into 2026 is refused too.
    before = snapshot()
    response = admin.post(f"/compliance/rules/{versions[1].id}/edit",
                          data=rule_form(versions[1], effective_from="2026-12-01"))
    assert response.status_code == 400
    assert "规则 R8-D 的另一个版本在同一期间内有效。" in text_of(response)
    assert snapshot() == before


def test_a_stale_version_is_refused(world, admin):
    r8d = rule("R8-D")
    stale = rule_form(r8d, lead_days="3")
    # Someone else saves first.
    assert admin.post(f"/compliance/rules/{r8d.id}/edit",
                      data=rule_form(r8d, lead_days="7")).status_code == 302
    before = snapshot()
    response = admin.post(f"/compliance/rules/{r8d.id}/edit", data=stale)
    assert response.status_code == 400
    assert zh("The rule was changed by someone else. Reload the page.") in text_of(response)
    assert snapshot() == before
    assert rule("R8-D").lead_days == 7


# --- assessment settings and the calendar ------------------------------------------------------


def test_the_assessment_date_decides_what_is_due_before_it(world, admin):
    def town():
        return by_rule(queries.unit_obligations(world.town, TODAY_DATE)[1])

    assert town()[("R6-D2", "2026")] == "due_before_assessment"
    page = text_of(admin.get("/compliance/settings"))
    assert 'value="2026-12-31"' in page

    response = admin.post("/compliance/settings", data=SETTINGS)
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(AssessmentYear, 2026)
    assert row.assessment_date == date(2026, 11, 30)
    assert row.school_terms == {"spring": [[3, 1], [7, 15]], "autumn": [[9, 1], [1, 20]]}

    # The town's yearly drill falls due on 12-31, after the assessment and outside its 30-day
    # lead window: nothing is owed for the assessment any more.
    assert town()[("R6-D2", "2026")] == "done"
    school = by_rule(queries.unit_obligations(world.school, TODAY_DATE)[1])
    assert ("R8-D", "2026-12") not in school
    assert school[("R8-D", "2026-11")] == "due_soon"

    # The pages, the scan and ?as_of=assessment follow the new date.
    result = scan(TODAY_DATE)
    db.session.commit()
    assert result.assessment_date == date(2026, 11, 30)
    assert by_rule(stored(world.town.id))[("R6-D2", "2026")] == "done"
    page = text_of(admin.get(f"/compliance/units/{world.school.id}?as_of=assessment"))
    assert 'value="2026-11-30"' in page
    listing = text_of(admin.get("/compliance/"))
    assert "2026年11月30日" in listing


@pytest.mark.parametrize(("changes", "message"), [
    ({"assessment_date": "2027-01-15"}, "The assessment date must lie in that year."),
    ({"assessment_date": "2025-12-31"}, "The assessment date must lie in that year."),
    ({"spring_end": "09-15"},
     "Enter the term dates as MM-DD, with the spring term before the autumn term."),
    ({"autumn_start": "13-01"},
     "Enter the term dates as MM-DD, with the spring term before the autumn term."),
])
def test_bad_settings_are_refused(world, admin, changes, message):
    response = admin.post("/compliance/settings", data={**SETTINGS, **changes})
    assert response.status_code == 400
    assert zh(message) in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(AssessmentYear)) == 0


def test_holidays_of_an_unknown_year_move_deadlines_and_stop_estimates(world, admin, app):
    # Registered in January 2027, issued 2026-12-28: the 20 working days run into 2027, a year
    # the calendar package does not know, so the deadline is a Monday-to-Friday estimate.
    app.config["TODAY"] = "2027-01-11"
    plan = add_plan(world.town, world.admin, "花园街道突发事件总体应急预案", "overall", "2026-12-28",
                    today=date(2027, 1, 11))

    def filing():
        _result, found = queries.unit_obligations(world.town, date(2027, 1, 11))
        [obligation] = [o for o in found if o.rule_code == "G-F"]
        assert obligation.plan_id == plan.id
        return obligation.due_on, obligation.estimated

    def panel_due():
        page = text_of(admin.get(f"/compliance/units/{world.town.id}"))
        row = page[page.index('data-rule="G-F"'):]
        return row[:row.index("</tr>")]

    def plan_page_due():
        """The filing deadline as the plan's own page shows it."""
        page = text_of(admin.get(f"/plans/{plan.id}"))
        part = page[page.index(zh("Filing deadline")):]
        return part[:part.index("</dd>")]

    estimated_badge = zh("estimated: holidays of that year are not published yet")

    assert filing() == (date(2027, 1, 25), True)
    assert "2027年1月25日" in panel_due() and zh("estimated") in panel_due()
    assert "2027年1月25日" in plan_page_due() and estimated_badge in plan_page_due()

    # The admin enters New Year's Day 2027 as a holiday: one working day less, one day later.
    response = admin.post("/compliance/calendar/days",
                          data={"day": "2027-01-01", "is_workday": "0", "note": "元旦"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarDay, date(2027, 1, 1)).is_workday is False
    assert filing() == (date(2027, 1, 26), True)
    assert "2027年1月26日" in panel_due() and zh("estimated") in panel_due()
    # The plan's page and the plan list show the same deadline as the compliance panel.
    assert "2027年1月26日" in plan_page_due() and estimated_badge in plan_page_due()
    version = db.session.get(Plan, plan.id).current_version
    assert (version.filing_due_on, version.filing_due_estimated) == (date(2027, 1, 26), True)

    # Marking 2027 complete makes the deadline a real one.
    assert admin.post("/compliance/calendar/years", data={"year": "2027"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2027) is not None
    assert filing() == (date(2027, 1, 26), False)
    assert zh("estimated") not in panel_due()
    assert "2027年1月26日" in plan_page_due() and estimated_badge not in plan_page_due()
    scan(date(2027, 1, 11))
    db.session.commit()
    [row] = [r for r in stored(world.town.id) if r.rule_code == "G-F"]
    assert (row.due_on, row.estimated) == (date(2027, 1, 26), False)

    page = text_of(admin.get("/compliance/settings"))
    assert "元旦" in page


def test_bad_calendar_input_is_refused(world, admin):
    assert admin.post("/compliance/calendar/days",
                      data={"day": "2027-02-30", "is_workday": "0"}).status_code == 400
    assert admin.post("/compliance/calendar/days",
                      data={"day": "2027-02-03", "is_workday": "7"}).status_code == 400
    assert admin.post("/compliance/calendar/years", data={"year": "20270"}).status_code == 400
    assert admin.post("/compliance/calendar/years", data={"year": "abc"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_an_entered_holiday_moves_the_offices_review_deadline(world, admin, app):
    from emergency.compliance.deadlines import review_deadline
    from emergency.compliance.services import load_calendar
    from emergency.plans.models import FilingState

    app.config["TODAY"] = "2027-01-11"
    plan = add_plan(world.b_mine, world.admin, "北安煤矿综合应急预案", "overall", "2026-12-30",
                    FilingState.SUBMITTED, "2027-01-08", today=date(2027, 1, 11))
    version = plan.current_version
    version.review_due_on = review_deadline(version.submitted_on, load_calendar()).date
    db.session.commit()
    # Five working days after Fri 2027-01-08, Monday to Friday: Fri 01-15.
    assert version.review_due_on == date(2027, 1, 15)

    assert admin.post("/compliance/calendar/days",
                      data={"day": "2027-01-13", "is_workday": "0", "note": "测试假日"}
                      ).status_code == 302
    db.session.expire_all()
    version = db.session.get(Plan, plan.id).current_version
    assert version.review_due_on == date(2027, 1, 18)
    page = text_of(admin.get(f"/plans/{plan.id}"))
    assert zh("Review deadline") in page and "2027年1月18日" in page
    # A day after every deadline changes nothing.
    assert admin.post("/compliance/calendar/days",
                      data={"day": "2027-06-01", "is_workday": "0"}).status_code == 302
    db.session.expire_all()
    version = db.session.get(Plan, plan.id).current_version
    assert version.review_due_on == date(2027, 1, 18)


def test_editing_the_filing_limit_moves_the_stored_deadlines_of_open_filings(world, admin):
    """The plan page and the compliance panel judge a filing by the same, edited, limit."""
    plan_id = world.village_plan.id

    def stored_due():
        db.session.expire_all()
        return db.session.get(Plan, plan_id).current_version.filing_due_on

    def engine_due():
        _result, found = queries.unit_obligations(world.village, TODAY_DATE)
        [obligation] = [o for o in found if o.rule_code == "G-F"]
        return obligation.due_on

    filed_before = db.session.get(Plan, world.school_plan.id).current_version.filing_due_on
    # Issued Monday 2026-08-03: 20 working days later is Monday 2026-08-31.
    assert stored_due() == engine_due() == date(2026, 8, 31)
    response = admin.post(f"/compliance/rules/{rule('G-F').id}/edit",
                          data=rule_form(rule("G-F"), deadline_days="15"))
    assert response.status_code == 302
    assert stored_due() == engine_due() == date(2026, 8, 24)
    page = text_of(admin.get(f"/plans/{plan_id}"))
    part = page[page.index(zh("Filing deadline")):]
    assert "2026年8月24日" in part[:part.index("</dd>")]
    # A plan already filed keeps the deadline it was filed against.
    assert db.session.get(Plan, world.school_plan.id).current_version.filing_due_on == filed_before
