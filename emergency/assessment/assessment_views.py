"""The year-end assessment pages: figures per group, evidence, scheme, snapshots, workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from emergency.assessment import labels, services
from emergency.assessment.forms import SchemeForm, SnapshotForm
from emergency.assessment.indicators import (
    MEASURES,
    SCAN_MEASURES,
    Grouping,
    Scope,
    evidence_rows,
    evidence_stmt,
)
from emergency.assessment.models import AssessmentSnapshot
from emergency.assessment.scoring import COUNT_INDICATORS, DEDUCTION_SOURCES, INDICATOR_CODES
from emergency.assessment.workbook import build_workbook
from emergency.audit.services import record_event
from emergency.auth.models import Role
from emergency.auth.scoping import region_clause, unit_clause
from emergency.clock import CHINA, china_today
from emergency.extensions import db
from emergency.regions.models import Region, RegionLevel
from emergency.regions.services import region_choices
from emergency.units.models import Unit, UnitKind

bp = Blueprint("annual", __name__, url_prefix="/assessment")

FIRST_YEAR = 2000
EVIDENCE_PAGE = 100
#: Regions offered in the selector; towns are reached through the "by town" grouping.
REGION_LEVELS = ["province", "city", "county"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def _labels() -> dict:
    return dict(INDICATOR_CODES=INDICATOR_CODES, INDICATOR_TITLES=labels.INDICATOR_TITLES,
                INDICATOR_FORMULAS=labels.INDICATOR_FORMULAS, EVIDENCE_DATES=labels.EVIDENCE_DATES,
                ASSESSMENT_GROUPINGS=labels.GROUPINGS, ASSESSMENT_GRADES=labels.GRADES,
                ASSESSMENT_STATUSES=labels.STATUSES, DEDUCTION_LABELS=labels.DEDUCTION_LABELS,
                DEDUCTION_MEASURES={s: m for s, (m, _mode) in DEDUCTION_SOURCES.items()},
                deduction_label=labels.deduction_label, evidence_subject=labels.evidence_subject,
                COUNT_INDICATORS=COUNT_INDICATORS)


def _require_reader() -> None:
    # Liaisons see their own unit only; the assessment of groups is not for them.
    if current_user.role == Role.LIAISON:
        abort(404)


def _year() -> int:
    value = request.args.get("year", "")
    today = china_today()
    if not value:
        return today.year
    if not value.isdigit() or not FIRST_YEAR <= int(value) <= today.year + 1:
        abort(404)
    return int(value)


def _region() -> Region:
    """Return the region asked for if the user may see it (404 otherwise), else the user's top."""
    value = request.args.get("region", "")
    if value and not value.isdigit():
        abort(404)
    stmt = select(Region).where(region_clause(current_user))
    if value:
        region = db.session.scalar(stmt.where(Region.id == int(value)))
    else:
        region = db.session.scalars(stmt.order_by(func.length(Region.path), Region.path).limit(1)).first()
    if region is None:
        abort(404)
    return region


def _grouping(region: Region) -> Grouping:
    value = request.args.get("grouping", "")
    if not value:
        # A city or province is assessed by county; a county by its towns and streets.
        return Grouping.COUNTY if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY) else Grouping.TOWN
    if value not in set(Grouping):
        abort(404)
    return Grouping(value)


@dataclass
class Request:
    year: int
    region: Region
    grouping: Grouping

    @property
    def scope(self) -> Scope:
        cutoff = services.cutoff_for(self.year, china_today())
        return Scope(current_user, self.region, self.grouping, self.year, cutoff)

    @property
    def args(self) -> dict:
        return {"year": self.year, "region": self.region.id, "grouping": str(self.grouping)}


def _request() -> Request:
    _require_reader()
    region = _region()
    return Request(_year(), region, _grouping(region))


@bp.route("/")
@login_required
def index():
    """Show every group's indicators, deductions, total score and grade for a year and region."""
    req = _request()
    assessment = services.compute(req.scope, services.load_scheme(req.year))
    today = china_today()
    form = SnapshotForm(today=today, year=req.year, formdata=None, as_of=min(today, req.scope.cutoff))
    return render_template("assessment/index.html", req=req, assessment=assessment, form=form,
                           years=range(today.year, FIRST_YEAR + 19, -1),
                           regions=region_choices(current_user, REGION_LEVELS))


