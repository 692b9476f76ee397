"""The README's promise in a real browser: demo logins reach their role's home page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _login(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")


def test_coordinator_reaches_home(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    assert page.get_by_role("heading", level=1).inner_text() == "Tervetuloa, Kaisa Koordinaattori"
    page.get_by_role("link", name="In English").click()
    assert page.get_by_role("heading", name="Pipeline by stage").is_visible()
    page.screenshot(path=str(artifacts_dir / "coordinator-home.png"), full_page=True)


def test_municipal_contact_reaches_home(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "sotkamo@invest-kainuu.example")
    assert "Sotkamo" in page.locator("main").inner_text()
    assert page.get_by_role("heading", name="Putkisto vaiheittain").count() == 0
    page.screenshot(path=str(artifacts_dir / "municipal-contact-home.png"), full_page=True)


def test_logout_returns_to_login(page, live_server: str) -> None:
    _login(page, live_server, "kajaani@invest-kainuu.example")
    # Log out is in the user menu of the top bar.
    page.locator("details.user-menu > summary").click()
    # Whatever language an earlier test left the account in.
    page.get_by_role("button", name=re.compile("^(Kirjaudu ulos|Log out)$")).click()
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/staff")
    assert page.url.startswith(f"{live_server}/login")


def test_login_and_home_have_no_serious_accessibility_violations(page, live_server: str) -> None:
    axe = Axe()
    page.goto(f"{live_server}/login")
    serious = [
        v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], [v["id"] for v in serious]
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    serious = [
        v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], [v["id"] for v in serious]
