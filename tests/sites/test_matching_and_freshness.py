"""Matching sites to a lead's requirements, and the freshness job."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.models import Site, SiteIndustry
from app.domain.access import Role
from app.services import sites as site_service
from app.settings import Settings
from tests.factories import Factory


def _site(factory: Factory, db: Session, industries: list[str], **values: object) -> Site:
    site = factory.site(**values)  # type: ignore[arg-type]
    for code in industries:
        db.add(SiteIndustry(site_id=site.id, industry_code=code))
    db.commit()
    return site


def test_sites_are_ranked_with_reasons(client: TestClient, factory: Factory, db: Session) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    big = _site(
        factory,
        db,
        ["ict_data_centres"],
        name_fi="Iso datakeskustontti",
        area_ha=12.0,
        available_power_mw=60.0,
        rail_siding=False,
    )
    small = _site(
        factory,
        db,
        ["metal_machinery"],
        municipality="765",
        status="draft",
        name_fi="Pieni tontti",
        area_ha=1.0,
        available_power_mw=2.0,
    )
    _site(factory, db, [], status="archived", name_fi="Arkistoitu")
    lead = factory.lead(
        industry_code="ict_data_centres",
        requirements={
            "min_area_ha": 5,
            "min_power_mw": "20",
            "needs_rail": True,
            "municipality_codes": ["205"],
            "zoning_statuses": ["not_a_zoning"],
        },
    )
    body = client.get(f"/api/v1/leads/{lead.id}/matching-sites", headers=headers).json()
    assert body["ignored_requirements"] == ["zoning_statuses"]
    assert [(i["name_fi"], i["score"]) for i in body["items"]] == [
        ("Iso datakeskustontti", 88),
        ("Pieni tontti", 0),
    ]
    first = body["items"][0]
    assert (first["met"], first["missed"], first["unknown"]) == (
        ["area", "power", "industry", "municipality"],
        ["rail"],
        [],
    )
    assert first["criteria"][0]["explanation_en"] == "Area 12 ha; needed: at least 5 ha."
    assert first["site_id"] == str(big.id)
    assert body["items"][1]["site_id"] == str(small.id)


def test_matching_respects_lead_and_site_scope(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    lead = factory.lead(requirements={"min_area_ha": 1})
    assert client.get(f"/api/v1/leads/{lead.id}/matching-sites", headers=headers).status_code == 404
    factory.share(lead, municipality="765", status="accepted")
    factory.site(municipality="205", status="draft", name_fi="Kajaanin luonnos")
    own = factory.site(municipality="765", status="draft", name_fi="Oma luonnos")
    body = client.get(f"/api/v1/leads/{lead.id}/matching-sites", headers=headers).json()
    names = [i["name_fi"] for i in body["items"]]
    assert "Kajaanin luonnos" not in names and own.name_fi in names


def test_freshness_job_flags_then_expires_idempotently(
    factory: Factory, db: Session, settings: Settings
) -> None:
    fresh = factory.site(last_verified_on=date(2026, 1, 10))
    stale = factory.site(last_verified_on=date(2025, 1, 10))
    old = factory.site(last_verified_on=date(2024, 6, 1))
    draft = factory.site(status="draft", last_verified_on=date(2024, 6, 1))
    today = date(2026, 2, 1)
    assert site_service.flag_stale_sites(db, settings, today) == {"flagged": 3, "expired": 2}
    assert site_service.flag_stale_sites(db, settings, today) == {"flagged": 0, "expired": 0}
    for site in (fresh, stale, old, draft):
        db.refresh(site)
    assert fresh.stale_flagged_at is None
    assert stale.stale_flagged_at is not None and stale.expired_at is None
    assert old.expired_at is not None and old.public_changed_at is not None
    assert old.version == 2 and draft.version == 1  # only the published site left the portal
    public, total = site_service.public_sites(
        db, settings, site_service.PublicSiteFilters(), today=today
    )
    assert ({p.site.id for p in public}, total) == ({fresh.id, stale.id}, 2)


def test_verify_clears_flags_and_brings_the_site_back(
    client: TestClient, factory: Factory, db: Session, settings: Settings
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    old = factory.site(municipality="205", last_verified_on=date(2020, 1, 1))
    site_service.flag_stale_sites(db, settings)
    listed = client.get("/api/v1/sites?needs_verification=true", headers=headers).json()
    assert [s["id"] for s in listed["items"]] == [str(old.id)]
    verified = client.post(f"/api/v1/sites/{old.id}/verify", headers=headers).json()
    assert (verified["stale_flagged_at"], verified["expired_at"]) == (None, None)
    assert site_service.public_site(db, settings, old.slug).site.id == old.id


def test_requirements_entered_through_the_pipeline_are_all_matched(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    _site(
        factory,
        db,
        ["forest_bioeconomy"],
        municipality="578",
        name_fi="Paltamon tontti",
        area_ha=80.0,
        zoning_status="detailed_plan",
    )
    created = client.post(
        "/api/v1/leads",
        headers=headers,
        json={
            "title": "Biorefinery",
            "investment_type": "greenfield_fdi",
            "source": "own_prospecting",
            "industry_code": "forest_bioeconomy",
            "requirements": {
                "min_area_ha": 50,
                "zoning_statuses": ["detailed_plan"],
                "municipality_codes": ["578"],
            },
        },
    )
    assert created.status_code == 201, created.text
    body = client.get(
        f"/api/v1/leads/{created.json()['id']}/matching-sites", headers=headers
    ).json()
    assert body["ignored_requirements"] == []
    assert body["items"][0]["name_fi"] == "Paltamon tontti"
    assert set(body["items"][0]["met"]) == {"area", "zoning", "industry", "municipality"}
