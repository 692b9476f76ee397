"""Referrals from partner organisations (Invest in Finland / Team Finland) and the API
tokens those partners send them with."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey, utcnow


class PartnerToken(Audited, UUIDPrimaryKey, Base):
    """A partner organisation's API token: it reaches the referral routes and nothing
    else. Only its SHA-256 is stored; the value is shown once when it is created."""

    __tablename__ = "partner_tokens"
    __audit_exclude__ = frozenset({"token_hash", "last_used_at"})

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Referral(Audited, UUIDPrimaryKey, Timestamps, Base):
    """A referral a partner sent, by the partner's own id: sending it again finds the
    same row (and the same lead) instead of making a second."""

    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("partner_organization_id", "referral_id"),)

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    referral_id: Mapped[str] = mapped_column(String(100))
    # NULL once the lead is gone: the partner is then told "closed".
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    # How it came: "api" or "file"; how many times it has been received, and when last.
    received_via: Mapped[str] = mapped_column(String(10))
    times_received: Mapped[int] = mapped_column(default=1)
    last_received_at: Mapped[datetime] = mapped_column(default=utcnow)
    timeline: Mapped[str | None] = mapped_column(String(200))
