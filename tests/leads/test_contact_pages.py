"""Contact edit and merge pages, with the duplicate warnings of the register."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Activity, Contact, LeadContact
from app.domain.access import Role
from tests.factories import Factory, csrf_from


def _contact(db: Session, name: str, email: str | None, **values: object) -> Contact:
    contact = Contact(
        full_name=name,
        email=email,
        lawful_basis="legitimate_interest",
        source="Trade fair 2025",
        **values,
    )
    db.add(contact)
    db.commit()
    return contact


def _form(contact: Contact, **changes: str) -> dict[str, str]:
    return {
        "full_name": contact.full_name,
        "role_title": "",
        "email": contact.email or "",
        "phone": "",
        "language": "en",
        "lawful_basis": "legitimate_interest",
        "source": "Trade fair 2025",
        "consent_given_at": "",
        "consent_text_version": "",
        "retention_until": "2030-01-01",
        **changes,
    }


def test_edit_contact_warns_of_a_duplicate_e_mail_until_confirmed(
    client: TestClient, factory: Factory, db: Session
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    org = factory.organization("Nordic Batteries Oy")
    aino = _contact(db, "Aino Virtanen", "aino@example.com")
    _contact(db, "A. Virtanen", "aino.v@example.com")
    page = client.get(f"/contacts/{aino.id}/edit")
    assert page.status_code == 200
    assert 'value="aino@example.com"' in page.text
    token = csrf_from(page.text)
    bad = client.post(
        f"/contacts/{aino.id}/edit",
        data={"csrf_token": token, **_form(aino, full_name="", phone="call me")},
    )
    assert bad.status_code == 422
    assert 'id="full_name-error">Give the person&#39;s name.' in bad.text
    assert 'id="phone-error">Give a phone number, e.g. +358 40 123 4567.' in bad.text
    duplicate = client.post(
        f"/contacts/{aino.id}/edit",
        data={"csrf_token": token, **_form(aino, email="aino.v@example.com")},
    )
    assert duplicate.status_code == 422
    assert "Possible duplicate of A. Virtanen. Confirm to create anyway." in duplicate.text
    assert 'name="confirm_duplicate"' in duplicate.text
    assert f'href="/contacts/{aino.id}/merge"' in duplicate.text
    saved = client.post(
        f"/contacts/{aino.id}/edit",
        data={
            "csrf_token": token,
            "organization_id": str(org.id),
            "confirm_duplicate": "1",
            **_form(aino, email="aino.v@example.com", role_title="CFO"),
        },
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"/contacts/{aino.id}")
    db.refresh(aino)
    assert (aino.email, aino.role_title, aino.organization_id) == (
        "aino.v@example.com",
        "CFO",
        org.id,
    )


def test_merge_page_lists_likely_duplicates_and_merges(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    org = factory.organization("Nordic Batteries Oy")
    keep = _contact(db, "Aino Virtanen", "aino@example.com", organization_id=org.id)
    same_email = _contact(db, "Aino V.", "AINO@example.com")
    same_name = _contact(db, "aino virtanen", None, organization_id=org.id)
    unrelated = _contact(db, "Bertil Berg", "bertil@example.com")
    lead = factory.lead(owner=user)
    db.add(LeadContact(lead_id=lead.id, contact_id=same_email.id, role="CEO"))
    db.commit()
    page = client.get(f"/contacts/{keep.id}/merge")
    assert page.status_code == 200
    table = page.text.split("<tbody>")[1].split("</tbody>")[0]
    assert "Same e-mail address" in table and "Same name in the same organisation" in table
    assert str(same_email.id) in table and str(same_name.id) in table
    assert str(unrelated.id) not in table
    token = csrf_from(page.text)
    empty = client.post(f"/contacts/{keep.id}/merge", data={"csrf_token": token, "merge_id": ""})
    assert empty.status_code == 422
    assert "Choose the duplicate to merge." in empty.text
    itself = client.post(
        f"/contacts/{keep.id}/merge", data={"csrf_token": token, "merge_id": str(keep.id)}
    )
    assert itself.status_code == 422
    assert "Choose two different records." in itself.text
    merged = client.post(
        f"/contacts/{keep.id}/merge",
        data={"csrf_token": token, "merge_id": str(same_email.id)},
        follow_redirects=False,
    )
    assert (merged.status_code, merged.headers["location"]) == (303, f"/contacts/{keep.id}")
    assert db.get(Contact, same_email.id) is None
    assert db.execute(
        select(LeadContact.contact_id, LeadContact.role).where(LeadContact.lead_id == lead.id)
    ).all() == [(keep.id, "CEO")]
    assert db.scalar(select(Activity.subject).where(Activity.contact_id == keep.id)) == (
        "Merged contact Aino V. into this contact"
    )


def test_contact_pages_are_the_coordinators(
    client: TestClient, factory: Factory, db: Session
) -> None:
    contact = _contact(db, "Aino Virtanen", "aino@example.com")
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT))
    assert client.get(f"/contacts/{contact.id}/edit").status_code == 403
    assert client.get(f"/contacts/{contact.id}/merge").status_code == 403
