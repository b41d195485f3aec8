"""The raw-SQL floor: one statement that counts obligations per rule and status.

It reads the same tables as the scan and applies the same rules, but only counts: no evidence,
no rows written. The rule parameters and the date thresholds are inlined as literals, so the
database does all the work in one statement (a CTE per fact set, one SELECT per rule, UNION ALL,
GROUP BY). Where the engine adds months (evaluation and drill intervals), the threshold is moved
to the other side: ``add_months(base, m) < D`` is ``base < T`` for the first base T whose due date
is not before D (add_months is monotonic), computed here once per rule with the engine's own
``add_months``. Filing deadlines read the stored ``plan_versions.filing_due_on`` (the app stores the
engine's deadline there), so the floor matches when the filing rules keep the 20 working days.
"""

from __future__ import annotations

from datetime import date, timedelta

from emergency.compliance.dates import add_months, overlaps_term, periods_between
from emergency.compliance.facts import Context, ObligationKind, RuleSpec

SCHOOL_KINDS = ("school", "kindergarten", "university")


class FloorSql:
    """Build the counting statement for one dialect, as-of date and rule set."""

    def __init__(self, dialect: str, rules: list[RuleSpec], ctx: Context) -> None:
        self.pg = dialect == "postgresql"
        self.rules, self.ctx = rules, ctx

    # -- literals --------------------------------------------------------------------------------
    def d(self, value: date) -> str:
        # SQLite stores dates as ISO text, which compares in date order.
        return f"DATE '{value.isoformat()}'" if self.pg else f"'{value.isoformat()}'"

    @staticmethod
    def s(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def in_list(self, column: str, values) -> str:
        return f"{column} IN ({', '.join(self.s(v) for v in sorted(values))})"

    # -- shared pieces ----------------------------------------------------------------------------
    def unit_filter(self, rule: RuleSpec, alias: str = "u") -> str:
        parts = ["true"]
        if rule.unit_kinds:
            parts.append(self.in_list(f"{alias}.kind", rule.unit_kinds))
        if rule.tags_any:
            tags = " OR ".join(f"{alias}.risk_tags LIKE '%,{t},%'" for t in sorted(rule.tags_any))
            parts.append(f"({tags})")
        return " AND ".join(parts)

    def plan_filter(self, rule: RuleSpec, alias: str = "p") -> str:
        return self.in_list(f"{alias}.category", rule.plan_categories) if rule.plan_categories else "true"

    def status_by_due(self, due: str, lead: int) -> str:
        """CASE of status_by_due for a due-date expression (overdue, due soon, before A, done)."""
        d, a = self.ctx.as_of, self.ctx.assessment_date
        return (f"CASE WHEN {due} < {self.d(d)} THEN 'overdue' "
                f"WHEN {due} <= {self.d(d + timedelta(days=lead))} THEN 'due_soon' "
                f"WHEN {due} <= {self.d(a)} THEN 'due_before_assessment' ELSE 'done' END")

    def status_by_base(self, base: str, months: int, lead: int) -> str:
        """Status of due = add_months(base, months), as thresholds on base."""
        d, a = self.ctx.as_of, self.ctx.assessment_date
        overdue = first_base(months, lambda due: due >= d)
        soon = first_base(months, lambda due: due > d + timedelta(days=lead))
        before = first_base(months, lambda due: due > a)
        return (f"CASE WHEN {base} < {self.d(overdue)} THEN 'overdue' "
                f"WHEN {base} < {self.d(soon)} THEN 'due_soon' "
                f"WHEN {base} < {self.d(before)} THEN 'due_before_assessment' ELSE 'done' END")

    def held_on_by(self) -> str:
        return f"d.status = 'held' AND d.held_on IS NOT NULL AND d.held_on <= {self.d(self.ctx.as_of)}"

    def ctes(self) -> str:
        as_of = self.d(self.ctx.as_of)
        # NOT MATERIALIZED: each reference is planned against the base tables and their
        # statistics. A materialised CTE has no statistics, and PostgreSQL's guess of a handful of
        # rows after the risk-tag filters turns hash joins into quadratic nested loops.
        nm = "NOT MATERIALIZED "
        return f"""
WITH au AS {nm}(
  SELECT id, kind, risk_tags FROM units WHERE is_active = true
), pf AS {nm}(
  SELECT p.id, p.unit_id, p.category, v.issued_on, v.filing_due_on, v.filing_state, v.submitted_on
  FROM plans p
  JOIN units pu ON pu.id = p.unit_id AND pu.is_active = true
  LEFT JOIN (SELECT plan_id, max(number) AS number FROM plan_versions WHERE is_major = true
             GROUP BY plan_id) lm ON lm.plan_id = p.id
  LEFT JOIN plan_versions v ON v.plan_id = lm.plan_id AND v.number = lm.number
  WHERE p.is_archived = false
), hd AS {nm}(
  SELECT d.id, d.unit_id, d.held_on FROM drills d JOIN units du ON du.id = d.unit_id
  WHERE du.is_active = true AND {self.held_on_by()}
), hp AS {nm}(
  SELECT dp.plan_id, hd.id, hd.unit_id, hd.held_on
  FROM drill_plans dp JOIN hd ON hd.id = dp.drill_id
), ev AS {nm}(
  SELECT e.plan_id, max(e.evaluated_on) AS last_on
  FROM evaluations e WHERE e.evaluated_on <= {as_of} GROUP BY e.plan_id
)"""

    # -- one SELECT per rule kind ------------------------------------------------------------------
    # Every per-unit or per-plan fact is a grouped aggregate joined once (hash joins), never a
    # correlated subquery over a CTE: a materialised CTE has no index, so those are quadratic.
    def have_plan(self, r: RuleSpec) -> str:
        return (f"SELECT {self.s(r.code)} AS code, CASE WHEN h.unit_id IS NULL THEN 'missing' "
                f"ELSE 'done' END AS status FROM au u LEFT JOIN (SELECT DISTINCT p.unit_id FROM pf p "
                f"WHERE {self.plan_filter(r)}) h ON h.unit_id = u.id WHERE {self.unit_filter(r)}")

    def issued(self) -> str:
        return f"p.issued_on IS NOT NULL AND p.issued_on <= {self.d(self.ctx.as_of)}"

    def file_plan(self, r: RuleSpec) -> str:
        done = (f"p.submitted_on IS NOT NULL AND p.submitted_on <= {self.d(self.ctx.as_of)} "
                f"AND p.filing_state NOT IN ('draft', 'returned')")
        return (f"SELECT {self.s(r.code)} AS code, CASE WHEN {done} THEN 'done' ELSE "
                f"{self.status_by_due('p.filing_due_on', r.lead_days)} END AS status "
                f"FROM pf p JOIN au u ON u.id = p.unit_id "
                f"WHERE {self.unit_filter(r)} AND {self.plan_filter(r)} AND {self.issued()}")

    def evaluate(self, r: RuleSpec) -> str:
        base = "CASE WHEN ev.last_on IS NOT NULL AND ev.last_on > p.issued_on THEN ev.last_on ELSE p.issued_on END"
        return (f"SELECT {self.s(r.code)} AS code, "
                f"{self.status_by_base(base, r.interval_months, r.lead_days)} AS status "
                f"FROM pf p JOIN au u ON u.id = p.unit_id LEFT JOIN ev ON ev.plan_id = p.id "
                f"WHERE {self.unit_filter(r)} AND {self.plan_filter(r)} AND {self.issued()}")

    def revise(self, r: RuleSpec) -> str:
        days = 90 if r.deadline_days is None else r.deadline_days
        as_of = self.d(self.ctx.as_of)
        due = self.status_by_due_shifted("ri.raised_on", days, r.lead_days)
        return (f"SELECT {self.s(r.code)} AS code, CASE WHEN ri.closed_on IS NOT NULL "
                f"AND ri.closed_on <= {as_of} THEN 'done' ELSE {due} END AS status FROM revision_items ri "
                f"JOIN pf p ON p.id = ri.plan_id AND p.unit_id = ri.unit_id JOIN au u ON u.id = p.unit_id "
                f"WHERE {self.unit_filter(r)} AND {self.plan_filter(r)} AND ri.raised_on <= {as_of}")

    def status_by_due_shifted(self, column: str, days: int, lead: int) -> str:
        """status_by_due(column + days) without date arithmetic in SQL: shift the thresholds."""
        d, a, shift = self.ctx.as_of, self.ctx.assessment_date, timedelta(days=days)
        return (f"CASE WHEN {column} < {self.d(d - shift)} THEN 'overdue' "
                f"WHEN {column} <= {self.d(d + timedelta(days=lead) - shift)} THEN 'due_soon' "
                f"WHEN {column} <= {self.d(a - shift)} THEN 'due_before_assessment' ELSE 'done' END")

    def close_actions(self, r: RuleSpec) -> str:
        as_of = self.d(self.ctx.as_of)
        return (f"SELECT {self.s(r.code)} AS code, CASE WHEN ca.status <> 'open' "
                f"AND ca.closed_on IS NOT NULL AND ca.closed_on <= {as_of} THEN 'done' "
                f"ELSE {self.status_by_due('ca.due_on', r.lead_days)} END AS status "
                f"FROM corrective_actions ca JOIN au u ON u.id = ca.unit_id WHERE {self.unit_filter(r)}")

    def drill_interval(self, r: RuleSpec) -> str:
        status = self.status_by_base("b.base", r.interval_months, r.lead_days)
        if r.per_plan:
            inner = (f"SELECT coalesce(lp.last_on, CASE WHEN {self.issued()} THEN p.issued_on END) "
                     f"AS base FROM pf p JOIN au u ON u.id = p.unit_id "
                     f"LEFT JOIN (SELECT plan_id, unit_id, max(held_on) AS last_on FROM hp "
                     f"GROUP BY plan_id, unit_id) lp ON lp.plan_id = p.id AND lp.unit_id = p.unit_id "
                     f"WHERE {self.unit_filter(r)} AND {self.plan_filter(r)}")
        else:
            if r.plan_categories:
                last = (f"SELECT hp.unit_id, max(hp.held_on) AS last_on FROM hp JOIN pf p "
                        f"ON p.id = hp.plan_id AND p.unit_id = hp.unit_id WHERE {self.plan_filter(r)} "
                        f"GROUP BY hp.unit_id")
            else:
                last = "SELECT unit_id, max(held_on) AS last_on FROM hd GROUP BY unit_id"
            first = (f"SELECT p.unit_id, min(p.issued_on) AS first_on FROM pf p "
                     f"WHERE {self.plan_filter(r)} AND {self.issued()} GROUP BY p.unit_id")
            inner = (f"SELECT coalesce(l.last_on, f.first_on) AS base FROM au u "
                     f"LEFT JOIN ({last}) l ON l.unit_id = u.id LEFT JOIN ({first}) f ON f.unit_id = u.id "
                     f"WHERE {self.unit_filter(r)}")
        return (f"SELECT {self.s(r.code)} AS code, {status} AS status FROM ({inner}) b "
                f"WHERE b.base IS NOT NULL")

    def periods(self, r: RuleSpec) -> str:
        ctx = self.ctx
        rows = []
        for period in periods_between(r.period, date(ctx.assessment_date.year, 1, 1),
                                      ctx.assessment_date, ctx.terms):
            if r.effective_from is not None and period.start < r.effective_from:
                continue
            if r.effective_to is not None and period.start > r.effective_to:
                continue
            owed = not r.school_terms_only or overlaps_term(period, ctx.terms)
            rows.append(f"({self.s(period.label)}, {self.d(period.start)}, {self.d(period.end)}, "
                        f"{1 if owed else 0})")
        return f"(VALUES {', '.join(rows)}) AS per"

    def drill_period(self, r: RuleSpec) -> str:
        need = 1 if r.per_period is None else r.per_period
        status = (f"CASE WHEN per.column4 = 0 THEN 'not_applicable' "
                  f"WHEN coalesce(n.held, 0) >= {need} THEN 'done' "
                  f"ELSE {self.status_by_due('per.column3', r.lead_days)} END")
        periods = self.periods(r)
        in_period = "h.held_on >= per.column2 AND h.held_on <= per.column3"
        if r.per_plan:
            owners = (f"SELECT p.id AS oid, p.unit_id FROM pf p JOIN au u ON u.id = p.unit_id "
                      f"WHERE {self.unit_filter(r)} AND {self.plan_filter(r)} AND {self.issued()}")
            counts = (f"SELECT h.plan_id AS oid, per.column1 AS label, count(*) AS held "
                      f"FROM hp h JOIN pf p ON p.id = h.plan_id AND p.unit_id = h.unit_id "
                      f"JOIN {periods} ON {in_period} GROUP BY h.plan_id, per.column1")
        else:
            owners = f"SELECT u.id AS oid, u.id AS unit_id FROM au u WHERE {self.unit_filter(r)}"
            if r.plan_categories:
                counts = (f"SELECT h.unit_id AS oid, per.column1 AS label, count(DISTINCT h.id) AS held "
                          f"FROM hp h JOIN pf p ON p.id = h.plan_id AND p.unit_id = h.unit_id "
                          f"JOIN {periods} ON {in_period} WHERE {self.plan_filter(r)} "
                          f"GROUP BY h.unit_id, per.column1")
            else:
                counts = (f"SELECT h.unit_id AS oid, per.column1 AS label, count(*) AS held "
                          f"FROM hd h JOIN {periods} ON {in_period} GROUP BY h.unit_id, per.column1")
        return (f"SELECT {self.s(r.code)} AS code, {status} AS status FROM ({owners}) o "
                f"CROSS JOIN {periods} LEFT JOIN ({counts}) n ON n.oid = o.oid AND n.label = per.column1")

    def statement(self) -> str:
        """Return the whole counting statement: (code, status, count) rows."""
        builders = {
            ObligationKind.HAVE_PLAN: self.have_plan, ObligationKind.FILE_PLAN: self.file_plan,
            ObligationKind.EVALUATE: self.evaluate, ObligationKind.REVISE: self.revise,
            ObligationKind.CLOSE_ACTIONS: self.close_actions,
            ObligationKind.DRILL_INTERVAL: self.drill_interval,
            ObligationKind.DRILL_PERIOD: self.drill_period,
        }
        parts = [builders[ObligationKind(r.kind)](r) for r in self.rules]
        union = "\nUNION ALL\n".join(parts)
        return f"{self.ctes()}\nSELECT code, status, count(*) FROM (\n{union}\n) x GROUP BY code, status"


def first_base(months: int, reached) -> date:
    """Return the first base date whose ``add_months(base, months)`` satisfies ``reached``."""
    # Walk forward instead of solving: add_months is monotonic in its base, and clamping to
    # month ends makes a closed form easy to get wrong by a day. Years first, then days.
    day = date(1900, 1, 1)
    while not reached(add_months(day + timedelta(days=400), months)):
        day += timedelta(days=365)
    while not reached(add_months(day, months)):
        day += timedelta(days=1)
    return day
