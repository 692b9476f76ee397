"""Staff pages of aftercare: the list, opening a local company's account, its page with
the visit, issue and expansion forms, the register of capital investors, the lead page's
matching investors and the report's existing-investor figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.models import InvestmentTarget
from app.domain.access import Role
from app.services.aftercare import today
from tests.aftercare.conftest import Aftercare
from tests.factories import csrf_from


def test_account_pages(ac: Aftercare, make_client: Callable[[], TestClient]) -> None:
    browser = make_client()
    ac.factory.login(browser, ac.coordinator)
    listing = browser.get("/aftercare")
    assert listing.status_code == 200
    created = browser.post(
        "/aftercare",
        data={
            "csrf_token": csrf_from(listing.text),
            "organization_name": "Ristijärven Puutuote Oy",
            "kind": "local_company",
            "municipality_code": "697",
            "checkin_months": "6",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    page = browser.get(url)
    assert "Ristijärven Puutuote Oy" in page.text
    assert "Ristijärvi" in page.text and "Local company" in page.text
    token = csrf_from(page.text)
    visit = browser.post(
        f"{url}/visits",
        data={"csrf_token": token, "visited_on": today().isoformat(), "visit_notes": "Tour."},
        follow_redirects=False,
    )
    assert visit.status_code == 303
    issue = browser.post(
        f"{url}/issues",
        data={"csrf_token": token, "category": "workforce", "title": "Needs welders"},
        follow_redirects=False,
    )
    assert issue.status_code == 303
    page = browser.get(url)
    assert "Needs welders" in page.text and "Workforce" in page.text and "Tour." in page.text
    invalid = browser.post(f"{url}/visits", data={"csrf_token": token, "visit_notes": ""})
    assert invalid.status_code == 422
    assert "Give the date of the visit." in invalid.text
    expansion = browser.post(
        f"{url}/expansions",
        data={"csrf_token": token, "title": "Second production line", "capex_eur": "8000000"},
        follow_redirects=False,
    )
    assert expansion.status_code == 303
    lead_page = browser.get(expansion.headers["location"])
    assert "Second production line" in lead_page.text
    assert "Expansion" in lead_page.text
    browser.cookies.set("ik_lang", "fi")
    finnish = browser.get(url)
    assert "Paikallinen yritys" in finnish.text and "Työvoima" in finnish.text
    kajaani = ac.factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    other = make_client()
    ac.factory.login(other, kajaani)
    assert "Ristijärven Puutuote Oy" not in other.get("/aftercare").text
    assert other.get(url).status_code == 404


def test_capital_investors_on_the_register_and_the_lead_page(
    ac: Aftercare, make_client: Callable[[], TestClient]
) -> None:
    browser = make_client()
    ac.factory.login(browser, ac.coordinator)
    fund = ac.org("Kainuu Growth Fund", type="investor")
    register = browser.get("/capital-investors")
    added = browser.post(
        "/capital-investors",
        data={
            "csrf_token": csrf_from(register.text),
            "organization_id": str(fund.id),
            "industry_codes": ["technology"],
            "ticket_min_eur": "1000000",
            "ticket_max_eur": "20000000",
            "stages": ["growth"],
            "countries": "fi, se",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    register = browser.get("/capital-investors")
    assert "Kainuu Growth Fund" in register.text and "Sweden" in register.text
    lead = ac.factory.lead(
        owner=ac.coordinator, industry_code="ict_data_centres", capex_eur=10_000_000
    )
    page = browser.get(f"/leads/{lead.id}")
    assert "Matching capital investors" in page.text
    assert "Kainuu Growth Fund" in page.text
    assert "Invests in Technology industry, the lead&#39;s wider industry." in page.text


def test_reports_page_shows_existing_investors(
    ac: Aftercare, db: Session, make_client: Callable[[], TestClient]
) -> None:
    year = today().year
    db.add(
        InvestmentTarget(
            name="Target",
            amount_eur=1_200_000_000,
            period_start=date(year - 1, 1, 1),
            period_end=date(year + 1, 12, 31),
        )
    )
    db.commit()
    ac.land(ac.org("Landed Investor Oy"), landed_on=today() - timedelta(days=3))
    forum = ac.factory.user(Role.FORUM_VIEWER)
    browser = make_client()
    ac.factory.login(browser, forum)
    page = browser.get("/reports")
    assert page.status_code == 200
    assert "Existing and new investors" in page.text
    assert "Share of existing investors" in page.text
    assert "Landed Investor Oy" not in page.text


def test_capital_investor_edit_form(
    ac: Aftercare, db: Session, make_client: Callable[[], TestClient]
) -> None:
    fund = ac.org("Oulujärvi Capital", type="investor")
    created = ac.post(
        "/api/v1/capital-investors",
        {
            "organization_id": str(fund.id),
            "industry_codes": ["technology"],
            "ticket_min_eur": 1_000_000,
            "ticket_max_eur": 20_000_000,
            "stages": ["growth"],
            "countries": ["FI"],
        },
    )
    assert created.status_code == 201, created.text
    url = f"/capital-investors/{created.json()['id']}"
    lead = ac.factory.lead(
        owner=ac.coordinator, industry_code="ict_data_centres", capex_eur=10_000_000
    )
    browser = make_client()
    ac.factory.login(browser, ac.coordinator)
    register = browser.get("/capital-investors")
    assert f'href="{url}"' in register.text
    form = browser.get(url)
    assert form.status_code == 200
    assert 'value="20000000"' in form.text and 'name="active" value="true" checked' in form.text
    token = csrf_from(form.text)
    bad = browser.post(
        url,
        data={
            "csrf_token": token,
            "ticket_min_eur": "30000000",
            "ticket_max_eur": "20000000",
            "countries": "FI, XX",
            "active": "true",
        },
    )
    assert bad.status_code == 422
    assert 'id="countries-error"' in bad.text and 'value="FI, XX"' in bad.text
    browser.cookies.set("ik_lang", "fi")
    bad = browser.post(
        url,
        data={"csrf_token": token, "ticket_min_eur": "30000000", "ticket_max_eur": "20000000"},
    )
    assert bad.status_code == 422
    assert "Pienin sijoitus on suurempi kuin suurin." in bad.text
    assert 'id="ticket_min_eur-error"' in bad.text
    browser.cookies.set("ik_lang", "en")
    assert "Oulujärvi Capital" in browser.get(f"/leads/{lead.id}").text
    saved = browser.post(
        url,
        data={
            "csrf_token": token,
            "industry_codes": ["technology", "forest_bioeconomy"],
            "ticket_min_eur": "2000000",
            "ticket_max_eur": "50000000",
            "stages": ["growth", "buyout"],
            "countries": "fi, se",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    register = browser.get("/capital-investors")
    assert "Sweden" in register.text and "Buyout" in register.text and "Inactive" in register.text
    assert "Oulujärvi Capital" not in browser.get(f"/leads/{lead.id}").text
    kajaani = ac.factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    other = make_client()
    ac.factory.login(other, kajaani)
    assert other.get(url).status_code in (403, 404)
