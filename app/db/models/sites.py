"""Site offerings: industrial plots, premises, data-centre, energy and tourism sites."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow

# The portal reads published sites only: its indexes leave the others out.
_PUBLISHED = text("status = 'published'")


def _portal_index(name: str, *columns: Any, **options: Any) -> Index:
    return Index(name, *columns, postgresql_where=_PUBLISHED, sqlite_where=_PUBLISHED, **options)


class Site(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "sites"
    __table_args__ = (
        UniqueConstraint("municipality_code", "external_ref", name="uq_sites_municipality_ref"),
        Index("ix_sites_status_municipality", "status", "municipality_code"),
        # The portal's content version reads max(public_changed_at) on every page view.
        Index("ix_sites_public_changed_at", "public_changed_at"),
        # The search's filters, narrow enough that counting the matches reads the index
        # only, not the wide rows (PostgreSQL; SQLite indexes the key columns).
        _portal_index(
            "ix_sites_portal_filters",
            "municipality_code",
            "kind",
            "last_verified_on",
            postgresql_include=[
                "id",
                "area_ha",
                "available_power_mw",
                "rail_siding",
                "zoning_status",
            ],
        ),
    )

    slug: Mapped[str] = mapped_column(String(120), unique=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    external_ref: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    version: Mapped[int] = mapped_column(default=1)

    name_fi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description_fi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # GeoJSON Polygon geometry (WGS84, longitude first) when the boundary is known.
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    area_ha: Mapped[float | None]
    area_m2: Mapped[float | None]
    floor_area_m2: Mapped[float | None]
    zoning_status: Mapped[str | None] = mapped_column(String(40))
    permitted_use: Mapped[str | None] = mapped_column(String(300))
    ownership: Mapped[str | None] = mapped_column(String(20))
    tenure: Mapped[str | None] = mapped_column(String(20))
    price_eur: Mapped[int | None] = mapped_column(BigInteger)
    price_terms: Mapped[str | None] = mapped_column(String(300))
    available_from: Mapped[date | None]

    grid_connection: Mapped[bool | None]
    available_power_mw: Mapped[float | None]
    substation_110kv_km: Mapped[float | None]
    substation_400kv_km: Mapped[float | None]
    water_m3_per_day: Mapped[float | None]
    wastewater_m3_per_day: Mapped[float | None]
    district_heat: Mapped[bool | None]
    gas: Mapped[bool | None]
    rail_siding: Mapped[bool | None]
    road_km: Mapped[float | None]
    airport_km: Mapped[float | None]
    port_km: Mapped[float | None]
    fibre: Mapped[bool | None]
    environmental_permit: Mapped[str | None] = mapped_column(String(20))

    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    last_verified_on: Mapped[date | None]

    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # When anything the public sees last changed (publish, field, attachment, withdraw).
    public_changed_at: Mapped[datetime | None]
    # Freshness: flagged to the municipality for re-verification / taken off the portal.
    stale_flagged_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]


# The portal's site list: one index per order it offers (the id breaks ties), so a page
# of 12 reads 12 ids in order instead of sorting every match. On PostgreSQL each also
# carries the search's filter columns, so that a walk along the order tests the filters
# in the index instead of looking each site's row up.
_PORTAL_FILTER_COLUMNS = (
    "municipality_code",
    "kind",
    "last_verified_on",
    "area_ha",
    "available_power_mw",
    "rail_siding",
    "zoning_status",
    "available_from",
    "name_fi",
    "name_en",
)


def _portal_order_index(name: str, key: Any, column: str) -> Index:
    include = [c for c in _PORTAL_FILTER_COLUMNS if c != column]
    return _portal_index(name, key, Site.id, postgresql_include=include)


_portal_order_index("ix_sites_portal_newest", Site.published_at.desc().nulls_last(), "published_at")
_portal_order_index("ix_sites_portal_name", Site.name_fi, "name_fi")
_portal_order_index("ix_sites_portal_area_desc", Site.area_ha.desc().nulls_last(), "area_ha")
_portal_order_index("ix_sites_portal_area_asc", Site.area_ha.asc().nulls_last(), "area_ha")
_portal_order_index(
    "ix_sites_portal_power", Site.available_power_mw.desc().nulls_last(), "available_power_mw"
)


class SiteIndustry(Base):
    """The key industries a site suits; a table (not a list) so the portal can filter."""

    __tablename__ = "site_industries"
    # The portal filters sites by industry; the primary key leads with the site.
    __table_args__ = (Index("ix_site_industries_industry", "industry_code", "site_id"),)

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"), primary_key=True)


class SiteAttachment(Audited, UUIDPrimaryKey, Base):
    """A photo, document or map of a site. The bytes live in the storage under a
    content-addressed key, so one file shared by two sites is stored once."""

    __tablename__ = "site_attachments"
    __table_args__ = (Index("ix_site_attachments_site", "site_id", "sort_order"),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    title_fi: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Set while the file is part of a published site's pending revision: off the portal
    # and out of syndication until the coordinator approves it. No foreign key: SQLite
    # adds the column in place only without one; the revision service is its only writer.
    revision_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class SiteRevision(Audited, UUIDPrimaryKey, Timestamps, Base):
    """A change of a published site proposed by its municipality, waiting for the
    coordinator; the site row keeps the published version until it is approved.

    One open revision per site (pending, or returned with a comment). `changes` holds
    the proposed values of the fields that differ from the published version, keyed
    by `SiteDraft` field in JSON form. An approved revision becomes a `SiteVersion` of
    the site and its row is deleted."""

    __tablename__ = "site_revisions"
    __table_args__ = (
        UniqueConstraint("site_id", name="uq_site_revisions_site"),
        Index("ix_site_revisions_status_submitted", "status", "submitted_at"),
    )

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))  # pending, returned
    # The site's version the proposal was made against: approving needs it current.
    base_version: Mapped[int]
    # Bumped on every edit, so a reviewer approves exactly what they saw.
    number: Mapped[int] = mapped_column(default=1)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType)
    removed_attachment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_label: Mapped[str] = mapped_column(String(254))
    submitted_at: Mapped[datetime]
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]


class SiteVersion(Base):
    """A snapshot of a site after each change: what it looked like at version N."""

    __tablename__ = "site_versions"
    __table_args__ = (UniqueConstraint("site_id", "version", name="uq_site_versions_site_version"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    version: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)


class SitePackageUpload(UUIDPrimaryKey, Base):
    """A site package's dry run: its report, and its bytes until it is applied, so
    that any instance can apply it by id."""

    __tablename__ = "site_package_uploads"

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(12))  # checked, invalid, applied
    # The package-level part of the report (summary, issues, encoding); its rows are
    # `SitePackageRow`s, written as they are checked so no report is held whole.
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    applied_at: Mapped[datetime | None]


class SitePackageRow(Base):
    """One site of a package's report: what applying does to it, and its problems
    (each with its location and reason in the uploader's language)."""

    __tablename__ = "site_package_rows"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("site_package_uploads.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)  # the site's 1-based number
    sheet_row: Mapped[int | None]
    file: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    # Set for a row without a reference: how another such row of the package has the
    # same site (municipality and name compared case- and space-insensitively).
    name_key: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(12))
    site_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_fields: Mapped[list[str]] = mapped_column(JSONType)
    attachments_added: Mapped[int]
    attachments_changed: Mapped[int]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
