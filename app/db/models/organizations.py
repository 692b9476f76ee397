"""Organisations (companies, investors, funders, partners) and their contact persons."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, Timestamps, UUIDPrimaryKey


class Organization(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    # Normalised for duplicate detection (legal forms and punctuation removed).
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(2))
    business_id: Mapped[str | None] = mapped_column(String(9), unique=True)
    foreign_registry_id: Mapped[str | None] = mapped_column(String(60))
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industries.code"))
    nace_code: Mapped[str | None] = mapped_column(String(10))
    nace_version: Mapped[str | None] = mapped_column(String(10))
    website: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)


class Contact(Audited, UUIDPrimaryKey, Timestamps, Base):
    """A person. Holds personal data: lawful basis, source and retention are mandatory."""

    __tablename__ = "contacts"
    __personal_fields__ = frozenset({"full_name", "email", "phone", "role_title", "notes"})

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(200))
    role_title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(2))
    lawful_basis: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(200))
    consent_text_version: Mapped[str | None] = mapped_column(String(40))
    consent_given_at: Mapped[datetime | None]
    retention_until: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None]
    # Why the person's data was erased, and why its retention was last extended: kept
    # on the record so the audit trail shows who decided what, when and why.
    erasure_reason: Mapped[str | None] = mapped_column(Text)
    retention_reason: Mapped[str | None] = mapped_column(String(500))
