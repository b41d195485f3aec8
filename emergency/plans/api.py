"""Plan API: plans, versions, documents, the filing workflow, evaluations and revisions.

The same services, checks and scoping as the web pages: anything outside the caller's scope is
404, a role that may not act gets 403, a wrong filing state or a stale `version` gets 409, and
bad data gets 422 with translated messages under each field.
"""

from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from webargs.flaskparser import FlaskParser
from webargs.flaskparser import abort as webargs_abort

from emergency.api.common import (
    JsonBoolean,
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
from emergency.compliance.services import load_calendar
from emergency.documents.api import DocumentSchema
from emergency.documents.messages import rejection_message
from emergency.documents.models import Document
from emergency.documents.services import Owner, RejectedFile, discard_files, save_upload
from emergency.documents.sniff import RejectReason
from emergency.extensions import db
from emergency.messages import problem_message
from emergency.plans import filing, queries, revisions, services
from emergency.plans.checklist import PLAN_DOC_TYPES
from emergency.plans.models import (
    Evaluation,
    EvaluationConclusion,
    FilingEvent,
    FilingState,
    HazardClass,
    Plan,
    PlanCategory,
    PlanVersion,
    RevisionItem,
    RevisionTrigger,
    SignerRole,
)
from emergency.problems import Problem, ProblemsError
from emergency.units.models import Unit, UnitKind

ID_RANGE = validate.Range(min=1, max=2**31 - 1)
CATEGORIES = [c.value for c in PlanCategory]
HAZARD_CLASSES = [h.value for h in HazardClass]
SIGNER_ROLES = [r.value for r in SignerRole]
STATES = [s.value for s in FilingState]
DOC_TYPES = [t.value for t in PLAN_DOC_TYPES]
RETURN_REASONS = [r.value for r in filing.ReturnReason]
CONCLUSIONS = [c.value for c in EvaluationConclusion]
#: An evaluation opens its own revision item; the other triggers are raised by hand.
MANUAL_TRIGGERS = [t.value for t in RevisionTrigger if t != RevisionTrigger.EVALUATION]
#: Problems that mean "not now, in this state" rather than "bad data".
CONFLICT_CODES = frozenset({"wrong_state", "not_current_version", "version_under_review",
                            "documents_missing"})
#: Lengths the web forms enforce and the services do not.
MAX_HAZARD_SUBTYPE, MAX_COMMENT, MAX_SUMMARY, MAX_NOTE = 30, 2000, 5000, 2000


# --- Validation messages in the user's language ------------------------------------------------

def _marshmallow_message(text: str) -> str:
    """Return marshmallow's built-in English message in the current language."""
    if text in ("Missing data for required field.", "Field may not be null."):
        return _("This field is required.")
    if text.startswith("Must be one of:"):
        return _("Not a valid choice.")
    if text == "Not a valid date.":
        return _("Enter a date as YYYY-MM-DD.")
    if text == "Unknown field.":
        return _("Unknown field.")
    if text.startswith(("Not a valid", "Invalid", "Must be greater", "Must be less")):
        return _("Not a valid value.")
    return text


def _translated(messages):
    if isinstance(messages, dict):
        return {key: _translated(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_translated(value) for value in messages]
    return _marshmallow_message(str(messages))


class TranslatingParser(FlaskParser):
    """Parse requests like flask-smorest does, but explain errors in the user's language."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        webargs_abort(error_status_code or self.DEFAULT_VALIDATION_STATUS, exc=error,
                      messages=_translated(error.messages), schema=schema, headers=error_headers)


blp = Blueprint("api_plans", __name__, url_prefix="/api/v1/plans",
                description="Plans, their versions, evaluations and revisions")
versions_blp = Blueprint("api_versions", __name__, url_prefix="/api/v1/versions",
                         description="Plan versions: documents and the filing workflow")
blp.ARGUMENTS_PARSER = versions_blp.ARGUMENTS_PARSER = TranslatingParser()
blp.PAGINATION_ARGUMENTS_PARSER = blp.ARGUMENTS_PARSER


# --- Schemas -----------------------------------------------------------------------------------

class VersionSummarySchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    issued_on = fields.Date()
    filing_state = fields.String(metadata={"enum": STATES})
    filing_due_on = fields.Date(allow_none=True)
    filing_due_estimated = fields.Boolean()
    filing_number = fields.String(allow_none=True)


class PlanSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda plan: plan.unit.name, metadata={"type": "string"})
    title = fields.String()
    category = fields.String(metadata={"enum": CATEGORIES})
    hazard_class = fields.String(metadata={"enum": HAZARD_CLASSES})
    hazard_subtype = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    is_archived = fields.Boolean()
    #: The newest version; its filing state is the plan's filing state.
    current_version = fields.Nested(VersionSummarySchema, allow_none=True)
    #: Send it back with PATCH: a stale value gives 409.
    version = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PlanFieldsSchema(Schema):
    title = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    hazard_class = fields.String(required=True, validate=validate.OneOf(HAZARD_CLASSES))
    hazard_subtype = fields.String(allow_none=True, load_default=None)
    parent_id = fields.Integer(allow_none=True, load_default=None, validate=ID_RANGE)


class VersionFieldsSchema(Schema):
    issued_on = fields.Date(required=True, metadata={"description": "印发/公布日期 (YYYY-MM-DD)"})
    signer_role = fields.String(required=True, validate=validate.OneOf(SIGNER_ROLES))
    change_summary = fields.String(allow_none=True, load_default=None)
    is_major = JsonBoolean(load_default=True)


class PlanCreateSchema(PlanFieldsSchema, VersionFieldsSchema):
    """A new plan with its first version (a draft)."""

    unit_id = fields.Integer(required=True, validate=ID_RANGE)


class PlanPatchSchema(PlanFieldsSchema):
    """Partial update of a plan's own fields; `version` is the one the client last read."""

    version = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    hazard_class = fields.String(validate=validate.OneOf(HAZARD_CLASSES))
    hazard_subtype = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True, validate=ID_RANGE)


class PlanQuerySchema(Schema):
    q = fields.String(metadata={"description": "Part of the plan title or the unit name"})
    region = fields.Integer(validate=ID_RANGE, metadata={"description": "Region id (subtree)"})
    kind = fields.String(validate=validate.OneOf([k.value for k in UnitKind]))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    state = fields.String(validate=validate.OneOf(STATES))
    deadline = fields.String(validate=validate.OneOf(queries.DEADLINE_FILTERS))


class ChecklistSchema(Schema):
    required = fields.List(fields.String(metadata={"enum": DOC_TYPES}))
    missing = fields.List(fields.String(metadata={"enum": DOC_TYPES}))


class FilingEventSchema(Schema):
    id = fields.Integer()
    action = fields.String(metadata={"enum": ["submitted", "returned", "filed", "deemed_filed"]})
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda event: event.actor.display_name if event.actor else None,
                                 metadata={"type": "string", "nullable": True})
    reasons = fields.List(fields.String(metadata={"enum": RETURN_REASONS}), allow_none=True)
    comment = fields.String(allow_none=True)


