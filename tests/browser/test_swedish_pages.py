"""Swedish pages in headless Chromium at desktop (1280 px) and phone (390 px) widths:
the portal at /sv/ and a staff page for a reader who chose Swedish are in Swedish
(html lang="sv"), fit the screen, and axe-core finds no serious or critical violations.
Map tiles are blocked, as when the tile server cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD
from app.web.session import LANG_COOKIE

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/**"
WIDTHS = (1280, 390)


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def _context(browser, live_server: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-FI")
    # The language cookie, not the account: other tests expect the demo users' own language.
    context.add_cookies([{"name": LANG_COOKIE, "value": "sv", "url": live_server}])
    return context


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "path", ["/sv/", "/sv/sites", "/sv/sites/kajaani-kaj-rr-01", "/sv/inquiry"]
)
def test_swedish_portal_pages_are_swedish_and_accessible(
    browser, live_server: str, artifacts_dir: Path, path: str, width: int
) -> None:
    context = _context(browser, live_server, width)
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}{path}")
    assert page.evaluate("document.documentElement.lang") == "sv"
    assert page.locator('link[rel="alternate"][hreflang="sv"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious(page) == []
    name = path.strip("/").replace("/", "-")
    page.screenshot(path=str(artifacts_dir / f"portal-{name}-{width}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_home_in_swedish_is_accessible(
    browser, live_server: str, artifacts_dir: Path, width: int
) -> None:
    context = _context(browser, live_server, width)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    assert page.evaluate("document.documentElement.lang") == "sv"
    page.get_by_label("E-post").fill("koordinaattori@invest-kainuu.example")
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_server}/staff")
    # Logging in sets the cookie to the account's language (Finnish); read on in Swedish.
    context.add_cookies([{"name": LANG_COOKIE, "value": "sv", "url": live_server}])
    page.reload()
    assert page.evaluate("document.documentElement.lang") == "sv"
    assert page.get_by_role("heading", level=1).inner_text() == "Välkommen, Kaisa Koordinaattori"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / f"sv-staff-home-{width}.png"), full_page=True)
    context.close()
