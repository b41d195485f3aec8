"""Locale and time-zone selection for Flask-Babel."""

import os

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user


def get_locale() -> str:
    """Pick the user's saved language, then the session's, then the browser's, then Chinese.

    Outside a request (CLI, scheduled jobs) EMERGENCY_LOCALE chooses, defaulting to Chinese.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        wanted = os.environ.get("EMERGENCY_LOCALE", "")
        return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    # API requests carry no session: the token's user (set by authenticate_request) is the user.
    user = g.get("api_user") or current_user
    user_locale = getattr(user, "locale", None) if user else None
    if user_locale in languages:
        return user_locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def get_timezone() -> str:
    """Show every date in China time, whatever the server's TZ is."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
