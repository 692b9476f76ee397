"""The portal's printable documents: a site's fact sheet and a shortlist of sites, as
PDF in the page's language. Public (anonymous): only sites on the portal are printed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.deps import AppSettings, DbSession
from app.api.sites import StorageDep
from app.i18n import LANGUAGES
from app.services import fact_sheets
from app.services.sites import helsinki_today
from app.web.portal import render_cache

router = APIRouter(include_in_schema=False)


def _pdf(data: bytes, filename: str, settings: AppSettings) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": f"public, max-age={settings.portal_cache_seconds}",
        },
    )


def fact_sheet(
    request: Request, slug: str, db: DbSession, settings: AppSettings, storage: StorageDep
) -> Response:
    lang = request.url.path.split("/")[1]
    version = render_cache.version(db, settings, with_progress=False)
    reg = render_cache.region(db, version)
    data = fact_sheets.fact_sheet_pdf(db, settings, storage, reg, slug, lang, helsinki_today())
    return _pdf(data, f"{slug}.pdf", settings)


def shortlist(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    storage: StorageDep,
    sites: str | None = None,
) -> Response:
    """`sites`: the slugs of the shortlisted sites, comma-separated (`a,b,c`)."""
    lang = request.url.path.split("/")[1]
    slugs = fact_sheets.parse_slugs(sites)
    version = render_cache.version(db, settings, with_progress=False)
    reg = render_cache.region(db, version)
    data = fact_sheets.shortlist_pdf(db, settings, storage, reg, slugs, lang, helsinki_today())
    return _pdf(data, "shortlist.pdf", settings)


for _lang in LANGUAGES:
    router.add_api_route(f"/{_lang}/sites/{{slug}}/fact-sheet.pdf", fact_sheet, methods=["GET"])
    router.add_api_route(f"/{_lang}/shortlist.pdf", shortlist, methods=["GET"])
