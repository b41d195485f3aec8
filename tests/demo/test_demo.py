"""The 黑河市 demo data: valid through the services, complete, deterministic, loaded once.

Loading the demo takes seconds (every plan goes through the filing services, every drill through
the drill services, every document is a real file), so the plan and drill checks share one load
per test instead of one test per check.
"""

import hashlib
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from flask import g
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from emergency.auth.models import Role, User
from emergency.compliance.dates import add_months
from emergency.compliance.deadlines import filing_deadline, review_deadline
from emergency.compliance.models import Obligation
from emergency.compliance.scan import scan
from emergency.compliance.seed import seed_rules
from emergency.compliance.services import load_calendar
from emergency.demo import names
from emergency.demo.drills import DrillSummary
from emergency.demo.plans import PlanSummary
from emergency.demo.services import CITY_AREA_CODE, DEMO_PASSWORD, load_demo
from emergency.documents.models import DocType, Document
from emergency.documents.storage import delete_blob
from emergency.drills.checklist import missing_drill_documents
from emergency.drills.models import (
    ActionEvent,
    ActionStatus,
    CorrectiveAction,
    Drill,
    DrillChange,
    DrillStatus,
    drill_plans,
)
from emergency.drills.queries import must_report
from emergency.extensions import db
from emergency.plans.filing import apply_deemed_filings, checklist
from emergency.plans.models import (
    Evaluation,
    EvaluationConclusion,
    FilingCounter,
    FilingEvent,
    FilingState,
    Plan,
    PlanCategory,
    PlanVersion,
    RevisionItem,
    RevisionTrigger,
)
from emergency.regions.models import Region, RegionLevel
from emergency.units.identifiers import school_code_problem, uscc_problem
from emergency.units.models import SCHOOL_KINDS, RiskTag, Unit, UnitKind
from emergency.units.services import check_unit, unit_data
from emergency.users.services import normalise_email

CHINA = ZoneInfo("Asia/Shanghai")
#: The demo's "today" in these tests: a Friday whose four years of history and coming filing
#: deadlines all lie in years with a published holiday calendar.
TODAY = date(2026, 11, 20)

SCHOOL_CATEGORIES = {
    UnitKind.KINDERGARTEN: {"11"},
    UnitKind.SCHOOL: {"21", "31", "34"},
    UnitKind.UNIVERSITY: {"41"},
}
USCC_CLASSES = {
    UnitKind.ENTERPRISE: "91",
    UnitKind.GOVERNMENT_DEPARTMENT: "11",
    UnitKind.PUBLIC_INSTITUTION: "12",
}
#: Expected units per kind: (low, high), inclusive.
KIND_RANGES = {
    UnitKind.TOWN_STREET: (60, 90),
    UnitKind.VILLAGE_COMMUNITY: (80, 180),
    UnitKind.SCHOOL: (35, 50),
    UnitKind.KINDERGARTEN: (8, 12),
    UnitKind.UNIVERSITY: (2, 2),
    UnitKind.ENTERPRISE: (70, 90),
    UnitKind.GOVERNMENT_DEPARTMENT: (20, 30),
    UnitKind.PUBLIC_INSTITUTION: (8, 15),
}
#: Fewest plans expected in each filing state (of their current version).
STATE_MINIMUMS = {
    FilingState.FILED: 100,
    FilingState.DEEMED_FILED: 10,
    FilingState.SUBMITTED: 12,
    FilingState.RETURNED: 8,
    FilingState.DRAFT: 25,
    FilingState.NOT_REQUIRED: 3,  # minor revisions of filed plans
}
#: Versions that went through the filing workflow (a minor revision does not).
UNFILED_STATES = (FilingState.DRAFT, FilingState.NOT_REQUIRED)
#: "A few hundred small files at most" for the plans, "about 150 at most" for the drills.
MAX_DOCUMENTS = 800
MAX_DRILL_DOCUMENTS = 150
PLAN_MODELS = (Plan, PlanVersion, Document, FilingEvent, Evaluation, RevisionItem, FilingCounter)
DRILL_MODELS = (Drill, DrillChange, CorrectiveAction, ActionEvent)
ALL_MODELS = (Region, Unit, User) + PLAN_MODELS + DRILL_MODELS
#: Drill statuses and (open, closed, verified) action statuses: fewest expected of each.
DRILL_MINIMUMS = {DrillStatus.HELD: 300, DrillStatus.PLANNED: 30, DrillStatus.CANCELLED: 5}
ACTION_MINIMUMS = {ActionStatus.OPEN: 8, ActionStatus.CLOSED: 3, ActionStatus.VERIFIED: 4}
DRILL_DOC_TYPES = {DocType.DRILL_SCHEME, DocType.DRILL_ASSESSMENT, DocType.DRILL_SUMMARY}


@pytest.fixture(autouse=True)
def break_plan_version_cycle(app):
    """Let the shared teardown empty the tables on SQLite (as tests/plans/conftest.py does).

    plans.current_version_id and plan_versions.plan_id point at each other, and the teardown in
    tests/conftest.py deletes table by table, which SQLite refuses while a plan names a version.
    """
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


def _load(today: date = TODAY):
    g.audit_actor = "demo"
    return load_demo(today)


def _units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.id)))


def _admin() -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


def _counts() -> dict[str, int]:
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in ALL_MODELS}
    counts["drill_plans"] = db.session.scalar(select(func.count()).select_from(drill_plans))
    return counts


