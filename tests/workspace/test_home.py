"""The home page as each person's work for today: the right items for the right person,
with how long they have waited, each linking to where it is dealt with."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    Cluster,
    ClusterAgreement,
    ClusterMember,
    Event,
    EventHost,
    Lead,
    SitePackageUpload,
    SiteVersion,
    SyndicationTarget,
    User,
)
from app.domain.access import SYSTEM_ACTOR, Role
from app.services.dashboard import local_day
from tests.factories import Factory

TODAY = local_day(datetime.now(UTC))


def _home(client: TestClient, factory: Factory, user: User, path: str = "/staff") -> str:
    client.cookies.clear()
    factory.login(client, user)
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def _section(html: str, name: str) -> str:
    """The markup of one work section of the home page ('' when it is not shown)."""
    match = re.search(
        rf'<section class="card work-section"[^>]*id="{name}">(.*?)</section>', html, re.S
    )
    return match.group(1) if match else ""


def _task(db: Session, user: User, subject: str, due: date, lead: Lead | None = None) -> Activity:
    bind_actor(db, SYSTEM_ACTOR)
    task = Activity(
        kind="task",
        subject=subject,
        lead_id=lead.id if lead else None,
        due_on=due,
        assignee_id=user.id,
        created_by_id=user.id,
        occurred_at=utcnow(),
    )
    db.add(task)
    db.commit()
    return task


def _aged(db: Session, lead: Lead, **moments: datetime) -> None:
    for name, value in moments.items():
        setattr(lead, name, value)
    db.commit()


@pytest.fixture
def world(db: Session, factory: Factory) -> dict[str, Any]:
    """One of each thing that waits for someone, for each role."""
    # No later than noon in Helsinki: "45 days ago" counts Helsinki days, and late in the
    # evening a moment 45 × 24 h back falls on the next day there (summer time).
    noon = datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Europe/Helsinki"))
    now = min(utcnow(), noon.astimezone(UTC))
    coordinator = factory.user(Role.COORDINATOR)
    admin = factory.user(Role.ADMIN)
    kajaani = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    sotkamo = factory.user(Role.MUNICIPAL_CONTACT, municipality="765")
    partner_org = factory.organization("Business Finland Test", type="partner_agency")
    partner = factory.user(Role.PARTNER, organization_id=partner_org.id)
    forum = factory.user(Role.FORUM_VIEWER)

    inquiry = factory.lead(code_name="Project Inquiry", source="portal_inquiry")
    _aged(db, inquiry, created_at=now - timedelta(days=3))
    referral = factory.lead(code_name="Project Referral", source="invest_in_finland")
    owned_inquiry = factory.lead(
        owner=coordinator, code_name="Project Taken", source="portal_inquiry"
    )
    own_work = factory.lead(code_name="Project Prospect", source="own_prospecting")

    stale = factory.lead(owner=coordinator, code_name="Project Silent", stage="qualified")
    _aged(db, stale, last_activity_at=now - timedelta(days=45))
    kajaani_stale = factory.lead(owner=kajaani, code_name="Project Kajaani Silent")
    _aged(db, kajaani_stale, last_activity_at=now - timedelta(days=40))

    shared_kajaani = factory.lead(owner=coordinator, code_name="Project Handed Kajaani")
    share_k = factory.share(shared_kajaani, municipality="205")
    share_k.shared_at = now - timedelta(days=2)
    share_k.message = "Could Kajaani host a visit?"
    shared_partner = factory.lead(owner=coordinator, code_name="Project Handed Partner")
    factory.share(shared_partner, organization_id=partner_org.id)
    accepted_partner = factory.lead(owner=coordinator, code_name="Project Accepted Partner")
    factory.share(accepted_partner, organization_id=partner_org.id, status="accepted")
    db.commit()

    overdue = _task(db, coordinator, "Call the investor back", TODAY - timedelta(days=2), stale)
    due_today = _task(db, coordinator, "Send the shortlist", TODAY, own_work)
    later = _task(db, coordinator, "Plan the spring fair", TODAY + timedelta(days=9), own_work)
    kajaani_task = _task(
        db, kajaani, "Check the plot owner", TODAY + timedelta(days=3), kajaani_stale
    )

    submitted = factory.site(
        "765",
        status="submitted",
        name_fi="Sotkamon tontti",
        name_en=None,
        submitted_at=now - timedelta(days=4),
    )
    returned = factory.site(
        "205",
        status="returned",
        name_fi="Kajaanin palautettu",
        name_en=None,
        review_comment="Add the power data",
    )
    bind_actor(db, SYSTEM_ACTOR)
    db.add(
        SiteVersion(
            site_id=returned.id,
            version=2,
            action="return",
            at=now - timedelta(days=1),
            actor_label="coordinator",
            snapshot={},
        )
    )
    ageing = factory.site(
        "205", name_fi="Kajaanin vanha", name_en=None, last_verified_on=TODAY - timedelta(days=400)
    )
    fresh = factory.site("205", name_fi="Kajaanin tuore", name_en=None, last_verified_on=TODAY)
    sotkamo_returned = factory.site(
        "765", status="returned", name_fi="Sotkamon palautettu", name_en=None
    )

    bind_actor(db, SYSTEM_ACTOR)
    failing = SyndicationTarget(
        municipality_code="205",
        name="Kajaani WordPress",
        kind="wordpress",
        url="https://kajaani.example/wp-json",
        failing_since=now - timedelta(days=1),
    )
    healthy = SyndicationTarget(
        municipality_code="765", name="Sotkamo webhook", kind="webhook", url="https://s.example"
    )
    cluster = Cluster(name="Battery cluster")
    db.add_all([failing, healthy, cluster])
    db.flush()
    party = factory.organization("Party Oy")
    bind_actor(db, SYSTEM_ACTOR)
    db.add(
        ClusterAgreement(
            cluster_id=cluster.id,
            party_organization_id=party.id,
            title="Cooperation agreement",
            signed_on=TODAY - timedelta(days=700),
            valid_until=TODAY + timedelta(days=20),
        )
    )
    db.add(
        ClusterMember(
            cluster_id=cluster.id,
            organization_id=partner_org.id,
            role="member",
            joined_on=TODAY - timedelta(days=100),
        )
    )
    visit = Event(
        kind="investor_visit",
        title="Battery investor visit",
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=3),
    )
    other_visit = Event(
        kind="delegation",
        title="Sotkamo delegation",
        starts_at=now + timedelta(days=6),
        ends_at=now + timedelta(days=6, hours=3),
    )
    db.add_all([visit, other_visit])
    db.flush()
    db.add_all(
        [
            EventHost(event_id=visit.id, municipality_code="205"),
            EventHost(event_id=other_visit.id, municipality_code="765"),
        ]
    )
    db.add(
        SitePackageUpload(
            created_by_id=kajaani.id,
            municipality_code="205",
            filename="kajaani-sites.xlsx",
            sha256="0" * 64,
            size_bytes=10,
            format="xlsx",
            lang="fi",
            status="invalid",
            report={"summary": {"create": 2, "update": 1, "unchanged": 0, "error": 1}},
        )
    )
    db.commit()
    return locals()


def test_coordinator_home_lists_the_days_work(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["coordinator"])
    triage = _section(html, "triage")
    assert f'href="/leads/{world["inquiry"].id}"' in triage
    assert f'href="/leads/{world["referral"].id}"' in triage
    assert "Project Taken" not in triage and "Project Prospect" not in triage
    assert "Portal inquiry" in triage and "3 days ago" in triage
    assert "Waiting 3 days" in triage

    tasks = _section(html, "tasks")
    assert "Call the investor back" in tasks and "overdue by 2 days" in tasks
    assert "Overdue" in tasks and 'class="overdue"' in tasks
    assert "Send the shortlist" in tasks and "due today" in tasks
    # Only what is due by today: a task next week is not today's work.
    assert "Plan the spring fair" not in tasks
    assert f'href="/leads/{world["stale"].id}#next-step"' in tasks

    stale = _section(html, "stale_leads")
    assert "Project Silent" in stale and "45 days ago" in stale
    assert "Project Kajaani Silent" in stale

    handoffs = _section(html, "handoffs")
    assert "Project Handed Kajaani" in handoffs and "Kajaani" in handoffs
    assert "2 days ago" in handoffs
    assert "Project Handed Partner" in handoffs and "Business Finland Test" in handoffs
    assert "Project Accepted Partner" not in handoffs

    review = _section(html, "review")
    assert f'href="/sites/{world["submitted"].id}"' in review and "4 days ago" in review

    failing = _section(html, "failing_targets")
    assert f'href="/syndication/targets/{world["failing"].id}"' in failing
    assert "Sotkamo webhook" not in failing

    agreements = _section(html, "agreements")
    assert "Battery cluster" in agreements and "in 20 days" in agreements

    events = _section(html, "events")
    assert "Battery investor visit" in events and "Sotkamo delegation" in events
    assert "in 5 days" in events

    # The target and pipeline figures stay; the municipality's own queues are not here.
    assert "Pipeline by stage" in html
    assert _section(html, "incoming") == "" and _section(html, "uploads") == ""


def test_admin_home_is_the_coordinators(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["admin"])
    assert "Project Inquiry" in _section(html, "triage")
    assert "Kajaani WordPress" in _section(html, "failing_targets")
    # Tasks are the person's own: the coordinator's are not the admin's.
    tasks = _section(html, "tasks")
    assert "Call the investor back" not in tasks
    assert "Nothing waiting" in tasks


def test_municipal_contact_home_shows_their_municipalitys_work(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["kajaani"])
    incoming = _section(html, "incoming")
    assert f'href="/leads/{world["shared_kajaani"].id}#handoff-h"' in incoming
    assert "Could Kajaani host a visit?" in incoming and "2 days ago" in incoming
    assert "Project Handed Partner" not in html

    tasks = _section(html, "tasks")
    assert "Check the plot owner" in tasks and "due in 3 days" in tasks
    assert "Call the investor back" not in html

    returned = _section(html, "returned_sites")
    assert f'href="/sites/{world["returned"].id}"' in returned
    assert "Add the power data" in returned and "yesterday" in returned
    assert "Sotkamon palautettu" not in html

    ageing = _section(html, "ageing_sites")
    assert "Kajaanin vanha" in ageing and "Needs verification" in ageing
    assert "Kajaanin tuore" not in ageing

    events = _section(html, "events")
    assert "Battery investor visit" in events and "Sotkamo delegation" not in events

    uploads = _section(html, "uploads")
    assert "kajaani-sites.xlsx" in uploads and "Has errors" in uploads
    assert "2 new, 1 updated, 1 with errors" in uploads

    assert "Kajaani WordPress" in _section(html, "failing_targets")
    # The coordinator's queues are not a municipal contact's.
    for name in ("triage", "handoffs", "review", "agreements", "stale_leads"):
        assert _section(html, name) == ""
    assert "Project Inquiry" not in html and "Pipeline by stage" not in html


def test_another_municipality_sees_none_of_kajaanis_work(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["sotkamo"])
    for text in (
        "Project Handed Kajaani",
        "Kajaanin palautettu",
        "Kajaanin vanha",
        "Battery investor visit",
        "kajaani-sites.xlsx",
        "Kajaani WordPress",
    ):
        assert text not in html
    assert "Sotkamon palautettu" in _section(html, "returned_sites")
    assert "Sotkamo delegation" in _section(html, "events")
    # Empty sections say so rather than disappearing.
    assert "Nothing waiting" in _section(html, "incoming")
    assert "Nothing uploaded yet." in _section(html, "uploads")


def test_partner_home_shows_what_is_shared_with_the_organisation(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["partner"])
    incoming = _section(html, "incoming")
    assert "Project Handed Partner" in incoming
    shared = _section(html, "shared_leads")
    assert f'href="/leads/{world["accepted_partner"].id}"' in shared
    assert "Battery cluster" in _section(html, "clusters")
    for text in ("Project Handed Kajaani", "Project Inquiry", "Project Silent", "Kajaani"):
        assert text not in html


def test_forum_home_shows_no_lead_records(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    html = _home(client, factory, world["forum"])
    for text in ("Project Inquiry", "Project Silent", "Project Handed", "Call the investor"):
        assert text not in html


def test_home_in_finnish_uses_finnish_words_and_dates(
    client: TestClient, factory: Factory, world: dict[str, Any], db: Session
) -> None:
    world["coordinator"].language = "fi"
    db.commit()
    html = _home(client, factory, world["coordinator"])
    tasks = _section(html, "tasks")
    assert "2 päivää myöhässä" in tasks
    overdue_on = TODAY - timedelta(days=2)
    assert f"{overdue_on.day}.{overdue_on.month}.{overdue_on.year}" in tasks
    assert "3 päivää sitten" in _section(html, "triage")


def test_a_section_in_full_and_the_limit_per_section(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    for n in range(7):
        factory.lead(code_name=f"Project Queue {n}", source="portal_inquiry")
    html = _home(client, factory, coordinator)
    triage = _section(html, "triage")
    assert triage.count("<li>") == 5
    assert 'href="/staff?section=triage"' in triage and "All 7" in triage
    full = _home(client, factory, coordinator, "/staff?section=triage")
    assert _section(full, "triage").count("<li>") == 7
    assert _section(full, "tasks") == ""


def test_home_reads_in_a_bounded_number_of_queries(
    client: TestClient, factory: Factory, world: dict[str, Any], engine: Any
) -> None:
    factory.login(client, world["coordinator"])
    client.get("/staff")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        # Both readings follow a commit, which expires what the shared session held.
        factory.lead(code_name="Project First", source="portal_inquiry")
        client.get("/staff")
        first = len(statements)
        for n in range(10):
            factory.lead(code_name=f"Project More {n}", source="portal_inquiry")
            _task(world["db"], world["coordinator"], f"More work {n}", TODAY, world["own_work"])
        statements.clear()
        client.get("/staff")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= first, "\n\n".join(statements)
