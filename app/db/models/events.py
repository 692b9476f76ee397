"""Visitor-concept events: the council invites, municipalities host."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey, utcnow


class Event(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="time_order"),
        Index("ix_events_starts_at", "starts_at"),
    )

    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="planned")
    # A confidential visit is seen only by the coordinator and its host municipalities.
    confidential: Mapped[bool] = mapped_column(default=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    # iCalendar SEQUENCE: grows with every change a calendar must pick up.
    sequence: Mapped[int] = mapped_column(default=0)


class EventHost(Base):
    __tablename__ = "event_hosts"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True, index=True
    )


class EventItineraryItem(Audited, UUIDPrimaryKey, Timestamps, Base):
    """One stop of the programme: a site visit, a meeting, a meal; hosted by one
    municipality, which edits its own items."""

    __tablename__ = "event_itinerary_items"
    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="time_order"),
        Index("ix_event_itinerary_items_event_starts", "event_id", "starts_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    place: Mapped[str | None] = mapped_column(String(300))
    site_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    host_municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    # Who receives the visitors at this stop (names and roles, free text).
    hosts: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)


class EventParticipant(Audited, UUIDPrimaryKey, Base):
    __tablename__ = "event_participants"
    __table_args__ = (
        CheckConstraint("(contact_id IS NULL) <> (user_id IS NULL)", name="one_person"),
        UniqueConstraint("event_id", "contact_id", name="uq_event_participants_event_contact"),
        UniqueConstraint("event_id", "user_id", name="uq_event_participants_event_user"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="guest")
    invitation: Mapped[str] = mapped_column(String(12), default="not_sent")
    invited_at: Mapped[datetime | None]
    # The event's SEQUENCE the last invitation carried; a lower one means an update is due.
    invited_sequence: Mapped[int | None]
    rsvp: Mapped[str] = mapped_column(String(12), default="pending")
    rsvp_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventLead(Base):
    __tablename__ = "event_leads"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EventSite(Base):
    __tablename__ = "event_sites"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )


class CalendarFeedToken(Base):
    """A user's secret calendar-feed URL; only the SHA-256 of its token is stored."""

    __tablename__ = "calendar_feed_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
