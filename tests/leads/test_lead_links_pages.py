"""Lead page: the people on a lead with their roles, candidate sites, best matches."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, LeadContact, LeadSite
from app.domain.access import Role
from tests.factories import Factory, csrf_from


def _contact(db: Session, factory: Factory, name: str, org_id: uuid.UUID | None) -> Contact:
    contact = Contact(
        full_name=name,
        email=f"{name.split()[0].lower()}@example.com",
        organization_id=org_id,
        lawful_basis="legitimate_interest",
        source="Trade fair 2025",
    )
    db.add(contact)
    db.commit()
    return contact


def test_coordinator_links_a_contact_with_a_role_changes_it_and_unlinks(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    org = factory.organization("Nordic Batteries Oy")
    lead = factory.lead(owner=user, organization_id=org.id)
    own = _contact(db, factory, "Aino Virtanen", org.id)
    _contact(db, factory, "Bertil Berg", None)
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    # The investor's own people are offered first.
    assert page.text.index("Aino Virtanen (Nordic Batteries Oy)") < page.text.index("Bertil Berg")
    token = csrf_from(page.text)
    refused = client.post(
        f"/leads/{lead.id}/contacts", data={"csrf_token": token, "contact_id": "", "role": "CFO"}
    )
    assert refused.status_code == 422
    assert 'aria-describedby="contact_id-error"' in refused.text
    linked = client.post(
        f"/leads/{lead.id}/contacts",
        data={"csrf_token": token, "contact_id": str(own.id), "role": "Project director"},
        follow_redirects=False,
    )
    assert (linked.status_code, linked.headers["location"]) == (303, f"/leads/{lead.id}#people")
    client.post(
        f"/leads/{lead.id}/contacts",
        data={"csrf_token": token, "contact_id": str(own.id), "role": "CEO"},
    )
    links = db.execute(
        select(LeadContact.contact_id, LeadContact.role).where(LeadContact.lead_id == lead.id)
    ).all()
    assert links == [(own.id, "CEO")]
    page = client.get(f"/leads/{lead.id}")
    assert f'<a href="/contacts/{own.id}">Aino Virtanen</a> – CEO' in page.text
    # A linked person is no longer offered.
    assert f'<option value="{own.id}"' not in page.text
    removed = client.post(
        f"/leads/{lead.id}/contacts/{own.id}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert db.scalars(select(LeadContact).where(LeadContact.lead_id == lead.id)).all() == []


def test_api_links_a_contact_with_its_role(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    lead = factory.lead()
    contact = _contact(db, factory, "Aino Virtanen", None)
    response = client.put(
        f"/api/v1/leads/{lead.id}/contacts/{contact.id}",
        json={"role": "Project director"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["contacts"] == [
        {"id": str(contact.id), "full_name": "Aino Virtanen", "role": "Project director"}
    ]
    missing = client.put(
        f"/api/v1/leads/{lead.id}/contacts/{uuid.uuid4()}", json={}, headers=headers
    )
    assert missing.status_code == 422
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [
        ("contact_id", "unknown")
    ]
    gone = client.delete(f"/api/v1/leads/{lead.id}/contacts/{contact.id}", headers=headers)
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/leads/{lead.id}/contacts/{contact.id}", headers=headers)
    assert again.status_code == 404


def test_municipal_owner_adds_only_sites_they_may_see_and_no_contacts(
    client: TestClient, factory: Factory, db: Session
) -> None:
    owner = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    factory.login(client, owner)
    lead = factory.lead(owner=owner)
    own_draft = factory.site(municipality="205", status="draft", name_en="Kajaani plot")
    foreign_draft = factory.site(municipality="105", status="draft", name_en="Hidden plot")
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    assert f'<option value="{own_draft.id}"' in page.text
    assert f'<option value="{foreign_draft.id}"' not in page.text
    assert f'action="/leads/{lead.id}/contacts"' not in page.text
    token = csrf_from(page.text)
    hidden = client.post(
        f"/leads/{lead.id}/sites", data={"csrf_token": token, "site_id": str(foreign_draft.id)}
    )
    assert hidden.status_code == 422
    assert "No such site." in hidden.text
    added = client.post(
        f"/leads/{lead.id}/sites",
        data={"csrf_token": token, "site_id": str(own_draft.id)},
        follow_redirects=False,
    )
    assert (added.status_code, added.headers["location"]) == (303, f"/leads/{lead.id}#sites")
    assert db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == lead.id)).all() == [
        own_draft.id
    ]
    page = client.get(f"/leads/{lead.id}")
    assert f'<a href="/sites/{own_draft.id}">' in page.text
    client.post(f"/leads/{lead.id}/sites/{own_draft.id}/remove", data={"csrf_token": token})
    assert db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == lead.id)).all() == []
    # A lead they do not own is read-only for them.
    coordinator_lead = factory.lead(owner=factory.user(Role.COORDINATOR))
    factory.share(coordinator_lead, municipality="205", status="accepted")
    refused = client.post(
        f"/leads/{coordinator_lead.id}/sites",
        data={"csrf_token": token, "site_id": str(own_draft.id)},
    )
    assert refused.status_code == 403


def test_lead_page_shows_the_three_best_matching_sites_with_scores(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    big = [factory.site(name_en=f"Big plot {n}", area_m2=200_000) for n in range(4)]
    factory.site(name_en="Small plot", area_m2=5_000)
    bare = factory.lead(owner=user)
    page = client.get(f"/leads/{bare.id}")
    assert "Give the lead a requirement profile to rank the sites on offer." in page.text
    assert f'href="/leads/{bare.id}/matching-sites"' in page.text
    lead = factory.lead(owner=user, requirements={"min_area_ha": 10})
    page = client.get(f"/leads/{lead.id}")
    summary = page.text.split('<ol class="best-matches">')[1].split("</ol>")[0]
    assert summary.count("<li>") == 3
    assert "score 100 / 100" in summary
    assert "Small plot" not in summary
    assert all(f"/sites/{s.id}" in page.text for s in big[:1])
    assert client.get(f"/leads/{lead.id}/matching-sites").status_code == 200


def test_linking_a_contact_to_a_lead_is_audited(client, factory, db) -> None:
    from app.db.models import Contact
    from app.domain.access import Role
    from app.services.audit import entries_for

    coordinator, headers = factory.api_user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator)
    contact = Contact(full_name="Audit Person", lawful_basis="legitimate_interest", source="test")
    db.add(contact)
    db.commit()
    response = client.put(
        f"/api/v1/leads/{lead.id}/contacts/{contact.id}", headers=headers, json={"role": "CFO"}
    )
    assert response.status_code == 200, response.text
    (entry,) = entries_for(db, "lead_contacts", f"{lead.id}:{contact.id}")
    assert (entry.action, entry.actor_user_id) == ("create", coordinator.id)
    assert entry.changes["role"] == [None, "CFO"]
