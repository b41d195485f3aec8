"""Wire extensions, blueprints, hooks and commands into an app (called by create_app)."""

import hashlib

from flask import Flask, request
from flask_login import current_user
from sqlalchemy.exc import DBAPIError
from werkzeug.routing import IntegerConverter, ValidationError

from config import check_production
from emergency.audit.guard import install_audit_guard
from emergency.audit.services import install_audit_listener
from emergency.compliance.live import install_recompute_listener
from emergency.database import (
    close_session_safely,
    handle_database_error,
    install_sqlite_settings,
)
from emergency.errors import register_error_handlers
from emergency.extensions import api, babel, bootstrap, csrf, db, login_manager, migrate
from emergency.i18n import get_locale, get_timezone
from emergency.security import refuse_nul_bytes, set_security_headers


class IdConverter(IntegerConverter):
    """<int:...> for ids, which the 32-bit id columns bound.

    A larger number becomes id -1, which no row has: a 404 instead of an overflow (a 500) in the
    database driver.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Out of range: id -1, which no row has, so every method answers 404 (not 0: views
        # read a falsy id as "new"). Refusing the match instead makes werkzeug answer 405 on
        # paths that also serve other methods.
        try:
            return super().to_python(value)
        except ValidationError:
            return -1


def register_everything(app: Flask) -> None:
    """Initialise every extension and register every feature."""
    check_production(app)
    _check_hashing_available()
    _allow_intranet_mail_domains()
    install_sqlite_settings()
    install_audit_listener()
    install_audit_guard()
    install_recompute_listener()
    _register_fact_loaders()
    app.url_map.converters["int"] = IdConverter
    _register_extensions(app)
    _register_blueprints(app)
    _register_api(app)
    _register_commands(app)
    _register_template_helpers(app)
    register_error_handlers(app)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.teardown_appcontext(close_session_safely)  # after db.init_app: runs before its teardown
    app.before_request(refuse_nul_bytes)
    app.after_request(set_security_headers)


def _register_fact_loaders() -> None:
    # Drills feed the compliance scan; the list is rebuilt, not appended to, so it stays one entry.
    from emergency.compliance.scan import FACT_LOADERS
    from emergency.drills.facts import load_drill_facts

    FACT_LOADERS[:] = [load_drill_facts]


def _check_hashing_available() -> None:
    # Werkzeug's scrypt needs hashlib.scrypt, which some OpenSSL builds lack: fail at startup,
    # not at the first login.
    if not hasattr(hashlib, "scrypt"):
        raise RuntimeError("hashlib.scrypt is not available; passwords cannot be hashed safely.")


def _allow_intranet_mail_domains() -> None:
    # Government intranets name their mail hosts *.local; email-validator documents removing
    # entries from this list as the way to accept such special-use domains.
    import email_validator

    if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def _register_extensions(app: Flask) -> None:
    import emergency.models  # noqa: F401  (complete metadata before Alembic looks at it)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=get_locale, timezone_selector=get_timezone,
                   default_translation_directories="translations")
    bootstrap.init_app(app)
    from emergency.auth.views import configure_login

    configure_login(login_manager, app)


def _register_blueprints(app: Flask) -> None:
    from emergency.assessment.assessment_views import bp as annual_bp
    from emergency.assessment.views import bp as assessment_bp
    from emergency.audit.views import bp as audit_bp
    from emergency.circulars.views import bp as circulars_bp
    from emergency.compliance import admin_views  # noqa: F401  (routes on compliance.bp)
    from emergency.compliance.views import bp as compliance_bp
    from emergency.auth.views import bp as auth_bp
    from emergency.documents.views import bp as documents_bp
    from emergency.drills import action_views, register_views  # noqa: F401  (routes on drills.bp)
    from emergency.drills.calendar_views import bp as calendar_bp
    from emergency.drills.views import bp as drills_bp
    from emergency.imports.views import bp as imports_bp
    from emergency.main.views import bp as main_bp
    from emergency.plans import filing_views, revision_views  # noqa: F401  (routes on plans.bp)
    from emergency.plans.views import bp as plans_bp
    from emergency.regions.views import bp as regions_bp
    from emergency.reminders.views import bp as reminders_bp
    from emergency.units.views import bp as units_bp
    from emergency.users.views import bp as users_bp

    blueprints = (main_bp, auth_bp, regions_bp, units_bp, users_bp, audit_bp, plans_bp,
                  documents_bp, compliance_bp, drills_bp, calendar_bp, assessment_bp,
                  reminders_bp, imports_bp, circulars_bp, annual_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_api(app: Flask) -> None:
    from emergency.api.setup import init_api

    init_api(app, api)


def _register_commands(app: Flask) -> None:
    from emergency.cli import register_commands

    register_commands(app)


def _register_template_helpers(app: Flask) -> None:
    from emergency.templating import register_template_helpers

    register_template_helpers(app)
