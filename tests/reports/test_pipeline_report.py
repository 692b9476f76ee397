"""Pipeline analytics: funnel now and at a past date, conversion, time in stage, new and
lost leads, activity and year over year — each figure checked exactly."""

from __future__ import annotations

from app.domain.access import Role
from tests.reports.conftest import Pipeline, at


def _pipeline_report(client, headers, as_of: str) -> dict:
    response = client.get("/api/v1/reports/pipeline", params={"as_of": as_of}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_funnel_conversion_and_time_in_stage(client, factory, pipeline: Pipeline) -> None:
    owner = factory.user(email="kaisa@example.com")
    pipeline.lead(
        [("identified", "2025-01-01"), ("contacted", "2025-01-11"), ("qualified", "2025-01-31")],
        owner=owner,
        capex_eur=1_000,
    )
    pipeline.lead(
        [("identified", "2025-01-01"), ("contacted", "2025-01-21"), ("lost", "2025-02-01")],
        owner=owner,
        capex_eur=2_000,
        lost_reason_code="no_response",
    )
    pipeline.lead([("identified", "2025-01-01")], capex_eur=4_000)
    # Skips stages: reaching "negotiation" counts as reaching every stage before it.
    pipeline.lead([("identified", "2025-01-01"), ("negotiation", "2025-01-05")], capex_eur=8_000)

    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    body = _pipeline_report(client, headers, "2025-03-01")
    funnel = {row["stage_code"]: row for row in body["funnel"]}
    assert [
        (code, funnel[code]["reached"])
        for code in ("identified", "contacted", "qualified", "site_search", "negotiation", "landed")
    ] == [
        ("identified", 4),
        ("contacted", 3),
        ("qualified", 2),
        ("site_search", 1),
        ("negotiation", 1),
        ("landed", 0),
    ]
    assert funnel["identified"]["conversion_percent"] == "75.0"
    assert funnel["contacted"]["conversion_percent"] == "66.7"
    assert funnel["negotiation"]["conversion_percent"] == "0.0"
    assert funnel["lost"]["reached"] is None
    assert [
        (code, funnel[code]["leads"], funnel[code]["capex_eur"])
        for code in ("identified", "qualified", "negotiation", "lost")
    ] == [
        ("identified", 1, 4_000),
        ("qualified", 1, 1_000),
        ("negotiation", 1, 8_000),
        ("lost", 1, 2_000),
    ]
    # Identified lasted 10, 20, 59 (to the report day) and 4 days: median (10 + 20) / 2.
    assert funnel["identified"]["median_days"] == "15.0"
    # Contacted lasted 20 and 11 days.
    assert funnel["contacted"]["median_days"] == "15.5"

    # On 15 January, the lost lead was still identified and nobody had reached qualified.
    past = {
        row["stage_code"]: row for row in _pipeline_report(client, headers, "2025-01-15")["funnel"]
    }
    assert past["identified"]["leads"] == 2
    assert past["contacted"]["leads"] == 1
    assert past["qualified"]["reached"] == 1  # the negotiation lead
    assert past["lost"]["leads"] == 0

    assert body["lost_by_reason"] == [{"key": "no_response", "leads": 1, "capex_eur": 2_000}]
    assert body["activity_by_owner"][0] == {"key": owner.full_name, "leads": 6, "capex_eur": 0}
    assert body["activity_by_owner"][1] == {"key": None, "leads": 3, "capex_eur": 0}
    # The same work by municipality: none of these leads has one.
    assert body["activity_by_municipality"] == [{"key": None, "leads": 9, "capex_eur": 0}]


def test_new_leads_by_month_and_source_and_year_over_year(client, factory, pipeline) -> None:
    pipeline.lead([("identified", "2025-01-15")], source="portal_inquiry")
    pipeline.lead([("identified", "2025-01-20")], source="portal_inquiry")
    pipeline.lead([("identified", "2025-03-02")], source="event")
    pipeline.lead([("identified", "2024-02-10")], source="event")
    pipeline.lead([("identified", "2024-05-10")], source="event")  # after 31 March: not YTD
    pipeline.lead(
        [("identified", "2024-01-10"), ("landed", "2024-03-01")],
        capex_eur=7_000_000,
        capex_status="realised",
        landing_municipality_code="205",
        landed_on=at("2024-03-01").date(),
    )
    _user, headers = factory.api_user(Role.COORDINATOR)
    body = _pipeline_report(client, headers, "2025-03-31")
    months = {(m["year"], m["month"]): m for m in body["new_by_month"]}
    assert len(body["new_by_month"]) == 12
    assert months[(2025, 1)]["by_source"] == {"portal_inquiry": 2}
    assert months[(2025, 3)]["by_source"] == {"event": 1}
    assert months[(2024, 5)]["by_source"] == {"event": 1}
    assert months[(2024, 4)]["total"] == 0
    assert body["sources"] == ["event", "portal_inquiry"]
    yoy = {y["year"]: y for y in body["year_over_year"]}
    assert sorted(yoy) == [2023, 2024, 2025]
    assert yoy[2025]["new_leads"] == 3
    assert yoy[2024]["new_leads"] == 2  # 10 Jan and 10 Feb; May is after the window
    assert (yoy[2024]["landed_leads"], yoy[2024]["realised_eur"]) == (1, 7_000_000)
    assert yoy[2024]["window_end"] == "2024-03-31"
    assert yoy[2024]["activity"] == 3  # two entries of the landed lead, one of February's
    assert yoy[2023]["new_leads"] == 0


def test_pipeline_report_is_not_for_municipal_contacts(client, factory) -> None:
    _user, headers = factory.api_user(Role.MUNICIPAL_CONTACT)
    assert client.get("/api/v1/reports/pipeline", headers=headers).status_code == 403
