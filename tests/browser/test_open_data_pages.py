"""The open data's HTML pages (OGC API – Features) in headless Chromium: a visitor goes
from the portal's footer to the list of sites and one site, in Finnish and English, and
axe-core finds no serious or critical accessibility violations on the way."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser


def _serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(
    ("lang", "footer", "browse"),
    [("fi", "Avoin data", "Selaa kohteita"), ("en", "Open data", "Browse the sites")],
)
def test_from_the_footer_to_a_site_through_accessible_pages(
    page,  # type: ignore[no-untyped-def]
    live_server: str,
    artifacts_dir: Path,
    lang: str,
    footer: str,
    browse: str,
) -> None:
    page.goto(f"{live_server}/{lang}/privacy")
    page.get_by_role("contentinfo").get_by_role("link", name=footer).click()
    page.wait_for_url("**/ogc?*")
    assert page.locator("html").get_attribute("lang") == lang
    assert _serious(page) == []
    page.get_by_role("link", name=browse).first.click()
    page.wait_for_url("**/collections/sites/items?*")
    assert page.locator("tbody tr").count() >= 3
    assert _serious(page) == []
    page.locator("tbody tr th a").first.click()
    page.wait_for_url("**/collections/sites/items/*")
    assert page.get_by_role("heading", level=1).is_visible()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / f"open-data-site-{lang}.png"), full_page=True)
    for path in ("/ogc/conformance", "/ogc/collections", "/ogc/collections/sites"):
        page.goto(f"{live_server}{path}?f=html&lang={lang}")
        assert _serious(page) == [], path