def _china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


# --- units, regions and accounts (loaded without plans: those have their own tests) --------


def test_units_regions_and_accounts(app, monkeypatch):
    monkeypatch.setattr("emergency.demo.services.load_plans", lambda today, seed: PlanSummary())
    monkeypatch.setattr("emergency.demo.services.load_drills", lambda today, seed: DrillSummary())
    summary = _load()
    db.session.commit()

    assert not summary.already_loaded
    assert 250 <= summary.units_added <= 500
    # Province + city + 6 counties + 160 townships from the shipped data, plus the villages.
    assert 168 + 150 <= summary.regions_added <= 168 + 320
    assert summary.users_added == len(names.DEMO_ACCOUNTS) == 6
    assert [line[0] for line in summary.accounts] == [a.username for a in names.DEMO_ACCOUNTS]

    units = _units()
    counts = Counter(unit.kind for unit in units)
    for kind, (low, high) in KIND_RANGES.items():
        assert low <= counts[kind] <= high, (kind, counts[kind])
    assert sum(counts.values()) == summary.units_added
    assert UnitKind.OTHER not in counts
    _check_identifiers(units)
    admin = _admin()
    for unit in units:
        assert check_unit(unit_data(unit), admin, existing=unit) == [], unit
    _check_risk_tags(units)
    _check_placement(units)
    _check_villages()
    _check_accounts()


def _check_identifiers(units: list[Unit]) -> None:
    for unit in units:
        code = unit.identifier
        if unit.kind in SCHOOL_CATEGORIES:
            assert school_code_problem(code) is None, unit
            assert code[:2] in SCHOOL_CATEGORIES[unit.kind] and code[2:4] == "23", unit
        elif unit.kind in USCC_CLASSES:
            assert uscc_problem(code) is None, unit
            assert code[:2] == USCC_CLASSES[unit.kind], unit
            area = code[2:8]
            county = unit.region.ancestor_codes[2] if len(unit.region.ancestor_codes) > 2 else None
            assert area == (county or CITY_AREA_CODE), unit
        else:
            assert code is None, unit


def _check_risk_tags(units: list[Unit]) -> None:
    by_word = {
        "化工": RiskTag.HAZARDOUS_CHEMICALS, "矿业": RiskTag.MINING, "冶金": RiskTag.METAL_SMELTING,
        "建筑工程": RiskTag.CONSTRUCTION, "燃气": RiskTag.LIFELINE_UTILITY,
        "热电": RiskTag.LIFELINE_UTILITY, "商场": RiskTag.CROWDED_PLACE, "医院": RiskTag.KEY_FIRE_SAFETY,
    }
    for word, tag in by_word.items():
        named = [u for u in units if word in u.name]
        assert named, word
        assert all(tag in u.risk_tags for u in named), word
    tags = Counter(tag for unit in units for tag in unit.risk_tags)
    assert tags[RiskTag.BOARDING_SCHOOL] >= 6 and tags[RiskTag.MEDIUM_OR_LARGER] >= 5
    classes = Counter(u.assessment_class for u in units if u.kind == UnitKind.ENTERPRISE)
    assert {1, 2, 3} <= set(classes)
    assert all(u.assessment_class is None for u in units if u.kind != UnitKind.ENTERPRISE)


def _check_placement(units: list[Unit]) -> None:
    for unit in units:
        level = unit.region.level
        if unit.kind in (UnitKind.SCHOOL, UnitKind.ENTERPRISE, UnitKind.TOWN_STREET):
            assert level == RegionLevel.TOWN, unit
        elif unit.kind == UnitKind.VILLAGE_COMMUNITY:
            assert level == RegionLevel.VILLAGE, unit
        else:
            assert level in (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN), unit
        assert unit.region.code.startswith("2311"), unit
        assert unit.phone.startswith("0456-") and len(unit.phone) == 12, unit
        assert unit.address.startswith("黑龙江省黑河市"), unit
    enterprises = [u.name for u in units if u.kind == UnitKind.ENTERPRISE]
    assert len(set(enterprises)) == len(enterprises)
    # Every county has its education bureau, where the school plans hang.
    bureaus = {u.region.code for u in units if u.name.endswith("教育局")}
    counties = db.session.scalars(select(Region.code).where(Region.level == RegionLevel.COUNTY,
                                                            Region.code.startswith("2311")))
    assert bureaus == set(counties) | {"2311"}


def _check_villages() -> None:
    villages = db.session.scalars(select(Region).where(Region.level == RegionLevel.VILLAGE)).all()
    per_town = Counter()
    for village in villages:
        town = village.parent
        assert len(village.code) == 12 and village.code.isdigit(), village
        assert town.level == RegionLevel.TOWN and village.code.startswith(town.code), village
        assert village.path == f"{town.path}{village.code}/", village
        street = town.code[6:9] < "100"
        assert village.name.endswith("社区" if street else "村"), village
        number = int(village.code[9:])
        assert (1 <= number <= 4) if street else (201 <= number <= 204), village
        per_town[town.code] += 1
    assert set(per_town.values()) <= {2, 3, 4}
    townships = db.session.scalars(select(Region.code).where(
        Region.level == RegionLevel.TOWN, Region.code.startswith("2311"))).all()
    assert set(per_town) == {code for code in townships if code[6:9] < "400"}


