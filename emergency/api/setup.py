"""Register the API blueprints with flask-smorest and require a token on every API request."""

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_smorest import abort

from emergency.auth.services import user_for_token
from emergency.extensions import csrf

PUBLIC_API_PATHS = {"/api/v1/openapi.json"}


def authenticate_request() -> None:
    """Resolve `Authorization: Bearer <token>` into g.api_user or answer 401.

    API requests never use the session cookie, which is what makes them safe without CSRF tokens.
    """
    if not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS:
        return
    scheme, _sep, secret = (request.headers.get("Authorization") or "").partition(" ")
    user = user_for_token(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if user is None:
        abort(401, message=_("A valid API token is required (Authorization: Bearer <token>)."))
    g.api_user = user


def init_api(app: Flask, api) -> None:
    """Initialise flask-smorest and register every API blueprint."""
    app.config.setdefault("API_SPEC_OPTIONS", {
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    })
    # No catch-all `default` response: each operation declares the statuses it really answers
    # (emergency.api.common.errors), so clients and schemathesis can hold the API to them.
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    api.init_app(app)
    from emergency.api.me import blp as me_blp
    from emergency.assessment.api import blp as assessment_blp
    from emergency.compliance.api import blp as compliance_blp
    from emergency.documents.api import blp as documents_blp
    from emergency.drills.api import blp as drills_blp
    from emergency.plans.api import blp as plans_blp
    from emergency.plans.api import versions_blp
    from emergency.regions.api import blp as regions_blp
    from emergency.units.api import blp as units_blp

    for blp in (me_blp, regions_blp, units_blp, plans_blp, versions_blp, documents_blp,
                compliance_blp, drills_blp, assessment_blp):
        csrf.exempt(blp)
        api.register_blueprint(blp)
    # One app-level hook (not one per blueprint) so unknown /api/ URLs also need a token.
    app.before_request(authenticate_request)
