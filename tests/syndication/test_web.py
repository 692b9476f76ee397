"""Staff pages: the overview with snippets, creating a target, its page and the log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.domain.access import Role
from tests.factories import Factory, csrf_from


def test_coordinator_sees_every_municipality_with_its_embed_snippet(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    page = client.get("/syndication")
    assert page.status_code == 200
    assert page.text.count("data-invest-embed") == 8
    assert "/embed/205?lang=en" in page.text and "/static/embed-resize.js" in page.text
    assert 'href="/feeds/777/sites.atom"' in page.text


def test_contact_adds_a_webhook_and_works_it_from_the_pages(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT, municipality="205", language="fi"))
    page = client.get("/syndication")
    assert page.text.count("data-invest-embed") == 1
    refused = client.post(
        "/syndication/targets",
        data={
            "csrf_token": csrf_from(page.text),
            "municipality_code": "205",
            "name": "X",
            "kind": "webhook",
            "url": "gopher://x",
        },
    )
    assert refused.status_code == 422
    created = client.post(
        "/syndication/targets",
        data={
            "csrf_token": csrf_from(page.text),
            "municipality_code": "205",
            "name": "Kajaanin sivut",
            "kind": "webhook",
            "url": "https://kajaani.example/hook",
        },
    )
    assert created.status_code == 201
    assert re.search(r"<code>whsec_[A-Za-z0-9+/=]{44}</code>", created.text)
    target_path = re.search(r'action="(/syndication/targets/[0-9a-f-]{36})/test"', created.text)
    assert target_path
    path = target_path.group(1)
    token = csrf_from(created.text)
    tested = client.post(f"{path}/test", data={"csrf_token": token}, follow_redirects=True)
    assert "Testitapahtuma on jonossa" in tested.text
    paused = client.post(f"{path}/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "Keskeytetty" in paused.text
    log = client.get("/syndication/deliveries?status=pending")
    assert log.status_code == 200 and "Testitapahtuma" in log.text
    other = factory.user(Role.MUNICIPAL_CONTACT, municipality="765")
    client.post("/logout", data={"csrf_token": csrf_from(log.text)})
    factory.login(client, other)
    assert client.get(path).status_code == 404
