"""Notifications in a real browser: a handoff lights the receiver's bell, the list page
passes axe, and opening a notice marks it read and leads to the lead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, live_server: str, email: str) -> None:
    # The login page speaks whatever language the previous person left in the cookie.
    page.goto(f"{live_server}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/staff")


def test_a_handoff_lights_the_bell_and_the_list_passes_axe(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.goto(f"{live_server}/leads")
    hrefs = page.locator("main a[href^='/leads/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    lead_path = next(h for h in hrefs if re.fullmatch(r"/leads/[0-9a-f-]{36}", h))
    page.goto(f"{live_server}{lead_path}")
    code_name = page.get_by_role("heading", level=1).inner_text()
    own_before = page.locator("#notification-bell").inner_text()
    page.select_option("#municipality_code", "municipality:290")
    page.fill("#share-message", "Voisiko Kuhmo esitellä tonttinsa?")
    page.locator("form[action$='/shares'] button[type=submit]").click()
    page.wait_for_load_state()
    # The coordinator did it: their own bell does not change.
    assert page.locator("#notification-bell").inner_text() == own_before
    page.locator("details.user-menu > summary").click()
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/login")

    _login(page, live_server, "kuhmo@invest-kainuu.example")
    bell = page.locator("#notification-bell")
    assert bell.locator(".bell-count").inner_text() == "1"
    assert "(1 lukematonta)" in bell.inner_text()
    bell.click()
    page.wait_for_url(f"{live_server}/notifications")
    assert page.get_by_role("heading", level=1).inner_text() == "Ilmoitukset"
    notice = page.locator(".notification-list li").first
    assert "siirrettiin vastaanottajalle Kuhmo" in notice.inner_text()
    assert "Voisiko Kuhmo esitellä tonttinsa?" in notice.inner_text()
    serious = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in serious]
    page.screenshot(path=str(artifacts_dir / "notifications-list.png"), full_page=True)

    notice.get_by_role("button").click()
    page.wait_for_url(f"{live_server}{lead_path}")
    assert code_name in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#notification-bell .bell-count").count() == 0
