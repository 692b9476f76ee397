"""Aftercare over the API: a landed lead opens its investor's account, the relationship
plan's check-in tasks, issues, expansion leads, the existing-investor report figures,
the capital investors register and its matches, and who may do what."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from app.db.models import InvestmentTarget, Stage
from app.domain.access import Role
from app.services.aftercare import today
from tests.aftercare.conftest import Aftercare, problem_fields


def test_landing_a_lead_opens_an_account_with_its_first_check_in(ac: Aftercare) -> None:
    org = ac.org("Paltamo Biorefinery Oy")
    landed_on = today() - timedelta(days=10)
    lead = ac.land(org, landed_on=landed_on, realised=900_000_000, municipality="578")
    (account,) = ac.accounts()
    assert (account["organization_name"], account["kind"], account["municipality_code"]) == (
        "Paltamo Biorefinery Oy",
        "existing_investor",
        "578",
    )
    assert account["owner_id"] == str(ac.coordinator.id)
    assert account["checkin_months"] == 6
    assert account["next_checkin_on"] == (landed_on + relativedelta(months=6)).isoformat()
    detail = ac.account(account["id"])
    assert [(i["lead_id"], i["realised_eur"]) for i in detail["investments"]] == [
        (str(lead.id), 900_000_000)
    ]
    assert detail["realised_total_eur"] == 900_000_000
    (task,) = ac.checkin_tasks(account["id"])
    assert task["assignee_id"] == str(ac.coordinator.id)
    assert "Paltamo Biorefinery Oy" in task["subject"]
    # A second landing of the same investor adds an investment, not an account.
    ac.land(org, landed_on=landed_on, realised=30_000_000, municipality="578")
    assert len(ac.accounts()) == 1
    assert ac.account(account["id"])["realised_total_eur"] == 930_000_000


def test_check_in_cadence_plans_the_next_task_when_one_is_done(ac: Aftercare) -> None:
    created = ac.post(
        "/api/v1/aftercare/accounts",
        {
            "organization_name": "Kuhmon Sahat Oy",
            "kind": "local_company",
            "municipality_code": "290",
            "checkin_months": 3,
        },
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["next_checkin_on"] == (today() + relativedelta(months=3)).isoformat()
    (first,) = ac.checkin_tasks(account["id"])
    done = ac.patch(f"/api/v1/activities/{first['id']}", {"done": True})
    assert done.status_code == 200, done.text
    tasks = ac.checkin_tasks(account["id"])
    assert len(tasks) == 2
    (following,) = [t for t in tasks if t["done_at"] is None]
    assert following["due_on"] == (today() + relativedelta(months=3)).isoformat()
    # A recorded visit is the check-in: the open task is done, the next planned from it.
    visited = today() - timedelta(days=1)
    visit = ac.post(
        f"/api/v1/aftercare/accounts/{account['id']}/visits",
        {"visited_on": visited.isoformat(), "notes": "New drying kiln running."},
    )
    assert visit.status_code == 201, visit.text
    open_tasks = [t for t in ac.checkin_tasks(account["id"]) if t["done_at"] is None]
    assert [t["due_on"] for t in open_tasks] == [(visited + relativedelta(months=3)).isoformat()]
    # A new cadence replans the open check-in from the last visit.
    ac.patch(f"/api/v1/aftercare/accounts/{account['id']}", {"checkin_months": 12})
    detail = ac.account(account["id"])
    assert detail["next_checkin_on"] == (visited + relativedelta(months=12)).isoformat()
    assert [v["notes"] for v in detail["visits"]] == ["New drying kiln running."]
    bad = ac.patch(f"/api/v1/aftercare/accounts/{account['id']}", {"checkin_months": 5})
    assert bad.status_code == 422
    assert "checkin_months" in bad.text
    no_date = ac.post(f"/api/v1/aftercare/accounts/{account['id']}/visits", {"notes": "x"})
    assert no_date.status_code == 422 and "visited_on" in no_date.text


def test_an_open_issue_is_raised_and_resolved(ac: Aftercare) -> None:
    org = ac.org("Sotkamo Mining Oy")
    ac.land(org, landed_on=today() - timedelta(days=30), municipality="765")
    (account,) = ac.accounts()
    url = f"/api/v1/aftercare/accounts/{account['id']}/issues"
    raised = ac.post(url, {"category": "permits", "title": "Environmental permit renewal stuck"})
    assert raised.status_code == 201, raised.text
    issue = raised.json()
    assert (issue["status"], issue["owner_id"], issue["resolved_at"]) == (
        "open",
        str(ac.coordinator.id),
        None,
    )
    assert ac.accounts()[0]["open_issues"] == 1
    unknown = ac.post(url, {"category": "weather", "title": "Snow"})
    assert unknown.status_code == 422 and "category" in unknown.text
    resolved = ac.patch(
        f"{url}/{issue['id']}", {"status": "resolved", "resolution": "Permit granted."}
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert ac.accounts()[0]["open_issues"] == 0
    _, sotkamo = ac.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    wrong_owner = ac.patch(f"{url}/{issue['id']}", {"owner_id": str(ac.coordinator.id)}, sotkamo)
    assert wrong_owner.status_code == 200
    _, kajaani_user = ac.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    kajaani = ac.factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    outsider = ac.patch(f"{url}/{issue['id']}", {"owner_id": str(kajaani.id)})
    assert problem_fields(outsider) == {("owner_id", "no_access")}
    assert ac.patch(f"{url}/{issue['id']}", {"status": "open"}, kajaani_user).status_code == 404


def test_an_expansion_starts_as_a_lead_linked_to_the_account(ac: Aftercare) -> None:
    org = ac.org("Kajaani Data Oy", industry_code="ict_data_centres", country="FI")
    ac.land(org, landed_on=today() - timedelta(days=400))
    (account,) = ac.accounts()
    started = ac.post(
        f"/api/v1/aftercare/accounts/{account['id']}/expansions",
        {"capex_eur": 50_000_000, "jobs": 20},
    )
    assert started.status_code == 201, started.text
    lead = started.json()
    assert lead["investment_type"] == "expansion"
    assert lead["organization"]["id"] == str(org.id)
    assert lead["industry_code"] == "ict_data_centres"
    assert lead["municipality_codes"] == ["205"]
    assert lead["capex_eur"] == 50_000_000
    assert "Kajaani Data Oy" in lead["title"]
    detail = ac.account(account["id"])
    assert [e["lead_id"] for e in detail["expansions"]] == [lead["id"]]
    bad = ac.post(
        f"/api/v1/aftercare/accounts/{account['id']}/expansions", {"industry_code": "nope"}
    )
    assert bad.status_code == 422 and "industry_code" in bad.text
    assert len(ac.account(account["id"])["expansions"]) == 1


def test_report_shows_the_share_of_existing_investors(ac: Aftercare, db: Session) -> None:
    year = today().year
    target = InvestmentTarget(
        name="Industrial investment",
        amount_eur=1_200_000_000,
        period_start=date(year - 1, 1, 1),
        period_end=date(year + 1, 12, 31),
    )
    db.add(target)
    db.commit()
    org = ac.org("Terrafame Test Oy")
    ac.land(org, landed_on=today() - timedelta(days=20), realised=240_000_000)
    (account,) = ac.accounts()
    decision = (today() + timedelta(days=60)).isoformat()
    expansion = ac.post(
        f"/api/v1/aftercare/accounts/{account['id']}/expansions",
        {"capex_eur": 40_000_000, "expected_decision_on": decision},
    )
    assert expansion.status_code == 201, expansion.text
    ac.factory.lead(
        owner=ac.coordinator,
        capex_eur=60_000_000,
        expected_decision_on=today() + timedelta(days=90),
        industry_code="metal_machinery",
    )
    probability = db.get(Stage, "identified").default_probability  # type: ignore[union-attr]
    assert probability is not None
    _, forum = ac.factory.api_user(Role.FORUM_VIEWER)
    answer = ac.get("/api/v1/reports/investor-origin", forum, target_id=str(target.id))
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert figures["existing_investors"] == {
        "pipeline_leads": 1,
        "pipeline_capex_eur": 40_000_000,
        "weighted_eur": 40_000_000 * probability // 100,
        "realised_leads": 0,
        "realised_eur": 0,
    }
    assert figures["new_investors"]["pipeline_capex_eur"] == 60_000_000
    assert figures["new_investors"]["realised_eur"] == 240_000_000
    assert figures["existing_share_percent"]["pipeline_capex"] == 40.0
    assert figures["existing_share_percent"]["realised"] == 0.0
    assert "Terrafame" not in answer.text
    _, kajaani = ac.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    refused = ac.get("/api/v1/reports/investor-origin", kajaani, target_id=str(target.id))
    assert refused.status_code == 403


def test_capital_investors_matching_a_lead(ac: Aftercare) -> None:
    def register(name: str, **values: object) -> dict[str, object]:
        org = ac.org(name, type="investor")
        response = ac.post("/api/v1/capital-investors", {"organization_id": str(org.id), **values})
        assert response.status_code == 201, response.text
        return dict(response.json())

    register(
        "Nordic Forest Fund",
        industry_codes=["bioeconomy"],
        ticket_min_eur=5_000_000,
        ticket_max_eur=100_000_000,
        stages=["growth"],
        countries=["FI", "SE"],
    )
    register("Mining Capital", industry_codes=["mining_chemicals"], ticket_min_eur=1)
    register("Big Ticket Infra", ticket_min_eur=50_000_000)
    register("Any Angel")
    org = ac.org("Kuhmo Pellets Oy")
    lead = ac.factory.lead(
        owner=ac.coordinator,
        organization_id=org.id,
        industry_code="forest_bioeconomy",
        capex_eur=30_000_000,
    )
    matches = ac.get(f"/api/v1/leads/{lead.id}/capital-investors", lang="en").json()
    assert [m["investor"]["organization_name"] for m in matches] == [
        "Any Angel",
        "Nordic Forest Fund",
    ]
    nordic = matches[1]["reasons"]
    assert nordic[0] == "Invests in Bioeconomy, the lead's wider industry."
    assert nordic[1] == "The capex €30,000,000 is within its ticket of €5,000,000 to €100,000,000."
    finnish = ac.get(f"/api/v1/leads/{lead.id}/capital-investors", lang="fi").json()
    assert finnish[1]["reasons"][0].startswith("Sijoittaa")
    inverted = ac.post(
        "/api/v1/capital-investors",
        {
            "organization_id": str(ac.org("Upside Down Ab").id),
            "ticket_min_eur": 10,
            "ticket_max_eur": 5,
        },
    )
    assert problem_fields(inverted) == {("ticket_min_eur", "min_above_max")}
    _, kajaani = ac.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert ac.get("/api/v1/capital-investors", kajaani).status_code == 403


def test_who_may_work_on_accounts(ac: Aftercare) -> None:
    ac.land(ac.org("Kajaani Landed Oy"), landed_on=today() - timedelta(days=5))
    ac.land(ac.org("Sotkamo Landed Oy"), landed_on=today() - timedelta(days=5), municipality="765")
    by_name = {a["organization_name"]: a for a in ac.accounts()}
    kajaani_account = by_name["Kajaani Landed Oy"]["id"]
    _, kajaani = ac.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert [a["organization_name"] for a in ac.accounts(kajaani)] == ["Kajaani Landed Oy"]
    assert ac.account(kajaani_account, kajaani)["municipality_code"] == "205"
    sotkamo_account = by_name["Sotkamo Landed Oy"]["id"]
    assert ac.get(f"/api/v1/aftercare/accounts/{sotkamo_account}", kajaani).status_code == 404
    own = ac.post(
        "/api/v1/aftercare/accounts",
        {
            "organization_name": "Kajaanin Konepaja Oy",
            "kind": "local_company",
            "municipality_code": "205",
        },
        kajaani,
    )
    assert own.status_code == 201, own.text
    other = ac.post(
        "/api/v1/aftercare/accounts",
        {
            "organization_name": "Suomussalmen Saha Oy",
            "kind": "local_company",
            "municipality_code": "777",
        },
        kajaani,
    )
    assert other.status_code == 403
    for role in (Role.PARTNER, Role.FORUM_VIEWER):
        _, headers = ac.factory.api_user(role)
        assert ac.get("/api/v1/aftercare/accounts", headers).status_code == 403
        refused = ac.get(f"/api/v1/aftercare/accounts/{kajaani_account}", headers)
        assert refused.status_code == 403
