"""Time the full compliance scan against the raw-SQL floor, with peak memory, and check the counts.

    .venv/bin/python -m bench.scan --database URL [--as-of 2026-11-20] [--runs 3]

Each run times, on the same database:
  floor    one hand-written SQL statement counting obligations per rule and status (bench/floor.py);
  compute  the scan without storing (facts loaded per batch, the date engine, counts);
  scan     the full scan as the nightly job runs it (compute, then replace the stored obligations).
Then a separate pass of the compute-only scan under tracemalloc gives the peak Python heap (the
timed runs stay free of tracemalloc's overhead); max RSS is the process's peak. The counts per rule
and status of the stored obligations must equal the floor's: prints MATCH, or MISMATCH with the
differences and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections import Counter
from datetime import date

from sqlalchemy import func, select, text

from bench.common import DEFAULT_TODAY, dialect_of, make_app, max_rss_mb, median


def floor_counts(dialect: str, as_of: date) -> tuple[Counter, str]:
    """Return {(rule code, status): count} from the floor statement, and the statement."""
    from emergency.compliance.settings import context_for, rule_specs
    from emergency.extensions import db

    from bench.floor import FloorSql

    sql = FloorSql(dialect, rule_specs(as_of), context_for(as_of)).statement()
    rows = db.session.execute(text(sql)).all()
    return Counter({(code, status): count for code, status, count in rows}), sql


def stored_counts() -> Counter:
    """Return {(rule code, status): count} of the obligations the last scan stored."""
    from emergency.compliance.models import Obligation
    from emergency.extensions import db

    rows = db.session.execute(select(Obligation.rule_code, Obligation.status, func.count())
                              .group_by(Obligation.rule_code, Obligation.status)).all()
    return Counter({(code, status): count for code, status, count in rows})


def by_status(counts: Counter) -> Counter:
    totals = Counter()
    for (_code, status), count in counts.items():
        totals[status] += count
    return totals


def compare(floor: Counter, stored: Counter, summary: dict) -> list[str]:
    """Return the differences between the floor, the stored rows and the scan's own summary."""
    problems = [f"{code} {status}: scan {stored.get((code, status), 0)} floor {floor.get((code, status), 0)}"
                for code, status in sorted(set(floor) | set(stored))
                if floor.get((code, status), 0) != stored.get((code, status), 0)]
    totals = by_status(stored)
    problems += [f"summary {status}: {summary.get(status, 0)} stored {totals.get(status, 0)}"
                 for status in sorted(set(totals) | set(summary))
                 if totals.get(status, 0) != summary.get(status, 0)]
    return problems


def run(url: str, as_of: date, runs: int, trace: bool) -> dict:
    from flask import g

    from emergency.compliance.scan import scan
    from emergency.extensions import db

    dialect = dialect_of(url)
    app = make_app(url)
    figures: dict[str, list[float]] = {"floor": [], "compute": [], "scan": [], "compute_cpu": [],
                                       "scan_cpu": []}
    with app.app_context():
        g.audit_actor = "bench"
        units = db.session.scalar(text("SELECT count(*) FROM units WHERE is_active = true"))
        rss_before = max_rss_mb()
        for n in range(runs):
            start = time.perf_counter()
            floor, sql = floor_counts(dialect, as_of)
            figures["floor"].append(time.perf_counter() - start)
            db.session.rollback()

            # CPU seconds of this process too: on a shared machine they vary less than wall time.
            start, cpu = time.perf_counter(), time.process_time()
            scan(as_of, persist=False)
            figures["compute"].append(time.perf_counter() - start)
            figures["compute_cpu"].append(time.process_time() - cpu)
            db.session.rollback()

            start, cpu = time.perf_counter(), time.process_time()
            result = scan(as_of)
            db.session.commit()
            figures["scan"].append(time.perf_counter() - start)
            figures["scan_cpu"].append(time.process_time() - cpu)
            print(f"  run {n + 1}: floor {figures['floor'][-1]:.2f} s, compute "
                  f"{figures['compute'][-1]:.2f} s, scan+store {figures['scan'][-1]:.2f} s",
                  file=sys.stderr, flush=True)
        rss_after = max_rss_mb()
        stored = stored_counts()
        problems = compare(floor, stored, result.summary)
        peak = None
        if trace:
            tracemalloc.start()
            scan(as_of, persist=False)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    med = {k: median(v) for k, v in figures.items()}
    return {
        "database": dialect, "as_of": as_of.isoformat(), "units": units, "runs": runs,
        "obligations": sum(stored.values()), "by_status": dict(by_status(stored)),
        "floor_s": med["floor"], "compute_s": med["compute"], "scan_s": med["scan"],
        "compute_cpu_s": med["compute_cpu"], "scan_cpu_s": med["scan_cpu"],
        "compute_over_floor": med["compute"] / med["floor"], "scan_over_floor": med["scan"] / med["floor"],
        "tracemalloc_peak_mb": peak, "max_rss_mb": rss_after, "rss_before_scan_mb": rss_before,
        "match": not problems, "problems": problems, "floor_sql_chars": len(sql),
    }


def report(f: dict) -> None:
    print(f"compliance scan as of {f['as_of']} on {f['database']}: {f['units']:,} active units, "
          f"{f['obligations']:,} obligations (median of {f['runs']} run(s))")
    print("  by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(f["by_status"].items())))
    print(f"  floor (one SQL statement)   {f['floor_s']:8.2f} s")
    print(f"  scan, compute only          {f['compute_s']:8.2f} s   {f['compute_over_floor']:5.1f}x floor"
          f"   ({f['compute_cpu_s']:.2f} s CPU in this process)")
    print(f"  scan, compute + store       {f['scan_s']:8.2f} s   {f['scan_over_floor']:5.1f}x floor"
          f"   ({f['scan_cpu_s']:.2f} s CPU in this process)")
    if f["tracemalloc_peak_mb"] is not None:
        print(f"  tracemalloc peak (compute)  {f['tracemalloc_peak_mb']:8.1f} MB")
    print(f"  max RSS (process)           {f['max_rss_mb']:8.1f} MB "
          f"(before the scans {f['rss_before_scan_mb']:.1f} MB)")
    if f["match"]:
        print("  counts per rule and status: MATCH")
    else:
        print("  counts per rule and status: MISMATCH")
        for problem in f["problems"]:
            print("    " + problem)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--as-of", default=DEFAULT_TODAY)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--show-sql", action="store_true", help="print the floor statement")
    args = parser.parse_args(argv)
    figures = run(args.database, date.fromisoformat(args.as_of), args.runs, not args.no_tracemalloc)
    report(figures)
    if args.show_sql:
        app = make_app(args.database)
        with app.app_context():
            print(floor_counts(dialect_of(args.database), date.fromisoformat(args.as_of))[1])
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    sys.exit(0 if figures["match"] else 1)


if __name__ == "__main__":
    main()
