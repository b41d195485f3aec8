"""A held drill updates the unit's compliance status at once: panel and stored obligations."""

import re
from datetime import date

from sqlalchemy import select

from emergency.compliance.models import Obligation
from emergency.extensions import db
from tests.drills.conftest import WEB, new_drill, record_held, text_of

pytestmark = WEB


def panel(client, unit) -> dict[tuple[str, str], str]:
    """Return {(rule, subject cell): status} from the unit's compliance panel."""
    page = text_of(client.get(f"/compliance/units/{unit.id}"))
    table = page.split('id="obligations"', 1)[1].split("</table>", 1)[0]
    found = {}
    for rule, status, body in re.findall(
            r'<tr data-rule="([^"]+)" data-status="([^"]+)">(.*?)</tr>', table, re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        found[(rule, cells[2])] = status
    return found


def stored(unit, rule: str, period: str) -> str:
    db.session.expire_all()
    return db.session.scalars(select(Obligation.status).where(
        Obligation.unit_id == unit.id, Obligation.rule_code == rule,
        Obligation.period == period)).one()


def scan_now(unit) -> None:
    """Store today's obligations of the unit, as the nightly scan would have."""
    from emergency.compliance.scan import scan

    scan(date.fromisoformat("2026-11-20"), unit_ids=[unit.id])
    db.session.commit()


def test_school_month_turns_from_overdue_to_done(world, rules, client_for):
    scan_now(world.school)
    office = client_for(world.office_a)
    assert panel(office, world.school)[("R8-D", "2026-10 · 2026-10")] == "overdue"
    assert stored(world.school, "R8-D", "2026-10") == "overdue"

    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, title="10月地震疏散演练", planned_on="2026-10-15",
                      plan_ids=[world.plans["school"].id])
    # Planned is not held: still overdue.
    assert panel(office, world.school)[("R8-D", "2026-10 · 2026-10")] == "overdue"
    response = record_held(teacher, drill.id, held_on="2026-10-15", evacuation_seconds="95")
    assert response.status_code == 302, text_of(response)[:3000]

    rows = panel(office, world.school)
    assert rows[("R8-D", "2026-10 · 2026-10")] == "done"
    assert rows[("R8-D", "2026-09 · 2026-09")] == "overdue"  # other months are untouched
    # The stored status (dashboards, reminders) changed in the same request, not tomorrow.
    assert stored(world.school, "R8-D", "2026-10") == "done"


def test_enterprise_half_year_turns_from_overdue_to_done(world, rules, client_for):
    scan_now(world.chemical)
    office = client_for(world.office_a)
    rows = panel(office, world.chemical)
    assert rows[("R12-D2", "2026-H1 · 2026-H1")] == "overdue"
    assert stored(world.chemical, "R12-D2", "2026-H1") == "overdue"

    liaison = client_for(world.chemical_liaison)
    drill = new_drill(liaison, world.chemical, title="危化品泄漏综合演练", planned_on="2026-05-20",
                      plan_ids=[world.plans["chemical"].id])
    response = record_held(liaison, drill.id, held_on="2026-05-22", reported_on="2026-05-25")
    assert response.status_code == 302, text_of(response)[:3000]

    rows = panel(office, world.chemical)
    assert rows[("R12-D2", "2026-H1 · 2026-H1")] == "done"
    assert stored(world.chemical, "R12-D2", "2026-H1") == "done"
    # The second half-year still needs its own drill.
    assert rows[("R12-D2", "2026-H2 · 2026-H2")] != "done"


def test_a_cancelled_or_planned_drill_never_counts(world, rules, client_for):
    teacher = client_for(world.school_liaison)
    drill = new_drill(teacher, world.school, planned_on="2026-10-20")
    teacher.post(f"/drills/{drill.id}/cancel", data={"reason": "暴雨停课"})
    rows = panel(client_for(world.office_a), world.school)
    assert rows[("R8-D", "2026-10 · 2026-10")] == "overdue"
