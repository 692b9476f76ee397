"""Each role's working day in a real browser on the demo data (PostgreSQL): log in, read
the home page, and walk to where the work is done — the board, a lead, the review queue
with its diff, the notifications and the import page — with axe's WCAG 2.1 A/AA rules
on every stop. Each role's home is kept as a screenshot in the CI artefacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DOMAIN = "invest-kainuu.example"


def _login(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/staff")
    # The account keeps the language its person chose last (another test may have
    # switched it): this walk reads English.
    page.goto(f"{live_server}/lang/en?next=/staff")
    page.wait_for_url(f"{live_server}/staff")


def _accessible(page) -> None:
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    violations = [(v["id"], len(v["nodes"])) for v in result.response["violations"]]
    assert violations == [], f"{page.url}: {violations}"


def _home(page, live_server: str, artifacts_dir: Path, email: str, role: str) -> None:
    _login(page, live_server, email)
    _accessible(page)
    page.screenshot(path=str(artifacts_dir / f"workday-home-{role}.png"), full_page=True)


def test_coordinator_walks_from_home_to_the_work(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _home(page, live_server, artifacts_dir, f"koordinaattori@{DOMAIN}", "coordinator")
    # The home says what waits: a change to a published site among the reviews.
    review = page.locator("#review")
    assert "Talvivaara industrial area" in review.inner_text()
    review.get_by_role("link", name="Talvivaara industrial area").click()
    assert page.locator("#revision").count() == 1

    page.goto(f"{live_server}/review")
    change = page.locator("section.revision", has_text="Talvivaara industrial area")
    diff = change.locator("table").inner_text()
    assert "Available power" in diff and "450,000" in diff  # labels and formatted values
    _accessible(page)
    page.screenshot(path=str(artifacts_dir / "workday-review-diff.png"), full_page=True)

    page.goto(f"{live_server}/leads/board")
    _accessible(page)
    page.locator(".lead-card a").first.click()
    assert page.locator("#next-step").count() == 1
    _accessible(page)

    # The contact's proposal told the coordinator; the bell leads to it.
    page.locator("#notification-bell").click()
    page.wait_for_url(f"{live_server}/notifications")
    assert "Talvivaara industrial area" in page.locator("main").inner_text()
    _accessible(page)

    page.goto(f"{live_server}/imports")
    assert page.get_by_role("heading", level=1).count() == 1
    _accessible(page)


def test_municipal_contact_walks_from_home_to_the_work(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _home(page, live_server, artifacts_dir, f"kajaani@{DOMAIN}", "municipal_contact")
    page.goto(f"{live_server}/leads/board")
    _accessible(page)
    page.goto(f"{live_server}/sites")
    _accessible(page)
    page.goto(f"{live_server}/notifications")
    _accessible(page)


@pytest.mark.parametrize(
    ("email", "role"),
    [(f"admin@{DOMAIN}", "admin"), (f"kumppani@{DOMAIN}", "partner")],
)
def test_other_roles_homes(
    page, live_server: str, artifacts_dir: Path, email: str, role: str
) -> None:
    _home(page, live_server, artifacts_dir, email, role)


def test_forum_viewer_home_is_the_report(page, live_server: str, artifacts_dir: Path) -> None:
    _home(page, live_server, artifacts_dir, f"foorumi@{DOMAIN}", "forum_viewer")
    assert page.locator(".lead-card").count() == 0
    assert "/leads" not in [a.get_attribute("href") for a in page.locator("nav a").all()]
