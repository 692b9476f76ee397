"""Staff pages: the board works without JavaScript, forms show field messages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadStageChange, Organization
from app.domain.access import Role
from app.web.assets import static_url
from tests.factories import Factory, csrf_from


def _coordinator(client: TestClient, factory: Factory):
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    return user


def test_board_card_moves_through_the_dialog_without_javascript(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = _coordinator(client, factory)
    lead = factory.lead(owner=user, code_name="Project Kide")
    board = client.get("/leads/board")
    assert board.status_code == 200
    assert "Project Kide" in board.text
    assert f'action="/leads/{lead.id}/move"' in board.text
    assert f'<script src="{static_url("leads-board.js")}" defer></script>' in board.text
    dialog = client.get(f"/leads/{lead.id}/move", params={"to_stage": "landed"})
    assert 'name="landing_municipality_code"' in dialog.text
    refused = client.post(
        f"/leads/{lead.id}/move",
        data={"csrf_token": csrf_from(dialog.text), "to_stage": "landed", "next": "/leads/board"},
    )
    assert refused.status_code == 422
    assert "Choose the municipality where the investment landed." in refused.text
    assert db.scalar(select(Lead.stage_code).where(Lead.id == lead.id)) == "identified"
    moved = client.post(
        f"/leads/{lead.id}/move",
        data={
            "csrf_token": csrf_from(dialog.text),
            "to_stage": "qualified",
            "next": "/leads/board",
        },
        follow_redirects=False,
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/leads/board")
    changes = db.scalars(
        select(LeadStageChange.to_stage)
        .where(LeadStageChange.lead_id == lead.id)
        .order_by(LeadStageChange.at)
    ).all()
    assert changes == ["identified", "qualified"]


def test_move_needs_the_csrf_token(client: TestClient, factory: Factory) -> None:
    user = _coordinator(client, factory)
    lead = factory.lead(owner=user)
    response = client.post(f"/leads/{lead.id}/move", data={"to_stage": "qualified"})
    assert response.status_code == 403


def test_new_lead_form_and_lead_page_with_timeline(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _coordinator(client, factory)
    form = client.get("/leads/new")
    bad = client.post(
        "/leads/new",
        data={
            "csrf_token": csrf_from(form.text),
            "title": "",
            "investment_type": "expansion",
            "source": "event",
            "capex_eur": "lots",
        },
    )
    assert bad.status_code == 422
    assert 'id="title" name="title"' in bad.text and "This field is required." in bad.text
    assert "Give a whole number." in bad.text
    created = client.post(
        "/leads/new",
        data={
            "csrf_token": csrf_from(form.text),
            "title": "Fish farm",
            "investment_type": "expansion",
            "source": "event",
            "capex_eur": "3000000",
            "municipality_codes": ["290"],
            "req_min_area_ha": "2",
            "req_needs_rail": "1",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    lead = db.scalars(select(Lead).where(Lead.title == "Fish farm")).one()
    assert lead.requirements == {"min_area_ha": 2.0, "needs_rail": True}
    page = client.get(created.headers["location"])
    note = client.post(
        f"/leads/{lead.id}/activities",
        data={"csrf_token": csrf_from(page.text), "kind": "call", "subject": "Called the CEO"},
        follow_redirects=False,
    )
    assert note.status_code == 303
    page = client.get(f"/leads/{lead.id}")
    assert "Called the CEO" in page.text
    assert 'id="timeline"' in page.text


def test_forum_viewer_gets_no_lead_pages(client: TestClient, factory: Factory) -> None:
    owner = factory.user(Role.COORDINATOR)
    org = factory.organization(name="Secret Investor GmbH")
    lead = factory.lead(owner=owner, organization_id=org.id, code_name="Project Usva")
    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    listing = client.get("/leads")
    assert listing.status_code == 403
    assert "Project Usva" not in listing.text
    page = client.get(f"/leads/{lead.id}")
    assert page.status_code == 404
    assert "Secret Investor" not in page.text and "Project Usva" not in page.text


def test_organisation_form_names_the_bad_business_id(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _coordinator(client, factory)
    page = client.get("/organizations")
    response = client.post(
        "/organizations",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Typo Oy",
            "type": "company",
            "country": "FI",
            "business_id": "0116297-5",
        },
    )
    assert response.status_code == 422
    assert "The check digit does not match" in response.text
    assert db.scalar(select(Organization.id).where(Organization.name == "Typo Oy")) is None


def test_my_tasks_page_lists_handoffs_and_tasks(client: TestClient, factory: Factory) -> None:
    owner = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=owner, code_name="Project Halla")
    factory.share(lead, municipality="205")
    kajaani = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    factory.login(client, kajaani)
    page = client.get("/tasks")
    assert page.status_code == 200
    assert "Project Halla" in page.text
    lead_page = client.get(f"/leads/{lead.id}")
    assert 'name="decision" value="accept"' in lead_page.text


def test_lead_list_row_shows_stage_capex_and_weighted_value(
    client: TestClient, factory: Factory
) -> None:
    """The list's row cells as the reader writes them: the stage's badge by its code,
    whole euros in the page's language (formatted from a cached pattern)."""
    user = _coordinator(client, factory)
    lead = factory.lead(
        owner=user, stage="qualified", code_name="Project Row", capex_eur=12_345_678
    )
    page = client.get("/leads", params={"q": "Project Row"})
    assert page.status_code == 200
    row = page.text.split(f'<a href="/leads/{lead.id}">', 1)[1].split("</tr>")[0]
    assert "Project Row" in row
    assert '<span class="badge plain stage-open">Qualified</span>' in row
    assert "€12,345,678" in row
    fragment = client.get("/leads", params={"q": "Project Row"}, headers={"HX-Request": "true"})
    assert '<span class="badge plain stage-open">Qualified</span>' in fragment.text
