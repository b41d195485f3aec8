"""Assemble the plan detail page, which several views render (also with errors, as a 4xx)."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from emergency.auth.models import Role
from emergency.clock import china_today
from emergency.compliance.deadlines import filing_met
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.checklist import principal_signature_required
from emergency.plans.filing import checklist
from emergency.plans.forms import DocumentForm, EvaluationForm, ReturnForm, RevisionForm
from emergency.plans.models import Evaluation, FilingEvent, Plan, PlanVersion, RevisionItem, SignerRole

FILING_CITATION = "《突发事件应急预案管理办法》（国办发〔2024〕5号）第二十六条；《生产安全事故应急预案管理办法》第二十六条"
REVIEW_CITATION = "《生产安全事故应急预案管理办法》第二十八条"


def _history(plan: Plan):
    versions = db.session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.number.desc())
    ).all()
    ids = [v.id for v in versions]
    documents = db.session.scalars(
        select(Document).where(Document.plan_version_id.in_(ids)).order_by(Document.id)).all()
    events = db.session.scalars(
        select(FilingEvent).where(FilingEvent.version_id.in_(ids)).order_by(FilingEvent.id)).all()
    by_version = {v.id: {"documents": [], "events": []} for v in versions}
    for document in documents:
        by_version[document.plan_version_id]["documents"].append(document)
    for event in events:
        by_version[event.version_id]["events"].append(event)
    return versions, by_version


def plan_page(plan: Plan, status: int = 200, **forms):
    """Render the plan page with fresh forms unless the caller passes ones with errors."""
    versions, by_version = _history(plan)
    current = plan.current_version
    required, missing = checklist(current) if current else ([], [])
    evaluations = db.session.scalars(
        select(Evaluation).where(Evaluation.plan_id == plan.id).order_by(Evaluation.evaluated_on.desc())
    ).all()
    eval_documents = db.session.scalars(
        select(Document).where(Document.evaluation_id.in_([e.id for e in evaluations]))).all()
    revisions = db.session.scalars(
        select(RevisionItem).where(RevisionItem.plan_id == plan.id).order_by(RevisionItem.id.desc())
    ).all()
    from emergency.plans.views import can_manage

    context = dict(
        plan=plan, current=current, versions=versions, by_version=by_version, required=required,
        missing=missing, evaluations=evaluations, eval_documents=eval_documents, revisions=revisions,
        children=db.session.scalars(select(Plan).where(Plan.parent_id == plan.id)).all(),
        can_manage=can_manage(plan.unit_id), is_office=current_user.can_edit,
        today=china_today(), filing_citation=FILING_CITATION, review_citation=REVIEW_CITATION,
        filing_met=filing_met(current.filing_due_on, current.submitted_on) if current else None,
        signer_warning=bool(current and current.signer_role == SignerRole.DEPUTY
                            and principal_signature_required(plan.unit.kind)),
        is_liaison=current_user.role == Role.LIAISON,
        document_form=forms.get("document_form") or DocumentForm(),
        return_form=forms.get("return_form") or ReturnForm(),
        evaluation_form=forms.get("evaluation_form") or EvaluationForm(),
        revision_form=forms.get("revision_form") or RevisionForm(),
    )
    return render_template("plans/detail.html", **context), status
