"""ICS calendar feeds of drills and deadlines, behind a revocable per-user token.

The account page shows the section (templates/drills/_calendar_token.html): create or regenerate
the link (its URL is shown once, only the SHA-256 of the token is stored) and revoke it. Calendar
programs then fetch GET /calendar/<token>.ics without a session; an unknown, revoked or replaced
token, or a deactivated owner, is a 404.

The token is part of the URL path: nothing here logs it, and the feed is sent with
`Cache-Control: private` and `Referrer-Policy: same-origin` (set for every response).
"""

import hashlib

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from emergency.clock import china_today
from emergency.drills import ics
from emergency.extensions import db

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.app_template_global()
def active_calendar_token():
    """Return the logged-in user's calendar token in use (for the account page), or None."""
    if not current_user.is_authenticated:
        return None
    return ics.active_token(current_user)


@bp.route("/token", methods=["POST"])
@login_required
def create_token():
    """Create (or replace) the user's calendar link and show its URL once on the account page."""
    from emergency.auth.views import account

    secret = ics.issue_token(current_user)
    db.session.commit()
    # Shown by the account page this one time; never put in the session, a flash or a log.
    g.calendar_feed_url = url_for("calendar.feed", token=secret, _external=True)
    return account()


@bp.route("/token/revoke", methods=["POST"])
@login_required
def revoke_token():
    """Revoke the user's calendar link; subscribed calendar programs get 404 from now on."""
    ics.revoke_tokens(current_user)
    db.session.commit()
    flash(_("The calendar link was revoked."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/<token>.ics")
def feed(token: str):
    """Send the ICS feed of the drills and open deadlines in the token owner's scope."""
    user = ics.owner_of(token)
    if user is None:
        abort(404)
    body = ics.build_feed(user, china_today())
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.headers["Cache-Control"] = "private"
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response.make_conditional(request)