def _group_key_or_404(scope: Scope, key: str) -> str:
    """Accept a group key only for a group inside the scope (URL edits answer 404)."""
    if scope.grouping == Grouping.DEPARTMENT:
        found = key.isdigit() and db.session.scalar(select(Unit.id).where(
            Unit.id == int(key), Unit.kind == UnitKind.GOVERNMENT_DEPARTMENT, unit_clause(current_user),
            Unit.region_id.in_(select(Region.id).where(Region.in_subtree(scope.region.path)))))
    else:
        # The scope region's own path is a key too: the group of units attached there (本级).
        found = db.session.scalar(select(Region.id).where(
            Region.path == key, region_clause(current_user))) if key.startswith(scope.region.path) else None
    if not found:
        abort(404)
    return key


def _measure(value: str) -> str:
    if value not in MEASURES:
        abort(404)
    return value


@bp.route("/evidence")
@login_required
def evidence():
    """List the records behind one group's indicator (or only those counting against it)."""
    req = _request()
    code = _measure(request.args.get("indicator") or "K1")
    scope = req.scope
    key = _group_key_or_404(scope, request.args.get("group", "")) if request.args.get("group") else None
    failing = request.args.get("failing") == "1"
    scanned = services.scan_date()
    if code in SCAN_MEASURES and (scanned is None or scanned.year != req.year):
        rows, total = [], 0
    else:
        stmt = evidence_stmt(scope, code, key, failing)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        page = _page()
        rows = evidence_rows(stmt.limit(EVIDENCE_PAGE).offset((page - 1) * EVIDENCE_PAGE))
    group_name = dict(services.group_names(scope, {key})).get(key) if key else req.region.name
    return render_template("assessment/evidence.html", req=req, code=code, rows=rows, total=total,
                           page=_page(), per_page=EVIDENCE_PAGE, group_key=key, group_name=group_name,
                           failing=failing, snapshot=None)


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() and len(value) < 7 else 1


def _download(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"{name}.xlsx")


@bp.route("/export.xlsx")
@login_required
def export():
    """Download the assessment workbook of the year, region and grouping shown."""
    req = _request()
    scope = req.scope
    assessment = services.compute(scope, services.load_scheme(req.year))
    if not assessment.has_data:
        abort(404)
    usable = [c for c in MEASURES if c not in SCAN_MEASURES or assessment.scan_usable]
    evidence_by_code = {code: evidence_rows(evidence_stmt(scope, code)) for code in usable}
    data = build_workbook(assessment, evidence_by_code)
    record_event("export", req.region, label=_("Assessment workbook %(year)s", year=req.year))
    db.session.commit()
    return _download(data, _("Assessment %(region)s %(year)s", region=req.region.name, year=req.year))


# --- the scheme ----------------------------------------------------------------------------


@bp.route("/scheme", methods=["GET", "POST"])
@login_required
def scheme():
    """Let an administrator set a year's weights, bands, deductions and grade limits."""
    if not current_user.is_admin:
        abort(403)
    year = _year()
    current = services.load_scheme(year)
    form = SchemeForm()
    if not form.is_submitted():
        form.fill(current)
    elif form.validate():
        services.save_scheme(form.to_scheme(year), current_user)
        db.session.commit()
        flash(_("The scoring of %(year)s was saved.", year=year), "success")
        return redirect(url_for("annual.index", year=year))
    status = 400 if form.is_submitted() else 200
    return render_template("assessment/scheme.html", form=form, year=year, scheme=current), status


# --- snapshots -----------------------------------------------------------------------------


def _visible_snapshots():
    return (select(AssessmentSnapshot).join(Region, AssessmentSnapshot.region_id == Region.id)
            .where(region_clause(current_user)))


def _snapshot_or_404(snapshot_id: int) -> AssessmentSnapshot:
    _require_reader()
    snapshot = db.session.scalar(_visible_snapshots().where(AssessmentSnapshot.id == snapshot_id))
    if snapshot is None:
        abort(404)
    return snapshot


@bp.route("/snapshots", methods=["POST"])
@login_required
def freeze():
    """Freeze the assessment of the year and region shown, as of a day that is not in the future."""
    req = _request()
    if not current_user.can_edit:
        abort(403)
    today = china_today()
    form = SnapshotForm(today=today, year=req.year)
    if form.validate():
        cutoff = services.cutoff_for(req.year, form.as_of.data)
        probe = services.compute(Scope(current_user, req.region, Grouping.COUNTY, req.year, cutoff),
                                 services.load_scheme(req.year))
        if probe.has_data:
            title = form.title.data or _("%(region)s %(year)s assessment", region=req.region.name,
                                         year=req.year)
            snapshot = services.freeze(current_user, req.region, req.year, form.as_of.data, title,
                                       current_user.display_name)
            db.session.commit()
            flash(_("The assessment was frozen as of %(day)s.", day=form.as_of.data.isoformat()), "success")
            return redirect(url_for("annual.snapshot", snapshot_id=snapshot.id))
        form.as_of.errors = [_("There is no assessment data for this year and region to freeze.")]
    assessment = services.compute(req.scope, services.load_scheme(req.year))
    return render_template("assessment/index.html", req=req, assessment=assessment, form=form,
                           years=range(today.year, FIRST_YEAR + 19, -1),
                           regions=region_choices(current_user, REGION_LEVELS)), 400


