"""Open site data: the published sites as an OGC API – Features service (Part 1: Core,
GeoJSON and HTML), public and without login, under /ogc.

Every resource answers GeoJSON/JSON or an HTML page (`f=json|html`, else the Accept
header), in Finnish or English (`lang`, else Accept-Language), with ETag and
Last-Modified from the portal's content version (304 on a match) and open CORS for GET.
Bad parameters answer 400 problem details naming each one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from app.api.deps import AppSettings, ReadingDbSession
from app.api.errors import PROBLEM_JSON, problem
from app.api.openapi import PROBLEM_SCHEMA
from app.domain.errors import FieldError, ValidationFailed
from app.domain.ogc import (
    COLLECTION_ID,
    CONFORMANCE,
    CRS84,
    GREGORIAN,
    ITEMS_PARAMETERS,
    MAX_LIMIT,
    PAGE_PARAMETERS,
    Format,
    ItemsQuery,
    check_parameters,
    choose_format,
    parse_items_query,
)
from app.i18n import (
    LABELS,
    LANGUAGES,
    N_,
    UiLanguage,
    field_error_message,
    format_day,
    format_eur,
    format_number,
    is_ui_language,
    label,
    negotiate_language,
    register_field_errors,
    translate,
)
from app.services import ogc as ogc_service
from app.services.sites import helsinki_today
from app.services.syndication import FACT_FIELDS, portal_url
from app.settings import Settings
from app.web.branding import request_region
from app.web.feeds import is_current
from app.web.portal import BUILD_ID
from app.web.portal import templates as portal_templates
from app.web.sites import FORM_FIELDS

router = APIRouter(prefix="/ogc", tags=["Open site data (OGC API – Features)"])

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Type",
}

register_field_errors(
    {
        "unknown_parameter": N_("This query parameter is not supported."),
        "invalid_bbox": N_("Give four or six comma-separated numbers."),
        "bbox_longitude": N_("Longitudes lie between -180 and 180."),
        "bbox_latitude": N_("Latitudes lie between -90 and 90."),
        "bbox_order": N_("The southern edge lies north of the northern one."),
        "invalid_limit": N_("Give a whole number of at least 1."),
        "invalid_offset": N_("Give a whole number of at least 0."),
        "invalid_datetime": N_(
            "Give an RFC 3339 date-time (2026-05-01T12:00:00Z) or date, or an interval of "
            "them separated by '/', open ends as '..'."
        ),
        "datetime_order": N_("The interval ends before it starts."),
        "invalid_format": N_("Give f=json or f=html."),
        "invalid_lang": N_("Give lang=fi or lang=en."),
    }
)

# The facts whose values are codes: each also travels as its name in the reader's
# language (`kind` and `kind_name`), with the label kind of the staff form.
_FIELDS = {field.name: field for field in FORM_FIELDS}
CODED_FACTS = {
    name: kind
    for name in FACT_FIELDS
    if name in _FIELDS and (kind := _FIELDS[name].labels) is not None and kind in LABELS
}

F = Annotated[str | None, Query(description="Format: `json` (GeoJSON/JSON) or `html`.")]
LANG = Annotated[str | None, Query(description="Language of names and pages: `fi` or `en`.")]
BBOX = Annotated[
    str | None,
    Query(
        description="WGS84 longitude/latitude box: `minLon,minLat,maxLon,maxLat` (or six "
        "numbers with heights).",
        examples=["27.2,63.9,28.5,64.5"],
    ),
]
LIMIT = Annotated[
    str | None,
    Query(description=f"Features per page, 1–{MAX_LIMIT} (larger values give {MAX_LIMIT})."),
]
OFFSET = Annotated[str | None, Query(description="Features to skip (paging).")]
DATETIME = Annotated[
    str | None,
    Query(
        alias="datetime",
        description="The site's last public change: an RFC 3339 instant or date, or an "
        "interval `start/end` with open ends as `..`.",
        examples=["2026-01-01T00:00:00Z/.."],
    ),
]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the client's copy (ETag or date) is current."},
    400: {
        "description": "A query parameter is unknown or not valid; each is named in `errors`.",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}


@dataclass(frozen=True)
class Ask:
    """One request as the service reads it: format, language and where it lives."""

    request: Request
    fmt: Format
    lang: str
    # The service's public address (https://<public domain>/ogc), and what its links
    # start with: that address in JSON, which other programs read, and the path alone
    # on HTML pages, which stay on the host the reader came to, like the portal's.
    address: str
    base: str
    query: ItemsQuery  # the items' filters and page (defaults elsewhere)

    @property
    def region_name(self) -> str:
        return request_region(self.request).display_name(self.lang)

    @property
    def portal_name(self) -> str:
        return request_region(self.request).portal_name(self.lang)

    def url(self, path: str, fmt: Format, **params: Any) -> str:
        query = {k: v for k, v in params.items() if v is not None}
        query["f"] = fmt
        if "lang" in self.request.query_params:
            query["lang"] = self.lang
        return f"{self.base}{path}?{urlencode(query)}"

    def link(self, rel: str, path: str, fmt: Format, title: str, **params: Any) -> dict[str, str]:
        media = {"json": GEOJSON if "/items" in path else JSON, "html": HTML}[fmt]
        return {"href": self.url(path, fmt, **params), "rel": rel, "type": media, "title": title}

    def self_links(self, path: str, title: str, **params: Any) -> list[dict[str, str]]:
        """`self` in the format answered and `alternate` in the other one."""
        other: Format = "html" if self.fmt == "json" else "json"
        return [
            self.link("self", path, self.fmt, title, **params),
            self.link(
                "alternate", path, other, translate(self.lang, _FORMAT_TITLES[other]), **params
            ),
        ]


_FORMAT_TITLES = {"json": N_("This document as JSON"), "html": N_("This document as HTML")}


def _language(request: Request) -> UiLanguage:
    given = request.query_params.get("lang")
    if given is None:
        return negotiate_language(request.headers.get("accept-language"))
    if not is_ui_language(given):
        raise ValidationFailed.single("lang", "Give lang=fi or lang=en.", "invalid_lang")
    return given


def _headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**CORS, "Vary": "Accept, Accept-Language", **(extra or {})}


def _refusal(request: Request, refused: ValidationFailed, fmt: Format, lang: str) -> Response:
    if fmt == "html":
        page = portal_templates.TemplateResponse(
            request,
            "ogc/error.html",
            {
                **_page_context(request, lang),
                "messages": [(e.field, field_error_message(lang, e)) for e in refused.errors],
            },
            status_code=400,
            headers=_headers({"Cache-Control": "no-store"}),
        )
        return page
    return problem(
        400,
        "Invalid query parameter",
        refused.detail,
        errors=refused.errors,
        instance=request.url.path,
        headers=_headers({"Cache-Control": "no-store"}),
    )


def _answer(
    request: Request,
    db: ReadingDbSession,
    settings: Settings,
    build: Callable[[Ask], Response],
    *,
    filters: Mapping[str, str | None] | None = None,
) -> Response:
    """Reads format, language and (for items) `filters`, refusing every bad parameter at
    once with 400; answers 304 when the client's copy is current, else what `build`
    makes, with the cache validators."""
    errors: list[FieldError] = []
    fmt: Format = "json"
    lang = negotiate_language(request.headers.get("accept-language"))
    query = ItemsQuery()
    try:
        fmt = choose_format(request.query_params.get("f"), request.headers.get("accept"))
    except ValidationFailed as refused:
        errors += refused.errors
    try:
        lang = _language(request)
    except ValidationFailed as refused:
        errors += refused.errors
    allowed = PAGE_PARAMETERS if filters is None else ITEMS_PARAMETERS
    try:
        check_parameters(request.query_params.keys(), allowed)
    except ValidationFailed as refused:
        errors += refused.errors
    if filters is not None:
        try:
            query = parse_items_query({k: v for k, v in filters.items() if v is not None})
        except ValidationFailed as refused:
            errors += refused.errors
    if errors:
        detail = " ".join(f"{e.field}: {e.reason}" for e in errors)
        return _refusal(request, ValidationFailed(errors=errors, detail=detail), fmt, lang)
    known = ogc_service.freshness(db, settings)
    parts = (
        BUILD_ID,
        known.version,
        helsinki_today().isoformat(),
        request.url.path,
        str(sorted(request.query_params.multi_items())),
        fmt,
        lang,
    )
    key = "|".join(parts)
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    validators = {"ETag": etag, "Cache-Control": f"public, max-age={settings.portal_cache_seconds}"}
    if known.last_modified is not None:
        validators["Last-Modified"] = format_datetime(
            known.last_modified.astimezone(UTC), usegmt=True
        )
    if is_current(request, etag, known.last_modified):
        return Response(status_code=304, headers=_headers(validators))
    address = settings.base_url + "/ogc"
    response = build(Ask(request, fmt, lang, address, address if fmt == "json" else "/ogc", query))
    response.headers.update(_headers(validators))
    return response


def _json(body: Mapping[str, Any], media_type: str = JSON) -> Response:
    return JSONResponse(body, media_type=media_type)


def _page_context(request: Request, lang: str) -> dict[str, Any]:
    """What the portal's layout needs; the language switch keeps the query."""
    settings: Settings = request.app.state.settings

    def with_lang(code: str) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        query.append(("lang", code))
        return f"{request.url.path}?{urlencode(query)}"

    return {
        "lang": lang,
        "region": request_region(request),
        "rest": request.url.path,
        "query": "",
        "switch_links": {code: with_lang(code) for code in LANGUAGES if code != lang},
        "canonical": settings.base_url + with_lang(lang),
        "alternates": {code: settings.base_url + with_lang(code) for code in LANGUAGES},
    }


