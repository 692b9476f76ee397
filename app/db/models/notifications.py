"""In-app notifications and the daily e-mail digests that bundle them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, JSONType, UUIDPrimaryKey, utcnow


class Notification(UUIDPrimaryKey, Base):
    """One happening told to one person: its kind and parameters, never rendered text,
    so it reads in whatever language the recipient uses when they look."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The honest guard of the scheduled reminders: one per task due date, one per
        # stale spell of a lead, however often (or wherever) the job runs.
        UniqueConstraint("recipient_id", "dedupe_key", name="uq_notifications_recipient_dedupe"),
        # The bell: unread of one person (a partial index would not be portable).
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at"),
        Index("ix_notifications_email_state", "email_state"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # Who did it (None for the system: a reminder, a portal inquiry).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True
    )
    share_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lead_shares.id", ondelete="CASCADE"), index=True
    )
    # Small values the text needs (a count of days, the note said with it).
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    # none (in-app only), queued (sent at once), digest (waits for the daily digest),
    # digested (went out in one), skipped (the digest found nothing the person may read).
    email_state: Mapped[str] = mapped_column(String(10), default="none")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationDigest(Base):
    """One daily digest per person and day: the primary key makes a second run (or a
    second scheduler instance) find the day already done."""

    __tablename__ = "notification_digests"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    notification_count: Mapped[int] = mapped_column(default=0)
