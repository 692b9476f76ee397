"""Leads over HTTP: create, stage rules, probability, filters, bad input."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadStageChange
from tests.leads.conftest import Pipeline, problem_fields


def test_create_generates_code_name_and_logs_first_stage(pipeline: Pipeline, db: Session) -> None:
    org = pipeline.org()
    lead = pipeline.lead(
        organization_id=org["id"],
        capex_eur=240_000_000,
        municipality_codes=["765", "205"],
        requirements={"min_area_ha": 20, "min_power_mw": 50, "needs_rail": True},
    )
    assert lead["code_name"].startswith("Project ")
    assert lead["stage_code"] == "identified"
    assert lead["probability"] == 5
    assert lead["weighted_value_eur"] == 12_000_000
    assert lead["organization"] == {"id": org["id"], "name": "Nordic Batteries Oy"}
    assert lead["municipality_codes"] == ["205", "765"]
    assert lead["requirements"] == {"min_area_ha": 20.0, "min_power_mw": 50.0, "needs_rail": True}
    log = db.scalars(select(LeadStageChange).where(LeadStageChange.lead_id == lead["id"])).all()
    assert [(c.from_stage, c.to_stage, c.actor_user_id) for c in log] == [
        (None, "identified", pipeline.coordinator.id)
    ]


def test_bad_requirement_profile_names_the_field(pipeline: Pipeline) -> None:
    response = pipeline.client.post(
        "/api/v1/leads",
        headers=pipeline.headers,
        json={
            "title": "X",
            "investment_type": "expansion",
            "source": "event",
            "requirements": {
                "min_area_ha": 30,
                "max_area_ha": 10,
                "zoning_statuses": ["moon_base"],
                "municipality_codes": ["999"],
            },
        },
    )
    assert response.status_code == 422
    assert problem_fields(response) == {
        ("requirements.max_area_ha", "below_minimum"),
        ("requirements.zoning_statuses", "unknown"),
        ("requirements.municipality_codes", "unknown"),
    }


def test_stage_change_logs_who_when_from_to_and_note(pipeline: Pipeline, db: Session) -> None:
    lead = pipeline.lead()
    response = pipeline.move(lead["id"], to_stage="qualified", note="Met in Kajaani")
    assert response.status_code == 200
    assert response.json()["stage_code"] == "qualified"
    assert response.json()["probability"] == 25
    change = db.scalars(
        select(LeadStageChange).where(
            LeadStageChange.lead_id == lead["id"], LeadStageChange.from_stage == "identified"
        )
    ).one()
    assert (change.to_stage, change.note, change.actor_user_id) == (
        "qualified",
        "Met in Kajaani",
        pipeline.coordinator.id,
    )


def test_unknown_stage_is_refused(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    response = pipeline.move(lead["id"], to_stage="teleported")
    assert response.status_code == 422
    assert problem_fields(response) == {("to_stage", "unknown_stage")}


def test_landing_requires_municipality_capex_and_date(pipeline: Pipeline, db: Session) -> None:
    lead = pipeline.lead(capex_eur=100_000_000)
    response = pipeline.move(lead["id"], to_stage="landed")
    assert response.status_code == 422
    assert problem_fields(response) == {
        ("landing_municipality_code", "required"),
        ("realised_capex_eur", "required"),
        ("capex_status", "required"),
        ("landed_on", "required"),
    }
    # nothing half-saved
    assert db.scalar(select(Lead.stage_code).where(Lead.id == lead["id"])) == "identified"
    assert db.scalar(select(func.count()).where(LeadStageChange.lead_id == lead["id"])) == 1


def test_landing_with_everything_feeds_the_ledger_fields(pipeline: Pipeline) -> None:
    lead = pipeline.lead(capex_eur=100_000_000, municipality_codes=["205"])
    response = pipeline.move(
        lead["id"],
        to_stage="landed",
        landing_municipality_code="578",
        realised_capex_eur=120_000_000,
        capex_status="realised",
        landed_on="2025-05-02",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stage_code"], body["capex_eur"], body["capex_status"]) == (
        "landed",
        120_000_000,
        "realised",
    )
    assert (body["landing_municipality_code"], body["landed_on"]) == ("578", "2025-05-02")
    assert body["probability"] == 100
    assert body["municipality_codes"] == ["205", "578"]


def test_losing_requires_a_reason_from_the_list(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    missing = pipeline.move(lead["id"], to_stage="lost")
    assert problem_fields(missing) == {("lost_reason_code", "required")}
    unknown = pipeline.move(lead["id"], to_stage="lost", lost_reason_code="bad_luck")
    assert problem_fields(unknown) == {("lost_reason_code", "unknown")}
    ok = pipeline.move(
        lead["id"], to_stage="lost", lost_reason_code="chose_other_country", note="Went to Sweden"
    )
    assert ok.status_code == 200
    assert (ok.json()["lost_reason_code"], ok.json()["lost_note"], ok.json()["probability"]) == (
        "chose_other_country",
        "Went to Sweden",
        0,
    )


def test_probability_override_with_reason_and_reset_on_stage_change(pipeline: Pipeline) -> None:
    lead = pipeline.lead(capex_eur=10_000_000)
    url = f"/api/v1/leads/{lead['id']}/probability"
    no_reason = pipeline.client.put(url, json={"probability": 60}, headers=pipeline.headers)
    assert problem_fields(no_reason) == {("probability_reason", "required")}
    too_high = pipeline.client.put(
        url, json={"probability": 101, "reason": "sure"}, headers=pipeline.headers
    )
    assert problem_fields(too_high) == {("probability", "out_of_range")}
    ok = pipeline.client.put(
        url, json={"probability": 60, "reason": "Board approved"}, headers=pipeline.headers
    )
    assert (ok.json()["probability"], ok.json()["weighted_value_eur"]) == (60, 6_000_000)
    moved = pipeline.move(lead["id"], to_stage="contacted").json()
    assert (moved["probability"], moved["probability_override"], moved["probability_reason"]) == (
        10,
        None,
        None,
    )


def test_stage_field_cannot_be_patched_directly(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    response = pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"stage_code": "landed"}, headers=pipeline.headers
    )
    assert response.status_code == 422
    assert problem_fields(response) == {("stage_code", "extra_forbidden")}


def test_filters_sorting_pagination_and_total(pipeline: Pipeline) -> None:
    a = pipeline.lead(title="Data centre Kajaani", industry_code="ict_data_centres", capex_eur=5)
    b = pipeline.lead(title="Sawmill", industry_code="forest_bioeconomy", capex_eur=7)
    c = pipeline.lead(title="Data hall", industry_code="ict_data_centres", capex_eur=9)
    pipeline.move(c["id"], to_stage="contacted")
    headers = pipeline.headers
    page = pipeline.client.get(
        "/api/v1/leads",
        params={"industry": "ict_data_centres", "sort": "-capex_eur", "limit": 1},
        headers=headers,
    ).json()
    assert (page["total"], [i["id"] for i in page["items"]]) == (2, [c["id"]])
    second = pipeline.client.get(
        "/api/v1/leads",
        params={"industry": "ict_data_centres", "sort": "-capex_eur", "limit": 1, "offset": 1},
        headers=headers,
    ).json()
    assert [i["id"] for i in second["items"]] == [a["id"]]
    by_stage = pipeline.client.get(
        "/api/v1/leads", params={"stage": "contacted"}, headers=headers
    ).json()
    assert [i["id"] for i in by_stage["items"]] == [c["id"]]
    text = pipeline.client.get("/api/v1/leads", params={"q": "sawm"}, headers=headers).json()
    assert [i["id"] for i in text["items"]] == [b["id"]]
    bad_sort = pipeline.client.get("/api/v1/leads", params={"sort": "secret"}, headers=headers)
    assert problem_fields(bad_sort) == {("sort", "unknown")}


def test_stages_and_lost_reasons_are_data(pipeline: Pipeline) -> None:
    stages = pipeline.client.get("/api/v1/stages", headers=pipeline.headers).json()
    assert [(s["code"], s["default_probability"]) for s in stages][:3] == [
        ("identified", 5),
        ("contacted", 10),
        ("qualified", 25),
    ]
    changed = pipeline.client.patch(
        "/api/v1/stages/qualified", json={"default_probability": 30}, headers=pipeline.headers
    )
    assert changed.json()["default_probability"] == 30
    created = pipeline.client.post(
        "/api/v1/lost-reasons",
        json={"code": "war", "name_fi": "Sota", "name_en": "War"},
        headers=pipeline.headers,
    )
    assert created.status_code == 201
    lead = pipeline.lead()
    assert pipeline.move(lead["id"], to_stage="lost", lost_reason_code="war").status_code == 200
