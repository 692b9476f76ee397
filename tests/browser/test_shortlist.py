"""A site selector's walk in headless Chromium: shortlist three sites from the search
results, compare them, copy the link and open it in a fresh browser (no login, nothing
stored), send one inquiry for the shortlist, and the same pages on a phone. axe-core
finds no serious or critical accessibility violations on the pages met."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, Lead, LeadContact, LeadSite, Site

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/**"
PICKED = {
    "kajaani-kaj-rr-01": "Renforsin Ranta data-centre plot",
    "paltamo-pal-mi-01": "Mieslahti industrial area",
    "sotkamo-sot-tv-01": "Talvivaara industrial area",
}
COMPARE = "/en/compare?sites=" + ",".join(PICKED)


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_shortlist_compare_share_and_ask_about_three_sites(
    browser, live_server: str, artifacts_dir: Path, live_db: Session
) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}/en/sites?sort=name")
    # On a wide screen the filters stand open beside the results.
    assert page.get_by_label("Municipality").is_visible()
    for name in PICKED.values():
        page.get_by_label(f"Add to shortlist: {name}").check()
    bar = page.locator("#shortlist-form")
    expect(bar.get_by_text("3 sites on your shortlist.")).to_be_visible()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "shortlist-search.png"), full_page=True)

    # The shortlist outlives the page: it is kept in the browser.
    page.get_by_role("link", name=PICKED["kajaani-kaj-rr-01"]).click()
    page.wait_for_url("**/en/sites/kajaani-kaj-rr-01")
    assert page.get_by_label("Add to shortlist: Renforsin Ranta data-centre plot").is_checked()
    contact = page.locator(".contact-card")
    assert contact.get_by_text("Business development manager").is_visible()
    assert contact.get_by_role("heading", name="Regional investment team").is_visible()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "shortlist-site.png"), full_page=True)
    page.get_by_role("button", name="Compare").click()

    page.wait_for_url(f"**{COMPARE}")
    assert page.get_by_role("heading", level=1).inner_text() == "Compare sites"
    headers = page.locator("table.compare thead th")
    assert headers.count() == 3
    for name in PICKED.values():
        assert page.get_by_role("columnheader", name=name).is_visible()
    assert page.locator("tr.differs").count() >= 3
    assert page.locator("strong.best").count() >= 1
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "compare-desktop.png"), full_page=True)

    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(COMPARE)

    # The link opened by someone else: a fresh browser, no shortlist of its own.
    other = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    shared = other.new_page()
    shared.goto(copied.replace("http://127.0.0.1:8000", live_server))
    assert shared.locator("table.compare thead th").count() == 3
    for name in PICKED.values():
        assert shared.get_by_role("columnheader", name=name).is_visible()
    # Opening the comparison made it the visitor's shortlist.
    shared.goto(f"{live_server}/en/sites?sort=name")
    assert shared.get_by_label(f"Add to shortlist: {PICKED['paltamo-pal-mi-01']}").is_checked()
    other.close()

    page.get_by_role("link", name="Send an inquiry about the shortlist").click()
    page.wait_for_url("**/en/inquiry?sites=*")
    for name in PICKED.values():
        assert page.get_by_role("link", name=name).is_visible()
    page.get_by_label("Your name").fill("Sara Selector")
    page.get_by_label("Organisation").fill("Shortlist Siting Partners AB")
    page.get_by_label("E-mail").fill("sara@shortlist-siting.example")
    page.get_by_label("Country").select_option("SE")
    page.get_by_label("Your plans and questions").fill("A battery-materials plant, 30 MW.")
    page.get_by_role("checkbox").check()
    assert _serious(page) == []
    page.wait_for_timeout(1100)  # the form's minimum fill time in the test server
    page.get_by_role("button", name="Send the inquiry").click()
    page.wait_for_url("**/en/inquiry/thanks")
    context.close()

    lead = live_db.scalar(
        select(Lead)
        .join(LeadContact, LeadContact.lead_id == Lead.id)
        .join(Contact, Contact.id == LeadContact.contact_id)
        .where(Contact.email == "sara@shortlist-siting.example")
    )
    assert lead is not None
    slugs = live_db.scalars(
        select(Site.slug)
        .join(LeadSite, LeadSite.site_id == Site.id)
        .where(LeadSite.lead_id == lead.id)
    )
    assert set(slugs) == set(PICKED)


def test_on_a_phone_results_come_first_and_the_comparison_scrolls(
    browser, live_server: str, artifacts_dir: Path
) -> None:
    context = browser.new_context(
        locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    page.goto(f"{live_server}/en/sites")
    # The filters fold away; the results are what the visitor sees first.
    assert not page.get_by_label("Municipality").is_visible()
    results = page.locator(".results-count")
    assert results.bounding_box()["y"] < 844
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "shortlist-search-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_text("Filter sites").click()
    assert page.get_by_label("Municipality").is_visible()

    page.goto(f"{live_server}{COMPARE}")
    # Only the table scrolls sideways, never the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    scroller = page.locator(".compare-scroll")
    row_heading = page.get_by_role("rowheader", name="Available power")
    before = row_heading.bounding_box()["x"]
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    scroller.evaluate("el => { el.scrollLeft = 400; }")
    # The fact names stay in view while the sites scroll sideways.
    assert abs(row_heading.bounding_box()["x"] - before) < 2
    assert _serious(page) == []
    scroller.evaluate("el => { el.scrollLeft = 0; }")
    page.screenshot(path=str(artifacts_dir / "compare-phone.png"), full_page=True)
    context.close()
