"""Aftercare: landed investors and local companies as accounts, and the capital
investors register that leads are matched against."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey


class AftercareAccount(Audited, UUIDPrimaryKey, Timestamps, Base):
    """An organisation looked after once it has invested (or, as a local company,
    because it is already here). Its municipality decides which contact works it."""

    __tablename__ = "aftercare_accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('existing_investor', 'local_company')", name="kind_known"),
        CheckConstraint(
            "checkin_months IS NULL OR checkin_months BETWEEN 1 AND 24", name="cadence_range"
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The relationship plan: a check-in every so many months (NULL: no plan).
    checkin_months: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    # The landed lead that opened the account (NULL: opened by hand).
    origin_lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL")
    )


class AftercareVisit(Audited, UUIDPrimaryKey, Timestamps, Base):
    """Notes of one visit or check-in with the company."""

    __tablename__ = "aftercare_visits"
    __table_args__ = (Index("ix_aftercare_visits_account_on", "account_id", "visited_on"),)
    __personal_fields__ = frozenset({"notes"})

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("aftercare_accounts.id", ondelete="CASCADE")
    )
    visited_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class AftercareIssue(Audited, UUIDPrimaryKey, Timestamps, Base):
    """An issue the company raises (a permit, workforce, energy…) until it is resolved."""

    __tablename__ = "aftercare_issues"
    __table_args__ = (
        CheckConstraint(
            "category IN ('permits', 'workforce', 'energy', 'logistics', 'other')",
            name="category_known",
        ),
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_when"),
        Index("ix_aftercare_issues_account_status", "account_id", "status"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("aftercare_accounts.id", ondelete="CASCADE")
    )
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)


class AftercareLead(Audited, Base):
    """A lead started from an account: an expansion or reinvestment of an existing
    investor (or of a local company). Reports count such leads as existing investors'."""

    __tablename__ = "aftercare_leads"

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("aftercare_accounts.id", ondelete="CASCADE"), index=True
    )


class CapitalInvestor(Audited, UUIDPrimaryKey, Timestamps, Base):
    """An organisation that invests capital: in which key industries, tickets from and
    to (whole euros), at which stages, from or into which countries."""

    __tablename__ = "capital_investors"
    __table_args__ = (
        CheckConstraint("ticket_min_eur IS NULL OR ticket_min_eur >= 0", name="min_nonnegative"),
        CheckConstraint(
            "ticket_min_eur IS NULL OR ticket_max_eur IS NULL OR ticket_min_eur <= ticket_max_eur",
            name="min_below_max",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), unique=True)
    # Key-industry codes (a parent industry covers its sub-industries); empty: any.
    industry_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ticket_min_eur: Mapped[int | None] = mapped_column(BigInteger)
    ticket_max_eur: Mapped[int | None] = mapped_column(BigInteger)
    stages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    countries: Mapped[list[str]] = mapped_column(JSONType, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
