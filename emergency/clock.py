"""The one place the web edge reads the clock: today's date in China."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    """Return today's date in Asia/Shanghai (or the configured TODAY, for demos and tests)."""
    fixed = current_app.config.get("TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(fixed)
    return datetime.now(CHINA).date()


def date_or_today(value: str | None) -> date:
    """Read a command-line YYYY-MM-DD date; none means today in China.

    An unreadable date stops the command with click's usage error (exit code 2).
    """
    import click

    if not value:
        return china_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"Not a date (YYYY-MM-DD): {value}") from None
