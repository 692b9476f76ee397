"""Public pull syndication: JSON Feed, Atom and GeoJSON of published sites (the region
and each municipality), answered with ETag / Last-Modified and 304, and the embeddable
listing a municipality puts in an <iframe> on its own page."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import AppSettings, ReadingDbSession
from app.domain.region import RegionDefinition
from app.domain.sites import SiteKind
from app.domain.syndication import accent_ink, parse_accent
from app.i18n import UiLanguage, localized, translate
from app.services import reference, syndication
from app.services import region as region_service
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

Lang = Annotated[UiLanguage, Query()]
ATOM = "http://www.w3.org/2005/Atom"
GEORSS = "http://www.georss.org/georss"
# The embed alone may be framed, by any page; it still runs only our own script.
EMBED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors *; base-uri 'self'; form-action 'self'; object-src 'none'"
)
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def is_current(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy (If-None-Match, else If-Modified-Since) is current."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if last_modified is None or not since:
        return False
    try:
        since_at = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return bool(since_at.tzinfo) and last_modified.replace(microsecond=0) <= since_at


def conditional(
    request: Request, body: bytes, media_type: str, last_modified: datetime | None
) -> Response:
    """The body, or 304 when the client's copy is current."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if is_current(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _title(content: syndication.FeedContent, lang: str, region: RegionDefinition) -> str:
    portal = region.portal_name(lang)
    if content.municipality is None:
        return translate(lang, "%(portal)s: sites for investment", portal=portal)
    name = localized(content.municipality, "name", lang)
    return translate(
        lang, "%(portal)s: sites in %(municipality)s", portal=portal, municipality=name
    )


def _pick(value: dict[str, Any], lang: str) -> str:
    return str(value.get(lang) or value.get("fi") or "")


def json_feed(
    content: syndication.FeedContent,
    base_url: str,
    feed_url: str,
    lang: str,
    region: RegionDefinition,
) -> dict[str, Any]:
    """JSON Feed 1.1; the full site document rides along as `_invest_kainuu` (an extension
    key that readers depend on, so it keeps its name whichever region publishes)."""
    items = []
    for document in content.documents:
        public = syndication.public_document(document, base_url)
        item: dict[str, Any] = {
            "id": document["id"],
            "url": public["url"][lang],
            "title": _pick(document["name"], lang),
            "content_html": syndication.wordpress_content(
                document, lang, base_url, region.portal_name(lang)
            ),
            "summary": _pick(document["description"], lang)[:300],
            "tags": [_pick(i["name"], lang) for i in document["industries"]],
            "language": lang,
            "_invest_kainuu": public,
        }
        if document["published_at"]:
            item["date_published"] = document["published_at"]
        if document["changed_at"]:
            item["date_modified"] = document["changed_at"]
        if public["photos"]:
            item["image"] = public["photos"][0]["url"]
        items.append(item)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _title(content, lang, region),
        "home_page_url": f"{base_url}/{lang}/sites",
        "feed_url": feed_url,
        "language": lang,
        "authors": [{"name": region.council_name(lang), "url": base_url}],
        "items": items,
    }


