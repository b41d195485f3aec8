"""Import every model module so the metadata is complete for Alembic and create_all."""

from emergency.assessment import models as assessment_models  # noqa: F401
from emergency.audit import models as audit_models  # noqa: F401
from emergency.auth import models as auth_models  # noqa: F401
from emergency.compliance import models as compliance_models  # noqa: F401
from emergency.documents import models as document_models  # noqa: F401
from emergency.drills import models as drill_models  # noqa: F401
from emergency.plans import models as plan_models  # noqa: F401
from emergency.regions import models as region_models  # noqa: F401
from emergency.reminders import models as reminder_models  # noqa: F401
from emergency.units import models as unit_models  # noqa: F401
