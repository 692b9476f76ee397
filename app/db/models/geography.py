"""Where the region's sites lie relative to what investors travel to: reference points
(airports, stations, ports, road junctions, town centres, grid substations), each site's
computed distance to the nearest point of every kind, and the municipalities' key facts."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Audited, Base, Timestamps
from app.db.models.sites import Site
from app.i18n import localized


class ReferencePoint(Audited, Timestamps, Base):
    """A place distances are measured to; seeded, then edited by the coordinator."""

    __tablename__ = "reference_points"
    __table_args__ = (Index("ix_reference_points_kind", "kind", "active"),)

    # Stable code, e.g. "airport-<town>"; URLs and the search's `near` use it.
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name_fi: Mapped[str] = mapped_column(String(120))
    name_sv: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float]
    longitude: Mapped[float]
    # The town a town-centre point stands for, so a search near that town finds it.
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    # Where the coordinates come from (a register, a map, "approximate").
    source: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    # Reference points are named in Finnish and English; Swedish readers read Finnish.
    def name(self, lang: str) -> str:
        return localized(self, "name", lang) or self.name_fi


class SiteDistance(Base):
    """A site's geodesic distance to the nearest active reference point of one kind.
    Written only by app/services/geography.py, whenever the site's location or the
    reference points change, so pages never compute distances."""

    __tablename__ = "site_distances"

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    point_code: Mapped[str] = mapped_column(
        ForeignKey("reference_points.code", ondelete="CASCADE"), index=True
    )
    # Whole metres: exact enough, and no float in the table.
    distance_m: Mapped[int] = mapped_column(Integer)
    # Only so that the unit of work inserts a new site before its distances.
    site: Mapped[Site] = relationship(lazy="raise")


class MunicipalityFacts(Audited, Timestamps, Base):
    """A municipality's key facts for investors, edited by the coordinator."""

    __tablename__ = "municipality_facts"

    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )
    population: Mapped[int | None]
    workforce: Mapped[int | None]
    # The year the figures describe, and where they come from.
    year: Mapped[int | None]
    source: Mapped[str | None] = mapped_column(String(300))
    main_employers_fi: Mapped[str | None] = mapped_column(Text)
    main_employers_en: Mapped[str | None] = mapped_column(Text)

    def employers(self, lang: str) -> list[str]:
        """The main employers, one per line, in the reader's language."""
        text = (self.main_employers_en if lang == "en" else self.main_employers_fi) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]