def _check_accounts() -> None:
    for account in names.DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == account.username))
        assert user is not None and user.is_active, account
        assert user.role == account.role and user.display_name == account.display_name
        assert check_password_hash(user.password_hash, DEMO_PASSWORD)
        # The account form must accept the address, or editing a demo user would fail.
        assert normalise_email(user.email) == user.email
        if account.role == Role.ADMIN:
            assert user.region_id is None and user.unit_id is None
        elif account.role == Role.LIAISON:
            kind, county = account.scope.split(":")
            assert user.unit.kind == kind and user.unit.region.ancestor_codes[2] == county
        else:
            assert user.region.code == account.scope and user.unit_id is None
    liaison = db.session.scalar(select(User).where(User.username == "liaison"))
    assert liaison.unit.name == "爱辉区第一小学"


# --- plans ---------------------------------------------------------------------------------


def test_demo_load_complete_deterministic_and_idempotent(app, runner):
    """Load without committing, roll back; load through the CLI; compare; check; load again."""
    app.config["TODAY"] = TODAY  # what `flask demo load` (no argument) takes as today
    first = _load()
    snapshot = _snapshot()
    rolled_back = _stored_files(app)
    db.session.rollback()
    _remove_files(app, rolled_back)  # a caller that rolls back removes the files it saved
    assert set(_counts().values()) == {0}  # load_demo never commits

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert _snapshot() == snapshot  # the same day gives the same registry
    _check_cli_output(result.output, first.plans)
    _check_drill_output(result.output, first.drills)

    summary = first.plans
    assert summary.plans == db.session.scalar(select(func.count()).select_from(Plan))
    assert summary.versions == db.session.scalar(select(func.count()).select_from(PlanVersion))
    assert summary.documents == db.session.scalar(select(func.count()).select_from(Document).where(
        (Document.plan_version_id.is_not(None)) | (Document.evaluation_id.is_not(None))))
    _check_states(summary)
    _check_coverage()
    _check_parents()
    _check_deadlines()
    _check_events()
    _check_documents(app)
    _check_versions_and_reviews()
    _check_timestamps()
    _check_drills(first.drills)
    _check_drill_documents(app, first.drills)
    _check_actions(first.drills)

    before, files = _counts(), _stored_files(app)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output and "liaison2" in again.output
    assert "plans" not in again.output and "drills" not in again.output
    assert _counts() == before and _stored_files(app) == files
    assert load_demo(TODAY).already_loaded

    _check_compliance()


def test_older_demo_gets_its_plans_and_drills(app):
    """A demo database loaded before there were plans (or drills) gets them on the next load."""
    _load()
    db.session.commit()
    snapshot = _snapshot()

    # From before there were drills: only the drills are loaded, the same ones.
    drill_files = set(db.session.scalars(select(Document.stored_path).where(
        (Document.drill_id.is_not(None)) | (Document.action_id.is_not(None)))))
    _delete_drills()
    _remove_files(app, drill_files)
    summary = _load()
    db.session.commit()
    assert not summary.already_loaded and summary.plans_added == 0
    assert summary.drills_added == len(snapshot["drills"]) and _snapshot() == snapshot

    # From before there were plans: the plans and the drills exercising them.
    files = _stored_files(app)
    _delete_drills()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    for model in (Document, RevisionItem, FilingEvent, Evaluation, PlanVersion, Plan,
                  FilingCounter):
        db.session.execute(delete(model.__table__))
    db.session.commit()
    _remove_files(app, files)

    summary = _load()
    db.session.commit()
    assert not summary.already_loaded
    assert (summary.regions_added, summary.units_added, summary.users_added) == (0, 0, 0)
    assert summary.plans_added == len(snapshot["plans"]) and _snapshot() == snapshot
    assert summary.actions_added == sum(len(d[-1]) for d in snapshot["drills"])
    assert _load().already_loaded


def _delete_drills() -> None:
    db.session.execute(delete(Document.__table__).where(
        (Document.drill_id.is_not(None)) | (Document.action_id.is_not(None))))
    for table in (ActionEvent.__table__, CorrectiveAction.__table__, DrillChange.__table__,
                  drill_plans, Drill.__table__):
        db.session.execute(delete(table))
    db.session.commit()


def _check_cli_output(output: str, summary: PlanSummary) -> None:
    assert re.search(r"Loaded \d+ regions, \d+ units, 6 users\.", output), output
    assert f"Loaded {summary.plans} plans ({summary.versions} versions, " in output
    assert f"as of {TODAY.isoformat()}" in output
    for state, count in summary.states.items():
        assert re.search(rf"^  {state} +{count}\b", output, re.MULTILINE), (state, output)
    assert re.search(rf"submitted +\d+  \({summary.overdue['submitted']} past the review", output)


def _check_drill_output(output: str, summary: DrillSummary) -> None:
    assert f"Loaded {summary.drills} drills ({summary.rescheduled} rescheduled, " in output
    assert f"; {summary.documents} documents) as of {TODAY.isoformat()}" in output
    for state, count in summary.states.items():
        assert re.search(rf"^  {state} +{count}$", output, re.MULTILINE), (state, output)
    assert f"Loaded {summary.actions} corrective actions." in output
    assert re.search(rf"^  open +{summary.action_states['open']}  \({summary.overdue_actions} "
                     r"past the due date\)$", output, re.MULTILINE), output


def _plans() -> list[Plan]:
    return list(db.session.scalars(select(Plan).order_by(Plan.id)))


def _versions() -> list[PlanVersion]:
    return list(db.session.scalars(select(PlanVersion).order_by(PlanVersion.id)))


