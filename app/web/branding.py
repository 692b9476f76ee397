"""The region's branding on every page: which region a request renders for, and its
colours as a small stylesheet of CSS custom properties.

Both template environments (staff and portal) get the region as the `region` variable
from `request_region`, so a template never reads the database itself. The colours go
through a stylesheet rather than an inline `<style>` because the pages' CSP allows
styles from the site only; its URL carries the colours, so it is cached for good.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.domain.region import RegionDefinition
from app.domain.syndication import accent_ink
from app.services import region as region_service
from app.web.assets import UNVERSIONED_CACHE, VERSIONED_CACHE

BRANDING_CSS_PATH = "/branding.css"

router = APIRouter(include_in_schema=False)


def request_region(request: Request) -> RegionDefinition:
    """The region a request renders for, read once per request: with the route's session
    where it has one (`get_db` keeps it on the request), else with a session of its own
    (an error page for a request that failed before routing)."""
    cached: RegionDefinition | None = getattr(request.state, "region", None)
    if cached is None:
        route_db: Session | None = getattr(request.state, "db", None)
        if route_db is not None:
            cached = region_service.current_region(route_db)
        else:
            with request.app.state.session_factory() as db:
                cached = region_service.current_region(db)
        request.state.region = cached
    return cached


def _darker(colour: str, share_of_black: float = 0.25) -> str:
    """The colour mixed with black: the hover shade of buttons and links (computed here
    rather than with CSS color-mix(), which contrast checkers cannot evaluate)."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - share_of_black)):02x}" for c in channels)


def branding_css(region: RegionDefinition) -> str:
    """The region's colours as the custom properties both stylesheets build on."""
    primary = region.branding.primary_colour.lower()
    return (
        ":root {\n"
        f"  --brand-primary: {primary};\n"
        f"  --brand-primary-dark: {_darker(primary)};\n"
        f"  --brand-on-primary: {accent_ink(primary)};\n"
        f"  --brand-accent: {region.branding.accent_colour.lower()};\n"
        "}\n"
    )


def _version(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:12]


def branding_css_url(region: RegionDefinition) -> str:
    """The stylesheet's URL, versioned by its content like the other static assets."""
    return f"{BRANDING_CSS_PATH}?v={_version(branding_css(region))}"


@router.get(BRANDING_CSS_PATH)
def branding_stylesheet(request: Request) -> Response:
    css = branding_css(request_region(request))
    # Only the current version's URL may be kept for good; any other is revalidated.
    current = request.query_params.get("v") == _version(css)
    return Response(
        css,
        media_type="text/css",
        headers={"cache-control": VERSIONED_CACHE if current else UNVERSIONED_CACHE},
    )
