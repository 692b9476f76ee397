"""The portal's comparison of a shortlist: `/{lang}/compare?sites=a,b,c`.

The shortlist is the link: kept in the browser by `static/portal/selector.js` and shared
by copying the address, with no login and nothing stored on the server. Without
JavaScript the search results' checkboxes send the same form. The page is cached like
the other portal pages (its answer depends on the URL and the content version only).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import AppSettings, ReadingDbSession
from app.domain.shortlist import parse_shortlist
from app.i18n import LANGUAGES
from app.services import shortlist as shortlist_service
from app.services.sites import helsinki_today
from app.web.portal import _cached, _keep, _lang, _page, render_cache

router = APIRouter(include_in_schema=False)


def compare(request: Request, db: ReadingDbSession, settings: AppSettings) -> Response:
    values = request.query_params.getlist("sites")
    # The checkbox form sends one `sites` per site: one comma-separated list is the
    # address to share (and the one cached). Other parameters are dropped.
    if len(values) > 1 or any(name != "sites" for name in request.query_params):
        joined = ",".join(part for part in values if part.strip())
        target = request.url.path + ("?sites=" + quote(joined, safe=",") if joined else "")
        return RedirectResponse(target, status_code=302)
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    lang = _lang(request)
    data = shortlist_service.compare_page(
        db, settings, render_cache.region(db, version), parse_shortlist(values), helsinki_today()
    )
    query = data.shortlist.query
    page = _page(
        request,
        "compare.html",
        {
            "page": data,
            "share_url": f"{settings.base_url}/{lang}/compare{query}",
        },
        query=query,
        headers=headers,
    )
    return _keep(request, headers, page)


for _lang_code in LANGUAGES:
    router.add_api_route(f"/{_lang_code}/compare", compare, methods=["GET"])
