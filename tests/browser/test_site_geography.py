"""The site page with its boundary on the map and its computed distances, in headless
Chromium; axe-core finds no serious or critical violations. Map tiles are blocked."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/**"


def test_the_boundary_is_drawn_and_the_distances_listed(
    page, live_server: str, artifacts_dir: Path
) -> None:
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}/en/sites/kajaani-kaj-rr-01")
    outline = page.locator("#map .leaflet-overlay-pane path")
    outline.wait_for()
    assert outline.count() == 1
    assert page.get_by_role("row", name="Airport Kajaani Airport (KAJ)").is_visible()
    assert page.get_by_role("link", name="Download the fact sheet (PDF)").is_visible()
    page.screenshot(path=str(artifacts_dir / "portal-site-boundary.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
