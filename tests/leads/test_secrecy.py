"""Need-to-know, proven (issue 11), at user level through the HTTP API and staff pages:

- a lead's secrecy marking (class, legal basis, announcement date);
- the forum reads reports, never a lead record;
- (a lead made from a portal inquiry names nobody: tests/portal/test_inquiry.py);
- the registers a lead links to (organisations, contacts, sites) stay where they belong.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadSite
from app.domain.access import Role
from app.domain.leads import (
    DEFAULT_CONFIDENTIALITY_BASIS,
    Confidentiality,
    investor_identity_public,
)
from tests.factories import Factory, csrf_from
from tests.leads.conftest import Pipeline, problem_fields

BUSINESS_SECRET = DEFAULT_CONFIDENTIALITY_BASIS[Confidentiality.CONFIDENTIAL]


def _today() -> date:
    return datetime.now(UTC).date()


# --- the domain rule -----------------------------------------------------------------


def test_the_investor_is_public_from_the_announcement_day_on_never_before() -> None:
    day = date(2026, 3, 1)
    assert not investor_identity_public(None, day)
    assert not investor_identity_public(day + timedelta(days=1), day)
    assert investor_identity_public(day, day)
    assert investor_identity_public(day - timedelta(days=400), day)


# --- the secrecy marking ----------------------------------------------------------------


def test_a_new_lead_is_a_business_secret_with_its_legal_basis(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    assert lead["confidentiality"] == "confidential"
    assert lead["confidentiality_basis"] == BUSINESS_SECRET
    assert "621/1999" in lead["confidentiality_basis"]
    assert lead["confidentiality_basis_is_default"] is True
    assert (lead["announced_on"], lead["investor_public"]) == (None, False)


def test_secrecy_is_edited_through_the_api(pipeline: Pipeline) -> None:
    lead = pipeline.lead(
        confidentiality="internal", confidentiality_basis="Council decision 12/2026"
    )
    assert (lead["confidentiality"], lead["confidentiality_basis"]) == (
        "internal",
        "Council decision 12/2026",
    )
    assert lead["confidentiality_basis_is_default"] is False
    url = f"/api/v1/leads/{lead['id']}"
    # A public lead says when it was announced.
    refused = pipeline.client.patch(
        url, json={"confidentiality": "public"}, headers=pipeline.headers
    )
    assert refused.status_code == 422
    assert problem_fields(refused) == {("announced_on", "required")}
    announced = _today() - timedelta(days=3)
    body = pipeline.client.patch(
        url,
        json={"confidentiality": "public", "announced_on": announced.isoformat()},
        headers=pipeline.headers,
    ).json()
    # A new class without a basis of its own takes the class default.
    assert body["confidentiality"] == "public"
    assert body["confidentiality_basis"] == DEFAULT_CONFIDENTIALITY_BASIS[Confidentiality.PUBLIC]
    assert (body["announced_on"], body["investor_public"]) == (announced.isoformat(), True)
    # An announcement planned for later keeps the name secret until the day.
    later = _today() + timedelta(days=30)
    body = pipeline.client.patch(
        url, json={"announced_on": later.isoformat()}, headers=pipeline.headers
    ).json()
    assert (body["announced_on"], body["investor_public"]) == (later.isoformat(), False)
    # Nor may the date go while the lead is public.
    cleared = pipeline.client.patch(url, json={"announced_on": None}, headers=pipeline.headers)
    assert problem_fields(cleared) == {("announced_on", "required")}
    unknown = pipeline.client.patch(url, json={"confidentiality": "top"}, headers=pipeline.headers)
    assert unknown.status_code == 422


def test_only_those_who_may_edit_the_lead_change_its_secrecy(pipeline: Pipeline) -> None:
    owner, owner_headers = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="765")
    lead = pipeline.lead(owner_id=str(owner.id))
    pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "205"},
        headers=pipeline.headers,
    )
    _, reader = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/leads/{lead['id']}"
    assert pipeline.client.get(url, headers=reader).json()["confidentiality"] == "confidential"
    change = {"confidentiality": "internal"}
    assert pipeline.client.patch(url, json=change, headers=reader).status_code == 403
    changed = pipeline.client.patch(url, json=change, headers=owner_headers)
    assert changed.status_code == 200
    assert changed.json()["confidentiality"] == "internal"


def test_secrecy_in_the_staff_form_and_on_the_lead_page(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Routa")
    factory.login(client, coordinator)
    page = client.get(f"/leads/{lead.id}")
    assert "Confidential (business secret)" in page.text
    assert "621/1999" in page.text
    assert "Not announced: the investor" in page.text
    form = client.get(f"/leads/{lead.id}/edit")
    assert 'name="confidentiality"' in form.text and 'name="announced_on"' in form.text
    values = {
        "csrf_token": csrf_from(form.text),
        "code_name": lead.code_name,
        "title": lead.title,
        "investment_type": lead.investment_type,
        "source": lead.source,
        "confidentiality": "public",
        "confidentiality_basis": "",
        "announced_on": "",
    }
    refused = client.post(f"/leads/{lead.id}/edit", data=values)
    assert refused.status_code == 422
    assert "A public lead needs the date it was announced." in refused.text
    saved = client.post(
        f"/leads/{lead.id}/edit",
        data={**values, "announced_on": "2024-05-02"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.refresh(lead)
    assert (lead.confidentiality, lead.announced_on) == ("public", date(2024, 5, 2))
    assert lead.confidentiality_basis is None  # the class default
    page = client.get(f"/leads/{lead.id}")
    assert "Public: the investor has announced the project" in page.text
    assert "name is public" in page.text


# --- the forum reads reports, not lead records -------------------------------------------


@pytest.fixture
def forum_api(pipeline: Pipeline) -> tuple[dict[str, Any], dict[str, str]]:
    org = pipeline.org(name="Hidden Investor Oy")
    lead = pipeline.lead(organization_id=org["id"], description="Negotiation notes")
    pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "note", "subject": "Call with the CEO"},
        headers=pipeline.headers,
    )
    _, forum = pipeline.user(Role.FORUM_VIEWER)
    return lead, forum


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/leads", 403),
        ("/api/v1/leads?q=Hidden", 403),
        ("/api/v1/leads/stale", 403),
        ("/api/v1/leads/export.csv", 403),
        ("/api/v1/leads/export.xlsx", 403),
        ("/api/v1/tasks", 403),
        ("/api/v1/leads/{id}", 404),
        ("/api/v1/leads/{id}/timeline", 404),
        ("/api/v1/leads/{id}/shares", 404),
        ("/api/v1/leads/{id}/activities", 404),
        ("/api/v1/leads/{id}/matching-sites", 404),
        ("/api/v1/audit/leads/{id}", 404),
    ],
)
def test_the_forum_reads_no_lead_record_through_the_api(
    pipeline: Pipeline, forum_api: tuple[dict[str, Any], dict[str, str]], path: str, status: int
) -> None:
    lead, forum = forum_api
    response = pipeline.client.get(path.replace("{id}", lead["id"]), headers=forum)
    assert response.status_code == status, response.text
    for secret in (lead["code_name"], "Hidden Investor", "Negotiation notes", "Call with the CEO"):
        assert secret not in response.text


def test_the_forum_changes_no_lead(
    pipeline: Pipeline, forum_api: tuple[dict[str, Any], dict[str, str]]
) -> None:
    lead, forum = forum_api
    url = f"/api/v1/leads/{lead['id']}"
    assert pipeline.client.patch(url, json={"title": "x"}, headers=forum).status_code == 404
    assert (
        pipeline.client.post(
            f"{url}/stage", json={"to_stage": "contacted"}, headers=forum
        ).status_code
        == 404
    )
    new = {"title": "Mine", "investment_type": "expansion", "source": "event"}
    assert pipeline.client.post("/api/v1/leads", json=new, headers=forum).status_code == 403


def test_the_forum_gets_no_lead_page_and_no_lead_navigation(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Kaamos")
    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    for path, status in (
        ("/leads", 403),
        ("/leads/board", 403),
        ("/leads/new", 403),
        ("/tasks", 403),
        (f"/leads/{lead.id}", 404),
        (f"/leads/{lead.id}/edit", 404),
        (f"/leads/{lead.id}/move?to_stage=contacted", 404),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert "Project Kaamos" not in response.text, path
    home = client.get("/staff")
    assert home.status_code == 200
    for link in ('href="/leads"', 'href="/leads/board"', 'href="/tasks"'):
        assert link not in home.text
    assert 'href="/reports"' in home.text


def test_the_forum_home_is_the_current_report(
    client: TestClient, factory: Factory, db: Session
) -> None:
    from app.db.models import InvestmentTarget

    db.add(
        InvestmentTarget(
            name="Kainuu target",
            amount_eur=1_200_000_000,
            period_start=date(_today().year - 1, 1, 1),
            period_end=date(_today().year + 2, 12, 31),
            scope="all",
        )
    )
    db.commit()
    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    home = client.get("/staff")
    assert home.status_code == 200
    assert "Kainuu target" in home.text
    assert "Leads behind the figures" in home.text
    # Other roles keep their own home page.
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    assert "Leads behind the figures" not in client.get("/staff").text


# --- linked registers stay where they belong ----------------------------------------------


@pytest.fixture
def kajaani(pipeline: Pipeline, factory: Factory) -> dict[str, Any]:
    """A Kajaani contact with a lead of their own, and records of the coordinator's
    register and of another municipality they may not read."""
    user, headers = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    own = pipeline.lead(headers)
    secret_org = pipeline.org(name="Coordinator's Prospect Oy")
    contact = pipeline.client.post(
        "/api/v1/contacts",
        headers=pipeline.headers,
        json={
            "full_name": "Pekka Prospect",
            "organization_id": secret_org["id"],
            "lawful_basis": "legitimate_interest",
            "source": "fair",
        },
    ).json()
    return {
        "user": user,
        "headers": headers,
        "lead": own,
        "org": secret_org["id"],
        "contact": contact["id"],
        "foreign_draft": str(factory.site(municipality="290", status="draft").id),
        "own_draft": str(factory.site(municipality="205", status="draft").id),
    }


def _refusal(response: Any) -> tuple[int, list[tuple[str, str]]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("field", "record", "as_list"),
    [
        ("organization_id", "org", False),
        ("contact_ids", "contact", True),
        ("site_ids", "foreign_draft", True),
    ],
)
def test_an_unreadable_record_is_refused_like_a_missing_one(
    pipeline: Pipeline, kajaani: dict[str, Any], field: str, record: str, as_list: bool
) -> None:
    headers = kajaani["headers"]
    hidden, missing = kajaani[record], str(uuid.uuid4())

    def value(record_id: str) -> Any:
        return [record_id] if as_list else record_id

    def create(record_id: str) -> Any:
        body = {
            "title": "Plant",
            "investment_type": "expansion",
            "source": "event",
            field: value(record_id),
        }
        return pipeline.client.post("/api/v1/leads", json=body, headers=headers)

    def patch(record_id: str) -> Any:
        return pipeline.client.patch(
            f"/api/v1/leads/{kajaani['lead']['id']}",
            json={field: value(record_id)},
            headers=headers,
        )

    for attempt in (create, patch):
        refused, absent = attempt(hidden), attempt(missing)
        assert _refusal(refused) == _refusal(absent) == (422, [(field, "unknown")])
        assert refused.json()["errors"][0]["reason"] == absent.json()["errors"][0][
            "reason"
        ].replace(missing, hidden)
    # The coordinator, whose register it is, links the same record (201).
    pipeline.lead(**{field: value(hidden)})


def test_link_endpoints_refuse_unreadable_records_like_missing_ones(
    pipeline: Pipeline, kajaani: dict[str, Any]
) -> None:
    headers, lead_id = kajaani["headers"], kajaani["lead"]["id"]
    missing = str(uuid.uuid4())
    url = f"/api/v1/leads/{lead_id}"
    hidden_site = pipeline.client.put(f"{url}/sites/{kajaani['foreign_draft']}", headers=headers)
    no_site = pipeline.client.put(f"{url}/sites/{missing}", headers=headers)
    assert (hidden_site.status_code, hidden_site.json()["errors"]) == (
        no_site.status_code,
        no_site.json()["errors"],
    )
    assert hidden_site.status_code == 422
    assert (
        pipeline.client.put(f"{url}/sites/{kajaani['own_draft']}", headers=headers).status_code
        == 200
    )
    # The contact register is the coordinator's: the same refusal whatever the id.
    hidden_contact = pipeline.client.put(
        f"{url}/contacts/{kajaani['contact']}", json={}, headers=headers
    )
    no_contact = pipeline.client.put(f"{url}/contacts/{missing}", json={}, headers=headers)
    assert hidden_contact.status_code == no_contact.status_code == 403
    assert hidden_contact.json()["detail"] == no_contact.json()["detail"]
    # Unlinking what one cannot see answers like a link that is not there.
    coordinator_lead = pipeline.lead(
        site_ids=[kajaani["foreign_draft"]], owner_id=str(kajaani["user"].id)
    )
    gone = pipeline.client.delete(
        f"/api/v1/leads/{coordinator_lead['id']}/sites/{kajaani['foreign_draft']}", headers=headers
    )
    never = pipeline.client.delete(
        f"/api/v1/leads/{coordinator_lead['id']}/sites/{missing}", headers=headers
    )
    assert gone.status_code == never.status_code == 404
    assert gone.json()["detail"] == never.json()["detail"]


def test_a_share_goes_to_a_partner_or_a_readable_organisation_only(
    pipeline: Pipeline, kajaani: dict[str, Any]
) -> None:
    headers, url = kajaani["headers"], f"/api/v1/leads/{kajaani['lead']['id']}/shares"
    hidden = pipeline.client.post(url, json={"organization_id": kajaani["org"]}, headers=headers)
    missing = pipeline.client.post(
        url, json={"organization_id": str(uuid.uuid4())}, headers=headers
    )
    assert _refusal(hidden) == _refusal(missing) == (422, [("organization_id", "unknown")])
    partner = pipeline.org(name="Business Finland", type="partner_agency")
    shared = pipeline.client.post(url, json={"organization_id": partner["id"]}, headers=headers)
    assert shared.status_code == 201, shared.text


def test_a_record_linked_to_a_shared_lead_is_readable_and_linkable(
    pipeline: Pipeline, kajaani: dict[str, Any]
) -> None:
    investor = pipeline.org(name="Shared Investor Oy")
    shared = pipeline.lead(organization_id=investor["id"])
    pipeline.client.post(
        f"/api/v1/leads/{shared['id']}/shares",
        json={"municipality_code": "205"},
        headers=pipeline.headers,
    )
    body = pipeline.client.get(f"/api/v1/leads/{shared['id']}", headers=kajaani["headers"]).json()
    assert body["organization"]["name"] == "Shared Investor Oy"
    linked = pipeline.client.patch(
        f"/api/v1/leads/{kajaani['lead']['id']}",
        json={"organization_id": investor["id"]},
        headers=kajaani["headers"],
    )
    assert linked.status_code == 200, linked.text


def test_responses_leave_out_sites_the_reader_may_not_see(
    pipeline: Pipeline, kajaani: dict[str, Any], factory: Factory, db: Session
) -> None:
    published = str(factory.site(municipality="290", status="published").id)
    lead = pipeline.lead(
        site_ids=[kajaani["foreign_draft"], published], owner_id=str(kajaani["user"].id)
    )
    url = f"/api/v1/leads/{lead['id']}"
    assert sorted(lead["site_ids"]) == sorted([kajaani["foreign_draft"], published])
    seen = pipeline.client.get(url, headers=kajaani["headers"]).json()
    assert seen["site_ids"] == [published]
    # Replacing the candidates they see leaves the one they do not see in place.
    changed = pipeline.client.patch(url, json={"site_ids": []}, headers=kajaani["headers"])
    assert changed.status_code == 200 and changed.json()["site_ids"] == []
    kept = db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == uuid.UUID(lead["id"])))
    assert [str(s) for s in kept] == [kajaani["foreign_draft"]]
    assert pipeline.client.get(url, headers=pipeline.headers).json()["site_ids"] == [
        kajaani["foreign_draft"]
    ]


def test_staff_form_refuses_an_unreadable_site_like_a_missing_one(
    client: TestClient, factory: Factory
) -> None:
    owner = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    lead = factory.lead(owner=owner)
    foreign_draft = factory.site(municipality="290", status="draft")
    factory.login(client, owner)
    token = csrf_from(client.get(f"/leads/{lead.id}").text)

    def post(site_id: str) -> Any:
        return client.post(
            f"/leads/{lead.id}/sites", data={"csrf_token": token, "site_id": site_id}
        )

    hidden, missing = post(str(foreign_draft.id)), post(str(uuid.uuid4()))
    assert hidden.status_code == missing.status_code == 422
    assert "No such site." in hidden.text and "No such site." in missing.text
    assert foreign_draft.name_en not in hidden.text and foreign_draft.name_fi not in hidden.text


def test_an_import_carries_the_secrecy_marking(pipeline: Pipeline, db: Session) -> None:
    text = (
        "title,investment_type,source,code_name,confidentiality,announced_on\n"
        "Plant,expansion,event,Project Tuisku,public,2025-04-01\n"
        "Mill,expansion,event,Project Nietos,public,\n"
        "Mine,expansion,event,Project Hanki,,\n"
    )

    def upload(dry_run: bool):  # type: ignore[no-untyped-def]
        return pipeline.client.post(
            "/api/v1/imports/leads",
            params={"dry_run": dry_run},
            files={"file": ("leads.csv", text.encode(), "text/csv")},
            headers=pipeline.headers,
        )

    report = upload(True).json()
    assert [[(e["field"], e["code"]) for e in r["errors"]] for r in report["rows"]] == [
        [],
        [("announced_on", "required")],
        [],
    ]
    text = text.replace("Project Nietos,public,", "Project Nietos,internal,")
    assert upload(False).status_code == 200
    marked = {
        lead.code_name: (lead.confidentiality, lead.announced_on)
        for lead in db.scalars(select(Lead).where(Lead.source == "event"))
    }
    assert marked == {
        "Project Tuisku": ("public", date(2025, 4, 1)),
        "Project Nietos": ("internal", None),
        "Project Hanki": ("confidential", None),
    }
