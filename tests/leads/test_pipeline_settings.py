"""Pipeline settings: the coordinator edits stages and lost reasons through the domain."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import LostReason, Stage
from app.domain.access import Role
from tests.factories import Factory, csrf_from
from tests.leads.conftest import Pipeline, problem_fields


def _stage_form(**changes: str) -> dict[str, str]:
    return {"name_fi": "Kvalifioitu", "name_en": "Qualified", "sort_order": "30", **changes}


def test_changed_default_probability_applies_to_leads_without_an_override(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    follows = factory.lead(owner=user, stage="qualified", capex_eur=1_000_000)
    overridden = factory.lead(
        owner=user, stage="qualified", probability_override=60, probability_reason="Board said yes"
    )
    page = client.get("/pipeline")
    assert page.status_code == 200
    assert 'id="stages.qualified.default_probability"' in page.text
    saved = client.post(
        "/pipeline/stages/qualified",
        data={
            "csrf_token": csrf_from(page.text),
            **_stage_form(name_en="Qualified lead", default_probability="35", active="1"),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/pipeline#stage-qualified"
    # The page the redirect lands on says so once (a flash message), and only once.
    assert "The stage was saved." in client.get("/pipeline").text
    assert "The stage was saved." not in client.get("/pipeline").text
    stage = db.get(Stage, "qualified")
    assert stage is not None
    db.refresh(stage)
    assert (stage.name_en, stage.default_probability, stage.active) == ("Qualified lead", 35, True)
    headers = factory.token(user)
    first = client.get(f"/api/v1/leads/{follows.id}", headers=headers).json()
    assert (first["probability"], first["weighted_value_eur"]) == (35, 350_000)
    assert client.get(f"/api/v1/leads/{overridden.id}", headers=headers).json()["probability"] == 60


def test_stage_form_errors_are_shown_beside_the_fields(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    factory.lead(owner=user, stage="contacted")
    token = csrf_from(client.get("/pipeline").text)
    bad = client.post(
        "/pipeline/stages/qualified",
        data={"csrf_token": token, **_stage_form(name_fi="", default_probability="101")},
    )
    assert bad.status_code == 422
    assert 'id="stages.qualified.name_fi-error">This field is required.' in bad.text
    assert (
        'id="stages.qualified.default_probability-error">Give a whole number from 0 to 100.'
        in bad.text
    )
    in_use = client.post(
        "/pipeline/stages/contacted",
        data={"csrf_token": token, **_stage_form(default_probability="10")},
    )
    assert in_use.status_code == 422
    assert "Move the 1 leads in this stage first." in in_use.text
    needed = client.post(
        "/pipeline/stages/lost",
        data={"csrf_token": token, **_stage_form(default_probability="0")},
    )
    assert "The pipeline rules need this stage." in needed.text
    stage = db.get(Stage, "contacted")
    assert stage is not None and stage.active is True
    # On hold has no probability field; saving it keeps the probability empty.
    on_hold = client.post(
        "/pipeline/stages/on_hold",
        data={"csrf_token": token, **_stage_form(name_fi="Pidossa", active="1")},
        follow_redirects=False,
    )
    assert on_hold.status_code == 303


def test_only_the_coordinator_sees_the_settings(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT))
    assert client.get("/pipeline").status_code == 403


def test_lost_reasons_are_added_renamed_and_deactivated(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    token = csrf_from(client.get("/pipeline").text)
    missing = client.post(
        "/pipeline/lost-reasons", data={"csrf_token": token, "name_fi": "Sota", "name_en": ""}
    )
    assert missing.status_code == 422
    assert 'id="lost_reasons.new.name_en-error">This field is required.' in missing.text
    added = client.post(
        "/pipeline/lost-reasons",
        data={"csrf_token": token, "name_fi": "Kilpailija voitti", "name_en": "Competitor won"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    reason = db.get(LostReason, "competitor_won")
    assert reason is not None and reason.active
    renamed = client.post(
        "/pipeline/lost-reasons/competitor_won",
        data={"csrf_token": token, "name_fi": "Kilpailija", "name_en": "A competitor won"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    db.refresh(reason)
    assert (reason.name_fi, reason.name_en, reason.active) == (
        "Kilpailija",
        "A competitor won",
        False,
    )
    # A deactivated reason is no longer offered when a lead is lost.
    lead = factory.lead(owner=user)
    dialog = client.get(f"/leads/{lead.id}/move", params={"to_stage": "lost"})
    assert 'value="competitor_won"' not in dialog.text
    assert 'value="no_response"' in dialog.text


def test_api_renames_and_deactivates_a_lost_reason(pipeline: Pipeline, db: Session) -> None:
    client, headers = pipeline.client, pipeline.headers
    changed = client.patch(
        "/api/v1/lost-reasons/no_response",
        json={"name_en": "Went silent", "active": False},
        headers=headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["name_en"], changed.json()["active"]) == ("Went silent", False)
    blank = client.patch("/api/v1/lost-reasons/other", json={"name_fi": " "}, headers=headers)
    assert problem_fields(blank) == {("name_fi", "required")}
    assert client.patch("/api/v1/lost-reasons/nope", json={}, headers=headers).status_code == 404
    order = client.patch("/api/v1/stages/qualified", json={"sort_order": 25}, headers=headers)
    assert order.json()["sort_order"] == 25
    on_hold = client.patch(
        "/api/v1/stages/on_hold", json={"default_probability": 20}, headers=headers
    )
    assert problem_fields(on_hold) == {("default_probability", "not_allowed")}
    assert db.scalar(select(LostReason.active).where(LostReason.code == "no_response")) is False
