"""Error pages in the user's language, and JSON errors under /api/."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from emergency.extensions import db

PAGES = {400, 403, 404, 405, 409, 413, 429, 500}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _message(code: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in, or send a valid API token."),
        403: _("You do not have permission to do this."),
        404: _("The page or record was not found, or it is outside your scope."),
        405: _("This action is not allowed here."),
        409: _("The record was changed by someone else."),
        413: _("The upload is larger than the allowed size."),
        422: _("The data sent could not be accepted."),
        429: _("Too many requests. Please wait a moment."),
        500: _("Something went wrong on our side. The error has been logged."),
    }
    return messages.get(code, _("The request could not be completed."))


def handle_http_error(error: HTTPException):
    """Render an HTTP error as a translated page (or JSON for the API)."""
    code = error.code or 500
    if _wants_json():
        return _json_error(error, code)
    template = f"errors/{code}.html" if code in PAGES else "errors/generic.html"
    return render_template(template, code=code, message=_message(code)), code


def _json_error(error: HTTPException, code: int):
    # flask-smorest's abort() and webargs put a specific message and field errors in .data.
    data = getattr(error, "data", None) or {}
    body = {"code": code, "status": error.name, "message": data.get("message") or _message(code)}
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    return jsonify(body), code


def handle_csrf_error(error: CSRFError):
    """Explain a missing or expired form token instead of showing a bare 400."""
    message = _("The form has expired or was not sent from this site. Please reload the page and try again.")
    if _wants_json():
        return jsonify(code=400, status="Bad Request", message=message), 400
    return render_template("errors/generic.html", code=400, message=message), 400


def handle_unexpected(error: Exception):
    """Roll back and show the translated 500 page; the traceback goes to the log."""
    db.session.rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    from flask import current_app

    current_app.logger.exception("Unhandled exception")
    if _wants_json():
        return jsonify(code=500, status="Internal Server Error", message=_message(500)), 500
    return render_template("errors/500.html", code=500, message=_message(500)), 500


def register_error_handlers(app) -> None:
    """Attach the handlers to the app."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