def _html(ask: Ask, template: str, context: dict[str, Any]) -> Response:
    return portal_templates.TemplateResponse(
        ask.request, template, {**_page_context(ask.request, ask.lang), "ask": ask, **context}
    )


# --- documents ------------------------------------------------------------------------------


def _pick(value: Mapping[str, Any], lang: str) -> str | None:
    return value.get(lang) or value.get("fi")


def _collection(ask: Ask, extent: ogc_service.Extent) -> dict[str, Any]:
    path = f"/collections/{COLLECTION_ID}"
    items = f"{path}/items"
    spatial: dict[str, Any] = {"bbox": [list(extent.bbox)] if extent.bbox else [], "crs": CRS84}
    first, last = (
        moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None
        for moment in (extent.first_change, extent.last_change)
    )
    return {
        "id": COLLECTION_ID,
        "title": translate(ask.lang, "%(region)s: sites for investment", region=ask.region_name),
        "description": translate(
            ask.lang,
            "Industrial plots, premises, data-centre, energy and tourism sites that the "
            "region's municipalities offer to investors, as published on the %(portal)s "
            "portal. Time is each site's last public change.",
            portal=ask.portal_name,
        ),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {
            "spatial": spatial,
            "temporal": {"interval": [[first, last]], "trs": GREGORIAN},
        },
        "links": [
            ask.link("items", items, "json", translate(ask.lang, "The sites as GeoJSON")),
            ask.link("items", items, "html", translate(ask.lang, "The sites as HTML")),
            {
                "href": f"{ask.request.app.state.settings.base_url}/{ask.lang}/sites",
                "rel": "related",
                "type": HTML,
                "title": translate(
                    ask.lang, "Site search on the %(portal)s portal", portal=ask.portal_name
                ),
            },
        ],
    }


