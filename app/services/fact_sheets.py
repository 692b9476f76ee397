"""Printable documents of the public portal: a fact sheet per site and a shortlist of
several sites, as PDF in the reader's language (WeasyPrint, like the forum report).

Everything is drawn from stored data at render time with nothing fetched from outside:
photos come from the file storage, the map is an SVG of the site among the region's
town centres, and the QR code (segno) links back to the site's page."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from app.db.models import Municipality, MunicipalityFacts, SiteAttachment
from app.domain.errors import NotFound, ValidationFailed
from app.domain.region import BoundingBox
from app.i18n import N_, install_i18n, register_field_errors
from app.services import geography, printing
from app.services import region as region_service
from app.services import sites as site_service
from app.services.portal import Region
from app.services.region import current_region
from app.settings import Settings
from app.storage import Storage

register_field_errors(
    {
        "shortlist_empty": N_("Name at least one site."),
        "shortlist_too_long": N_("A shortlist holds at most %(max)s sites."),
    }
)

TEMPLATES_DIR: Final = Path(__file__).resolve().parents[2] / "portal_templates"
# A shortlist compares a handful of sites; more is a listing, not a board document.
SHORTLIST_MAX: Final = 12
# Photos per site in a document (the first is large, the others thumbnails).
PHOTOS_MAX: Final = 3


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html"])
    )
    install_i18n(env)
    return env


_ENV: Final = _environment()


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class SiteMap:
    """The site among the region's towns, in SVG user units (equirectangular, scaled by
    the cosine of the latitude, so distances look right at this size)."""

    width: int
    height: int
    towns: list[MapPoint]
    site: MapPoint | None
    outline: str | None  # SVG points of the boundary's outer ring


_MAP_WIDTH: Final = 420


def site_map(
    lat: float | None,
    lon: float | None,
    name: str,
    towns: list[tuple[float, float, str]],
    boundary: dict[str, Any] | None,
    area: BoundingBox,
) -> SiteMap:
    """The site (and its boundary) among `towns`, given as (latitude, longitude, name);
    with neither, the frame is the region's `area`."""
    # The frame: the towns and the site, with a margin for the labels.
    lats = [t[0] for t in towns] + ([lat] if lat is not None else [])
    lons = [t[1] for t in towns] + ([lon] if lon is not None else [])
    if not lats:
        lats, lons = [area.min_lat, area.max_lat], [area.min_lon, area.max_lon]
    b = BoundingBox(
        min_lat=min(lats) - 0.08,
        max_lat=max(lats) + 0.08,
        min_lon=min(lons) - 0.15,
        max_lon=max(lons) + 0.6,
    )
    scale = _MAP_WIDTH / (b.max_lon - b.min_lon)
    # A degree of longitude is cos(latitude) times one of latitude.
    y_scale = scale / math.cos(math.radians((b.min_lat + b.max_lat) / 2))
    height = round((b.max_lat - b.min_lat) * y_scale)

    def project(p_lat: float, p_lon: float) -> tuple[float, float]:
        return (
            round((p_lon - b.min_lon) * scale, 1),
            round((b.max_lat - p_lat) * y_scale, 1),
        )

    town_points = [MapPoint(*project(t_lat, t_lon), label) for t_lat, t_lon, label in towns]
    site = MapPoint(*project(lat, lon), name) if lat is not None and lon is not None else None
    outline = None
    if boundary:
        ring = boundary["coordinates"][0]
        outline = " ".join("{},{}".format(*project(p_lat, p_lon)) for p_lon, p_lat in ring)
    return SiteMap(_MAP_WIDTH, height, town_points, site, outline)


def qr_svg(url: str) -> str:
    """A QR code of `url` as an SVG data URI (no external service)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def _photos(storage: Storage, attachments: list[SiteAttachment]) -> list[str]:
    """The site's first photos as data URIs (thumbnails where made: lighter PDFs)."""
    found: list[str] = []
    for attachment in attachments:
        if attachment.kind != "photo" or len(found) >= PHOTOS_MAX:
            continue
        key = attachment.thumbnail_key or attachment.storage_key
        kind = "image/jpeg" if attachment.thumbnail_key else attachment.content_type
        data = base64.b64encode(storage.get(key)).decode("ascii")
        found.append(f"data:{kind};base64,{data}")
    return found


