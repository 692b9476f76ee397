"""Host-municipality permissions, confidentiality, iCalendar output and the feed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from app.domain.access import Role
from tests.events.conftest import Events, parse_ics, problem_fields, vevents


def test_hosts_edit_their_own_itinerary_items_only(ev: Events) -> None:
    _, kajaani = ev.user(Role.MUNICIPAL_CONTACT, municipality="205")
    _, sotkamo = ev.user(Role.MUNICIPAL_CONTACT, municipality="765")
    event = ev.event()
    url = f"/api/v1/events/{event['id']}/itinerary"
    start = ev.now + timedelta(days=10, hours=1)

    mine = ev.post(
        url,
        # A host cannot put its stop in another municipality's name.
        {
            "starts_at": start.isoformat(),
            "place": "Renforsin Ranta",
            "host_municipality_code": "765",
        },
        kajaani,
    )
    assert mine.status_code == 201, mine.text
    assert (mine.json()["host_municipality_code"], mine.json()["editable"]) == ("205", True)
    theirs = ev.post(
        url, {"starts_at": (start + timedelta(hours=3)).isoformat(), "place": "Terrafame"}, sotkamo
    ).json()
    assert theirs["host_municipality_code"] == "765"

    own_edit = ev.client.patch(
        f"{url}/{mine.json()['id']}",
        json={"hosts": "Business director Kajaani", "host_municipality_code": "765"},
        headers=kajaani,
    )
    assert own_edit.status_code == 200, own_edit.text
    assert (own_edit.json()["hosts"], own_edit.json()["host_municipality_code"]) == (
        "Business director Kajaani",
        "205",
    )
    other_edit = ev.client.patch(f"{url}/{theirs['id']}", json={"hosts": "x"}, headers=kajaani)
    assert other_edit.status_code == 403
    assert ev.client.delete(f"{url}/{theirs['id']}", headers=kajaani).status_code == 403
    listed = ev.client.get(url, headers=kajaani).json()
    assert [(i["place"], i["editable"]) for i in listed] == [
        ("Renforsin Ranta", True),
        ("Terrafame", False),
    ]
    outside = ev.post(url, {"starts_at": (start + timedelta(days=3)).isoformat()}, kajaani)
    assert problem_fields(outside) == {("starts_at", "outside_event")}

    # Hosts do not run the event itself.
    new_event = {
        "kind": "other",
        "title": "x",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    assert ev.post("/api/v1/events", new_event, kajaani).status_code == 403
    assert (
        ev.client.patch(f"/api/v1/events/{event['id']}", json={"title": "x"}, headers=kajaani)
    ).status_code == 403
    assert (
        ev.post(
            f"/api/v1/events/{event['id']}/status", {"status": "confirmed"}, kajaani
        ).status_code
        == 403
    )
    assert ev.client.delete(f"{url}/{mine.json()['id']}", headers=kajaani).status_code == 204
    # Each itinerary change is a change calendars must pick up.
    assert (
        ev.client.get(f"/api/v1/events/{event['id']}", headers=ev.headers).json()["sequence"] == 4
    )


def test_non_host_municipality_does_not_see_a_confidential_visit(ev: Events) -> None:
    _, kuhmo = ev.user(Role.MUNICIPAL_CONTACT, municipality="290")
    _, kajaani = ev.user(Role.MUNICIPAL_CONTACT, municipality="205")
    contact = ev.contact()
    secret = ev.event(title="Project Falcon visit")
    public = ev.event(title="Delegation from Oulu", confidential=False, kind="delegation")
    ev.post(f"/api/v1/events/{public['id']}/participants", {"contact_id": contact["id"]})
    ev.post(f"/api/v1/events/{secret['id']}/participants", {"contact_id": contact["id"]})

    for path in ("", "/ics", "/itinerary", "/participants"):
        response = ev.client.get(f"/api/v1/events/{secret['id']}{path}", headers=kuhmo)
        assert response.status_code == 404, path
    assert (
        ev.post(
            f"/api/v1/events/{secret['id']}/itinerary",
            {"starts_at": (ev.now + timedelta(days=10, hours=1)).isoformat()},
            kuhmo,
        ).status_code
        == 404
    )
    listed = ev.client.get("/api/v1/events", headers=kuhmo).json()
    assert [e["title"] for e in listed["items"]] == ["Delegation from Oulu"]
    assert listed["total"] == 1

    # A visible event still hides who the foreign guests are from non-hosts …
    seen = ev.client.get(f"/api/v1/events/{public['id']}", headers=kuhmo).json()
    assert (seen["participants"], seen["hidden_guests"]) == ([], 1)
    ics = parse_ics(ev.client.get(f"/api/v1/events/{public['id']}/ics", headers=kuhmo).content)
    assert "ATTENDEE" not in vevents(ics)[0]
    # … while the host municipality sees them, but not the lead it has no need-to-know for.
    lead = ev.lead()
    ev.client.patch(
        f"/api/v1/events/{secret['id']}", json={"lead_ids": [lead["id"]]}, headers=ev.headers
    )
    hosted = ev.client.get(f"/api/v1/events/{secret['id']}", headers=kajaani).json()
    assert [p["name"] for p in hosted["participants"]] == ["Li Wei"]
    assert (hosted["hidden_guests"], hosted["leads"]) == (0, [])


def test_event_ics_uid_is_stable_and_sequence_grows(ev: Events) -> None:
    event = ev.event(description="Battery-chemicals site tour")
    url = f"/api/v1/events/{event['id']}"
    first = ev.client.get(f"{url}/ics", headers=ev.headers)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    [entry] = vevents(parse_ics(first.content))
    uid = f"event-{event['id']}@invest-kainuu"
    assert (str(entry["UID"]), entry["SEQUENCE"], str(entry["SUMMARY"])) == (
        uid,
        0,
        "Visit of Project Falcon",
    )
    assert entry.decoded("DTSTART") == ev.now + timedelta(days=10)
    assert entry.decoded("DTEND") == ev.now + timedelta(days=10, hours=8)
    assert str(entry["STATUS"]) == "TENTATIVE"
    assert str(entry["LOCATION"]) == "Kajaani"
    assert str(entry["DESCRIPTION"]) == "Battery-chemicals site tour"

    # Not shown in calendars: no new sequence.
    ev.client.patch(url, json={"confidential": False}, headers=ev.headers)
    moved = ev.client.patch(
        url,
        json={
            "starts_at": (ev.now + timedelta(days=11)).isoformat(),
            "ends_at": (ev.now + timedelta(days=11, hours=6)).isoformat(),
        },
        headers=ev.headers,
    )
    assert moved.json()["sequence"] == 1
    [entry] = vevents(parse_ics(ev.client.get(f"{url}/ics", headers=ev.headers).content))
    assert (str(entry["UID"]), entry["SEQUENCE"]) == (uid, 1)
    assert entry.decoded("DTSTART") == ev.now + timedelta(days=11)
    ev.post(
        f"{url}/itinerary",
        {
            "starts_at": (ev.now + timedelta(days=11, hours=2)).isoformat(),
            "place": "Otanmäki",
            "host_municipality_code": "205",
        },
    )
    [entry] = vevents(parse_ics(ev.client.get(f"{url}/ics", headers=ev.headers).content))
    assert entry["SEQUENCE"] == 2
    assert "Otanmäki" in str(entry["DESCRIPTION"])


def test_calendar_feed_token_shown_once_and_reset(ev: Events) -> None:
    _, kajaani = ev.user(Role.MUNICIPAL_CONTACT, municipality="205")
    hosted = ev.event(title="Hosted by Kajaani", host_municipality_codes=["205"])
    ev.event(title="Public elsewhere", host_municipality_codes=["290"], confidential=False)
    ev.event(title="Secret elsewhere", host_municipality_codes=["290"])

    assert ev.client.get("/api/v1/calendar/feed", headers=kajaani).json()["active"] is False
    issued = ev.post("/api/v1/calendar/feed", None, kajaani)
    assert issued.status_code == 201
    path = urlparse(issued.json()["url"]).path
    assert path.startswith("/api/v1/calendar/") and path.endswith(".ics")
    # Only the hash is kept: the state never repeats the URL.
    state = ev.client.get("/api/v1/calendar/feed", headers=kajaani).json()
    assert state["active"] is True and "url" not in state

    feed = ev.client.get(path)
    assert feed.status_code == 200
    calendar = parse_ics(feed.content)
    assert [str(e["SUMMARY"]) for e in vevents(calendar)] == ["Hosted by Kajaani"]
    assert [str(e["UID"]) for e in vevents(calendar)] == [f"event-{hosted['id']}@invest-kainuu"]

    coordinator_feed = urlparse(ev.post("/api/v1/calendar/feed").json()["url"]).path
    titles = sorted(
        str(e["SUMMARY"]) for e in vevents(parse_ics(ev.client.get(coordinator_feed).content))
    )
    assert titles == ["Hosted by Kajaani", "Public elsewhere", "Secret elsewhere"]

    reset = urlparse(ev.post("/api/v1/calendar/feed", None, kajaani).json()["url"]).path
    assert reset != path
    assert ev.client.get(path).status_code == 404
    assert ev.client.get(reset).status_code == 200
    assert ev.client.delete("/api/v1/calendar/feed", headers=kajaani).status_code == 204
    assert ev.client.get(reset).status_code == 404