class VersionSchema(VersionSummarySchema):
    plan_id = fields.Integer()
    unit_id = fields.Integer()
    signer_role = fields.String(metadata={"enum": SIGNER_ROLES})
    change_summary = fields.String(allow_none=True)
    is_major = fields.Boolean()
    is_current = fields.Function(lambda version: version.plan.current_version_id == version.id,
                                 metadata={"type": "boolean"})
    submitted_on = fields.Date(allow_none=True)
    #: Last day for the office to act on a submission.
    review_due_on = fields.Date(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    created_at = fields.AwareDateTime()
    checklist = fields.Nested(ChecklistSchema)
    documents = fields.List(fields.Nested(DocumentSchema))
    #: The filing history: submissions, returns with their reasons, filing.
    events = fields.List(fields.Nested(FilingEventSchema))

    def get_attribute(self, obj, attr, default):
        if attr == "checklist":
            required, missing = filing.checklist(obj)
            return {"required": [str(t) for t in required], "missing": [str(t) for t in missing]}
        if attr == "documents":
            return db.session.scalars(select(Document).where(Document.plan_version_id == obj.id)
                                      .order_by(Document.id)).all()
        if attr == "events":
            return db.session.scalars(select(FilingEvent).where(FilingEvent.version_id == obj.id)
                                      .order_by(FilingEvent.id)).all()
        return super().get_attribute(obj, attr, default)


class DocumentFormSchema(Schema):
    doc_type = fields.String(required=True, validate=validate.OneOf(DOC_TYPES))


class DocumentFileSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "PDF, DOC, DOCX, WPS, OFD, JPG or PNG; checked by content"})


