"""An office of people in every role, each with a logged-in browser and an API token,
and readers of what each of them is told (the list page and the bell)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, User
from app.domain.access import Role
from app.settings import Settings
from app.web.portal import render_cache
from tests.factories import Factory, csrf_from

ITEM = re.compile(
    r'action="/notifications/([0-9a-f-]{36})/open".*?<button type="submit" class="link">(.*?)'
    r"</button>",
    re.S,
)
BELL = re.compile(r'class="bell-count" aria-hidden="true">([0-9+]+)<')


@dataclass
class Person:
    user: User
    client: TestClient
    headers: dict[str, str]

    def page(self, path: str = "/notifications") -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.text

    def notices(self) -> list[str]:
        """The texts on the person's notification list, newest first."""
        return [html.unescape(text) for _id, text in ITEM.findall(self.page())]

    def notice_ids(self) -> list[str]:
        return [notice_id for notice_id, _text in ITEM.findall(self.page())]

    def bell(self, path: str = "/account") -> int:
        found = BELL.search(self.page(path))
        return int(found.group(1)) if found else 0

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, headers=self.headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


@dataclass
class Office:
    factory: Factory
    make_client: Callable[[], TestClient]
    people: dict[str, Person] = field(default_factory=dict)

    def add(self, key: str, role: Role, **kwargs: Any) -> Person:
        user = self.factory.user(role, **kwargs)
        client = self.make_client()
        self.factory.login(client, user)
        person = Person(user, client, self.factory.token(user))
        self.people[key] = person
        return person

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    def others(self, *keys: str) -> list[Person]:
        return [p for k, p in self.people.items() if k not in keys]


@pytest.fixture
def office(factory: Factory, make_client: Callable[[], TestClient], db: Session) -> Office:
    """Two coordinators, an admin, two Kajaani contacts, one from Sotkamo, the forum
    and a partner agency's user: every role, and a colleague beside some."""
    partner_org = factory.organization(name="Business Finland", type="partner_agency")
    office = Office(factory, make_client)
    office.add("coordinator", Role.COORDINATOR)
    office.add("coordinator2", Role.COORDINATOR)
    office.add("admin", Role.ADMIN)
    office.add("kajaani", Role.MUNICIPAL_CONTACT, municipality="205")
    office.add("kajaani2", Role.MUNICIPAL_CONTACT, municipality="205")
    office.add("sotkamo", Role.MUNICIPAL_CONTACT, municipality="765")
    office.add("forum", Role.FORUM_VIEWER)
    office.add("partner", Role.PARTNER, organization_id=partner_org.id)
    return office


@pytest.fixture
def client_portal_inquiry(
    office: Office, factory: Factory, db: Session, settings: Settings
) -> Iterator[Lead]:
    """An investor's inquiry, sent on the public portal about a Kajaani plot, after the
    office exists: the lead it became."""
    original = settings.portal_inquiry_min_seconds, settings.portal_version_ttl_seconds
    settings.portal_inquiry_min_seconds = 0
    settings.portal_version_ttl_seconds = 0
    render_cache.clear()
    site = factory.site(
        municipality="205",
        status="published",
        last_verified_on=datetime.now(UTC).date() - timedelta(days=30),
        published_at=datetime.now(UTC),
        public_changed_at=datetime.now(UTC),
        latitude=64.22,
        longitude=27.73,
    )
    investor = office.make_client()
    page = investor.get(f"/en/inquiry?site={site.slug}")
    assert page.status_code == 200, page.text
    started = page.text.split('name="started" value="')[1].split('"')[0]
    sent = investor.post(
        "/en/inquiry",
        data={
            "csrf_token": csrf_from(page.text),
            "started": started,
            "site": site.slug,
            "full_name": "Anna Investor",
            "organization": "Nordic Compute AB",
            "country": "SE",
            "email": "anna@nordiccompute.example",
            "message": "We plan a 40 MW data centre and look for a plot.",
            "consent": "yes",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    yield lead
    settings.portal_inquiry_min_seconds, settings.portal_version_ttl_seconds = original
    render_cache.clear()
