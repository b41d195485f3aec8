"""Which attachments a filing needs, by unit kind, risk and plan category. Pure."""

from emergency.documents.models import DocType
from emergency.plans.models import PlanCategory
from emergency.units.models import RiskTag, UnitKind

#: Units that must have their plan reviewed (评审), not just discussed (论证): 生产办法 第21条.
REVIEW_REQUIRED_TAGS = frozenset({
    RiskTag.MINING, RiskTag.METAL_SMELTING, RiskTag.CONSTRUCTION, RiskTag.HAZARDOUS_CHEMICALS,
    RiskTag.FIREWORKS, RiskTag.MEDIUM_OR_LARGER,
})
#: Document types a plan version may carry (drill and evaluation types belong elsewhere).
PLAN_DOC_TYPES = (DocType.FILING_FORM, DocType.REVIEW_OPINION, DocType.PLAN_TEXT,
                  DocType.RISK_ASSESSMENT, DocType.ISSUED_TEXT, DocType.DRAFTING_NOTES, DocType.OTHER)
GOVERNMENT_KINDS = frozenset({
    UnitKind.GOVERNMENT_DEPARTMENT, UnitKind.TOWN_STREET, UnitKind.VILLAGE_COMMUNITY,
})


def required_documents(unit_kind: str, risk_tags: set[str], category: str) -> list[DocType]:
    """Return the document types a filing of this plan must include.

    Enterprises follow 生产办法 第27条 (申报表, 评审意见 where 第21条 applies, the plan, the risk
    assessment and resource survey); government and community plans follow 办法2024 第26条 (the
    issued text and its 编制说明; a village's brief plan only needs the issued text).
    """
    if unit_kind == UnitKind.ENTERPRISE:
        needed = [DocType.FILING_FORM, DocType.PLAN_TEXT, DocType.RISK_ASSESSMENT]
        if set(risk_tags) & REVIEW_REQUIRED_TAGS:
            needed.insert(1, DocType.REVIEW_OPINION)
        return needed
    if category == PlanCategory.VILLAGE_BRIEF:
        return [DocType.ISSUED_TEXT]
    if unit_kind in GOVERNMENT_KINDS:
        return [DocType.ISSUED_TEXT, DocType.DRAFTING_NOTES]
    return [DocType.FILING_FORM, DocType.PLAN_TEXT]


def missing_documents(required: list[DocType], present: set[str]) -> list[DocType]:
    """Return the required types with no document yet, in checklist order."""
    return [doc_type for doc_type in required if doc_type not in present]


def deemed_filing_applies(unit_kind: str) -> bool:
    """Tell whether silence after the review period counts as filing (生产办法 第28条: enterprises)."""
    return unit_kind == UnitKind.ENTERPRISE


def principal_signature_required(unit_kind: str) -> bool:
    """Tell whether the 2024 rules require the principal's signature (办法2024 第25条)."""
    return unit_kind != UnitKind.GOVERNMENT_DEPARTMENT
