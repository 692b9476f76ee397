"""Outgoing e-mail, queued in the same transaction as the change that causes it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, JSONType, UUIDPrimaryKey, utcnow


class OutboxEmail(UUIDPrimaryKey, Base):
    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "status", "next_attempt_at"),)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_addresses: Mapped[list[str]] = mapped_column(JSONType)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # [{"filename": ..., "content_type": ..., "data_base64": ...}], small files only (.ics)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # What caused it, e.g. "inquiry:<lead id>", so a reader can trace and dedupe.
    reference: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivery: Mapped[str | None] = mapped_column(String(10))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None]