def _check_states(summary: PlanSummary) -> None:
    """Every filing state is there in good numbers, and the summary counts them right."""
    plans = _plans()
    states = Counter(plan.current_version.filing_state for plan in plans)
    assert summary.states == {str(s): states[s] for s in FilingState if states[s]}
    assert sum(summary.states.values()) == summary.plans == len(plans)
    for state, minimum in STATE_MINIMUMS.items():
        assert states[state] >= minimum, (state, states)
    assert states[FilingState.FILED] > sum(states.values()) / 2  # most plans are filed
    current = [plan.current_version for plan in plans]
    drafts = [v for v in current if v.filing_state == FilingState.DRAFT]
    overdue = [v for v in drafts if v.filing_due_on < TODAY]
    assert len(overdue) >= 10 and len(drafts) - len(overdue) >= 8  # both overdue and due soon
    assert summary.overdue["draft"] == len(overdue)
    waiting = [v for v in current if v.filing_state == FilingState.SUBMITTED]
    late = [v for v in waiting if v.review_due_on < TODAY]
    assert len(late) >= 4 and len(waiting) - len(late) >= 4
    assert summary.overdue["submitted"] == len(late)
    # Silence files an enterprise's submission, so no enterprise waits past its review day.
    assert all(db.session.get(Unit, v.unit_id).kind != UnitKind.ENTERPRISE for v in late)
    assert all(db.session.get(Unit, v.unit_id).kind == UnitKind.ENTERPRISE
               for v in current if v.filing_state == FilingState.DEEMED_FILED)
    assert db.session.scalar(select(func.count()).select_from(RevisionItem).where(
        RevisionItem.closed_on.is_(None))) == summary.open_revision_items >= 10
    assert summary.evaluations == db.session.scalar(select(func.count()).select_from(Evaluation))


def _check_coverage() -> None:
    """Most units have plans, but some of every kind have none (the "missing" findings)."""
    units = _units()
    with_plans = set(db.session.scalars(select(Plan.unit_id)))
    assert len(with_plans) > len(units) / 2
    lacking = Counter(u.kind for u in units if u.id not in with_plans)
    for kind in KIND_RANGES:
        if kind != UnitKind.UNIVERSITY:
            assert lacking[kind] >= 1, kind
    assert sum(lacking.values()) >= 60
    liaisons = db.session.scalars(select(User).where(User.role == Role.LIAISON))
    assert all(user.unit_id in with_plans for user in liaisons)
    categories = {(p.unit.kind, p.category) for p in _plans()}
    assert {
        (UnitKind.TOWN_STREET, PlanCategory.OVERALL), (UnitKind.TOWN_STREET, PlanCategory.SPECIAL),
        (UnitKind.VILLAGE_COMMUNITY, PlanCategory.VILLAGE_BRIEF),
        (UnitKind.SCHOOL, PlanCategory.OVERALL), (UnitKind.SCHOOL, PlanCategory.SPECIAL),
        (UnitKind.ENTERPRISE, PlanCategory.OVERALL), (UnitKind.ENTERPRISE, PlanCategory.SPECIAL),
        (UnitKind.ENTERPRISE, PlanCategory.ONSITE),
        (UnitKind.GOVERNMENT_DEPARTMENT, PlanCategory.DEPARTMENT),
    } <= categories


def _check_parents() -> None:
    """Specials hang below their unit's overall plan, villages below their town's, and so on."""
    plans = _plans()
    overall = {p.unit_id: p for p in plans if p.category == PlanCategory.OVERALL}
    town_units = {u.region_id: u for u in _units() if u.kind == UnitKind.TOWN_STREET}
    linked = Counter()
    for plan in plans:
        unit, parent = plan.unit, plan.parent
        if plan.category in (PlanCategory.SPECIAL, PlanCategory.ONSITE):
            assert parent is overall[unit.id], plan
        elif plan.category == PlanCategory.VILLAGE_BRIEF:
            town = town_units[unit.region.parent_id]
            assert parent is overall.get(town.id), plan
        elif unit.kind in (UnitKind.SCHOOL, UnitKind.KINDERGARTEN) and parent is not None:
            assert parent.unit.name == unit.region.parent.name + "教育局", plan
        elif unit.kind == UnitKind.GOVERNMENT_DEPARTMENT and parent is not None:
            assert parent.unit.region.code == "2311" != unit.region.code, plan
        if parent is not None:
            linked[plan.category] += 1
            # A parent plan existed before its child was registered.
            assert parent.versions[0].created_at < plan.versions[0].created_at, plan
    assert linked[PlanCategory.VILLAGE_BRIEF] >= 10 and linked[PlanCategory.OVERALL] >= 5


