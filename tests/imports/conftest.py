"""Import fixtures: the factories' region tree, office users in each county, a fixed today."""

import pytest
from sqlalchemy import func, select, update

from emergency.audit.models import AuditEntry
from emergency.auth.models import Role, User
from emergency.drills.models import Drill, DrillChange
from emergency.extensions import db
from emergency.plans.models import Evaluation, Plan, PlanVersion
from emergency.units.models import Unit

TODAY = "2026-11-20"


@pytest.fixture(autouse=True)
def fixed_today(app):
    app.config["TODAY"] = TODAY


@pytest.fixture(autouse=True)
def break_plan_version_cycle(app):
    """plans and plan_versions point at each other; let the shared teardown delete them."""
    yield
    db.session.rollback()
    db.session.execute(update(Plan).values(current_version_id=None, parent_id=None))
    db.session.commit()


@pytest.fixture
def office_a(tree, make_user):
    return make_user(Role.OFFICE, region=tree.county_a, username="office_a",
                     display_name="爱辉区应急局")


@pytest.fixture
def office_city(tree, make_user):
    return make_user(Role.OFFICE, region=tree.city, username="office_city",
                     display_name="黑河市应急局")


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> dict:
    """Rows of every table an import may write."""
    return {"units": count(Unit), "users": count(User), "plans": count(Plan),
            "versions": count(PlanVersion), "evaluations": count(Evaluation),
            "drills": count(Drill), "drill_changes": count(DrillChange),
            "audit": count(AuditEntry)}