@bp.route("/snapshots")
@login_required
def snapshots():
    """List the frozen assessments the user may see, newest first."""
    _require_reader()
    rows = db.session.scalars(_visible_snapshots().order_by(AssessmentSnapshot.created_at.desc(),
                                                            AssessmentSnapshot.id.desc())).all()
    return render_template("assessment/snapshots.html", snapshots=rows)


def _snapshot_grouping(snapshot: AssessmentSnapshot) -> Grouping:
    return _grouping(snapshot.region)


@bp.route("/snapshots/<int:snapshot_id>")
@login_required
def snapshot(snapshot_id: int):
    """Show a frozen assessment exactly as it was frozen (rendered from its stored figures)."""
    frozen = _snapshot_or_404(snapshot_id)
    grouping = _snapshot_grouping(frozen)
    assessment = services.snapshot_assessment(frozen, grouping)
    others = db.session.scalars(_visible_snapshots().where(AssessmentSnapshot.id != frozen.id)
                                .order_by(AssessmentSnapshot.id.desc())).all()
    return render_template("assessment/snapshot.html", snapshot=frozen, assessment=assessment,
                           grouping=grouping, others=others)


@bp.route("/snapshots/<int:snapshot_id>/evidence")
@login_required
def snapshot_evidence(snapshot_id: int):
    """List the records frozen behind one group's indicator in a snapshot."""
    frozen = _snapshot_or_404(snapshot_id)
    grouping = _snapshot_grouping(frozen)
    code = _measure(request.args.get("indicator") or "K1")
    key = request.args.get("group") or None
    failing = request.args.get("failing") == "1"
    assessment = services.snapshot_assessment(frozen, grouping)
    names = {g.key: g.name for g in assessment.groups}
    if key is not None and key not in names:
        abort(404)
    rows = services.snapshot_evidence(frozen, code, grouping, key, failing)
    page = _page()
    req = Request(frozen.year, frozen.region, grouping)
    return render_template("assessment/evidence.html", req=req, code=code, total=len(rows),
                           rows=rows[(page - 1) * EVIDENCE_PAGE:page * EVIDENCE_PAGE], page=page,
                           per_page=EVIDENCE_PAGE, group_key=key,
                           group_name=names.get(key) if key else frozen.region.name,
                           failing=failing, snapshot=frozen)


@bp.route("/snapshots/<int:snapshot_id>/export.xlsx")
@login_required
def snapshot_export(snapshot_id: int):
    """Download a snapshot's workbook, built from its stored figures and evidence."""
    frozen = _snapshot_or_404(snapshot_id)
    data = snapshot_workbook(frozen, _snapshot_grouping(frozen))
    record_event("export", frozen, label=frozen.title)
    db.session.commit()
    return _download(data, frozen.title)


def snapshot_workbook(frozen: AssessmentSnapshot, grouping: Grouping) -> bytes:
    """Return the workbook of a snapshot (used by the page and the CLI)."""
    assessment = services.snapshot_assessment(frozen, grouping)
    evidence_by_code = {code: services.snapshot_evidence(frozen, code, grouping) for code in frozen.evidence}
    extra = [(_("Snapshot"), f"#{frozen.id} {frozen.title}"), (_("Frozen by"), frozen.created_by_name),
             (_("Frozen on"), frozen.created_at.astimezone(CHINA).date())]
    return build_workbook(assessment, evidence_by_code, extra)


@bp.route("/snapshots/compare")
@login_required
def compare():
    """Compare two snapshots: per group and indicator, the change in rate, score and total."""
    _require_reader()
    ids = [request.args.get("a", ""), request.args.get("b", "")]
    if not all(i.isdigit() and len(i) < 10 for i in ids):
        abort(404)
    before, after = (_snapshot_or_404(int(i)) for i in ids)
    grouping = _grouping(after.region)
    deltas = services.compare(services.snapshot_assessment(before, grouping),
                              services.snapshot_assessment(after, grouping))
    return render_template("assessment/compare.html", before=before, after=after, deltas=deltas,
                           grouping=grouping)
