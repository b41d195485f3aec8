"""Drill API: drills, annual drill plans, drill documents, corrective actions.

The same services, checks and scoping as the web pages: anything outside the caller's scope is
404, a role that may not act gets 403 (leaders read only; only office staff verify or reopen a
corrective action), an action the object's state does not allow gets 409 (changing a drill that
is no longer planned, a stale `version`, closing an action that is not open), and bad data gets 422
with translated messages under each field.

Closing a corrective action without evidence is a 409: the request itself is valid, the action is
just not ready; upload evidence first (POST /api/v1/actions/<id>/documents), then close it.
"""

from datetime import date

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from webargs.flaskparser import abort as webargs_abort

from emergency.api.common import (
    SelectPage,
    abort_with_field_errors,
    api_user,
    errors,
    refuse,
)
from emergency.api.common import require_manage as _require_manage
from emergency.api.common import require_office as _require_office
from emergency.auth.scoping import get_scoped_or_404, scoped
from emergency.clock import china_today
from emergency.documents.api import DocumentSchema
from emergency.documents.messages import rejection_message
from emergency.documents.models import DocType, Document
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.documents.sniff import RejectReason
from emergency.drills import actions, services
from emergency.drills.checklist import (
    DRILL_DOC_TYPES,
    REQUIRED_DRILL_DOCUMENTS,
    missing_drill_documents,
)
from emergency.drills.coverage import annual_coverage, periods_of
from emergency.drills.models import (
    ActionEvent,
    ActionStatus,
    CorrectiveAction,
    Drill,
    DrillChange,
    DrillForm,
    DrillPurpose,
    DrillScope,
    DrillStatus,
)
from emergency.extensions import db
from emergency.plans.api import TranslatingParser
from emergency.problems import Problem, ProblemsError
from emergency.units.models import Unit

ID_RANGE = validate.Range(min=1, max=2**31 - 1)
YEAR_RANGE = validate.Range(min=1990, max=2100)
FORMS = [f.value for f in DrillForm]
SCOPES = [s.value for s in DrillScope]
PURPOSES = [p.value for p in DrillPurpose]
STATUSES = [s.value for s in DrillStatus]
ACTION_STATUSES = [s.value for s in ActionStatus]
DOC_TYPES = [t.value for t in DRILL_DOC_TYPES]
EVIDENCE_TYPES = [DocType.ACTION_EVIDENCE.value, DocType.PHOTO.value, DocType.OTHER.value]
CHANGE_ACTIONS = ["rescheduled", "cancelled", "shifted", "held"]
#: Problems that mean "not in this state" rather than "bad data".
CONFLICT_CODES = frozenset({"drill_not_planned", "drill_not_held", "action_not_open",
                            "action_not_closed", "evidence_required"})
#: Lengths the web forms enforce and the services do not.
MAX_SUMMARY, MAX_DESCRIPTION, MAX_REASON = 5000, 5000, 2000

blp = Blueprint("api_drills", __name__, url_prefix="/api/v1",
                description="Drills and corrective actions")
blp.ARGUMENTS_PARSER = TranslatingParser()
blp.PAGINATION_ARGUMENTS_PARSER = blp.ARGUMENTS_PARSER


# --- Schemas -----------------------------------------------------------------------------------

class PlanRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()


class DrillDocumentSchema(DocumentSchema):
    drill_id = fields.Integer(allow_none=True)
    action_id = fields.Integer(allow_none=True)


class DrillChecklistSchema(Schema):
    required = fields.List(fields.String(metadata={"enum": DOC_TYPES}))
    missing = fields.List(fields.String(metadata={"enum": DOC_TYPES}))


class DrillChangeSchema(Schema):
    action = fields.String(metadata={"enum": CHANGE_ACTIONS})
    old_date = fields.Date(allow_none=True)
    new_date = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda change: change.actor.display_name if change.actor else None,
                                 metadata={"type": "string", "nullable": True})
    at = fields.AwareDateTime()


class DrillSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda drill: drill.unit.name, metadata={"type": "string"})
    title = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    planned_on = fields.Date()
    held_on = fields.Date(allow_none=True)
    form = fields.String(metadata={"enum": FORMS})
    scope = fields.String(metadata={"enum": SCOPES})
    purpose = fields.String(metadata={"enum": PURPOSES})
    duration_minutes = fields.Integer(allow_none=True)
    participants = fields.Integer(allow_none=True)
    #: Schools: seconds from the evacuation signal until everyone is out.
    evacuation_seconds = fields.Integer(allow_none=True)
    reported_on = fields.Date(allow_none=True)
    summary = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    plans = fields.List(fields.Nested(PlanRefSchema))
    #: The iCalendar SEQUENCE of the drill's calendar event.
    sequence = fields.Integer()
    #: Send it back with PATCH: a stale value gives 409.
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class DrillDetailSchema(DrillSchema):
    #: The record documents the drill guide requires (方案, 评估报告, 总结报告) and those missing.
    checklist = fields.Nested(DrillChecklistSchema)
    documents = fields.List(fields.Nested(DrillDocumentSchema))
    #: Reschedules, the cancellation and the held record, oldest first.
    changes = fields.List(fields.Nested(DrillChangeSchema))

    def get_attribute(self, obj, attr, default):
        if attr == "checklist":
            return {"required": [str(t) for t in REQUIRED_DRILL_DOCUMENTS],
                    "missing": [str(t) for t in missing_drill_documents(obj.id)]}
        if attr == "documents":
            return db.session.scalars(select(Document).where(Document.drill_id == obj.id)
                                      .order_by(Document.id)).all()
        if attr == "changes":
            return db.session.scalars(select(DrillChange).where(DrillChange.drill_id == obj.id)
                                      .order_by(DrillChange.id)).all()
        return super().get_attribute(obj, attr, default)


class DrillFieldsSchema(Schema):
    title = fields.String(required=True)
    form = fields.String(required=True, validate=validate.OneOf(FORMS))
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    plan_ids = fields.List(fields.Integer(validate=ID_RANGE), load_default=list,
                           metadata={"description": "Plans of the same unit the drill exercises"})


class DrillCreateSchema(DrillFieldsSchema):
    """A drill for a unit's annual drill plan (it starts as planned)."""

    unit_id = fields.Integer(required=True, validate=ID_RANGE)
    planned_on = fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})


