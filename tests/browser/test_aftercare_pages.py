"""Aftercare in a real browser, as the coordinator works it: the accounts, an account's
page (a visit recorded, an issue raised, an expansion started), the capital investors
register and its edit form, and the matching investors on the expansion lead's page.
Every page passes axe's WCAG 2.1 A and AA rules and never scrolls sideways, at a
desktop width and at 390 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD
from app.services.aftercare import today

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCROLLABLES_MARKED = """() => [...document.querySelectorAll('.table-wrap')].every(
    box => box.scrollWidth <= box.clientWidth + 1 || box.getAttribute('tabindex') === '0')"""


def _login(page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill("koordinaattori@invest-kainuu.example")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/staff")
    # The demo coordinator reads Finnish; this walk reads English (the user's stored
    # language stays as it is for the other tests on the same server).
    page.context.add_cookies([{"name": "ik_lang", "value": "en", "url": live_server}])


def _problems(page, name: str, artifacts_dir: Path) -> list[str]:
    """Axe's WCAG violations and sideways scroll of the page as it is now, at both
    widths, with a screenshot of each."""
    problems = []
    for label, size in (("wide", WIDE), ("narrow", NARROW)):
        page.set_viewport_size(size)
        # The shell makes a table that scrolls inside its wrapper reachable by keyboard,
        # a moment after the window is resized.
        page.wait_for_function(SCROLLABLES_MARKED)
        options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
        found = Axe().run(page, options=options).response["violations"]
        problems += [f"{name} {label}: {v['id']} ({v['impact']})" for v in found]
        overflow = page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{name} {label}: scrolls {overflow}px sideways")
        page.screenshot(path=str(artifacts_dir / f"aftercare-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDE)
    return problems


def test_coordinator_works_an_account_and_the_capital_investors(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server)
    problems: list[str] = []

    page.goto(f"{live_server}/aftercare")
    rows = page.locator("table.data tbody th a")
    assert "Terrafame" in " ".join(rows.all_inner_texts())
    problems += _problems(page, "list", artifacts_dir)

    page.get_by_role("link", name=re.compile("^CSC")).click()
    page.wait_for_url(re.compile(r".*/aftercare/[0-9a-f-]{36}$"))
    account_url = page.url
    page.locator("#visited_on").fill(today().isoformat())
    page.locator("#visit_notes").fill("Toured the new data hall with the site manager.")
    page.get_by_role("button", name="Record visit").click()
    page.wait_for_url(account_url)
    visits = page.locator("section[aria-labelledby=visits-h]")
    assert "Toured the new data hall" in visits.inner_text()
    page.locator("#category").select_option(label="Energy")
    page.locator("#title").fill("Second grid connection")
    page.get_by_role("button", name="Add issue").click()
    page.wait_for_url(account_url)
    issues = page.locator("section[aria-labelledby=issues-h]").inner_text()
    assert "Second grid connection" in issues and "Energy" in issues and "Open" in issues
    problems += _problems(page, "account", artifacts_dir)

    page.locator("#exp_title").fill("Data hall three")
    page.locator("#exp_capex").fill("60000000")
    page.get_by_role("button", name="Create expansion lead").click()
    page.wait_for_url(re.compile(r".*/leads/[0-9a-f-]{36}$"))
    assert "Data hall three" in page.locator("h1, main").first.inner_text()
    matches = page.locator("section[aria-labelledby=capital-h]")
    assert "Demo Infrastructure Partners" in matches.inner_text()
    assert "Invests in any industry." in matches.inner_text()
    problems += _problems(page, "lead-investors", artifacts_dir)

    page.goto(f"{live_server}/capital-investors")
    assert "Demo Bioeconomy Fund" in page.locator("table.data").inner_text()
    problems += _problems(page, "register", artifacts_dir)

    page.get_by_role("link", name="Demo Bioeconomy Fund").click()
    page.wait_for_url(re.compile(r".*/capital-investors/[0-9a-f-]{36}$"))
    edit_url = page.url
    page.locator("#ticket_min_eur").fill("900000000")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#ticket_min_eur-error")
    assert error.inner_text().strip() == "The smallest ticket is above the largest."
    assert page.locator("#ticket_min_eur").get_attribute("aria-invalid") == "true"
    problems += _problems(page, "investor-edit-error", artifacts_dir)
    page.locator("#ticket_min_eur").fill("2000000")
    page.get_by_role("checkbox", name="Venture").check()
    page.get_by_role("checkbox", name="Project finance").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server}/capital-investors")
    row = page.get_by_role("row", name=re.compile("Demo Bioeconomy Fund")).inner_text()
    assert "Venture" in row and "Growth" in row and "Project finance" not in row
    page.goto(edit_url)
    problems += _problems(page, "investor-edit", artifacts_dir)

    assert problems == [], "\n".join(problems)
