"""Benchmark the circular's figures at province scale; prints timings, asserts nothing.

    PYTHONPATH=. .venv/bin/python tests/circulars/bench_circular.py [--units 150000] [--url URL]

Builds a synthetic province (13 cities × 10 counties × 10 towns) with UNITS units and about eight
stored obligations per unit (15 % of them overdue or missing), as the nightly scan would leave
them, then times the stored (current-month) figures per scope, the engine recomputation of last
month for a county and a city, and the DOCX of a city's circular. Not collected by pytest.

The synthetic units have no plans or drills, so the engine figures are a lower bound: on the demo
data (real plans, drills, actions) the engine costs about 0.65 ms per unit.
"""

import argparse
import random
import tempfile
import time
from datetime import date

from sqlalchemy import func, insert, select

from config import TestingConfig
from emergency import create_app
from emergency.auth.models import Role, User
from emergency.circulars.document import circular_docx
from emergency.circulars.figures import Month, computed_snapshot, stored_snapshot
from emergency.circulars.report import arrange, build_circular
from emergency.compliance.models import Obligation, Rule
from emergency.compliance.seed import seed_rules
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit

TODAY = date(2026, 11, 20)
KINDS = ["enterprise", "school", "village_community", "town_street", "government_department",
         "kindergarten", "public_institution"]
OBLIGATION_KINDS = ["have_plan", "file_plan", "evaluate", "revise", "drill_period",
                    "drill_interval", "close_actions"]


def timed(label: str, func, *args):
    start = time.perf_counter()
    result = func(*args)
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s")
    return result


def build_regions() -> list[Region]:
    rows = [dict(code="23", name="黑龙江省", level="province", path="/23/")]
    for c in range(1, 14):
        city = f"23{c:02d}"
        rows.append(dict(code=city, name=f"第{c}市", level="city", path=f"/23/{city}/"))
        for k in range(1, 11):
            county = f"{city}{k:02d}"
            rows.append(dict(code=county, name=f"第{c}市第{k}县", level="county",
                             path=f"/23/{city}/{county}/"))
            for t in range(1, 11):
                town = f"{county}{t:03d}"
                rows.append(dict(code=town, name=f"第{k}县第{t}镇", level="town",
                                 path=f"/23/{city}/{county}/{town}/"))
    db.session.execute(insert(Region), rows)
    towns = select(Region).where(Region.level == "town").order_by(Region.id)
    return db.session.scalars(towns).all()


def build_units(towns: list[Region], count: int) -> None:
    rng = random.Random(7)
    for start in range(0, count, 20000):
        db.session.execute(insert(Unit), [
            dict(name=f"单位{i:06d}", kind=rng.choice(KINDS), region_id=towns[i % len(towns)].id,
                 risk_tags_text="", is_active=True, version=1)
            for i in range(start, min(count, start + 20000))])


def build_obligations(rule_id: int) -> int:
    rng, total = random.Random(11), 0
    ids = db.session.scalars(select(Unit.id).order_by(Unit.id)).all()
    batch = []
    for unit_id in ids:
        for n in range(8):
            kind = OBLIGATION_KINDS[n % len(OBLIGATION_KINDS)]
            roll = rng.random()
            status = "missing" if kind == "have_plan" and roll < 0.1 else (
                "overdue" if roll < 0.15 else "done")
            batch.append(dict(unit_id=unit_id, rule_id=rule_id, rule_code=f"R{n}", kind=kind,
                              status=status, subject="综合应急预案", period=f"2026-{n + 1:02d}",
                              due_on=date(2026, n + 1, 28), estimated=False, citation="bench",
                              evidence={"action_id": n} if kind == "close_actions" else {},
                              as_of=TODAY))
        if len(batch) >= 40000:
            db.session.execute(insert(Obligation), batch)
            total, batch = total + len(batch), []
    if batch:
        db.session.execute(insert(Obligation), batch)
        total += len(batch)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=150_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    overrides = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**overrides, "SQLALCHEMY_DATABASE_URI": url, "TODAY": TODAY.isoformat(),
                      "LIVE_RECOMPUTE": False})
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        db.drop_all()
        db.create_all()
        seed_rules()
        towns = timed("regions", build_regions)
        timed(f"{args.units} units", build_units, towns, args.units)
        rule_id = db.session.scalar(select(func.min(Rule.id)))
        rows = timed("stored obligations", build_obligations, rule_id)
        db.session.commit()
        print(f"{rows} stored obligations")
        admin = User(username="bench", display_name="bench", email="b@b.local", role=Role.ADMIN,
                     password_hash="x")
        db.session.add(admin)
        db.session.commit()
        province = db.session.scalar(select(Region).where(Region.code == "23"))
        city = db.session.scalar(select(Region).where(Region.code == "2301"))
        county = db.session.scalar(select(Region).where(Region.code == "230101"))
        for region in (province, city, county):
            snap = timed(f"stored figures, {region.name} ({region.level})", stored_snapshot,
                         admin, region)
            print(f"    {len(snap.items)} units with {snap.total} overdue items")
        # Without statistics SQLite reads every overdue row through the status index, even for
        # one county; with them it starts from the county's units.
        timed("ANALYZE", lambda: (db.session.execute(db.text("ANALYZE")), db.session.commit()))
        for region in (province, city, county):
            timed(f"stored figures after ANALYZE, {region.name}", stored_snapshot, admin, region)
        empty = computed_snapshot(admin, county, date(2026, 10, 31))
        timed("arrange province (stored vs. an empty baseline)", arrange, province, Month(2026, 11),
              stored_snapshot(admin, province), empty)
        timed("engine recompute of 2026-10-31, one county", computed_snapshot, admin, county,
              date(2026, 10, 31))
        timed("engine recompute of 2026-10-31, one city", computed_snapshot, admin, city,
              date(2026, 10, 31))
        circular = timed("whole circular, one city (stored + recompute)", build_circular, admin,
                         city, Month(2026, 11), TODAY)
        text = {"title": "关于2026年11月应急预案管理工作情况的通报", "addressees": "",
                "lead": ["导语"], "improvements": ["进展"], "requirements": ["要求"],
                "issuer": "应急管理局", "issued_on": "2026年11月20日"}
        data = timed(f"DOCX of that city ({circular.units} units listed)", circular_docx,
                     circular, text)
        print(f"    {len(data) // 1024} KiB")


if __name__ == "__main__":
    main()
