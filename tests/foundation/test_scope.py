"""Municipality scope is enforced in the service layer, and the API inherits it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.domain.access import Role
from app.domain.errors import NotFound, PermissionDenied
from app.services import sites
from app.services.auth import actor_for
from tests.factories import Factory


def test_contact_cannot_read_another_municipalitys_draft(factory: Factory, db) -> None:
    kajaani = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="205"))
    sotkamo_draft = factory.site(municipality="765", status="draft")
    with pytest.raises(NotFound):
        sites.get_site(db, kajaani, sotkamo_draft.id)
    listed, total = sites.list_sites(db, kajaani)
    assert sotkamo_draft.id not in {s.id for s in listed}
    assert total == len(listed)


def test_contact_cannot_change_another_municipalitys_site(factory: Factory, db) -> None:
    kajaani = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="205"))
    sotkamo_published = factory.site(municipality="765", status="published")
    with pytest.raises(PermissionDenied):
        sites.update_site(db, kajaani, sotkamo_published.id, {"name_fi": "Kaapattu"})
    db.refresh(sotkamo_published)
    assert sotkamo_published.name_fi != "Kaapattu"


def test_contact_cannot_move_own_site_to_another_municipality(factory: Factory, db) -> None:
    kajaani = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="205"))
    own = factory.site(municipality="205", status="draft")
    with pytest.raises(PermissionDenied):
        sites.update_site(db, kajaani, own.id, {"municipality_code": "765"})


def test_contact_changes_own_site_and_coordinator_any(factory: Factory, db) -> None:
    kajaani = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="205"))
    coordinator = actor_for(factory.user(Role.COORDINATOR))
    own = factory.site(municipality="205", status="draft")
    other = factory.site(municipality="777", status="draft")
    assert sites.update_site(db, kajaani, own.id, {"name_fi": "Uusi"}).name_fi == "Uusi"
    assert sites.update_site(db, coordinator, other.id, {"name_fi": "Muu"}).name_fi == "Muu"


def test_api_answers_out_of_scope_like_missing(client: TestClient, factory: Factory) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    draft = factory.site(municipality="765", status="draft")
    published = factory.site(municipality="765", status="published")
    assert client.get(f"/api/v1/sites/{draft.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/sites/{published.id}", headers=headers).status_code == 200
    change = client.patch(
        f"/api/v1/sites/{published.id}", headers=headers, json={"name_fi": "Kaapattu"}
    )
    assert change.status_code == 403
    assert change.headers["content-type"] == "application/problem+json"


def test_leads_are_visible_only_with_need_to_know(factory: Factory, db) -> None:
    from sqlalchemy import select

    from app.db.models import Lead
    from app.services.scope import leads_visible_to

    owner = factory.user(Role.COORDINATOR)
    kajaani = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="205"))
    kuhmo = actor_for(factory.user(Role.MUNICIPAL_CONTACT, municipality="290"))
    shared = factory.lead(owner=owner)
    factory.share(shared, municipality="205")
    declined = factory.lead(owner=owner)
    factory.share(declined, municipality="205", status="declined")

    def visible(actor) -> set:
        return set(db.scalars(select(Lead.id).where(leads_visible_to(actor))))

    assert shared.id in visible(kajaani)
    assert declined.id not in visible(kajaani)
    assert shared.id not in visible(kuhmo)
