"""Pure reminder timing: which stage an item has reached, quiet hours, retry backoff.

No Flask and no database; the due dates themselves come from the compliance engine.
"""

import hashlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)


def workdays_before(due: date, n: int, is_workday: Callable[[date], bool]) -> date:
    """Return the n-th working day before ``due`` (``due`` itself for 0): add_workdays backwards."""
    day, remaining = due, n
    while remaining > 0:
        day -= ONE_DAY
        if is_workday(day):
            remaining -= 1
    return day


def stage_date(due: date, lead: int, is_workday: Callable[[date], bool] | None = None) -> date:
    """Return the day the reminder ``lead`` days before ``due`` is owed (working days if given)."""
    if is_workday is None:
        return due - timedelta(days=lead)
    return workdays_before(due, lead, is_workday)


def advance_stage(due: date, today: date, leads: Iterable[int],
                  is_workday: Callable[[date], bool] | None = None) -> str | None:
    """Return the latest advance stage reached by ``today`` ("d7"), or None.

    "Reached" is stage day ≤ today, never "== today": after a day without the scheduler the
    stage is still owed. Only the latest one is sent; earlier stages it overtook are skipped.
    """
    if today > due:
        return None
    reached = [lead for lead in leads if stage_date(due, lead, is_workday) <= today]
    return f"d{min(reached)}" if reached else None


def overdue_stage(due: date, today: date) -> str | None:
    """Return "w0" on the first overdue day and the week count after it ("w1"...), or None."""
    if today <= due:
        return None
    return f"w{(today - due - ONE_DAY).days // 7}"


def overdue_days(due: date, today: date) -> int:
    """Return how many days an item due on ``due`` has been overdue by ``today`` (0 if not)."""
    return max((today - due).days, 0)


def parse_quiet_hours(value: str | None) -> tuple[int, int] | None:
    """Parse "22-8" into (22, 8); empty means none; a malformed value raises ValueError."""
    if not value:
        return None
    start, end = (int(part) for part in str(value).split("-"))
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise ValueError(f"quiet hours out of range: {value}")
    return start, end


def in_quiet_hours(moment: datetime, quiet: tuple[int, int] | None) -> bool:
    """Tell whether an aware instant falls in the quiet hours (China time)."""
    if quiet is None or quiet[0] == quiet[1]:
        return False
    hour = moment.astimezone(CHINA).hour
    start, end = quiet
    # A window like 22-8 wraps past midnight.
    return start <= hour < end if start < end else hour >= start or hour < end


def after_quiet_hours(moment: datetime, quiet: tuple[int, int] | None) -> datetime:
    """Return ``moment``, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, quiet):
        return moment
    local = moment.astimezone(CHINA)
    end = datetime.combine(local.date(), time(quiet[1]), CHINA)
    if end <= local:
        end += ONE_DAY
    return end


def digest_time(today: date, hour: int, now: datetime, quiet: tuple[int, int] | None) -> datetime:
    """Return when a digest generated for ``today`` may go: the user's hour, never before now."""
    wanted = datetime.combine(today, time(hour), CHINA)
    return after_quiet_hours(max(wanted, now), quiet)


def backoff(attempts: int, key: str) -> timedelta:
    """Return the wait after the ``attempts``-th failure: 1, 2, 4... minutes up to an hour, ±20 %.

    The jitter comes from the key, so retries of many messages spread out yet stay reproducible.
    """
    base = min(3600, 60 * 2 ** max(attempts - 1, 0))
    digest = hashlib.sha256(f"{key}:{attempts}".encode()).digest()
    jitter = 0.8 + 0.4 * (digest[0] / 255)
    return timedelta(seconds=round(base * jitter))
