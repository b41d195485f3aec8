"""`flask assessment export`: the assessment workbook from the command line, for scheduled use."""

import os
import sys
import tempfile
from pathlib import Path

import click
from flask import g
from flask.cli import AppGroup
from sqlalchemy import select

from emergency.assessment import services
from emergency.assessment.indicators import MEASURES, SCAN_MEASURES, Grouping, Scope, evidence_rows, evidence_stmt
from emergency.assessment.models import AssessmentSnapshot
from emergency.assessment.workbook import build_workbook
from emergency.clock import china_today
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel

assessment_cli = AppGroup("assessment", help="Year-end assessment.")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _default_region() -> Region | None:
    """Return the city when the registry holds exactly one, else None (every region)."""
    cities = db.session.scalars(select(Region).where(Region.level == RegionLevel.CITY).limit(2)).all()
    return cities[0] if len(cities) == 1 else None


def _write(path: str, data: bytes) -> None:
    """Write the file atomically, so a failure never leaves half a workbook behind."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", suffix=".part")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, target)


def _live_workbook(year: int, region: Region | None, grouping: Grouping) -> bytes:
    cutoff = services.cutoff_for(year, china_today())
    scope = Scope(None, region, grouping, year, cutoff)
    assessment = services.compute(scope, services.load_scheme(year))
    if not assessment.has_data:
        _fail(f"No assessment data for {year}" + (f" in {region.code} {region.name}." if region else "."))
    usable = [c for c in MEASURES if c not in SCAN_MEASURES or assessment.scan_usable]
    return build_workbook(assessment, {code: evidence_rows(evidence_stmt(scope, code)) for code in usable})


def _snapshot_workbook(snapshot_id: int, year: int | None, region: Region | None,
                       grouping: Grouping) -> bytes:
    from emergency.assessment.assessment_views import snapshot_workbook

    snapshot = db.session.get(AssessmentSnapshot, snapshot_id)
    if snapshot is None:
        _fail(f"No snapshot #{snapshot_id}.")
    if (year is not None and snapshot.year != year) or (region is not None and snapshot.region_id != region.id):
        _fail(f"Snapshot #{snapshot_id} is of {snapshot.year} for {snapshot.region.code}, "
              "not the year or region asked for.")
    return snapshot_workbook(snapshot, grouping)


@assessment_cli.command("export")
@click.option("--year", type=int, help="Assessment year (default: this year; a snapshot's own year).")
@click.option("--region", "region_code", help="Region code (default: the whole city).")
@click.option("--snapshot", "snapshot_id", type=int, help="Export a frozen snapshot instead.")
@click.option("--grouping", type=click.Choice([g.value for g in Grouping]), help="Groups on the summary sheet.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The .xlsx file to write.")
def export(year, region_code, snapshot_id, grouping, out) -> None:
    """Write the assessment workbook (summary and evidence per indicator) to an .xlsx file."""
    g.audit_actor = "cli"
    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code.strip()))
        if region is None:
            _fail(f"Unknown region code {region_code}.")
    if snapshot_id is not None:
        data = _snapshot_workbook(snapshot_id, year, region, Grouping(grouping or "county"))
    else:
        region = region or _default_region()
        chosen = Grouping(grouping) if grouping else (
            Grouping.TOWN if region is not None and region.level in (RegionLevel.COUNTY, RegionLevel.TOWN)
            else Grouping.COUNTY)
        data = _live_workbook(year or china_today().year, region, chosen)
    _write(out, data)
    click.echo(f"Wrote {out} ({len(data)} bytes).")
