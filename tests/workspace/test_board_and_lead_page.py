"""The board's cards and moves with a note, the lead page's next step, and the new-lead
form's source, as a person meets them over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Activity, Lead, LeadStageChange, User
from app.domain.access import SYSTEM_ACTOR, Role
from app.i18n import format_eur
from app.services import board
from app.services.auth import actor_for
from app.services.dashboard import local_day
from app.services.leads import LeadFilters
from tests.factories import Factory, csrf_from

TODAY = local_day(datetime.now(UTC))


def _login(client: TestClient, factory: Factory, user: User) -> None:
    client.cookies.clear()
    factory.login(client, user)


def _task(db: Session, lead: Lead, user: User, subject: str, days_from_today: int) -> Activity:
    bind_actor(db, SYSTEM_ACTOR)
    task = Activity(
        kind="task",
        subject=subject,
        lead_id=lead.id,
        due_on=TODAY + timedelta(days=days_from_today),
        assignee_id=user.id,
        created_by_id=user.id,
        occurred_at=utcnow(),
    )
    db.add(task)
    db.commit()
    return task


def _card(html: str, code_name: str) -> str:
    for match in re.finditer(r'<li class="lead-card[^"]*"(.*?)</li>', html, re.S):
        if f">{code_name}</a>" in match.group(1):
            return match.group(0)
    return ""


def test_cards_show_owner_value_days_in_stage_and_next_task(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    busy = factory.lead(
        owner=coordinator, code_name="Project Busy", stage="qualified", capex_eur=12_500_000
    )
    busy.stage_changed_at = utcnow() - timedelta(days=6)
    db.commit()
    _task(db, busy, coordinator, "Send the site shortlist", -2)
    _task(db, busy, coordinator, "Book the site visit", 5)
    quiet = factory.lead(code_name="Project Quiet", stage="qualified")
    done = _task(db, quiet, coordinator, "Already done", -1)
    done.done_at = utcnow()
    db.commit()

    _login(client, factory, coordinator)
    html = client.get("/leads/board").text
    card = _card(html, "Project Busy")
    assert coordinator.full_name in card
    assert format_eur(12_500_000, "en") in card
    assert "6 days in this stage" in card
    # The next task is the open one due soonest; overdue in a badge and in words.
    assert "Next: Send the site shortlist" in card and "Book the site visit" not in card
    assert "Overdue" in card and "overdue by 2 days" in card and "is-overdue" in card

    other = _card(html, "Project Quiet")
    assert "No owner" in other and "No amount yet" in other
    assert "No next step planned" in other and "Already done" not in other
    assert "in this stage since today" in other


def test_cards_in_finnish(client: TestClient, factory: Factory, db: Session) -> None:
    coordinator = factory.user(Role.COORDINATOR, language="fi")
    lead = factory.lead(owner=coordinator, code_name="Project Suomi", capex_eur=2_000_000)
    _task(db, lead, coordinator, "Soita", 0)
    _login(client, factory, coordinator)
    card = _card(client.get("/leads/board").text, "Project Suomi")
    assert format_eur(2_000_000, "fi") in card
    assert "erääntyy tänään" in card
    assert "Vastuuhenkilö: " in card


def test_a_municipal_contacts_board_shows_only_their_leads_and_tasks(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    contact = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    shared = factory.lead(owner=coordinator, code_name="Project Shared")
    factory.share(shared, municipality="205", status="accepted")
    factory.lead(owner=coordinator, code_name="Project Secret")
    _task(db, shared, coordinator, "Coordinator's own call", 1)
    _login(client, factory, contact)
    html = client.get("/leads/board").text
    assert "Project Shared" in html and "Project Secret" not in html


def test_columns_count_and_weigh_every_lead_not_only_the_cards_shown(
    factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    for n, capex in enumerate((1_000_001, 2_000_000, 3_000_000)):
        factory.lead(owner=coordinator, code_name=f"Project Weigh {n}", capex_eur=capex)
    columns = board.board(
        db, actor_for(coordinator), LeadFilters(q="Project Weigh"), TODAY, per_stage=2
    )
    identified = next(c for c in columns if c.stage.code == "identified")
    assert (identified.total, len(identified.cards)) == (3, 2)
    # 5 % of each, rounded half up per lead as app.domain.leads.weighted_value does.
    assert identified.weighted_eur == 50_000 + 100_000 + 150_000


def test_the_board_offers_the_move_dialog_with_no_inline_script(
    client: TestClient, factory: Factory
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Dialog")
    _login(client, factory, coordinator)
    html = client.get("/leads/board").text
    assert '<dialog class="dialog" id="move-dialog"' in html
    assert 'name="note"' in html and 'data-when="lost"' in html and 'data-when="won"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "onclick" not in html and "ondrop" not in html
    # Each card's no-script form leads to the move page with the same note field.
    page = client.get(
        f"/leads/{lead.id}/move", params={"to_stage": "contacted", "next": "/leads/board"}
    )
    assert 'id="note"' in page.text and "Note (optional)" in page.text
    assert 'name="next" value="/leads/board"' in page.text


def test_a_move_carries_its_note(client: TestClient, factory: Factory, db: Session) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Noted")
    _login(client, factory, coordinator)
    token = csrf_from(client.get("/leads/board").text)
    moved = client.post(
        f"/leads/{lead.id}/move",
        data={
            "csrf_token": token,
            "to_stage": "qualified",
            "note": "Site visit agreed",
            "next": "/leads/board?q=Noted",
        },
        follow_redirects=False,
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/leads/board?q=Noted")
    change = db.scalar(
        select(LeadStageChange).where(
            LeadStageChange.lead_id == lead.id, LeadStageChange.to_stage == "qualified"
        )
    )
    assert change is not None and change.note == "Site visit agreed"


def test_losing_needs_a_reason_and_reopening_needs_a_note_on_the_server(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Rules", stage="negotiation")
    _login(client, factory, coordinator)
    token = csrf_from(client.get("/leads/board").text)

    def move(**data: str):
        return client.post(
            f"/leads/{lead.id}/move",
            data={"csrf_token": token, "next": "/leads/board", **data},
            follow_redirects=False,
        )

    refused = move(to_stage="lost", note="They went quiet")
    assert refused.status_code == 422
    assert "Why was it lost? (required)" in refused.text
    assert 'id="lost_reason_code" name="lost_reason_code" aria-invalid="true"' in refused.text
    # What was typed is kept.
    assert "They went quiet" in refused.text
    db.refresh(lead)
    assert lead.stage_code == "negotiation"

    assert move(to_stage="lost", lost_reason_code="no_response", note="Quiet").status_code == 303
    db.refresh(lead)
    assert (lead.stage_code, lead.lost_note) == ("lost", "Quiet")

    reopen = move(to_stage="qualified")
    assert reopen.status_code == 422
    assert "Why is the closed lead reopened? (required)" in reopen.text
    assert 'id="note" name="note"' in reopen.text
    db.refresh(lead)
    assert lead.stage_code == "lost"
    assert move(to_stage="qualified", note="They called back").status_code == 303
    db.refresh(lead)
    assert lead.stage_code == "qualified"


def test_the_lead_page_puts_the_next_step_first(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project First", stage="site_visit")
    lead.stage_changed_at = utcnow() - timedelta(days=12)
    db.commit()
    _task(db, lead, coordinator, "Confirm the visit programme", -1)
    _task(db, lead, coordinator, "Send the minutes", 4)
    _login(client, factory, coordinator)
    html = client.get(f"/leads/{lead.id}").text
    next_step = html.index('id="next-step"')
    assert next_step < html.index('id="facts-h"') < html.index('id="timeline"')
    top = html[next_step : html.index('id="facts-h"')]
    assert "Confirm the visit programme" in top and "Send the minutes" not in top
    assert "Overdue" in top and "overdue by one day" in top
    assert "Site visit" in top and "12 days in this stage" in top
    assert f'action="/leads/{lead.id}/move"' in top and 'id="quick-stage"' in top
    assert f'href="/leads/{lead.id}/edit"' in html[: html.index('id="next-step"')]


def test_a_lead_without_a_task_prompts_to_plan_one(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    lead = factory.lead(owner=coordinator, code_name="Project Plan")
    _login(client, factory, coordinator)
    page = client.get(f"/leads/{lead.id}").text
    top = page[page.index('id="next-step"') : page.index('id="facts-h"')]
    assert "No next step is planned." in top and 'name="form_name" value="next_task"' in top

    refused = client.post(
        f"/leads/{lead.id}/activities",
        data={"csrf_token": csrf_from(page), "form_name": "next_task", "kind": "task"},
    )
    assert refused.status_code == 422
    top = refused.text[refused.text.index('id="next-step"') : refused.text.index('id="facts-h"')]
    assert 'id="next-subject-error"' in top and 'id="next-due-error"' in top

    due = (TODAY + timedelta(days=2)).isoformat()
    planned = client.post(
        f"/leads/{lead.id}/activities",
        data={
            "csrf_token": csrf_from(page),
            "form_name": "next_task",
            "kind": "task",
            "subject": "Call the CFO",
            "due_on": due,
        },
        follow_redirects=False,
    )
    assert planned.headers["location"] == f"/leads/{lead.id}#next-step"
    page = client.get(f"/leads/{lead.id}").text
    top = page[page.index('id="next-step"') : page.index('id="facts-h"')]
    assert "Call the CFO" in top and "due in 2 days" in top


def test_a_new_leads_source_has_no_default_and_is_required(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    _login(client, factory, coordinator)
    form = client.get("/leads/new").text
    select_html = re.search(r'<select id="source".*?</select>', form, re.S)
    assert select_html is not None
    options = re.findall(r"<option[^>]*>", select_html.group(0))
    assert options[0] == '<option value="" selected>'
    assert all("selected" not in o for o in options[1:])

    refused = client.post(
        "/leads/new",
        data={
            "csrf_token": csrf_from(form),
            "title": "Sourceless plant",
            "investment_type": "expansion",
        },
    )
    assert refused.status_code == 422
    assert 'id="source-error">Choose where the lead came from.</p>' in refused.text
    assert 'aria-describedby="source-error"' in refused.text
    assert db.scalar(select(Lead.id).where(Lead.title == "Sourceless plant")) is None

    created = client.post(
        "/leads/new",
        data={
            "csrf_token": csrf_from(form),
            "title": "Sourced plant",
            "investment_type": "expansion",
            "source": "event",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert db.scalar(select(Lead.source).where(Lead.title == "Sourced plant")) == "event"
