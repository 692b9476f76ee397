"""The shortlist as a site selector meets it without JavaScript: the comparison page of a
shareable link, its handling of bad and hidden sites, one inquiry for the whole
shortlist, and the real contacts on a site page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadMunicipality, LeadShare, LeadSite, Municipality, OutboxEmail
from app.db.models import Site as SiteModel
from app.domain.access import Role
from app.domain.shortlist import SHORTLIST_MAX
from app.settings import Settings
from tests.factories import Factory, csrf_from
from tests.portal.conftest import today
from tests.portal.test_inquiry import GOOD


@pytest.fixture
def three(publish) -> list[SiteModel]:  # type: ignore[no-untyped-def]
    return [
        publish(
            slug="kajaani-data",
            name_en="Kajaani data plot",
            kind="data_centre",
            area_ha=12.0,
            available_power_mw=60.0,
            zoning_status="detailed_plan",
            rail_siding=False,
            road_km=1.5,
            airport_km=8.0,
            price_eur=250_000,
            industries=("ict_data_centres",),
        ),
        publish(
            slug="sotkamo-mine",
            municipality="765",
            name_en="Sotkamo chemicals plot",
            area_ha=40.0,
            available_power_mw=25.0,
            zoning_status="detailed_plan",
            rail_siding=True,
            road_km=3.0,
            airport_km=60.0,
            industries=("mining_chemicals",),
        ),
        publish(
            slug="paltamo-bio",
            municipality="578",
            name_en="Paltamo biorefinery plot",
            area_ha=80.0,
            zoning_status="master_plan",
            rail_siding=True,
            road_km=1.5,
            airport_km=35.0,
            industries=("forest_bioeconomy",),
        ),
    ]


def _rows(html: str) -> dict[str, str]:
    """Each row of the comparison: its heading's text → the row's markup."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S):
        heading = re.search(r'<th scope="row">([^<]*)', row)
        if heading:
            rows[heading.group(1).strip()] = row
    return rows


def test_the_comparison_shows_the_sites_side_by_side(
    client: TestClient, three: list[SiteModel]
) -> None:
    page = client.get("/en/compare?sites=kajaani-data,sotkamo-mine,paltamo-bio")
    assert page.status_code == 200
    html = page.text
    # In the link's order, by name, each linked to its page.
    positions = [html.index(f'href="/en/sites/{s.slug}"') for s in three]
    assert positions == sorted(positions)
    rows = _rows(html)
    # Values in the reader's language with units; names, not codes.
    power = rows["Available power"]
    assert "60 MW" in power and "25 MW" in power
    assert re.search(r'class="best">60 MW <span aria-hidden="true">★</span>', power)
    assert 'class="differs"' in power
    assert "Kajaani" in rows["Municipality"] and "Sotkamo" in rows["Municipality"]
    assert "Detailed plan" in rows["Zoning"]
    assert "detailed_plan" not in html and "ict_data_centres" not in html.split("<main")[1]
    assert "ICT and data centres" in rows["Suits"]
    assert "€250,000" in rows["Price"]
    # The nearest main road: two sites share the best value; the farthest is not marked.
    road = rows["Distance to a main road"]
    assert road.count("★") == 2
    # Rows where every site agrees are not marked as differing.
    assert 'class="differs"' not in rows["Grid connection"]
    # The shareable link and one inquiry for the whole shortlist.
    assert 'value="http://testserver/en/compare?sites=kajaani-data,sotkamo-mine,paltamo-bio"' in (
        html.replace("http://127.0.0.1:8000", "http://testserver")
    )
    assert 'href="/en/inquiry?sites=kajaani-data,sotkamo-mine,paltamo-bio"' in html
    # Removing a site is a plain link to the shortlist without it.
    assert 'href="/en/compare?sites=kajaani-data,paltamo-bio"' in html
    # In Finnish too, with Finnish number formats.
    fi = _rows(client.get("/fi/compare?sites=kajaani-data,sotkamo-mine").text)
    assert "60 MW" in fi["Käytettävissä oleva teho"]
    assert "Asemakaava" in fi["Kaavoitus"]


