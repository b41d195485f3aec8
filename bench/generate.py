"""Deterministic synthetic data at tiny, city or province size, loaded in bulk.

    .venv/bin/python -m bench.generate --size city --database postgresql+psycopg://postgres@127.0.0.1/bench_city
    .venv/bin/python -m bench.generate --size city --database sqlite:////tmp/bench_city.db

The schema comes from the migrations (what ``flask db upgrade`` runs) and the default rules from
``compliance seed-rules``; then every table is written with PostgreSQL COPY or SQLite executemany
in large transactions. The same seed gives the same rows. Dates are relative to ``--today``
(default 2026-11-20) so the status mix (overdue, missing, due soon, done) is reproducible.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bench.common import DEFAULT_TODAY, dialect_of, make_app, psycopg_dsn, sqlite_path

#: Login of the generated accounts (office is scoped to the root region); only for benchmarks.
BENCH_PASSWORD = "bench-yingji-2026"
CHUNK_UNITS = 4000


@dataclass(frozen=True)
class Size:
    cities: int
    counties: int
    towns: int
    villages: int
    schools: int
    enterprises: int
    departments: int


SIZES = {
    "tiny": Size(1, 2, 4, 12, 8, 30, 6),
    "city": Size(1, 6, 160, 1500, 600, 5000, 300),
    "province": Size(13, 130, 1500, 25000, 20000, 100000, 5000),
}

SYLLABLES = "安宁平兴和丰泰庆河山林江源阳东西南北新华长永富民春清明德城岭嫩爱逊孙五大龙"
DEPARTMENTS = ["应急管理局", "教育局", "卫生健康局", "公安局", "自然资源局", "住房和城乡建设局", "交通运输局",
               "水务局", "农业农村局", "商务局", "文化广电和旅游局", "市场监督管理局", "林业和草原局",
               "生态环境局", "民政局", "工业和信息化局", "气象局", "消防救援大队"]
ENTERPRISE_WORDS = ["化工", "建筑", "矿业", "冶金", "物流", "商贸", "热力", "燃气", "供水", "食品", "木业",
                    "粮油", "机械", "电力", "烟花爆竹", "商场", "酒店", "制药", "新能源", "建材"]
SPECIAL_TITLES = ["防汛抗旱", "森林草原防灭火", "地震", "地质灾害", "低温雨雪冰冻", "危险化学品事故",
                  "道路交通事故", "火灾事故", "突发公共卫生事件", "食品安全事故", "停电事件", "大面积停水"]
ONSITE_TITLES = ["储罐泄漏", "有限空间作业", "触电", "机械伤害", "高处坠落", "锅炉爆炸", "粉尘爆炸",
                 "车间火灾", "中毒窒息", "坍塌"]
TAG_PROBABILITIES = [("hazardous_chemicals", 0.08), ("mining", 0.02), ("metal_smelting", 0.02),
                     ("construction", 0.10), ("fireworks", 0.01), ("crowded_place", 0.10),
                     ("lifeline_utility", 0.03), ("key_fire_safety", 0.08),
                     ("medium_or_larger", 0.25)]
#: 生产办法 第33条第二款: these drill every half-year (rule R12-D2).
HALF_YEARLY_TAGS = {"hazardous_chemicals", "mining", "metal_smelting", "construction", "crowded_place"}
SCHOOL_MONTHS = (1, 3, 4, 5, 6, 7, 9, 10, 11, 12)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Every table the generator writes, with its columns in COPY / INSERT order.
COLUMNS = {
    "regions": ("id", "code", "name", "level", "parent_id", "path"),
    "units": ("id", "name", "kind", "region_id", "identifier", "risk_tags", "assessment_class",
              "address", "phone", "is_active", "version", "created_at", "updated_at"),
    "plans": ("id", "unit_id", "title", "category", "hazard_class", "hazard_subtype", "parent_id",
              "current_version_id", "is_archived", "version", "created_at", "updated_at"),
    "plan_versions": ("id", "plan_id", "unit_id", "number", "issued_on", "signer_role",
                      "change_summary", "is_major", "filing_state", "filing_due_on",
                      "filing_due_estimated", "submitted_on", "review_due_on", "filed_on",
                      "filing_number", "created_by_id", "created_at"),
    "evaluations": ("id", "plan_id", "unit_id", "evaluated_on", "conclusion", "summary",
                    "recorded_by_id", "created_at"),
    "revision_items": ("id", "plan_id", "unit_id", "trigger", "note", "raised_on", "raised_by_id",
                       "evaluation_id", "closed_by_version_id", "closed_on"),
    "drills": ("id", "unit_id", "title", "status", "planned_on", "held_on", "form", "scope",
               "purpose", "duration_minutes", "participants", "evacuation_seconds", "reported_on",
               "summary", "cancel_reason", "sequence", "version", "created_by_id", "created_at",
               "updated_at"),
    "drill_plans": ("drill_id", "plan_id"),
    "corrective_actions": ("id", "unit_id", "drill_id", "title", "description", "owner", "due_on",
                           "status", "closed_on", "closing_note", "verified_on", "verified_by_id",
                           "created_at"),
}
# Plans are written before their versions (plans.current_version_id is set afterwards on PostgreSQL).
TABLE_ORDER = ["plans", "plan_versions", "evaluations", "revision_items", "drills", "drill_plans",
               "corrective_actions"]


# ---------------------------------------------------------------------------------------------
# Sinks: where rows go.

class PostgresSink:
    """COPY ... FROM STDIN through psycopg 3, one transaction per chunk."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(psycopg_dsn(url))
        self.conn.execute("SET synchronous_commit = off")

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> None:
        """Point each plan at its newest version, move the id sequences past the loaded ids, analyse."""
        cur = self.conn.cursor()
        # Plans and versions reference each other; the versions did not exist when plans were copied.
        cur.execute("""
            UPDATE plans SET current_version_id = v.id
            FROM plan_versions v
            WHERE v.plan_id = plans.id
              AND v.number = (SELECT max(w.number) FROM plan_versions w WHERE w.plan_id = plans.id)""")
        for table in ["regions", "units", *[t for t in TABLE_ORDER if t != "drill_plans"]]:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        self.conn.commit()
        self.conn.autocommit = True
        # Fresh statistics and visibility map: what autovacuum would give a table after a while.
        cur.execute("VACUUM ANALYZE")
        self.conn.close()


