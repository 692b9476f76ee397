"""Who sees the investor, and the handoff of a lead to a municipality or partner."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from app.domain.access import Role
from tests.leads.conftest import Pipeline, problem_fields


@pytest.fixture
def secret_lead(pipeline: Pipeline) -> dict:
    org = pipeline.org(name='=HYPERLINK("http://evil")', business_id="0116297-6")
    contact = pipeline.client.post(
        "/api/v1/contacts",
        headers=pipeline.headers,
        json={
            "full_name": "Ines Investor",
            "email": "ines@example.com",
            "organization_id": org["id"],
            "lawful_basis": "legitimate_interest",
            "source": "Business Finland referral",
        },
    ).json()
    owner, owner_headers = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="777")
    lead = pipeline.lead(
        title="-Plant",
        organization_id=org["id"],
        contact_ids=[contact["id"]],
        owner_id=str(owner.id),
    )
    pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "205"},
        headers=pipeline.headers,
    )
    return {"lead": lead, "org": org, "owner_headers": owner_headers}


@pytest.mark.parametrize(
    ("role", "municipality", "status", "sees_investor"),
    [
        (Role.COORDINATOR, None, 200, True),
        ("owner", None, 200, True),
        (Role.MUNICIPAL_CONTACT, "205", 200, True),
        (Role.MUNICIPAL_CONTACT, "290", 404, False),
        # The forum reads reports only: no lead record at all (tests/leads/test_secrecy.py).
        (Role.FORUM_VIEWER, None, 404, False),
    ],
)
def test_confidentiality_matrix(
    pipeline: Pipeline, secret_lead: dict, role, municipality, status, sees_investor
) -> None:
    if role == "owner":
        headers = secret_lead["owner_headers"]
    else:
        _, headers = pipeline.user(role, municipality=municipality)
    lead_id = secret_lead["lead"]["id"]
    detail = pipeline.client.get(f"/api/v1/leads/{lead_id}", headers=headers)
    assert detail.status_code == status
    listing = pipeline.client.get("/api/v1/leads", headers=headers)
    timeline = pipeline.client.get(f"/api/v1/leads/{lead_id}/timeline", headers=headers)
    if status == 404:
        if role is Role.FORUM_VIEWER:
            assert listing.status_code == 403
        else:
            assert lead_id not in [i["id"] for i in listing.json()["items"]]
            # searching by the investor's name must not reveal which lead it is
            found = pipeline.client.get("/api/v1/leads", params={"q": "HYPERLINK"}, headers=headers)
            assert found.json()["total"] == 0
        assert timeline.status_code == 404
        return
    # Whoever may read a lead at all has need-to-know of it.
    assert sees_investor
    body = detail.json()
    assert body["code_name"] == secret_lead["lead"]["code_name"]
    item = next(i for i in listing.json()["items"] if i["id"] == lead_id)
    assert body["organization"]["id"] == secret_lead["org"]["id"]
    assert [c["full_name"] for c in body["contacts"]] == ["Ines Investor"]
    assert item["organization"]["id"] == secret_lead["org"]["id"]
    assert timeline.status_code == 200


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_export_neutralises_formulas_and_is_refused_to_the_forum(
    pipeline: Pipeline, secret_lead: dict
) -> None:
    code_name = secret_lead["lead"]["code_name"]
    full = _csv_rows(pipeline.client.get("/api/v1/leads/export.csv", headers=pipeline.headers).text)
    row = next(r for r in full if r["code_name"] == code_name)
    assert row["investor_organization"] == '\'=HYPERLINK("http://evil")'
    assert row["title"] == "'-Plant"
    assert row["investor_contacts"] == "Ines Investor"
    xlsx = pipeline.client.get("/api/v1/leads/export.xlsx", headers=pipeline.headers)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    values = [
        dict(zip(header, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)
    ]
    row = next(v for v in values if v["code_name"] == code_name)
    assert (row["investor_organization"], row["title"]) == (
        '\'=HYPERLINK("http://evil")',
        "'-Plant",
    )
    # The forum reads reports, not lead records: no export in any format.
    _, forum = pipeline.user(Role.FORUM_VIEWER)
    for fmt in ("csv", "xlsx"):
        refused = pipeline.client.get(f"/api/v1/leads/export.{fmt}", headers=forum)
        assert refused.status_code == 403
        assert code_name not in refused.text


def test_handoff_accept_and_decline_on_timeline(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    _, kajaani = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    partner_org = pipeline.org(name="Business Kainuu", type="partner_agency", country="FI")
    from uuid import UUID

    _, partner = pipeline.user(Role.PARTNER, organization_id=UUID(partner_org["id"]))
    url = f"/api/v1/leads/{lead['id']}/shares"
    assert pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=kajaani).status_code == 404
    share = pipeline.client.post(
        url,
        json={"municipality_code": "205", "message": "Plot for 20 ha?"},
        headers=pipeline.headers,
    )
    assert share.status_code == 201
    assert (share.json()["status"], share.json()["message"]) == ("pending", "Plot for 20 ha?")
    again = pipeline.client.post(url, json={"municipality_code": "205"}, headers=pipeline.headers)
    assert problem_fields(again) == {("municipality_code", "already_shared")}
    assert pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=kajaani).status_code == 200
    # only the receiver answers
    wrong = pipeline.client.post(
        f"/api/v1/shares/{share.json()['id']}/response", json={"accept": True}, headers=partner
    )
    assert wrong.status_code == 404
    accepted = pipeline.client.post(
        f"/api/v1/shares/{share.json()['id']}/response",
        json={"accept": True, "note": "We have Renforsin Ranta"},
        headers=kajaani,
    )
    assert accepted.json()["status"] == "accepted"
    twice = pipeline.client.post(
        f"/api/v1/shares/{share.json()['id']}/response", json={"accept": False}, headers=kajaani
    )
    assert twice.status_code == 409
    to_partner = pipeline.client.post(
        url, json={"organization_id": partner_org["id"]}, headers=pipeline.headers
    ).json()
    declined = pipeline.client.post(
        f"/api/v1/shares/{to_partner['id']}/response", json={"accept": False}, headers=partner
    )
    assert declined.json()["status"] == "declined"
    assert pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=partner).status_code == 404
    timeline = pipeline.client.get(
        f"/api/v1/leads/{lead['id']}/timeline", headers=pipeline.headers
    ).json()
    kinds = [
        (i["kind"], i["details"].get("status")) for i in timeline if i["kind"].startswith("share")
    ]
    assert sorted(kinds) == [
        ("share", "accepted"),
        ("share", "declined"),
        ("share_response", "accepted"),
        ("share_response", "declined"),
    ]
    audited = [
        (i["details"]["entity_type"], i["details"]["action"])
        for i in timeline
        if i["kind"] == "audit"
    ]
    assert audited.count(("lead_shares", "create")) == 2
    assert audited.count(("lead_shares", "update")) == 2


def test_share_to_unknown_municipality_names_the_field(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    response = pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "999"},
        headers=pipeline.headers,
    )
    assert response.status_code == 422
    assert problem_fields(response) == {("municipality_code", "unknown")}
    shares = pipeline.client.get(f"/api/v1/leads/{lead['id']}/shares", headers=pipeline.headers)
    assert shares.json() == []


def test_shared_municipality_may_log_activity_but_not_move_the_lead(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    _, kajaani = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "205"},
        headers=pipeline.headers,
    )
    note = pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "meeting", "subject": "Site visit planned"},
        headers=kajaani,
    )
    assert note.status_code == 201
    moved = pipeline.move(lead["id"], kajaani, to_stage="contacted")
    assert moved.status_code == 403
