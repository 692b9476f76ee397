"""The ledger rules, tried as a coordinator would: through the HTTP API and staff pages."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadAmount
from app.domain.access import Role
from tests.factories import Factory, csrf_from
from tests.ledger.conftest import Pipeline, problem_fields

TODAY = datetime.now(UTC).date()
# A running period around today: expected decisions inside it are counted.
PERIOD = {"period_start": f"{TODAY.year - 1}-01-01", "period_end": f"{TODAY.year + 2}-12-31"}
IN_PERIOD = f"{TODAY.year + 1}-06-30"


def _target(pipeline: Pipeline, **values: Any) -> str:
    response = pipeline.client.post(
        "/api/v1/targets",
        json={"name": "Ledger target", "amount_eur": 1_000_000_000, **PERIOD, **values},
        headers=pipeline.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _progress(pipeline: Pipeline, target_id: str, **params: Any) -> dict[str, Any]:
    response = pipeline.client.get(
        f"/api/v1/targets/{target_id}/progress", params=params, headers=pipeline.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _drill(pipeline: Pipeline, target_id: str, **params: Any) -> list[dict[str, Any]]:
    response = pipeline.client.get(
        f"/api/v1/targets/{target_id}/progress/leads",
        params={"limit": 200, **params},
        headers=pipeline.headers,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _land(pipeline: Pipeline, lead_id: str, **values: Any) -> Any:
    body = {
        "to_stage": "landed",
        "landing_municipality_code": "205",
        "realised_capex_eur": 50_000_000,
        "capex_status": "realised",
        "landed_on": TODAY.isoformat(),
        **values,
    }
    return pipeline.move(lead_id, **body)


def test_committed_only_from_the_decision_stages_on(pipeline: Pipeline) -> None:
    # A lead in its first stage marked "committed" would count at 100 %: refused.
    early = pipeline.client.post(
        "/api/v1/leads",
        json={
            "title": "Early commitment",
            "investment_type": "expansion",
            "source": "partner",
            "capex_eur": 30_000_000,
            "capex_status": "committed",
        },
        headers=pipeline.headers,
    )
    assert early.status_code == 422
    assert ("capex_status", "committed_needs_decision_stage") in problem_fields(early)
    lead = pipeline.lead(capex_eur=30_000_000, expected_decision_on=IN_PERIOD)
    edit = pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"capex_status": "committed"}, headers=pipeline.headers
    )
    assert ("capex_status", "committed_needs_decision_stage") in problem_fields(edit)
    assert pipeline.move(lead["id"], to_stage="negotiation").status_code == 200
    edit = pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"capex_status": "committed"}, headers=pipeline.headers
    )
    assert edit.status_code == 200, edit.text
    # Back before the decision stages with the amount still committed: refused.
    back = pipeline.move(lead["id"], to_stage="qualified")
    assert back.status_code == 422
    assert ("capex_status", "committed_needs_decision_stage") in problem_fields(back)
    # On hold keeps what was committed.
    assert pipeline.move(lead["id"], to_stage="on_hold").status_code == 200


def test_decision_stages_are_data(pipeline: Pipeline) -> None:
    stages = pipeline.client.get("/api/v1/stages", headers=pipeline.headers).json()
    assert {s["code"] for s in stages if s["decision"]} == {"negotiation", "decision_pending"}
    flagged = pipeline.client.patch(
        "/api/v1/stages/site_visit", json={"decision": True}, headers=pipeline.headers
    )
    assert flagged.status_code == 200 and flagged.json()["decision"] is True
    lead = pipeline.lead(stage_code="site_visit", capex_eur=5_000_000, capex_status="committed")
    assert lead["capex_status"] == "committed"
    # A stage with committed leads stays a decision stage until they change.
    unflag = pipeline.client.patch(
        "/api/v1/stages/site_visit", json={"decision": False}, headers=pipeline.headers
    )
    assert ("decision", "in_use") in problem_fields(unflag)
    won = pipeline.client.patch(
        "/api/v1/stages/landed", json={"decision": True}, headers=pipeline.headers
    )
    assert ("decision", "not_allowed") in problem_fields(won)


def test_announced_only_with_an_announcement_date(pipeline: Pipeline) -> None:
    refused = pipeline.client.post(
        "/api/v1/leads",
        json={
            "title": "Press release",
            "investment_type": "greenfield_fdi",
            "source": "event",
            "capex_eur": 10_000_000,
            "capex_status": "announced",
        },
        headers=pipeline.headers,
    )
    assert ("capex_status", "announced_needs_date") in problem_fields(refused)
    lead = pipeline.lead(capex_eur=10_000_000, capex_status="announced", announced_on="2026-01-15")
    cleared = pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"announced_on": None}, headers=pipeline.headers
    )
    assert ("capex_status", "announced_needs_date") in problem_fields(cleared)


def test_realised_only_when_landed_and_a_landed_lead_cannot_vanish(pipeline: Pipeline) -> None:
    target_id = _target(pipeline, scope="all")
    refused = pipeline.client.post(
        "/api/v1/leads",
        json={
            "title": "Realised too soon",
            "investment_type": "expansion",
            "source": "partner",
            "capex_eur": 1,
            "capex_status": "realised",
        },
        headers=pipeline.headers,
    )
    assert ("capex_status", "realised_needs_landing") in problem_fields(refused)
    lead = pipeline.lead(capex_eur=40_000_000, expected_decision_on=IN_PERIOD)
    assert _land(pipeline, lead["id"]).status_code == 200
    assert _progress(pipeline, target_id)["totals"]["realised"]["total"] == 50_000_000
    # The edit that made a landed €50M investment fall between the columns: refused.
    edit = pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}", json={"capex_status": "estimate"}, headers=pipeline.headers
    )
    assert edit.status_code == 422
    assert ("capex_status", "invalid_choice") in problem_fields(edit)
    assert _progress(pipeline, target_id)["totals"]["realised"]["total"] == 50_000_000
    # Reopening a landing (explained): the status follows the stage it returns to.
    reopened = pipeline.move(lead["id"], to_stage="negotiation", note="Permit appealed")
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["capex_status"] == "committed"
    again = pipeline.move(lead["id"], to_stage="qualified", note="Back to square one")
    assert again.status_code == 422


def test_landing_keeps_the_announced_amount_beside_the_realised_one(pipeline: Pipeline) -> None:
    target_id = _target(pipeline, scope="all")
    lead = pipeline.lead(
        capex_eur=50_000_000,
        capex_basis="public",
        capex_status="announced",
        announced_on="2026-02-01",
        jobs=80,
        expected_decision_on=IN_PERIOD,
    )
    assert pipeline.move(lead["id"], to_stage="decision_pending").status_code == 200
    landed = _land(pipeline, lead["id"], realised_capex_eur=62_000_000, realised_jobs=95)
    assert landed.status_code == 200, landed.text
    assert (landed.json()["capex_eur"], landed.json()["jobs"]) == (62_000_000, 95)
    history = pipeline.client.get(
        f"/api/v1/leads/{lead['id']}/amounts", headers=pipeline.headers
    ).json()
    capex = [(h["kind"], h["amount"], h["basis"]) for h in history if h["measure"] == "capex"]
    assert capex == [("announced", 50_000_000, "public"), ("realised", 62_000_000, "public")]
    jobs = [(h["kind"], h["amount"]) for h in history if h["measure"] == "jobs"]
    assert jobs == [("announced", 80), ("realised", 95)]
    (row,) = _drill(pipeline, target_id, figure="realised")
    assert (row["announced_capex_eur"], row["realised_capex_eur"]) == (50_000_000, 62_000_000)
    assert row["jobs"] == 95


def test_jobs_are_counted_in_the_lead_s_column(pipeline: Pipeline) -> None:
    target_id = _target(pipeline, scope="all")
    pipeline.lead(capex_eur=10_000_000, jobs=40, expected_decision_on=IN_PERIOD)  # 5 %
    landed = pipeline.lead(capex_eur=20_000_000, jobs=30, jobs_basis="confirmed")
    assert _land(pipeline, landed["id"], realised_capex_eur=20_000_000).status_code == 200
    # Jobs only, no euros yet: still in exactly one column.
    pipeline.lead(stage_code="qualified", jobs=100, expected_decision_on=IN_PERIOD)  # 25 %
    totals = _progress(pipeline, target_id)["totals"]
    assert totals["realised"]["jobs"] == 30 and totals["realised"]["jobs_confirmed"] == 30
    assert totals["weighted"]["jobs"] == 2 + 25
    assert totals["weighted"]["total"] == 500_000
    assert totals["forecast"]["jobs"] == 57
    split = _progress(pipeline, target_id, group_by="municipality")["groups"]["municipality"]
    assert sum(g["figures"]["forecast"]["jobs"] for g in split) == 57


def test_every_lead_with_an_amount_is_in_one_column_or_excluded_with_a_reason(
    pipeline: Pipeline,
) -> None:
    target_id = _target(pipeline)  # industrial scope
    built = {
        "lost": pipeline.lead(capex_eur=1_000, industry_code="mining_chemicals"),
        "on_hold": pipeline.lead(capex_eur=2_000, industry_code="mining_chemicals"),
        "no_date": pipeline.lead(capex_eur=3_000, industry_code="mining_chemicals"),
        "late": pipeline.lead(
            capex_eur=4_000, industry_code="mining_chemicals", expected_decision_on="2099-01-01"
        ),
        "tourism": pipeline.lead(
            capex_eur=5_000, industry_code="tourism", expected_decision_on=IN_PERIOD
        ),
        "counted": pipeline.lead(
            capex_eur=6_000, industry_code="mining_chemicals", expected_decision_on=IN_PERIOD
        ),
    }
    pipeline.lead()  # no amount: in no column, and not listed
    assert pipeline.move(built["lost"]["id"], to_stage="lost", lost_reason_code="other").is_success
    assert pipeline.move(built["on_hold"]["id"], to_stage="on_hold").is_success
    totals = _progress(pipeline, target_id)["totals"]
    columns = ("realised", "committed", "weighted", "excluded")
    assert sum(totals[c]["leads"] for c in columns) == len(built)
    excluded = {
        row["code_name"]: row["exclusion"] for row in _drill(pipeline, target_id, figure="excluded")
    }
    names = {key: lead["code_name"] for key, lead in built.items()}
    assert excluded == {
        names["lost"]: "lost",
        names["on_hold"]: "on_hold",
        names["no_date"]: "no_decision_date",
        names["late"]: "outside_period",
        names["tourism"]: "not_industrial",
    }
    assert [r["code_name"] for r in _drill(pipeline, target_id)] == [names["counted"]]


def test_a_second_lead_for_one_investment_is_flagged_and_merged(
    pipeline: Pipeline, db: Session
) -> None:
    target_id = _target(pipeline, scope="all")
    org = pipeline.org(name="Kaoliini Holding AB")
    referral = pipeline.lead(
        organization_id=org["id"],
        industry_code="mining_chemicals",
        municipality_codes=["765"],
        capex_eur=70_000_000,
        expected_decision_on=IN_PERIOD,
        source="invest_in_finland",
    )
    inquiry_body = {
        "title": "Inquiry from the portal",
        "investment_type": "greenfield_fdi",
        "source": "portal_inquiry",
        "organization_id": org["id"],
        "municipality_codes": ["765", "205"],
        "capex_eur": 80_000_000,
        "expected_decision_on": IN_PERIOD,
    }
    flagged = pipeline.client.post("/api/v1/leads", json=inquiry_body, headers=pipeline.headers)
    assert flagged.status_code == 422
    assert ("organization_id", "possible_duplicate") in problem_fields(flagged)
    assert referral["code_name"] in flagged.json()["errors"][0]["reason"]
    confirmed = pipeline.client.post(
        "/api/v1/leads", json={**inquiry_body, "confirm_duplicate": True}, headers=pipeline.headers
    )
    assert confirmed.status_code == 201, confirmed.text
    inquiry = confirmed.json()
    assert [d["code_name"] for d in inquiry["possible_duplicates"]] == [referral["code_name"]]
    # Counted twice until merged.
    assert _progress(pipeline, target_id)["totals"]["weighted"]["leads"] == 2

    _contact, contact_headers = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="765")
    forbidden = pipeline.client.post(
        f"/api/v1/leads/{referral['id']}/merge",
        json={"duplicate_id": inquiry["id"]},
        headers=contact_headers,
    )
    assert forbidden.status_code == 403
    itself = pipeline.client.post(
        f"/api/v1/leads/{referral['id']}/merge",
        json={"duplicate_id": referral["id"]},
        headers=pipeline.headers,
    )
    assert ("duplicate_id", "same_lead") in problem_fields(itself)
    merged = pipeline.client.post(
        f"/api/v1/leads/{referral['id']}/merge",
        json={"duplicate_id": inquiry["id"]},
        headers=pipeline.headers,
    )
    assert merged.status_code == 200, merged.text
    survivor = merged.json()
    assert [m["code_name"] for m in survivor["merged_leads"]] == [inquiry["code_name"]]
    assert {h["code_name"] for h in survivor["amount_history"]} == {
        referral["code_name"],
        inquiry["code_name"],
    }
    duplicate = pipeline.client.get(f"/api/v1/leads/{inquiry['id']}", headers=pipeline.headers)
    assert duplicate.json()["merged_into"]["id"] == referral["id"]
    # Both stage logs stay: the duplicate's own, read through it.
    timeline = pipeline.client.get(
        f"/api/v1/leads/{inquiry['id']}/timeline", headers=pipeline.headers
    ).json()
    assert any(item["kind"] == "stage_change" for item in timeline)
    # … and on the surviving lead's timeline, marked with the duplicate's code name.
    survivor_timeline = pipeline.client.get(
        f"/api/v1/leads/{referral['id']}/timeline", headers=pipeline.headers
    ).json()
    assert {
        item["details"].get("merged_lead")
        for item in survivor_timeline
        if item["kind"] == "stage_change"
    } == {None, inquiry["code_name"]}
    totals = _progress(pipeline, target_id)["totals"]
    assert (totals["weighted"]["leads"], totals["excluded"]["leads"]) == (1, 1)
    (excluded,) = _drill(pipeline, target_id, figure="excluded")
    assert (excluded["code_name"], excluded["exclusion"]) == (inquiry["code_name"], "duplicate")
    audit = pipeline.client.get(f"/api/v1/audit/leads/{inquiry['id']}", headers=pipeline.headers)
    assert "merged_into_id" in audit.text
    again = pipeline.client.post(
        f"/api/v1/leads/{referral['id']}/merge",
        json={"duplicate_id": inquiry["id"]},
        headers=pipeline.headers,
    )
    assert ("duplicate_id", "already_merged") in problem_fields(again)
    assert db.scalar(select(Lead.merged_at).where(Lead.id == uuid.UUID(inquiry["id"]))) is not None


def test_staff_pages_flag_merge_and_show_the_ledger(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    org = factory.organization(name="Metsä Invest Oy")
    first = factory.lead(
        owner=user,
        organization_id=org.id,
        industry_code="forest_bioeconomy",
        capex_eur=9_000_000,
        code_name="Project Havu",
    )
    form = client.get("/leads/new")
    data = {
        "csrf_token": csrf_from(form.text),
        "title": "Sawmill expansion",
        "investment_type": "expansion",
        "source": "portal_inquiry",
        "organization_id": str(org.id),
        "industry_code": "forest_bioeconomy",
        "capex_eur": "12000000",
    }
    flagged = client.post("/leads/new", data=data)
    assert flagged.status_code == 422
    assert "Project Havu" in flagged.text
    assert 'name="confirm_duplicate"' in flagged.text
    created = client.post(
        "/leads/new", data={**data, "confirm_duplicate": "1"}, follow_redirects=False
    )
    assert created.status_code == 303
    second_id = created.headers["location"].rsplit("/", 1)[-1]
    page = client.get(f"/leads/{first.id}")
    assert 'action="/leads/' in page.text and "/merge" in page.text
    merged = client.post(
        f"/leads/{first.id}/merge",
        data={"csrf_token": csrf_from(page.text), "duplicate_id": second_id},
        follow_redirects=False,
    )
    assert merged.status_code == 303, merged.text
    page = client.get(f"/leads/{first.id}")
    history = page.text.split('id="amounts"')[1]
    assert "Project Havu" in history and "12" in history
    duplicate_page = client.get(f"/leads/{second_id}")
    assert 'id="merged-into"' in duplicate_page.text
    rows = db.scalars(select(LeadAmount).where(LeadAmount.lead_id == first.id)).all()
    assert [r.amount for r in rows] == [9_000_000]


def test_staff_sees_the_rule_and_the_exclusions_in_finnish(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.COORDINATOR, language="fi")
    factory.login(client, user)
    lead = factory.lead(owner=user, capex_eur=1_000_000)
    form = client.get(f"/leads/{lead.id}/edit")
    refused = client.post(
        f"/leads/{lead.id}/edit",
        data={
            "csrf_token": csrf_from(form.text),
            "title": lead.title,
            "investment_type": lead.investment_type,
            "source": lead.source,
            "capex_eur": "1000000",
            "capex_status": "committed",
        },
    )
    assert refused.status_code == 422
    assert "sitovaksi vasta päätösvaiheista alkaen" in refused.text


def test_drill_down_page_lists_the_excluded_leads(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    from app.db.models import InvestmentTarget

    target = InvestmentTarget(
        name="All 2026",
        amount_eur=1_000_000,
        period_start=date(TODAY.year, 1, 1),
        period_end=date(TODAY.year + 1, 12, 31),
        scope="all",
    )
    db.add(target)
    db.commit()
    factory.lead(owner=user, capex_eur=700_000, code_name="Project Ilman Päivää")
    page = client.get(
        "/reports/leads", params={"target_id": str(target.id), "as_of": TODAY.isoformat()}
    )
    assert page.status_code == 200
    assert 'id="excluded"' in page.text
    assert "Project Ilman Päivää" in page.text and "No decision date" in page.text


def test_the_csv_import_follows_the_same_rules(pipeline: Pipeline, db: Session) -> None:
    text = (
        "title,investment_type,source,capex_eur,capex_status,stage_code,jobs\n"
        "Committed too early,expansion,partner,5000000,committed,qualified,10\n"
        "Committed in negotiation,expansion,partner,6000000,committed,negotiation,20\n"
    )
    response = pipeline.client.post(
        "/api/v1/imports/leads",
        params={"dry_run": True},
        files={"file": ("leads.csv", text.encode(), "text/csv")},
        headers=pipeline.headers,
    )
    report = response.json()
    assert [(e["field"], e["code"]) for e in report["rows"][0]["errors"]] == [
        ("capex_status", "committed_needs_decision_stage")
    ]
    assert report["rows"][1]["errors"] == []
    good = text.replace(
        "Committed too early,expansion,partner,5000000,committed,qualified,10\n", ""
    )
    applied = pipeline.client.post(
        "/api/v1/imports/leads",
        params={"dry_run": False},
        files={"file": ("leads.csv", good.encode(), "text/csv")},
        headers=pipeline.headers,
    ).json()
    assert applied["applied"] is True
    lead = db.scalars(select(Lead).where(Lead.title == "Committed in negotiation")).one()
    ledger = db.scalars(select(LeadAmount).where(LeadAmount.lead_id == lead.id)).all()
    assert {(r.measure, r.kind, r.amount) for r in ledger} == {
        ("capex", "committed", 6_000_000),
        ("jobs", "committed", 20),
    }