def _feature(ask: Ask, found: ogc_service.SiteFeature) -> dict[str, Any]:
    """A site as a GeoJSON Feature: a point (longitude, latitude), English keys, codes
    beside their names in the reader's language."""
    document, lang = found.document, ask.lang
    facts = document["facts"]
    base_url = ask.request.app.state.settings.base_url
    properties: dict[str, Any] = {
        "name": _pick(document["name"], lang),
        "name_fi": document["name"]["fi"],
        "name_en": document["name"]["en"],
        "description": _pick(document["description"], lang),
        "municipality_code": document["municipality"]["code"],
        "municipality_name": document["municipality"]["name"][lang],
        "industry_codes": [i["code"] for i in document["industries"]],
        "industry_names": [i["name"][lang] for i in document["industries"]],
    }
    for name in FACT_FIELDS:
        properties[name] = facts[name]
        if name in CODED_FACTS:
            code = facts[name]
            properties[f"{name}_name"] = label(lang, CODED_FACTS[name], code) if code else None
    properties.update(
        published_at=document["published_at"],
        changed_at=document["changed_at"],
        portal_url=portal_url(base_url, lang, document["slug"]),
        photo_url=(base_url + document["photos"][0]["path"]) if document["photos"] else None,
        site_id=document["id"],
        location=list(found.point) if found.point else None,
    )
    path = f"/collections/{COLLECTION_ID}/items/{document['slug']}"
    return {
        "type": "Feature",
        "id": document["slug"],
        # The site's boundary where its package gave one (as the feeds send it), else its
        # point; the point stays a property, for a marker.
        "geometry": document["geometry"]
        or ({"type": "Point", "coordinates": list(found.point)} if found.point else None),
        "properties": properties,
        "links": [
            ask.link("self", path, "json", translate(ask.lang, "This site as GeoJSON")),
            ask.link("alternate", path, "html", translate(ask.lang, "This site as HTML")),
            ask.link(
                "collection",
                f"/collections/{COLLECTION_ID}",
                "json",
                translate(ask.lang, "The collection"),
            ),
            *(
                {
                    "href": portal_url(base_url, code, document["slug"]),
                    "rel": "related",
                    "type": HTML,
                    "hreflang": code,
                    "title": translate(
                        ask.lang, "The site on the %(portal)s portal", portal=ask.portal_name
                    ),
                }
                for code in LANGUAGES
            ),
        ],
    }


