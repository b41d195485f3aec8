"""Home page and health check."""

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, text

from emergency.auth.models import Role
from emergency.auth.scoping import scoped
from emergency.extensions import db
from emergency.units.models import Unit

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """Show the user's starting page: their unit for liaisons, a scope summary for others."""
    if current_user.role == Role.LIAISON:
        return redirect(url_for("units.detail", unit_id=current_user.unit_id))
    stmt = scoped(Unit, current_user, select(Unit.kind, func.count(Unit.id))).group_by(Unit.kind)
    counts = dict(db.session.execute(stmt).all())
    return render_template("main/index.html", counts=counts, total=sum(counts.values()))


@bp.route("/healthz")
def healthz():
    """Report whether the database answers and each scheduled job's last run, as JSON."""
    from emergency.reminders.services import job_runs

    jobs = {}
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
        jobs = job_runs()
    except Exception as error:  # any driver error means "down" to a monitor
        db.session.rollback()
        database = f"error: {type(error).__name__}"
    status = 200 if database == "ok" else 503
    # Web workers never run the scheduler; the jobs report from the scheduler process via the DB.
    return jsonify(status="ok" if status == 200 else "degraded", database=database,
                   scheduler={"runs_in_this_process": False, "jobs": jobs}), status
