"""The assessment workbook, from the page, from a snapshot and from the command line."""

import io
from datetime import datetime

from openpyxl import load_workbook

from emergency.extensions import db
from tests.assessment.conftest import zh
from tests.assessment.test_snapshots import freeze

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def sheet_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows()]


def check_workbook(book) -> None:
    """Chinese headers, identifiers as text, dates as dates, no formula run from any name."""
    summary = book[book.sheetnames[0]]
    assert summary.title == zh("Summary")
    header = [c.value for c in next(summary.iter_rows(max_row=1))]
    assert header[0] == zh("Group") and header[-1] == zh("Grade")
    names = [row[0].value for row in summary.iter_rows(min_row=2)]
    assert {"爱辉区", "北安市"} <= set(names)
    k3 = book[[name for name in book.sheetnames if name.startswith("K3 ")][0]]
    rows = sheet_rows(k3)
    headers = [c.value for c in rows[0]]
    assert headers[3] == zh("Unit") and headers[7] == zh("Issued on")
    school = next(row for row in rows[1:] if row[3].value == "花园小学")
    assert school[5].value == "2123000001" and school[5].number_format == "@"
    assert isinstance(school[7].value, datetime) and school[7].number_format == "yyyy-mm-dd"
    assert school[7].value.date().isoformat() == "2026-02-02"
    assert school[11].value == zh("Yes")
    evil = next(row for row in sheet_rows(book[[n for n in book.sheetnames if n.startswith("K1 ")][0]])[1:]
                if "HYPERLINK" in str(row[3].value))
    assert evil[3].value.startswith("'=") and evil[3].data_type == "s"


def add_evil_unit(world, make_unit):
    make_unit(world.tree.town_a, name='=HYPERLINK("http://x.example","点我")', kind="village_community")
    from emergency.compliance.scan import scan
    from tests.assessment.conftest import TODAY

    scan(TODAY)
    db.session.commit()


def test_page_workbook(world, login, make_unit):
    add_evil_unit(world, make_unit)
    response = login(world.office_city).get("/assessment/export.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    check_workbook(open_workbook(response.data))


def test_snapshot_workbook(world, login, make_unit):
    add_evil_unit(world, make_unit)
    client = login(world.office_city)
    snapshot_id = freeze(client, title="报省快照")
    response = client.get(f"/assessment/snapshots/{snapshot_id}/export.xlsx")
    assert response.status_code == 200
    book = open_workbook(response.data)
    check_workbook(book)
    notes = [row[1] for row in book[zh("Notes")].iter_rows(values_only=True) if row[0] == zh("Snapshot")]
    assert notes == [f"#{snapshot_id} 报省快照"]


def test_cli_writes_the_workbook_of_the_whole_city(world, runner, tmp_path, make_unit):
    add_evil_unit(world, make_unit)
    out = tmp_path / "考核.xlsx"
    result = runner.invoke(args=["assessment", "export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    check_workbook(book)
    # No --region: the whole city, by county.
    names = [row[0].value for row in book[zh("Summary")].iter_rows(min_row=2)]
    assert names[0] == "黑河市"


def test_cli_region_narrows_and_snapshot_exports(world, runner, tmp_path, login):
    out = tmp_path / "aihui.xlsx"
    result = runner.invoke(args=["assessment", "export", "--year", "2026", "--region", "231102",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {row[0].value for row in load_workbook(out)[zh("Summary")].iter_rows(min_row=2)}
    assert "花园街道" in names and "赵光镇" not in names
    snapshot_id = freeze(login(world.office_city))
    out = tmp_path / "snapshot.xlsx"
    result = runner.invoke(args=["assessment", "export", "--snapshot", str(snapshot_id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_cli_errors_write_nothing(world, runner, tmp_path):
    cases = [
        (["--region", "999999"], "Unknown region code 999999."),
        (["--year", "2020"], "No assessment data for 2020"),
        (["--snapshot", "12345"], "No snapshot #12345."),
    ]
    for args, message in cases:
        out = tmp_path / "never.xlsx"
        result = runner.invoke(args=["assessment", "export", *args, "--out", str(out)])
        assert result.exit_code == 1, args
        assert message in result.output
        assert not out.exists()
    assert list(tmp_path.iterdir()) == []
