"""Intake: the screening rules, the response commitments and each lead's response clock."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey


class ScreeningRule(Audited, UUIDPrimaryKey, Timestamps, Base):
    """A rule the coordinator edits: conditions on a new lead and what to do when they
    hold. Rules are tried in `position` order; the first active rule whose every set
    condition holds is applied (app/domain/intake.py)."""

    __tablename__ = "screening_rules"
    __table_args__ = (
        CheckConstraint("owner_action IN ('suggest', 'assign')", name="owner_action_known"),
        CheckConstraint(
            "priority IS NULL OR priority IN ('low', 'normal', 'high')", name="priority_known"
        ),
        CheckConstraint(
            "capex_min_eur IS NULL OR capex_max_eur IS NULL OR capex_max_eur >= capex_min_eur",
            name="capex_band_order",
        ),
    )

    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Conditions; an empty list or NULL is "any".
    capex_min_eur: Mapped[int | None] = mapped_column(BigInteger)
    capex_max_eur: Mapped[int | None] = mapped_column(BigInteger)
    # Key industries; a main industry covers its sub-industries.
    industry_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Strategy fit: only industries that count toward the industrial investment target.
    industrial_only: Mapped[bool] = mapped_column(default=False)
    countries: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sources: Mapped[list[str]] = mapped_column(JSONType, default=list)
    municipality_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Effects: a priority (NULL keeps the lead's), an owner suggested or assigned.
    priority: Mapped[str | None] = mapped_column(String(10))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    owner_action: Mapped[str] = mapped_column(String(10), default="suggest")


class ResponseCommitment(Audited, Timestamps, Base):
    """How many working days a first answer may take, per priority."""

    __tablename__ = "response_commitments"
    __table_args__ = (
        CheckConstraint("working_days BETWEEN 1 AND 60", name="working_days_range"),
        CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority_known"),
    )

    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    working_days: Mapped[int]


class LeadIntake(Audited, Base):
    """A lead's passage through intake: the rule that matched (its name kept as it was),
    the owner suggested, and the response clock — received, due (end of the last working
    day of the commitment, Finnish time), first answered, and the escalations sent."""

    __tablename__ = "lead_intakes"
    __table_args__ = (
        # The intake queue and the escalation job: unanswered clocks by deadline.
        Index("ix_lead_intakes_open_due", "first_response_at", "response_due_at"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    # What the investor quotes back: short, and not the confidential code name.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("screening_rules.id", ondelete="SET NULL")
    )
    rule_name: Mapped[str | None] = mapped_column(String(120))
    suggested_owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # What the rule did, in codes rendered as words on the lead page.
    effects: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime]
    priority: Mapped[str] = mapped_column(String(10))
    # No clock (NULL) for leads nobody waits an answer for: our own prospecting.
    working_days: Mapped[int | None]
    response_due_at: Mapped[datetime | None]
    # The start of the deadline's working day: from then on less than one is left.
    warn_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # call, email, meeting (the first logged) or responded (marked by hand).
    first_response_kind: Mapped[str | None] = mapped_column(String(20))
    warned_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
