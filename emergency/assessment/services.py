"""The year-end assessment: load the scheme, compute every group's figures, freeze snapshots."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import select

from emergency.assessment import scoring
from emergency.assessment.indicators import (
    COUNTY_PATH_LENGTH,
    DERIVED,
    MEASURES,
    SCAN_MEASURES,
    TOWN_PATH_LENGTH,
    Grouping,
    Scope,
    evidence_rows,
    evidence_stmt,
    scan_date,
    totals,
)
from emergency.assessment.models import AssessmentScheme, AssessmentSnapshot
from emergency.assessment.scoring import INDICATOR_CODES, NOT_TRACKED, Scheme
from emergency.auth.scoping import region_clause
from emergency.compliance.settings import assessment_settings
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.units.models import Unit

OK, NOT_APPLICABLE, UNAVAILABLE, NOT_TRACKED_STATUS = "ok", "not_applicable", "unavailable", "not_tracked"


def load_scheme(year: int) -> Scheme:
    """Return the year's scheme, or the local defaults when no administrator saved one."""
    row = db.session.get(AssessmentScheme, year)
    if row is None:
        return Scheme(year=year)
    return Scheme(year=year, weights=dict(row.weights), bands=dict(row.bands),
                  deductions=dict(row.deductions), excellent_min=row.excellent_min,
                  pass_min=row.pass_min, is_default=False)


def save_scheme(scheme: Scheme, user) -> AssessmentScheme:
    """Store the year's scheme (the audit listener records before/after); flushes."""
    row = db.session.get(AssessmentScheme, scheme.year) or AssessmentScheme(year=scheme.year)
    row.weights, row.bands, row.deductions = scheme.weights, scheme.bands, scheme.deductions
    row.excellent_min, row.pass_min = scheme.excellent_min, scheme.pass_min
    row.updated_by_id = getattr(user, "id", None)
    db.session.add(row)
    db.session.flush()
    return row


def cutoff_for(year: int, as_of: date) -> date:
    """Return the last day counted: the year's assessment date, or as_of if that is earlier."""
    return min(assessment_settings(year)[0], as_of)


# --- figures -------------------------------------------------------------------------------


@dataclass
class IndicatorFigure:
    code: str
    num: int
    den: int
    rate: float | None
    weight: float
    score: float | None
    status: str


@dataclass
class DeductionFigure:
    source: str
    label: str
    count: int | None
    points: float
    cap: float | None
    amount: float


@dataclass
class GroupFigures:
    key: str
    name: str
    indicators: dict[str, IndicatorFigure]
    deductions: list[DeductionFigure]
    base: float | None
    deducted: float
    total: float | None
    grade: str | None
    #: Some weighted indicator could not be assessed (not tracked, or no scan of the year).
    partial: bool
    has_data: bool


@dataclass
class Assessment:
    year: int
    region_id: int | None
    region_name: str
    grouping: str
    cutoff: date
    scan_date: date | None
    scan_usable: bool
    scheme: Scheme
    groups: list[GroupFigures] = field(default_factory=list)
    overall: GroupFigures | None = None

    @property
    def has_data(self) -> bool:
        return self.overall is not None and self.overall.has_data

    def to_json(self) -> dict:
        data = asdict(self)
        data["cutoff"] = self.cutoff.isoformat()
        data["scan_date"] = self.scan_date.isoformat() if self.scan_date else None
        data["scheme"] = self.scheme.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict) -> Assessment:
        groups = [_group_from_json(g) for g in data["groups"]]
        overall = _group_from_json(data["overall"]) if data.get("overall") else None
        return cls(year=data["year"], region_id=data["region_id"], region_name=data["region_name"],
                   grouping=data["grouping"], cutoff=date.fromisoformat(data["cutoff"]),
                   scan_date=date.fromisoformat(data["scan_date"]) if data["scan_date"] else None,
                   scan_usable=data["scan_usable"], scheme=Scheme.from_json(data["scheme"]),
                   groups=groups, overall=overall)


def _group_from_json(data: dict) -> GroupFigures:
    values = dict(data)
    values["indicators"] = {code: IndicatorFigure(**f) for code, f in data["indicators"].items()}
    values["deductions"] = [DeductionFigure(**d) for d in data["deductions"]]
    return GroupFigures(**values)