@dataclass(frozen=True)
class SiteSheet:
    public: site_service.PublicSite
    municipality: Municipality
    url: str
    qr: str
    photos: list[str]
    distances: list[geography.Distance]
    facts: MunicipalityFacts | None
    map: SiteMap

    def distance(self, kind: str) -> geography.Distance | None:
        return next((d for d in self.distances if d.kind == kind), None)


def _sheet(
    db: Session,
    settings: Settings,
    storage: Storage,
    reg: Region,
    public: site_service.PublicSite,
    lang: str,
) -> SiteSheet:
    site = public.site
    municipality = reg.municipality(site.municipality_code)
    if municipality is None:  # a foreign key guarantees it; keeps the type honest
        raise NotFound("No such municipality.")
    extras = geography.site_geography(public, reg)
    name = (site.name_en or site.name_fi) if lang == "en" else site.name_fi
    url = f"{settings.base_url}/{lang}/sites/{site.slug}"
    return SiteSheet(
        public=public,
        municipality=municipality,
        url=url,
        qr=qr_svg(url),
        photos=_photos(storage, public.attachments),
        distances=extras["distances"],
        facts=extras["facts"],
        map=site_map(
            site.latitude,
            site.longitude,
            name,
            _towns(reg, lang),
            extras["boundary"],
            current_region(db).area.extent(),
        ),
    )


def _towns(reg: Region, lang: str) -> list[tuple[float, float, str]]:
    """The town centres, named after their municipality where they stand for one."""
    found = []
    for town in reg.towns:
        municipality = reg.municipality(town.municipality_code)
        label = municipality.name(lang) if municipality else town.name(lang)
        found.append((town.latitude, town.longitude, label))
    return found


def _render(template: str, lang: str, **context: Any) -> bytes:
    html = _ENV.get_template(template).render(lang=lang, **context)
    return printing.html_to_pdf(html, str(TEMPLATES_DIR))


def fact_sheet_pdf(
    db: Session,
    settings: Settings,
    storage: Storage,
    reg: Region,
    slug: str,
    lang: str,
    today: date,
) -> bytes:
    """A site's fact sheet; `NotFound` unless the site is on the portal."""
    public = site_service.public_site(db, settings, slug, today=today)
    sheet = _sheet(db, settings, storage, reg, public, lang)
    return _render(
        "print/fact_sheet.html",
        lang,
        region=region_service.current_region(db),
        sheets=[sheet],
        today=today,
    )


def parse_slugs(raw: str | None) -> list[str]:
    """The shortlist's site slugs from `a,b,c`: each once, in the order given."""
    slugs: list[str] = []
    for part in (raw or "").split(","):
        slug = part.strip()
        if slug and slug not in slugs:
            slugs.append(slug)
    if not slugs:
        raise ValidationFailed.single("sites", "Name at least one site.", "shortlist_empty")
    if len(slugs) > SHORTLIST_MAX:
        raise ValidationFailed.single(
            "sites",
            f"A shortlist holds at most {SHORTLIST_MAX} sites.",
            "shortlist_too_long",
            {"max": SHORTLIST_MAX},
        )
    return slugs


def shortlist_pdf(
    db: Session,
    settings: Settings,
    storage: Storage,
    reg: Region,
    slugs: list[str],
    lang: str,
    today: date,
) -> bytes:
    """A summary table of the sites, then one section each. Sites no longer on the
    portal are left out; `NotFound` when none is left."""
    sheets = []
    for slug in slugs:
        try:
            public = site_service.public_site(db, settings, slug, today=today)
        except NotFound:
            continue
        sheets.append(_sheet(db, settings, storage, reg, public, lang))
    if not sheets:
        raise NotFound("None of these sites is on the portal.")
    return _render(
        "print/shortlist.html",
        lang,
        region=region_service.current_region(db),
        sheets=sheets,
        today=today,
    )
