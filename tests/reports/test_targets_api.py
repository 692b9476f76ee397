"""Targets are data: listed by everyone, created and changed by the coordinator."""

from __future__ import annotations

from app.domain.access import Role


def test_strategy_target_is_seeded_and_listed(client, factory) -> None:
    _user, headers = factory.api_user(Role.MUNICIPAL_CONTACT)
    response = client.get("/api/v1/targets", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["amount_eur"] == 1_200_000_000
    assert body["items"][0]["scope"] == "industrial"
    assert (body["items"][0]["period_start"], body["items"][0]["period_end"]) == (
        "2022-01-01",
        "2025-12-31",
    )


def test_coordinator_adds_and_changes_the_next_period(client, factory) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    created = client.post(
        "/api/v1/targets",
        json={
            "name": "  Kainuu 2026–2029  ",
            "amount_eur": 1_500_000_000,
            "period_start": "2026-01-01",
            "period_end": "2029-12-31",
            "scope": "all",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    target = created.json()
    assert target["name"] == "Kainuu 2026–2029"
    changed = client.patch(
        f"/api/v1/targets/{target['id']}",
        json={"amount_eur": 1_600_000_000, "municipality_code": "205"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["amount_eur"] == 1_600_000_000
    assert changed.json()["municipality_code"] == "205"
    audit = client.get(f"/api/v1/audit/investment_targets/{target['id']}", headers=headers)
    assert audit.status_code == 200
    assert sorted(e["action"] for e in audit.json()) == ["create", "update"]


def test_invalid_target_lists_every_error(client, factory) -> None:
    _user, headers = factory.api_user(Role.ADMIN)
    response = client.post(
        "/api/v1/targets",
        json={
            "name": " ",
            "amount_eur": 0,
            "period_start": "2026-01-01",
            "period_end": "2025-12-31",
            "industry_code": "nope",
            "municipality_code": "999",
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("name", "required"),
        ("amount_eur", "must_be_positive"),
        ("period_end", "before_start"),
        ("industry_code", "unknown"),
        ("municipality_code", "unknown"),
    }


def test_forum_viewer_cannot_change_targets(client, factory) -> None:
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    response = client.post(
        "/api/v1/targets",
        json={
            "name": "X",
            "amount_eur": 1,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
        headers=headers,
    )
    assert response.status_code == 403
