"""Helpers shared by the API modules: the acting user, SQL paging, field errors."""

from flask import g
from flask_babel import gettext as _
from flask_smorest import Page, abort
from flask_smorest.error_handler import ErrorSchema
from marshmallow import fields
from sqlalchemy import func, select

from emergency.extensions import db


def api_user():
    """Return the user authenticated by the API token."""
    return g.api_user


#: Largest OFFSET sent to the database: a larger one (page=10**20) overflows the driver's
#: 64-bit integer, and no scope holds that many rows anyway.
MAX_OFFSET = 2**31 - 1


class SelectPage(Page):
    """Page a SQLAlchemy SELECT in the database instead of loading every row."""

    @property
    def items(self):
        if self.page_params.first_item > MAX_OFFSET:
            return []  # a page past the end is empty, whatever its number
        stmt = self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return db.session.scalars(stmt).unique().all()

    @property
    def item_count(self):
        count = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(count)


#: Why each error status is answered, for the OpenAPI document (the body is always Error).
ERROR_REASONS = {
    400: "The request could not be read (malformed JSON, a NUL byte).",
    401: "No valid API token (Authorization: Bearer <token>).",
    403: "The caller's role may not do this.",
    404: "No such record in the caller's scope.",
    409: "The record's state does not allow this now, or `version` is stale.",
    413: "The upload is larger than the allowed size.",
    422: "The data sent is invalid; `errors` names each field.",
    503: "The database cannot be reached right now; retry after Retry-After seconds.",
}


def errors(blp, *codes: int):
    """Document the error statuses an operation answers, besides 400, 401 and 503 (every one).

    The API declares no catch-all `default` response, so the schema says exactly which statuses
    a client must handle; schemathesis checks the live API against it. 422 is declared by
    flask-smorest itself wherever request arguments are parsed.
    """

    def decorate(func):
        for code in sorted({400, 401, 503, *codes}):
            func = blp.alt_response(code, schema=ErrorSchema, description=ERROR_REASONS[code])(func)
        return func

    return decorate


class JsonBoolean(fields.Boolean):
    """JSON true or false only; marshmallow's Boolean also takes 0, 1, "yes", "on"..., which
    the OpenAPI document (type: boolean) does not allow, so a client could not rely on it."""

    def _deserialize(self, value, attr, data, **kwargs):
        # Checked by type: 0 == False and 1 == True, so a set of allowed values would not do.
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def abort_with_field_errors(problems, message: str) -> None:
    """Answer 422 with {"errors": {"json": {field: [messages]}}} like request validation does."""
    errors: dict[str, list[str]] = {}
    for field, text in problems:
        errors.setdefault(field, []).append(text)
    abort(422, message=message, errors={"json": errors})


def forbidden() -> None:
    """Answer 403 with a translated message."""
    abort(403, message=_("You do not have permission to do this."))


def require_manage(unit_id: int) -> None:
    """Answer 403 unless the caller may change this unit's plans and drills."""
    if not api_user().can_manage_unit(unit_id):
        forbidden()


def require_office() -> None:
    """Answer 403 unless the caller is office staff (or an administrator)."""
    if not api_user().can_edit:
        forbidden()


def refuse(problems, conflict_codes) -> None:
    """Roll back; answer 409 for a state conflict, else 422 with each problem under its field."""
    from emergency.messages import problem_message

    db.session.rollback()
    conflicts = [p for p in problems if p.code in conflict_codes]
    if conflicts:
        abort(409, message=" ".join(problem_message(p) for p in conflicts))
    abort_with_field_errors([(p.field or "_schema", problem_message(p)) for p in problems],
                            _("The data sent could not be accepted."))
