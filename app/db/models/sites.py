"""Site offerings: industrial plots, premises, data-centre, energy and tourism sites."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps, UUIDPrimaryKey


class Site(Audited, UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "sites"
    __table_args__ = (
        UniqueConstraint("municipality_code", "external_ref", name="uq_sites_municipality_ref"),
        Index("ix_sites_status_municipality", "status", "municipality_code"),
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


class SiteIndustry(Base):
    """The key industries a site suits; a table (not a list) so the portal can filter."""

    __tablename__ = "site_industries"

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"), primary_key=True)
