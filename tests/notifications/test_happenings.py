"""Each happening reaches exactly the people it concerns, on their list and their bell,
and nobody else: not the person who did it, not the other roles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Notification
from app.services import notifications
from app.services.notifications import helsinki_now
from app.settings import Settings
from tests.notifications.conftest import Office, Person


def _nobody_else(office: Office, *told: str) -> None:
    for person in office.others(*told):
        assert person.notices() == [], person.user.role
        assert person.bell() == 0, person.user.role


def _lead(office: Office, owner: str = "coordinator", **values: object) -> dict[str, object]:
    body = {
        "title": "Battery precursor plant",
        "investment_type": "greenfield_fdi",
        "source": "invest_in_finland",
        **values,
    }
    return dict(office[owner].api("POST", "/api/v1/leads", json=body))


def test_a_handoff_tells_the_receiving_municipality_and_its_answer_the_sharer(
    office: Office,
) -> None:
    lead = _lead(office)
    share = office["coordinator"].api(
        "POST",
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "205", "message": "Could you host a visit?"},
    )
    expected = f"Lead {lead['code_name']} was handed to Kajaani"
    for key in ("kajaani", "kajaani2"):
        assert office[key].notices() == [expected]
        assert office[key].bell() == 1
        assert "Could you host a visit?" in office[key].page()
    _nobody_else(office, "kajaani", "kajaani2")

    office["kajaani"].api(
        "POST", f"/api/v1/shares/{share['id']}/response", json={"accept": True, "note": "Gladly"}
    )
    assert office["coordinator"].notices() == [
        f"Kajaani accepted your handoff of lead {lead['code_name']}"
    ]
    # The person who answered is not told of their own answer.
    assert office["kajaani"].notices() == [expected]
    assert office["coordinator2"].notices() == []


def test_a_handoff_to_a_partner_tells_its_users(office: Office, db: Session) -> None:
    lead = _lead(office)
    partner_org = office["partner"].user.organization_id
    office["coordinator"].api(
        "POST",
        f"/api/v1/leads/{lead['id']}/shares",
        json={"organization_id": str(partner_org)},
    )
    assert office["partner"].notices() == [
        f"Lead {lead['code_name']} was handed to Business Finland"
    ]
    _nobody_else(office, "partner")


def test_a_task_assigned_to_someone_tells_them_and_its_due_date_reminds_them_once(
    office: Office, db: Session, settings: Settings
) -> None:
    lead = _lead(office)
    office["coordinator"].api(
        "POST", f"/api/v1/leads/{lead['id']}/shares", json={"municipality_code": "205"}
    )
    for key in ("kajaani", "kajaani2"):
        office[key].api("POST", "/api/v1/notifications/read-all")
    today = helsinki_now().date()
    office["coordinator"].api(
        "POST",
        f"/api/v1/leads/{lead['id']}/activities",
        json={
            "kind": "task",
            "subject": "Send the plot shortlist",
            "due_on": today.isoformat(),
            "assignee_id": str(office["kajaani"].user.id),
        },
    )
    assigned = f"A task was assigned to you: Send the plot shortlist (lead {lead['code_name']})"
    assert office["kajaani"].notices()[0] == assigned
    assert office["kajaani"].bell() == 1
    assert office["kajaani2"].bell() == 0
    assert office["coordinator"].notices() == []

    # A task the coordinator gives themselves tells nobody.
    office["coordinator"].api(
        "POST",
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "task", "subject": "Call the investor", "due_on": today.isoformat()},
    )
    assert office["coordinator"].notices() == []

    for _ in range(2):
        notifications.run_notification_jobs(db, settings)
    due = f"Your task is due today: Send the plot shortlist (lead {lead['code_name']})"
    handed = f"Lead {lead['code_name']} was handed to Kajaani"
    assert office["kajaani"].notices() == [due, assigned, handed]
    # The coordinator's own task falls due too: the reminder is theirs (no actor).
    assert office["coordinator"].notices() == [
        f"Your task is due today: Call the investor (lead {lead['code_name']})"
    ]
    assert office["kajaani2"].notices() == [handed]
    for person in (office["sotkamo"], office["admin"], office["forum"]):
        assert person.notices() == []


def test_a_site_in_review_tells_the_coordinators_then_the_municipality(
    office: Office, settings: Settings
) -> None:
    site = office["kajaani"].api(
        "POST",
        "/api/v1/sites",
        json={
            "municipality_code": "205",
            "kind": "industrial_plot",
            "name_fi": "Renforsin Rannan tontti",
            "name_en": "Renforsin Ranta plot",
            "latitude": 64.2,
            "longitude": 27.7,
        },
    )
    office["kajaani"].api("POST", f"/api/v1/sites/{site['id']}/submit")
    submitted = "Site Renforsin Ranta plot was submitted for review"
    for key in ("coordinator", "coordinator2"):
        assert office[key].notices() == [submitted]
    _nobody_else(office, "coordinator", "coordinator2")

    office["coordinator"].api(
        "POST", f"/api/v1/sites/{site['id']}/return", json={"comment": "Add the grid capacity"}
    )
    returned = "Site Renforsin Ranta plot was returned for changes"
    for key in ("kajaani", "kajaani2"):
        assert office[key].notices() == [returned]
        assert "Add the grid capacity" in office[key].page()
    assert office["coordinator"].notices() == [submitted]
    assert office["sotkamo"].notices() == []

    office["kajaani"].api("POST", f"/api/v1/sites/{site['id']}/submit")
    office["coordinator2"].api("POST", f"/api/v1/sites/{site['id']}/publish")
    published = "Site Renforsin Ranta plot was published"
    assert office["kajaani"].notices() == [published, returned]
    assert office["kajaani2"].notices() == [published, returned]
    # Both coordinators hear of the resubmission; publishing it tells them nothing.
    for key in ("coordinator", "coordinator2"):
        assert office[key].notices() == [submitted, submitted]
    for key in ("admin", "sotkamo", "forum", "partner"):
        assert office[key].notices() == []


def test_a_change_to_a_published_site_tells_the_reviewers_then_the_municipality(
    office: Office, settings: Settings
) -> None:
    site = office["kajaani"].api(
        "POST",
        "/api/v1/sites",
        json={
            "municipality_code": "205",
            "kind": "industrial_plot",
            "name_fi": "Renforsin Rannan tontti",
            "name_en": "Renforsin Ranta plot",
            "latitude": 64.2,
            "longitude": 27.7,
        },
    )
    url = f"/api/v1/sites/{site['id']}"
    office["kajaani"].api("POST", f"{url}/submit")
    office["coordinator"].api("POST", f"{url}/publish")
    before = {key: office[key].notices() for key in office.people}

    def new_notices(key: str) -> list[str]:
        seen = before[key]
        return office[key].notices()[: len(office[key].notices()) - len(seen)]

    # The municipality proposes a change: the reviewers hear of it once, however often
    # the proposal is edited while it waits.
    office["kajaani"].api("PATCH", url, json={"price_eur": 250000})
    office["kajaani"].api("PATCH", url, json={"price_eur": 260000})
    proposed = "A change to the published site Renforsin Ranta plot waits for review"
    for key in ("coordinator", "coordinator2", "admin"):
        assert new_notices(key) == ([proposed] if key != "admin" else [])
    for key in ("kajaani", "kajaani2", "sotkamo", "forum", "partner"):
        assert new_notices(key) == []

    office["coordinator"].api(
        "POST", f"{url}/revision/return", json={"comment": "Say what the price includes"}
    )
    returned = "The change to site Renforsin Ranta plot was returned for changes"
    assert new_notices("kajaani") == [returned] == new_notices("kajaani2")
    assert "Say what the price includes" in office["kajaani"].page()

    office["kajaani"].api("PATCH", url, json={"price_terms": "Includes the connection"})
    assert new_notices("coordinator2") == [proposed, proposed]  # resubmitted
    office["coordinator2"].api("POST", f"{url}/revision/approve")
    approved = "The change to site Renforsin Ranta plot was approved and is published"
    assert new_notices("kajaani") == [approved, returned]
    for key in ("sotkamo", "forum", "partner"):
        assert new_notices(key) == []


def test_a_lead_going_stale_tells_its_owner_once_per_quiet_spell(
    office: Office, db: Session, settings: Settings
) -> None:
    lead = _lead(office, owner="kajaani")
    row = db.get(Lead, uuid.UUID(lead["id"]))
    assert row is not None
    row.last_activity_at = datetime.now(UTC) - timedelta(days=settings.stale_lead_days + 1)
    db.commit()
    for _ in range(3):
        notifications.run_notification_jobs(db, settings)
    stale = f"Lead {lead['code_name']} has had no activity for {settings.stale_lead_days} days"
    assert office["kajaani"].notices() == [stale]
    _nobody_else(office, "kajaani")
    # New activity, then quiet again: a new spell, told again.
    row.last_activity_at = datetime.now(UTC) - timedelta(days=settings.stale_lead_days + 2)
    db.commit()
    notifications.run_notification_jobs(db, settings)
    assert office["kajaani"].notices() == [stale, stale]


def test_a_portal_inquiry_is_told_to_the_coordinators_and_its_assignment_to_the_owner(
    office: Office, db: Session, client_portal_inquiry: object
) -> None:
    lead = client_portal_inquiry
    assert isinstance(lead, Lead)
    arrived = f"A new portal inquiry waits for triage: {lead.code_name}"
    handed = f"Lead {lead.code_name} was handed to Kajaani"
    for key in ("coordinator", "coordinator2"):
        assert office[key].notices() == [arrived]
    for key in ("kajaani", "kajaani2"):
        assert office[key].notices() == [handed]
    _nobody_else(office, "coordinator", "coordinator2", "kajaani", "kajaani2")

    office["coordinator"].api(
        "PATCH", f"/api/v1/leads/{lead.id}", json={"owner_id": str(office["kajaani"].user.id)}
    )
    assert office["kajaani"].notices() == [
        f"The portal inquiry {lead.code_name} was assigned to you",
        handed,
    ]
    assert office["kajaani2"].notices() == [handed]
    assert office["coordinator"].notices() == [arrived]


def test_the_list_links_each_notice_to_its_place_and_marks_read(office: Office) -> None:
    lead = _lead(office)
    office["coordinator"].api(
        "POST", f"/api/v1/leads/{lead['id']}/shares", json={"municipality_code": "205"}
    )
    second = _lead(office, title="Second plant", code_name="Project Second")
    office["coordinator"].api(
        "POST", f"/api/v1/leads/{second['id']}/shares", json={"municipality_code": "205"}
    )
    kajaani: Person = office["kajaani"]
    assert kajaani.bell() == 2
    page = kajaani.page()
    assert page.count('class="badge badge-info"') == 2
    newest, oldest = kajaani.notice_ids()
    token = kajaani.page().split('name="csrf_token" value="')[1].split('"')[0]
    opened = kajaani.client.post(
        f"/notifications/{oldest}/open", data={"csrf_token": token}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/leads/{lead['id']}"
    assert kajaani.bell() == 1
    assert kajaani.page().count('class="badge badge-info"') == 1
    # The colleague's copy stays unread: reading is personal.
    assert office["kajaani2"].bell() == 2
    # Another person's notification answers like a missing one.
    other = office["sotkamo"]
    token = other.page().split('name="csrf_token" value="')[1].split('"')[0]
    refused = other.client.post(
        f"/notifications/{newest}/open", data={"csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 404
    assert kajaani.bell() == 1

    read_all = kajaani.client.post(
        "/notifications/read-all", data={"csrf_token": token}, follow_redirects=False
    )
    assert read_all.status_code == 403  # another session's token
    token = kajaani.page().split('name="csrf_token" value="')[1].split('"')[0]
    read_all = kajaani.client.post(
        "/notifications/read-all", data={"csrf_token": token}, follow_redirects=True
    )
    assert read_all.status_code == 200
    assert "All notifications are marked as read." in read_all.text
    assert kajaani.bell() == 0
    assert len(kajaani.notices()) == 2
    assert office["kajaani2"].bell() == 2


def test_the_api_lists_and_marks_like_the_pages(office: Office, db: Session) -> None:
    lead = _lead(office)
    office["coordinator"].api(
        "POST", f"/api/v1/leads/{lead['id']}/shares", json={"municipality_code": "205"}
    )
    kajaani = office["kajaani"]
    listed = kajaani.api("GET", "/api/v1/notifications?limit=10")
    assert listed["total"] == 1 and listed["limit"] == 10
    item = listed["items"][0]
    assert item["kind"] == "lead_shared"
    assert item["text"] == f"Lead {lead['code_name']} was handed to Kajaani"
    assert item["link"] == f"/leads/{lead['id']}"
    assert item["read_at"] is None
    finnish = kajaani.api("GET", "/api/v1/notifications?lang=fi")
    assert finnish["items"][0]["text"] == (
        f"Liidi {lead['code_name']} siirrettiin vastaanottajalle Kajaani"
    )
    marked = kajaani.api("POST", f"/api/v1/notifications/{item['id']}/read")
    assert marked["read_at"] is not None
    assert kajaani.bell() == 0
    missing = office["sotkamo"].client.post(
        f"/api/v1/notifications/{item['id']}/read", headers=office["sotkamo"].headers
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert office["kajaani2"].api("POST", "/api/v1/notifications/read-all") == {"marked": 1}
    assert db.scalar(select(func.count()).select_from(Notification)) == 2
