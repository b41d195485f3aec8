"""Province-scale timing of the assessment (printed, not asserted). Runs only when asked:

    ASSESSMENT_BENCH_UNITS=150000 .venv/bin/python -m pytest -p no:cacheprovider \
        tests/assessment/test_benchmark.py -s

Synthetic rows are written with bulk INSERTs: about 3.3 plans and versions per unit, one stored
obligation per plan for filing and for evaluation, monthly drill obligations for schools,
half-yearly ones for firms, held drills with documents, corrective actions and revision items.
"""

import os
import random
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from emergency.assessment.indicators import MEASURES, Grouping, Scope, totals
from emergency.assessment.services import compute, load_scheme
from emergency.compliance.models import Obligation, Rule, ScanRun
from emergency.documents.models import Document
from emergency.drills.models import CorrectiveAction, Drill, drill_plans
from emergency.extensions import db
from emergency.plans.models import Plan, PlanVersion, RevisionItem
from emergency.regions.models import Region
from emergency.units.models import Unit

UNITS = int(os.environ.get("ASSESSMENT_BENCH_UNITS") or 0)
TODAY = date(2026, 11, 20)
KINDS = ["village_community"] * 8 + ["enterprise"] * 5 + ["school"] * 3 + ["town_street", "government_department",
                                                                         "kindergarten", "public_institution"]


def _regions() -> list[tuple[int, str]]:
    """Insert a province of 13 cities × 10 counties × 10 towns; return (town id, path)."""
    rows, next_id = [dict(id=1, code="23", name="省", level="province", parent_id=None, path="/23/")], 2
    towns = []
    for c in range(1, 14):
        city = f"23{c:02d}"
        rows.append(dict(id=next_id, code=city, name=f"市{c}", level="city", parent_id=1, path=f"/23/{city}/"))
        city_id, next_id = next_id, next_id + 1
        for k in range(1, 11):
            county = f"{city}{k:02d}"
            rows.append(dict(id=next_id, code=county, name=f"县{c}-{k}", level="county", parent_id=city_id,
                             path=f"/23/{city}/{county}/"))
            county_id, next_id = next_id, next_id + 1
            for t in range(1, 11):
                town = f"{county}{t:03d}"
                path = f"/23/{city}/{county}/{town}/"
                rows.append(dict(id=next_id, code=town, name=f"镇{town}", level="town",
                                 parent_id=county_id, path=path))
                towns.append((next_id, path))
                next_id += 1
    db.session.execute(insert(Region), rows)
    return towns


def _obligation(**fields) -> dict:
    """Every row needs the same keys for one executemany."""
    return {"plan_id": None, "period": None, "due_on": None, "estimated": False, "rule_id": 1,
            "citation": "x", "as_of": TODAY, "evidence": {}, **fields}


def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 20000):
        db.session.execute(insert(model.__table__), rows[start:start + 20000])


def _day(rng: random.Random, start: date, span: int) -> date:
    return start + timedelta(days=rng.randrange(span))


