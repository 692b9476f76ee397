"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), with their
scripts and styles served from /static/docs (scripts/vendor_docs.sh): they work without
a CDN, and their Content-Security-Policy names nothing outside the service."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.web.assets import static_url

# As the OpenAPI document: region-neutral (see app/main.py).
TITLE: Final = "Investment promotion"
OPENAPI_URL: Final = "/openapi.json"
# The styles Swagger UI and ReDoc set at run time (style attributes, styled-components)
# cannot be listed by hash; ReDoc's search runs in a worker made from a blob.
_COMMON_CSP: Final = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)

router = APIRouter(include_in_schema=False)


def _inline_script_hashes(html: str) -> str:
    """CSP sources for the page's inline scripts (Swagger UI's start-up call)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    )


def _swagger_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} – API",
        swagger_js_url=static_url("docs/swagger-ui-bundle.js"),
        swagger_css_url=static_url("docs/swagger-ui.css"),
        swagger_favicon_url=static_url("favicon.svg"),
    )


def _redoc_page() -> HTMLResponse:
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} – API",
        redoc_js_url=static_url("docs/redoc.standalone.js"),
        redoc_favicon_url=static_url("favicon.svg"),
        with_google_fonts=False,
    )


SWAGGER_CSP: Final = (
    f"{_COMMON_CSP}; script-src 'self' "
    f"{_inline_script_hashes(bytes(_swagger_page().body).decode())}"
)
REDOC_CSP: Final = f"{_COMMON_CSP}; script-src 'self'; worker-src 'self' blob:"


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    page = _swagger_page()
    page.headers["content-security-policy"] = SWAGGER_CSP
    return page


@router.get("/redoc")
def redoc() -> HTMLResponse:
    page = _redoc_page()
    page.headers["content-security-policy"] = REDOC_CSP
    return page
