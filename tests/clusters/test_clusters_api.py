"""Clusters: members, agreements and their expiry, pipeline figures, meetings with
follow-ups, cross-industry links, and who sees what."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Contact, OutboxEmail
from app.domain.access import Role
from app.services.clusters import remind_expiring_agreements, today
from app.settings import Settings
from tests.clusters.conftest import Clusters, problem_fields
from tests.factories import Factory


def test_create_cluster_with_members(cl: Clusters) -> None:
    lead_org = cl.org("Terrafame Oy")
    member_org = cl.org("Kajaanin ammattikorkeakoulu")
    cluster = cl.cluster(
        description="Mining and battery chemicals",
        leading_organization_id=str(lead_org.id),
        founded_on="2024-03-01",
    )
    assert (cluster["industry_codes"], cluster["coordinator_id"], cluster["members"]) == (
        ["mining_chemicals"],
        str(cl.coordinator.id),
        0,
    )
    url = f"/api/v1/clusters/{cluster['id']}/members"
    first = cl.post(
        url, {"organization_id": str(lead_org.id), "role": "leading", "joined_on": "2024-03-01"}
    )
    assert first.status_code == 201, first.text
    assert (first.json()["organization_name"], first.json()["role"]) == ("Terrafame Oy", "leading")
    cl.post(
        url, {"organization_id": str(member_org.id), "role": "research", "joined_on": "2024-05-01"}
    )
    again = cl.post(
        url, {"organization_id": str(lead_org.id), "role": "member", "joined_on": "2024-03-01"}
    )
    assert problem_fields(again) == {("organization_id", "duplicate")}
    left = cl.client.patch(
        f"{url}/{first.json()['id']}", json={"left_on": "2024-01-01"}, headers=cl.headers
    )
    assert problem_fields(left) == {("left_on", "before_joined")}
    assert [m["organization_name"] for m in cl.client.get(url, headers=cl.headers).json()] == [
        "Kajaanin ammattikorkeakoulu",
        "Terrafame Oy",
    ]
    assert cl.page(cluster["id"])["members"] == 2
    duplicate = cl.post(
        "/api/v1/clusters", {"name": "battery minerals CLUSTER", "industry_codes": ["x"]}
    )
    assert problem_fields(duplicate) == {("name", "duplicate"), ("industry_codes", "unknown")}
    _, kajaani = cl.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert (
        cl.post(
            "/api/v1/clusters", {"name": "Mine", "industry_codes": ["tourism"]}, kajaani
        ).status_code
        == 403
    )
    assert cl.page(cluster["id"], kajaani)["name"] == "Battery minerals cluster"


def test_agreement_expiry_flags_and_reminder_job(
    cl: Clusters, db: Session, settings: Settings
) -> None:
    leader_org = cl.org("Sotkamo Silver Oy")
    leader = Contact(
        full_name="Anna Leader",
        email="anna.leader@example.fi",
        organization_id=leader_org.id,
        lawful_basis="legitimate_interest",
        source="cluster founding",
    )
    db.add(leader)
    db.commit()
    cluster = cl.cluster(leader_contact_id=str(leader.id))
    url = f"/api/v1/clusters/{cluster['id']}/agreements"
    day = today()
    window = settings.agreement_warning_days
    made = {}
    for title, until in (
        ("Expiring", day + timedelta(days=window)),
        ("Valid", day + timedelta(days=window + 1)),
        ("Expired", day - timedelta(days=1)),
        ("Open", None),
    ):
        response = cl.post(
            url,
            {
                "party_organization_id": str(leader_org.id),
                "title": title,
                "signed_on": (day - timedelta(days=400)).isoformat(),
                "valid_until": until.isoformat() if until else None,
            },
        )
        assert response.status_code == 201, response.text
        made[title] = response.json()
    listed = cl.client.get(url, headers=cl.headers).json()
    assert [(a["title"], a["state"], a["expiring"]) for a in listed] == [
        ("Expired", "expired", False),
        ("Expiring", "expiring", True),
        ("Valid", "valid", False),
        ("Open", "open_ended", False),
    ]
    backwards = cl.client.patch(
        f"{url}/{made['Valid']['id']}",
        json={"valid_until": (day - timedelta(days=500)).isoformat()},
        headers=cl.headers,
    )
    assert problem_fields(backwards) == {("valid_until", "before_signed")}

    assert remind_expiring_agreements(db, settings) == 1
    assert remind_expiring_agreements(db, settings) == 0
    # Each reads it in their language: the coordinator in English, the leader (whose
    # language is not recorded) in Finnish, with the date as each writes it.
    mail, finnish = db.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.reference.like("agreement-expiry:%"))
        .order_by(OutboxEmail.subject)
    ).all()
    assert mail.to_addresses == [cl.coordinator.email]
    assert finnish.to_addresses == ["anna.leader@example.fi"]
    expires = day + timedelta(days=window)
    assert f"valid until {expires.day} {expires:%b %Y}." in mail.body_text
    assert finnish.subject == (
        "Klusterin sitoumussopimus päättymässä: Battery minerals cluster – Sotkamo Silver Oy"
    )
    assert f"voimassa {expires.day}.{expires.month}.{expires.year} asti." in finnish.body_text
    assert (
        mail.reference
        == f"agreement-expiry:{made['Expiring']['id']}:{(day + timedelta(days=window)).isoformat()}"
    )
    assert (
        mail.subject == "Cluster agreement expiring: Battery minerals cluster – Sotkamo Silver Oy"
    )

    # Renewed, yet still within the window: a new expiry date earns a new reminder.
    renewed = (day + timedelta(days=window - 5)).isoformat()
    cl.client.patch(
        f"{url}/{made['Expiring']['id']}", json={"valid_until": renewed}, headers=cl.headers
    )
    assert remind_expiring_agreements(db, settings) == 1
    assert remind_expiring_agreements(db, settings) == 0


def test_agreement_document_must_be_a_pdf(cl: Clusters) -> None:
    org = cl.org("Paltamo Biorefinery Oy")
    cluster = cl.cluster()
    agreement = cl.post(
        f"/api/v1/clusters/{cluster['id']}/agreements",
        {"party_organization_id": str(org.id), "title": "Commitment", "signed_on": "2025-01-01"},
    ).json()
    url = f"/api/v1/clusters/{cluster['id']}/agreements/{agreement['id']}/document"
    bad = cl.client.put(
        url, files={"file": ("a.pdf", b"MZ not a pdf", "application/pdf")}, headers=cl.headers
    )
    assert problem_fields(bad) == {("file", "not_pdf")}
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
    ok = cl.client.put(
        url, files={"file": ("sopimus.pdf", pdf, "application/pdf")}, headers=cl.headers
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["document_filename"], ok.json()["document_size_bytes"]) == (
        "sopimus.pdf",
        len(pdf),
    )
    got = cl.client.get(url, headers=cl.headers)
    assert (got.status_code, got.content, got.headers["content-type"]) == (
        200,
        pdf,
        "application/pdf",
    )


def test_cluster_pipeline_figures(cl: Clusters) -> None:
    owner = cl.coordinator
    leads = [
        cl.factory.lead(owner=owner, stage="qualified", capex_eur=10_000_000),  # 25 %
        cl.factory.lead(owner=owner, stage="site_visit", capex_eur=3_333_333),  # 55 %
        cl.factory.lead(
            owner=owner, stage="contacted", capex_eur=1_500_001, probability_override=33
        ),
        cl.factory.lead(owner=owner, stage="landed", capex_eur=1_000_000),
        cl.factory.lead(owner=owner, stage="on_hold", capex_eur=5_000_000),
        cl.factory.lead(owner=owner, stage="identified"),  # no capex yet
    ]
    outside = cl.factory.lead(owner=owner, stage="negotiation", capex_eur=99_000_000)
    cluster = cl.cluster()
    for lead in leads:
        response = cl.post(f"/api/v1/clusters/{cluster['id']}/leads", {"lead_id": str(lead.id)})
        assert response.status_code == 204, response.text
    again = cl.post(f"/api/v1/clusters/{cluster['id']}/leads", {"lead_id": str(leads[0].id)})
    assert again.status_code == 409
    pipeline = cl.client.get(
        f"/api/v1/clusters/{cluster['id']}/pipeline", headers=cl.headers
    ).json()
    # 10 000 000 × 25 % + 3 333 333 × 55 % (1 833 333.15 → 1 833 333) + 1 500 001 × 33 %
    # (495 000.33 → 495 000); landed, on-hold and lost leads are outside the open pipeline.
    assert pipeline["totals"] == {
        "leads": 6,
        "open_leads": 4,
        "capex_eur": 14_833_334,
        "weighted_value_eur": 4_828_333,
        "landed_leads": 1,
    }
    by_id = {row["id"]: row for row in pipeline["leads"]}
    assert str(outside.id) not in by_id
    assert [by_id[str(lead.id)]["weighted_value_eur"] for lead in leads] == [
        2_500_000,
        1_833_333,
        495_000,
        1_000_000,
        0,
        0,
    ]
    # The same per-lead value as the pipeline list shows.
    listed = cl.client.get("/api/v1/leads", params={"limit": 200}, headers=cl.headers).json()
    weighted = {i["id"]: i["weighted_value_eur"] for i in listed["items"]}
    assert all(weighted[i] == row["weighted_value_eur"] for i, row in by_id.items())
    assert cl.page(cluster["id"])["pipeline"]["totals"] == pipeline["totals"]

    # A municipality sees only the leads it has need-to-know for.
    _, kajaani = cl.factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    cl.factory.share(leads[0], municipality="205", status="accepted")
    seen = cl.client.get(f"/api/v1/clusters/{cluster['id']}/pipeline", headers=kajaani).json()
    assert [row["id"] for row in seen["leads"]] == [str(leads[0].id)]
    assert seen["totals"]["weighted_value_eur"] == 2_500_000


def test_meeting_follow_ups_land_on_the_lead(cl: Clusters) -> None:
    member = cl.org("CSC – Tieteen tietotekniikan keskus Oy")
    outsider = cl.org("Elsewhere Oy")
    cluster = cl.cluster(name="Data centre cluster", industry_codes=["ict_data_centres"])
    cl.post(
        f"/api/v1/clusters/{cluster['id']}/members",
        {"organization_id": str(member.id), "role": "member", "joined_on": "2025-01-01"},
    )
    lead = cl.factory.lead(owner=cl.coordinator, stage="qualified", capex_eur=50_000_000)
    cl.post(f"/api/v1/clusters/{cluster['id']}/leads", {"lead_id": str(lead.id)})
    url = f"/api/v1/clusters/{cluster['id']}/meetings"

    invalid = cl.post(
        url,
        {
            "held_on": "2025-02-01",
            "title": "Quarterly meeting",
            "follow_ups": [
                {
                    "subject": "Ask CSC about waste heat",
                    "due_on": "2025-03-01",
                    "organization_id": str(outsider.id),
                },
                {"subject": "x", "due_on": "2025-03-01", "lead_id": str(cl.factory.lead().id)},
            ],
        },
    )
    assert problem_fields(invalid) == {
        ("follow_ups.0.organization_id", "not_member"),
        ("follow_ups.1.lead_id", "unknown"),
    }
    assert cl.client.get(url, headers=cl.headers).json()["total"] == 0

    made = cl.post(
        url,
        {
            "held_on": "2025-02-01",
            "title": "Quarterly meeting",
            "minutes": "Waste heat and a joint site offer were discussed.",
            "decisions": "Prepare a joint offer.",
            "attendee_user_ids": [str(cl.coordinator.id)],
            "follow_ups": [
                {
                    "subject": "Draft the joint site offer",
                    "due_on": "2025-03-01",
                    "lead_id": str(lead.id),
                },
                {
                    "subject": "Ask CSC about waste heat",
                    "due_on": "2025-02-15",
                    "organization_id": str(member.id),
                },
            ],
        },
    )
    assert made.status_code == 201, made.text
    meeting = made.json()
    assert meeting["attendees"] == [cl.coordinator.full_name]
    assert [(f["subject"], f["origin_type"], f["origin_id"]) for f in meeting["follow_ups"]] == [
        ("Ask CSC about waste heat", "cluster_meeting", meeting["id"]),
        ("Draft the joint site offer", "cluster_meeting", meeting["id"]),
    ]
    timeline = cl.client.get(f"/api/v1/leads/{lead.id}/timeline", headers=cl.headers).json()
    assert [
        (i["summary"], i["details"]["due_on"], i["details"]["origin_type"])
        for i in timeline
        if i["kind"] == "activity"
    ] == [("Draft the joint site offer", "2025-03-01", "cluster_meeting")]

    later = cl.post(
        f"{url}/{meeting['id']}/follow-ups",
        {
            "subject": "Book the next meeting",
            "due_on": "2025-04-01",
            "organization_id": str(member.id),
        },
    )
    assert later.status_code == 201, later.text
    page = cl.page(cluster["id"])
    assert [t["subject"] for t in page["open_tasks"]] == [
        "Ask CSC about waste heat",
        "Draft the joint site offer",
        "Book the next meeting",
    ]
    done = cl.client.patch(
        f"/api/v1/activities/{page['open_tasks'][0]['id']}", json={"done": True}, headers=cl.headers
    )
    assert done.status_code == 200
    assert [t["subject"] for t in cl.page(cluster["id"])["open_tasks"]] == [
        "Draft the joint site offer",
        "Book the next meeting",
    ]
    assert [m["title"] for m in cl.page(cluster["id"])["recent_meetings"]] == ["Quarterly meeting"]


def test_links_between_clusters_show_on_both_pages(cl: Clusters, factory: Factory) -> None:
    battery = cl.cluster()
    data = cl.cluster(name="Data centre cluster", industry_codes=["ict_data_centres"])
    link = cl.post(
        f"/api/v1/clusters/{battery['id']}/links",
        {"cluster_id": data["id"], "note": "Waste heat for process heat"},
    )
    assert link.status_code == 201, link.text
    assert (link.json()["cluster_name"], link.json()["note"]) == (
        "Data centre cluster",
        "Waste heat for process heat",
    )
    assert [(x["cluster_name"], x["note"]) for x in cl.page(data["id"])["links"]] == [
        ("Battery minerals cluster", "Waste heat for process heat")
    ]
    assert (
        cl.post(f"/api/v1/clusters/{data['id']}/links", {"cluster_id": battery["id"]}).status_code
        == 409
    )
    assert problem_fields(
        cl.post(f"/api/v1/clusters/{data['id']}/links", {"cluster_id": data["id"]})
    ) == {("cluster_id", "self_link")}
    assert (
        cl.client.delete(
            f"/api/v1/clusters/{data['id']}/links/{link.json()['id']}", headers=cl.headers
        ).status_code
        == 204
    )
    assert cl.page(battery["id"])["links"] == []

    # A partner sees only the clusters its organisation belongs to.
    partner_org = cl.org("Business Finland")
    _, partner = factory.api_user(Role.PARTNER, organization_id=partner_org.id)
    assert cl.client.get(f"/api/v1/clusters/{battery['id']}", headers=partner).status_code == 404
    cl.post(
        f"/api/v1/clusters/{battery['id']}/members",
        {"organization_id": str(partner_org.id), "role": "funder", "joined_on": "2025-01-01"},
    )
    assert cl.client.get(f"/api/v1/clusters/{battery['id']}", headers=partner).status_code == 200
    assert [
        c["name"] for c in cl.client.get("/api/v1/clusters", headers=partner).json()["items"]
    ] == ["Battery minerals cluster"]
