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
