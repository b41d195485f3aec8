"""`flask compliance ...`: seed the rules and run the scan from the command line."""

import sys

import click
from flask import g
from flask.cli import AppGroup
from sqlalchemy import select

from emergency.clock import date_or_today
from emergency.extensions import db
from emergency.regions.models import Region

compliance_cli = AppGroup("compliance", help="Rules and the compliance scan.")


@compliance_cli.command("seed-rules")
def seed_rules_command() -> None:
    """Add the default rules (R1–R19 and the global timing rules) that are missing."""
    from emergency.compliance.seed import seed_rules

    g.audit_actor = "cli"
    added = seed_rules()
    db.session.commit()
    click.echo(f"Added {added} rules.")


@compliance_cli.command("scan")
@click.option("--as-of", "as_of", help="Date to compute the status for (default: today in China).")
@click.option("--region", "region_code", help="Only units in this region (code).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--no-store", is_flag=True, help="Compute only; keep the stored obligations as they are.")
def scan_command(as_of, region_code, as_json, no_store) -> None:
    """Compute every unit's obligations as of a date and store them."""
    from emergency.compliance.report import print_json, print_table, scan_items

    day = date_or_today(as_of)
    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code.strip()))
        if region is None:
            click.secho(f"Unknown region code: {region_code}", fg="red", err=True)
            sys.exit(2)
    g.audit_actor = "scheduler"
    from emergency.clock import china_today

    # Stored obligations are "the state today": dashboards and reminders read them. A scan for
    # another date is a question, not a new state, so it is computed and printed only.
    no_store = no_store or day != china_today()
    if not no_store:
        from emergency.clock import china_today
        from emergency.plans.filing import apply_deemed_filings

        # Silence past the review period turns into "deemed filed" before statuses are computed;
        # that is a real event, so a scan for a date still to come must not make it happen now.
        apply_deemed_filings(min(day, china_today()))
    result, items = scan_items(day, region, persist=not no_store)
    db.session.commit()
    if as_json:
        print_json(result, items)
    else:
        print_table(result, items)
    sys.stdout.flush()


