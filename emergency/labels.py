"""Translated display names for the codes stored in the database."""

from flask_babel import lazy_gettext as _l

from emergency.auth.models import Role
from emergency.regions.models import RegionLevel
from emergency.units.models import RiskTag, UnitKind

UNIT_KINDS = {
    UnitKind.TOWN_STREET: _l("Town / street"),
    UnitKind.VILLAGE_COMMUNITY: _l("Village / community"),
    UnitKind.SCHOOL: _l("Primary or secondary school"),
    UnitKind.KINDERGARTEN: _l("Kindergarten"),
    UnitKind.UNIVERSITY: _l("University or college"),
    UnitKind.ENTERPRISE: _l("Enterprise"),
    UnitKind.GOVERNMENT_DEPARTMENT: _l("Government department"),
    UnitKind.PUBLIC_INSTITUTION: _l("Public institution"),
    UnitKind.OTHER: _l("Other organisation"),
}

RISK_TAGS = {
    RiskTag.HAZARDOUS_CHEMICALS: _l("Hazardous chemicals"),
    RiskTag.MINING: _l("Mining"),
    RiskTag.METAL_SMELTING: _l("Metal smelting"),
    RiskTag.CONSTRUCTION: _l("Construction"),
    RiskTag.FIREWORKS: _l("Fireworks"),
    RiskTag.CROWDED_PLACE: _l("Crowded place"),
    RiskTag.LIFELINE_UTILITY: _l("Lifeline utility"),
    RiskTag.BOARDING_SCHOOL: _l("Boarding school"),
    RiskTag.KEY_FIRE_SAFETY: _l("Key fire-safety unit"),
    RiskTag.MEDIUM_OR_LARGER: _l("Medium-size or larger"),
}

ROLES = {
    Role.ADMIN: _l("Administrator"),
    Role.OFFICE: _l("Office staff"),
    Role.LIAISON: _l("Unit liaison"),
    Role.VIEWER: _l("Leader (read-only)"),
}

REGION_LEVELS = {
    RegionLevel.PROVINCE: _l("Province"),
    RegionLevel.CITY: _l("City"),
    RegionLevel.COUNTY: _l("County / district"),
    RegionLevel.TOWN: _l("Town / street"),
    RegionLevel.VILLAGE: _l("Village / community"),
}

ASSESSMENT_CLASSES = {1: _l("Class I"), 2: _l("Class II"), 3: _l("Class III")}

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

from emergency.documents.models import DocType  # noqa: E402
from emergency.plans.filing import ReturnReason  # noqa: E402
from emergency.plans.models import (  # noqa: E402
    EvaluationConclusion,
    FilingState,
    HazardClass,
    PlanCategory,
    RevisionTrigger,
    SignerRole,
)

PLAN_CATEGORIES = {
    PlanCategory.OVERALL: _l("Overall / comprehensive plan"),
    PlanCategory.SPECIAL: _l("Special plan"),
    PlanCategory.DEPARTMENT: _l("Department plan"),
    PlanCategory.ONSITE: _l("On-site response plan"),
    PlanCategory.MAJOR_EVENT: _l("Major event plan"),
    PlanCategory.JOINT: _l("Joint plan"),
    PlanCategory.VILLAGE_BRIEF: _l("Village / community brief plan"),
    PlanCategory.ENVIRONMENTAL: _l("Environmental emergency plan"),
}

HAZARD_CLASSES = {
    HazardClass.COMPREHENSIVE: _l("Several hazard classes"),
    HazardClass.NATURAL: _l("Natural disaster"),
    HazardClass.ACCIDENT: _l("Accident"),
    HazardClass.PUBLIC_HEALTH: _l("Public health event"),
    HazardClass.SOCIAL_SECURITY: _l("Social security event"),
}

FILING_STATES = {
    FilingState.DRAFT: _l("Not submitted"),
    FilingState.SUBMITTED: _l("Waiting for review"),
    FilingState.RETURNED: _l("Returned for correction"),
    FilingState.FILED: _l("Filed"),
    FilingState.DEEMED_FILED: _l("Deemed filed"),
    FilingState.NOT_REQUIRED: _l("Minor revision, no new filing"),
}

