"""Organisations and contacts: validation, duplicates, merge."""

from __future__ import annotations

from app.domain.access import Role
from tests.leads.conftest import Pipeline, problem_fields


def test_invalid_business_id_and_country(pipeline: Pipeline) -> None:
    response = pipeline.client.post(
        "/api/v1/organizations",
        json={"name": "Typo Oy", "type": "company", "business_id": "0116297-5", "country": "XX"},
        headers=pipeline.headers,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {
        ("business_id", "invalid_checksum"),
        ("country", "unknown_country"),
    }


def test_duplicate_detection_by_business_id_and_name(pipeline: Pipeline) -> None:
    first = pipeline.org(name="KaiCell Fibers Oy", business_id="0116297-6")
    same_id = pipeline.client.post(
        "/api/v1/organizations",
        json={"name": "Other", "type": "company", "business_id": "01162976"},
        headers=pipeline.headers,
    )
    assert problem_fields(same_id) == {("business_id", "duplicate")}
    assert first["id"] in same_id.json()["errors"][0]["reason"]
    same_name = pipeline.client.post(
        "/api/v1/organizations",
        json={"name": "Kaicell Fibers Ltd", "type": "company"},
        headers=pipeline.headers,
    )
    assert problem_fields(same_name) == {("name", "possible_duplicate")}
    confirmed = pipeline.client.post(
        "/api/v1/organizations",
        json={"name": "Kaicell Fibers Ltd", "type": "company", "confirm_duplicate": True},
        headers=pipeline.headers,
    )
    assert confirmed.status_code == 201


def test_contact_gdpr_fields_and_email_duplicate(pipeline: Pipeline) -> None:
    consent = pipeline.client.post(
        "/api/v1/contacts",
        json={"full_name": "Cara", "lawful_basis": "consent", "source": "Forum 2025"},
        headers=pipeline.headers,
    )
    assert problem_fields(consent) == {
        ("consent_given_at", "required"),
        ("consent_text_version", "required"),
    }
    body = {
        "full_name": "Dan",
        "email": "Dan@Example.com",
        "lawful_basis": "public_task",
        "source": "x",
    }
    created = pipeline.client.post("/api/v1/contacts", json=body, headers=pipeline.headers)
    assert created.json()["email"] == "dan@example.com"
    assert created.json()["retention_until"] is not None
    again = pipeline.client.post(
        "/api/v1/contacts", json={**body, "full_name": "Daniel"}, headers=pipeline.headers
    )
    assert problem_fields(again) == {("email", "possible_duplicate")}


def test_merge_moves_every_linked_record_and_keeps_the_audit(pipeline: Pipeline) -> None:
    keep = pipeline.org(name="Terrafame Oy", business_id="0116297-6")
    dupe = pipeline.org(name="Terrafame Ltd (old)", website="https://terrafame.example")
    contact = pipeline.client.post(
        "/api/v1/contacts",
        json={
            "full_name": "Tero",
            "organization_id": dupe["id"],
            "lawful_basis": "public_task",
            "source": "x",
        },
        headers=pipeline.headers,
    ).json()
    lead = pipeline.lead(organization_id=dupe["id"])
    merged = pipeline.client.post(
        f"/api/v1/organizations/{keep['id']}/merge",
        json={"merge_id": dupe["id"]},
        headers=pipeline.headers,
    )
    assert merged.status_code == 200
    assert merged.json()["website"] == "https://terrafame.example"
    h = pipeline.headers
    assert pipeline.client.get(f"/api/v1/organizations/{dupe['id']}", headers=h).status_code == 404
    assert (
        pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=h).json()["organization"]["id"]
        == keep["id"]
    )
    assert (
        pipeline.client.get(f"/api/v1/contacts/{contact['id']}", headers=h).json()[
            "organization_id"
        ]
        == keep["id"]
    )
    trail = pipeline.client.get(f"/api/v1/audit/organizations/{dupe['id']}", headers=h).json()
    assert [e["action"] for e in trail] == ["create", "delete"]
    lead_trail = pipeline.client.get(f"/api/v1/audit/leads/{lead['id']}", headers=h).json()
    assert lead_trail[-1]["changes"]["organization_id"] == [dupe["id"], keep["id"]]
    notes = pipeline.client.get(f"/api/v1/organizations/{keep['id']}/activities", headers=h).json()
    assert [a["origin_type"] for a in notes["items"]] == ["merge"]