def _check_deadlines() -> None:
    """Every stored date is what the services compute, and each state's dates fit it."""
    calendar = load_calendar()
    start = add_months(TODAY, -48)
    numbers = set()
    on_time = late = 0
    for v in _versions():
        kind = db.session.get(Unit, v.unit_id).kind
        assert start <= v.issued_on < TODAY, v
        if v.filing_state == FilingState.NOT_REQUIRED:  # no filing, so no filing clock
            assert not v.is_major and v.number > 1, v
            assert (v.filing_due_on, v.submitted_on, v.filed_on) == (None, None, None), v
            continue
        due = filing_deadline(v.issued_on, calendar)
        assert (v.filing_due_on, v.filing_due_estimated) == (due.date, due.estimated), v
        if v.filing_state == FilingState.DRAFT:
            assert v.submitted_on is None and v.review_due_on is None, v
            continue
        assert v.issued_on <= v.submitted_on < TODAY, v
        assert v.review_due_on == review_deadline(v.submitted_on, calendar).date, v
        if v.filing_state in (FilingState.FILED, FilingState.DEEMED_FILED):
            region = db.session.get(Unit, v.unit_id).region.code[:6]  # the configured pattern
            assert re.fullmatch(rf"{region}-{v.filed_on.year}-\d{{4}}", v.filing_number), v
            assert v.filing_number not in numbers
            numbers.add(v.filing_number)
            on_time += v.submitted_on <= v.filing_due_on
            late += v.submitted_on > v.filing_due_on
        if v.filing_state == FilingState.FILED:
            assert v.submitted_on < v.filed_on <= v.review_due_on, v
        elif v.filing_state == FilingState.DEEMED_FILED:
            assert kind == UnitKind.ENTERPRISE and v.filed_on == v.review_due_on < TODAY, v
        else:
            assert v.filed_on is None and v.filing_number is None, v
            if v.filing_state == FilingState.SUBMITTED and kind == UnitKind.ENTERPRISE:
                assert v.review_due_on >= TODAY, v
        if v.plan.current_version_id != v.id:  # superseded major versions were all filed
            assert v.filing_state in (FilingState.FILED, FilingState.DEEMED_FILED), v
    for plan in _plans():  # a plan's first version is always filed (or on its way)
        assert plan.versions[0].filing_state != FilingState.NOT_REQUIRED, plan
    assert on_time > 2 * late and late >= 5  # mostly on time, some late
    # Nothing is left for the deemed-filing check to do on the demo's day.
    assert apply_deemed_filings(TODAY) == 0


def _check_events() -> None:
    """Each version's events tell its history, on the days its dates say."""
    events: dict[int, list[FilingEvent]] = {}
    for e in db.session.scalars(select(FilingEvent).order_by(FilingEvent.id)):
        events.setdefault(e.version_id, []).append(e)
    returned_with_comment = 0
    for v in _versions():
        history = events.get(v.id, [])
        actions = [e.action for e in history]
        if v.filing_state in UNFILED_STATES:
            assert actions == [], v
            continue
        submitted = [e for e in history if e.action == "submitted"]
        assert _china_day(submitted[-1].at) == v.submitted_on, v
        returns = [e for e in history if e.action == "returned"]
        assert len(submitted) == len(returns) + (v.filing_state != FilingState.RETURNED), v
        for e in returns:
            assert e.reasons and e.comment and e.actor.role == Role.OFFICE, v
            returned_with_comment += 1
        expected_last = {FilingState.SUBMITTED: "submitted", FilingState.RETURNED: "returned",
                         FilingState.FILED: "filed", FilingState.DEEMED_FILED: "deemed_filed"}
        assert actions[-1] == expected_last[v.filing_state], (v, actions)
        if v.filing_state == FilingState.FILED:
            assert _china_day(history[-1].at) == v.filed_on and history[-1].actor.can_edit, v
        if v.filing_state == FilingState.DEEMED_FILED:
            assert history[-1].actor_id is None, v
            assert _china_day(history[-1].at) == v.review_due_on + timedelta(days=1), v
        times = [e.at for e in history]
        assert times == sorted(times), v
    assert returned_with_comment >= 15
    comments = set(db.session.scalars(select(FilingEvent.comment).where(
        FilingEvent.action == "returned")))
    assert "请补充风险评估报告。" in comments


