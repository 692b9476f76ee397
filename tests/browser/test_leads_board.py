"""The pipeline board in a real browser: moving cards with the no-script form and by
drag-and-drop (the board's dialog), the landing details a landed lead needs, and
accessibility."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "koordinaattori@invest-kainuu.example"


def _login_in_english(page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(COORDINATOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")
    page.get_by_role("link", name="In English").click()


@pytest.fixture(autouse=True)
def _finnish_again(page, live_server: str) -> Iterator[None]:
    """The language choice is stored on the account: leave the coordinator in Finnish
    as the demo data has it, whatever other browser tests expect."""
    yield
    page.goto(f"{live_server}/lang/fi?next=/staff")


def _card(page, stage: str, code_name: str):
    return page.locator(f'.column[data-stage="{stage}"] .lead-card', has_text=code_name)


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


def test_card_lands_through_the_form_and_the_dialog(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login_in_english(page, live_server)
    page.goto(f"{live_server}/leads/board?q=Project+Lumi")
    card = _card(page, "decision_pending", "Project Lumi")
    assert card.count() == 1
    card.get_by_label("Move Project Lumi to").select_option(label="Landed")
    card.get_by_role("button", name="Move").click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]+/move\?to_stage=landed"))
    assert page.get_by_role("heading", level=1).inner_text() == "Move Project Lumi"

    # Everything but the municipality: refused with a message naming it, nothing saved.
    page.get_by_label("Capex in euros").fill("61000000")
    page.get_by_label("Capex status").select_option("committed")
    page.get_by_label("Date landed").fill("2026-01-15")
    page.get_by_role("button", name="Move").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().count("Choose the municipality where the investment landed.") == 1
    assert page.get_by_label("Municipality where it landed").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(artifacts_dir / "board-landing-dialog-error.png"), full_page=True)
    page.goto(f"{live_server}/leads/board?q=Project+Lumi")
    assert _card(page, "decision_pending", "Project Lumi").count() == 1

    card = _card(page, "decision_pending", "Project Lumi")
    card.get_by_label("Move Project Lumi to").select_option(label="Landed")
    card.get_by_role("button", name="Move").click()
    page.get_by_label("Municipality where it landed").select_option(label="Kajaani")
    page.get_by_label("Capex in euros").fill("61000000")
    page.get_by_label("Capex status").select_option("committed")
    page.get_by_label("Date landed").fill("2026-01-15")
    page.get_by_role("button", name="Move").click()
    page.wait_for_url(re.compile(r"/leads/board"))
    assert _card(page, "landed", "Project Lumi").count() == 1
    assert _card(page, "decision_pending", "Project Lumi").count() == 0
    page.screenshot(path=str(artifacts_dir / "board-after-landing.png"), full_page=True)


def test_drag_and_drop_moves_between_open_stages_and_asks_when_landing(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login_in_english(page, live_server)
    page.goto(f"{live_server}/leads/board?q=Project+Kelo")
    card = _card(page, "negotiation", "Project Kelo")
    assert card.count() == 1

    # A drop opens the board's dialog; between open stages only an optional note.
    _drag(page, card, page.locator('.column[data-stage="decision_pending"] .cards'))
    dialog = page.locator("dialog#move-dialog")
    assert dialog.is_visible()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Move").click()
    assert _card(page, "decision_pending", "Project Kelo").count() == 1
    assert _card(page, "negotiation", "Project Kelo").count() == 0
    page.screenshot(path=str(artifacts_dir / "board-after-drag.png"), full_page=True)

    # Dropping on "Landed" asks for the landing details; sent without them, the server
    # refuses on the move page with every missing detail named.
    _drag(
        page,
        _card(page, "decision_pending", "Project Kelo"),
        page.locator('.column[data-stage="landed"] .cards'),
    )
    assert dialog.get_by_label("Municipality where it landed").is_visible()
    page.screenshot(path=str(artifacts_dir / "board-landing-dialog.png"))
    with page.expect_navigation():
        dialog.get_by_role("button", name="Move").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().splitlines()[-3:] == [
        "Choose the municipality where the investment landed.",
        "Say how certain the amount is.",
        "Give the date the investment landed.",
    ]
    page.get_by_label("Municipality where it landed").select_option(label="Paltamo")
    page.get_by_label("Capex in euros").fill("900000000")
    page.get_by_label("Capex status").select_option("realised")
    page.get_by_label("Date landed").fill("2025-11-30")
    page.get_by_role("button", name="Move").click()
    page.wait_for_url(re.compile(r"/leads/board"))
    assert _card(page, "landed", "Project Kelo").count() == 1
    assert _card(page, "decision_pending", "Project Kelo").count() == 0
    page.screenshot(path=str(artifacts_dir / "board-after-drag-landing.png"), full_page=True)


def test_board_list_and_lead_page_have_no_serious_accessibility_violations(
    page, live_server: str
) -> None:
    _login_in_english(page, live_server)
    page.goto(f"{live_server}/leads/board")
    assert _serious_violations(page) == []
    page.goto(f"{live_server}/leads")
    assert _serious_violations(page) == []
    page.get_by_role("link", name="Project Akku").first.click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]+$"))
    assert _serious_violations(page) == []
