"""Staff pages of events: list, month calendar, the event page and the feed address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from app.domain.access import Role
from app.domain.events import HELSINKI
from tests.events.conftest import Events
from tests.factories import csrf_from


def test_event_pages_for_the_coordinator_and_a_host(
    ev: Events, make_client: Callable[[], TestClient]
) -> None:
    event = ev.event(title="Visit of Project Heron")
    browser = make_client()
    ev.factory.login(browser, ev.coordinator)
    listing = browser.get("/events")
    assert listing.status_code == 200
    assert "Visit of Project Heron" in listing.text
    month = (ev.now + timedelta(days=10)).strftime("%Y-%m")
    calendar = browser.get(f"/events/calendar?month={month}")
    assert calendar.status_code == 200
    assert f'href="/events/{event["id"]}"' in calendar.text
    page = browser.get(f"/events/{event['id']}")
    assert page.status_code == 200
    confirm = browser.post(
        f"/events/{event['id']}/status",
        data={"csrf_token": csrf_from(page.text), "status": "confirmed"},
        follow_redirects=False,
    )
    assert confirm.status_code == 303
    assert (
        ev.client.get(f"/api/v1/events/{event['id']}", headers=ev.headers).json()["status"]
        == "confirmed"
    )
    ics = browser.get(f"/events/{event['id']}/event.ics")
    assert ics.headers["content-type"] == "text/calendar; charset=utf-8"

    issued = browser.post("/events/calendar/feed", data={"csrf_token": csrf_from(calendar.text)})
    assert issued.status_code == 200
    assert "/api/v1/calendar/" in issued.text
    again = browser.get("/events/calendar")
    assert "/api/v1/calendar/" not in again.text

    host = ev.factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    host_browser = make_client()
    ev.factory.login(host_browser, host)
    host_page = host_browser.get(f"/events/{event['id']}")
    assert host_page.status_code == 200
    start = (ev.now + timedelta(days=10, hours=4)).astimezone(HELSINKI).strftime("%Y-%m-%dT%H:%M")
    added = host_browser.post(
        f"/events/{event['id']}/itinerary",
        data={
            "csrf_token": csrf_from(host_page.text),
            "starts_at": start,
            "place": "Kajaanin linna",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    [stop] = ev.client.get(f"/api/v1/events/{event['id']}/itinerary", headers=ev.headers).json()
    assert (stop["place"], stop["host_municipality_code"]) == ("Kajaanin linna", "205")
    assert stop["starts_at"].startswith(
        (ev.now + timedelta(days=10, hours=4)).strftime("%Y-%m-%dT%H:%M")
    )
    outsider = ev.factory.user(Role.MUNICIPAL_CONTACT, municipality="290")
    outsider_browser = make_client()
    ev.factory.login(outsider_browser, outsider)
    assert outsider_browser.get(f"/events/{event['id']}").status_code == 404
