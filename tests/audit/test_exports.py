"""The audit log export: administrators only, with the list's filters."""

from datetime import datetime

from emergency.audit.services import record_event
from emergency.auth.models import Role
from emergency.extensions import db
from tests.factories import log_in
from tests.imports.files import read_csv, read_xlsx


def test_audit_export_honours_filters_and_is_for_administrators(tree, make_user, make_unit,
                                                                client):
    admin = make_user(Role.ADMIN, username="boss")
    office = make_user(Role.OFFICE, region=tree.county_a, username="office_a")
    make_unit(tree.town_a, name="=爱辉机械厂")
    record_event("import", label="演练台账.xlsx", changes={"kind": "drills", "create": 3})
    db.session.commit()

    log_in(client, office)
    assert client.get("/audit/export.xlsx").status_code == 403
    log_in(client, admin)
    rows = read_xlsx(client.get("/audit/export.xlsx"))
    assert rows[0][0] == "时间"
    assert isinstance(rows[1][0], datetime)
    assert any(r[3] == "units" and r[5] == "'=爱辉机械厂" for r in rows[1:])
    imports = read_csv(client.get("/audit/export.csv?action=import"))
    assert len(imports) == 2 and imports[1][2] == "import"
    assert '"kind": "drills"' in imports[1][7] and imports[1][5] == "演练台账.xlsx"
    assert read_csv(client.get("/audit/export.csv?object_type=nothing"))[1:] == []
