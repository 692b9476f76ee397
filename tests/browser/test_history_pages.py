"""History in words in a real browser: a lead's timeline after a stage move with a
note, and an organisation's history page, in English and Finnish, with axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = "koordinaattori@invest-kainuu.example"


@pytest.fixture(autouse=True)
def _finnish_again(page, live_server: str) -> Iterator[None]:
    yield
    page.goto(f"{live_server}/lang/fi?next=/staff")


def _serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_lead_timeline_and_organisation_history_in_words(
    page, live_server: str, artifacts_dir: Path
) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(COORDINATOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")
    page.goto(f"{live_server}/lang/en?next=/leads?q=Project+Hopea")
    page.get_by_role("link", name="Project Hopea").first.click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]+$"))
    lead_url = page.url

    # Move the lead on with a note, then read what happened in words.
    stage = page.locator("#quick-stage")
    names = stage.locator("option").all_inner_texts()
    target_name = next(n for n in names if n not in ("Landed", "Lost", "On hold"))
    code = stage.locator("option", has_text=target_name).first.get_attribute("value")
    page.goto(f"{lead_url}/move?to_stage={code}")
    page.locator("#note").fill("site visit agreed")
    page.locator("form[action$='/move'] button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(lead_url + "#timeline")
    timeline = page.locator("#timeline")
    text = timeline.inner_text()
    assert re.search(
        rf"Kaisa Koordinaattori moved the lead from .+ to {re.escape(target_name)}: "
        r"'site visit agreed'",
        text,
    ), text
    assert "fields)" not in text
    timeline.screenshot(path=str(artifacts_dir / "lead-timeline-en.png"))
    assert _serious_violations(page) == []
    page.goto(f"{live_server}/lang/fi?next={lead_url.removeprefix(live_server)}")
    timeline = page.locator("#timeline")
    assert "Kaisa Koordinaattori siirsi liidin vaiheesta" in timeline.inner_text()
    timeline.screenshot(path=str(artifacts_dir / "lead-timeline-fi.png"))

    # The investor's organisation: its page links to its history.
    page.goto(f"{live_server}/organizations")
    page.get_by_role("link", name="Terrafame Oy").first.click()
    page.wait_for_url(re.compile(r"/organizations/[0-9a-f-]+$"))
    org_url = page.url
    # Add a contact person through the page, so the history tells a person's act.
    form = page.locator("form[action$='/contacts']")
    form.locator("#full_name").fill("Liisa Lahtinen")
    form.locator("#role_title").fill("Investointijohtaja")
    form.locator("#source").fill("Tapaaminen messuilla")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/contacts/[0-9a-f-]+$"))
    page.goto(org_url)
    page.get_by_role("link", name="Muutoshistoria").click()
    page.wait_for_url(re.compile(r"/history/organizations/[0-9a-f-]+$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Organisaation")
    history_fi = page.locator("main").inner_text()
    assert "Järjestelmä loi organisaation." in history_fi
    assert "Kaisa Koordinaattori lisäsi yhteyshenkilön Liisa Lahtinen." in history_fi
    page.screenshot(path=str(artifacts_dir / "organisation-history-fi.png"), full_page=True)
    path = page.url.removeprefix(live_server)
    page.goto(f"{live_server}/lang/en?next={path}")
    assert "The system created the organisation." in page.locator("main").inner_text()
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "organisation-history-en.png"), full_page=True)