def atom_feed(
    content: syndication.FeedContent,
    base_url: str,
    feed_url: str,
    lang: str,
    region: RegionDefinition,
) -> bytes:
    """Atom (RFC 4287) with a GeoRSS point per site where the site has coordinates."""
    ET.register_namespace("", ATOM)
    ET.register_namespace("georss", GEORSS)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", feed_url)
    sub(feed, "title", _title(content, lang, region))
    sub(feed, "updated", (content.last_modified or _EPOCH).isoformat())
    sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=f"{base_url}/{lang}/sites", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", region.council_name(lang))
    sub(author, "uri", base_url)
    for document in content.documents:
        public = syndication.public_document(document, base_url)
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:uuid:{document['id']}")
        sub(entry, "title", _pick(document["name"], lang))
        updated = document["changed_at"] or document["published_at"] or _EPOCH.isoformat()
        sub(entry, "updated", updated)
        if document["published_at"]:
            sub(entry, "published", document["published_at"])
        sub(entry, "link", rel="alternate", href=public["url"][lang], type="text/html")
        summary = _pick(document["description"], lang)[:300]
        if summary:
            sub(entry, "summary", summary)
        sub(
            entry,
            "content",
            syndication.wordpress_content(document, lang, base_url, region.portal_name(lang)),
            type="html",
        )
        for industry in document["industries"]:
            sub(entry, "category", term=industry["code"], label=_pick(industry["name"], lang))
        geometry = document["geometry"]
        if geometry and geometry["type"] == "Point":
            lon, lat = geometry["coordinates"]
            # GeoRSS is "latitude longitude", the opposite of GeoJSON.
            ET.SubElement(entry, f"{{{GEORSS}}}point").text = f"{lat} {lon}"
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def geojson(content: syndication.FeedContent, base_url: str) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection: WGS84, longitude first; sites without a known
    location have a null geometry."""
    features = []
    for document in content.documents:
        public = syndication.public_document(document, base_url)
        facts = document["facts"]
        features.append(
            {
                "type": "Feature",
                "id": document["id"],
                "geometry": document["geometry"],
                "properties": {
                    "name_fi": document["name"]["fi"],
                    "name_en": document["name"]["en"],
                    "url_fi": public["url"]["fi"],
                    "url_en": public["url"]["en"],
                    "municipality_code": document["municipality"]["code"],
                    "kind": facts["kind"],
                    "area_ha": facts["area_ha"],
                    "available_power_mw": facts["available_power_mw"],
                    "industries": [i["code"] for i in document["industries"]],
                    "photo": public["photos"][0]["url"] if public["photos"] else None,
                    "changed_at": document["changed_at"],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _feed(
    request: Request,
    db: ReadingDbSession,
    settings: AppSettings,
    code: str | None,
    fmt: str,
    lang: str,
) -> Response:
    content = syndication.feed_content(db, settings, code)
    region = region_service.current_region(db)
    base = settings.base_url
    path = f"/feeds/{code}/sites.{fmt}" if code else f"/feeds/sites.{fmt}"
    feed_url = f"{base}{path}" + (f"?lang={lang}" if lang != "fi" else "")
    if fmt == "json":
        body = json.dumps(
            json_feed(content, base, feed_url, lang, region), ensure_ascii=False
        ).encode()
        return conditional(request, body, "application/feed+json", content.last_modified)
    if fmt == "atom":
        return conditional(
            request,
            atom_feed(content, base, feed_url, lang, region),
            "application/atom+xml",
            content.last_modified,
        )
    body = json.dumps(geojson(content, base), ensure_ascii=False).encode()
    return conditional(request, body, "application/geo+json", content.last_modified)


@router.get("/feeds/sites.{fmt}")
def region_feed(
    request: Request,
    fmt: Literal["json", "atom", "geojson"],
    db: ReadingDbSession,
    settings: AppSettings,
    lang: Lang = "fi",
) -> Response:
    return _feed(request, db, settings, None, fmt, lang)


@router.get("/feeds/{municipality_code}/sites.{fmt}")
def municipality_feed(
    request: Request,
    municipality_code: str,
    fmt: Literal["json", "atom", "geojson"],
    db: ReadingDbSession,
    settings: AppSettings,
    lang: Lang = "fi",
) -> Response:
    return _feed(request, db, settings, municipality_code, fmt, lang)


@router.get("/embed/theme.css")
def embed_theme(accent: Annotated[str, Query(max_length=7)]) -> Response:
    """The accent colour as CSS custom properties: the embed has no inline style."""
    colour = parse_accent(accent)
    if colour is None:
        return Response(
            "/* accent must be a hex colour, e.g. 0b5c8e */", 400, media_type="text/css"
        )
    css = f":root {{ --accent: {colour}; --accent-ink: {accent_ink(colour)}; }}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/embed/{municipality_code}", response_class=HTMLResponse)
def embed(
    request: Request,
    municipality_code: str,
    db: ReadingDbSession,
    settings: AppSettings,
    lang: Lang = "fi",
    accent: Annotated[str | None, Query(max_length=7)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The municipality's published sites for an <iframe>: filters by industry and
    kind, Finnish or English, the accent colour from a query parameter."""
    industries = reference.industry_choices(db, active_only=True)
    problems = []
    colour = parse_accent(accent) if accent else None
    if accent and colour is None:
        problems.append(translate(lang, "The accent colour must be a hex colour such as 0b5c8e."))
    if industry and industry not in {i.code for i in industries}:
        problems.append(translate(lang, "Unknown industry."))
    if kind and kind not in {k.value for k in SiteKind}:
        problems.append(translate(lang, "Unknown kind of site."))
    if problems:
        return HTMLResponse(
            "<!doctype html><title>400</title><p>" + escape(" ".join(problems)) + "</p>",
            status_code=400,
            headers={"Content-Security-Policy": EMBED_CSP},
        )
    content = syndication.feed_content(
        db, settings, municipality_code, industry_code=industry or None, kind=kind or None
    )
    sites = [syndication.public_document(d, settings.base_url) for d in content.documents]
    response = templates.TemplateResponse(
        request,
        "syndication/embed.html",
        {
            "lang": lang,
            "region": region_service.current_region(db),
            "municipality": content.municipality,
            "sites": sites,
            "industries": industries,
            "kinds": [k.value for k in SiteKind],
            "accent": colour[1:] if colour else None,
            "industry": industry,
            "kind": kind,
            "portal_url": f"{settings.base_url}/{lang}/sites",
        },
        headers={"Content-Security-Policy": EMBED_CSP},
    )
    return response