class SqliteSink:
    """executemany in one big transaction per chunk, with synchronous off during the load."""

    def __init__(self, url: str) -> None:
        sqlite3.register_adapter(date, date.isoformat)
        # SQLAlchemy's SQLite storage of the app's UTC datetimes: naive, space-separated.
        sqlite3.register_adapter(datetime, lambda d: d.replace(tzinfo=None).isoformat(" "))
        self.conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-200000")
        self.conn.execute("BEGIN")

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        self.conn.executemany(sql, rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def finish(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The generator.

class Generator:
    """Build rows for one size and seed; ``run`` streams them to a sink chunk by chunk."""

    def __init__(self, size: Size, seed: int, today: date) -> None:
        from emergency.compliance.workdays import WorkdayCalendar

        self.size, self.rng, self.today = size, random.Random(seed), today
        # The same calendar the scan uses on a fresh database (no admin-entered days).
        self.calendar = WorkdayCalendar()
        self.created = datetime(today.year, today.month, today.day, tzinfo=UTC)
        self.years = (today.year - 2, today.year - 1, today.year)
        self.counts: dict[str, int] = {t: 0 for t in ["regions", "units", *TABLE_ORDER]}
        self.ids = {t: 0 for t in TABLE_ORDER}
        self.filing_seq = 0
        self.unique = 0
        self.buffers: dict[str, list] = {t: [] for t in TABLE_ORDER}
        #: town region id -> id of that town's overall plan (上位预案 of its villages' plans).
        self.town_plan: dict[int, int] = {}

    # -- small helpers ------------------------------------------------------------------------
    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def name(self, n: int = 2) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(n))

    def day_between(self, start: date, end: date) -> date:
        span = (end - start).days
        return start + timedelta(days=self.rng.randint(0, max(span, 0)))

    def uscc(self, prefix: str, county_code: str) -> str:
        self.unique += 1
        n, body = self.unique, []
        for _ in range(9):
            n, digit = divmod(n, 31)
            body.append(USCC_ALPHABET[digit])
        head = f"{prefix}{county_code}{''.join(reversed(body))}"
        from emergency.units.identifiers import uscc_check_char

        return head + uscc_check_char(head)

    # -- regions and units --------------------------------------------------------------------
    def regions(self) -> tuple[list[tuple], dict]:
        """Return region rows and {level: [(id, code, path, name)]}."""
        s, rows, levels = self.size, [], {"city": [], "county": [], "town": [], "village": []}
        rows.append((1, "23", "黑龙江省", "province", None, "/23/"))
        rid = 1

        def add(level, code, name, parent_id, path):
            nonlocal rid
            rid += 1
            rows.append((rid, code, name, level, parent_id, path))
            levels[level].append((rid, code, path, name))

        for c in range(s.cities):
            code = f"23{c + 1:02d}" if s.cities > 1 else "2311"
            add("city", code, self.name() + "市", 1, f"/23/{code}/")
        for i in range(s.counties):
            pid, pcode, ppath, _ = levels["city"][i % s.cities]
            code = f"{pcode}{i // s.cities + 1:02d}"
            add("county", code, self.name() + self.rng.choice("县区市"), pid, f"{ppath}{code}/")
        for i in range(s.towns):
            pid, pcode, ppath, pname = levels["county"][i % s.counties]
            code = f"{pcode}{i // s.counties + 1:03d}"
            add("town", code, self.name() + self.rng.choice(["镇", "乡", "街道"]), pid, f"{ppath}{code}/")
        for i in range(s.villages):
            pid, pcode, ppath, _ = levels["town"][i % s.towns]
            code = f"{pcode}{i // s.towns + 1:03d}"
            add("village", code, self.name() + self.rng.choice(["村", "社区"]), pid, f"{ppath}{code}/")
        return rows, levels

    def units(self, levels: dict) -> list[tuple]:
        """Return unit rows: towns, villages, departments, schools, enterprises (in that order)."""
        rng, s, rows = self.rng, self.size, []

        def add(name, kind, region_id, identifier=None, tags=()):
            uid = len(rows) + 1
            tag_text = f",{','.join(sorted(tags))}," if tags else ""
            # 1 % inactive: the scan must skip them.
            active = rng.random() >= 0.01
            klass = rng.choice([1, 2, 3, None])
            rows.append((uid, name, kind, region_id, identifier, tag_text, klass,
                         f"{name}办公地址", f"0456-{rng.randint(1000000, 9999999)}", active, 1,
                         self.created, self.created))

        for rid, _code, _path, name in levels["town"]:
            add(name + ("办事处" if name.endswith("街道") else "人民政府"), "town_street", rid)
        for rid, _code, _path, name in levels["village"]:
            add(name + ("居民委员会" if name.endswith("社区") else "村民委员会"), "village_community", rid)
        for i in range(s.departments):
            rid, code, _path, name = levels["county"][i % s.counties]
            public = rng.random() < 0.1
            dept = DEPARTMENTS[(i // s.counties) % len(DEPARTMENTS)]
            suffix = f"{dept}{'' if i < s.counties * len(DEPARTMENTS) else i}"
            add(name + ("事业服务中心" + str(i) if public else suffix),
                "public_institution" if public else "government_department", rid,
                self.uscc("12" if public else "11", code))
        towns = levels["town"]
        for i in range(s.schools):
            rid, _code, _path, name = rng.choice(towns)
            roll = rng.random()
            kind = "school" if roll < 0.72 else "kindergarten" if roll < 0.98 else "university"
            tags = set()
            if kind != "kindergarten" and rng.random() < 0.15:
                tags.add("boarding_school")
            if rng.random() < 0.10:
                tags.add("key_fire_safety")
            label = {"school": "中学", "kindergarten": "幼儿园", "university": "学院"}[kind]
            prefix = {"school": "21", "kindergarten": "11", "university": "41"}[kind]
            add(f"{name}第{i + 1}{label}", kind, rid, f"{prefix}{i + 1:08d}", tags)
        for i in range(s.enterprises):
            rid, code, _path, name = rng.choice(towns)
            tags = {tag for tag, p in TAG_PROBABILITIES if rng.random() < p}
            word = rng.choice(ENTERPRISE_WORDS)
            add(f"{name}{self.name()}{word}有限公司{i + 1}", "enterprise", rid,
                self.uscc("91", code[:6]), tags)
        return rows

    # -- plans, versions, evaluations ----------------------------------------------------------
    def plan_specs(self, kind: str, tags: set) -> list[tuple[str, str, str]]:
        """Return (category, title, hazard_class) of the plans a unit of this kind holds."""
        rng, specs = self.rng, []
        # 4 % of units lack their required plan: the "missing" status.
        has_main = rng.random() >= 0.04
        if kind == "town_street":
            if has_main:
                specs.append(("overall", "突发事件总体应急预案", "comprehensive"))
            specs += [("special", t + "专项应急预案", "natural")
                      for t in rng.sample(SPECIAL_TITLES, rng.randint(2, 4))]
        elif kind == "village_community":
            if has_main:
                specs.append(("village_brief", "简明应急预案", "comprehensive"))
            if rng.random() < 0.1:
                specs.append(("special", "防汛应急预案", "natural"))
        elif kind in ("school", "kindergarten", "university"):
            if has_main:
                specs.append(("overall", "校园突发事件总体应急预案", "comprehensive"))
            specs += [("special", t, "public_health")
                      for t in rng.sample(["传染病防控应急预案", "消防安全应急预案", "食品安全应急预案"],
                                          rng.randint(0, 2))]
        elif kind == "enterprise":
            if has_main:
                specs.append(("overall", "生产安全事故综合应急预案", "accident"))
            specs += [("special", t + "专项应急预案", "accident")
                      for t in rng.sample(SPECIAL_TITLES[5:], rng.randint(0, 3))]
            onsite = rng.randint(1, 4) if tags & HALF_YEARLY_TAGS else rng.randint(0, 3)
            specs += [("onsite", t + "现场处置方案", "accident") for t in rng.sample(ONSITE_TITLES, onsite)]
            if "hazardous_chemicals" in tags and rng.random() < 0.5:
                specs.append(("environmental", "突发环境事件应急预案", "accident"))
        else:
            if has_main:
                specs.append(("department", "部门应急预案", "comprehensive"))
            specs += [("special", t + "专项应急预案", "natural")
                      for t in rng.sample(SPECIAL_TITLES, rng.randint(1, 3))]
            if rng.random() < 0.1:
                specs.append(("joint", "联合应急预案", "comprehensive"))
        return specs

    def add_plan(self, unit: tuple, category: str, title: str, hazard: str) -> tuple[int, date | None]:
        """Write a plan, its versions, evaluations and revision items; return (id, issued_on)."""
        rng, today = self.rng, self.today
        uid, region_id, county_code = unit[0], unit[3], unit[-1]
        pid = self.next_id("plans")
        parent = self.town_plan.get(region_id) if unit[2] == "village_community" else None
        # 2 % archived: the scan ignores them.
        archived = rng.random() < 0.02
        self.buffers["plans"].append((pid, uid, title, category, hazard, None, parent, None, archived,
                                      1, self.created, self.created))
        # Issue dates over the last six years; 3 % within the last 40 days (filing due soon).
        if rng.random() < 0.03:
            issued = today - timedelta(days=rng.randint(0, 40))
        else:
            issued = self.day_between(today - timedelta(days=6 * 365), today - timedelta(days=41))
        dates = [issued]
        if rng.random() < 0.3 and (today - issued).days > 400:
            dates.append(self.day_between(issued + timedelta(days=365), today))
        majors = [True] + [rng.random() >= 0.3 for _ in dates[1:]]
        latest_major = max(i for i, m in enumerate(majors) if m)
        for number, (issued_on, major) in enumerate(zip(dates, majors, strict=True), start=1):
            if not major:
                state = "not_required"
            elif number - 1 < latest_major:
                state = "filed"
            else:
                state = self.filing_state(issued_on)
            self.add_version(pid, uid, number, issued_on, major, state, county_code)
        current_issue = dates[latest_major]
        self.add_evaluations(pid, uid, current_issue)
        return pid, current_issue

    def filing_state(self, issued: date) -> str:
        roll = self.rng.random()
        if (self.today - issued).days <= 40:
            return "draft" if roll < 0.5 else "submitted" if roll < 0.8 else "filed"
        return ("filed" if roll < 0.82 else "deemed_filed" if roll < 0.85 else
                "submitted" if roll < 0.89 else "returned" if roll < 0.92 else "draft")

    def add_version(self, pid, uid, number, issued, major, state, county_code) -> None:
        rng, today = self.rng, self.today
        due = self.calendar.add_workdays(issued, 20)
        submitted = review = filed = number_text = None
        if state not in ("draft", "not_required"):
            # Most submit within the 20 working days; some late.
            submitted = min(issued + timedelta(days=rng.randint(2, 36)), today)
            review = self.calendar.add_workdays(submitted, 5).date
            if state in ("filed", "deemed_filed"):
                filed = min(submitted + timedelta(days=rng.randint(1, 7)), today)
                self.filing_seq += 1
                number_text = f"{county_code}-{filed.year}-{self.filing_seq:04d}"
        self.buffers["plan_versions"].append((
            self.next_id("plan_versions"), pid, uid, number, issued,
            "principal" if rng.random() < 0.85 else "deputy",
            None if number == 1 else "根据评估结论修订", major, state, due.date, due.estimated,
            submitted, review, filed, number_text, None, self.created))

    def add_evaluations(self, pid: int, uid: int, issued: date) -> None:
        rng, today = self.rng, self.today
        # Evaluations roughly every three years, some late or never: the "evaluate" obligations.
        when = issued + timedelta(days=rng.randint(900, 1200))
        evaluated = []
        while when <= today and rng.random() < 0.75:
            evaluated.append(when)
            when += timedelta(days=rng.randint(900, 1200))
        if not evaluated and rng.random() < 0.15:
            evaluated.append(self.day_between(issued, today))
        for on in evaluated:
            eid = self.next_id("evaluations")
            revise = rng.random() < 0.12
            self.buffers["evaluations"].append((eid, pid, uid, on, "revise" if revise else "keep",
                                                "评估结论", None, self.created))
            if revise:
                self.add_revision(pid, uid, on, "evaluation", eid)
        if rng.random() < 0.02:
            self.add_revision(pid, uid, self.day_between(issued, today), "law_changed", None)

    def add_revision(self, pid, uid, raised, trigger, evaluation_id) -> None:
        closed = raised + timedelta(days=self.rng.randint(20, 150))
        closed = closed if closed <= self.today and self.rng.random() < 0.6 else None
        self.buffers["revision_items"].append((self.next_id("revision_items"), pid, uid, trigger,
                                               None, raised, None, evaluation_id, None, closed))

    # -- drills and corrective actions ---------------------------------------------------------
    def drill_days(self, kind: str, tags: set, plans: list[tuple]) -> list[tuple[date, list[int]]]:
        """Return (planned day, plan ids) of the unit's drills over the three years."""
        rng, result = self.rng, []
        by_cat: dict[str, list[int]] = {}
        for pid, category, _issued in plans:
            by_cat.setdefault(category, []).append(pid)
        main = (by_cat.get("overall") or by_cat.get("village_brief") or by_cat.get("department")
                or [])[:1]

        def maybe(year, month, lo, hi, plan_ids, skip):
            if rng.random() >= skip:
                result.append((date(year, month, rng.randint(lo, hi)), plan_ids))

        for y in self.years:
            if kind == "school":
                for m in SCHOOL_MONTHS:
                    maybe(y, m, 5, 14 if m in (1, 7) else 25, main, 0.07)
            elif kind == "kindergarten":
                for m in (3, 5, 9, 11):
                    maybe(y, m, 3, 25, main, 0.08)
            elif kind == "university":
                maybe(y, 10, 8, 28, main, 0.05)
            elif kind == "village_community":
                maybe(y, rng.randint(5, 8), 1, 28, main, 0.12)
            elif kind == "town_street":
                maybe(y, rng.randint(4, 9), 1, 28, main, 0.05)
            elif kind == "enterprise":
                annual = main or by_cat.get("special", [])[:1]
                maybe(y, rng.randint(3, 11), 1, 28, annual, 0.08)
                if tags & HALF_YEARLY_TAGS:
                    maybe(y, rng.randint(1, 6), 1, 28, annual, 0.1)
                    maybe(y, rng.randint(7, 12), 1, 28, annual, 0.1)
                for pid in by_cat.get("onsite", []):
                    maybe(y, rng.randint(2, 6), 1, 28, [pid], 0.12)
                    maybe(y, rng.randint(8, 12), 1, 28, [pid], 0.12)
            else:
                maybe(y, rng.randint(4, 10), 1, 28, main, 0.5)
                for pid in by_cat.get("special", []) + by_cat.get("department", []):
                    maybe(y, rng.randint(3, 11), 1, 28, [pid], 0.6)
            for pid in by_cat.get("joint", []):
                maybe(y, rng.randint(3, 11), 1, 28, [pid], 0.6)
            if "boarding_school" in tags:
                maybe(y, 4, 1, 28, main, 0.1)
                maybe(y, 11, 1, 28, main, 0.1)
            if "key_fire_safety" in tags:
                maybe(y, 5, 1, 28, main, 0.1)
                maybe(y, 10, 1, 28, main, 0.1)
            if "lifeline_utility" in tags:
                maybe(y, 6, 1, 28, main, 0.1)
        return result

    def add_drills(self, unit: tuple, plans: list[tuple]) -> None:
        rng, today = self.rng, self.today
        uid, kind, tags = unit[0], unit[2], set(filter(None, unit[5].split(",")))
        school = kind in ("school", "kindergarten", "university")
        reported = bool(tags & HALF_YEARLY_TAGS)
        for planned, plan_ids in self.drill_days(kind, tags, plans):
            did = self.next_id("drills")
            held = cancel = None
            if planned > today:
                status = "planned"
            elif rng.random() < 0.01:
                status, cancel = "cancelled", "天气原因取消"
            else:
                status = "held"
                held = min(planned + timedelta(days=rng.randint(-2, 3)), today)
            form = "live" if rng.random() < 0.6 else "tabletop"
            self.buffers["drills"].append((
                did, uid, ("疏散演练" if school else "应急演练") + planned.isoformat(), status, planned,
                held, form, "comprehensive" if rng.random() < 0.3 else "single", "inspection",
                rng.randint(30, 180) if held else None, rng.randint(10, 800) if held else None,
                rng.randint(90, 400) if held and school else None,
                held + timedelta(days=rng.randint(0, 10)) if held and reported else None,
                "演练总结" if held else None, cancel, 0, 1, None, self.created, self.created))
            self.buffers["drill_plans"].extend((did, pid) for pid in plan_ids)
            if held and rng.random() < 0.15:
                self.add_action(uid, did, held)

    def add_action(self, uid: int, did: int, held: date) -> None:
        rng, today = self.rng, self.today
        due = held + timedelta(days=rng.randint(30, 90))
        closed = verified = None
        status = "open"
        if due <= today and rng.random() < 0.75 or due > today and rng.random() < 0.2:
            closed = min(held + timedelta(days=rng.randint(5, 110)), today)
            status = "verified" if rng.random() < 0.6 else "closed"
            verified = min(closed + timedelta(days=3), today) if status == "verified" else None
        self.buffers["corrective_actions"].append((
            self.next_id("corrective_actions"), uid, did, "演练发现问题整改", None,
            "安全员", due, status, closed, "已整改" if closed else None, verified, None, self.created))

    # -- the run --------------------------------------------------------------------------------
    def run(self, sink) -> None:
        region_rows, levels = self.regions()
        sink.write("regions", region_rows)
        self.counts["regions"] = len(region_rows)
        county_of = {rid: path.split("/")[3] for rid, _c, path, _n in
                     levels["county"] + levels["town"] + levels["village"]}
        unit_rows = self.units(levels)
        sink.write("units", unit_rows)
        sink.commit()
        self.counts["units"] = len(unit_rows)
        print(f"  regions {len(region_rows):,}, units {len(unit_rows):,}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        for start in range(0, len(unit_rows), CHUNK_UNITS):
            for row in unit_rows[start:start + CHUNK_UNITS]:
                unit = row + (county_of.get(row[3], "000000"),)
                self.unit_facts(unit)
            self.flush(sink)
            done = min(start + CHUNK_UNITS, len(unit_rows))
            if done % (CHUNK_UNITS * 10) == 0 or done == len(unit_rows):
                print(f"  {done:,} units, {self.counts['drills']:,} drills, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    def unit_facts(self, unit: tuple) -> None:
        tags = set(filter(None, unit[5].split(",")))
        plans = []
        for category, title, hazard in self.plan_specs(unit[2], tags):
            pid, issued = self.add_plan(unit, category, title, hazard)
            plans.append((pid, category, issued))
            if unit[2] == "town_street" and category == "overall":
                self.town_plan[unit[3]] = pid
        self.add_drills(unit, plans)

    def flush(self, sink) -> None:
        for table in TABLE_ORDER:
            rows = self.buffers[table]
            sink.write(table, rows)
            self.counts[table] += len(rows)
            rows.clear()
        sink.commit()


def prepare_schema(url: str, reset: bool) -> None:
    """Create the schema through the migrations, then seed the default rules (as the CLI does)."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, inspect, text

    if dialect_of(url) == "sqlite" and reset and os.path.exists(sqlite_path(url)):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(sqlite_path(url) + suffix):
                os.remove(sqlite_path(url) + suffix)
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = inspect(conn).get_table_names()
        if tables and not reset:
            raise SystemExit(f"{url} is not empty ({len(tables)} tables); pass --reset to replace it")
        if tables and conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = make_app(url)
    with app.app_context():
        from emergency.compliance.seed import seed_rules
        from emergency.extensions import db

        upgrade()
        seed_rules()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def create_accounts(url: str) -> None:
    """Add an admin and an office account scoped to the root region (password BENCH_PASSWORD)."""
    app = make_app(url)
    with app.app_context():
        from flask import g

        from emergency.auth.models import Role, User
        from emergency.auth.services import hash_password
        from emergency.extensions import db

        g.audit_actor = "bench"
        password = hash_password(BENCH_PASSWORD)
        for username, role in (("admin", Role.ADMIN), ("office", Role.OFFICE)):
            db.session.add(User(username=username, display_name=username, role=role,
                                email=f"{username}@yjj.local", password_hash=password,
                                region_id=1 if role == Role.OFFICE else None, locale="zh"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def generate(url: str, size: str, seed: int = 2026, today: date | None = None,
             reset: bool = False, quiet: bool = False) -> dict[str, int]:
    """Build the schema and load one size of synthetic data; return the rows per table."""
    today = today or date.fromisoformat(DEFAULT_TODAY)
    timings = {}
    start = time.perf_counter()
    prepare_schema(url, reset)
    timings["schema"] = time.perf_counter() - start
    sink = PostgresSink(url) if dialect_of(url) == "postgresql" else SqliteSink(url)
    generator = Generator(SIZES[size], seed, today)
    start = time.perf_counter()
    generator.run(sink)
    timings["load"] = time.perf_counter() - start
    start = time.perf_counter()
    sink.finish()
    timings["finish (indexes, analyse)"] = time.perf_counter() - start
    create_accounts(url)
    if not quiet:
        print(f"{size} ({dialect_of(url)}), seed {seed}, as of {today}")
        for table, count in generator.counts.items():
            print(f"  {table:<20} {count:>12,}")
        print(f"  {'total rows':<20} {sum(generator.counts.values()):>12,}")
        for label, seconds in timings.items():
            print(f"  {label:<28} {seconds:8.1f} s")
    return generator.counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="city")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", default=DEFAULT_TODAY, help="the date the data is generated for")
    parser.add_argument("--reset", action="store_true", help="drop everything in the database first")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.database, args.size, args.seed, date.fromisoformat(args.today), args.reset)
    print(f"  {'total':<28} {time.perf_counter() - started:8.1f} s")


if __name__ == "__main__":
    main()
