"""Replay demo stories through the real services, dated at each step's simulated moment.

The stories go through the same services a user's clicks do, so the demo data obeys every rule;
only the timestamps those services would set to "now" are moved back to the story's day.
"""

from datetime import datetime

from sqlalchemy import event

from emergency.documents.models import Document
from emergency.documents.services import discard_files
from emergency.extensions import db


class StoryRunner:
    """Run every story's steps in date order, each through a `_<action>` method of the subclass."""

    #: The timestamp columns of each model the stories create, set to the simulated moment.
    stamped: dict[type, tuple[str, ...]] = {}
    #: The model whose `updated_at` follows the simulated moment when a step changes it.
    touched: type | None = None

    def __init__(self):
        self.now: datetime | None = None
        self.documents: list[Document] = []

    def run(self, stories) -> None:
        queue = sorted(((step.day, story.order, index), story, step)
                       for story in stories for index, step in enumerate(story.steps))
        session, stamp = db.session(), self._stamp
        event.listen(session, "before_flush", stamp)
        try:
            for _key, story, step in queue:
                self.now = step.at
                getattr(self, f"_{step.action}")(story, step)
            db.session.flush()
        except BaseException:
            # The caller rolls the rows back; the files are ours to remove.
            discard_files(self.documents)
            raise
        finally:
            event.remove(session, "before_flush", stamp)
            self.now = None

    def _stamp(self, session, _context, _instances) -> None:
        """Date the rows created in this step at the step's simulated moment, not the load's."""
        if self.now is None:
            return
        for obj in session.new:
            for column in self.stamped.get(type(obj), ()):
                setattr(obj, column, self.now)
        if self.touched is not None:
            for obj in session.dirty:
                if isinstance(obj, self.touched):
                    obj.updated_at = self.now
