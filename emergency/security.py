"""Security headers set on every response, and input no database can store."""

from flask import abort, request

CSP = "; ".join([
    "default-src 'self'",
    # Bootstrap's CSS embeds its small SVG icons as data: URIs.
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


def set_security_headers(response):
    """Add CSP, nosniff and framing headers that also work over plain HTTP."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_bytes():
    """Answer 400 to text containing NUL: PostgreSQL cannot store or even compare it (a 500)."""
    fields = [*request.args.lists(), *request.form.lists()]
    if any(_has_nul(key) or _has_nul(values) for key, values in fields):
        abort(400)
    if request.is_json and _has_nul(request.get_json(silent=True)):
        abort(400)
