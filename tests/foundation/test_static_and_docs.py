"""What an operator meets on day one: /docs and /redoc without a CDN, static files
compressed and cached by version, a favicon, HEAD wherever GET answers."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.web.assets import STATIC_DIR, asset_version

LOCAL_URL = re.compile(r'(?:src|href)="([^"]+)"')


def _local_assets(html: str) -> list[str]:
    return LOCAL_URL.findall(html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_use_only_local_assets_and_they_are_served(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = _local_assets(response.text)
    assert urls, "the page loads no assets"
    assert "cdn" not in response.text and "googleapis" not in response.text
    for url in urls:
        assert url.startswith("/static/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    policy = response.headers["content-security-policy"]
    assert "http" not in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "unsafe" not in script_src


def test_the_swagger_start_up_script_is_allowed_by_its_hash(client: TestClient) -> None:
    response = client.get("/docs")
    (inline,) = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["content-security-policy"]
    assert "url: '/openapi.json'" in inline or '"/openapi.json"' in inline


def test_vendored_docs_assets_match_their_recorded_checksums() -> None:
    recorded = (STATIC_DIR / "docs" / "VERSION").read_text().splitlines()
    assert recorded[0].startswith("swagger-ui-dist@") and recorded[1].startswith("redoc@")
    sums = dict(reversed(line.split("  ")) for line in recorded[2:])
    assert set(sums) == {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"}
    for name, digest in sums.items():
        assert hashlib.sha256((STATIC_DIR / "docs" / name).read_bytes()).hexdigest() == digest


def test_pages_link_static_files_by_version(client: TestClient) -> None:
    page = client.get("/login").text
    statics = [url for url in _local_assets(page) if url.startswith("/static/")]
    assert {"/static/app.css", "/static/shell.js", "/static/favicon.svg"} <= {
        url.split("?")[0] for url in statics
    }
    for url in statics:
        path, _, query = url.split("#")[0].partition("?")
        assert query == f"v={asset_version(path.removeprefix('/static/'))}", url


def test_versioned_static_files_are_cached_for_a_year_and_compressed(
    client: TestClient,
) -> None:
    url = f"/static/app.css?v={asset_version('app.css')}"
    response = client.get(url, headers={"accept-encoding": "gzip"})
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) < (STATIC_DIR / "app.css").stat().st_size
    # httpx has already decompressed it: the same bytes as the file.
    assert response.content == (STATIC_DIR / "app.css").read_bytes()
    raw = client.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.content == (STATIC_DIR / "app.css").read_bytes()


def test_unversioned_static_files_are_cached_briefly(client: TestClient) -> None:
    response = client.get("/static/embed-resize.js")
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "etag" in response.headers
    again = client.get(
        "/static/embed-resize.js", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_favicon(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in client.get("/login").text
    assert 'rel="icon"' in client.get("/fi/").text


def _get_paths(app: FastAPI) -> list[str]:
    paths = {
        route.path
        for route in iter_route_contexts(app.routes)
        if route.methods and "GET" in route.methods
    }
    filler = str(uuid.uuid4())
    return sorted(re.sub(r"{[^}]+}", filler, path) for path in paths)


def test_head_is_answered_wherever_get_is(app: FastAPI, client: TestClient) -> None:
    paths = _get_paths(app)
    assert "/healthz" in paths and "/api/v1/leads" in paths
    for path in paths:
        response = client.head(path, follow_redirects=False)
        assert response.status_code != 405, path
        assert response.content == b"", path


def test_head_answers_what_get_would_without_the_body(client: TestClient) -> None:
    for path in ("/login", f"/static/app.css?v={asset_version('app.css')}", "/favicon.ico"):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        for name in ("content-type", "content-length", "cache-control"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
    # Where GET is not allowed, neither is HEAD.
    assert client.head("/logout").status_code == 405