def _stored_files(app) -> set[str]:
    root = Path(app.config["UPLOAD_ROOT"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _remove_files(app, relative_paths: set[str]) -> None:
    for path in relative_paths:
        delete_blob(Path(app.config["UPLOAD_ROOT"]), path)


def _check_documents(app) -> None:
    """Every document is a real file on disk with its recorded hash; checklists are complete."""
    root = Path(app.config["UPLOAD_ROOT"])
    everything = list(db.session.scalars(select(Document).order_by(Document.id)))
    # Every document (plans, drills, corrective actions) is on disk with its recorded hash.
    assert _stored_files(app) == {d.stored_path for d in everything}
    for d in everything:
        data = (root / d.stored_path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == d.sha256 and len(data) == d.size, d
        assert d.original_name.endswith(f".{d.kind}"), d
        assert re.search(r"[\u4e00-\u9fff]", d.original_name), d
        assert d.stored_path.startswith(f"{_china_day(d.uploaded_at):%Y/%m}/"), d
    documents = [d for d in everything if d.plan_version_id or d.evaluation_id]
    assert 100 <= len(documents) <= MAX_DOCUMENTS
    kinds = Counter(d.kind for d in documents)
    assert kinds["pdf"] >= 50 and kinds["docx"] >= 50
    types = Counter(d.doc_type for d in documents)
    assert {DocType.FILING_FORM, DocType.REVIEW_OPINION, DocType.PLAN_TEXT,
            DocType.RISK_ASSESSMENT, DocType.ISSUED_TEXT, DocType.DRAFTING_NOTES,
            DocType.EVALUATION_REPORT, DocType.OTHER} == set(types)
    assert types[DocType.EVALUATION_REPORT] >= 3
    for v in _versions():
        required, missing = checklist(v)
        if v.filing_state not in UNFILED_STATES:
            assert missing == [], (v, missing)  # nothing is submitted without its documents
    # The DOCX files open in python-docx, so the version diff can read them.
    sample = next(d for d in documents if d.kind == "docx")
    text = [p.text for p in docx.Document(str(root / sample.stored_path)).paragraphs]
    assert text[0] == db.session.get(PlanVersion, sample.plan_version_id).plan.title


def _check_versions_and_reviews() -> None:
    """Some plans were revised (major and minor), evaluated, and flagged for revision."""
    plans = _plans()
    counts = Counter(len(plan.versions) for plan in plans)
    assert counts[2] + counts[3] >= 15 and counts[3] >= 2
    later = [v for p in plans for v in p.versions[1:]]
    assert {True, False} == {v.is_major for v in later}
    assert all(v.change_summary for v in later)
    evaluations = list(db.session.scalars(select(Evaluation)))
    assert {e.conclusion for e in evaluations} == set(EvaluationConclusion)
    assert all(e.evaluated_on < TODAY and e.summary for e in evaluations)
    items = list(db.session.scalars(select(RevisionItem)))
    revise = {e.id for e in evaluations if e.conclusion == EvaluationConclusion.REVISE}
    assert revise == {i.evaluation_id for i in items if i.trigger == RevisionTrigger.EVALUATION}
    open_triggers = Counter(i.trigger for i in items if i.closed_on is None)
    assert {RevisionTrigger.EVALUATION, RevisionTrigger.LAW_CHANGED, RevisionTrigger.RISK_CHANGED,
            RevisionTrigger.DRILL_PROBLEMS} <= set(open_triggers), open_triggers
    for item in items:
        assert item.raised_on < TODAY, item
        if item.closed_on is not None:  # closed by the filing of a later version
            version = db.session.get(PlanVersion, item.closed_by_version_id)
            assert version.plan_id == item.plan_id and version.filed_on == item.closed_on
            assert item.raised_on <= item.closed_on
    # An open item is newer than the plan's last filing (a filing closes the items before it).
    for plan in plans:
        filed = [v.filed_on for v in plan.versions if v.filed_on]
        for item in items:
            if item.plan_id == plan.id and item.closed_on is None and filed:
                assert item.raised_on >= max(filed), item


def _check_timestamps() -> None:
    """Rows carry the simulated moments, all before the demo's day."""
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=CHINA).astimezone(UTC)
    for v in _versions():
        assert v.issued_on <= _china_day(v.created_at) and v.created_at < midnight, v
    for plan in _plans():
        assert plan.created_at == plan.versions[0].created_at, plan
    for model, column in ((Document, Document.uploaded_at), (FilingEvent, FilingEvent.at),
                          (Evaluation, Evaluation.created_at)):
        assert db.session.scalar(select(func.max(column))) < midnight, model


def _snapshot() -> dict[str, list[tuple]]:
    """Return the whole demo registry as plain values (no ids or storage paths)."""
    units = [(u.name, u.kind, u.identifier, u.region.code, u.risk_tags_text, u.assessment_class,
              u.address, u.phone) for u in _units()]
    events: dict[int, list] = {}
    for e in db.session.scalars(select(FilingEvent).order_by(FilingEvent.id)):
        events.setdefault(e.version_id, []).append(
            (e.action, e.at, e.reasons, e.comment, e.actor.username if e.actor else None))
    documents: dict[tuple[str, int], list] = {}
    for d in db.session.scalars(select(Document).order_by(Document.id)):
        owner = next((name, value) for name in ("plan_version_id", "evaluation_id", "drill_id",
                                                 "action_id")
                     if (value := getattr(d, name)) is not None)
        documents.setdefault(owner, []).append(
            (d.doc_type, d.original_name, d.sha256, d.size, d.kind, d.uploaded_at))
    plans = []
    for plan in _plans():
        versions = [(v.number, v.issued_on, v.signer_role, v.is_major, v.change_summary,
                     v.filing_state, v.filing_due_on, v.submitted_on, v.review_due_on, v.filed_on,
                     v.filing_number, v.created_at, events.get(v.id),
                     documents.get(("plan_version_id", v.id)))
                    for v in plan.versions]
        evaluations = [(e.evaluated_on, e.conclusion, e.summary,
                        documents.get(("evaluation_id", e.id)))
                       for e in db.session.scalars(select(Evaluation).where(
                           Evaluation.plan_id == plan.id).order_by(Evaluation.id))]
        items = [(i.trigger, i.note, i.raised_on, i.closed_on) for i in db.session.scalars(
            select(RevisionItem).where(RevisionItem.plan_id == plan.id).order_by(RevisionItem.id))]
        plans.append((plan.unit.name, plan.title, plan.category, plan.hazard_class,
                      plan.hazard_subtype, plan.parent.title if plan.parent else None,
                      plan.created_at, versions, evaluations, items))
    return {"units": units, "plans": plans, "drills": _drill_snapshot(documents)}


def _drill_snapshot(documents: dict[tuple[str, int], list]) -> list[tuple]:
    """Return every drill with its plans, changes, documents and corrective actions."""
    changes: dict[int, list] = {}
    for c in db.session.scalars(select(DrillChange).order_by(DrillChange.id)):
        changes.setdefault(c.drill_id, []).append(
            (c.action, c.old_date, c.new_date, c.reason, c.actor.username, c.at))
    action_events: dict[int, list] = {}
    for e in db.session.scalars(select(ActionEvent).order_by(ActionEvent.id)):
        action_events.setdefault(e.action_id, []).append(
            (e.event, e.comment, e.actor.username, e.at))
    actions: dict[int, list] = {}
    for a in db.session.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id)):
        verifier = db.session.get(User, a.verified_by_id).username if a.verified_by_id else None
        actions.setdefault(a.drill_id, []).append(
            (a.title, a.description, a.owner, a.due_on, a.status, a.closed_on, a.closing_note,
             a.verified_on, verifier, a.created_at, action_events.get(a.id),
             documents.get(("action_id", a.id))))
    return [(d.unit.name, d.title, d.status, d.planned_on, d.held_on, d.form, d.scope, d.purpose,
             d.duration_minutes, d.participants, d.evacuation_seconds, d.reported_on, d.summary,
             d.cancel_reason, d.sequence, d.created_at, d.updated_at,
             db.session.get(User, d.created_by_id).username, [p.title for p in d.plans],
             changes.get(d.id), documents.get(("drill_id", d.id)), actions.get(d.id, []))
            for d in _drills()]


