"""Activities: logged notes, calls, meetings and e-mails, and tasks with a due date."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey, utcnow


class Activity(Audited, UUIDPrimaryKey, Timestamps, Base):
    """One entry on the timeline of a lead, an organisation or a contact.

    Other business areas (events, clusters) attach follow-up tasks here and say where
    they came from with `origin_type` + `origin_id`, so the lead timeline shows them.
    """

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(
            "lead_id IS NOT NULL OR organization_id IS NOT NULL OR contact_id IS NOT NULL",
            name="has_subject",
        ),
        CheckConstraint("kind IN ('note', 'call', 'meeting', 'email', 'task')", name="kind_known"),
        CheckConstraint("(origin_type IS NULL) = (origin_id IS NULL)", name="origin_complete"),
        Index("ix_activities_lead_occurred", "lead_id", "occurred_at"),
        Index("ix_activities_assignee_open", "assignee_id", "done_at", "due_on"),
        Index("ix_activities_origin", "origin_type", "origin_id"),
        # Reports count the work logged per year.
        Index("ix_activities_created_at", "created_at"),
    )
    __personal_fields__ = frozenset({"subject", "body"})

    kind: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    # When the call or meeting happened; for a task, when it was created.
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date | None]
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    origin_type: Mapped[str | None] = mapped_column(String(40))
    origin_id: Mapped[str | None] = mapped_column(String(64))
