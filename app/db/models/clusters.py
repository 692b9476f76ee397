"""Cluster groups: industry clusters with a leader, members, agreements and meetings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey, utcnow


class Cluster(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "clusters"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # The leader is a person of a member organisation, chosen when the cluster is founded.
    leader_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    leading_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    # The staff member who coordinates the cluster and receives its reminders.
    coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    founded_on: Mapped[date | None]


class ClusterIndustry(Base):
    __tablename__ = "cluster_industries"

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"), primary_key=True)


class ClusterMember(Audited, UUIDPrimaryKey, Base):
    __tablename__ = "cluster_members"
    __table_args__ = (UniqueConstraint("cluster_id", "organization_id"),)

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]


class ClusterAgreement(Audited, UUIDPrimaryKey, Timestamps, Base):
    """A commitment agreement of one party; the document is kept in the file storage."""

    __tablename__ = "cluster_agreements"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_until >= signed_on", name="validity_order"),
        Index("ix_cluster_agreements_valid_until", "valid_until"),
    )
    __audit_exclude__ = frozenset({"created_at", "updated_at", "reminder_sent_for"})

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True
    )
    party_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    title: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date]
    valid_until: Mapped[date | None]
    document_filename: Mapped[str | None] = mapped_column(String(255))
    document_content_type: Mapped[str | None] = mapped_column(String(100))
    document_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    document_key: Mapped[str | None] = mapped_column(String(200))
    # The expiry date a reminder went out for: one reminder per validity, a renewal
    # (a new valid_until) earns a new one.
    reminder_sent_for: Mapped[date | None]


class ClusterMeeting(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "cluster_meetings"
    __table_args__ = (Index("ix_cluster_meetings_cluster_held", "cluster_id", "held_on"),)

    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ClusterMeetingAttendee(Base):
    """A person at a meeting: a contact of a member, or a staff user."""

    __tablename__ = "cluster_meeting_attendees"
    __table_args__ = (
        CheckConstraint("(contact_id IS NULL) <> (user_id IS NULL)", name="one_person"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cluster_meetings.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class ClusterLead(Base):
    """A lead the cluster works on."""

    __tablename__ = "cluster_leads"

    cluster_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClusterLink(Audited, UUIDPrimaryKey, Base):
    """Cross-industry cooperation between two clusters, stored once (lower id first)."""

    __tablename__ = "cluster_links"
    __table_args__ = (
        UniqueConstraint("cluster_a_id", "cluster_b_id"),
        CheckConstraint("cluster_a_id < cluster_b_id", name="ordered_pair"),
    )

    cluster_a_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True
    )
    cluster_b_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
