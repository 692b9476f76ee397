"""Reference data: municipalities, the key-industry taxonomy and investment targets."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey
from app.i18n import localized


class Municipality(Audited, Timestamps, Base):
    __tablename__ = "municipalities"

    # Statistics Finland municipality code (three digits).
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_fi: Mapped[str] = mapped_column(String(80))
    name_sv: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    # Statistics Finland region code, from the region file.
    region_code: Mapped[str] = mapped_column(String(2))
    # The municipality's business contact shown on the portal: its web page, and the
    # person, e-mail and phone an investor reaches (edited by the coordinator, or by
    # the municipality's own contacts).
    website_url: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # The contact person's title, in each portal language.
    contact_title_fi: Mapped[str | None] = mapped_column(String(200))
    contact_title_en: Mapped[str | None] = mapped_column(String(200))

    def name(self, lang: str) -> str:
        return localized(self, "name", lang) or self.name_fi

    def contact_title(self, lang: str) -> str | None:
        """The contact's title in English for English readers, else in Finnish (also for
        Swedish readers: titles are written in Finnish and English); else the other."""
        if lang == "en":
            return self.contact_title_en or self.contact_title_fi
        return self.contact_title_fi or self.contact_title_en


class Industry(Audited, Timestamps, Base):
    """Key industries of the strategy; a two-level tree with stable codes."""

    __tablename__ = "industries"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("industries.code"))
    name_fi: Mapped[str] = mapped_column(String(120))
    # Empty where the region file gives no Swedish name (the English one is shown).
    name_sv: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_fi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    # NACE Rev. 2 / TOL 2008 divisions the industry maps to, e.g. ["05", "07", "20"].
    nace_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    nace_version: Mapped[str] = mapped_column(String(10), default="TOL2008")
    # Whether leads of this industry count toward "industrial" investment targets; the
    # strategy's €1.2bn goal is industrial, so tourism is outside it.
    counts_as_industrial: Mapped[bool] = mapped_column(default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    # Industries are named in Finnish and English; Swedish readers read Finnish.
    def name(self, lang: str) -> str:
        return localized(self, "name", lang) or self.name_fi

    def description_in(self, lang: str) -> str | None:
        """The coordinator's description in the reader's language, if written."""
        return (self.description_en if lang == "en" else self.description_fi) or None


class InvestmentTarget(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "investment_targets"
    __table_args__ = (
        CheckConstraint("amount_eur > 0", name="amount_positive"),
        CheckConstraint("amount_jobs > 0", name="jobs_positive"),
        CheckConstraint("amount_eur IS NOT NULL OR amount_jobs IS NOT NULL", name="euros_or_jobs"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("scope IN ('industrial', 'all')", name="scope_known"),
        # At most one target is the one the public home page shows.
        Index(
            "uq_investment_targets_shown_on_portal",
            "shown_on_portal",
            unique=True,
            postgresql_where=text("shown_on_portal"),
            sqlite_where=text("shown_on_portal"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    # A target is set in euros, in jobs, or in both.
    amount_eur: Mapped[int | None] = mapped_column(BigInteger)
    amount_jobs: Mapped[int | None]
    period_start: Mapped[date]
    period_end: Mapped[date]
    scope: Mapped[str] = mapped_column(String(20), default="industrial")
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industries.code"))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Closed: the period is over and reported; the target is kept as it was.
    closed_on: Mapped[date | None]
    # The target the public home page shows (else the running one).
    shown_on_portal: Mapped[bool] = mapped_column(default=False, server_default=false())