class DocumentUploadSchema(DocumentFormSchema, DocumentFileSchema):
    """The whole multipart form, for the OpenAPI document."""


class ReturnSchema(Schema):
    reasons = fields.List(fields.String(validate=validate.OneOf(RETURN_REASONS)), required=True)
    comment = fields.String(allow_none=True, load_default=None)


class EvaluationSchema(Schema):
    id = fields.Integer(dump_only=True)
    plan_id = fields.Integer(dump_only=True)
    evaluated_on = fields.Date(required=True)
    conclusion = fields.String(required=True, validate=validate.OneOf(CONCLUSIONS))
    summary = fields.String(allow_none=True, load_default=None)
    recorded_by_id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    documents = fields.Method("get_documents", dump_only=True,
                              metadata={"type": "array", "items": {"type": "object"}})

    def get_documents(self, evaluation):
        documents = db.session.scalars(select(Document).where(
            Document.evaluation_id == evaluation.id).order_by(Document.id)).all()
        return DocumentSchema(many=True).dump(documents)


class RevisionCreateSchema(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(MANUAL_TRIGGERS))
    note = fields.String(allow_none=True, load_default=None)


class RevisionSchema(Schema):
    """A revision item as answered: it may also come from an evaluation (trigger `evaluation`)."""

    id = fields.Integer()
    plan_id = fields.Integer()
    trigger = fields.String(metadata={"enum": [t.value for t in RevisionTrigger]})
    note = fields.String(allow_none=True)
    raised_on = fields.Date(dump_only=True)
    raised_by_id = fields.Integer(dump_only=True, allow_none=True)
    evaluation_id = fields.Integer(dump_only=True, allow_none=True)
    closed_by_version_id = fields.Integer(dump_only=True, allow_none=True)
    closed_on = fields.Date(dump_only=True, allow_none=True)


# --- Helpers -----------------------------------------------------------------------------------

def _can_manage(unit_id: int) -> bool:
    return api_user().can_manage_unit(unit_id)


def _refuse(problems: list[Problem]) -> None:
    refuse(problems, CONFLICT_CODES)


def _too_long(body: dict, limits: dict[str, int]) -> list[Problem]:
    return [Problem(name, "too_long", {"max": limit}) for name, limit in limits.items()
            if body.get(name) and len(body[name]) > limit]


def _plan_data(body: dict) -> services.PlanData:
    return services.PlanData(title=body["title"], category=body["category"],
                             hazard_class=body["hazard_class"],
                             hazard_subtype=(body.get("hazard_subtype") or "").strip() or None,
                             parent_id=body.get("parent_id"))


def _version_data(body: dict) -> services.VersionData:
    return services.VersionData(issued_on=body["issued_on"], signer_role=body["signer_role"],
                                change_summary=body.get("change_summary"),
                                is_major=body.get("is_major", True))


def _locked_version(version_id: int) -> PlanVersion:
    """Load a version in scope and lock its row, so two reviewers cannot both act on it."""
    version = get_scoped_or_404(PlanVersion, version_id, api_user())
    db.session.refresh(version, with_for_update=True)
    return version


# --- Plans -------------------------------------------------------------------------------------

@blp.route("")
@errors(blp)
@blp.arguments(PlanQuerySchema, location="query")
@blp.response(200, PlanSchema(many=True))
@blp.paginate(SelectPage)
def list_plans(args):
    """List the plans in the caller's scope, by filing deadline."""
    filters = queries.PlanFilters.from_args({k: str(v) for k, v in args.items()})
    return queries.plan_list_query(api_user(), filters, china_today())


