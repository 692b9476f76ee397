"""Syndication: push targets of the municipalities, the outbox of site events, one
delivery per event and target, and the log of every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow
from app.request_id import current_request_id

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class SyndicationTarget(Audited, UUIDPrimaryKey, Timestamps, Base):
    """Where a municipality's site changes are pushed: a webhook URL or a WordPress site."""

    __tablename__ = "syndication_targets"
    # Secrets are encrypted at rest and never copied into the audit log.
    __audit_exclude__ = frozenset(
        {
            "created_at",
            "updated_at",
            "secret_encrypted",
            "previous_secret_encrypted",
            "wp_password_encrypted",
            "failing_since",
            "last_success_at",
            "last_failure_at",
        }
    )

    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))  # webhook, wordpress
    url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    wp_username: Mapped[str | None] = mapped_column(String(120))
    wp_password_encrypted: Mapped[str | None] = mapped_column(Text)
    wp_post_type: Mapped[str | None] = mapped_column(String(60))
    # The language of a WordPress post; webhooks always carry both.
    language: Mapped[str] = mapped_column(String(2), default="fi")
    failing_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class SyndicationEvent(Base):
    """The outbox: written in the same transaction as the site change it describes.
    `data` is the site's public state at that moment, so every retry sends the same."""

    __tablename__ = "syndication_events"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(30))
    site_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    municipality_code: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)


_PENDING = text("status = 'pending'")
_LEASED = text("lease_token IS NOT NULL")


class SyndicationDelivery(UUIDPrimaryKey, Base):
    """One logical delivery of an event to a target; its id is the `webhook-id`."""

    __tablename__ = "syndication_deliveries"
    __table_args__ = (
        Index("ix_syndication_deliveries_due", "status", "next_attempt_at"),
        Index("ix_syndication_deliveries_order", "target_id", "site_id", "event_id"),
        # A claim reads, per target, its first due pending deliveries in order and checks
        # each for an earlier pending one of the same site: partial indexes of the pending
        # rows only, so the claim's cost follows the batch, not the backlog or history.
        Index(
            "ix_syndication_deliveries_pending_due",
            "target_id",
            "next_attempt_at",
            "event_id",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        Index(
            "ix_syndication_deliveries_pending_order",
            "target_id",
            "site_id",
            "event_id",
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        # The requests in flight per target: the leased rows are few.
        Index(
            "ix_syndication_deliveries_leased",
            "target_id",
            "lease_expires_at",
            postgresql_where=_LEASED,
            sqlite_where=_LEASED,
        ),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("syndication_events.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("syndication_targets.id", ondelete="CASCADE")
    )
    # Copied from the event: deliveries of one site to one target go out in event order.
    site_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # Attempts in the current series (a redelivery starts a new one); drives the backoff.
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_token: Mapped[uuid.UUID | None]
    lease_expires_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The request (or job run) that caused the delivery; sent as `X-Request-ID`.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)


class SyndicationAttempt(Base):
    """The log: one row per HTTP attempt of a delivery."""

    __tablename__ = "syndication_attempts"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("syndication_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    success: Mapped[bool]
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    # The `X-Request-ID` the attempt sent.
    request_id: Mapped[str | None] = mapped_column(String(64))


class SyndicationWordpressPost(Base):
    """The WordPress post (and featured image) that stands for a site on a target."""

    __tablename__ = "syndication_wordpress_posts"

    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("syndication_targets.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    post_id: Mapped[int]
    media_id: Mapped[int | None]
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