def test_merge_contacts(pipeline: Pipeline) -> None:
    def contact(name: str, email: str | None) -> dict:
        return pipeline.client.post(
            "/api/v1/contacts",
            json={
                "full_name": name,
                "email": email,
                "lawful_basis": "public_task",
                "source": "x",
                "confirm_duplicate": True,
            },
            headers=pipeline.headers,
        ).json()

    keep, dupe = contact("Anna", None), contact("Anna E.", "anna@example.com")
    lead = pipeline.lead(contact_ids=[dupe["id"]])
    merged = pipeline.client.post(
        f"/api/v1/contacts/{keep['id']}/merge",
        json={"merge_id": dupe["id"]},
        headers=pipeline.headers,
    )
    assert merged.json()["email"] == "anna@example.com"
    detail = pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=pipeline.headers).json()
    assert [c["id"] for c in detail["contacts"]] == [keep["id"]]


def test_register_is_for_the_coordinator(pipeline: Pipeline) -> None:
    _, kajaani = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert pipeline.client.get("/api/v1/organizations", headers=kajaani).status_code == 403
    assert pipeline.client.get("/api/v1/contacts", headers=kajaani).status_code == 403


def test_merge_moves_cluster_memberships_agreements_and_leadership(pipeline: Pipeline) -> None:
    """Found by the write matrix: a merged organisation's cluster records made the merge
    fail (500); they follow the merge, and a cluster both belong to keeps one member."""
    keep = pipeline.org(name="Kainuu Wood Oy")
    dupe = pipeline.org(name="Kainuu Wood Ltd (old)")
    h, client = pipeline.headers, pipeline.client
    clusters = []
    for name in ("Wood cluster", "Energy cluster"):
        cluster = client.post(
            "/api/v1/clusters",
            json={
                "name": name,
                "industry_codes": ["forest_bioeconomy"],
                "leading_organization_id": dupe["id"],
            },
            headers=h,
        )
        assert cluster.status_code == 201, cluster.text
        clusters.append(cluster.json()["id"])
    for cluster_id, orgs in ((clusters[0], (keep, dupe)), (clusters[1], (dupe,))):
        for org in orgs:
            member = client.post(
                f"/api/v1/clusters/{cluster_id}/members",
                json={"organization_id": org["id"], "role": "member", "joined_on": "2025-01-01"},
                headers=h,
            )
            assert member.status_code == 201, member.text
    agreement = client.post(
        f"/api/v1/clusters/{clusters[1]}/agreements",
        json={
            "party_organization_id": dupe["id"],
            "title": "Commitment",
            "signed_on": "2025-01-01",
        },
        headers=h,
    )
    assert agreement.status_code == 201, agreement.text

    merged = client.post(
        f"/api/v1/organizations/{keep['id']}/merge", json={"merge_id": dupe["id"]}, headers=h
    )
    assert merged.status_code == 200, merged.text
    for cluster_id in clusters:
        members = client.get(f"/api/v1/clusters/{cluster_id}/members", headers=h).json()
        assert [m["organization_id"] for m in members] == [keep["id"]]
        cluster = client.get(f"/api/v1/clusters/{cluster_id}", headers=h).json()
        assert cluster["leading_organization_id"] == keep["id"]
    agreements = client.get(f"/api/v1/clusters/{clusters[1]}/agreements", headers=h).json()
    assert [a["party_organization_id"] for a in agreements] == [keep["id"]]
