"""The region this installation serves: one row, loaded from a region file
(`invest-kainuu init-region FILE`) and edited by an administrator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, JSONType, Timestamps

SINGLE_REGION_ID = 1


class Region(Audited, Timestamps, Base):
    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    # Always 1: an installation serves one region.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=SINGLE_REGION_ID)
    # Statistics Finland region code ("18") and the slug of its file.
    code: Mapped[str] = mapped_column(String(2))
    slug: Mapped[str] = mapped_column(String(40))
    # {"fi": …, "sv": …, "en": …}
    name: Mapped[dict[str, Any]] = mapped_column(JSONType)
    languages: Mapped[list[str]] = mapped_column(JSONType)
    default_language: Mapped[str] = mapped_column(String(5))
    public_domain: Mapped[str] = mapped_column(String(253))
    # app.domain.region.Branding, as JSON.
    branding: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # app.domain.region.RegionArea: where sites may lie.
    area: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Figures about the region the portal may show.
    facts: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    # `updated_at` (Timestamps) is what readers key their cached definition by
    # (app/services/region.py).
