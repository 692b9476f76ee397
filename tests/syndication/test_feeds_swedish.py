"""Feeds for Swedish readers: lang=sv is accepted, names municipalities in Swedish and
shows the Finnish site texts (sites are written in Finnish and English only)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.syndication.conftest import People, publish_site


def test_json_feed_in_swedish(client: TestClient, people: People) -> None:
    site = publish_site(client, people)
    response = client.get("/feeds/205/sites.json?lang=sv")
    assert response.status_code == 200
    feed = response.json()
    assert feed["language"] == "sv"
    assert "Kajana" in feed["title"]
    assert feed["feed_url"].endswith("/feeds/205/sites.json?lang=sv")
    [item] = feed["items"]
    assert item["language"] == "sv"
    assert item["title"] == site["name_fi"]
    assert item["url"].endswith(f"/sv/sites/{site['slug']}")


def test_atom_and_geojson_accept_swedish(client: TestClient, people: People) -> None:
    publish_site(client, people)
    atom = client.get("/feeds/205/sites.atom?lang=sv")
    assert atom.status_code == 200 and 'xml:lang="sv"' in atom.text
    assert client.get("/feeds/205/sites.geojson?lang=sv").status_code == 200
    assert client.get("/feeds/205/sites.json?lang=de").status_code == 422
