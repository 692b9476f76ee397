"""Every create, update and delete of a business record leaves an audit entry."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.models import AuditEntry, Contact
from app.domain.access import Role
from app.services.audit import ERASED, entries_for, scrub_personal_data
from app.services.auth import actor_for
from tests.factories import Factory


def test_create_update_delete_are_logged_with_actor_and_diff(factory: Factory, db) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    org = factory.organization(name="Audit Oy", country="FI")
    bind_actor(db, actor_for(coordinator))
    org.country = "SE"
    db.commit()
    db.delete(org)
    db.commit()

    entries = entries_for(db, "organizations", str(org.id))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].changes["name"] == [None, "Audit Oy"]
    assert entries[1].changes == {"country": ["FI", "SE"]}
    assert entries[1].actor_user_id == coordinator.id
    assert entries[1].actor_label == coordinator.email
    assert entries[2].changes["name"] == ["Audit Oy", None]
    assert entries[1].at.tzinfo is not None


def test_secrets_never_reach_the_log(factory: Factory, db) -> None:
    user = factory.user()
    (created,) = entries_for(db, "users", str(user.id))
    assert "password_hash" not in created.changes
    assert created.changes["email"][1] == user.email


def test_trail_is_readable_per_record_through_the_api(client: TestClient, factory: Factory) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = factory.site(municipality="205", status="draft")
    client.patch(f"/api/v1/sites/{site.id}", headers=coordinator, json={"name_fi": "Uusi nimi"})
    trail = client.get(f"/api/v1/audit/sites/{site.id}", headers=coordinator).json()
    assert [e["action"] for e in trail] == ["create", "update"]
    assert trail[1]["changes"]["name_fi"][1] == "Uusi nimi"


def test_trail_follows_record_access(client: TestClient, factory: Factory) -> None:
    _, kajaani = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    own = factory.site(municipality="205", status="draft")
    other = factory.site(municipality="765", status="draft")
    assert client.get(f"/api/v1/audit/sites/{own.id}", headers=kajaani).status_code == 200
    assert client.get(f"/api/v1/audit/sites/{other.id}", headers=kajaani).status_code == 404
    assert client.get("/api/v1/audit/users/anything", headers=kajaani).status_code == 403


def test_erasure_scrubs_personal_values_but_keeps_the_trail(factory: Factory, db) -> None:
    contact = Contact(
        full_name="Erkki Esimerkki",
        email="erkki@example.com",
        lawful_basis="consent",
        source="fair 2026",
    )
    db.add(contact)
    db.commit()
    contact.phone = "+358 40 123 4567"
    db.commit()
    rewritten = scrub_personal_data(db, "contacts", str(contact.id), Contact.__personal_fields__)
    db.commit()
    assert rewritten == 2
    trail = entries_for(db, "contacts", str(contact.id))
    assert trail[0].changes["full_name"] == [None, ERASED]
    assert trail[1].changes["phone"] == [None, ERASED]
    assert trail[0].changes["source"] == [None, "fair 2026"]
    stored = db.scalars(
        select(AuditEntry.changes).where(AuditEntry.entity_id == str(contact.id))
    ).all()
    assert "Erkki" not in str(stored)
