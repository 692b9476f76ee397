"""Pull: JSON Feed, Atom and GeoJSON with conditional GET, and the embeddable listing."""

from __future__ import annotations

from defusedxml import ElementTree as ET
from fastapi.testclient import TestClient

from app.web.assets import static_url
from tests.syndication.conftest import People, publish_site

ATOM = "{http://www.w3.org/2005/Atom}"


def _sites(client: TestClient, people: People) -> list[dict]:
    first = publish_site(client, people)
    second = publish_site(
        client,
        people,
        name_fi="Datakeskustontti",
        name_en="Data-centre plot",
        industry_codes=["ict_data_centres"],
        kind="data_centre",
    )
    draft = client.post(
        "/api/v1/sites",
        json={"kind": "premises", "name_fi": "Luonnos", "municipality_code": "205"},
        headers=people.contact,
    )
    assert draft.status_code == 201
    return [first, second]


def test_json_feed_has_the_required_fields_and_answers_304(
    client: TestClient, people: People
) -> None:
    first, second = _sites(client, people)
    response = client.get("/feeds/205/sites.json?lang=en")
    assert response.headers["content-type"] == "application/feed+json"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Invest in Kainuu: sites in Kajaani"
    assert [i["id"] for i in feed["items"]] == [second["id"], first["id"]]
    item = feed["items"][1]
    assert item["title"] == "Renforsin ranta plot"
    assert item["url"].endswith(f"/en/sites/{first['slug']}")
    assert "An industrial plot by the railway." in item["content_html"]
    assert item["date_published"] and item["_invest_kainuu"]["facts"]["area_ha"] == 4.5

    etag, modified = response.headers["etag"], response.headers["last-modified"]
    assert (
        client.get("/feeds/205/sites.json?lang=en", headers={"If-None-Match": etag}).status_code
        == 304
    )
    assert (
        client.get(
            "/feeds/205/sites.json?lang=en", headers={"If-Modified-Since": modified}
        ).status_code
        == 304
    )
    assert (
        client.get("/feeds/205/sites.json?lang=en", headers={"If-None-Match": '"x"'}).status_code
        == 200
    )
    region = client.get("/feeds/sites.json").json()
    assert {i["id"] for i in region["items"]} >= {first["id"], second["id"]}
    assert client.get("/feeds/765/sites.json").json()["items"] == []
    assert client.get("/feeds/999/sites.json").status_code == 404
    assert client.get("/feeds/205/sites.json?lang=de").status_code == 422


def test_atom_feed_parses_with_the_required_elements(client: TestClient, people: People) -> None:
    first, _ = _sites(client, people)
    response = client.get("/feeds/205/sites.atom")
    assert response.headers["content-type"] == "application/atom+xml"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    entry = entries[1]
    assert entry.findtext(f"{ATOM}id") == f"urn:uuid:{first['id']}"
    assert entry.findtext(f"{ATOM}title") == "Renforsin rannan tontti"
    assert entry.find(f"{ATOM}updated") is not None
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/fi/sites/{first['slug']}")
    assert entry.findtext("{http://www.georss.org/georss}point") == "64.2 27.7"
    etag = response.headers["etag"]
    assert client.get("/feeds/205/sites.atom", headers={"If-None-Match": etag}).status_code == 304


def test_geojson_is_longitude_first_and_changes_after_a_withdrawal(
    client: TestClient, people: People
) -> None:
    first, second = _sites(client, people)
    response = client.get("/feeds/205/sites.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    feature = next(f for f in collection["features"] if f["id"] == first["id"])
    assert feature["geometry"] == {"type": "Point", "coordinates": [27.7, 64.2]}
    assert feature["properties"]["name_en"] == "Renforsin ranta plot"
    etag = response.headers["etag"]
    client.post(f"/api/v1/sites/{second['id']}/withdraw", headers=people.contact)
    after = client.get("/feeds/205/sites.geojson", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert [f["id"] for f in after.json()["features"]] == [first["id"]]


def test_embed_renders_and_honours_its_parameters(client: TestClient, people: People) -> None:
    _sites(client, people)
    page = client.get("/embed/205")
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    assert '<html lang="fi">' in page.text
    assert "Investointikohteet, Kajaani" in page.text
    assert "Renforsin rannan tontti" in page.text and "Datakeskustontti" in page.text
    assert f'src="{static_url("embed-frame.js")}"' in page.text and "style=" not in page.text

    english = client.get("/embed/205?lang=en&accent=%23C0FFEE&industry=ict_data_centres")
    assert '<html lang="en">' in english.text
    assert "Sites for investment in Kajaani" in english.text
    assert "Data-centre plot" in english.text and "Renforsin ranta plot" not in english.text
    assert 'href="/embed/theme.css?accent=c0ffee"' in english.text
    theme = client.get("/embed/theme.css?accent=c0ffee")
    assert theme.headers["content-type"].startswith("text/css")
    assert theme.text == ":root { --accent: #c0ffee; --accent-ink: #000000; }\n"

    assert client.get("/embed/205?accent=red;}body{").status_code in (400, 422)
    assert client.get("/embed/205?accent=zzzzzz").status_code == 400
    assert client.get("/embed/205?industry=nope").status_code == 400
    assert client.get("/embed/205?lang=de").status_code == 422
    assert client.get("/embed/theme.css?accent=12345g").status_code == 400
    assert client.get("/embed/999").status_code == 404
    assert client.get("/static/embed-resize.js").status_code == 200
