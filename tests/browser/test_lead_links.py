"""Linking a contact person to a lead in a real browser, and accessibility of the lead
page, the contact edit and merge pages and the pipeline settings."""

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
    yield
    page.goto(f"{live_server}/lang/fi?next=/staff")


def _serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def test_link_a_contact_with_a_role_on_the_lead_page(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login_in_english(page, live_server)
    page.goto(f"{live_server}/leads?q=Project+Hopea")
    page.get_by_role("link", name="Project Hopea").first.click()
    page.wait_for_url(re.compile(r"/leads/[0-9a-f-]+$"))
    lead_url = page.url
    people = page.locator("#people")

    # Nothing chosen: the message is beside the select and in the summary.
    people.get_by_role("button", name="Link contact").click()
    assert page.get_by_label("Contact person").get_attribute("aria-invalid") == "true"
    assert "This field is required." in page.get_by_role("alert").inner_text()

    people = page.locator("#people")
    people.get_by_label("Contact person").select_option(label="Anna Esimerkki (Demo Investor 1)")
    people.get_by_label("Role on this lead").fill("Project director")
    people.get_by_role("button", name="Link contact").click()
    page.wait_for_url(f"{lead_url}#people")
    people = page.locator("#people")
    assert (
        people.get_by_role("listitem")
        .first.inner_text()
        .startswith("Anna Esimerkki – Project director")
    )
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "lead-contact-linked.png"), full_page=True)

    # The person's own page leads on to editing and merging.
    people.get_by_role("link", name="Anna Esimerkki").click()
    page.get_by_role("link", name="Edit contact").click()
    assert page.get_by_label("Name", exact=True).input_value() == "Anna Esimerkki"
    assert _serious_violations(page) == []
    page.go_back()
    page.get_by_role("link", name="Merge a duplicate into this contact").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Merge a duplicate into Anna Esimerkki"
    )
    assert _serious_violations(page) == []

    # Leave the demo lead as it was for the other browser tests.
    page.goto(lead_url)
    page.get_by_role("button", name="Remove Anna Esimerkki from the lead").click()
    page.wait_for_url(f"{lead_url}#people")
    assert page.locator("#people").get_by_role("listitem").first.inner_text() == "None."


def test_pipeline_settings_page_is_accessible(page, live_server: str, artifacts_dir: Path) -> None:
    _login_in_english(page, live_server)
    page.get_by_role("link", name="Pipeline settings").click()
    page.wait_for_url(f"{live_server}/pipeline")
    assert _serious_violations(page) == []
    form = page.locator("#stage-qualified")
    form.get_by_label("Default probability (0–100)").fill("250")
    form.get_by_role("button", name="Save stage").click()
    assert "Give a whole number from 0 to 100." in page.get_by_role("alert").inner_text()
    assert _serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "pipeline-settings-error.png"), full_page=True)
