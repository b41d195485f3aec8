"""Command-line groups: regions, users and demo here; every feature's group is attached below."""

import sys

import click
from flask import Flask, g
from flask.cli import AppGroup
from sqlalchemy import select

from emergency.auth import services as auth_services
from emergency.auth.models import Role, User
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit
from emergency.users.services import normalise_email

regions_cli = AppGroup("regions", help="Administrative regions.")
users_cli = AppGroup("users", help="User accounts and API tokens.")
demo_cli = AppGroup("demo", help="Demonstration data.")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@regions_cli.command("import")
@click.argument("code")
def regions_import(code: str) -> None:
    """Import a province (2 digits) or city (4 digits) from the shipped division data."""
    from emergency.regions.services import RegionImportError, import_regions

    g.audit_actor = "cli"
    try:
        added = import_regions(code.strip())
    except RegionImportError:
        _fail(f"Unknown division code {code}: the shipped data covers Heilongjiang (23).")
    db.session.commit()
    click.echo(f"Imported {added} new regions under {code}.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--region", "region_code", help="Region code (office and viewer users).")
@click.option("--unit", "unit_id", type=int, help="Unit id (liaisons).")
@click.option("--email", required=True)
@click.option("--name", "display_name", help="Display name (default: the username).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(username, role, region_code, unit_id, email, display_name, password) -> None:
    """Create an account."""
    g.audit_actor = "cli"
    data = auth_services.UserData(username=username, display_name=display_name or username,
                                  email=email, role=role)
    data.region_id = _region_id(region_code) if role in (Role.OFFICE, Role.VIEWER) else None
    data.unit_id = _unit_id(unit_id) if role == Role.LIAISON else None
    data.email = normalise_email(email) or _fail(f"Invalid e-mail address: {email}")
    if db.session.scalar(select(User.id).where(User.username == username)):
        _fail(f"The username {username} is taken.")
    problem = auth_services.password_problem(password, username)
    if problem:
        _fail(f"Password rejected: {problem.replace('_', ' ')} (at least 10 characters).")
    user = auth_services.create_user(data, password)
    db.session.commit()
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")


def _region_id(code: str | None) -> int:
    region = db.session.scalar(select(Region).where(Region.code == (code or "")))
    return region.id if region else _fail(f"--region must be an imported region code, got {code!r}.")


def _unit_id(unit_id: int | None) -> int:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    return unit.id if unit else _fail(f"--unit must be an existing unit id, got {unit_id!r}.")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="A label for the token.")
def users_token(username: str, name: str) -> None:
    """Create an API token for a user and print it once."""
    g.audit_actor = "cli"
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        _fail(f"No active user {username}.")
    _token, secret = auth_services.create_token(user, name)
    db.session.commit()
    click.echo(secret)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the 黑河市 demo data once (running it again changes nothing)."""
    from emergency.demo.services import DEMO_PASSWORD, load_demo

    g.audit_actor = "demo"
    summary = load_demo()
    db.session.commit()
    if summary.already_loaded:
        click.echo("Demo data already loaded.")
    else:
        click.echo(f"Loaded {summary.regions_added} regions, {summary.units_added} units, "
                   f"{summary.users_added} users.")
        plans = summary.plans
        if plans.plans:
            click.echo(f"Loaded {plans.plans} plans ({plans.versions} versions, "
                       f"{plans.documents} documents, {plans.evaluations} evaluations, "
                       f"{plans.open_revision_items} open revision items) as of "
                       f"{summary.as_of}. Plans by filing state:")
            for state, count in plans.states.items():
                late = plans.overdue.get(state)
                deadline = "review" if state == "submitted" else "filing"
                click.echo(f"  {state:<13}{count:>5}" + (
                    f"  ({late} past the {deadline} deadline)" if late else ""))
        drills = summary.drills
        if drills.drills:
            click.echo(f"Loaded {drills.drills} drills ({drills.rescheduled} rescheduled, "
                       f"{drills.documented} with record documents, {drills.lacking_reports} "
                       f"of them lacking a report; {drills.documents} documents) as of "
                       f"{summary.as_of}. Drills by status:")
            for state, count in drills.states.items():
                click.echo(f"  {state:<13}{count:>5}")
            click.echo(f"Loaded {drills.actions} corrective actions. Actions by status:")
            for state, count in drills.action_states.items():
                late = drills.overdue_actions if state == "open" else 0
                click.echo(f"  {state:<13}{count:>5}" + (
                    f"  ({late} past the due date)" if late else ""))
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
    for username, role, scope in summary.accounts:
        click.echo(f"  {username:<10} {role:<8} {scope}")


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    from emergency.assessment.cli import assessment_cli
    from emergency.backup.cli import backup_cli
    from emergency.compliance.cli import compliance_cli
    from emergency.imports.cli import import_cli
    from emergency.reminders.cli import reminders_cli, scheduler_cli

    for group in (regions_cli, users_cli, demo_cli, compliance_cli, reminders_cli, scheduler_cli,
                  import_cli, assessment_cli, backup_cli):
        app.cli.add_command(group)
