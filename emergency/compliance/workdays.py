"""Count China's official working days, with admin-entered days for years the package lacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

ONE_DAY = timedelta(days=1)

# Bound the per-calendar memo so a long-lived process cannot grow it without limit; a
# province-wide scan asks about a few thousand distinct (start, n) pairs, far below this.
_MEMO_LIMIT = 100_000


@lru_cache(maxsize=65_536)
def _published_workday(d: date) -> bool | None:
    """Return chinese_calendar's answer for ``d``, or None when it has no data for that year."""
    # chinese_calendar rescans its tables for the supported year range on every call (~20 µs),
    # so caching per date matters. Asking it, rather than hard-coding its range, means a newer
    # release of the package extends our known years without a code change.
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkdayResult:
    """Hold a working-day deadline and whether it rests on a guessed calendar."""

    date: date
    #: True when a day counted over lies in a year with no published or confirmed calendar.
    estimated: bool


class WorkdayCalendar:
    """Answer working-day questions from chinese_calendar plus admin-entered days."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        override_years: Iterable[int] = (),
    ) -> None:
        """Build a calendar; ``overrides`` map a day to True (working) or False (day off)."""
        # Copy both so a caller editing its own mapping later cannot make the memo stale.
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._override_years = frozenset(override_years)
        self._memo: dict[tuple[date, int], WorkdayResult] = {}

    def is_workday(self, d: date) -> bool:
        """Tell whether ``d`` is an official working day."""
        # An admin entry wins even over the package, so a local or late change can be applied.
        override = self._overrides.get(d)
        if override is not None:
            return override
        published = _published_workday(d)
        if published is not None:
            return published
        # With no published calendar, the ordinary working week is the best guess.
        return d.weekday() < 5

    def is_estimated(self, d: date) -> bool:
        """Tell whether the answer for ``d`` is a Mon–Fri guess rather than a known calendar."""
        # Individual overrides do not make a year trustworthy; only a year declared complete does.
        return d.year not in self._override_years and _published_workday(d) is None

    def add_workdays(self, start: date, n: int) -> WorkdayResult:
        """Return the ``n``-th working day after ``start``, which itself is not counted."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        key = (start, n)
        result = self._memo.get(key)
        if result is None:
            result = self._walk(start, n)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = result
        return result

    def _walk(self, start: date, n: int) -> WorkdayResult:
        """Step day by day from ``start`` until ``n`` working days have been passed."""
        day, remaining, estimated = start, n, False
        while remaining:
            day += ONE_DAY
            # Non-working days count too: a guessed holiday shifts the deadline as much as a
            # guessed working day does.
            estimated = estimated or self.is_estimated(day)
            if self.is_workday(day):
                remaining -= 1
        return WorkdayResult(day, estimated)

    def workdays_between(self, start: date, end: date) -> int:
        """Count the working days in (start, end]; zero when ``end`` is not after ``start``."""
        count = 0
        day = start + ONE_DAY
        while day <= end:
            count += self.is_workday(day)
            day += ONE_DAY
        return count
