"""Targets and the forum report in a real browser: axe finds no serious accessibility
problem on the pages or on a refused form, and screenshots show how they look."""

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


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_targets_page_and_refused_form(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.goto(f"{live_server}/targets")
    assert page.get_by_role("heading", level=1).inner_text() == "Investment targets"
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "targets-list.png"), full_page=True)

    page.get_by_label("Name").fill("Kainuu 2030–2033")
    page.get_by_label("Investment (whole euros)").fill("a lot")
    page.get_by_label("First day of the period").fill("2033-01-01")
    page.get_by_label("Last day of the period").fill("2030-12-31")
    page.get_by_role("button", name="Add the target").click()
    alert = page.get_by_role("alert")
    assert "Give the amount in whole euros" in alert.inner_text()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "targets-refused.png"), full_page=True)

    page.get_by_label("Investment (whole euros)").fill("1 500 000 000")
    page.get_by_label("New jobs").fill("800")
    page.get_by_label("First day of the period").fill("2030-01-01")
    page.get_by_label("Last day of the period").fill("2033-12-31")
    page.get_by_role("button", name="Add the target").click()
    assert page.get_by_role("status").inner_text() == "The target was added."
    page.get_by_role("link", name="Kainuu 2030–2033").click()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "targets-edit.png"), full_page=True)


def test_forum_report_page(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.goto(f"{live_server}/reports")
    summary = page.locator("section[aria-labelledby=summary-h]")
    assert summary.get_by_role(
        "heading", name=re.compile("Executive summary|Tiivistelmä")
    ).is_visible()
    assert _serious(page) == []
    summary.screenshot(path=str(artifacts_dir / "forum-report-summary.png"))
    page.screenshot(path=str(artifacts_dir / "forum-report-page.png"), full_page=True)


def test_public_home_says_what_is_confirmed(page, live_server: str, artifacts_dir: Path) -> None:
    page.goto(f"{live_server}/en/")
    progress = page.locator("section[aria-labelledby=progress-heading]")
    assert "confirmed by the investors" in progress.inner_text()
    assert "our estimate" in progress.inner_text()
    assert _serious(page) == []
    progress.screenshot(path=str(artifacts_dir / "portal-home-progress-en.png"))
