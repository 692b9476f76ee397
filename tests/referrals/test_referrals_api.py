"""Invest in Finland referrals over the HTTP API: partner tokens, sending a referral
(idempotently), bad input, deduplication, and the outcome told back."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Organization, Referral
from app.domain.access import Role
from tests.factories import Factory
from tests.leads.conftest import problem_fields
from tests.referrals.conftest import REFERRAL, Partners


def _lead_of(db: Session, referral_id: str) -> Lead:
    lead = db.scalar(
        select(Lead)
        .join(Referral, Referral.lead_id == Lead.id)
        .where(Referral.referral_id == referral_id)
    )
    assert lead is not None
    return lead


def test_a_partner_token_is_issued_once_listed_and_revoked(
    client: TestClient, partners: Partners
) -> None:
    issued = client.post(
        "/api/v1/partner-tokens",
        json={"organization_id": str(partners.iif.id), "name": "IiF CRM"},
        headers=partners.staff,
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert token.startswith("ikr_") and issued.json()["prefix"] == token[:8]

    listed = client.get("/api/v1/partner-tokens", headers=partners.staff).json()
    assert [(t["name"], t["last_used_at"]) for t in listed] == [("IiF CRM", None)]
    assert "token" not in listed[0] and token not in str(listed)

    bearer = {"Authorization": f"Bearer {token}"}
    sent = client.post("/api/v1/referrals", json=REFERRAL, headers=bearer)
    assert sent.status_code == 201, sent.text
    used = client.get("/api/v1/partner-tokens", headers=partners.staff).json()[0]
    assert used["last_used_at"] is not None

    revoked = client.post(f"/api/v1/partner-tokens/{used['id']}/revoke", headers=partners.staff)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = client.get(f"/api/v1/referrals/{REFERRAL['referral_id']}", headers=bearer)
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"


def test_only_the_regional_team_issues_partner_tokens(
    client: TestClient, partners: Partners, factory: Factory
) -> None:
    _, kajaani = factory.api_user(Role.MUNICIPAL_CONTACT)
    body = {"organization_id": str(partners.iif.id), "name": "IiF"}
    assert client.post("/api/v1/partner-tokens", json=body, headers=kajaani).status_code == 403
    company = factory.organization("Not a partner Oy")
    refused = client.post(
        "/api/v1/partner-tokens",
        json={"organization_id": str(company.id), "name": "IiF"},
        headers=partners.staff,
    )
    assert refused.status_code == 422
    assert problem_fields(refused) == {("organization_id", "unknown_partner")}


def test_a_partner_token_reaches_the_referral_routes_only(
    client: TestClient, partners: Partners, factory: Factory
) -> None:
    token = partners.token(partners.iif)
    for path in ("/api/v1/leads", "/api/v1/me", "/api/v1/partner-tokens"):
        assert client.get(path, headers=token).status_code == 401, path
    # Nor does a staff or partner user's own API token reach the partner's routes.
    _, partner_user = factory.api_user(Role.PARTNER, organization_id=partners.iif.id)
    for headers in (partners.staff, partner_user, {"Authorization": "Bearer ikr_wrong"}, {}):
        assert client.post("/api/v1/referrals", json=REFERRAL, headers=headers).status_code == 401


def test_a_referral_lands_as_a_lead_and_a_repeat_is_the_same_one(
    client: TestClient, partners: Partners, db: Session
) -> None:
    token = partners.token(partners.iif)
    first = client.post("/api/v1/referrals", json=REFERRAL, headers=token)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "received"

    lead = _lead_of(db, "IIF-2026-0042")
    shown = client.get(f"/api/v1/leads/{lead.id}", headers=partners.staff).json()
    assert shown["source"] == "invest_in_finland"
    assert (shown["origin_country"], shown["industry_code"]) == ("SE", "ict_data_centres")
    assert (shown["capex_eur"], shown["jobs"]) == (250_000_000, 40)
    assert "IIF-2026-0042" in shown["description"] and "Q3 2027" in shown["description"]
    org = db.get(Organization, lead.organization_id)
    assert org is not None and (org.name, org.country) == ("Nordic Compute AB", "SE")

    leads_before = db.scalar(select(func.count()).select_from(Lead))
    repeat = client.post("/api/v1/referrals", json=REFERRAL | {"jobs": 45}, headers=token)
    assert repeat.status_code == 200, repeat.text
    assert db.scalar(select(func.count()).select_from(Lead)) == leads_before
    assert (
        db.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.name == "Nordic Compute AB")
        )
        == 1
    )
    record = db.scalar(select(Referral).where(Referral.referral_id == "IIF-2026-0042"))
    assert record is not None and record.times_received == 2


def test_bad_referrals_are_problems_naming_the_field(
    client: TestClient, partners: Partners, db: Session
) -> None:
    token = partners.token(partners.iif)
    leads_before = db.scalar(select(func.count()).select_from(Lead))
    bad = REFERRAL | {
        "country": "Atlantis",
        "industry": "alchemy",
        "business_id": "1234567-2",
        "contact": {"name": "Anna", "email": "not-an-address"},
    }
    response = client.post("/api/v1/referrals", json=bad, headers=token)
    assert response.status_code == 422
    assert problem_fields(response) == {
        ("country", "unknown"),
        ("industry", "unknown"),
        ("business_id", "invalid"),
    }
    contact = client.post(
        "/api/v1/referrals",
        json=REFERRAL | {"contact": {"name": "Anna", "email": "not-an-address"}},
        headers=token,
    )
    assert contact.status_code == 422
    assert problem_fields(contact) == {("contact.email", "invalid_email")}
    negative = client.post("/api/v1/referrals", json=REFERRAL | {"capex_eur": -5}, headers=token)
    assert negative.status_code == 422
    assert {f for f, _ in problem_fields(negative)} == {"capex_eur"}
    missing = {k: v for k, v in REFERRAL.items() if k != "company"}
    absent = client.post("/api/v1/referrals", json=missing, headers=token)
    assert absent.status_code == 422
    assert {f for f, _ in problem_fields(absent)} == {"company"}
    assert db.scalar(select(func.count()).select_from(Lead)) == leads_before


def test_a_partner_reads_its_own_referrals_only(client: TestClient, partners: Partners) -> None:
    iif, ely = partners.token(partners.iif), partners.token(partners.ely)
    assert client.post("/api/v1/referrals", json=REFERRAL, headers=iif).status_code == 201
    path = f"/api/v1/referrals/{REFERRAL['referral_id']}"
    assert client.get(path, headers=iif).status_code == 200
    other = client.get(path, headers=ely)
    missing = client.get("/api/v1/referrals/IIF-NEVER-SENT", headers=ely)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]
    # The same id from another partner is that partner's own referral.
    assert client.post("/api/v1/referrals", json=REFERRAL, headers=ely).status_code == 201


def test_the_status_follows_the_lead_through_the_pipeline(
    client: TestClient, partners: Partners, db: Session
) -> None:
    token = partners.token(partners.iif)
    client.post("/api/v1/referrals", json=REFERRAL, headers=token)
    lead = _lead_of(db, "IIF-2026-0042")
    path = f"/api/v1/referrals/{REFERRAL['referral_id']}"

    def status() -> dict[str, Any]:
        response = client.get(path, headers=token)
        assert response.status_code == 200, response.text
        return dict(response.json())

    received = status()
    assert received["status"] == "received"

    def move(**body: Any) -> None:
        moved = client.post(f"/api/v1/leads/{lead.id}/stage", json=body, headers=partners.staff)
        assert moved.status_code == 200, moved.text

    move(to_stage="contacted")
    progress = status()
    assert progress["status"] == "in_progress"
    assert progress["last_changed_at"] > received["last_changed_at"]
    move(to_stage="lost", lost_reason_code="chose_other_country", note="Went to Sweden")
    lost = status()
    assert (lost["status"], lost["lost_reason_code"], lost["lost_reason"]) == (
        "lost",
        "chose_other_country",
        "Chose another country",
    )
    # Nothing of the negotiation itself goes back: no note, no names, no amounts.
    assert "Sweden" not in str(lost) and "capex" not in str(lost)
    move(to_stage="negotiation", note="They came back")
    move(
        to_stage="landed",
        landing_municipality_code="205",
        realised_capex_eur=260_000_000,
        capex_status="realised",
        landed_on="2026-11-02",
    )
    landed = status()
    assert (landed["status"], landed["lost_reason"]) == ("landed", None)


def test_a_referral_of_a_known_company_joins_its_open_lead(
    client: TestClient, partners: Partners, db: Session, factory: Factory
) -> None:
    known = factory.organization("Nordic Compute Ab", country="SE")
    open_lead = factory.lead(organization_id=known.id, industry_code="ict_data_centres")
    namesake = factory.organization("Nordic Compute AB", country="DE")
    leads_before = db.scalar(select(func.count()).select_from(Lead))

    token = partners.token(partners.iif)
    response = client.post("/api/v1/referrals", json=REFERRAL, headers=token)
    assert response.status_code == 201, response.text
    assert db.scalar(select(func.count()).select_from(Lead)) == leads_before
    assert _lead_of(db, "IIF-2026-0042").id == open_lead.id
    assert (
        db.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.name_key == known.name_key)
        )
        == 2
    )  # the German namesake stays apart; no third organisation
    assert namesake.id != known.id

    # Another industry of the same company is another investment: a new lead.
    other = REFERRAL | {"referral_id": "IIF-2026-0043", "industry": "Metal and machinery"}
    assert client.post("/api/v1/referrals", json=other, headers=token).status_code == 201
    assert _lead_of(db, "IIF-2026-0043").organization_id == known.id
