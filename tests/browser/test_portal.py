"""The public portal in headless Chromium: search, filter, open a site, send an
inquiry; axe-core finds no serious or critical accessibility violations on the main
pages. Map tiles are blocked, as when the tile server cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/**"


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_search_filter_open_site_and_send_inquiry(
    page, live_server: str, artifacts_dir: Path
) -> None:
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}/en/sites")
    assert page.get_by_role("heading", level=1).inner_text() == "Sites"
    assert page.locator("#map").is_visible()  # Leaflet ran, even without tiles
    page.screenshot(path=str(artifacts_dir / "portal-search.png"), full_page=True)

    page.get_by_label("Municipality").select_option(label="Kajaani")
    page.get_by_label("Power available at least (MW)").fill("20")
    page.get_by_role("button", name="Show sites").click()
    page.wait_for_url("**/en/sites?municipality=205&min_power_mw=20")
    assert page.get_by_role("status").inner_text() == "Sites found: 1"
    page.screenshot(path=str(artifacts_dir / "portal-search-filtered.png"), full_page=True)

    page.get_by_role("link", name="Renforsin Ranta data-centre plot").click()
    page.wait_for_url("**/en/sites/kajaani-kaj-rr-01")
    assert page.get_by_role("heading", level=1).inner_text() == "Renforsin Ranta data-centre plot"
    assert page.get_by_role("row", name="Available power 60 MW").is_visible()
    page.screenshot(path=str(artifacts_dir / "portal-site.png"), full_page=True)

    page.get_by_role("link", name="Ask about this site").first.click()
    page.wait_for_url("**/en/inquiry?site=kajaani-kaj-rr-01")
    page.get_by_label("Your name").fill("Erik Example")
    page.get_by_label("Organisation").fill("Example Compute Oy")
    page.get_by_label("E-mail").fill("erik@example-compute.example")
    page.get_by_label("Country").select_option("SE")
    page.get_by_label("Your plans and questions").fill("A 30 MW data centre from 2028.")
    page.get_by_label("Timeline").select_option("1_to_2_years")
    page.get_by_role("checkbox").check()
    page.screenshot(path=str(artifacts_dir / "portal-inquiry.png"), full_page=True)
    page.wait_for_timeout(1100)  # the form's minimum fill time in the test server
    page.get_by_role("button", name="Send the inquiry").click()
    page.wait_for_url("**/en/inquiry/thanks")
    assert "your inquiry has been sent" in page.get_by_role("heading", level=1).inner_text()
    page.screenshot(path=str(artifacts_dir / "portal-thanks.png"), full_page=True)


def test_portal_works_without_javascript(browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/fi/sites?kind=data_centre")
    assert page.get_by_role("status").inner_text() == "Hakutuloksia: 1"
    assert not page.locator("#map").is_visible()
    page.get_by_text("Hakutulosten koordinaatit").click()
    assert "64.2180 N, 27.6890 E" in page.locator(".coordinates").inner_text()
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/en/",
        "/fi/",
        "/en/sites",
        "/en/sites/kajaani-kaj-rr-01",
        "/fi/municipalities/765",
        "/en/industries/technology",
        "/en/inquiry?site=paltamo-pal-mi-01",
        "/fi/privacy",
    ],
)
def test_main_portal_pages_have_no_serious_accessibility_violations(
    page, live_server: str, path: str
) -> None:
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}{path}")
    assert _serious(page) == []


def test_mobile_layout(browser, live_server: str, artifacts_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fi-FI")
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}/fi/")
    page.screenshot(path=str(artifacts_dir / "portal-home-mobile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/fi/sites/kajaani-kaj-rr-01")
    page.screenshot(path=str(artifacts_dir / "portal-site-mobile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