def _timestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- routes ---------------------------------------------------------------------------------


@router.get("", summary="Landing page", responses=_RESPONSES)
@router.get("/", include_in_schema=False)
def landing(
    request: Request, db: ReadingDbSession, settings: AppSettings, f: F = None, lang: LANG = None
) -> Response:
    def build(ask: Ask) -> Response:
        links = [
            *ask.self_links(
                "", translate(ask.lang, "Open site data of %(portal)s", portal=ask.portal_name)
            ),
            {
                "href": f"{ask.base}/api",
                "rel": "service-desc",
                "type": OPENAPI,
                "title": translate(ask.lang, "The API definition (OpenAPI)"),
            },
            ask.link(
                "conformance", "/conformance", "json", translate(ask.lang, "Conformance classes")
            ),
            ask.link("data", "/collections", "json", translate(ask.lang, "Collections")),
        ]
        body = {
            "title": translate(ask.lang, "%(portal)s: open site data", portal=ask.portal_name),
            "description": translate(
                ask.lang,
                "The sites for investment that the region's municipalities offer, as an OGC "
                "API – Features service: free to use, no login.",
            ),
            "links": links,
        }
        if ask.fmt == "html":
            return _html(ask, "ogc/landing.html", {"body": body})
        return _json(body)

    return _answer(request, db, settings, build)


@router.get("/conformance", summary="Conformance classes", responses=_RESPONSES)
def conformance(
    request: Request, db: ReadingDbSession, settings: AppSettings, f: F = None, lang: LANG = None
) -> Response:
    def build(ask: Ask) -> Response:
        body = {
            "conformsTo": list(CONFORMANCE),
            "links": ask.self_links("/conformance", translate(ask.lang, "Conformance classes")),
        }
        if ask.fmt == "html":
            return _html(ask, "ogc/conformance.html", {"body": body})
        return _json(body)

    return _answer(request, db, settings, build)


@router.get("/collections", summary="Collections", responses=_RESPONSES)
def collections(
    request: Request, db: ReadingDbSession, settings: AppSettings, f: F = None, lang: LANG = None
) -> Response:
    def build(ask: Ask) -> Response:
        collection = _collection(ask, ogc_service.extent(db, settings))
        body = {
            "links": ask.self_links("/collections", translate(ask.lang, "Collections")),
            "collections": [collection],
        }
        if ask.fmt == "html":
            return _html(ask, "ogc/collections.html", {"body": body})
        return _json(body)

    return _answer(request, db, settings, build)


@router.get(f"/collections/{COLLECTION_ID}", summary="The sites collection", responses=_RESPONSES)
def collection(
    request: Request, db: ReadingDbSession, settings: AppSettings, f: F = None, lang: LANG = None
) -> Response:
    def build(ask: Ask) -> Response:
        extent = ogc_service.extent(db, settings)
        body = _collection(ask, extent)
        body["links"] = [
            *ask.self_links(f"/collections/{COLLECTION_ID}", body["title"]),
            *body["links"],
        ]
        if ask.fmt == "html":
            return _html(ask, "ogc/collection.html", {"collection": body, "extent": extent})
        return _json(body)

    return _answer(request, db, settings, build)


