"""The audit log: who changed which business record, when, and how."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, JSONType, utcnow


class AuditEntry(Base):
    """One create/update/delete of one record.

    Entities and actors are referenced by value, not by foreign key, so erasing or
    deleting a record never deletes its history; erasure scrubs personal values in
    `changes` instead (see `app.services.audit.scrub_personal_data`).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(10))
    entity_type: Mapped[str] = mapped_column(String(60))
    # Wide enough for a composite key of two UUIDs ("lead:contact").
    entity_id: Mapped[str] = mapped_column(String(100))
    # {"field": [before, after]}; for a create `before` is null, for a delete `after` is.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The HTTP request (or scheduled job run) that made the change, as in its log lines.
    request_id: Mapped[str | None] = mapped_column(String(64))
