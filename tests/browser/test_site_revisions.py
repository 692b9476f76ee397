"""Site review in a real browser: a municipal contact edits a published site, the
coordinator sees the change as a field-by-field diff on the review queue and approves it."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

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


def test_contact_proposes_and_coordinator_reviews_the_diff(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server, "kajaani@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.goto(f"{live_server}/sites?q=Renforsin")
    page.get_by_role("link", name="Renforsin Ranta data-centre plot").click()
    # Waits for the page the click opens (an immediate check raced the navigation).
    expect(page.get_by_text("your changes are sent to the coordinator for review")).to_be_visible()
    page.locator("#f-price_terms").fill("Lease 2 € per m² a year")
    page.locator("#f-ownership").select_option("state")
    page.locator("#f-available_from").fill("2027-03-01")
    page.get_by_role("button", name="Save changes").click()
    assert page.get_by_text("Your changes wait for the coordinator's review").is_visible()
    assert page.locator("#revision table.diff").is_visible()
    assert _serious(page) == []
    page.locator("#revision").screenshot(path=str(artifacts_dir / "site-revision-contact.png"))
    # The language choice is saved on the account: back to the demo users' Finnish.
    page.get_by_role("link", name="Suomeksi").click()
    page.locator("details.user-menu > summary").click()
    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.goto(f"{live_server}/lang/en?next=/login")

    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.goto(f"{live_server}/review")
    revision = page.locator("section.revision", has_text="Renforsin Ranta data-centre plot")
    diff = revision.locator("table.diff")
    assert diff.is_visible()
    ownership = diff.locator("tr", has_text="Ownership")
    assert ownership.locator("ins").inner_text() == "State"
    assert diff.locator("tr", has_text="Available from").locator("ins").inner_text() == (
        "1 Mar 2027"
    )
    assert "Lease 2 € per m² a year" in diff.inner_text()
    assert "Proposed by Kajaani yhteyshenkilö" in revision.inner_text()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "review-queue-diff.png"), full_page=True)

    revision.get_by_role("button", name="Approve and publish").click()
    assert page.get_by_text("The change was approved and is now published.").is_visible()
    assert page.locator("section.revision", has_text="Renforsin Ranta").count() == 0
    page.get_by_role("link", name="Suomeksi").click()
