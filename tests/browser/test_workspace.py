"""Each role's home and the pipeline board in a real browser: the board never widens
the page, a dropped card asks for a note that lands with the move, the homes pass axe.
Screenshots of every role's home and of the board go to the artifacts directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

DOMAIN = "invest-kainuu.example"
HOMES = {
    "coordinator": f"koordinaattori@{DOMAIN}",
    "admin": f"admin@{DOMAIN}",
    "municipal-contact": f"kajaani@{DOMAIN}",
    "partner": f"kumppani@{DOMAIN}",
    "forum": f"foorumi@{DOMAIN}",
}


def _login(page, live_server: str, email: str, lang: str = "en") -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")
    # The language is kept on the account: set it each time, whatever a test left.
    page.goto(f"{live_server}/lang/{lang}?next=/staff")
    page.wait_for_url(f"{live_server}/staff")


def _drag(page, card, target) -> None:
    """Drag `card` onto `target` with the HTML5 drag events the board listens to.

    Playwright's mouse drag starts the drag only at the first move, after it has
    scrolled the target into view: on a board that scrolls sideways the drag would
    start on whatever card is under the pointer by then."""
    transfer = page.evaluate_handle("new DataTransfer()")
    card.dispatch_event("dragstart", {"dataTransfer": transfer})
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})
    card.dispatch_event("dragend", {"dataTransfer": transfer})


def _serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def _page_widened(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"))


@pytest.mark.parametrize("role", list(HOMES))
def test_each_roles_home(page, live_server: str, artifacts_dir: Path, role: str) -> None:
    _login(page, live_server, HOMES[role])
    if role == "forum":
        # The forum's home is the current forum report.
        assert page.get_by_role("heading", level=1).is_visible()
    else:
        assert page.locator(".work-section").count() >= 4
        for section in page.locator(".work-section").all():
            # Every section says what it holds, or that nothing waits.
            assert section.locator(".worklist > li").count() or section.locator(".empty").count()
    assert not _page_widened(page)
    page.screenshot(path=str(artifacts_dir / f"home-{role}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    if role != "forum":
        # (The forum report's own tables are wider than a phone: not this page's.)
        assert not _page_widened(page)
    page.screenshot(path=str(artifacts_dir / f"home-{role}-390.png"), full_page=True)


def test_coordinator_and_municipal_homes_pass_axe(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server, HOMES["coordinator"])
    assert _serious_violations(page) == []
    # The coordinator's work links to where it is dealt with.
    links = page.locator("#triage .worklist a")
    if links.count():
        href = links.first.get_attribute("href")
        assert href is not None and re.fullmatch(r"/leads/[0-9a-f-]+", href)
    _login(page, live_server, HOMES["municipal-contact"])
    assert page.locator("#incoming").is_visible()
    assert _serious_violations(page) == []
    _login(page, live_server, HOMES["municipal-contact"], lang="fi")
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "home-municipal-contact-fi.png"), full_page=True)
    _login(page, live_server, HOMES["coordinator"], lang="fi")
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "home-coordinator-fi.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_board_never_widens_the_page(
    page, live_server: str, artifacts_dir: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, live_server, HOMES["coordinator"])
    page.goto(f"{live_server}/leads/board")
    board = page.locator(".board")
    assert board.is_visible()
    assert not _page_widened(page)
    # The columns scroll inside the board instead.
    assert page.evaluate(
        "(() => { const b = document.querySelector('.board');"
        " return b.scrollWidth > b.clientWidth; })()"
    )
    box = board.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    page.screenshot(path=str(artifacts_dir / f"board-{width}.png"), full_page=True)
    assert _serious_violations(page) == []


def test_dropping_a_card_asks_for_a_note_that_lands_with_the_move(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server, HOMES["coordinator"])
    page.goto(f"{live_server}/leads/board")
    card = page.locator('.column[data-stage="contacted"] .lead-card').first
    name = card.get_attribute("data-name")
    assert name
    # Neighbouring columns, both in view: a real mouse drag.
    card.drag_to(page.locator('.column[data-stage="qualified"] h2'))
    dialog = page.locator("dialog#move-dialog")
    assert dialog.is_visible()
    assert dialog.locator("[data-slot=lead]").inner_text() == name
    assert dialog.locator("[data-slot=stage]").inner_text() == "Qualified"
    # Between open stages the note is optional and nothing else is asked.
    assert dialog.get_by_label("Note (optional)").is_visible()
    assert not dialog.get_by_label("Why was it lost? (required)").is_visible()
    dialog.get_by_label("Note (optional)").fill("Budget confirmed on the call")
    page.screenshot(path=str(artifacts_dir / "board-move-dialog.png"))
    with page.expect_navigation():
        dialog.get_by_role("button", name="Move").click()
    page.wait_for_url(re.compile(r"/leads/board"))
    moved = page.locator('.column[data-stage="qualified"] .lead-card', has_text=name)
    assert moved.count() == 1
    moved.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]+$"))
    assert "Budget confirmed on the call" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts_dir / "lead-after-move.png"), full_page=True)


def test_dropping_on_lost_asks_for_the_reason_and_cancel_keeps_the_card(
    page, live_server: str
) -> None:
    _login(page, live_server, HOMES["coordinator"])
    page.goto(f"{live_server}/leads/board")
    card = page.locator('.column[data-stage="identified"] .lead-card').first
    name = card.get_attribute("data-name")
    _drag(page, card, page.locator('.column[data-stage="lost"] .cards'))
    dialog = page.locator("dialog#move-dialog")
    assert dialog.get_by_label("Why was it lost? (required)").is_visible()
    assert not dialog.get_by_label("Capex in euros").is_visible()
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible()
    assert page.locator('.column[data-stage="identified"] .lead-card', has_text=name).count()
