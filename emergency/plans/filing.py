"""The filing (备案) workflow: submit, file, return, and deemed filing after silence."""

from datetime import date
from enum import StrEnum

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from emergency.compliance.deadlines import is_deemed_filed, review_deadline
from emergency.compliance.workdays import WorkdayCalendar
from emergency.documents.models import Document
from emergency.extensions import db
from emergency.plans.checklist import deemed_filing_applies, missing_documents, required_documents
from emergency.plans.models import (
    FilingCounter,
    FilingEvent,
    FilingState,
    Plan,
    PlanVersion,
    RevisionItem,
    RevisionTrigger,
)
from emergency.problems import Problem, ProblemsError
from emergency.units.models import Unit

SUBMITTABLE = frozenset({FilingState.DRAFT, FilingState.RETURNED})


class ReturnReason(StrEnum):
    MISSING_DOCUMENTS = "missing_documents"  # 材料不齐全
    WRONG_SIGNER = "wrong_signer"  # 签发人不符合要求
    CONTENT_INCOMPLETE = "content_incomplete"  # 预案要素不完整
    OUTDATED_BASIS = "outdated_basis"  # 编制依据过时
    NO_RISK_ASSESSMENT = "no_risk_assessment"  # 未开展风险评估或资源调查
    NO_REVIEW = "no_review"  # 未经评审或论证
    FORMAT = "format"  # 格式不规范
    OTHER = "other"


def checklist(version: PlanVersion) -> tuple[list[str], list[str]]:
    """Return the required document types of a version and those still missing."""
    plan, unit = version.plan, db.session.get(Unit, version.unit_id)
    required = required_documents(unit.kind, unit.risk_tags, plan.category)
    present = set(db.session.scalars(
        select(Document.doc_type).where(Document.plan_version_id == version.id)))
    return required, missing_documents(required, present)


def _require_state(version: PlanVersion, states) -> None:
    if version.filing_state not in states:
        raise ProblemsError([Problem("", "wrong_state", {"state": version.filing_state})])


def _event(version: PlanVersion, action: str, user, **fields) -> None:
    db.session.add(FilingEvent(version_id=version.id, unit_id=version.unit_id, action=action,
                               actor_id=user.id if user else None, **fields))


def submit(version: PlanVersion, user, today: date, calendar: WorkdayCalendar) -> None:
    """Submit a version for filing; refused while required documents are missing."""
    _require_state(version, SUBMITTABLE)
    if version.plan.current_version_id != version.id:
        raise ProblemsError([Problem("", "not_current_version")])
    _required, missing = checklist(version)
    if missing:
        raise ProblemsError([Problem("", "documents_missing", {"missing": missing})])
    version.filing_state = FilingState.SUBMITTED
    version.submitted_on = today
    version.review_due_on = review_deadline(today, calendar).date
    _event(version, "submitted", user)
    db.session.flush()


def return_for_correction(version: PlanVersion, user, reasons: list[str], comment: str) -> None:
    """Return a submission to the unit with structured reasons."""
    _require_state(version, {FilingState.SUBMITTED})
    reasons = [r for r in reasons if r in set(ReturnReason)]
    if not reasons:
        raise ProblemsError([Problem("reasons", "required")])
    version.filing_state = FilingState.RETURNED
    _event(version, "returned", user, reasons=reasons, comment=(comment or "").strip() or None)
    db.session.flush()


def file_version(version: PlanVersion, user, today: date) -> None:
    """File a submission: give it a number, close the plan's revision items, flag child plans."""
    _require_state(version, {FilingState.SUBMITTED})
    version.filing_state = FilingState.FILED
    version.filed_on = today
    version.filing_number = next_filing_number(version, today)
    _event(version, "filed", user)
    after_filing(version, user, today)


def after_filing(version: PlanVersion, user, today: date) -> None:
    """Close the plan's revision items and flag its child plans: what filing a version means."""
    db.session.execute(
        update(RevisionItem)
        .where(RevisionItem.plan_id == version.plan_id, RevisionItem.closed_on.is_(None),
               RevisionItem.raised_on <= today)
        .values(closed_by_version_id=version.id, closed_on=today)
    )
    if version.is_major and version.number > 1:
        children = db.session.scalars(select(Plan).where(Plan.parent_id == version.plan_id,
                                                         Plan.is_archived.is_(False)))
        for child in children:
            db.session.add(RevisionItem(
                plan_id=child.id, unit_id=child.unit_id, trigger=RevisionTrigger.PARENT_CHANGED,
                raised_on=today, raised_by_id=user.id if user else None,
                note=f"{version.plan.title} v{version.number}"))
    db.session.flush()


def apply_deemed_filings(today: date, unit_ids=None) -> int:
    """Turn submissions left unanswered past their review day into "deemed filed"; return the count."""
    stmt = select(PlanVersion).where(PlanVersion.filing_state == FilingState.SUBMITTED,
                                     PlanVersion.review_due_on < today)
    if unit_ids is not None:
        stmt = stmt.where(PlanVersion.unit_id.in_(unit_ids))
    count = 0
    for version in db.session.scalars(stmt).all():
        unit = db.session.get(Unit, version.unit_id)
        if not deemed_filing_applies(unit.kind) or not is_deemed_filed(version.review_due_on, today):
            continue
        version.filing_state = FilingState.DEEMED_FILED
        version.filed_on = version.review_due_on
        version.filing_number = next_filing_number(version, version.review_due_on)
        _event(version, "deemed_filed", None)
        after_filing(version, None, version.review_due_on)
        count += 1
    return count


def next_filing_number(version: PlanVersion, on: date) -> str:
    """Return the next filing number from the configured pattern, unique across processes."""
    unit = db.session.get(Unit, version.unit_id)
    region_code = unit.region.code[:6]
    pattern = current_app.config["FILING_NUMBER_PATTERN"]
    prefix = f"{region_code}-{on.year}"
    seq = _next_sequence(prefix)
    return pattern.format(region_code=region_code, year=on.year, seq=seq)


def _next_sequence(prefix: str) -> int:
    # INSERT ... ON CONFLICT DO NOTHING then UPDATE ... RETURNING is atomic on both databases:
    # the UPDATE takes the row lock, so two offices filing at once get different numbers.
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(FilingCounter).values(prefix=prefix, last=0)
                       .on_conflict_do_nothing())
    return db.session.execute(
        update(FilingCounter).where(FilingCounter.prefix == prefix)
        .values(last=FilingCounter.last + 1).returning(FilingCounter.last)
    ).scalar_one()
