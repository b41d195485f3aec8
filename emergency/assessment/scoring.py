"""Scoring of the year-end assessment: the scheme, indicator scores, deductions, totals, grades.

Pure functions and plain data (no Flask, no database), so the arithmetic is tested with tables.
The defaults are local defaults, not national law (domain-rules §10 and the local tables of §5):
weights mirror the 100-point 河池 table's emphasis on the plan system, the K9 bands are 梅州's
(≥60% → 3 of 3 points, 40–60% → 2, 20–40% → 1), the grades 河池's (优秀 ≥90, 达标 60–89,
不达标 <60), and "未按期备案 扣2分/件" the example of the issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

#: The indicators of domain-rules §10 that carry a weight (K16 is the total itself).
INDICATOR_CODES = ("K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9", "K10", "K11", "K12",
                   "K13", "K14", "K15")
#: Data the application does not record: shown as "not tracked", never invented.
NOT_TRACKED = frozenset({"K2", "K13", "K14"})
#: Indicators whose figure is a count of bad items (K7: plans past their evaluation cycle);
#: their score uses the share of items that are fine.
COUNT_INDICATORS = frozenset({"K7"})

DEFAULT_WEIGHTS = {
    "K1": 20, "K2": 0, "K3": 12, "K4": 8, "K5": 10, "K6": 8, "K7": 0, "K8": 15, "K9": 6,
    "K10": 8, "K11": 5, "K12": 8, "K13": 0, "K14": 0, "K15": 0,
}
#: [minimum rate in %, points], best band first; the first band's points are full marks.
DEFAULT_BANDS = {"K9": [[60, 3], [40, 2], [20, 1]]}

#: Deduction sources: the measure counted and how ("shortfall" = items not met, "count" = the
#: measure's own count of bad items).
DEDUCTION_SOURCES = {
    "late_filing": ("LF", "count"),
    "overdue_plan": ("K7", "count"),
    "missing_plan": ("K1", "shortfall"),
    "missed_drill": ("K8", "shortfall"),
    "unreported_drill": ("K11", "shortfall"),
    "overdue_action": ("K12", "shortfall"),
}
#: Points per item and the cap (None: no cap); a label "" shows the translated default label.
DEFAULT_DEDUCTIONS = {
    "late_filing": {"label": "", "points": 2.0, "cap": 10.0},
    "overdue_plan": {"label": "", "points": 0.0, "cap": None},
    "missing_plan": {"label": "", "points": 0.0, "cap": None},
    "missed_drill": {"label": "", "points": 0.0, "cap": None},
    "unreported_drill": {"label": "", "points": 0.0, "cap": None},
    "overdue_action": {"label": "", "points": 0.5, "cap": 3.0},
}
DEFAULT_EXCELLENT_MIN = 90
DEFAULT_PASS_MIN = 60

EXCELLENT, PASS, FAIL = "excellent", "pass", "fail"


@dataclass
class Scheme:
    """The scoring of one year."""

    year: int
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    bands: dict[str, list] = field(default_factory=lambda: {k: [list(b) for b in v]
                                                            for k, v in DEFAULT_BANDS.items()})
    deductions: dict[str, dict] = field(default_factory=lambda: {k: dict(v)
                                                                 for k, v in DEFAULT_DEDUCTIONS.items()})
    excellent_min: int = DEFAULT_EXCELLENT_MIN
    pass_min: int = DEFAULT_PASS_MIN
    #: True while the year uses the seeded local defaults (no admin has saved a scheme).
    is_default: bool = True

    def to_json(self) -> dict:
        return {"year": self.year, "weights": self.weights, "bands": self.bands,
                "deductions": self.deductions, "excellent_min": self.excellent_min,
                "pass_min": self.pass_min, "is_default": self.is_default}

    @classmethod
    def from_json(cls, data: dict) -> Scheme:
        return cls(**data)


def check_scheme(scheme: Scheme) -> list[tuple[str, str]]:
    """Return (field, problem code) pairs; an empty list means the scheme may be saved."""
    problems = []
    weights = [scheme.weights.get(code, 0) for code in INDICATOR_CODES]
    if any(w is None or w < 0 for w in weights):
        problems.append(("weights", "negative"))
    elif sum(weights) != 100:
        problems.append(("weights", "sum"))
    for code, bands in scheme.bands.items():
        problems += [(f"bands_{code}", p) for p in _band_problems(bands)]
    for source, rule in scheme.deductions.items():
        if rule["points"] is None or rule["points"] < 0:
            problems.append((f"deduction_{source}", "negative"))
        if rule.get("cap") is not None and rule["cap"] < 0:
            problems.append((f"deduction_{source}", "negative"))
    if not 0 < scheme.pass_min < scheme.excellent_min <= 100:
        problems.append(("grades", "order"))
    return problems


def _band_problems(bands: list) -> list[str]:
    mins = [b[0] for b in bands]
    points = [b[1] for b in bands]
    if any(m is None or not 0 <= m <= 100 for m in mins):
        return ["range"]
    if any(p is None or p <= 0 for p in points):
        return ["negative"]
    # Best band first: both the thresholds and the points must fall strictly.
    if any(a <= b for a, b in zip(mins, mins[1:])) or any(a <= b for a, b in zip(points, points[1:])):
        return ["order"]
    return []


def half_up(value: float, places: int = 2) -> float:
    """Round like the office does (四舍五入): 64.35 → 64.4, where round() gives 64.3."""
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(code: str, num: float, den: float) -> float | None:
    """Return the share of items that are fine (0..1), or None when nothing was owed."""
    if not den:
        return None
    share = num / den
    return 1 - share if code in COUNT_INDICATORS else share


def indicator_score(code: str, weight: float, num: float, den: float, bands: list | None) -> float | None:
    """Return the points earned out of ``weight``, or None when the indicator does not apply."""
    share = rate(code, num, den)
    if share is None:
        return None
    if bands:
        best = bands[0][1]
        earned = next((points for minimum, points in bands if share * 100 >= minimum), 0)
        return half_up(weight * earned / best)
    return half_up(weight * share)


def deduction_count(source: str, measures: dict[str, tuple[float, float]]) -> int:
    """Return how many items a deduction source counts, from the group's (num, den) measures."""
    code, mode = DEDUCTION_SOURCES[source]
    num, den = measures.get(code, (0, 0))
    return int(num if mode == "count" else den - num)


def deduction_amount(count: int, points: float, cap: float | None) -> float:
    """Return points × count, limited to the cap."""
    amount = count * points
    return half_up(min(amount, cap) if cap is not None else amount)


def rescaled(scores: list[tuple[float, float]]) -> float | None:
    """Return Σ score ÷ Σ weight × 100 over the indicators that apply (按适用指标折算)."""
    weight = sum(w for w, _s in scores)
    if not weight:
        return None
    return half_up(sum(s for _w, s in scores) * 100 / weight)


def total_score(base: float | None, deducted: float) -> float | None:
    """Return the total: the rescaled points minus the deductions, never below 0, to 0.1."""
    return None if base is None else max(half_up(base - deducted, 1), 0.0)


def grade(total: float | None, scheme: Scheme) -> str | None:
    """Return excellent / pass / fail for a total score."""
    if total is None:
        return None
    if total >= scheme.excellent_min:
        return EXCELLENT
    return PASS if total >= scheme.pass_min else FAIL
