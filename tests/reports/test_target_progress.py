"""Target progress over the HTTP API: every figure of a hand-made pipeline, exactly."""

from __future__ import annotations

from decimal import Decimal

from app.domain.access import Role
from app.domain.targets import weighted_amount
from tests.reports.conftest import Known


def _amount(total: int, estimated: int, confirmed: int, leads: int) -> dict[str, int]:
    # The known pipeline has no jobs.
    jobs = {"jobs": 0, "jobs_estimated": 0, "jobs_confirmed": 0}
    return {"total": total, "estimated": estimated, "confirmed": confirmed, "leads": leads, **jobs}


def test_totals_now(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    response = client.get(
        f"/api/v1/targets/{known.target.id}/progress",
        params={"as_of": "2026-01-15"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # The leads with an amount in no figure are listed apart, with their reasons.
    excluded = body["totals"].pop("excluded")
    assert excluded["leads"] == sum(
        1 for lead in known.leads.values() if lead.capex_eur is not None
    ) - sum(body["totals"][f]["leads"] for f in ("realised", "committed", "weighted"))
    assert body["totals"] == {
        "realised": _amount(240_000_000, 0, 240_000_000, 1),
        "committed": _amount(800_000_000, 800_000_000, 0, 1),
        "weighted": _amount(78_300_004, 75_000_001, 3_300_003, 2),
        "announced": _amount(10_000_010, 0, 10_000_010, 1),
        "forecast": _amount(1_118_300_004, 875_000_001, 243_300_003, 4),
    }
    assert body["gap_to_forecast_eur"] == 81_699_996
    assert body["gap_to_realised_eur"] == 960_000_000
    assert [(y["year"], y["figures"]["realised"]["total"]) for y in body["years"]] == [
        (2022, 0),
        (2023, 240_000_000),
        (2024, 0),
        (2025, 0),
    ]
    assert [y["cumulative"]["forecast"]["total"] for y in body["years"]] == [
        0,
        240_000_000,
        1_040_000_000,
        1_118_300_004,
    ]


def test_weighted_rounding_matches_the_domain_rule() -> None:
    assert weighted_amount(100_000_001, 75) == 75_000_001
    assert weighted_amount(10_000_010, 33) == 3_300_003
    assert weighted_amount(2, 25) == 1  # 0.5 rounds half up


def test_splits_count_each_investment_once(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    response = client.get(
        f"/api/v1/targets/{known.target.id}/progress",
        params=[
            ("as_of", "2026-01-15"),
            ("group_by", "municipality"),
            ("group_by", "industry"),
            ("group_by", "investment_type"),
            ("group_by", "origin_country"),
        ],
        headers=headers,
    )
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]

    def forecast(dimension: str) -> dict[str | None, int]:
        return {g["key"]: g["figures"]["forecast"]["total"] for g in groups[dimension]}

    # Alpha had two candidates and counts only in Sotkamo, where it landed; Delta has two
    # candidates and no landing yet, so it is counted once, under no municipality.
    assert forecast("municipality") == {
        "578": 800_000_000,
        "765": 240_000_000,
        "205": 75_000_001,
        None: 3_300_003,
    }
    assert forecast("industry") == {
        "forest_bioeconomy": 800_000_000,
        "mining_chemicals": 240_000_000,
        "ict_data_centres": 75_000_001,
        "metal_machinery": 3_300_003,
    }
    assert forecast("investment_type") == {
        "greenfield_fdi": 878_300_004,
        "expansion": 240_000_000,
    }
    assert forecast("origin_country") == {
        "CN": 800_000_000,
        "FI": 240_000_000,
        "US": 75_000_001,
        "DE": 3_300_003,
    }
    sotkamo = next(g for g in groups["municipality"] if g["key"] == "765")
    assert sotkamo["figures"]["realised"] == _amount(240_000_000, 0, 240_000_000, 1)


def test_as_of_dates_use_the_stage_log(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)

    def totals(as_of: str) -> dict[str, int]:
        body = client.get(
            f"/api/v1/targets/{known.target.id}/progress",
            params={"as_of": as_of},
            headers=headers,
        ).json()
        return {
            name: amount["total"] for name, amount in body["totals"].items() if name != "excluded"
        }

    # Foxtrot was still negotiating (75 % of 300 M) before it was lost on 1 October 2024.
    assert totals("2024-09-30") == {
        "realised": 240_000_000,
        "committed": 800_000_000,
        "weighted": 78_300_004 + 225_000_000,
        "announced": 10_000_010,
        "forecast": 1_343_300_004,
    }
    # The lost lead leaves the forecast the day it is lost.
    assert totals("2024-10-01")["forecast"] == 1_118_300_004
    # End of 2023: Bravo was pending a decision (90 % of 800 M); Charlie and Delta did
    # not exist yet; Alpha had been realised.
    assert totals("2023-12-31") == {
        "realised": 240_000_000,
        "committed": 0,
        "weighted": 720_000_000 + 225_000_000,
        "announced": 0,
        "forecast": 1_185_000_000,
    }
    # Before Alpha landed, nothing was realised.
    assert totals("2023-05-09")["realised"] == 0


def test_all_investment_scope_includes_tourism(client, factory, known, pipeline) -> None:
    target = pipeline.target(name="All investment", scope="all", amount_eur=2_000_000_000)
    _user, headers = factory.api_user(Role.COORDINATOR)
    body = client.get(
        f"/api/v1/targets/{target.id}/progress",
        params={"as_of": "2026-01-15"},
        headers=headers,
    ).json()
    # Echo (tourism, negotiation 75 % of 50 M) joins the weighted pipeline.
    assert body["totals"]["weighted"]["total"] == 78_300_004 + 37_500_000
    assert body["gap_to_forecast_eur"] == 2_000_000_000 - 1_155_800_004


def test_municipality_and_industry_targets(client, factory, known, pipeline) -> None:
    kajaani = pipeline.target(name="Kajaani", scope="all", municipality_code="205")
    technology = pipeline.target(name="Technology", industry_code="technology")
    _user, headers = factory.api_user(Role.COORDINATOR)

    def forecast(target_id) -> int:
        body = client.get(
            f"/api/v1/targets/{target_id}/progress",
            params={"as_of": "2026-01-15"},
            headers=headers,
        ).json()
        return body["totals"]["forecast"]["total"]

    assert forecast(kajaani.id) == 75_000_001
    # Technology's children: ICT and data centres, metal and machinery.
    assert forecast(technology.id) == 75_000_001 + 3_300_003


def test_drill_down_lists_the_leads_behind_a_figure(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    response = client.get(
        f"/api/v1/targets/{known.target.id}/progress/leads",
        params={"as_of": "2026-01-15", "figure": "weighted"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert [
        (r["code_name"], r["amount_eur"], r["basis"], r["stage_code"]) for r in body["items"]
    ] == [
        ("Project Charlie", 75_000_001, "estimated", "negotiation"),
        ("Project Delta", 3_300_003, "confirmed", "site_visit"),
    ]
    assert body["items"][1]["organization_name"] == "Salainen Sijoittaja Oy"
    # Where each counts: its only candidate, none while it has several.
    assert [r["municipality_code"] for r in body["items"]] == ["205", None]

    unassigned = client.get(
        f"/api/v1/targets/{known.target.id}/progress/leads",
        params={"as_of": "2026-01-15", "dimension": "municipality"},
        headers=headers,
    ).json()
    assert [r["code_name"] for r in unassigned["items"]] == ["Project Delta"]
    kajaani = client.get(
        f"/api/v1/targets/{known.target.id}/progress/leads",
        params={"as_of": "2026-01-15", "dimension": "municipality", "value": "205"},
        headers=headers,
    ).json()
    assert [r["code_name"] for r in kajaani["items"]] == ["Project Charlie"]


def test_forum_viewer_drill_down_shows_code_names_only(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    body = client.get(
        f"/api/v1/targets/{known.target.id}/progress/leads",
        params={"as_of": "2026-01-15"},
        headers=headers,
    ).json()
    assert body["total"] == 4
    assert {r["code_name"] for r in body["items"]} == {
        "Project Alpha",
        "Project Bravo",
        "Project Charlie",
        "Project Delta",
    }
    assert {r["organization_name"] for r in body["items"]} == {None}


def test_progress_is_for_report_readers_only(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.MUNICIPAL_CONTACT)
    response = client.get(f"/api/v1/targets/{known.target.id}/progress", headers=headers)
    assert response.status_code == 403


def test_percentages(client, factory, known: Known) -> None:
    from app.domain.targets import percent_of

    assert percent_of(240_000_000, 1_200_000_000) == Decimal("20.0")
    assert percent_of(1_118_300_004, 1_200_000_000) == Decimal("93.2")
