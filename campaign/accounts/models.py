from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db
from campaign.units.models import Commune, Province

# Roles, in the order they are shown.
ADMIN = "admin"
PROVINCE_COORDINATOR = "province_coordinator"
COMMUNE_OFFICER = "commune_officer"
YOUTH_ORGANISER = "youth_organiser"
TRAINER = "trainer"
VOLUNTEER = "volunteer"
ROLES = (ADMIN, PROVINCE_COORDINATOR, COMMUNE_OFFICER, YOUTH_ORGANISER, TRAINER, VOLUNTEER)

# Which scopes each role may be granted for: "none" (system-wide), "province", "commune".
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    ADMIN: ("none",),
    PROVINCE_COORDINATOR: ("province",),
    COMMUNE_OFFICER: ("commune",),
    YOUTH_ORGANISER: ("province", "commune"),
    TRAINER: ("province", "commune"),
    VOLUNTEER: ("province", "commune"),
}


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # Rotated on password change and deactivation: every other session of the user ends.
    session_token: Mapped[str] = mapped_column(String(64), nullable=False, default=_new_session_token)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="RoleGrant.id",
        foreign_keys="RoleGrant.user_id",
    )

    def get_id(self) -> str:  # Flask-Login: the session refers to the token, not the row id
        return self.session_token

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_token = _new_session_token()
        self.password_changed_at = utcnow()

    def end_sessions(self) -> None:
        """Log the user out everywhere: existing session cookies no longer match."""
        self.session_token = _new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleGrant(db.Model):
    """A role held by a user over a scope: the whole system, a province or a commune."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    province_code: Mapped[int | None] = mapped_column(ForeignKey("provinces.code"))
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    province: Mapped[Province | None] = relationship(lazy="joined")
    commune: Mapped[Commune | None] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'province_coordinator', 'commune_officer', 'youth_organiser', "
            "'trainer', 'volunteer')",
            name="role_known",
        ),
        CheckConstraint("province_code IS NULL OR commune_code IS NULL", name="one_scope"),
        CheckConstraint(
            "(role = 'admin' AND province_code IS NULL AND commune_code IS NULL)"
            " OR (role = 'province_coordinator' AND province_code IS NOT NULL)"
            " OR (role = 'commune_officer' AND commune_code IS NOT NULL)"
            " OR (role IN ('youth_organiser', 'trainer', 'volunteer')"
            "     AND (province_code IS NOT NULL OR commune_code IS NOT NULL))",
            name="scope_fits_role",
        ),
        Index(
            "uq_role_grants_system", "user_id", "role", unique=True,
            postgresql_where=text("province_code IS NULL AND commune_code IS NULL"),
            sqlite_where=text("province_code IS NULL AND commune_code IS NULL"),
        ),
        Index(
            "uq_role_grants_province", "user_id", "role", "province_code", unique=True,
            postgresql_where=text("province_code IS NOT NULL"),
            sqlite_where=text("province_code IS NOT NULL"),
        ),
        Index(
            "uq_role_grants_commune", "user_id", "role", "commune_code", unique=True,
            postgresql_where=text("commune_code IS NOT NULL"),
            sqlite_where=text("commune_code IS NOT NULL"),
        ),
    )

    @property
    def scope_kind(self) -> str:
        if self.commune_code is not None:
            return "commune"
        if self.province_code is not None:
            return "province"
        return "none"