@blp.route("", methods=["POST"])
@errors(blp, 403, 409)
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanSchema)
def create_plan(body):
    """Register a plan with its first version (a draft) for a unit in the caller's scope."""
    user = api_user()
    unit = db.session.execute(
        scoped(Unit, user).where(Unit.id == body["unit_id"])).scalar_one_or_none()
    if unit is None:
        abort_with_field_errors(
            [("unit_id", _("This unit does not exist or is outside your scope."))],
            _("The data sent could not be accepted."))
    _require_manage(unit.id)
    plan_data, version_data = _plan_data(body), _version_data(body)
    too_long = _too_long(body, {"hazard_subtype": MAX_HAZARD_SUBTYPE})
    if too_long:
        _refuse(too_long + services.check_plan(plan_data, unit)
                + services.check_version(version_data, china_today()))
    try:
        plan = services.create_plan(unit, plan_data, version_data, user, china_today(),
                                    load_calendar())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return plan


@blp.route("/<int:plan_id>")
@errors(blp, 404)
@blp.response(200, PlanSchema)
def get_plan(plan_id: int):
    """Return one plan in the caller's scope."""
    return get_scoped_or_404(Plan, plan_id, api_user())


@blp.route("/<int:plan_id>", methods=["PATCH"])
@errors(blp, 403, 404, 409)
@blp.arguments(PlanPatchSchema)
@blp.response(200, PlanSchema)
def patch_plan(body, plan_id: int):
    """Change some of a plan's own fields; a stale `version` gives 409."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    _require_manage(plan.unit_id)
    stale = _("The record was changed by someone else.")
    if body.pop("version") != plan.version:
        abort(409, message=stale)
    current = {"title": plan.title, "category": plan.category, "hazard_class": plan.hazard_class,
               "hazard_subtype": plan.hazard_subtype, "parent_id": plan.parent_id}
    data = _plan_data({**current, **body})
    too_long = _too_long(body, {"hazard_subtype": MAX_HAZARD_SUBTYPE})
    if too_long:
        _refuse(too_long + services.check_plan(data, plan.unit, plan))
    try:
        services.update_plan(plan, data)
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    except StaleDataError:
        db.session.rollback()
        abort(409, message=stale)
    return plan


@blp.route("/<int:plan_id>/versions")
@errors(blp, 404)
@blp.response(200, VersionSchema(many=True))
def list_versions(plan_id: int):
    """List every version of a plan, newest first, with checklist, documents and filing history."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    return db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                              .order_by(PlanVersion.number.desc())).all()


@blp.route("/<int:plan_id>/versions", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(VersionFieldsSchema)
@blp.response(201, VersionSchema)
def create_version(body, plan_id: int):
    """Add a new version (a revision); 409 while the current one waits for the office's review."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    _require_manage(plan.unit_id)
    try:
        version = services.add_version(plan, _version_data(body), api_user(), china_today(),
                                       load_calendar())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return version


@blp.route("/<int:plan_id>/evaluations")
@errors(blp, 404)
@blp.response(200, EvaluationSchema(many=True))
def list_evaluations(plan_id: int):
    """List a plan's evaluations, newest first."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    return db.session.scalars(select(Evaluation).where(Evaluation.plan_id == plan.id)
                              .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())).all()


@blp.route("/<int:plan_id>/evaluations", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(EvaluationSchema)
@blp.response(201, EvaluationSchema)
def create_evaluation(body, plan_id: int):
    """Record an evaluation (评估); a "revise" conclusion opens a revision item."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    _require_manage(plan.unit_id)
    too_long = _too_long(body, {"summary": MAX_SUMMARY})
    if too_long:
        _refuse(too_long)
    data = revisions.EvaluationData(evaluated_on=body["evaluated_on"],
                                    conclusion=body["conclusion"], summary=body.get("summary"))
    try:
        evaluation = revisions.record_evaluation(plan, data, api_user(), china_today())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return evaluation


@blp.route("/<int:plan_id>/revisions")
@errors(blp, 404)
@blp.response(200, RevisionSchema(many=True))
def list_revisions(plan_id: int):
    """List a plan's revision items, newest first; open ones have no `closed_on`."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    return db.session.scalars(select(RevisionItem).where(RevisionItem.plan_id == plan.id)
                              .order_by(RevisionItem.id.desc())).all()