def _indicator(code: str, pair: tuple[int, int], scheme: Scheme, usable: bool) -> IndicatorFigure:
    weight = scheme.weights.get(code, 0)
    if code in NOT_TRACKED:
        return IndicatorFigure(code, 0, 0, None, weight, None, NOT_TRACKED_STATUS)
    if not usable:
        return IndicatorFigure(code, 0, 0, None, weight, None, UNAVAILABLE)
    num, den = pair
    score = scoring.indicator_score(code, weight, num, den, scheme.bands.get(code))
    status = OK if den else NOT_APPLICABLE
    return IndicatorFigure(code, num, den, scoring.rate(code, num, den), weight,
                           score if weight else None, status)


def _deductions(measures: dict, scheme: Scheme, usable: set[str]) -> list[DeductionFigure]:
    result = []
    for source, (code, _mode) in scoring.DEDUCTION_SOURCES.items():
        rule = scheme.deductions.get(source, scoring.DEFAULT_DEDUCTIONS[source])
        count = scoring.deduction_count(source, measures) if code in usable else None
        amount = scoring.deduction_amount(count or 0, rule["points"], rule.get("cap"))
        result.append(DeductionFigure(source, rule.get("label") or "", count, rule["points"],
                                      rule.get("cap"), amount))
    return result


def group_figures(key: str, name: str, measures: dict[str, tuple[int, int]], scheme: Scheme,
                  usable: set[str]) -> GroupFigures:
    """Score one group from its (num, den) per measure."""
    indicators = {code: _indicator(code, measures.get(code, (0, 0)), scheme, code in usable)
                  for code in INDICATOR_CODES}
    weighted = [f for f in indicators.values() if f.weight]
    base = scoring.rescaled([(f.weight, f.score) for f in weighted if f.score is not None])
    deductions = _deductions(measures, scheme, usable)
    deducted = scoring.half_up(sum(d.amount for d in deductions))
    total = scoring.total_score(base, deducted)
    has_data = any(den for _num, den in measures.values())
    return GroupFigures(key=key, name=name, indicators=indicators, deductions=deductions, base=base,
                        deducted=deducted, total=total, grade=scoring.grade(total, scheme),
                        partial=any(f.status in (UNAVAILABLE, NOT_TRACKED_STATUS) for f in weighted),
                        has_data=has_data)


def compute(scope: Scope, scheme: Scheme) -> Assessment:
    """Compute every group's figures for the scope: one GROUP BY per measure."""
    scanned = scan_date()
    scan_usable = scanned is not None and scanned.year == scope.year
    usable = {code for code in MEASURES if code not in SCAN_MEASURES or scan_usable}
    result = Assessment(year=scope.year, region_id=scope.region.id if scope.region else None,
                        region_name=scope.region.name if scope.region else "",
                        grouping=str(scope.grouping), cutoff=scope.cutoff, scan_date=scanned,
                        scan_usable=scan_usable, scheme=scheme)
    if scope.cutoff < scope.start:
        return result
    by_measure = {}
    for code in sorted(usable, key=lambda c: c in DERIVED):
        by_measure[code] = totals(scope, code, by_measure)
    names = group_names(scope, set().union(*by_measure.values()) | set(_level_groups(scope)))
    for key, name in names:
        measures = {code: found.get(key, (0, 0)) for code, found in by_measure.items()}
        result.groups.append(group_figures(key, name, measures, scheme, usable))
    overall = {code: (sum(n for n, _d in found.values()), sum(d for _n, d in found.values()))
               for code, found in by_measure.items()}
    result.overall = group_figures("", result.region_name, overall, scheme, usable)
    return result


def _level_groups(scope: Scope) -> list[str]:
    """Return the keys of the scope's counties, so a county without data still shows."""
    # Towns without data are left out: the 统计 tree lists farms, forest farms and prisons too.
    if scope.grouping != Grouping.COUNTY:
        return []
    stmt = select(Region.path).where(Region.level == RegionLevel.COUNTY)
    if scope.region is not None:
        stmt = stmt.where(Region.in_subtree(scope.region.path))
    if scope.user is not None:
        stmt = stmt.where(region_clause(scope.user))
    return list(db.session.scalars(stmt))


