"""Readable and JSON reports of a scan, for the CLI and the API."""

import json
from collections import Counter

import click
from flask_babel import gettext as _
from sqlalchemy import select

from emergency.compliance.facts import STATUS_URGENCY
from emergency.compliance.scan import ScanResult, scan
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit


def scan_items(day, region, persist: bool = True):
    """Run the scan and return it with items joined to unit names and region codes."""
    result = scan(day, region=region, persist=persist, keep=True)
    ids = sorted({o.unit_id for o in result.obligations})
    units = {}
    for chunk in range(0, len(ids), 5000):
        rows = db.session.execute(
            select(Unit.id, Unit.name, Unit.identifier, Region.code).join(Unit.region)
            .where(Unit.id.in_(ids[chunk:chunk + 5000])))
        units.update({r.id: r for r in rows})
    items = [_item(o, units[o.unit_id]) for o in result.obligations]
    items.sort(key=lambda i: (i["due_on"] or "9999", i["unit_id"], i["rule_code"]))
    return result, items


def _item(o, unit) -> dict:
    return {"unit_id": o.unit_id, "unit_name": unit.name, "unit_code": unit.identifier,
            "region_code": unit.code, "rule_code": o.rule_code, "obligation": str(o.kind),
            "subject": o.subject, "due_on": o.due_on.isoformat() if o.due_on else None,
            "status": str(o.status), "citation": o.citation}


def summary_of(result: ScanResult) -> dict:
    """Return {status: count} for every status, zeros included, most urgent first."""
    counts = Counter(result.summary)
    return {str(status): counts.get(status, 0) for status in STATUS_URGENCY}


def print_json(result: ScanResult, items) -> None:
    """Print the scan as the documented JSON object."""
    click.echo(json.dumps({
        "as_of": result.as_of.isoformat(), "assessment_date": result.assessment_date.isoformat(),
        "summary": summary_of(result), "items": items,
    }, ensure_ascii=False, indent=1))


def print_table(result: ScanResult, items) -> None:
    """Print the scan as a readable table of what needs attention, in the current language."""
    from emergency.compliance.labels import STATUSES

    click.echo(_("Compliance as of %(day)s (assessment date %(assessment)s), %(units)s units",
                 day=result.as_of.isoformat(), assessment=result.assessment_date.isoformat(),
                 units=result.units))
    for status, count in summary_of(result).items():
        click.echo(f"  {STATUSES.get(status, status)}: {count}")
    for item in items:
        if item["status"] in ("done", "not_applicable"):
            continue
        click.echo(f"{item['due_on'] or '—':10}  {STATUSES.get(item['status'], item['status'])}  "
                   f"{item['rule_code']:7} {item['unit_name']} · {item['subject']}")