@blp.route("/<int:plan_id>/revisions", methods=["POST"])
@errors(blp, 403, 404, 409)
@blp.arguments(RevisionCreateSchema)
@blp.response(201, RevisionSchema)
def create_revision(body, plan_id: int):
    """Open a revision item because something the plan depends on changed."""
    plan = get_scoped_or_404(Plan, plan_id, api_user())
    _require_manage(plan.unit_id)
    too_long = _too_long(body, {"note": MAX_NOTE})
    if too_long:
        _refuse(too_long)
    try:
        item = revisions.raise_revision(plan, body["trigger"], body.get("note"), api_user(),
                                        china_today())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return item


# --- Versions, documents and filing ------------------------------------------------------------

@versions_blp.route("/<int:version_id>")
@errors(versions_blp, 404)
@versions_blp.response(200, VersionSchema)
def get_version(version_id: int):
    """Return one version with its filing deadline, checklist, documents and filing history."""
    return get_scoped_or_404(PlanVersion, version_id, api_user())


@versions_blp.route("/<int:version_id>/documents", methods=["POST"])
@errors(versions_blp, 403, 404, 409, 413)
@versions_blp.arguments(DocumentFormSchema, location="form")
@versions_blp.arguments(DocumentFileSchema, location="files")
@versions_blp.response(201, DocumentSchema)
# flask-smorest documents only one of the two locations as the body: describe the whole form.
@versions_blp.doc(parameters=[], requestBody={
    "required": True, "content": {"multipart/form-data": {"schema": DocumentUploadSchema}}})
def upload_document(form, files, version_id: int):
    """Attach a document (multipart: `doc_type` and `file`) to a version not yet submitted.

    The file is checked by its content; a refused file gives 422 (413 when too large) and
    leaves nothing behind.
    """
    version = get_scoped_or_404(PlanVersion, version_id, api_user())
    _require_manage(version.unit_id)
    if version.filing_state not in filing.SUBMITTABLE:
        abort(409, message=_("Documents can only be added before submission."))
    upload = files["file"]
    if not getattr(upload, "filename", ""):
        webargs_abort(422, messages={"files": {"file": [_("Choose a file.")]}})
    owner = Owner(unit_id=version.unit_id, plan_version_id=version.id)
    try:
        document = save_upload(upload, owner, form["doc_type"], api_user(), china_today())
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


@versions_blp.route("/<int:version_id>/submit", methods=["POST"])
@errors(versions_blp, 403, 404, 409)
@versions_blp.response(200, VersionSchema)
def submit(version_id: int):
    """Submit a version for filing; 409 while required documents are missing or in a wrong state."""
    version = _locked_version(version_id)
    _require_manage(version.unit_id)
    try:
        filing.submit(version, api_user(), china_today(), load_calendar())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return version


@versions_blp.route("/<int:version_id>/file", methods=["POST"])
@errors(versions_blp, 403, 404, 409)
@versions_blp.response(200, VersionSchema)
def file(version_id: int):
    """File a submitted version and give it a filing number (office staff only)."""
    version = _locked_version(version_id)
    _require_office()
    try:
        filing.file_version(version, api_user(), china_today())
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return version


@versions_blp.route("/<int:version_id>/return", methods=["POST"])
@errors(versions_blp, 403, 404, 409)
@versions_blp.arguments(ReturnSchema)
@versions_blp.response(200, VersionSchema)
def return_version(body, version_id: int):
    """Return a submission to the unit with structured reasons (office staff only)."""
    version = _locked_version(version_id)
    _require_office()
    problems = _too_long(body, {"comment": MAX_COMMENT})
    if not body["reasons"]:
        abort_with_field_errors([("reasons", _("Choose at least one reason."))]
                                + [(p.field, problem_message(p)) for p in problems],
                                _("The data sent could not be accepted."))
    if problems:
        _refuse(problems)
    try:
        filing.return_for_correction(version, api_user(), body["reasons"], body.get("comment"))
        db.session.commit()
    except ProblemsError as error:
        _refuse(error.problems)
    return version