def test_the_checkbox_form_becomes_one_shareable_link(
    client: TestClient, three: list[SiteModel]
) -> None:
    answer = client.get(
        "/en/compare?sites=kajaani-data&sites=paltamo-bio&x=1", follow_redirects=False
    )
    assert answer.status_code == 302
    assert answer.headers["location"] == "/en/compare?sites=kajaani-data,paltamo-bio"
    empty = client.get("/en/compare?sites=&sites=", follow_redirects=False)
    assert (empty.status_code, empty.headers["location"]) == (302, "/en/compare")


def test_an_empty_shortlist_says_how_to_fill_it(client: TestClient) -> None:
    page = client.get("/en/compare")
    assert page.status_code == 200
    assert "Your shortlist is empty" in page.text
    assert '<meta name="robots" content="noindex">' in page.text


@pytest.mark.parametrize(
    "query",
    [
        "kajaani-data,no-such-site,%3Cscript%3Ealert(1)%3C/script%3E",
        "kajaani-data,,,%20,../../etc/passwd,kajaani-data",
        "kajaani-data," + "x" * 500,
        "kajaani-data,%E2%9C%93",
    ],
)
def test_bad_and_unknown_slugs_are_left_out_with_a_notice(
    client: TestClient, three: list[SiteModel], query: str
) -> None:
    page = client.get(f"/en/compare?sites={query}")
    assert page.status_code == 200
    assert "Kajaani data plot" in page.text
    assert "not on the portal (any more) were left out: " in page.text
    assert "<script>alert" not in page.text
    # The link to share names only what is shown.
    assert 'value="http://127.0.0.1:8000/en/compare?sites=kajaani-data"' in page.text


def test_a_shortlist_holds_at_most_six_sites(client: TestClient, publish) -> None:  # type: ignore[no-untyped-def]
    for n in range(SHORTLIST_MAX + 2):
        publish(slug=f"plot-{n}")
    slugs = ",".join(f"plot-{n}" for n in range(SHORTLIST_MAX + 2))
    page = client.get(f"/en/compare?sites={slugs}")
    assert page.status_code == 200
    assert page.text.count('scope="col"') == SHORTLIST_MAX
    assert "A shortlist holds at most 6 sites" in page.text
    assert f"plot-{SHORTLIST_MAX}" not in page.text


def test_sites_off_the_portal_are_never_compared(
    client: TestClient, factory: Factory, publish, db: Session
) -> None:  # type: ignore[no-untyped-def]
    shown = publish(slug="public-plot", name_en="Public plot")
    factory.site(slug="draft-plot", status="draft", name_en="Secret draft plot")
    factory.site(slug="submitted-plot", status="submitted", name_en="Secret submitted plot")
    publish(
        slug="stale-plot",
        name_en="Secret stale plot",
        last_verified_on=today() - timedelta(days=800),
    )
    withdrawn = publish(slug="withdrawn-plot", name_en="Secret withdrawn plot")
    withdrawn.status = "archived"
    db.commit()
    query = "draft-plot,public-plot,submitted-plot,stale-plot,withdrawn-plot"
    page = client.get(f"/en/compare?sites={query}")
    assert page.status_code == 200
    assert "Public plot" in page.text
    assert "Secret" not in page.text
    assert "not on the portal (any more) were left out: 4." in page.text
    assert f'href="/en/sites/{shown.slug}"' in page.text
    for hidden in ("draft-plot", "submitted-plot", "stale-plot", "withdrawn-plot"):
        assert hidden not in page.text
    # Nor in an inquiry about them.
    form = client.get(f"/en/inquiry?sites={query}")
    assert "Secret" not in form.text
    assert 'name="sites" value="public-plot"' in form.text


def test_the_search_results_offer_the_shortlist(client: TestClient, three: list[SiteModel]) -> None:
    page = client.get("/en/sites")
    assert page.status_code == 200
    for site in three:
        assert f'name="sites" value="{site.slug}" form="shortlist-form"' in page.text
    assert '<form id="shortlist-form" class="shortlist-bar" method="get" action="/en/compare"' in (
        page.text.replace("\n      ", " ")
    )
    assert '<details class="filters-fold">' in page.text


