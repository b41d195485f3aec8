"""The audit log is append-only: no route changes or deletes an entry, and the ORM refuses to.

Every state-changing route of the URL map (pages and API) is called by an administrator with a
valid payload; the entries that existed before must be exactly the same afterwards. Separately,
the ORM guard (emergency/audit/guard.py) refuses updates and deletes of audit entries however
they are written: through a flush or as a bulk statement.
"""

import pytest
from sqlalchemy import delete, func, select, update

from config import TestingConfig
from emergency import create_app
from emergency.audit.guard import AuditLogImmutable
from emergency.audit.models import AuditEntry
from emergency.audit.services import record_event
from emergency.auth.models import Role, User
from emergency.auth.services import create_token
from emergency.extensions import db
from tests.auth.test_csrf import payload as csrf_payload
from tests.auth.test_csrf import url_for_rule
from tests.factories import log_in
from tests.test_idor import API_BODIES, admin_world, form_payload

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _state_changing_rules():
    found = []
    for rule in create_app(TestingConfig).url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            found.append((rule.rule, rule.endpoint, method))
    return sorted(found)


RULES = _state_changing_rules()


def entries() -> list[tuple]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(AuditEntry.__table__).order_by(AuditEntry.id)).all()]


# --- the ORM guard ------------------------------------------------------------------------------


@pytest.fixture
def entry(app):
    record_event("login", label="zhangsan", changes={"reason": "ok"})
    db.session.commit()
    return db.session.scalar(select(AuditEntry))


def test_changing_an_entry_through_the_session_is_refused(entry):
    before = entries()
    entry = db.session.get(AuditEntry, before[0][0])
    entry.action = "logout"
    entry.changes = {"reason": "hidden"}
    with pytest.raises(AuditLogImmutable):
        db.session.commit()
    assert entries() == before


def test_deleting_an_entry_through_the_session_is_refused(entry):
    before = entries()
    db.session.delete(db.session.get(AuditEntry, before[0][0]))
    with pytest.raises(AuditLogImmutable):
        db.session.commit()
    assert entries() == before


@pytest.mark.parametrize("statement", [
    pytest.param(lambda: update(AuditEntry).values(username="someone-else"), id="bulk update"),
    pytest.param(lambda: update(AuditEntry).where(AuditEntry.action == "login")
                 .values(ip=None), id="bulk update with where"),
    pytest.param(lambda: delete(AuditEntry), id="bulk delete"),
    pytest.param(lambda: delete(AuditEntry).where(AuditEntry.id > 0), id="bulk delete with where"),
])
def test_bulk_statements_on_entries_are_refused(entry, statement):
    before = entries()
    with pytest.raises(AuditLogImmutable):
        db.session.execute(statement())
    assert entries() == before


def test_adding_entries_still_works_and_other_tables_are_not_guarded(app, tree, make_user):
    user = make_user(Role.OFFICE, region=tree.county_a)
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.execute(update(User).where(User.id == user.id).values(phone="0456-1"))
    db.session.delete(db.session.get(User, user.id))
    db.session.commit()
    record_event("export", label="units.xlsx")
    db.session.commit()
    # One entry for the ORM delete, one for the export; the bulk update is not ORM-audited.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count + 2


# --- no route changes an entry ------------------------------------------------------------------


def test_the_audit_pages_only_read():
    methods = {method for rule in create_app(TestingConfig).url_map.iter_rules()
               if rule.endpoint.startswith("audit.")
               for method in (rule.methods or set())}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


world = pytest.fixture(admin_world, name="world")


def send(app, world, rule, endpoint, method):
    url = url_for_rule(rule, world)
    client = app.test_client()
    admin = db.session.get(User, world.admin.id)
    if url.startswith("/api/"):
        _token, secret = create_token(admin, "audit-test")
        db.session.commit()
        body = API_BODIES[endpoint](world) if API_BODIES.get(endpoint) else {"json": {}}
        return url, client.open(url, method=method,
                                headers={"Authorization": f"Bearer {secret}"}, **body)
    log_in(client, admin)
    data = {**form_payload(world), **csrf_payload(world)}
    return url, client.open(url, method=method, data=data)


def test_no_route_changes_or_deletes_an_audit_entry(app, world):
    # Every object of the IDOR matrix exists (and was audited when created) before the calls.
    for rule, _endpoint, _method in RULES:
        url_for_rule(rule, world)
    problems, wrote = [], 0
    for rule, endpoint, method in RULES:
        before = entries()
        assert before, "nothing audited yet: the test would prove nothing"
        url, response = send(app, world, rule, endpoint, method)
        response.close()
        after = entries()
        if response.status_code >= 500:
            problems.append(f"{method} {url}: {response.status_code}")
        if after[:len(before)] != before:
            problems.append(f"{method} {url} changed or deleted audit entries")
        wrote += len(after) > len(before)
    assert not problems, "\n".join(problems)
    # Control: most calls really changed something (and were audited as new entries).
    assert wrote >= len(RULES) // 2, f"only {wrote} of {len(RULES)} calls wrote anything"
    print(f"\n{len(RULES)} state-changing routes called, {wrote} wrote audit entries; "
          "no existing entry changed")
