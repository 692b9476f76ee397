"""Demo sites of the region's demo content, and drawn photos on some of them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.db.models import Site, SiteIndustry, SiteVersion
from app.demo.context import DemoContext
from app.demo.data import DemoSite
from app.demo.users import municipal_login, stored_municipalities
from app.domain.access import SYSTEM_ACTOR
from app.domain.packages import AttachmentKind
from app.services import geography
from app.services.sites import attachment_row, attachments_of, record_change, store_file
from app.storage import storage_for


def _find(ctx: DemoContext, demo: DemoSite) -> Site | None:
    return ctx.db.scalar(
        select(Site).where(
            Site.municipality_code == demo.municipality, Site.external_ref == demo.ref
        )
    )


def load(ctx: DemoContext) -> None:
    db = ctx.db
    municipalities = {m.code: m for m in stored_municipalities(ctx)}
    today = datetime.now(UTC).date()
    for demo in ctx.data.sites:
        municipality = municipalities[demo.municipality]
        # The municipality's demo contact adds its sites and answers for them.
        contact = ctx.user(municipal_login(municipality))
        if _find(ctx, demo) is not None or contact is None:
            continue
        latitude, longitude = demo.location
        site = Site(
            slug=f"{municipality.slug}-{demo.ref.lower()}",
            municipality_code=demo.municipality,
            external_ref=demo.ref,
            kind=demo.kind,
            status=demo.status,
            name_fi=demo.name.fi,
            name_en=demo.name.en,
            description_fi=f"{demo.name.fi}: asemakaavoitettu alue hyvien yhteyksien päässä.",
            description_en=f"{demo.name.en}: zoned land with good connections.",
            latitude=latitude,
            longitude=longitude,
            polygon=demo.boundary,
            area_ha=demo.area_ha,
            area_m2=demo.area_ha * 10_000,
            zoning_status="detailed_plan",
            ownership="municipal",
            tenure="sale_or_lease",
            grid_connection=True,
            available_power_mw=demo.power_mw,
            rail_siding=demo.rail_siding,
            fibre=True,
            water_m3_per_day=demo.area_ha * 20,
            district_heat=demo.district_heat,
            airport_km=demo.airport_km,
            road_km=1.5,
            contact_name=contact.full_name,
            contact_email=contact.email,
            last_verified_on=today - timedelta(days=30),
            published_at=datetime.now(UTC) if demo.status == "published" else None,
            created_by_id=contact.id,
        )
        db.add(site)
        db.flush()
        for code in demo.industries:
            db.add(SiteIndustry(site_id=site.id, industry_code=code))
        ctx.report.count("sites")


def _photo(colour: tuple[int, int, int]) -> bytes:
    """A landscape-like picture: sky, treeline and a field in the site's colour."""
    image = Image.new("RGB", (960, 640), (186, 214, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 960, 640), fill=colour)
    for x in range(0, 960, 40):
        draw.polygon([(x, 380), (x + 20, 300 - (x * 7) % 40), (x + 40, 380)], fill=(24, 70, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def load_photos(ctx: DemoContext) -> None:
    """Photos on the demo sites that have one; sites that already have attachments are
    skipped. Then each site's first version and its distances, which a site inserted
    directly lacks."""
    db = ctx.db
    storage = storage_for(ctx.settings)
    for demo in ctx.data.sites:
        site = _find(ctx, demo)
        if demo.photo is None or site is None or attachments_of(db, [site.id])[site.id]:
            continue
        data = _photo(demo.photo.colour)
        stored = store_file(storage, data, "image/jpeg", [])
        db.add(
            attachment_row(
                SYSTEM_ACTOR,
                site,
                stored,
                filename=f"{demo.ref.lower()}.jpg",
                content_type="image/jpeg",
                size=len(data),
                kind=AttachmentKind.PHOTO,
                title_fi=demo.photo.title.fi,
                title_en=demo.photo.title.en,
                sort_order=0,
            )
        )
        db.flush()
        if not db.scalar(select(SiteVersion.id).where(SiteVersion.site_id == site.id)):
            record_change(db, SYSTEM_ACTOR, site, "create", was_public=False)
        ctx.report.count("site photos")
    geography.refresh_all(db)