class DrillPatchSchema(DrillFieldsSchema):
    """Partial update of the description and plans; the date changes through /reschedule."""

    version = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String()
    form = fields.String(validate=validate.OneOf(FORMS))
    scope = fields.String(validate=validate.OneOf(SCOPES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
    plan_ids = fields.List(fields.Integer(validate=ID_RANGE))


class DrillQuerySchema(Schema):
    unit = fields.Integer(validate=ID_RANGE, metadata={"description": "Unit id"})
    year = fields.Integer(validate=YEAR_RANGE,
                          metadata={"description": "Year of the held day, else the planned day"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    form = fields.String(validate=validate.OneOf(FORMS))


class RescheduleSchema(Schema):
    new_date = fields.Date(required=True)
    reason = fields.String(required=True)


class CancelSchema(Schema):
    reason = fields.String(required=True)


class HeldSchema(Schema):
    """The record of a held drill (it may be sent again to correct it)."""

    held_on = fields.Date(required=True, metadata={"description": "The day it was held, not today"})
    duration_minutes = fields.Integer(allow_none=True, load_default=None)
    participants = fields.Integer(allow_none=True, load_default=None)
    evacuation_seconds = fields.Integer(allow_none=True, load_default=None,
                                        metadata={"description": "Schools only, 1 to 3600"})
    reported_on = fields.Date(
        allow_none=True, load_default=None,
        metadata={"description": "Reported to the regulator (high-risk units)"})
    summary = fields.String(allow_none=True, load_default=None)


class CoverageSchema(Schema):
    rule_code = fields.String()
    obligation = fields.String()
    subject = fields.String()
    plan_id = fields.Integer(allow_none=True)
    period = fields.String(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.String()
    citation = fields.String()
    #: The held or planned drill days that count for it.
    drill_dates = fields.List(fields.Date())


class CoverRefSchema(Schema):
    rule_code = fields.String()
    period = fields.String(allow_none=True)
    subject = fields.String()


class PlanDrillSchema(DrillSchema):
    #: The drill obligations this drill's day counts for.
    covers = fields.List(fields.Nested(CoverRefSchema))


class DrillPlanSchema(Schema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    year = fields.Integer()
    assessment_date = fields.Date()
    drills = fields.List(fields.Nested(PlanDrillSchema))
    #: Drill obligations the plan (held and planned drills) leaves unmet at the assessment date.
    uncovered = fields.List(fields.Nested(CoverageSchema))
    #: Drill obligations met by held or planned drills.
    covered = fields.List(fields.Nested(CoverageSchema))


class DrillPlanQuerySchema(Schema):
    year = fields.Integer(validate=YEAR_RANGE, metadata={"description": "Default: this year"})


class ActionEventSchema(Schema):
    event = fields.String(metadata={"enum": ["closed", "verified", "reopened"]})
    comment = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda event: event.actor.display_name if event.actor else None,
                                 metadata={"type": "string", "nullable": True})
    at = fields.AwareDateTime()


class ActionSchema(Schema):
    id = fields.Integer(dump_only=True)
    unit_id = fields.Integer(dump_only=True)
    drill_id = fields.Integer(dump_only=True, allow_none=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True, load_default=None)
    #: The person responsible (a name).
    owner = fields.String(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(dump_only=True, metadata={"enum": ACTION_STATUSES})
    closed_on = fields.Date(dump_only=True, allow_none=True)
    closing_note = fields.String(dump_only=True, allow_none=True)
    verified_on = fields.Date(dump_only=True, allow_none=True)
    verified_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    evidence = fields.Method("get_evidence", dump_only=True,
                             metadata={"type": "array", "items": {"type": "object"}})
    events = fields.Method("get_events", dump_only=True,
                           metadata={"type": "array", "items": {"type": "object"}})

    def get_evidence(self, action):
        documents = db.session.scalars(select(Document).where(Document.action_id == action.id)
                                       .order_by(Document.id)).all()
        return DrillDocumentSchema(many=True).dump(documents)

    def get_events(self, action):
        events = db.session.scalars(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                    .order_by(ActionEvent.id)).all()
        return ActionEventSchema(many=True).dump(events)


class CloseSchema(Schema):
    note = fields.String(allow_none=True, load_default=None,
                         metadata={"description": "What was done"})


class ReopenSchema(Schema):
    comment = fields.String(required=True, metadata={"description": "Why it is sent back"})


class DrillDocumentFormSchema(Schema):
    doc_type = fields.String(required=True, validate=validate.OneOf(DOC_TYPES))


class EvidenceFormSchema(Schema):
    doc_type = fields.String(load_default=DocType.ACTION_EVIDENCE.value,
                             validate=validate.OneOf(EVIDENCE_TYPES))


class FileSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "PDF, DOC, DOCX, WPS, OFD, JPG or PNG; checked by content"})


class DrillUploadSchema(DrillDocumentFormSchema, FileSchema):
    """The whole multipart form, for the OpenAPI document."""


class EvidenceUploadSchema(EvidenceFormSchema, FileSchema):
    """The whole multipart form, for the OpenAPI document."""


# --- Helpers -----------------------------------------------------------------------------------

def _can_manage(unit_id: int) -> bool:
    return api_user().can_manage_unit(unit_id)


def _refuse(problems: list[Problem]) -> None:
    refuse(problems, CONFLICT_CODES)


def _stale() -> None:
    db.session.rollback()
    abort(409, message=_("The record was changed by someone else."))


def _too_long(body: dict, limits: dict[str, int]) -> list[Problem]:
    return [Problem(name, "too_long", {"max": limit}) for name, limit in limits.items()
            if body.get(name) and len(body[name]) > limit]


def _locked(model, object_id: int):
    """Load an object in scope and lock its row, so two requests cannot both change it."""
    obj = get_scoped_or_404(model, object_id, api_user())
    db.session.refresh(obj, with_for_update=True)
    return obj


def _commit_or_refuse(change) -> None:
    """Run a service call and commit; problems become 409/422, a concurrent change 409."""
    try:
        change()
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    except StaleDataError:
        _stale()


def _upload(upload, owner: Owner, doc_type: str) -> Document:
    """Store an upload as a document and commit; a refused file is 422 (413 if too large)."""
    if not getattr(upload, "filename", ""):
        webargs_abort(422, messages={"files": {"file": [_("Choose a file.")]}})
    try:
        document = save_upload(upload, owner, doc_type, api_user(), china_today())
    except RejectedFile as error:
        db.session.rollback()
        message = rejection_message(error)
        status = 413 if error.code == RejectReason.TOO_LARGE else 422
        abort(status, message=message, errors={"files": {"file": [message]}})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_files([document])
        raise
    return document


def _drill_data(body: dict) -> services.DrillData:
    return services.DrillData(title=body.get("title") or "", planned_on=body.get("planned_on"),
                              form=body["form"], scope=body["scope"], purpose=body["purpose"],
                              plan_ids=list(body.get("plan_ids") or []))


def _year_clause(year: int):
    first, last = date(year, 1, 1), date(year, 12, 31)
    return or_(Drill.held_on.between(first, last),
               and_(Drill.held_on.is_(None), Drill.planned_on.between(first, last)))


# --- Drills ------------------------------------------------------------------------------------

@blp.route("/drills")
@errors(blp)
@blp.arguments(DrillQuerySchema, location="query")
@blp.response(200, DrillSchema(many=True))
@blp.paginate(SelectPage)
def list_drills(args):
    """List the drills in the caller's scope by date (held day, else planned day)."""
    stmt = scoped(Drill, api_user()).options(joinedload(Drill.unit), selectinload(Drill.plans))
    if "unit" in args:
        stmt = stmt.where(Drill.unit_id == args["unit"])
    if "year" in args:
        stmt = stmt.where(_year_clause(args["year"]))
    if "status" in args:
        stmt = stmt.where(Drill.status == args["status"])
    if "form" in args:
        stmt = stmt.where(Drill.form == args["form"])
    return stmt.order_by(func.coalesce(Drill.held_on, Drill.planned_on), Drill.id)


@blp.route("/drills", methods=["POST"])
@errors(blp, 403, 409)
@blp.arguments(DrillCreateSchema)
@blp.response(201, DrillDetailSchema)
def create_drill(body):
    """Add a planned drill to a unit's annual drill plan."""
    user = api_user()
    unit = db.session.execute(
        scoped(Unit, user).where(Unit.id == body["unit_id"])).scalar_one_or_none()
    if unit is None:
        abort_with_field_errors(
            [("unit_id", _("This unit does not exist or is outside your scope."))],
            _("The data sent could not be accepted."))
    _require_manage(unit.id)
    result = {}

    def plan():
        result["drill"] = services.plan_drill(unit, _drill_data(body), user, china_today())

    _commit_or_refuse(plan)
    return result["drill"]


@blp.route("/drills/<int:drill_id>")
@errors(blp, 404)
@blp.response(200, DrillDetailSchema)
def get_drill(drill_id: int):
    """Return one drill with its record documents, what is missing and its change history."""
    return get_scoped_or_404(Drill, drill_id, api_user())


@blp.route("/drills/<int:drill_id>", methods=["PATCH"])
@errors(blp, 403, 404, 409)
@blp.arguments(DrillPatchSchema)
@blp.response(200, DrillDetailSchema)
def patch_drill(body, drill_id: int):
    """Change a drill's title, form, scope, purpose or plans; a stale `version` gives 409."""
    drill = _locked(Drill, drill_id)
    _require_manage(drill.unit_id)
    if drill.status == DrillStatus.CANCELLED:
        abort(409, message=_("A cancelled drill cannot be changed."))
    if body.pop("version") != drill.version:
        _stale()
    current = {"title": drill.title, "form": drill.form, "scope": drill.scope,
               "purpose": drill.purpose, "plan_ids": [p.id for p in drill.plans]}
    data = _drill_data({**current, **body})
    _commit_or_refuse(lambda: services.update_drill(drill, data, china_today()))
    return drill


@blp.route("/drills/<int:drill_id>/reschedule", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(RescheduleSchema)
@blp.response(200, DrillDetailSchema)
def reschedule_drill(body, drill_id: int):
    """Move a planned drill to another day, with a reason (calendars see a new SEQUENCE)."""
    drill = _locked(Drill, drill_id)
    _require_manage(drill.unit_id)
    too_long = _too_long(body, {"reason": MAX_REASON})
    if too_long:
        _refuse(too_long)
    _commit_or_refuse(lambda: services.reschedule(drill, body["new_date"], body["reason"],
                                                  api_user(), china_today()))
    return drill


@blp.route("/drills/<int:drill_id>/cancel", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(CancelSchema)
@blp.response(200, DrillDetailSchema)
def cancel_drill(body, drill_id: int):
    """Cancel a planned drill, with a reason (calendars show it as cancelled)."""
    drill = _locked(Drill, drill_id)
    _require_manage(drill.unit_id)
    too_long = _too_long(body, {"reason": MAX_REASON})
    if too_long:
        _refuse(too_long)
    _commit_or_refuse(lambda: services.cancel(drill, body["reason"], api_user()))
    return drill


@blp.route("/drills/<int:drill_id>/held", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(HeldSchema)
@blp.response(200, DrillDetailSchema)
def record_held(body, drill_id: int):
    """Record (or correct) that a drill was held; it counts for the unit's obligations at once."""
    drill = _locked(Drill, drill_id)
    _require_manage(drill.unit_id)
    too_long = _too_long(body, {"summary": MAX_SUMMARY})
    data = services.HeldData(**body)
    if too_long:
        _refuse(too_long + services.check_held(data, drill.unit, china_today()))
    _commit_or_refuse(lambda: services.record_held(drill, data, api_user(), china_today()))
    return drill


@blp.route("/units/<int:unit_id>/drill-plan")
@errors(blp, 404)
@blp.arguments(DrillPlanQuerySchema, location="query")
@blp.response(200, DrillPlanSchema)
def drill_plan(args, unit_id: int):
    """Return a unit's annual drill plan and which drill obligations it covers or leaves open.

    Planned drills count as held on their planned day; obligations are evaluated as of the
    year's assessment date.
    """
    unit = get_scoped_or_404(Unit, unit_id, api_user())
    year = args.get("year") or china_today().year
    drills = db.session.scalars(
        select(Drill).where(Drill.unit_id == unit.id, _year_clause(year))
        .options(joinedload(Drill.unit), selectinload(Drill.plans))
        .order_by(func.coalesce(Drill.held_on, Drill.planned_on), Drill.id)).unique().all()
    coverage = annual_coverage(unit.id, year)
    return {
        "unit_id": unit.id, "unit_name": unit.name, "year": year,
        "assessment_date": coverage.assessment_date,
        "drills": [_PlanDrill(drill, _covers(drill, coverage)) for drill in drills],
        "uncovered": [_coverage_item(o) for o in coverage.uncovered],
        "covered": [_coverage_item(o) for o in coverage.covered],
    }


class _PlanDrill:
    """A drill of the annual plan with the obligations its day counts for."""

    def __init__(self, drill: Drill, covers: list[dict]):
        self._drill, self.covers = drill, covers

    def __getattr__(self, name):
        return getattr(self._drill, name)


def _covers(drill: Drill, coverage) -> list[dict]:
    if drill.status == DrillStatus.CANCELLED:
        return []
    return [{"rule_code": o.rule_code, "period": o.period, "subject": o.subject}
            for o in periods_of(drill, coverage)]


def _coverage_item(obligation) -> dict:
    evidence = obligation.evidence or {}
    dates = list(evidence.get("drill_dates") or ())
    if not dates and evidence.get("last_drill_on"):
        dates = [evidence["last_drill_on"]]
    return {"rule_code": obligation.rule_code, "obligation": str(obligation.kind),
            "subject": obligation.subject, "plan_id": obligation.plan_id,
            "period": obligation.period, "due_on": obligation.due_on,
            "status": str(obligation.status), "citation": obligation.citation,
            "drill_dates": [date.fromisoformat(d) for d in dates]}


# --- Drill documents ---------------------------------------------------------------------------

@blp.route("/drills/<int:drill_id>/documents")
@errors(blp, 404)
@blp.response(200, DrillDocumentSchema(many=True))
def list_drill_documents(drill_id: int):
    """List the record documents of a drill (scheme, script, reports, photos, sign-in sheets)."""
    drill = get_scoped_or_404(Drill, drill_id, api_user())
    return db.session.scalars(select(Document).where(Document.drill_id == drill.id)
                              .order_by(Document.id)).all()


@blp.route("/drills/<int:drill_id>/documents", methods=["POST"])
@errors(blp, 403, 404, 409, 413)
@blp.arguments(DrillDocumentFormSchema, location="form")
@blp.arguments(FileSchema, location="files")
@blp.response(201, DrillDocumentSchema)
# flask-smorest documents only one of the two locations as the body: describe the whole form.
@blp.doc(parameters=[], requestBody={
    "required": True, "content": {"multipart/form-data": {"schema": DrillUploadSchema}}})
def upload_drill_document(form, files, drill_id: int):
    """Attach a record document (multipart: `doc_type` and `file`) to a drill not cancelled.

    The file is checked by its content; a refused file gives 422 (413 when too large) and
    leaves nothing behind. The drill's `checklist.missing` lists what is still required.
    """
    drill = get_scoped_or_404(Drill, drill_id, api_user())
    _require_manage(drill.unit_id)
    if drill.status == DrillStatus.CANCELLED:
        abort(409, message=_("Documents cannot be added to a cancelled drill."))
    return _upload(files["file"], Owner(unit_id=drill.unit_id, drill_id=drill.id), form["doc_type"])


# --- Corrective actions ------------------------------------------------------------------------

@blp.route("/drills/<int:drill_id>/actions")
@errors(blp, 404)
@blp.response(200, ActionSchema(many=True))
def list_actions(drill_id: int):
    """List the corrective actions raised from a drill, by due date."""
    drill = get_scoped_or_404(Drill, drill_id, api_user())
    return db.session.scalars(select(CorrectiveAction).where(CorrectiveAction.drill_id == drill.id)
                              .order_by(CorrectiveAction.due_on, CorrectiveAction.id)).all()


@blp.route("/drills/<int:drill_id>/actions", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(ActionSchema)
@blp.response(201, ActionSchema)
def create_action(body, drill_id: int):
    """Turn a finding of a held drill into a corrective action with an owner and a due date."""
    drill = _locked(Drill, drill_id)
    _require_manage(drill.unit_id)
    too_long = _too_long(body, {"description": MAX_DESCRIPTION})
    if too_long:
        _refuse(too_long)
    data = actions.ActionData(title=body["title"], owner=body["owner"], due_on=body["due_on"],
                              description=body.get("description"))
    result = {}

    def add():
        result["action"] = actions.add_action(drill, data, api_user(), china_today())

    _commit_or_refuse(add)
    return result["action"]


@blp.route("/actions/<int:action_id>")
@errors(blp, 404)
@blp.response(200, ActionSchema)
def get_action(action_id: int):
    """Return one corrective action with its evidence and history."""
    return get_scoped_or_404(CorrectiveAction, action_id, api_user())


@blp.route("/actions/<int:action_id>/documents", methods=["POST"])
@errors(blp, 403, 404, 409, 413)
@blp.arguments(EvidenceFormSchema, location="form")
@blp.arguments(FileSchema, location="files")
@blp.response(201, DrillDocumentSchema)
@blp.doc(parameters=[], requestBody={
    "required": True, "content": {"multipart/form-data": {"schema": EvidenceUploadSchema}}})
def upload_evidence(form, files, action_id: int):
    """Attach evidence (multipart: `file`, optional `doc_type`) to an open corrective action."""
    action = get_scoped_or_404(CorrectiveAction, action_id, api_user())
    _require_manage(action.unit_id)
    if action.status != ActionStatus.OPEN:
        abort(409, message=_("Evidence can only be added while the corrective action is open."))
    return _upload(files["file"], Owner(unit_id=action.unit_id, action_id=action.id),
                   form["doc_type"])


@blp.route("/actions/<int:action_id>/close", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(CloseSchema)
@blp.response(200, ActionSchema)
def close_action(body, action_id: int):
    """Close an open action; 409 until at least one evidence document was uploaded."""
    action = _locked(CorrectiveAction, action_id)
    _require_manage(action.unit_id)
    _commit_or_refuse(lambda: actions.close_action(action, body.get("note"), api_user(),
                                                   china_today()))
    return action


@blp.route("/actions/<int:action_id>/verify", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.response(200, ActionSchema)
def verify_action(action_id: int):
    """Confirm a closed action (office staff only)."""
    action = _locked(CorrectiveAction, action_id)
    _require_office()
    _commit_or_refuse(lambda: actions.verify_action(action, api_user(), china_today()))
    return action


@blp.route("/actions/<int:action_id>/reopen", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(ReopenSchema)
@blp.response(200, ActionSchema)
def reopen_action(body, action_id: int):
    """Send a closed action back to the unit with a comment (office staff only)."""
    action = _locked(CorrectiveAction, action_id)
    _require_office()
    too_long = _too_long(body, {"comment": MAX_REASON})
    if too_long:
        _refuse(too_long)
    _commit_or_refuse(lambda: actions.reopen_action(action, body["comment"], api_user()))
    return action
