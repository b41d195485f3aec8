"""20 000 unit rows and 20 000 drill rows: time and peak Python memory of a dry run and of the
apply (printed, not asserted). It takes minutes, so it runs only when asked:

    IMPORT_PERF_ROWS=20000 .venv/bin/python -m pytest -p no:cacheprovider \
        tests/imports/test_perf.py -s
"""

import os
import time
import tracemalloc

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from emergency.extensions import db
from emergency.imports import services
from emergency.units.models import Unit
from tests.factories import valid_uscc
from tests.imports.files import UNIT_HEADERS

ROWS = int(os.environ.get("IMPORT_PERF_ROWS") or 0)
MiB = 1024 * 1024


def big_workbook(path, rows: int):
    """Write rows of units (about a tenth without a code) in write-only mode, as Excel would."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("单位")
    sheet.append(["2025年单位名册"])
    sheet.append(UNIT_HEADERS[:8])
    regions = ["231102001", "黑河市/爱辉区/花园街道", "231181100", "231102001001"]
    for i in range(rows):
        if i % 10 == 9:
            sheet.append([f"村民委员会{i}", "村（社区）", "231181100201"])
        else:
            sheet.append([f"测试企业{i:05d}有限公司", "企业", regions[i % 4],
                          valid_uscc("231102", 300_000 + i), "危险化学品" if i % 7 == 0 else "",
                          "二类" if i % 5 == 0 else "", f"工业路{i}号", f"0456-{i:07d}"])
    workbook.save(path)
    return path


def measure(action):
    """Run action twice: once timed, once under tracemalloc (which slows Python down)."""
    started = time.perf_counter()
    result = action(traced=False)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        action(traced=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, seconds, peak


@pytest.mark.slow
@pytest.mark.skipif(not ROWS, reason="set IMPORT_PERF_ROWS=20000 to measure a large import")
def test_large_unit_import(tree, office_city, tmp_path, capsys):
    path = big_workbook(tmp_path / "big.xlsx", ROWS)
    size = path.stat().st_size

    def dry_run(traced):
        return services.run_import("units", path, "xlsx", office_city, file_name=path.name)

    report, dry_seconds, dry_peak = measure(dry_run)
    assert report.counts["create"] == ROWS and report.error_count == 0, report.errors[:5]

    def apply(traced):
        result = services.run_import("units", path, "xlsx", office_city, file_name=path.name,
                                     apply=True)
        assert result.applied
        if traced:
            db.session.rollback()  # measured the same work; keep the timed run's data
        else:
            db.session.commit()
        return result

    # Peak first (rolled back), then the timed run that is committed.
    tracemalloc.start()
    try:
        apply(traced=True)
        _, apply_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert db.session.scalar(select(func.count(Unit.id))) == 0
    started = time.perf_counter()
    apply(traced=False)
    apply_seconds = time.perf_counter() - started
    assert db.session.scalar(select(func.count(Unit.id))) == ROWS

    started = time.perf_counter()
    again = services.run_import("units", path, "xlsx", office_city, file_name=path.name)
    reimport_seconds = time.perf_counter() - started
    assert again.counts["unchanged"] == ROWS

    with capsys.disabled():
        print(f"\n{ROWS} unit rows, {size / MiB:.1f} MiB xlsx, {db.engine.dialect.name}:"
              f"\n  dry run   {dry_seconds:6.1f} s  peak {dry_peak / MiB:6.1f} MiB"
              " (tracemalloc)"
              f"\n  apply     {apply_seconds:6.1f} s  peak {apply_peak / MiB:6.1f} MiB"
              " (tracemalloc)"
              f"\n  re-import {reimport_seconds:6.1f} s  (dry run, all unchanged)")


def big_drill_register(path, rows: int, codes: list[str], plan_titles: dict[str, str]):
    """Write rows of held drills, a few per unit, in write-only mode as Excel would."""
    from tests.imports.files import DRILL_HEADERS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("演练台账")
    sheet.append(["2025年演练台账"])
    sheet.append(DRILL_HEADERS)
    forms, scopes = ["实战演练", "桌面推演"], ["单项演练", "综合演练"]
    for i in range(rows):
        code = codes[i % len(codes)]
        month, day = 1 + (i // len(codes)) % 12, 1 + i % 28
        sheet.append([code, "", "", f"第{i}次演练", plan_titles[code] if i % 3 == 0 else "",
                      f"2025年{month}月{day}日", forms[i % 2], scopes[i % 3 % 2], "",
                      f"{30 + i % 90}", f"{10 + i % 500}人", "", "", "演练顺利"])
    workbook.save(path)
    return path


@pytest.mark.slow
@pytest.mark.skipif(not ROWS, reason="set IMPORT_PERF_ROWS=20000 to measure a large import")
def test_large_drill_import(tree, office_city, tmp_path, capsys):
    """ROWS drills of ROWS / 4 enterprises (each with one plan), imported as one register."""
    from emergency.drills.models import Drill
    from emergency.plans.models import Plan
    from emergency.units.models import Unit

    units = max(ROWS // 4, 1)
    codes, plan_titles = [], {}
    for i in range(units):
        code = valid_uscc("231102", 600_000 + i)
        unit = Unit(name=f"演练企业{i:05d}", kind="enterprise", region_id=tree.town_a.id,
                    identifier=code)
        db.session.add(unit)
        db.session.flush()
        db.session.add(Plan(unit_id=unit.id, title=f"演练企业{i:05d}综合应急预案",
                            category="overall", hazard_class="comprehensive"))
        codes.append(code)
        plan_titles[code] = f"演练企业{i:05d}综合应急预案"
    db.session.commit()
    path = big_drill_register(tmp_path / "drills.xlsx", ROWS, codes, plan_titles)
    size = path.stat().st_size

    def dry_run(traced):
        return services.run_import("drills", path, "xlsx", office_city, file_name=path.name)

    report, dry_seconds, dry_peak = measure(dry_run)
    assert report.counts["create"] == ROWS and report.error_count == 0, report.errors[:5]

    tracemalloc.start()
    try:
        traced = services.run_import("drills", path, "xlsx", office_city, file_name=path.name,
                                     apply=True)
        assert traced.applied
        _, apply_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Drill.id))) == 0
    started = time.perf_counter()
    applied = services.run_import("drills", path, "xlsx", office_city, file_name=path.name,
                                  apply=True)
    assert applied.applied
    db.session.commit()
    apply_seconds = time.perf_counter() - started
    assert db.session.scalar(select(func.count(Drill.id))) == ROWS

    started = time.perf_counter()
    again = services.run_import("drills", path, "xlsx", office_city, file_name=path.name)
    reimport_seconds = time.perf_counter() - started
    assert again.counts["unchanged"] == ROWS

    with capsys.disabled():
        print(f"\n{ROWS} drill rows ({units} units), {size / MiB:.1f} MiB xlsx, "
              f"{db.engine.dialect.name}:"
              f"\n  dry run   {dry_seconds:6.1f} s  peak {dry_peak / MiB:6.1f} MiB"
              " (tracemalloc)"
              f"\n  apply     {apply_seconds:6.1f} s  peak {apply_peak / MiB:6.1f} MiB"
              " (tracemalloc; includes the compliance recompute)"
              f"\n  re-import {reimport_seconds:6.1f} s  (dry run, all unchanged)")
