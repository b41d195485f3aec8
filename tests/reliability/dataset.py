"""Build a migrated database holding a small, realistic data set, in a process of its own.

Run as `python -m tests.reliability.dataset build|queue-reminders URL UPLOAD_ROOT OUT.json`.
It runs in a child process
because the flask-smorest Api object is global: building a second app inside the test process
would replace the OpenAPI spec of the session's shared app. The JSON written names the accounts
(all with PASSWORD), their API tokens and the ids the reliability tests drive.
"""

import json
import sys
from datetime import date

from flask import g
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestingConfig
from emergency import create_app
from emergency.auth.models import Role, User
from emergency.auth.services import UserData, create_token, create_user
from emergency.clock import china_today
from emergency.compliance.scan import scan
from emergency.compliance.seed import seed_rules
from emergency.compliance.services import load_calendar
from emergency.drills import services as drill_services
from emergency.extensions import db
from emergency.plans import services as plan_services
from emergency.regions.models import RegionLevel
from emergency.regions.services import add_region
from emergency.units.identifiers import uscc_check_char
from emergency.units.models import Unit, UnitKind

PASSWORD = "correct-horse-battery"
#: Units per county; each gets a liaison, two plans and a planned drill.
UNITS_PER_COUNTY = 6


def app_config(url: str, upload_root: str, **extra) -> dict:
    """Return the config overrides a reliability app (child process or gunicorn) runs with."""
    overrides = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    overrides.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_ROOT=upload_root, **extra)
    return overrides


def _uscc(county_code: str, serial: int) -> str:
    body = f"91{county_code}{serial:09d}"
    return body + uscc_check_char(body)


def _user(username: str, role: str, *, region=None, unit=None) -> dict:
    user = create_user(UserData(username=username, display_name=f"{username}（测试）",
                                email=f"{username}@yjj.local", role=role,
                                region_id=region.id if region else None,
                                unit_id=unit.id if unit else None), PASSWORD)
    _token, secret = create_token(user, "reliability")
    return {"id": user.id, "username": username, "token": secret}


def populate() -> dict:
    """Create regions, units, accounts, plans, drills and rules, and run the compliance scan."""
    g.audit_actor = "reliability-tests"
    province = add_region("23", "黑龙江省", RegionLevel.PROVINCE, None)
    city = add_region("2311", "黑河市", RegionLevel.CITY, province)
    counties = [add_region("231102", "爱辉区", RegionLevel.COUNTY, city),
                add_region("231181", "北安市", RegionLevel.COUNTY, city)]
    towns = [add_region("231102001", "花园街道", RegionLevel.TOWN, counties[0]),
             add_region("231181100", "赵光镇", RegionLevel.TOWN, counties[1])]
    add_region("231102001001", "花园社区", RegionLevel.VILLAGE, towns[0])
    add_region("231181100201", "红星村", RegionLevel.VILLAGE, towns[1])
    db.session.flush()
    admin = _user("admin", Role.ADMIN)
    data = {"password": PASSWORD, "admin": admin,
            "office": [_user("office_city", Role.OFFICE, region=city),
                       _user("office_a", Role.OFFICE, region=counties[0]),
                       _user("office_b", Role.OFFICE, region=counties[1])],
            "viewer": _user("leader", Role.VIEWER, region=city),
            "units": [], "liaisons": [], "plans": [], "drills": []}
    today, calendar = china_today(), load_calendar()
    serial = 0
    for county, town in zip(counties, towns, strict=True):
        for n in range(UNITS_PER_COUNTY):
            serial += 1
            unit = Unit(name=f"{county.name}第{n + 1}化工有限公司", kind=UnitKind.ENTERPRISE,
                        region_id=town.id, identifier=_uscc(county.code, serial))
            unit.risk_tags = {"hazardous_chemicals"} if n % 2 == 0 else set()
            db.session.add(unit)
            db.session.flush()
            data["units"].append(unit.id)
            liaison = _user(f"liaison{serial}", Role.LIAISON, unit=unit)
            data["liaisons"].append({**liaison, "unit_id": unit.id})
            _plans_and_drill(data, unit, today, calendar)
    db.session.commit()
    # The default rules and a stored scan, as after `make run`: compliance pages and the API
    # have obligations to show, edits recompute them, reminders have something to send.
    seed_rules()
    db.session.commit()
    scan(today)
    db.session.commit()
    return data


def _plans_and_drill(data: dict, unit: Unit, today: date, calendar) -> None:
    creator = db.session.get(User, data["admin"]["id"])
    plan_ids = []
    for category, title in (("overall", "综合应急预案"), ("special", "危险化学品泄漏专项应急预案")):
        plan = plan_services.create_plan(
            unit, plan_services.PlanData(title=f"{unit.name}{title}", category=category,
                                         hazard_class="accident"),
            plan_services.VersionData(issued_on=date(today.year, 1, 15), signer_role="principal"),
            creator, today, calendar)
        plan_ids.append(plan.id)
        data["plans"].append({"id": plan.id, "unit_id": unit.id,
                              "version_id": plan.current_version_id})
    drill = drill_services.plan_drill(
        unit, drill_services.DrillData(title=f"{unit.name}年度综合演练",
                                       planned_on=date(today.year, 12, 1), form="live",
                                       scope="comprehensive", purpose="inspection",
                                       plan_ids=plan_ids), creator, today)
    data["drills"].append({"id": drill.id, "unit_id": unit.id})


def queue_reminders() -> int:
    """Write today's reminders and this week's office digests to the outbox; send nothing."""
    from emergency.database import utcnow
    from emergency.reminders import jobs

    g.audit_actor = "reliability-tests"
    jobs.generate_reminders(china_today(), utcnow(), working_days_only=False)
    jobs.office_digest(china_today(), utcnow())
    db.session.commit()
    return db.session.execute(text("SELECT count(*) FROM email_outbox")).scalar()


def main(command: str, url: str, upload_root: str, out: str) -> None:
    app = create_app(app_config(url, upload_root))
    with app.app_context():
        if command == "build":
            upgrade()
            result = populate()
        else:
            result = {"outbox": queue_reminders()}
        db.session.remove()
        db.engine.dispose()
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:5])
