"""Staff accounts, their server-side sessions and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey, utcnow


class User(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'municipal_contact') = (municipality_code IS NOT NULL)",
            name="municipality_binding",
        ),
        CheckConstraint(
            "(role = 'partner') = (organization_id IS NOT NULL)", name="organization_binding"
        ),
    )
    __audit_exclude__ = frozenset(
        {
            "created_at",
            "updated_at",
            "password_hash",
            "last_login_at",
        }
    )
    __personal_fields__ = frozenset({"email", "full_name"})

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(30))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    # How notifications reach the person by e-mail: immediate, digest (daily) or off.
    notification_email: Mapped[str] = mapped_column(
        String(10), default="immediate", server_default="immediate"
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # A former staff member's personal data erased: when, and why (kept for the trail).
    erased_at: Mapped[datetime | None]
    erasure_reason: Mapped[str | None] = mapped_column(Text)


class UserSession(Base):
    """A staff login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Audited, UUIDPrimaryKey, Base):
    __tablename__ = "api_tokens"
    __audit_exclude__ = frozenset({"token_hash", "last_used_at"})

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins of one account or one client address (a keyed hash of the e-mail or
    the address, never the value itself): how many since the window started, and until
    when logins are refused once there were too many."""

    __tablename__ = "login_throttles"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(index=True)
    failures: Mapped[int]
    locked_until: Mapped[datetime | None]