# --- drills --------------------------------------------------------------------------------


def _drills() -> list[Drill]:
    return list(db.session.scalars(select(Drill).order_by(Drill.id)))


def _check_drills(summary: DrillSummary) -> None:
    """A year of drills in every status, held ones with believable records, never in the future."""
    drills = _drills()
    assert summary.drills == len(drills)
    states = Counter(d.status for d in drills)
    assert summary.states == {str(s): states[s] for s in DrillStatus if states[s]}
    for state, minimum in DRILL_MINIMUMS.items():
        assert states[state] >= minimum, states
    kinds = {d.unit.kind for d in drills}
    assert set(KIND_RANGES) <= kinds, kinds
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=CHINA).astimezone(UTC)
    changes: dict[int, list[DrillChange]] = {}
    for c in db.session.scalars(select(DrillChange).order_by(DrillChange.id)):
        changes.setdefault(c.drill_id, []).append(c)
    last_year = reported = unreported = 0
    for d in drills:
        history = changes.get(d.id, [])
        actions = [c.action for c in history]
        assert d.created_at <= d.updated_at < midnight, d
        assert all(d.created_at <= c.at < midnight for c in history), d
        assert [c.at for c in history] == sorted(c.at for c in history), d
        assert actions.count("rescheduled") <= 1, d
        for plan in d.plans:  # a drill exercises its own unit's plans, entered before it
            assert plan.unit_id == d.unit_id and plan.created_at < d.created_at, d
        if d.status == DrillStatus.HELD:
            assert date(TODAY.year - 1, 1, 1) <= d.held_on < TODAY, d  # never in the future
            assert actions[-1] == "held" and history[-1].new_date == d.held_on, d
            assert _china_day(history[-1].at) >= d.held_on, d
            assert d.duration_minutes and d.participants and d.summary, d
            if d.unit.kind in SCHOOL_KINDS:
                assert 90 <= d.evacuation_seconds <= 240, d
            else:
                assert d.evacuation_seconds is None, d
            if d.reported_on is not None:
                assert must_report(d.unit) and d.held_on < d.reported_on < TODAY, d
                reported += 1
            elif must_report(d.unit):
                unreported += 1
            last_year += d.held_on.year < TODAY.year
        else:
            assert d.held_on is None and d.duration_minutes is None, d
        if d.status == DrillStatus.PLANNED:  # what is left of this year's drill plans
            assert TODAY <= d.planned_on <= date(TODAY.year, 12, 31), d
        if d.status == DrillStatus.CANCELLED:
            assert d.cancel_reason and actions[-1] == "cancelled", d
            assert history[-1].reason == d.cancel_reason, d
        if "rescheduled" in actions:
            moved = history[actions.index("rescheduled")]
            assert moved.reason and moved.old_date != moved.new_date, d
    assert last_year >= 30 and reported >= 5 and unreported >= 1
    assert sum(d.planned_on.month == 12 for d in drills
               if d.status == DrillStatus.PLANNED) >= 20
    rescheduled = [c for c in changes.values() if "rescheduled" in [x.action for x in c]]
    assert summary.rescheduled == len(rescheduled) >= 5
    assert {c[-1].action for c in rescheduled} == {"rescheduled", "held", "cancelled"}
    assert sum(bool(d.plans) for d in drills) > len(drills) / 3


def _check_drill_documents(app, summary: DrillSummary) -> None:
    """Some held drills have their record documents, some deliberately lack a report."""
    documents = list(db.session.scalars(select(Document).where(
        (Document.drill_id.is_not(None)) | (Document.action_id.is_not(None)))))
    assert summary.documents == len(documents) <= MAX_DRILL_DOCUMENTS
    types = Counter(d.doc_type for d in documents)
    assert set(types) == DRILL_DOC_TYPES | {DocType.ACTION_EVIDENCE}, types
    assert {d.kind for d in documents} == {"pdf", "docx"}
    documented = {d.drill_id for d in documents if d.drill_id}
    assert summary.documented == len(documented) >= 20
    lacking = 0
    for drill_id in documented:
        drill = db.session.get(Drill, drill_id)
        assert drill.status == DrillStatus.HELD, drill
        missing = missing_drill_documents(drill_id)
        assert DocType.DRILL_SCHEME not in missing and len(missing) <= 1, (drill, missing)
        lacking += bool(missing)
    assert summary.lacking_reports == lacking >= 3
    assert len(documented) - lacking >= 10
    # The record's DOCX files open in python-docx and start with the drill's name.
    sample = next(d for d in documents if d.doc_type == DocType.DRILL_SUMMARY)
    drill = db.session.get(Drill, sample.drill_id)
    root = Path(app.config["UPLOAD_ROOT"])
    text = [p.text for p in docx.Document(str(root / sample.stored_path)).paragraphs]
    assert text[0] == f"{drill.unit.name}{drill.title}总结报告"