SIGNER_ROLES = {
    SignerRole.PRINCIPAL: _l("Principal (主要负责人)"),
    SignerRole.DEPUTY: _l("Deputy in charge (分管负责人)"),
}

DOC_TYPES = {
    DocType.FILING_FORM: _l("Filing application form"),
    DocType.REVIEW_OPINION: _l("Expert review opinion"),
    DocType.PLAN_TEXT: _l("Plan text"),
    DocType.RISK_ASSESSMENT: _l("Risk assessment and emergency resource survey"),
    DocType.ISSUED_TEXT: _l("Officially issued text"),
    DocType.DRAFTING_NOTES: _l("Drafting notes"),
    DocType.EVALUATION_REPORT: _l("Evaluation report"),
    DocType.OTHER: _l("Other document"),
}

RETURN_REASONS = {
    ReturnReason.MISSING_DOCUMENTS: _l("Documents incomplete"),
    ReturnReason.WRONG_SIGNER: _l("Not signed by the required person"),
    ReturnReason.CONTENT_INCOMPLETE: _l("Plan elements incomplete"),
    ReturnReason.OUTDATED_BASIS: _l("Legal basis outdated"),
    ReturnReason.NO_RISK_ASSESSMENT: _l("No risk assessment or resource survey"),
    ReturnReason.NO_REVIEW: _l("Not reviewed by experts"),
    ReturnReason.FORMAT: _l("Format does not meet requirements"),
    ReturnReason.OTHER: _l("Other reason"),
}

EVALUATION_CONCLUSIONS = {
    EvaluationConclusion.KEEP: _l("Keep as is"),
    EvaluationConclusion.REVISE: _l("Needs revision"),
}

REVISION_TRIGGERS = {
    RevisionTrigger.EVALUATION: _l("Evaluation concluded it needs revision"),
    RevisionTrigger.LAW_CHANGED: _l("Laws, standards or the parent plan changed"),
    RevisionTrigger.PARENT_CHANGED: _l("Parent plan has a new major version"),
    RevisionTrigger.ORGANISATION_CHANGED: _l("Command organisation or duties changed"),
    RevisionTrigger.RISK_CHANGED: _l("Risks changed significantly"),
    RevisionTrigger.RESOURCES_CHANGED: _l("Important emergency resources changed"),
    RevisionTrigger.DRILL_PROBLEMS: _l("Problems found in a drill"),
    RevisionTrigger.INCIDENT_PROBLEMS: _l("Problems found in a real incident"),
    RevisionTrigger.OTHER: _l("Other reason"),
}

from emergency.drills.models import (  # noqa: E402
    ActionStatus,
    DrillForm,
    DrillPurpose,
    DrillScope,
    DrillStatus,
)

DRILL_FORMS = {DrillForm.TABLETOP: _l("Tabletop exercise"), DrillForm.LIVE: _l("Live drill")}
DRILL_SCOPES = {DrillScope.SINGLE: _l("Single-item"), DrillScope.COMPREHENSIVE: _l("Comprehensive")}
DRILL_PURPOSES = {
    DrillPurpose.INSPECTION: _l("Testing"),
    DrillPurpose.DEMONSTRATION: _l("Demonstration"),
    DrillPurpose.RESEARCH: _l("Research"),
}
DRILL_STATUSES = {
    DrillStatus.PLANNED: _l("Planned"),
    DrillStatus.HELD: _l("Held"),
    DrillStatus.CANCELLED: _l("Cancelled"),
}
ACTION_STATUSES = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.CLOSED: _l("Closed, waiting for verification"),
    ActionStatus.VERIFIED: _l("Verified"),
}
DOC_TYPES.update({
    DocType.DRILL_SCHEME: _l("Drill scheme"),
    DocType.DRILL_SCRIPT: _l("Drill script"),
    DocType.DRILL_ASSESSMENT: _l("Drill evaluation report"),
    DocType.DRILL_SUMMARY: _l("Drill summary report"),
    DocType.PHOTO: _l("Photos"),
    DocType.SIGN_IN: _l("Sign-in sheet"),
    DocType.ACTION_EVIDENCE: _l("Evidence of correction"),
})
