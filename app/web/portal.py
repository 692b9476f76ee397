"""The public investment portal of the region, in Finnish and English: home, site search, site
pages, municipality and key-industry pages, the inquiry form, the privacy notice, the
sitemap and robots.txt.

Pages render from `portal_templates/` with their own layout. Content pages carry an
ETag built from the content version (one query), so a revalidation costs one statement
and a 304; the inquiry form is never cached.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.deps import AppSettings, DbSession, ReadingDbSession
from app.api.errors import HtmlErrorPage
from app.domain.errors import NotFound, ValidationFailed
from app.domain.organizations import COUNTRY_CODES
from app.domain.portal import (
    DEFAULT_SORT,
    PRIVACY_NOTICE_VERSION,
    PRIVACY_NOTICE_VERSIONS,
    TIMELINES,
    Verdict,
    judge_submission,
    parse_search,
    seconds_since_start,
    sign_started,
)
from app.domain.shortlist import SHORTLIST_MAX, Shortlist, parse_shortlist
from app.domain.sites import SiteKind, ZoningStatus
from app.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    format_number,
    install_i18n,
    is_ui_language,
    label,
    localized,
    negotiate_language,
    shown_language,
    translate,
)
from app.services import portal as portal_service
from app.services.geography import site_geography
from app.services.portal_texts import portal_texts
from app.services.sites import PublicSite, PublicSitePoint, SiteCard, helsinki_today
from app.settings import Settings
from app.web import csrf
from app.web.assets import GZIP_LEVEL, static_url
from app.web.branding import branding_css_url, request_region

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "portal_templates"
STATIC_DIR = Path(__file__).parent / "static" / "portal"
TILE_HOST = "https://tile.openstreetmap.org"
# The staff policy plus the map tiles, for images only.
PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: {TILE_HOST}; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def _build_id() -> str:
    """Changes whenever a portal template or asset does, so cached pages and asset URLs
    from an older deployment are not reused."""
    digest = hashlib.sha256()
    for folder in (TEMPLATES_DIR, STATIC_DIR):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


BUILD_ID = _build_id()


def json_for_html(value: Any) -> Markup:
    """JSON safe inside a <script> data block: no '<', '>' or '&' can end it early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704  (escaped above)


@dataclass(frozen=True, slots=True)
class CardView:
    """A site card's texts in the reader's language, prepared in Python: in a template a
    list of 50 cards costs several hundred calls, each with a context of its own."""

    item: SiteCard
    name: str
    name_lang: str | None  # the name's language when it is not the page's
    kind: str
    municipality: str
    area: str | None
    power: str | None
    distance: str | None
    industries: list[str]


def card_views(items: list[SiteCard], region: portal_service.Region, lang: str) -> list[CardView]:
    views = []
    for item in items:
        site = item.site
        municipality = region.municipality(site.municipality_code)
        shown = shown_language(site, "name", lang)
        views.append(
            CardView(
                item,
                localized(site, "name", lang) or site.name_fi,
                shown if shown != lang else None,
                label(lang, "site_kind", site.kind),
                municipality.name(lang) if municipality else "",
                _number(site.area_ha, lang),
                _number(site.available_power_mw, lang),
                _number(item.distance_m / 1000 if item.distance_m is not None else None, lang),
                [
                    industry.name(lang)
                    for code in item.industry_codes
                    if (industry := region.industry(code)) is not None
                ],
            )
        )
    return views


def _number(value: float | None, lang: str) -> str | None:
    return format_number(value, lang) if value is not None else None


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
portal_env = templates.env
install_i18n(portal_env)
portal_env.filters["json_for_html"] = json_for_html
portal_env.globals.update(
    build_id=BUILD_ID,
    languages=LANGUAGES,
    static_url=static_url,
    shortlist_max=SHORTLIST_MAX,
    branding_css_url=branding_css_url,
    card_views=card_views,
)

router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> str:
    return request.url.path.split("/")[1]


