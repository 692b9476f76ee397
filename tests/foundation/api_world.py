"""A small world of records, planted through the API as a coordinator, so that tests that
walk every operation (the fuzz test, the null-in-PATCH test) find ids that exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from app.domain.access import Role
from tests.factories import Factory


@dataclass
class ApiWorld:
    headers: dict[str, dict[str, str]]
    # Path parameter name -> an id (or code) that exists.
    ids: dict[str, str] = field(default_factory=dict)
    # The same name under another path prefix ({target_id} of a syndication target).
    ids_under: dict[str, dict[str, str]] = field(default_factory=dict)

    def id_for(self, path: str, name: str) -> str | None:
        for prefix, ids in self.ids_under.items():
            if path.startswith(prefix) and name in ids:
                return ids[name]
        return self.ids.get(name)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def plant(client: TestClient, factory: Factory) -> ApiWorld:
    # Addresses of their own: the planted rows live in a transaction held for a whole
    # module, which another test's insert of the same unique e-mail would wait for.
    tag = uuid.uuid4().hex[:12]
    coordinator, coordinator_headers = factory.api_user(
        Role.COORDINATOR, email=f"fuzz-coordinator-{tag}@example.com"
    )
    _, municipal_headers = factory.api_user(
        Role.MUNICIPAL_CONTACT, municipality="205", email=f"fuzz-kajaani-{tag}@example.com"
    )
    world = ApiWorld(
        headers={"coordinator": coordinator_headers, "municipal_contact": municipal_headers}
    )
    h = coordinator_headers

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _created(client.post(f"/api/v1{path}", json=body, headers=h))

    org = post("/organizations", {"name": "Fuzz Forest Oy", "type": "company"})
    other_org = post("/organizations", {"name": "Fuzz Metals Ab", "type": "company"})
    contact = post(
        "/contacts",
        {
            "full_name": "Fuzz Person",
            "lawful_basis": "legitimate_interest",
            "source": "test",
            "organization_id": org["id"],
        },
    )
    site = post(
        "/sites", {"kind": "industrial_plot", "name_fi": "Fuzz-tontti", "municipality_code": "205"}
    )
    lead = post(
        "/leads",
        {
            "title": "Fuzz lead",
            "investment_type": "greenfield_fdi",
            "source": "own_prospecting",
            "organization_id": org["id"],
        },
    )
    share = post(f"/leads/{lead['id']}/shares", {"municipality_code": "205"})
    activity = post(f"/leads/{lead['id']}/activities", {"kind": "note", "subject": "Fuzz note"})
    target = post(
        "/targets",
        {
            "name": "Fuzz target",
            "amount_eur": 1_200_000_000,
            "period_start": "2022-01-01",
            "period_end": "2025-12-31",
        },
    )
    cluster = post("/clusters", {"name": "Fuzz cluster", "industry_codes": ["game_industry"]})
    other_cluster = post(
        "/clusters", {"name": "Fuzz cluster two", "industry_codes": ["game_industry"]}
    )
    cid = cluster["id"]
    member = post(
        f"/clusters/{cid}/members",
        {"organization_id": org["id"], "role": "member", "joined_on": "2024-01-01"},
    )
    agreement = post(
        f"/clusters/{cid}/agreements",
        {"party_organization_id": org["id"], "title": "Fuzz pact", "signed_on": "2024-01-01"},
    )
    meeting = post(f"/clusters/{cid}/meetings", {"held_on": "2024-02-01", "title": "Fuzz meet"})
    link = post(f"/clusters/{cid}/links", {"cluster_id": other_cluster["id"]})
    event = post(
        "/events",
        {
            "kind": "investor_visit",
            "title": "Fuzz visit",
            "starts_at": "2026-05-01T08:00:00+03:00",
            "ends_at": "2026-05-01T16:00:00+03:00",
            "host_municipality_codes": ["205"],
        },
    )
    eid = event["id"]
    item = post(f"/events/{eid}/itinerary", {"starts_at": "2026-05-01T09:00:00+03:00"})
    participant = post(f"/events/{eid}/participants", {"contact_id": contact["id"]})
    syndication_target = post(
        "/syndication/targets",
        {
            "municipality_code": "205",
            "name": "Fuzz hook",
            "kind": "webhook",
            "url": "https://kajaani.example/hook",
        },
    )
    world.ids.update(
        {
            "org_id": org["id"],
            "contact_id": contact["id"],
            "site_id": site["id"],
            "lead_id": lead["id"],
            "share_id": share["id"],
            "activity_id": activity["id"],
            "target_id": target["id"],
            "cluster_id": cid,
            "member_id": member["id"],
            "agreement_id": agreement["id"],
            "meeting_id": meeting["id"],
            "link_id": link["id"],
            "event_id": eid,
            "item_id": item["id"],
            "participant_id": participant["id"],
            "entity_type": "leads",
            "entity_id": lead["id"],
            "code": "identified",
        }
    )
    world.ids_under["/api/v1/syndication/"] = {"target_id": syndication_target["id"]}
    world.ids["merge_id"] = other_org["id"]
    del coordinator
    return world
