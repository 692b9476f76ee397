"""The portal's pages over HTTP, in both languages: language choice, search filters,
site pages with JSON-LD, 410 for withdrawn sites, escaping, caching, sitemap."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from app.db.models import Industry, SiteAttachment
from app.domain.access import SYSTEM_ACTOR
from app.domain.packages import AttachmentKind
from app.services import sites as site_service
from app.settings import Settings
from app.storage import storage_for
from tests.factories import Factory
from tests.portal.conftest import today

HTML = {"accept": "text/html"}


def _json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def _result_slugs(html: str) -> list[str]:
    return re.findall(r'class="card-title"><a href="/(?:fi|en)/sites/([^"]+)"', html)


def test_root_redirects_by_accept_language(client: TestClient) -> None:
    english = client.get(
        "/", headers={"accept-language": "en-GB,en;q=0.9,fi;q=0.5"}, follow_redirects=False
    )
    assert english.status_code == 302
    assert english.headers["location"] == "/en/"
    assert english.headers["vary"] == "Accept-Language"
    finnish = client.get("/", headers={"accept-language": "fi-FI"}, follow_redirects=False)
    assert finnish.headers["location"] == "/fi/"
    assert (
        client.get("/", headers={"accept-language": "de"}, follow_redirects=False).headers[
            "location"
        ]
        == "/fi/"
    )


def test_home_in_both_languages_with_hreflang_and_switch(client: TestClient, publish) -> None:
    publish(name_fi="Koetontti", name_en="Test plot", industries=("ict_data_centres",))
    fi = client.get("/fi/")
    en = client.get("/en/")
    assert fi.status_code == en.status_code == 200
    assert '<html lang="fi">' in fi.text and '<html lang="en">' in en.text
    assert "Kainuun" in fi.text or "Kainuu" in fi.text
    assert "Why Kainuu" in en.text and "Miksi Kainuu" in fi.text
    assert '<link rel="alternate" hreflang="fi" href="http://127.0.0.1:8000/fi/">' in en.text
    assert '<link rel="alternate" hreflang="en" href="http://127.0.0.1:8000/en/">' in fi.text
    assert 'href="/en/" hreflang="en" lang="en">In English</a>' in fi.text
    assert "Koetontti" in fi.text and "Test plot" in en.text
    assert 'href="/en/municipalities/205"' in en.text
    assert 'href="/en/industries/technology"' in en.text


def test_only_published_fresh_sites_are_listed(
    client: TestClient, publish, factory: Factory
) -> None:
    shown = publish(slug="shown-site")
    publish(slug="stale-site", last_verified_on=today() - timedelta(days=600))
    factory.site(slug="draft-site", status="draft", last_verified_on=today())
    factory.site(slug="withdrawn-site", status="withdrawn", last_verified_on=today())
    page = client.get("/en/sites")
    assert _result_slugs(page.text) == [shown.slug]
    assert "Sites found: 1" in page.text


def test_search_filters_from_the_query_string(client: TestClient, publish) -> None:
    publish(
        slug="big-dc",
        kind="data_centre",
        area_ha=40.0,
        available_power_mw=100.0,
        rail_siding=True,
        zoning_status="detailed_plan",
        industries=("ict_data_centres",),
    )
    publish(
        slug="small-kuhmo",
        municipality="290",
        kind="industrial_plot",
        area_ha=2.0,
        available_power_mw=2.0,
        rail_siding=False,
        zoning_status="master_plan",
        industries=("forest_bioeconomy",),
    )
    publish(
        slug="mid-sotkamo",
        municipality="765",
        kind="industrial_plot",
        area_ha=12.0,
        available_power_mw=20.0,
        rail_siding=True,
        zoning_status="detailed_plan",
        industries=("mining_chemicals",),
    )
    cases = {
        "municipality=290": ["small-kuhmo"],
        "kind=data_centre": ["big-dc"],
        "industry=technology": ["big-dc"],  # a main industry covers its branches
        "industry=forest_bioeconomy": ["small-kuhmo"],
        "min_area_ha=10&max_area_ha=20": ["mid-sotkamo"],
        "min_power_mw=50": ["big-dc"],
        "rail=1&sort=area_asc": ["mid-sotkamo", "big-dc"],
        "zoning=master_plan": ["small-kuhmo"],
        "sort=area_desc": ["big-dc", "mid-sotkamo", "small-kuhmo"],
        "sort=power_desc&min_power_mw=abc": ["big-dc", "mid-sotkamo", "small-kuhmo"],
        "q=sotkamo": [],
    }
    for query, expected in cases.items():
        page = client.get(f"/fi/sites?{query}")
        assert page.status_code == 200, query
        assert _result_slugs(page.text) == expected, query
    filtered = client.get("/en/sites?rail=1&municipality=765")
    assert "Sites found: 1" in filtered.text
    # The canonical URL and the language switch keep the filters.
    assert (
        'rel="canonical" href="http://127.0.0.1:8000/en/sites?municipality=765&amp;rail=1"'
        in filtered.text
    )
    assert 'href="/fi/sites?municipality=765&amp;rail=1" hreflang="fi"' in filtered.text


def test_pagination_and_count(client: TestClient, publish) -> None:
    for n in range(14):
        publish(slug=f"plot-{n:02d}", name_fi=f"Tontti {n:02d}", name_en=f"Plot {n:02d}")
    first = client.get("/en/sites?sort=name")
    second = client.get("/en/sites?sort=name&page=2")
    assert "Sites found: 14" in first.text
    assert _result_slugs(first.text) == [f"plot-{n:02d}" for n in range(12)]
    assert _result_slugs(second.text) == ["plot-12", "plot-13"]
    assert 'rel="next" href="/en/sites?sort=name&amp;page=2"' in first.text
    assert "Page 2 of 2" in second.text


def test_site_page_facts_json_ld_and_opengraph(client: TestClient, publish) -> None:
    site = publish(
        slug="kajaani-dc",
        name_fi="Datakeskustontti",
        name_en="Data-centre plot",
        description_en="Green power & cool air.",
        kind="data_centre",
        area_ha=12.0,
        available_power_mw=60.0,
        rail_siding=False,
        fibre=True,
        tenure="sale_or_lease",
        price_eur=250000,
        latitude=64.218,
        longitude=27.689,
        contact_email="kajaani@example.com",
        industries=("ict_data_centres",),
    )
    page = client.get(f"/en/sites/{site.slug}")
    assert page.status_code == 200
    assert "<h1>Data-centre plot</h1>" in page.text
    assert "60 MW" in page.text and "€250,000" in page.text
    assert 'href="/en/inquiry?site=kajaani-dc"' in page.text
    assert '<meta property="og:title" content="Data-centre plot">' in page.text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/en/sites/kajaani-dc">' in page.text
    data = _json_ld(page.text)
    place, listing = data["@graph"]
    assert data["@context"] == "https://schema.org"
    assert place["@type"] == "Place"
    assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 64.218, "longitude": 27.689}
    assert place["containedInPlace"]["name"] == "Kajaani"
    assert place["containedInPlace"]["containedInPlace"]["name"] == "Kainuu"
    features = {f["name"]: f["value"] for f in place["amenityFeature"]}
    assert features == {"Rail siding": False, "Fibre broadband": True, "Available power": 60.0}
    assert listing["@type"] == "RealEstateListing"
    assert [o["businessFunction"] for o in listing["offers"]] == [
        "http://purl.org/goodrelations/v1#Sell",
        "http://purl.org/goodrelations/v1#LeaseOut",
    ]
    assert listing["offers"][0]["price"] == 250000
    assert listing["offers"][0]["priceCurrency"] == "EUR"
    fi = client.get(f"/fi/sites/{site.slug}")
    assert _json_ld(fi.text)["@graph"][0]["amenityFeature"][0]["name"] == "Pistoraide"


def test_withdrawn_site_is_gone_with_a_link_back(client: TestClient, publish, db: Session) -> None:
    site = publish(slug="was-here")
    site.status = "withdrawn"
    db.commit()
    page = client.get("/en/sites/was-here", headers=HTML)
    assert page.status_code == 410
    assert 'href="/en/sites?municipality=205"' in page.text
    expired = publish(slug="not-verified", last_verified_on=today() - timedelta(days=800))
    assert client.get(f"/fi/sites/{expired.slug}", headers=HTML).status_code == 410
    never = client.get("/en/sites/never-existed", headers=HTML)
    assert never.status_code == 404
    assert "Page not found" in never.text


def test_draft_site_is_not_found(client: TestClient, factory: Factory) -> None:
    factory.site(slug="a-draft", status="draft", last_verified_on=today())
    assert client.get("/en/sites/a-draft", headers=HTML).status_code == 404


def test_user_text_is_escaped_everywhere(client: TestClient, publish) -> None:
    evil = '<script>alert("x")</script></script><b>'
    site = publish(slug="evil", name_en=evil, name_fi=evil, description_en=evil)
    page = client.get(f"/en/sites/{site.slug}")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    # Inside JSON-LD the text stays data: no '<' can close the script element.
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert block and "<" not in block.group(1)
    assert _json_ld(page.text)["@graph"][0]["name"] == evil
    listing = client.get("/en/sites")
    assert "<script>alert" not in listing.text
    assert "<b>" not in listing.text


def test_security_headers_and_csp_allow_tiles_for_images_only(client: TestClient, publish) -> None:
    site = publish(slug="csp")
    page = client.get(f"/en/sites/{site.slug}")
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert csp.count("tile.openstreetmap.org") == 1
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/portal/leaflet/leaflet.js' in page.text
    assert re.search(r"<script>(?!</)", page.text) is None  # no inline script


def test_etag_and_304_until_content_changes(client: TestClient, publish, db: Session) -> None:
    site = publish(slug="cached")
    first = client.get("/en/sites")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = client.get("/en/sites", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get("/fi/sites", headers={"if-none-match": etag}).status_code == 200
    assert client.get("/en/sites?rail=1", headers={"if-none-match": etag}).status_code == 200
    site.public_changed_at = datetime.now(UTC) + timedelta(seconds=5)
    db.commit()
    changed = client.get("/en/sites", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_municipality_and_industry_pages(client: TestClient, publish) -> None:
    publish(
        slug="sotkamo-plot",
        municipality="765",
        name_en="Sotkamo plot",
        industries=("mining_chemicals",),
    )
    page = client.get("/en/municipalities/765")
    assert page.status_code == 200
    assert "<h1>Sotkamo</h1>" in page.text and "Terrafame" in page.text
    assert _result_slugs(page.text) == ["sotkamo-plot"]
    fi = client.get("/fi/municipalities/765")
    assert "Terrafamen" in fi.text
    industry = client.get("/en/industries/mining_chemicals")
    assert "Sustainable mining and the chemical industry" in industry.text
    assert _result_slugs(industry.text) == ["sotkamo-plot"]
    assert client.get("/en/municipalities/999", headers=HTML).status_code == 404
    assert client.get("/en/industries/nothing", headers=HTML).status_code == 404


def test_sitemap_lists_both_languages_and_robots(
    client: TestClient, publish, factory: Factory
) -> None:
    publish(slug="in-sitemap")
    factory.site(slug="draft-not-in-sitemap", status="draft", last_verified_on=today())
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    assert sitemap.headers["content-type"].startswith("application/xml")
    body = sitemap.text
    assert "<loc>http://127.0.0.1:8000/fi/sites/in-sitemap</loc>" in body
    assert "<loc>http://127.0.0.1:8000/en/sites/in-sitemap</loc>" in body
    assert (
        '<xhtml:link rel="alternate" hreflang="en" href="http://127.0.0.1:8000/en/sites/in-sitemap"/>'
        in body
    )
    assert "<loc>http://127.0.0.1:8000/en/municipalities/205</loc>" in body
    assert "draft-not-in-sitemap" not in body
    robots = client.get("/robots.txt")
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots.text
    assert "Disallow: /api/" in robots.text


def test_privacy_notice_is_versioned(client: TestClient) -> None:
    current = client.get("/en/privacy")
    assert "Version 2026-01" in current.text
    assert client.get("/fi/privacy/2026-01").status_code == 200
    assert client.get("/en/privacy/1999-01", headers=HTML).status_code == 404


def test_staff_paths_are_not_portal_pages(client: TestClient) -> None:
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert client.get("/de/sites", headers=HTML).status_code == 404


def test_the_total_is_right_on_the_last_page_and_past_it(client: TestClient, publish) -> None:
    """A page that is not full tells the total without a count; one past the end does not."""
    for n in range(14):
        publish(slug=f"plot-{n:02d}", name_fi=f"Tontti {n:02d}", rail_siding=n < 3)
    last = client.get("/en/sites?sort=name&page=2")
    past = client.get("/en/sites?sort=name&page=3")
    single = client.get("/en/sites?rail=1")
    assert "Sites found: 14" in last.text and "Page 2 of 2" in last.text
    assert "Sites found: 14" in past.text and _result_slugs(past.text) == []
    assert "Sites found: 3" in single.text and len(_result_slugs(single.text)) == 3


def test_a_card_shows_the_first_approved_photo(client: TestClient, db: Session, publish) -> None:
    site = publish(slug="photos", name_en="Photos plot")
    files = {
        "document": dict(kind="document", sort_order=0),
        "pending": dict(kind="photo", sort_order=0, revision_id=uuid.uuid4()),
        "second": dict(kind="photo", sort_order=2),
        "first": dict(kind="photo", sort_order=1),
    }
    rows = {
        name: SiteAttachment(
            site_id=site.id,
            filename=f"{name}.jpg",
            content_type="image/jpeg",
            size_bytes=1,
            sha256=f"{i:064d}",
            storage_key=f"k-{name}",
            thumbnail_key=f"t-{name}",
            **values,
        )
        for i, (name, values) in enumerate(files.items())
    }
    db.add_all(rows.values())
    db.commit()
    for url in ("/en/sites", "/en/municipalities/205", "/en/"):
        page = client.get(url)
        thumbnails = re.findall(r'src="/site-files/([^"/]+)/thumbnail"', page.text)
        assert thumbnails == [str(rows["first"].id)], url


def test_a_main_industry_finds_the_sites_of_its_inactive_branches(
    client: TestClient, db: Session, publish
) -> None:
    publish(slug="game-studio", industries=("game_industry",))
    branch = db.get(Industry, "game_industry")
    assert branch is not None and branch.parent_code == "technology"
    branch.active = False
    db.commit()
    search = client.get("/en/sites?industry=technology")
    assert _result_slugs(search.text) == ["game-studio"]
    assert "Sites found: 1" in search.text
    assert _result_slugs(client.get("/en/industries/technology").text) == ["game-studio"]


def test_site_photos_are_shown_and_served_to_anonymous_visitors(
    client: TestClient, db: Session, publish, settings: Settings, tmp_path: Path
) -> None:
    settings_dir = settings.storage_dir
    settings.storage_dir = tmp_path
    try:
        site = publish(slug="with-photo", name_en="Photo plot")
        image = io.BytesIO()
        Image.new("RGB", (640, 400), (40, 90, 120)).save(image, format="JPEG")
        data = image.getvalue()
        stored = site_service.store_file(storage_for(settings), data, "image/jpeg", [])
        photo = site_service.attachment_row(
            SYSTEM_ACTOR,
            site,
            stored,
            filename="a.jpg",
            content_type="image/jpeg",
            size=len(data),
            kind=AttachmentKind.PHOTO,
            title_fi="Ilmakuva",
            title_en="Aerial view",
            sort_order=0,
        )
        db.add(photo)
        db.commit()
        page = client.get("/en/sites/with-photo")
        assert f'<img src="/site-files/{photo.id}" alt="Aerial view"' in page.text
        assert (
            f'<meta property="og:image" content="http://127.0.0.1:8000/site-files/{photo.id}">'
            in page.text
        )
        listing = client.get("/en/sites")
        assert f'src="/site-files/{photo.id}/thumbnail"' in listing.text
        thumb = client.get(f"/site-files/{photo.id}/thumbnail")
        assert thumb.status_code == 200
        assert thumb.headers["content-type"] == "image/jpeg"
        site.status = "withdrawn"
        db.commit()
        assert client.get(f"/site-files/{photo.id}").status_code == 404
    finally:
        settings.storage_dir = settings_dir


def test_search_form_submission_redirects_to_a_clean_url(client: TestClient) -> None:
    response = client.get(
        "/en/sites?q=&municipality=205&kind=&min_power_mw=20&rail=&sort=newest&page=1",
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["location"] == "/en/sites?municipality=205&min_power_mw=20"
    only_empty = client.get("/fi/sites?q=&kind=", follow_redirects=False)
    assert only_empty.headers["location"] == "/fi/sites"


def test_cards_use_the_page_language(client: TestClient, publish) -> None:
    publish(slug="dc", kind="data_centre", area_ha=3.0)
    en = client.get("/en/sites")
    assert "Data-centre site · Kajaani" in en.text
    assert "<dt>Area</dt>" in en.text
    fi = client.get("/fi/sites")
    assert "Datakeskusalue · Kajaani" in fi.text
    assert "<dt>Pinta-ala</dt>" in fi.text


def test_home_shows_target_progress_as_aggregates_only(
    client: TestClient, db: Session, factory: Factory
) -> None:
    from datetime import date

    from app.db.audit import bind_actor
    from app.db.models import InvestmentTarget

    bind_actor(db, SYSTEM_ACTOR)
    this_year = today().year
    db.add(
        InvestmentTarget(
            name="Portal test target",
            amount_eur=1_000_000_000,
            period_start=date(this_year - 1, 1, 1),
            period_end=date(this_year + 1, 12, 31),
            scope="all",
        )
    )
    org = factory.organization(name="Secret Investor Oy")
    factory.lead(
        stage="landed",
        code_name="Project Hush",
        organization_id=org.id,
        capex_eur=250_000_000,
        capex_status="realised",
        landed_on=today() - timedelta(days=10),
    )
    page = client.get("/en/")
    assert "€1,000,000,000" in page.text
    assert "€250,000,000" in page.text
    assert "25 % of the goal" in page.text
    assert "Project Hush" not in page.text and "Secret Investor" not in page.text


def test_public_pages_are_compressed_and_the_inquiry_form_is_not(
    client: TestClient, publish
) -> None:
    publish(name_fi="Pakattu tontti")
    for path in ("/en/", "/en/sites", "/fi/sites?near=205&radius_km=30&sort=distance"):
        page = client.get(path, headers={"accept-encoding": "gzip"})
        assert page.status_code == 200
        assert page.headers["content-encoding"] == "gzip", path
        assert "accept-encoding" in page.headers["vary"].lower()
        # The cached answer (served before routing) is compressed too.
        again = client.get(path, headers={"accept-encoding": "gzip"})
        assert again.headers["content-encoding"] == "gzip" and again.text == page.text
    plain = client.get("/en/sites", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    # A form with a CSRF token beside what the visitor typed: never compressed (BREACH).
    form = client.get("/en/inquiry", headers={"accept-encoding": "gzip"})
    assert form.status_code == 200 and "content-encoding" not in form.headers