def _check_actions(summary: DrillSummary) -> None:
    """Corrective actions open (some past due), closed with evidence, verified, and reopened."""
    actions = list(db.session.scalars(select(CorrectiveAction).order_by(CorrectiveAction.id)))
    assert summary.actions == len(actions)
    states = Counter(a.status for a in actions)
    assert summary.action_states == {str(s): states[s] for s in ActionStatus if states[s]}
    for state, minimum in ACTION_MINIMUMS.items():
        assert states[state] >= minimum, states
    opened = [a for a in actions if a.status == ActionStatus.OPEN]
    late = [a for a in opened if a.due_on < TODAY]
    assert summary.overdue_actions == len(late) >= 3 and len(opened) - len(late) >= 3
    events: dict[int, list[ActionEvent]] = {}
    for e in db.session.scalars(select(ActionEvent).order_by(ActionEvent.id)):
        events.setdefault(e.action_id, []).append(e)
    evidence = Counter(db.session.scalars(select(Document.action_id).where(
        Document.action_id.is_not(None))))
    reopened = 0
    for a in actions:
        history = [e.event for e in events.get(a.id, [])]
        assert a.drill.status == DrillStatus.HELD and a.drill.unit_id == a.unit_id, a
        assert a.drill.held_on <= _china_day(a.created_at) and a.due_on >= a.drill.held_on, a
        assert a.owner and a.description, a
        if a.status == ActionStatus.OPEN:
            assert a.closed_on is None and history in ([], ["closed", "reopened"]), a
        if "closed" in history:  # nothing is closed without evidence
            assert evidence[a.id] >= 1, a
        else:
            assert evidence[a.id] == 0, a
        if a.status == ActionStatus.CLOSED:
            assert history == ["closed"] and a.closed_on < TODAY and a.verified_on is None, a
        if a.status == ActionStatus.VERIFIED:
            assert history == ["closed", "verified"], a
            assert a.closed_on < a.verified_on < TODAY, a
            assert db.session.get(User, a.verified_by_id).role == Role.OFFICE, a
        if "reopened" in history:
            comment = events[a.id][-1].comment
            assert comment == names.REOPEN_COMMENT and events[a.id][-1].actor.role == Role.OFFICE
            reopened += 1
    assert reopened >= 1


def _check_compliance() -> None:
    """After a scan the panels show a mix; the demo liaison's school misses May and has work."""
    seed_rules()
    scan(TODAY)
    obligations = list(db.session.scalars(select(Obligation)))
    by_rule: dict[str, Counter] = {}
    for o in obligations:
        by_rule.setdefault(o.rule_code, Counter())[o.status] += 1
    for code in ("R8-D", "R10-D", "R12-D2", "R14-D", "R19-D"):  # some periods met, some missed
        assert by_rule[code]["done"] >= 3 and by_rule[code]["overdue"] >= 1, (code, by_rule[code])
    for code in ("R6-D2", "R7-D", "R12-D"):  # yearly: some done, some still owed this year
        assert by_rule[code]["done"] >= 3 and sum(by_rule[code].values()) > by_rule[code]["done"]
    assert by_rule["G-A"]["overdue"] >= 3 and by_rule["G-A"]["done"] >= 3

    # Schools that drilled (not just the ones that never did) miss some term months.
    schools = {u.id for u in _units() if u.kind == UnitKind.SCHOOL}
    drilled = set(db.session.scalars(select(Drill.unit_id).where(
        Drill.status == DrillStatus.HELD, Drill.held_on >= date(TODAY.year, 1, 1))))
    school_months = [o for o in obligations if o.rule_code == "R8-D" and o.unit_id in schools]
    missed = {o.unit_id for o in school_months if o.status == "overdue"}
    assert len(missed & drilled) >= 5
    assert len((schools & drilled) - missed) >= 5  # and some missed none

    liaison = db.session.scalar(select(User).where(User.username == "liaison"))
    mine = [o for o in obligations if o.unit_id == liaison.unit_id]
    months = {o.period: o.status for o in mine if o.rule_code == "R8-D"}
    assert months[f"{TODAY.year}-05"] == "overdue"
    assert [p for p, status in months.items() if status == "overdue"] == [f"{TODAY.year}-05"]
    assert sum(status == "done" for status in months.values()) >= 7
    may = next(d for d in _drills() if d.unit_id == liaison.unit_id
               and d.planned_on.year == TODAY.year and d.planned_on.month == 5)
    assert may.status == DrillStatus.CANCELLED and may.cancel_reason  # moved once, then called off
    open_actions = db.session.scalars(select(CorrectiveAction).where(
        CorrectiveAction.unit_id == liaison.unit_id,
        CorrectiveAction.status == ActionStatus.OPEN)).all()
    assert len(open_actions) == 1 and TODAY <= open_actions[0].due_on <= TODAY + timedelta(days=7)
    assert [o.status for o in mine if o.rule_code == "G-A" and o.status != "done"] == ["due_soon"]
