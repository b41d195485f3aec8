"""Helpers shared by the API modules: the acting user, SQL paging, field errors."""

from flask import g
from flask_babel import gettext as _
from flask_smorest import Page, abort
from sqlalchemy import func, select

from emergency.extensions import db


def api_user():
    """Return the user authenticated by the API token."""
    return g.api_user


class SelectPage(Page):
    """Page a SQLAlchemy SELECT in the database instead of loading every row."""

    @property
    def items(self):
        stmt = self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return db.session.scalars(stmt).unique().all()

    @property
    def item_count(self):
        count = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(count)


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
