"""Syndication in a real browser: the coordinator's overview with the copy-paste embed
snippet, and the embeddable listing inside a municipality's page."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_contact_sees_own_targets_and_the_embed_snippet(
    page, live_server: str, artifacts_dir: Path
) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("kajaani@invest-kainuu.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")
    page.goto(f"{live_server}/syndication")
    snippet = page.locator("#snippet-205").input_value()
    assert f"{live_server}/embed/205" in snippet or "/embed/205" in snippet
    assert "<iframe" in snippet
    assert page.locator("#snippet-765").count() == 0
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "syndication-overview.png"), full_page=True)


@pytest.fixture
def municipality_site(tmp_path: Path, live_server: str) -> Iterator[str]:
    """A municipality's own web page on another origin, framing our embed."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Kajaani – Invest In</title></head>"
        f"<body><h1>Invest in Kajaani</h1><iframe title='Sites' src='{live_server}"
        "/embed/205?lang=en&accent=%23aa3300' width='800' height='600'></iframe></body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def test_embed_works_inside_an_iframe_of_another_page(
    page, live_server: str, artifacts_dir: Path, municipality_site: str
) -> None:
    page.goto(municipality_site)
    frame = page.frame_locator("iframe")
    frame.locator("body").wait_for()
    listing = frame.locator("body").inner_text()
    assert "Renforsin Ranta" in listing
    assert "Sotkamo" not in listing
    page.screenshot(path=str(artifacts_dir / "embed-in-iframe.png"), full_page=True)
    page.goto(f"{live_server}/embed/205?lang=fi")
    assert _serious(page) == []
