"""The dashboard: what is missing or overdue in the user's scope, with charts and drill-downs."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.assessment import queries
from emergency.assessment.charts import Bar, horizontal_bars, vertical_bars
from emergency.auth.models import Role
from emergency.clock import china_today
from emergency.compliance.settings import assessment_settings
from emergency.labels import UNIT_KINDS

bp = Blueprint("assessment", __name__, url_prefix="/dashboard")

STACK = ("overdue", "missing", "due_soon", "due_before_assessment", "done")


def _completion_chart(children) -> object:
    bars = []
    for region, counts in children:
        owed = sum(counts.get(s, 0) for s in STACK)
        done = counts.get("done", 0)
        share = 100 * done / owed if owed else 0
        bars.append(Bar(region.name, (("done", share),), note=f"{share:.0f}%"))
    return horizontal_bars(bars, _("Obligations met, by region (%)"), maximum=100)


def _kind_chart(by_kind) -> object:
    bars = [Bar(str(UNIT_KINDS.get(kind, kind)), tuple((s, counts.get(s, 0)) for s in STACK))
            for kind, counts in sorted(by_kind.items())]
    from emergency.compliance.labels import STATUSES

    return horizontal_bars(bars, _("Status of obligations by unit kind"),
                           legend={s: str(STATUSES[s]) for s in STACK})


@bp.route("/")
@login_required
def index():
    """Show the headline figures, each linking to the items behind it, and four charts."""
    if current_user.role == Role.LIAISON:
        abort(404)
    region_arg = request.args.get("region", "")
    region = queries.scope_region(current_user, int(region_arg) if region_arg.isdigit() else None)
    if region_arg and region is None:
        abort(404)
    today = china_today()
    children = queries.completion_by_child(current_user, region)
    charts = {
        "completion": _completion_chart(children),
        "kinds": _kind_chart(queries.status_by_kind(current_user, region)),
        "trend": vertical_bars([(d.strftime("%m-%d"), n) for d, n in queries.overdue_history(region)],
                               _("Overdue items at each month's last scan")),
        "drills": vertical_bars(queries.drills_per_month(current_user, region, today.year),
                                _("Drills held per month, %(year)s", year=today.year)),
    }
    return render_template("assessment/dashboard.html", region=region, today=today,
                           figures=queries.headline(current_user, region), charts=charts,
                           children=children, assessment=assessment_settings(today.year)[0])