def portal_get(path: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a GET page under /fi, /sv and /en; the handler reads the language from the
    path."""

    def register(endpoint: Callable[..., Response]) -> Callable[..., Response]:
        for lang in LANGUAGES:
            router.add_api_route(f"/{lang}{path}", endpoint, methods=["GET"])
        return endpoint

    return register


def _page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    region = request_region(request)
    offered = region.languages
    path_lang = _lang(request)
    if path_lang in LANGUAGES and path_lang not in offered and status_code != 404:
        raise NotFound("The portal is not offered in this language.")
    lang = path_lang if path_lang in offered else region.default_language
    rest = (
        request.url.path[len(path_lang) + 1 :]
        if request.url.path.startswith(f"/{path_lang}/")
        else "/"
    )
    page_context = {
        "lang": lang,
        "region": region,
        "region_texts": portal_texts(region),
        # The same page in each other language, for the language switcher.
        "switch_links": {code: f"/{code}{rest}{query}" for code in offered if code != lang},
        "rest": rest,
        "query": query,
        "path": request.url.path,
        "base_url": settings.base_url,
        "canonical": f"{settings.base_url}/{lang}{rest}{query}",
        "alternates": {code: f"{settings.base_url}/{code}{rest}{query}" for code in offered},
        **context,
    }
    response = templates.TemplateResponse(
        request, name, page_context, status_code=status_code, headers=headers
    )
    response.headers["content-security-policy"] = PORTAL_CSP
    return response


# --- caching ------------------------------------------------------------------------------


def _etag(request: Request, version: str, today: date) -> str:
    return _etag_of(request.url.path, request.url.query, version, today)


def _etag_of(path: str, query: str, version: str, today: date) -> str:
    key = "|".join((BUILD_ID, version, today.isoformat(), path, query))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _cache_headers(settings: Settings, etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={settings.portal_cache_seconds}"}


class RenderCache:
    """Rendered pages by ETag, per process. The ETag holds the content version, so an
    entry is never stale: a change makes a new key and old entries age out (LRU)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._versions: dict[bool, tuple[float, str]] = {}
        self._regions: OrderedDict[str, portal_service.Region] = OrderedDict()

    def version(self, db: Session, settings: Settings, with_progress: bool) -> str:
        """The content version, read at most once per `portal_version_ttl_seconds`."""
        now = time.monotonic()
        with self._lock:
            known = self._versions.get(with_progress)
        if known and known[0] > now:
            return known[1]
        value = portal_service.content_version(db, with_progress=with_progress)
        with self._lock:
            self._versions[with_progress] = (now + settings.portal_version_ttl_seconds, value)
        return value

    def region(self, db: Session, version: str) -> portal_service.Region:
        """The municipalities and industries as of a content version (which holds when
        they last changed): read once per version, not on every page that misses."""
        with self._lock:
            known = self._regions.get(version)
        if known is not None:
            return known
        fresh = portal_service.region(db)
        with self._lock:
            self._regions[version] = fresh
            # A few versions: the home page's (with progress) and the others'.
            while len(self._regions) > 4:
                self._regions.popitem(last=False)
        return fresh

    def known_version(self, with_progress: bool) -> str | None:
        """The content version while it is fresh, without asking the database."""
        with self._lock:
            known = self._versions.get(with_progress)
        return known[1] if known and known[0] > time.monotonic() else None

    def get(self, etag: str) -> tuple[int, bytes, str] | None:
        with self._lock:
            entry = self._entries.get(etag)
            if entry is not None:
                self._entries.move_to_end(etag)
            return entry

    def put(self, etag: str, limit: int, response: Response) -> None:
        if limit <= 0:
            return
        with self._lock:
            self._entries[etag] = (
                response.status_code,
                bytes(response.body),
                response.media_type or "",
            )
            while len(self._entries) > limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._versions.clear()
            self._regions.clear()


render_cache = RenderCache()


class CachedPages:
    """ASGI middleware: answers a GET for a portal page straight from the render cache
    while the content version is fresh, before routing, sessions and the thread pool;
    everything else (and every miss) goes to the application."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not _cacheable(path):
            await self.app(scope, receive, send)
            return
        version = render_cache.known_version(with_progress=path in _HOME_PATHS)
        if version is None:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        etag = _etag_of(path, query, version, helsinki_today())
        request_headers = dict(scope.get("headers", []))
        sent = request_headers.get(b"if-none-match", b"").decode("latin-1")
        entry = render_cache.get(etag)
        headers = _cache_headers(self.settings, etag)
        response: Response
        if etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")}:
            response = Response(status_code=304, headers=headers)
        elif entry is not None:
            status, body, media_type = entry
            response = Response(body, status_code=status, headers=headers, media_type=media_type)
            if media_type.startswith("text/html"):
                response.headers["content-security-policy"] = PORTAL_CSP
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


class CompressedPages:
    """ASGI middleware: the cacheable portal pages gzip-compressed like the static files
    (a search page's HTML shrinks from about 23 KB to 5 KB). They hold no secret (no
    session, no CSRF token), so compression reveals nothing; the staff pages and the
    inquiry form are left as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compressed = GZipMiddleware(app, compresslevel=GZIP_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _cacheable(scope.get("path", "")):
            await self.compressed(scope, receive, send)
        else:
            await self.app(scope, receive, send)


_HOME_PATHS = frozenset(f"/{lang}/" for lang in LANGUAGES)


def _cacheable(path: str) -> bool:
    """Portal pages whose answer depends on the URL and the content version only."""
    if path == "/sitemap.xml":
        return True
    parts = path.split("/")
    return (
        len(parts) >= 3
        and parts[1] in LANGUAGES
        and (parts[2] in ("", "sites", "municipalities", "industries", "compare"))
    )


def _cached(
    request: Request, db: Session, settings: Settings, *, with_progress: bool = False
) -> tuple[str, dict[str, str], Response | None]:
    """The content version, the page's cache headers, and the answer when no rendering
    is needed: a 304 when the browser's copy is current, else the page rendered before
    for the same ETag."""
    version = render_cache.version(db, settings, with_progress)
    # The region definition as of this version (the version covers its changes), so
    # that rendering the page does not read it again.
    request.state.region = render_cache.region(db, version).definition
    headers = _cache_headers(settings, _etag(request, version, helsinki_today()))
    sent = request.headers.get("if-none-match", "")
    if headers["ETag"] in {tag.strip().removeprefix("W/") for tag in sent.split(",")}:
        return version, headers, Response(status_code=304, headers=headers)
    entry = render_cache.get(headers["ETag"])
    if entry is None:
        return version, headers, None
    status, body, media_type = entry
    response = Response(body, status_code=status, headers=headers, media_type=media_type)
    if media_type.startswith("text/html"):
        response.headers["content-security-policy"] = PORTAL_CSP
    return version, headers, response


def _keep(request: Request, headers: dict[str, str], response: Response) -> Response:
    settings: Settings = request.app.state.settings
    render_cache.put(headers["ETag"], settings.portal_render_cache_entries, response)
    return response


# --- pages ------------------------------------------------------------------------------


@router.get("/")
def choose_language(request: Request, db: ReadingDbSession) -> Response:
    # `db` is the session request_region reads the region's languages with.
    region = request_region(request)
    default = region.default_language
    lang = negotiate_language(
        request.headers.get("accept-language"),
        region.languages,
        default if is_ui_language(default) else DEFAULT_LANGUAGE,
    )
    return RedirectResponse(
        f"/{lang}/",
        status_code=302,
        headers={"Vary": "Accept-Language", "Cache-Control": "no-cache"},
    )


@portal_get("/")
def home(request: Request, db: DbSession, settings: AppSettings) -> Response:
    # A transaction: the target's progress tunes its statements for it (SET LOCAL).
    version, headers, early = _cached(request, db, settings, with_progress=True)
    if early:
        return early
    reg = render_cache.region(db, version)
    data = portal_service.home_page(db, settings, reg, helsinki_today())
    return _keep(request, headers, _page(request, "home.html", {"page": data}, headers=headers))


_DEFAULT_ITEMS = {("sort", DEFAULT_SORT), ("page", "1")}


@portal_get("/sites")
def site_search(request: Request, db: ReadingDbSession, settings: AppSettings) -> Response:
    # The filter form sends every field; empty ones and defaults leave the shared URL.
    items = request.query_params.multi_items()
    kept = [(k, v) for k, v in items if v.strip() and (k, v) not in _DEFAULT_ITEMS]
    if len(kept) != len(items):
        target = request.url.path + ("?" + urlencode(kept) if kept else "")
        return RedirectResponse(target, status_code=302)
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    reg = render_cache.region(db, version)
    search = parse_search(
        request.query_params,
        [m.code for m in reg.municipalities],
        [i.code for i in reg.industries],
        reg.town_codes,
    )
    data = portal_service.search_page(db, settings, reg, search, helsinki_today())
    page = _page(
        request,
        "sites.html",
        {
            "page": data,
            "search": search,
            "kinds": [k.value for k in SiteKind],
            "zonings": [z.value for z in ZoningStatus],
            "points": _points(data.points, _lang(request)),
        },
        query=search.query(),
        headers=headers,
    )
    return _keep(request, headers, page)


def _points(points: list[PublicSitePoint], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "name": (p.name_en or p.name_fi) if lang == "en" else p.name_fi,
            "lat": p.latitude,
            "lon": p.longitude,
            "url": f"/{lang}/sites/{p.slug}",
        }
        for p in points
    ]


@portal_get("/sites/{slug}")
def site_detail(
    request: Request, slug: str, db: ReadingDbSession, settings: AppSettings
) -> Response:
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    lang = _lang(request)
    today = helsinki_today()
    reg = render_cache.region(db, version)
    try:
        data = portal_service.site_page(db, settings, reg, slug, today)
    except NotFound:
        gone = portal_service.gone_site(db, settings, slug, today)
        if gone is None:
            raise
        page = _page(request, "gone.html", {"site": gone}, status_code=410, headers=headers)
        return _keep(request, headers, page)
    site = data.public.site
    page = _page(
        request,
        "site.html",
        {
            "page": data,
            "site": site,
            "photos": [a for a in data.public.attachments if a.kind == "photo"],
            "documents": [a for a in data.public.attachments if a.kind != "photo"],
            "answer_days": reg.answer_days,
            "json_ld": site_json_ld(
                data, lang, settings.base_url, request_region(request).display_name(lang)
            ),
            "team": portal_service.regional_team(settings),
            **site_geography(data.public, data.region),
            "points": _points(
                [
                    PublicSitePoint(
                        site.slug, site.name_fi, site.name_en, site.latitude, site.longitude
                    )
                ]
                if site.latitude is not None and site.longitude is not None
                else [],
                lang,
            ),
        },
        headers=headers,
    )
    return _keep(request, headers, page)


@portal_get("/municipalities/{code}")
def municipality(
    request: Request, code: str, db: ReadingDbSession, settings: AppSettings
) -> Response:
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    reg = render_cache.region(db, version)
    data = portal_service.municipality_page(db, settings, reg, code, helsinki_today())
    page = _page(
        request,
        "municipality.html",
        {
            "page": data,
            "points": _points(data.points, _lang(request)),
            "facts": data.region.facts_by_municipality.get(code),
        },
        headers=headers,
    )
    return _keep(request, headers, page)


@portal_get("/industries/{code}")
def industry(request: Request, code: str, db: ReadingDbSession, settings: AppSettings) -> Response:
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    reg = render_cache.region(db, version)
    data = portal_service.industry_page(db, settings, reg, code, helsinki_today())
    return _keep(request, headers, _page(request, "industry.html", {"page": data}, headers=headers))


@portal_get("/privacy")
def privacy(request: Request) -> Response:
    return _privacy_page(request, PRIVACY_NOTICE_VERSION)


@portal_get("/privacy/{version}")
def privacy_version(request: Request, version: str) -> Response:
    if version not in PRIVACY_NOTICE_VERSIONS:
        raise NotFound("No such version of the privacy notice.")
    return _privacy_page(request, version)


def _privacy_page(request: Request, version: str) -> Response:
    return _page(
        request,
        "privacy.html",
        {
            "version": version,
            "current": version == PRIVACY_NOTICE_VERSION,
            "versions": PRIVACY_NOTICE_VERSIONS,
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


# --- the inquiry -----------------------------------------------------------------------


def _inquiry_form(
    request: Request,
    db: Session,
    settings: Settings,
    sites: list[PublicSite],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    notice_params: dict[str, object] | None = None,
    started: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The form; `started` is the signed time the form was first opened, kept when the
    form comes back with errors so the anti-bot timer does not start again."""
    binding = csrf.current_binding(request)
    new_presession = None
    if binding is None:
        binding = new_presession = secrets.token_urlsafe(32)
    key = settings.secret_key.get_secret_value().encode()
    lang = _lang(request)
    response = _page(
        request,
        "inquiry.html",
        {
            "sites": sites,
            "values": values or {},
            "errors": errors or {},
            "notice": notice,
            "notice_params": notice_params or {},
            "csrf_token": csrf.token_for(settings, binding),
            "started": started or sign_started(key, int(time.time())),
            "countries": _countries(lang),
            "timelines": TIMELINES,
            "privacy_version": PRIVACY_NOTICE_VERSION,
            "answer_days": portal_service.answer_working_days(db),
        },
        status_code=status_code,
        query=Shortlist(tuple(item.site.slug for item in sites)).query,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
    if new_presession:
        csrf.set_presession_cookie(response, settings, new_presession)
    return response


def _countries(lang: str) -> list[tuple[str, str]]:
    names = Locale.parse(lang).territories
    return sorted(((code, names.get(code, code)) for code in COUNTRY_CODES), key=lambda c: c[1])


@portal_get("/inquiry")
def inquiry(request: Request, db: DbSession, settings: AppSettings) -> Response:
    # `site` from a site's page, `sites` from a comparison of a shortlist.
    query = request.query_params
    shortlist = parse_shortlist([*query.getlist("site"), *query.getlist("sites")])
    sites = portal_service.inquiry_sites(db, settings, shortlist, helsinki_today())
    return _inquiry_form(request, db, settings, sites)


async def send_inquiry(request: Request, db: DbSession, settings: AppSettings) -> Response:
    lang = _lang(request)
    # The body's size (32 KiB) and its characters are checked at the edge (app/edge.py).
    await csrf.verify_csrf(request, settings)
    client = request.client.host if request.client else "unknown"
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    shortlist = parse_shortlist([values.get("site", ""), values.get("sites", "")])
    sites = portal_service.inquiry_sites(db, settings, shortlist, helsinki_today())
    key = settings.secret_key.get_secret_value().encode()
    max_seconds = settings.portal_inquiry_max_age_hours * 3600
    elapsed = seconds_since_start(key, values.get("started"), int(time.time()))
    verdict = judge_submission(
        values.get("website"),
        elapsed,
        min_seconds=settings.portal_inquiry_min_seconds,
        max_seconds=max_seconds,
    )
    thanks = RedirectResponse(f"/{lang}/inquiry/thanks", status_code=303)
    if verdict is Verdict.BOT:
        # Told nothing: a bot that learns it was caught adapts.
        return thanks
    # The form shown again keeps the time it was first opened (unless that has expired):
    # correcting a mistake must not restart the anti-bot timer.
    started = values.get("started") if verdict is not Verdict.EXPIRED else None
    if verdict is not Verdict.HUMAN:
        notice = (
            N_("That was quick! Please check your details and send the form again.")
            if verdict is Verdict.TOO_FAST
            else N_("The form was open for a long time. Please check it and send it again.")
        )
        return _inquiry_form(
            request,
            db,
            settings,
            sites,
            values=values,
            notice=notice,
            started=started,
            status_code=422,
        )
    try:
        cleaned = portal_service.validate_inquiry(values, lang)
    except ValidationFailed as failed:
        # The inquiry's rules word each reason for the public (marked with N_).
        errors = {e.field: translate(lang, e.reason) for e in failed.errors}
        return _inquiry_form(
            request,
            db,
            settings,
            sites,
            values=values,
            errors=errors,
            started=started,
            status_code=422,
        )
    try:
        # Only an accepted inquiry counts against the client's limit.
        portal_service.submit_inquiry(db, settings, cleaned, sites=sites, client=client)
    except portal_service.TooManyRequests as limited:
        # Nothing the investor typed is lost: the form comes back with it.
        return _inquiry_form(
            request,
            db,
            settings,
            sites,
            values=values,
            notice=N_(
                "You have sent several inquiries in a short time. Your message is still here: "
                "please send it again in about %(minutes)s min."
            ),
            notice_params={"minutes": max(1, -(-limited.retry_after // 60))},
            started=started,
            status_code=429,
            headers={"Retry-After": str(limited.retry_after)},
        )
    return thanks


for _lang_code in LANGUAGES:
    router.add_api_route(f"/{_lang_code}/inquiry", send_inquiry, methods=["POST"])


@portal_get("/inquiry/thanks")
def inquiry_thanks(request: Request, db: ReadingDbSession) -> Response:
    return _page(
        request,
        "thanks.html",
        {"answer_days": portal_service.answer_working_days(db)},
        headers={"Cache-Control": "no-store"},
    )


# --- JSON-LD ------------------------------------------------------------------------------


def site_json_ld(
    data: portal_service.SitePage, lang: str, base_url: str, region_name: str
) -> dict[str, Any]:
    """schema.org Place (geo, containedInPlace, amenityFeature) and, for what is for sale
    or lease, a RealEstateListing with its Offer."""
    site = data.public.site
    url = f"{base_url}/{lang}/sites/{site.slug}"
    name = (site.name_en or site.name_fi) if lang == "en" else site.name_fi
    description = (
        (site.description_en or site.description_fi) if lang == "en" else site.description_fi
    )
    municipality = data.municipality

    def feature(label: str, value: Any) -> dict[str, Any]:
        return {"@type": "LocationFeatureSpecification", "name": label, "value": value}

    features = []
    for amenity, value in (
        (N_("Grid connection"), site.grid_connection),
        (N_("Rail siding"), site.rail_siding),
        (N_("District heat"), site.district_heat),
        (N_("Natural gas"), site.gas),
        (N_("Fibre broadband"), site.fibre),
    ):
        if value is not None:
            features.append(feature(translate(lang, amenity), bool(value)))
    if site.available_power_mw is not None:
        features.append(
            {
                **feature(translate(lang, "Available power"), site.available_power_mw),
                "unitCode": "MAW",
                "unitText": "MW",
            }
        )
    place: dict[str, Any] = {
        "@type": "Place",
        "@id": f"{url}#place",
        "name": name,
        "url": url,
        "containedInPlace": {
            "@type": "AdministrativeArea",
            "name": municipality.name(lang),
            "identifier": municipality.code,
            "containedInPlace": {"@type": "AdministrativeArea", "name": region_name},
        },
        "amenityFeature": features,
    }
    if description:
        place["description"] = description
    if site.latitude is not None and site.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": site.latitude,
            "longitude": site.longitude,
        }
    if site.address:
        place["address"] = {
            "@type": "PostalAddress",
            "streetAddress": site.address,
            "addressLocality": municipality.name(lang),
            "addressCountry": "FI",
        }
    photos = [a for a in data.public.attachments if a.kind == "photo"]
    if photos:
        place["photo"] = [f"{base_url}/site-files/{a.id}" for a in photos]
    graph: list[dict[str, Any]] = [place]
    if site.tenure:
        functions = {
            "sale": ["http://purl.org/goodrelations/v1#Sell"],
            "lease": ["http://purl.org/goodrelations/v1#LeaseOut"],
            "sale_or_lease": [
                "http://purl.org/goodrelations/v1#Sell",
                "http://purl.org/goodrelations/v1#LeaseOut",
            ],
        }.get(site.tenure, [])
        offers: list[dict[str, Any]] = []
        for business_function in functions:
            offer: dict[str, Any] = {
                "@type": "Offer",
                "businessFunction": business_function,
                "itemOffered": {"@id": f"{url}#place"},
                "availability": "https://schema.org/InStock",
            }
            if site.price_eur is not None:
                offer["price"] = site.price_eur
                offer["priceCurrency"] = "EUR"
            if site.available_from is not None:
                offer["availabilityStarts"] = site.available_from.isoformat()
            offers.append(offer)
        graph.append(
            {
                "@type": "RealEstateListing",
                "name": name,
                "url": url,
                "inLanguage": lang,
                "datePosted": site.published_at.date().isoformat() if site.published_at else None,
                "about": {"@id": f"{url}#place"},
                "offers": offers,
            }
        )
    return {"@context": "https://schema.org", "@graph": graph}


# --- sitemap, robots, errors ---------------------------------------------------------------


@router.get("/sitemap.xml")
def sitemap_xml(request: Request, db: ReadingDbSession, settings: AppSettings) -> Response:
    version, headers, early = _cached(request, db, settings)
    if early:
        return early
    reg = render_cache.region(db, version)
    data = portal_service.sitemap(db, settings, reg, helsinki_today())
    base = settings.base_url
    paths: list[tuple[str, str | None]] = [("/", None), ("/sites", None), ("/inquiry", None)]
    paths += [(f"/municipalities/{code}", None) for code in data.municipality_codes]
    paths += [(f"/industries/{code}", None) for code in data.industry_codes]
    paths += [
        (f"/sites/{slug}", changed.date().isoformat() if changed else None)
        for slug, changed in data.sites
    ]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    offered = request_region(request).languages
    for path, lastmod in paths:
        for lang in offered:
            lines.append(f"<url><loc>{xml_escape(f'{base}/{lang}{path}')}</loc>")
            if lastmod:
                lines.append(f"<lastmod>{lastmod}</lastmod>")
            for alternate in offered:
                href = xml_escape(f"{base}/{alternate}{path}")
                lines.append(f'<xhtml:link rel="alternate" hreflang="{alternate}" href="{href}"/>')
            lines.append("</url>")
    lines.append("</urlset>")
    body = Response("\n".join(lines), media_type="application/xml", headers=headers)
    return _keep(request, headers, body)


@router.get("/robots.txt")
def robots_txt(settings: AppSettings) -> Response:
    body = "\n".join(
        [
            "User-agent: *",
            *(f"Allow: /{lang}/" for lang in LANGUAGES),
            "Allow: /site-files/",
            *(f"Disallow: /{lang}/inquiry" for lang in LANGUAGES),
            "Disallow: /api/",
            "Disallow: /staff",
            "Disallow: /login",
            f"Sitemap: {settings.base_url}/sitemap.xml",
            "",
        ]
    )
    return PlainTextResponse(body, headers={"Cache-Control": "public, max-age=86400"})


_ERROR_TITLES = {
    400: N_("This address is not valid"),
    404: N_("Page not found"),
    410: N_("No longer available"),
    413: N_("The message is too long"),
    422: N_("Please check the form"),
    429: N_("Too many messages"),
    403: N_("The form has expired"),
}
_ERROR_TEXTS = {
    400: N_("The address or the form contains characters it cannot have. Please check the link."),
    404: N_("We could not find this page. It may have moved."),
    413: N_("Please shorten your message and send it again."),
    429: N_("You have sent several messages in a short time. Please try again in an hour."),
    403: N_("Please reload the form and send it again."),
}


def is_portal_path(path: str) -> bool:
    return path == "/" or any(path.startswith(f"/{lang}/") for lang in LANGUAGES)


def portal_error_page(
    request: Request, status: int, title: str, detail: str | None
) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        {
            "status": status,
            "title": _ERROR_TITLES.get(status, N_("Something went wrong")),
            "text": _ERROR_TEXTS.get(status),
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def error_page_for(staff_page: HtmlErrorPage) -> HtmlErrorPage:
    """Portal paths get the portal's error page, everything else the staff one."""

    def choose(request: Request, status: int, title: str, detail: str | None) -> Response:
        if is_portal_path(request.url.path):
            return portal_error_page(request, status, title, detail)
        return staff_page(request, status, title, detail)

    return choose
