"""What the portal's pages weigh for a visitor: bytes transferred over the wire (after
gzip, headers included) by Chromium loading each page with the demo data and an empty
cache, and what a later visit loads again once the versioned static files are cached.
Map tiles (OpenStreetMap's, not ours) are blocked and not counted.

    .venv/bin/python scripts/page_weights.py [--verbose]

Needs Debian's chromium (as the browser tests) and a PostgreSQL server
(`BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else the local one): a scratch database
is made and dropped. Prints a table; the figures are in README.md."""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import uvicorn  # noqa: E402
from playwright.sync_api import Browser, Response, sync_playwright  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.demo import load_demo_data  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402

from benchlib import bench_server_url, free_port, scratch_database  # noqa: E402

PAGES = {
    "home": "/en/",
    "search": "/en/sites",
    "search by distance": "/en/sites?near=centre-kajaani&radius_km=40&sort=distance",
    "site page": "/en/sites/kajaani-kaj-rr-01",
    "compare, 3 sites": ("/en/compare?sites=kajaani-kaj-rr-01,paltamo-pal-mi-01,sotkamo-sot-tv-01"),
}
TILES = "https://tile.openstreetmap.org/**"
# `--verbose`: every response of every page, with its size and encoding.
VERBOSE = "--verbose" in sys.argv


@dataclass(frozen=True)
class Weight:
    requests: int
    document: int  # the HTML page itself, as transferred
    total: int  # everything the page loaded
    # What a visit loads again once the versioned static files (cached for a year,
    # `immutable`) are in the browser's cache.
    again: int


@contextmanager
def live_portal(database_url: str) -> Iterator[str]:
    """The application with the demo data, served in this process on a free port."""
    with tempfile.TemporaryDirectory() as storage:
        settings = Settings(
            environment="development",
            database_url=database_url,
            secret_key="page-weights-" + "x" * 40,
            storage_dir=Path(storage),
        )
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        with Session(engine) as db:
            load_demo_data(db, settings)
        engine.dispose()
        app = create_app(settings)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.engine.dispose()


def weigh(browser: Browser, base: str, path: str) -> Weight:
    """A first visit, with an empty cache."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(base + path, wait_until="networkidle")
    total = document = kept = 0
    for response in responses:
        sizes = response.request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        if response.request.resource_type == "document":
            document += size
        if "immutable" in response.headers.get("cache-control", ""):
            kept += size
        if VERBOSE:
            print(f"  {size:>7} {response.headers.get('content-encoding', '-'):<5} {response.url}")
    context.close()
    return Weight(len(responses), document, total, total - kept)


def main() -> int:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    base_url = bench_server_url()
    if base_url is None:
        print("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
        return 2
    with (
        scratch_database(base_url, "weights") as url,
        live_portal(url) as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        print("page               | requests | HTML (gzip) | first visit | later visit")
        print("------------------ | -------- | ----------- | ----------- | -----------")
        for name, path in PAGES.items():
            found = weigh(browser, base, path)
            print(
                f"{name:<18} | {found.requests:>8} | {found.document / 1024:>8.1f} KB"
                f" | {found.total / 1024:>8.1f} KB | {found.again / 1024:>9.1f} KB"
            )
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
