"""A site-selection consultant's whole path in headless Chromium, as the portal offers
it: search by distance from a town (nearest first), shortlist three of the sites found,
compare them, download one site's fact sheet and the shortlist from the page's links
(read with pypdf), and send one inquiry about the shortlist. axe-core finds no serious or
critical violations on the pages met; screenshots at 1280 and 390 px wide.

The regional team's pages for the reference points and key facts are checked with axe
too."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, Lead, LeadContact, LeadSite, Site

pytestmark = pytest.mark.browser

TILES = "https://tile.openstreetmap.org/**"
KM = re.compile(r"(\d+(?:\.\d)?) km")


def _serious(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def _pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def _download(page: Page, link_name: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    info.value.save_as(target)
    return target


def test_a_consultant_searches_by_distance_shortlists_compares_downloads_and_asks(
    browser, live_server: str, artifacts_dir: Path, live_db: Session
) -> None:
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())

    # Search by distance, as a visitor fills the form.
    page.goto(f"{live_server}/en/sites")
    page.get_by_label("From the town").select_option("centre-kajaani")
    page.get_by_label("Within (km)").fill("40")
    page.get_by_label("Sort by").select_option("distance")
    page.get_by_role("button", name="Show sites").click()
    page.wait_for_url("**/en/sites?*near=*")
    assert "radius_km=40" in page.url and "sort=distance" in page.url
    cards = page.locator(".site-card")
    assert cards.count() >= 3
    distances = [
        float(KM.search(text).group(1))  # type: ignore[union-attr]
        for text in cards.locator(
            ".card-facts div:has(dt:text-is('Distance')) dd"
        ).all_inner_texts()
    ]
    assert len(distances) == cards.count()
    assert distances == sorted(distances) and distances[-1] <= 40
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "selector-distance-search.png"), full_page=True)

    # Shortlist the three nearest.
    names = [cards.nth(i).locator(".card-title").inner_text() for i in range(3)]
    slugs = [
        cards.nth(i).locator(".card-title a").get_attribute("href").rsplit("/", 1)[1]  # type: ignore[union-attr]
        for i in range(3)
    ]
    for name in names:
        page.get_by_label(f"Add to shortlist: {name}").check()
    expect(
        page.locator("#shortlist-form").get_by_text("3 sites on your shortlist.")
    ).to_be_visible()
    page.locator("#shortlist-form").get_by_role("button", name="Compare").click()

    page.wait_for_url("**/en/compare?sites=*")
    assert set(page.url.split("sites=", 1)[1].split(",")) == set(slugs)
    for name in names:
        assert page.get_by_role("columnheader", name=name).is_visible()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "selector-compare.png"), full_page=True)

    # The shortlist as a PDF, from the comparison's own link.
    shortlist = _pdf_text(
        _download(page, "Download the shortlist (PDF)", artifacts_dir / "selector-shortlist.pdf")
    )
    for name in names:
        assert name in shortlist, name
    assert len(KM.findall(shortlist)) >= 6  # airport and substation at least, per site
    assert "Kajaani Airport (KAJ)" in shortlist
    assert "Contact" in shortlist and "@" in shortlist

    # One site's fact sheet, from its page.
    page.get_by_role("link", name=names[0]).first.click()
    page.wait_for_url(f"**/en/sites/{slugs[0]}")
    sheet = _pdf_text(
        _download(page, "Download the fact sheet (PDF)", artifacts_dir / "selector-fact-sheet.pdf")
    )
    assert names[0] in sheet
    assert "Distances" in sheet and KM.search(sheet)
    assert "Contact" in sheet and "@" in sheet
    assert not any(name in sheet for name in names[1:])

    # One inquiry for the whole shortlist.
    page.goto(f"{live_server}/en/compare?sites={','.join(slugs)}")
    page.get_by_role("link", name="Send an inquiry about the shortlist").click()
    page.wait_for_url("**/en/inquiry?sites=*")
    page.get_by_label("Your name").fill("Walter Walk")
    page.get_by_label("Organisation").fill("Distance First Siting GmbH")
    page.get_by_label("E-mail").fill("walter@distance-first.example")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Your plans and questions").fill("A 40 MW plant near Kajaani.")
    page.get_by_role("checkbox").check()
    assert _serious(page) == []
    page.wait_for_timeout(1100)  # the form's minimum fill time in the test server
    page.get_by_role("button", name="Send the inquiry").click()
    page.wait_for_url("**/en/inquiry/thanks")

    # On a phone: the distance search and the comparison.
    phone = browser.new_context(
        locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    small = phone.new_page()
    small.route(TILES, lambda route: route.abort())
    small.goto(f"{live_server}/en/sites?near=centre-kajaani&radius_km=40&sort=distance")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    small.screenshot(path=str(artifacts_dir / "selector-distance-search-phone.png"), full_page=True)
    small.goto(f"{live_server}/en/compare?sites={','.join(slugs)}")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    assert _serious(small) == []
    small.screenshot(path=str(artifacts_dir / "selector-compare-phone.png"), full_page=True)
    phone.close()
    context.close()

    lead = live_db.scalar(
        select(Lead)
        .join(LeadContact, LeadContact.lead_id == Lead.id)
        .join(Contact, Contact.id == LeadContact.contact_id)
        .where(Contact.email == "walter@distance-first.example")
    )
    assert lead is not None
    picked = live_db.scalars(
        select(Site.slug)
        .join(LeadSite, LeadSite.site_id == Site.id)
        .where(LeadSite.lead_id == lead.id)
    )
    assert set(picked) == set(slugs)