@router.get(
    f"/collections/{COLLECTION_ID}/items",
    summary="The published sites",
    responses={200: {"content": {GEOJSON: {}, HTML: {}}}, **_RESPONSES},
)
def items(
    request: Request,
    db: ReadingDbSession,
    settings: AppSettings,
    f: F = None,
    lang: LANG = None,
    bbox: BBOX = None,
    limit: LIMIT = None,
    offset: OFFSET = None,
    datetime_: DATETIME = None,
) -> Response:
    given = {"bbox": bbox, "limit": limit, "offset": offset, "datetime": datetime_}

    def build(ask: Ask) -> Response:
        query = ask.query
        found, matched = ogc_service.items(db, settings, query)
        path = f"/collections/{COLLECTION_ID}/items"
        kept = {"bbox": bbox, "datetime": datetime_, "limit": query.limit}
        links = ask.self_links(path, translate(ask.lang, "This page"), **kept, offset=query.offset)
        if query.offset + len(found) < matched:
            links.append(
                ask.link(
                    "next",
                    path,
                    ask.fmt,
                    translate(ask.lang, "Next page"),
                    **kept,
                    offset=query.offset + query.limit,
                )
            )
        if query.offset > 0:
            links.append(
                ask.link(
                    "prev",
                    path,
                    ask.fmt,
                    translate(ask.lang, "Previous page"),
                    **kept,
                    offset=max(0, query.offset - query.limit),
                )
            )
        links.append(
            ask.link(
                "collection",
                f"/collections/{COLLECTION_ID}",
                "json",
                translate(ask.lang, "The collection"),
            )
        )
        body = {
            "type": "FeatureCollection",
            "features": [_feature(ask, site) for site in found],
            "links": links,
            "numberMatched": matched,
            "numberReturned": len(found),
            "timeStamp": _timestamp(),
        }
        if ask.fmt == "html":
            changed = {
                site.document["slug"]: datetime.fromisoformat(site.document["changed_at"])
                for site in found
                if site.document["changed_at"]
            }
            return _html(
                ask,
                "ogc/items.html",
                {"body": body, "query": query, "first": query.offset + 1, "changed": changed},
            )
        return _json(body, GEOJSON)

    return _answer(request, db, settings, build, filters=given)


@router.get(
    f"/collections/{COLLECTION_ID}/items/{{feature_id}}",
    summary="One published site",
    responses={
        200: {"content": {GEOJSON: {}, HTML: {}}},
        404: {"description": "No such site is published."},
        **_RESPONSES,
    },
)
def item(
    request: Request,
    feature_id: str,
    db: ReadingDbSession,
    settings: AppSettings,
    f: F = None,
    lang: LANG = None,
) -> Response:
    def build(ask: Ask) -> Response:
        feature = _feature(ask, ogc_service.item(db, settings, feature_id))
        if ask.fmt == "html":
            return _html(
                ask, "ogc/item.html", {"feature": feature, "facts": _fact_rows(feature, ask.lang)}
            )
        return _json(feature, GEOJSON)

    return _answer(request, db, settings, build)


@router.get("/api", summary="This API's definition (OpenAPI)", include_in_schema=False)
def api_definition(request: Request, settings: AppSettings) -> Response:
    region = request_region(request)
    document = get_openapi(
        title=f"{region.portal_name('en')}: open site data (OGC API – Features)",
        version="1.0.0",
        description=(
            f"The sites for investment that the municipalities of {region.display_name('en')} "
            "publish."
        ),
        routes=router.routes,
        servers=[{"url": settings.base_url}],
    )
    return JSONResponse(document, media_type=OPENAPI, headers=_headers())


def _fact_rows(feature: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) of the facts a site has, as its HTML page shows them: names for
    codes, numbers, dates and euros as the reader writes them."""
    properties = feature["properties"]
    rows = []
    for name in FACT_FIELDS:
        value = properties.get(f"{name}_name") or properties[name]
        field = _FIELDS.get(name)
        if value is None or value == "" or field is None:
            continue
        if field.type == "bool":
            text = translate(lang, "Yes") if value else translate(lang, "No")
        elif field.type == "integer" and name == "price_eur":
            text = format_eur(value, lang)
        elif field.type in ("number", "integer"):
            text = format_number(value, lang)
        elif field.type == "date":
            text = format_day(date.fromisoformat(str(value)[:10]), lang)
        else:
            text = str(value)
        rows.append((translate(lang, field.label), text))
    return rows
