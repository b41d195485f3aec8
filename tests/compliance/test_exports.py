"""The rule table export."""

from emergency.auth.models import Role
from emergency.compliance.seed import seed_rules
from emergency.extensions import db
from tests.factories import log_in
from tests.imports.files import read_csv, read_xlsx


def test_rule_export_lists_every_rule_with_its_citation(tree, make_user, client, app):
    seed_rules()
    db.session.commit()
    from emergency.compliance.models import Rule
    from sqlalchemy import func, select

    total = db.session.scalar(select(func.count(Rule.id)))
    log_in(client, make_user(Role.OFFICE, region=tree.county_a))
    rows = read_xlsx(client.get("/compliance/rules/export.xlsx"))
    assert rows[0][:3] == ["代码", "名称", "义务"]
    assert len(rows) == total + 1
    assert all(row[10] for row in rows[1:])  # every rule carries its citation
    csv_rows = read_csv(client.get("/compliance/rules/export.csv"))
    assert [r[0] for r in csv_rows[1:]] == [r[0] for r in rows[1:]]
    log_in(client, make_user(Role.VIEWER, region=tree.county_a))
    assert client.get("/compliance/rules/export.csv").status_code == 403
