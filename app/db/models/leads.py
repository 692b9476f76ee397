"""The investment pipeline: stages, leads and everything that hangs on a lead."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow


class Stage(Audited, Timestamps, Base):
    """A pipeline stage; stages and their default probabilities are editable data."""

    __tablename__ = "stages"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    # None for "on hold": such leads are not counted in the weighted pipeline.
    default_probability: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # A decision stage: from it on a lead's amount may be "committed" (the ledger rules,
    # app/domain/ledger.py). Editable on the pipeline settings page.
    decision: Mapped[bool] = mapped_column(default=False)


class LostReason(Audited, Timestamps, Base):
    __tablename__ = "lost_reasons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_fi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Lead(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(
            "probability_override IS NULL OR probability_override BETWEEN 0 AND 100",
            name="probability_range",
        ),
        CheckConstraint("capex_eur IS NULL OR capex_eur >= 0", name="capex_nonnegative"),
        CheckConstraint(
            "confidentiality IN ('confidential', 'internal', 'public')",
            name="confidentiality_known",
        ),
        Index("ix_leads_stage_updated", "stage_code", "updated_at"),
        # Reports count new leads per month and year.
        Index("ix_leads_created_at", "created_at"),
    )
    __audit_exclude__ = frozenset({"created_at", "updated_at", "sole_candidate_code"})

    # Investor identities stay secret until announced: everyone sees the code name.
    code_name: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    industry_code: Mapped[str | None] = mapped_column(ForeignKey("industries.code"), index=True)
    investment_type: Mapped[str] = mapped_column(String(30))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    # Money is whole euros in a BIGINT: SQLite and PostgreSQL agree, no floats.
    capex_eur: Mapped[int | None] = mapped_column(BigInteger)
    capex_basis: Mapped[str] = mapped_column(String(10), default="estimated")
    capex_status: Mapped[str] = mapped_column(String(10), default="estimate")
    jobs: Mapped[int | None]
    jobs_basis: Mapped[str] = mapped_column(String(10), default="estimated")
    source: Mapped[str] = mapped_column(String(30))
    stage_code: Mapped[str] = mapped_column(ForeignKey("stages.code"))
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    probability_override: Mapped[int | None]
    probability_reason: Mapped[str | None] = mapped_column(String(300))
    expected_decision_on: Mapped[date | None]
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    landing_municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    landed_on: Mapped[date | None]
    lost_reason_code: Mapped[str | None] = mapped_column(ForeignKey("lost_reasons.code"))
    lost_note: Mapped[str | None] = mapped_column(Text)
    # Requirement profile for site matching: area, power, water, rail, zoning.
    requirements: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Secrecy (app.domain.leads.Confidentiality): the class of the record, its legal
    # basis (NULL: the class's default basis) and the day the investor's name became
    # public — before it no report names the investor, from it on they may.
    confidentiality: Mapped[str] = mapped_column(String(20), default="confidential")
    confidentiality_basis: Mapped[str | None] = mapped_column(Text)
    announced_on: Mapped[date | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A duplicate merged into another lead: it keeps its own stage log and amount
    # history, counts in no figure from `merged_at` on (excluded as a duplicate), and the
    # surviving lead shows both histories.
    # (No foreign key: see migration 0019; `app.services.ledger.merge_leads` writes it.)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    merged_at: Mapped[datetime | None]
    # The only candidate municipality (`LeadMunicipality`), NULL for none or several:
    # where reports count a lead that has not landed. Derived, never written here:
    # triggers on lead_municipalities keep it (migration 0038), whoever writes those
    # rows; so it is left out of the audit log, and rows loaded before a change of the
    # candidates hold the old value (reports read it in SQL).
    sole_candidate_code: Mapped[str | None] = mapped_column(String(3))


class LeadAmount(Base):
    """The amount ledger: every amount a lead has had, never overwritten.

    One row per change of a measure (capex in euros, jobs): its kind (the capex status
    then: estimate, announced, committed, realised), amount, basis (our estimate, the
    investor's confirmation, a public source), the date it is dated by (the landing date
    once landed, else the expected decision) and when and by whom it was recorded. The
    lead's `capex_*` and `jobs*` columns are the latest rows, denormalised; both are
    written only by `app.services.ledger.record_amounts`. A past as-of date reads the
    row of each measure valid then: recorded before it, not superseded by then."""

    __tablename__ = "lead_amounts"
    __table_args__ = (
        CheckConstraint("measure IN ('capex', 'jobs')", name="measure_known"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_nonnegative"),
        CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at", name="superseded_after"
        ),
        # The latest row of each measure of a lead at a moment.
        Index("ix_lead_amounts_lead_measure_recorded", "lead_id", "measure", "recorded_at", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(10))
    dated_on: Mapped[date | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the next row of the same measure was recorded (NULL: the current row): the
    # rows valid at a moment are found by a filter, like the stage log's visits.
    superseded_at: Mapped[datetime | None]
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(300))


class LeadStageChange(Base):
    """The stage log: time in stage and the funnel at any past date derive from it.

    Each row is a visit of a stage from `at` until `ended_at`, when the next visit
    began; NULL for the visit going on. A lead's visits tile time from its first entry:
    no gaps, no overlaps, exactly one open visit (written only by
    `app.services.leads.record_stage_change`).

    `reached_order` summarises the log up to each visit: the furthest position
    (`stages.sort_order`) among the funnel stages (open and won) the lead had entered by
    then, this visit included; NULL before it entered any. So the visit going on at a
    moment says how far the lead had come, and the funnel reads one row per lead instead
    of every visit.

    `stage_spent_before` (microseconds) is how long the lead had been in this visit's
    stage in its earlier visits of it, and `next_visit_of_stage_at` when its next visit
    of the stage began (NULL: none yet). So the time a lead had spent in a stage by a
    moment is read from one row, its last visit of the stage begun before the moment,
    instead of summing all of them per lead.

    All three are kept by `app.services.leads.summarise_stage_log` whenever the log or
    the stages' order changes."""

    __tablename__ = "lead_stage_changes"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= at", name="ends_after_start"),
        # A lead's log in order: the visit containing a moment is found through it.
        Index("ix_lead_stage_changes_lead_at_id", "lead_id", "at", "id"),
        # Reports count changes per year, and find the visits going on at a moment (begun
        # before it, not ended by it) among the visits begun before it: few on an early
        # date; on a recent one every lead has one, and reading the log beats any index.
        Index("ix_lead_stage_changes_at", "at"),
        # One visit going on per lead, enforced.
        Index(
            "uq_lead_stage_changes_open",
            "lead_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        # Visits by stage with what the median time in stage reads of them: the medians
        # per stage are read from it in order, without touching the table.
        Index(
            "ix_lead_stage_changes_stage_time",
            "to_stage",
            "at",
            "ended_at",
            "next_visit_of_stage_at",
            "stage_spent_before",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(ForeignKey("stages.code"))
    to_stage: Mapped[str] = mapped_column(ForeignKey("stages.code"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    reached_order: Mapped[int | None]
    stage_spent_before: Mapped[int] = mapped_column(BigInteger, server_default="0")
    next_visit_of_stage_at: Mapped[datetime | None]


class LeadMunicipality(Audited, Base):
    """A candidate municipality of a lead."""

    __tablename__ = "lead_municipalities"

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )


class LeadSite(Audited, Base):
    """A candidate site of a lead."""

    __tablename__ = "lead_sites"

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )


class LeadContact(Audited, Base):
    __tablename__ = "lead_contacts"

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str | None] = mapped_column(String(100))


class LeadShare(Audited, UUIDPrimaryKey, Base):
    """A handoff of a lead to a municipality or a partner organisation.

    While not declined it grants the receiver need-to-know access to the lead.
    """

    __tablename__ = "lead_shares"
    __table_args__ = (
        CheckConstraint(
            "(municipality_code IS NULL) <> (organization_id IS NULL)", name="one_receiver"
        ),
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status_known"),
    )

    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("municipalities.code"), index=True
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    shared_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    response_note: Mapped[str | None] = mapped_column(Text)