def test_one_inquiry_covers_the_whole_shortlist(
    client: TestClient, db: Session, three: list[SiteModel]
) -> None:
    slugs = ",".join(s.slug for s in three)
    form_page = client.get(f"/en/inquiry?sites={slugs}")
    assert form_page.status_code == 200
    assert "About the 3 sites of your shortlist" in form_page.text
    for site in three:
        assert site.name_en in form_page.text
    started = form_page.text.split('name="started" value="')[1].split('"')[0]
    sent = client.post(
        "/en/inquiry",
        data={"csrf_token": csrf_from(form_page.text), "started": started, **GOOD, "sites": slugs},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    assert set(db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == lead.id))) == {
        s.id for s in three
    }
    assert set(
        db.scalars(
            select(LeadMunicipality.municipality_code).where(LeadMunicipality.lead_id == lead.id)
        )
    ) == {"205", "765", "578"}
    shares = db.scalars(select(LeadShare.municipality_code).where(LeadShare.lead_id == lead.id))
    assert sorted(shares) == ["205", "578", "765"]
    # The sites suit different industries: the lead names none, nor a single municipality.
    assert lead.industry_code is None
    assert lead.title == "Portal inquiry: general"
    for site in three:
        assert f"Site: {site.name_fi} ({site.slug})" in lead.description
    confirmation = db.scalar(
        select(OutboxEmail).where(OutboxEmail.reference == f"inquiry-confirmation:{lead.id}")
    )
    assert confirmation is not None
    for site in three:
        assert f"/en/sites/{site.slug}" in confirmation.body_text


def test_a_site_page_names_the_municipal_contact_and_the_regional_team(
    client: TestClient, db: Session, factory: Factory, publish, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    page = client.get("/reference/municipalities/765")
    saved = client.post(
        "/reference/municipalities/765",
        data={
            "csrf_token": csrf_from(page.text),
            "contact_name": "Sanna Sotkamo",
            "contact_title_fi": "Elinkeinopäällikkö",
            "contact_title_en": "Head of business development",
            "contact_email": "sanna.sotkamo@sotkamo.example",
            "contact_phone": "+358 40 123 4567",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    municipality = db.get(Municipality, "765")
    assert municipality is not None
    assert municipality.contact_title_en == "Head of business development"
    site = publish(slug="sotkamo-plot", municipality="765")
    original = settings.coordinator_name, settings.coordinator_phone, settings.coordinator_email
    settings.coordinator_name = "Kaisa Koordinaattori"
    settings.coordinator_phone = "+358 44 555 0100"
    settings.coordinator_email = "invest@kainuu.example"
    try:
        en = client.get(f"/en/sites/{site.slug}").text
        fi = client.get(f"/fi/sites/{site.slug}").text
    finally:
        settings.coordinator_name, settings.coordinator_phone, settings.coordinator_email = original
    for text in (
        "Sanna Sotkamo",
        "Head of business development",
        'href="tel:+358401234567"',
        "mailto:sanna.sotkamo@sotkamo.example",
        "Regional investment team",
        "Kaisa Koordinaattori",
        'href="tel:+358445550100"',
        "mailto:invest@kainuu.example",
    ):
        assert text in en, text
    assert "Elinkeinopäällikkö" in fi
    # A site with a contact of its own shows that person, without the municipality's title.
    own = publish(slug="own-contact", municipality="765", contact_name="Olli Oma")
    page_own = client.get(f"/en/sites/{own.slug}").text
    assert "Olli Oma" in page_own
    assert "Head of business development" not in page_own


def test_portal_assets_are_compressed_and_cached(client: TestClient) -> None:
    page = client.get("/en/compare")
    paths = re.findall(r'(?:href|src)="(/static/portal/selector\.(?:css|js)\?v=\w+)"', page.text)
    assert len(paths) == 2
    for path in paths:
        asset = client.get(path, headers={"accept-encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["content-encoding"] == "gzip"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