def group_names(scope: Scope, keys: set[str]) -> list[tuple[str, str]]:
    """Return (key, display name) for each group key, in display order."""
    from flask_babel import gettext as _

    if scope.grouping == Grouping.DEPARTMENT:
        ids = [int(k) for k in keys]
        rows = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()
        return sorted(((str(uid), name) for uid, name in rows), key=lambda pair: pair[1])
    length = COUNTY_PATH_LENGTH if scope.grouping == Grouping.COUNTY else TOWN_PATH_LENGTH
    rows = db.session.execute(select(Region.path, Region.name).where(Region.path.in_(sorted(keys))))
    found = []
    for path, name in rows:
        # A key above the grouping's level holds the units attached there (市本级 / 区本级).
        found.append((path, name if len(path) >= length else _("%(name)s (own level)", name=name)))
    return sorted(found)


# --- snapshots -----------------------------------------------------------------------------


def freeze(user, region: Region, year: int, as_of: date, title: str, author: str) -> AssessmentSnapshot:
    """Freeze the assessment of a region and year as of a day: figures and evidence; flushes."""
    scheme = load_scheme(year)
    cutoff = cutoff_for(year, as_of)
    results = {str(g): compute(Scope(user, region, g, year, cutoff), scheme).to_json() for g in Grouping}
    scope = Scope(user, region, Grouping.COUNTY, year, cutoff)
    usable = {code for code in MEASURES
              if code not in SCAN_MEASURES or results[Grouping.COUNTY]["scan_usable"]}
    evidence = {code: [row.to_json() for row in evidence_rows(evidence_stmt(scope, code))]
                for code in sorted(usable)}
    snapshot = AssessmentSnapshot(year=year, region_id=region.id, as_of=as_of, title=title[:200],
                                  result=results, evidence=evidence,
                                  created_by_id=getattr(user, "id", None), created_by_name=author[:100])
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def snapshot_assessment(snapshot: AssessmentSnapshot, grouping: Grouping) -> Assessment:
    """Return a snapshot's figures for one grouping, exactly as they were frozen."""
    return Assessment.from_json(snapshot.result[str(grouping)])


def snapshot_evidence(snapshot: AssessmentSnapshot, code: str, grouping: Grouping,
                      key: str | None = None, failing: bool = False):
    """Return a snapshot's evidence rows of a measure, regrouped and filtered like the live list."""
    from emergency.assessment.indicators import EvidenceRow, group_key_of

    rows = []
    for raw in snapshot.evidence.get(code, []):
        row = EvidenceRow.from_json(raw)
        row.key = group_key_of(grouping, row.region_path, row.unit_id, row.unit_kind)
        if row.key is None or (key is not None and row.key != key):
            continue
        if failing and not row.failing(code):
            continue
        rows.append(row)
    return rows


@dataclass
class Delta:
    key: str
    name: str
    before: GroupFigures | None
    after: GroupFigures | None

    def change(self, code: str, attribute: str = "rate") -> float | None:
        """Return after − before of an indicator's rate or score (None if either is missing)."""
        if self.before is None or self.after is None:
            return None
        old = getattr(self.before.indicators[code], attribute)
        new = getattr(self.after.indicators[code], attribute)
        return None if old is None or new is None else round(new - old, 4)

    @property
    def total_change(self) -> float | None:
        if self.before is None or self.after is None or None in (self.before.total, self.after.total):
            return None
        return round(self.after.total - self.before.total, 1)


def compare(before: Assessment, after: Assessment) -> list[Delta]:
    """Pair the groups of two assessments by key (the overall row first)."""
    old = {g.key: g for g in before.groups}
    new = {g.key: g for g in after.groups}
    deltas = [Delta("", after.region_name or before.region_name, before.overall, after.overall)]
    for key in sorted(set(old) | set(new)):
        name = (new.get(key) or old.get(key)).name
        deltas.append(Delta(key, name, old.get(key), new.get(key)))
    return deltas
