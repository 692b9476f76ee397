"""Open site data as OGC API – Features, read over HTTP as GIS users and portals would:
an independent client (OWSLib) against a live server, paging links, the bbox and
datetime filters, bad input, content negotiation and cache validators, and that
nothing but published, current sites ever appears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from owslib.ogcapi.features import Features

from app.db.models import Site
from tests.portal.conftest import today
from tests.portal.test_queries import _add_sites, counted

ITEMS = "/ogc/collections/sites/items"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
HTML_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"


def _path(href: str) -> str:
    """A link's path and query: links are absolute under BASE_URL, the test client is not."""
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def _link(body: dict[str, Any], rel: str) -> str | None:
    found = [link["href"] for link in body["links"] if link["rel"] == rel]
    return _path(found[0]) if found else None


def _ids(body: dict[str, Any]) -> list[str]:
    return [feature["id"] for feature in body["features"]]


# --- an independent client ---------------------------------------------------------------


def test_owslib_reads_landing_page_conformance_collections_items_and_one_item(
    live_server: str,
) -> None:
    api = Features(f"{live_server}/ogc")
    assert {link["rel"] for link in api.links} >= {
        "self",
        "service-desc",
        "conformance",
        "data",
    }
    assert {CORE, GEOJSON_CLASS, HTML_CLASS} <= set(api.conformance()["conformsTo"])
    assert api.feature_collections() == ["sites"]
    collection = api.collection("sites")
    west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
    assert 26 < west <= east < 31 and 63 < south <= north < 66  # Kainuu

    everything = api.collection_items("sites", limit=1000)
    assert everything["numberMatched"] == everything["numberReturned"] >= 3
    kajaani = [27.5, 64.1, 27.9, 64.4]
    found = api.collection_items("sites", bbox=kajaani, limit=2)
    assert 1 <= found["numberReturned"] <= 2
    for feature in found["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert kajaani[0] <= lon <= kajaani[2] and kajaani[1] <= lat <= kajaani[3]
    assert found["numberMatched"] < everything["numberMatched"]

    first = found["features"][0]
    one = api.collection_item("sites", first["id"])
    assert one["id"] == first["id"]
    assert one["properties"]["municipality_name"]
    assert one["properties"]["portal_url"].startswith(live_server.split(":")[0])


# --- paging -----------------------------------------------------------------------------


def test_paging_follows_next_and_prev_links_without_overlap(client: TestClient, publish) -> None:  # type: ignore[no-untyped-def]
    slugs = {publish().slug for _ in range(5)}
    page = client.get(ITEMS, params={"limit": 2}).json()
    assert (page["numberMatched"], page["numberReturned"]) == (5, 2)
    assert _link(page, "prev") is None
    seen = _ids(page)
    second = client.get(_link(page, "next") or "").json()
    assert _link(second, "prev") is not None
    assert client.get(_link(second, "prev") or "").json()["features"] == page["features"]
    seen += _ids(second)
    last = client.get(_link(second, "next") or "").json()
    seen += _ids(last)
    assert last["numberReturned"] == 1 and _link(last, "next") is None
    assert sorted(seen) == sorted(slugs)
    assert datetime.fromisoformat(last["timeStamp"]).tzinfo is not None


def test_limit_defaults_to_ten_and_above_the_maximum_gives_the_maximum(
    client: TestClient,
    publish,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(11):
        publish()
    assert client.get(ITEMS).json()["numberReturned"] == 10
    body = client.get(ITEMS, params={"limit": 5000}).json()
    assert body["numberReturned"] == 11
    assert "limit=1000" in (_link(body, "self") or "")


# --- filters ------------------------------------------------------------------------------


def test_a_site_with_a_boundary_is_its_polygon_with_its_point_kept(
    client: TestClient,
    publish,  # type: ignore[no-untyped-def]
) -> None:
    ring = [
        [27.727, 64.226],
        [27.73, 64.226],
        [27.73, 64.2275],
        [27.727, 64.2275],
        [27.727, 64.226],
    ]
    site = publish(
        latitude=64.227, longitude=27.7285, polygon={"type": "Polygon", "coordinates": [ring]}
    )
    feature = client.get(f"/ogc/collections/sites/items/{site.slug}").json()
    assert feature["geometry"] == {"type": "Polygon", "coordinates": [ring]}
    assert feature["properties"]["location"] == [27.7285, 64.227]


def test_bbox_selects_by_location_in_longitude_latitude_order(client: TestClient, publish) -> None:  # type: ignore[no-untyped-def]
    kajaani = publish(latitude=64.22, longitude=27.73).slug
    suomussalmi = publish("777", latitude=64.89, longitude=28.91).slug
    publish(latitude=None, longitude=None)  # no location: outside every box
    box = client.get(ITEMS, params={"bbox": "27.5,64.0,28.0,64.5"}).json()
    assert _ids(box) == [kajaani]
    assert box["features"][0]["geometry"] == {"type": "Point", "coordinates": [27.73, 64.22]}
    # Latitude first finds nothing: the order matters.
    assert client.get(ITEMS, params={"bbox": "64.0,27.5,64.5,28.0"}).json()["features"] == []
    with_heights = client.get(ITEMS, params={"bbox": "28.5,64.5,0,29.5,65.0,100"}).json()
    assert _ids(with_heights) == [suomussalmi]


def test_datetime_filters_on_the_last_public_change(client: TestClient, publish) -> None:  # type: ignore[no-untyped-def]
    def at(day: int) -> datetime:
        return datetime(2026, 3, day, 12, 0, tzinfo=UTC)

    early = publish(public_changed_at=at(1)).slug
    middle = publish(public_changed_at=at(10)).slug
    late = publish(public_changed_at=at(20)).slug

    def matching(value: str) -> set[str]:
        response = client.get(ITEMS, params={"datetime": value})
        assert response.status_code == 200, response.text
        return set(_ids(response.json()))

    assert matching("2026-03-10T12:00:00Z") == {middle}
    assert matching("2026-03-10") == {middle}  # a date is the whole day
    assert matching("2026-03-05T00:00:00Z/2026-03-15T00:00:00Z") == {middle}
    assert matching("../2026-03-10") == {early, middle}
    assert matching("2026-03-10T12:00:00+02:00/..") == {middle, late}
    assert matching("2026-03-11/") == {late}
    assert matching("../..") == {early, middle, late}


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "27,64,28"}, "bbox"),
        ({"bbox": "27,65,28,64"}, "bbox"),
        ({"bbox": "27,64,190,65"}, "bbox"),
        ({"bbox": "27,64,28,nan"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "99999999999"}, "offset"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2026-03-10T12:00:00"}, "datetime"),  # no time zone
        ({"datetime": "2026-03-20/2026-03-10"}, "datetime"),
        ({"datetime": "2026-02-30"}, "datetime"),
        ({"f": "xml"}, "f"),
        ({"lang": "de"}, "lang"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_parameters_answer_400_problem_details_naming_the_parameter(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get(ITEMS, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert [e["field"] for e in problem["errors"]] == [field]
    assert response.headers["access-control-allow-origin"] == "*"


def test_every_bad_parameter_is_named_at_once_and_in_the_page_language(
    client: TestClient,
) -> None:
    params = {"bbox": "x", "limit": "0", "datetime": "soon"}
    problem = client.get(ITEMS, params=params).json()
    assert {e["field"] for e in problem["errors"]} == {"bbox", "limit", "datetime"}
    page = client.get(ITEMS, params={**params, "f": "html", "lang": "fi"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Anna neljä tai kuusi pilkuin erotettua lukua." in page.text


def test_a_missing_feature_is_404(client: TestClient) -> None:
    response = client.get(f"{ITEMS}/no-such-site")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --- what is public -----------------------------------------------------------------------


def test_only_published_current_sites_ever_appear(
    client: TestClient,
    factory,  # type: ignore[no-untyped-def]
    publish,  # type: ignore[no-untyped-def]
) -> None:
    shown = publish(name_fi="Julkinen tontti").slug
    hidden: list[Site] = [
        factory.site(status="draft", name_fi="Luonnos", latitude=64.2, longitude=27.7),
        factory.site(status="submitted", name_fi="Tarkastettavana", latitude=64.2, longitude=27.7),
        factory.site(
            status="withdrawn",
            name_fi="Vedetty pois",
            published_at=datetime.now(UTC),
            last_verified_on=today(),
            latitude=64.2,
            longitude=27.7,
        ),
        publish(name_fi="Vanhentunut", last_verified_on=today() - timedelta(days=800)),
    ]
    body = client.get(ITEMS, params={"limit": 1000}).json()
    assert _ids(body) == [shown] and body["numberMatched"] == 1
    text = client.get(ITEMS, params={"f": "html"}).text
    for site in hidden:
        assert site.name_fi not in text
        assert client.get(f"{ITEMS}/{site.slug}").status_code == 404
    assert client.get(f"{ITEMS}/{shown}").status_code == 200
    extent = client.get("/ogc/collections/sites").json()["extent"]
    assert extent["spatial"]["bbox"] == [[27.73, 64.22, 27.73, 64.22]]


# --- formats, languages and caching ---------------------------------------------------------


def test_features_give_codes_beside_names_and_link_the_portal(client: TestClient, publish) -> None:  # type: ignore[no-untyped-def]
    site = publish(industries=("ict_data_centres",), zoning_status="detailed_plan")
    feature = client.get(f"{ITEMS}/{site.slug}", params={"lang": "en"}).json()
    properties = feature["properties"]
    assert properties["municipality_code"] == "205"
    assert properties["municipality_name"] == "Kajaani"
    assert properties["industry_codes"] == ["ict_data_centres"]
    assert properties["industry_names"] == ["ICT and data centres"]
    assert (properties["zoning_status"], properties["zoning_status_name"]) == (
        "detailed_plan",
        "Detailed plan in force",
    )
    assert properties["portal_url"].endswith(f"/en/sites/{site.slug}")
    assert {(link["rel"], link.get("hreflang")) for link in feature["links"]} >= {
        ("self", None),
        ("alternate", None),
        ("collection", None),
        ("related", "fi"),
        ("related", "en"),
    }
    finnish = client.get(f"{ITEMS}/{site.slug}", params={"lang": "fi"}).json()
    assert finnish["properties"]["industry_names"] == ["ICT ja datakeskukset"]


@pytest.mark.parametrize(
    ("path", "json_type"),
    [
        ("/ogc", "application/json"),
        ("/ogc/conformance", "application/json"),
        ("/ogc/collections", "application/json"),
        ("/ogc/collections/sites", "application/json"),
        (ITEMS, "application/geo+json"),
    ],
)
def test_json_or_html_by_f_or_accept_with_cors_and_cache_validators(
    client: TestClient,
    publish,  # type: ignore[no-untyped-def]
    path: str,
    json_type: str,
) -> None:
    publish()
    assert client.get(path).headers["content-type"] == json_type
    assert client.get(path, params={"f": "json"}).headers["content-type"] == json_type
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get(path, headers={"Accept": browser})
    assert page.headers["content-type"].startswith("text/html")
    assert client.get(path, params={"f": "html"}).headers["content-type"].startswith("text/html")
    geojson = client.get(path, headers={"Accept": "application/geo+json"})
    assert geojson.headers["content-type"] == json_type

    response = client.get(path)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Accept" in response.headers["vary"]
    assert response.headers["last-modified"].endswith("GMT")
    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["access-control-allow-origin"] == "*"
    # The HTML has its own validator: a cache never answers one with the other.
    assert page.headers["etag"] != response.headers["etag"]


def test_a_change_to_a_site_changes_the_validator(
    client: TestClient,
    db,  # type: ignore[no-untyped-def]
    publish,  # type: ignore[no-untyped-def]
) -> None:
    site = publish()
    etag = client.get(ITEMS).headers["etag"]
    site.status = "withdrawn"
    site.public_changed_at = datetime.now(UTC) + timedelta(seconds=1)
    db.commit()
    response = client.get(ITEMS, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["features"] == []


@pytest.mark.parametrize(
    ("lang", "heading", "kind"),
    [("fi", "Avoin data", "Teollisuustontti"), ("en", "Open data", "Industrial plot")],
)
def test_html_pages_speak_the_readers_language_and_show_names_not_codes(
    client: TestClient,
    publish,  # type: ignore[no-untyped-def]
    lang: str,
    heading: str,
    kind: str,
) -> None:
    site = publish(industries=("ict_data_centres",), zoning_status="detailed_plan")
    publish(public_changed_at=None)  # published before changes were dated
    landing = client.get("/ogc", params={"f": "html", "lang": lang})
    assert f'<html lang="{lang}">' in landing.text and heading in landing.text
    items = client.get(ITEMS, headers={"Accept": "text/html", "Accept-Language": lang})
    assert kind in items.text and "Kajaani" in items.text
    page = client.get(f"{ITEMS}/{site.slug}", params={"f": "html", "lang": lang})
    assert kind in page.text
    for code in ("industrial_plot", "ict_data_centres", "detailed_plan", ">205<"):
        assert code not in items.text and code not in page.text, code
    for path in ("/ogc/conformance", "/ogc/collections", "/ogc/collections/sites"):
        assert client.get(path, params={"f": "html", "lang": lang}).status_code == 200


@pytest.mark.parametrize(("lang", "text"), [("fi", "Avoin data"), ("en", "Open data")])
def test_the_portal_footer_links_the_open_data(client: TestClient, lang: str, text: str) -> None:
    home = client.get(f"/{lang}/").text
    assert f'<a href="/ogc?f=html&amp;lang={lang}">{text}</a>' in home


def test_the_service_description_is_an_openapi_document_of_the_service(
    client: TestClient,
) -> None:
    landing = client.get("/ogc").json()
    (desc,) = [link for link in landing["links"] if link["rel"] == "service-desc"]
    response = client.get(_path(desc["href"]))
    assert response.headers["content-type"] == desc["type"]
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert {
        "/ogc",
        "/ogc/collections/sites/items",
        "/ogc/collections/sites/items/{feature_id}",
    } <= set(document["paths"])
    names = {p["name"] for p in document["paths"][ITEMS]["get"]["parameters"]}
    assert {"bbox", "limit", "offset", "datetime", "f", "lang"} <= names
    # The staff API's document stays about the staff API.
    assert not any(path.startswith("/ogc") for path in client.get("/openapi.json").json()["paths"])


def test_a_page_of_sites_costs_the_same_statements_however_many_it_holds(
    client: TestClient,
    db,  # type: ignore[no-untyped-def]
    publish,  # type: ignore[no-untyped-def]
) -> None:
    def statements(url: str) -> int:
        with counted(db) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    _add_sites(publish, db, 2, 0)
    few = statements(f"{ITEMS}?limit=100"), statements(f"{ITEMS}?limit=100&f=html")
    _add_sites(publish, db, 10, 2)
    assert (statements(f"{ITEMS}?limit=100"), statements(f"{ITEMS}?limit=100&f=html")) == few
