"""Search by distance over HTTP, and the fact-sheet and shortlist PDFs parsed for the
site names, distances and contact in both languages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.services.sites import helsinki_today

KUHMO = {"municipality_code": "290", "latitude": 64.1300, "longitude": 29.5200}
SOTKAMO = {"municipality_code": "765", "latitude": 64.1400, "longitude": 28.3900}
KAJAANI = {"municipality_code": "205", "latitude": 64.2300, "longitude": 27.7300}


def names(page: str) -> list[str]:
    # A Finnish name on an English page carries lang="fi".
    return re.findall(r'class="card-title"><a href="[^"]+"[^>]*>([^<]+)</a>', page)


def test_search_by_town_and_radius_filters_and_sorts_by_distance(
    new_site: Callable[..., dict[str, Any]], client: TestClient
) -> None:
    new_site(name_fi="Kuhmon tontti", **KUHMO)
    new_site(name_fi="Sotkamon tontti", **SOTKAMO)
    new_site(name_fi="Kajaanin tontti", **KAJAANI)
    # Kajaani–Sotkamo is about 34 km, Kajaani–Kuhmo about 87 km.
    near = client.get("/fi/sites?near=centre-kajaani&radius_km=50&sort=distance")
    assert near.status_code == 200
    assert names(near.text) == ["Kajaanin tontti", "Sotkamon tontti"]
    # A municipality stands for its town centre; without a radius, all, nearest first.
    everything = client.get("/en/sites?near=290&sort=distance")
    assert names(everything.text) == ["Kuhmon tontti", "Sotkamon tontti", "Kajaanin tontti"]
    # A point: near Sotkamo's centre, 10 km.
    point = client.get("/en/sites?lat=64.1313&lon=28.3903&radius_km=10")
    assert names(point.text) == ["Sotkamon tontti"]
    assert re.search(r"<dt>Distance</dt><dd>1(\.0)? km</dd>", point.text)  # 0.97 km
    # Nonsense is dropped, not a 5xx: an unknown town and a radius that is no number.
    odd = client.get("/en/sites?near=atlantis&radius_km=far&sort=distance")
    assert odd.status_code in (200, 302)


def test_available_now_leaves_out_sites_available_later(
    new_site: Callable[..., dict[str, Any]], client: TestClient
) -> None:
    later = (helsinki_today() + timedelta(days=200)).isoformat()
    new_site(name_fi="Heti", **KAJAANI)
    new_site(name_fi="Myöhemmin", available_from=later, **KAJAANI)
    assert sorted(names(client.get("/fi/sites").text)) == ["Heti", "Myöhemmin"]
    assert names(client.get("/fi/sites?available=1").text) == ["Heti"]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fi", ["Esite", "Etäisyydet", "Kajaanin lentoasema (KAJ): 6,4 km"]),
        ("en", ["Fact sheet", "Distances", "Kajaani Airport (KAJ): 6.4 km"]),
    ],
)
def test_the_fact_sheet_names_the_site_its_distances_and_contact(
    new_site: Callable[..., dict[str, Any]], client: TestClient, lang: str, expected: list[str]
) -> None:
    site = new_site(
        name_fi="Esitetontti",
        name_en="Brochure plot",
        contact_name="Kaisa Kainuulainen",
        contact_email="kaisa@kajaani.example",
        contact_phone="+358 44 123 4567",
        **KAJAANI,
    )
    response = client.get(f"/{lang}/sites/{site['slug']}/fact-sheet.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert ("Esitetontti" if lang == "fi" else "Brochure plot") in text
    for part in expected:
        assert part in text, (part, text)
    for part in ("Kaisa Kainuulainen", "kaisa@kajaani.example", "+358 44 123 4567"):
        assert part in text
    assert f"/{lang}/sites/{site['slug']}" in text.replace(" ", "")
    assert "airport-kajaani" not in text and "industrial_plot" not in text


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_the_shortlist_has_a_summary_and_a_section_per_site(
    new_site: Callable[..., dict[str, Any]], client: TestClient, lang: str
) -> None:
    a = new_site(name_fi="Ensimmäinen", name_en="First", **KAJAANI)
    b = new_site(name_fi="Toinen", name_en="Second", **SOTKAMO)
    response = client.get(f"/{lang}/shortlist.pdf", params={"sites": f"{b['slug']},{a['slug']}"})
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3  # the summary, then one page per site
    summary = re.sub(r"\s+", " ", reader.pages[0].extract_text() or "")
    first, second = ("Ensimmäinen", "Toinen") if lang == "fi" else ("First", "Second")
    assert summary.index(second) < summary.index(first)  # the order given
    assert ("Kohteiden lyhytlista" if lang == "fi" else "Shortlist of sites") in summary
    assert ("Sotkamo" in summary) and ("Kajaani" in summary)
    sections = [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages[1:]]
    assert second in sections[0] and first in sections[1]


def test_a_bad_shortlist_is_a_clear_4xx(client: TestClient) -> None:
    empty = client.get("/en/shortlist.pdf", params={"sites": " , "})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "sites"
    missing = client.get("/en/shortlist.pdf", params={"sites": "no-such-site"})
    assert missing.status_code == 404
    too_many = client.get(
        "/en/shortlist.pdf", params={"sites": ",".join(f"s{i}" for i in range(13))}
    )
    assert too_many.status_code == 422
    assert client.get("/fi/sites/no-such-site/fact-sheet.pdf").status_code == 404
