"""Static files: served gzip-compressed, and cached for a year when the URL carries the
file's version, so a deployment changes the URL rather than waiting for caches.

Templates link with `static_url("app.css")` (`/static/app.css?v=<content hash>`); a URL
without `v` (the embed snippet other sites paste, icons set by scripts) is cached
briefly and then revalidated with its ETag.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR: Final = Path(__file__).parent / "static"
VERSIONED_CACHE: Final = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE: Final = "public, max-age=300"
# Cheaper than the default 9 for the vendored megabyte bundles, nearly as small.
GZIP_LEVEL: Final = 6


@lru_cache
def asset_version(path: str) -> str:
    """The first 12 hex digits of the file's SHA-256: a new one whenever it changes."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    return f"/static/{path}?v={asset_version(path)}"


def _versioned(scope: Scope) -> bool:
    query = scope.get("query_string", b"").decode("latin-1")
    return any(name == "v" and value for name, value in parse_qsl(query))


class CacheControl:
    """Sets the caching of every successful answer by whether its URL is versioned."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = VERSIONED_CACHE if _versioned(scope) else UNVERSIONED_CACHE

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 206, 304):
                MutableHeaders(scope=message)["cache-control"] = policy
            await send(message)

        await self.app(scope, receive, send_with_policy)


def static_files(directory: Path = STATIC_DIR) -> ASGIApp:
    return GZipMiddleware(CacheControl(StaticFiles(directory=directory)), compresslevel=GZIP_LEVEL)


router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Where browsers and feed readers look for an icon without asking a page."""
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"cache-control": "public, max-age=86400"},
    )
