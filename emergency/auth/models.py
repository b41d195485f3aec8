"""User accounts, API tokens and failed-login records."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from emergency.database import UTCDateTime, utcnow
from emergency.extensions import db
from emergency.regions.models import Region
from emergency.units.models import Unit


class Role(StrEnum):
    ADMIN = "admin"
    OFFICE = "office"
    LIAISON = "liaison"
    VIEWER = "viewer"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'office', 'liaison', 'viewer')", name="role_known"),
        CheckConstraint("role != 'liaison' OR unit_id IS NOT NULL", name="liaison_has_unit"),
        CheckConstraint(
            "role NOT IN ('office', 'viewer') OR region_id IS NOT NULL", name="office_has_region"
        ),
    )
    #: Never copied into the audit log.
    __audit_exclude__ = frozenset(
        {"password_hash", "session_version", "last_login_at", "updated_at", "created_at"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(16))
    #: Scope of office and viewer users: this region and everything below it.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    #: Scope of a liaison: exactly this unit.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Part of the session id: bumping it ends every session of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: "zh" or "en"; NULL follows the browser.
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"

    def get_id(self) -> str:
        """Return the session id; it changes when the session version is bumped."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_edit(self) -> bool:
        """Tell whether the user may change units and users in their scope."""
        return self.role in (Role.ADMIN, Role.OFFICE)

    def can_manage_unit(self, unit_id: int) -> bool:
        """Tell whether the user may change a unit's plans and drills: its liaison, or office staff.

        Scope is checked separately (by the scoping helper); this is only about the role.
        """
        return self.can_edit or (self.role == Role.LIAISON and self.unit_id == unit_id)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the secret, so users can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id} {self.prefix}>"


class LoginFailure(db.Model):
    """One failed login; counted across all worker processes to throttle guessing."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