def _populate(rng: random.Random) -> dict:
    towns = _regions()
    db.session.add(Rule(id=1, code="X", title="x", kind="have_plan", citation="x"))
    db.session.flush()
    units, plans, versions, obligations = [], [], [], []
    plan_id = 0
    for uid in range(1, UNITS + 1):
        kind = rng.choice(KINDS)
        region_id, _path = rng.choice(towns)
        tags = ",hazardous_chemicals," if kind == "enterprise" and rng.random() < 0.2 else ""
        units.append(dict(id=uid, name=f"单位{uid}", kind=kind, region_id=region_id, risk_tags=tags,
                          is_active=True, version=1))
        count = rng.choice((2, 3, 3, 4, 5)) if rng.random() < 0.85 else 0
        obligations.append(_obligation(unit_id=uid, rule_code="R-P", kind="have_plan",
                                       status="done" if count else "missing", subject="overall"))
        for _ in range(count):
            plan_id += 1
            issued = _day(rng, date(2022, 1, 1), 1750)
            due = issued + timedelta(days=28)
            filed = rng.random() < 0.7
            plans.append(dict(id=plan_id, unit_id=uid, title=f"预案{plan_id}",
                              category=rng.choice(("overall", "special", "special", "onsite")),
                              hazard_class="natural", is_archived=False, version=1))
            versions.append(dict(id=plan_id, plan_id=plan_id, unit_id=uid, number=1, issued_on=issued,
                                 signer_role="principal", is_major=True,
                                 filing_state="filed" if filed else "draft", filing_due_on=due,
                                 submitted_on=issued + timedelta(days=rng.randrange(40)) if filed else None,
                                 filed_on=issued + timedelta(days=45) if filed else None))
            for kind_, status in (("file_plan", "done"), ("evaluate", rng.choice(("done", "overdue")))):
                obligations.append(_obligation(unit_id=uid, plan_id=plan_id, rule_code="R", kind=kind_,
                                               status=status, subject=f"预案{plan_id}", due_on=due))
        months = {"school": range(1, 11), "enterprise": (6, 12)}.get(kind, ())
        for month in months:
            end = date(2026, month, 28)
            held = rng.random() < 0.75
            obligations.append(_obligation(unit_id=uid, rule_code="R8-D", kind="drill_period",
                                           status="done" if held else "overdue",
                                           subject=f"2026-{month:02d}", period=f"2026-{month:02d}",
                                           due_on=end, evidence={"required": 1, "held": int(held)}))
    _bulk(Unit, units)
    _bulk(Plan, plans)
    _bulk(PlanVersion, versions)
    _bulk(Obligation, obligations)
    drills, links, documents, actions, revisions = [], [], [], [], []
    for drill_id in range(1, UNITS * 2 + 1):
        uid = rng.randrange(1, UNITS + 1)
        held = _day(rng, date(2026, 1, 1), 320)
        drills.append(dict(id=drill_id, unit_id=uid, title="演练", status="held", planned_on=held,
                           held_on=held, form="live", scope="single", purpose="inspection", sequence=0,
                           version=1, reported_on=held if rng.random() < 0.5 else None))
        if drill_id <= plan_id:
            links.append(dict(drill_id=drill_id, plan_id=rng.randrange(1, plan_id + 1)))
        if rng.random() < 0.3:
            for doc_type in ("drill_scheme", "drill_assessment", "drill_summary"):
                documents.append(dict(unit_id=uid, drill_id=drill_id, doc_type=doc_type, original_name="a.pdf",
                                      stored_path=f"b/{drill_id}{doc_type}", sha256="0" * 64, size=1,
                                      kind="pdf"))
        if rng.random() < 0.1:
            due = _day(rng, date(2026, 1, 1), 360)
            actions.append(dict(unit_id=uid, drill_id=drill_id, title="整改", owner="x", due_on=due,
                                status="open", closed_on=due if rng.random() < 0.6 else None))
    for item in range(UNITS // 10):
        pid = rng.randrange(1, plan_id + 1)
        raised = _day(rng, date(2025, 9, 1), 420)
        revisions.append(dict(plan_id=pid, unit_id=plans[pid - 1]["unit_id"], trigger="other",
                              raised_on=raised, closed_on=raised + timedelta(days=rng.randrange(200))))
    _bulk(Drill, drills)
    db.session.execute(insert(drill_plans), links)
    _bulk(Document, documents)
    _bulk(CorrectiveAction, actions)
    _bulk(RevisionItem, revisions)
    db.session.add(ScanRun(as_of=TODAY, units=UNITS, summary={}))
    db.session.commit()
    return {"units": UNITS, "plans": plan_id, "obligations": len(obligations), "drills": len(drills)}


@pytest.mark.skipif(not UNITS, reason="set ASSESSMENT_BENCH_UNITS to run the benchmark")
def test_assessment_at_province_scale(app):
    app.config["TODAY"] = TODAY.isoformat()
    started = time.perf_counter()
    counts = _populate(random.Random(2311))
    print(f"\ndata: {counts} written in {time.perf_counter() - started:.0f} s "
          f"({db.engine.dialect.name})")
    from sqlalchemy import select

    province = db.session.scalar(select(Region).where(Region.code == "23"))
    city = db.session.scalar(select(Region).where(Region.code == "2301"))
    for region, grouping in ((province, Grouping.COUNTY), (province, Grouping.TOWN),
                             (province, Grouping.DEPARTMENT), (city, Grouping.COUNTY)):
        scope = Scope(None, region, grouping, 2026, TODAY)
        compute(scope, load_scheme(2026))  # warm the caches once, as a running server has them
        started = time.perf_counter()
        result = compute(scope, load_scheme(2026))
        elapsed = time.perf_counter() - started
        print(f"{region.name} by {grouping}: {len(result.groups)} groups in {elapsed * 1000:.0f} ms")
    scope = Scope(None, province, Grouping.COUNTY, 2026, TODAY)
    for code in MEASURES:
        started = time.perf_counter()
        totals(scope, code)
        print(f"  {code}: {(time.perf_counter() - started) * 1000:.0f} ms")
    db.session.rollback()
