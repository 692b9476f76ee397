"""History in words: the lead timeline and the history page of every record type."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import (
    Cluster,
    Contact,
    Event,
    EventHost,
    EventParticipant,
    InvestmentTarget,
    Lead,
    User,
)
from app.domain.access import Role
from app.services.auth import actor_for
from tests.factories import Factory, csrf_from


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _named_user(factory: Factory, db: Session, role: Role, name: str, **kwargs: object) -> User:
    user = factory.user(role, **kwargs)  # type: ignore[arg-type]
    user.full_name = name
    db.commit()
    return user


@pytest.fixture
def kaisa(factory: Factory, db: Session) -> User:
    return _named_user(factory, db, Role.COORDINATOR, "Kaisa Virtanen")


def test_lead_timeline_tells_a_stage_move_a_field_change_and_a_share_in_words(
    client: TestClient, factory: Factory, db: Session, kaisa: User
) -> None:
    factory.login(client, kaisa)
    lead = factory.lead(
        owner=kaisa,
        stage="contacted",
        capex_eur=12_000_000,
        expected_decision_on=date(2026, 11, 30),
        origin_country="SE",
    )
    page = client.get(f"/leads/{lead.id}")
    moved = client.post(
        f"/leads/{lead.id}/move",
        data={
            "csrf_token": csrf_from(page.text),
            "to_stage": "qualified",
            "note": "site visit agreed",
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    bind_actor(db, actor_for(kaisa))
    db.get(Lead, lead.id).capex_eur = 15_000_000  # type: ignore[union-attr]
    db.commit()
    shared = client.post(
        f"/leads/{lead.id}/shares",
        data={"csrf_token": csrf_from(page.text), "receiver": "municipality:765", "message": ""},
        follow_redirects=False,
    )
    assert shared.status_code == 303, shared.text

    english = visible_text(client.get(f"/leads/{lead.id}").text)
    assert (
        "Kaisa Virtanen moved the lead from Contacted to Qualified: 'site visit agreed'" in english
    )
    assert "Kaisa Virtanen changed the estimated capex from €12,000,000 to €15,000,000." in english
    assert "Kaisa Virtanen shared the lead with Sotkamo." in english
    assert "leads update" not in english and "fields)" not in english
    # Dates day-first in English, never US short dates; countries by name.
    assert "Expected decision date 30 Nov 2026" in english
    assert re.search(r"\d{2}/\d{2}/\d{4}, \d{2}:\d{2}", english)
    assert "11/30/2026" not in english
    assert "Country of origin Sweden" in english

    client.cookies.set("ik_lang", "fi")
    finnish = visible_text(client.get(f"/leads/{lead.id}").text)
    assert (
        "Kaisa Virtanen siirsi liidin vaiheesta Kontaktoitu vaiheeseen Kvalifioitu: "
        "”site visit agreed”" in finnish
    )
    assert (
        "Kaisa Virtanen muutti kohdan ”arvioitu investointi”: 12 000 000 € → 15 000 000 €."
        in finnish
    )
    assert "Kaisa Virtanen jakoi liidin vastaanottajalle Sotkamo." in finnish
    assert "Odotettu päätöspäivä 30.11.2026" in finnish
    assert "maa Ruotsi" in finnish


def _records(factory: Factory, db: Session, kaisa: User) -> dict[str, str]:
    """One record of each type with a change in its history, made by Kaisa."""
    actor = actor_for(kaisa)
    org = factory.organization(name="Nordic Fibre Oy", country="SE")
    bind_actor(db, actor)
    org.country = "NO"
    org.industry_code = "ict_data_centres"
    contact = Contact(
        organization_id=org.id,
        full_name="Lars Berg",
        lawful_basis="legitimate_interest",
        source="fair",
    )
    cluster = Cluster(name="Battery cluster")
    event = Event(
        kind="investor_visit",
        title="Visit of Nordic Fibre",
        starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        confidential=True,
    )
    db.add_all([contact, cluster, event])
    db.flush()
    db.add(EventHost(event_id=event.id, municipality_code="205"))
    site = factory.site(municipality="205", status="draft", name_en="Renforsin Ranta plot")
    bind_actor(db, actor)
    site.available_power_mw = 20.0
    target = db.query(InvestmentTarget).first()
    if target is None:
        target = InvestmentTarget(
            name="Strategy 2022–2025",
            amount_eur=1_200_000_000,
            period_start=date(2022, 1, 1),
            period_end=date(2025, 12, 31),
        )
        db.add(target)
    db.flush()
    target.amount_eur = 1_300_000_000
    contact.role_title = "CEO"
    cluster.description = "Battery chemicals around Terrafame"
    event.status = "confirmed"
    db.commit()
    return {
        "organizations": str(org.id),
        "contacts": str(contact.id),
        "clusters": str(cluster.id),
        "events": str(event.id),
        "investment_targets": str(target.id),
        "sites": str(site.id),
    }


EXPECTED = {
    "organizations": "Kaisa Virtanen changed the country from Sweden to Norway.",
    "contacts": "Kaisa Virtanen set the job title to “CEO”.",
    "clusters": "Kaisa Virtanen set the description to “Battery chemicals around Terrafame”.",
    "events": "Kaisa Virtanen changed the status from Planned to Confirmed.",
    "investment_targets": (
        "Kaisa Virtanen changed the amount from €1,200,000,000 to €1,300,000,000."
    ),
    "sites": "Kaisa Virtanen set the available power (MW) to 20.",
}


def test_every_record_type_has_a_history_page_in_words(
    client: TestClient, factory: Factory, db: Session, kaisa: User
) -> None:
    records = _records(factory, db, kaisa)
    factory.login(client, kaisa)
    for entity_type, entity_id in records.items():
        response = client.get(f"/history/{entity_type}/{entity_id}")
        assert response.status_code == 200, (entity_type, response.text)
        text = visible_text(response.text)
        assert EXPECTED[entity_type] in text, (entity_type, text)
        assert entity_id not in text
    org_text = visible_text(client.get(f"/history/organizations/{records['organizations']}").text)
    assert "Kaisa Virtanen set the industry to ICT and data centres." in org_text
    assert "Kaisa Virtanen added the contact person Lars Berg." in org_text
    record_page = client.get(f"/organizations/{records['organizations']}")
    assert f'href="/history/organizations/{records["organizations"]}"' in record_page.text


# The regional team's own records: the register and the targets.
REGISTER = frozenset({"organizations", "contacts", "investment_targets"})


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        (
            Role.MUNICIPAL_CONTACT,
            {"organizations", "contacts", "investment_targets", "events", "sites"},
        ),
        (Role.FORUM_VIEWER, {"organizations", "contacts", "investment_targets", "events", "sites"}),
    ],
)
def test_history_pages_are_refused_like_the_records(
    client: TestClient,
    factory: Factory,
    db: Session,
    kaisa: User,
    role: Role,
    refused: set[str],
) -> None:
    records = _records(factory, db, kaisa)
    # Sotkamo's contact: the event is hosted by Kajaani and confidential, the site a
    # Kajaani draft; the register and the targets are the regional team's.
    reader = factory.user(role, municipality="765" if role is Role.MUNICIPAL_CONTACT else None)
    factory.login(client, reader)
    for entity_type, entity_id in records.items():
        history = client.get(f"/history/{entity_type}/{entity_id}")
        record = client.get(
            {
                "organizations": "/organizations/{}",
                "contacts": "/contacts/{}",
                "clusters": "/clusters/{}",
                "events": "/events/{}",
                "investment_targets": "/targets/{}",
                "sites": "/sites/{}",
            }[entity_type].format(entity_id)
        )
        if entity_type in refused:
            assert history.status_code in (403, 404), (entity_type, history.status_code)
            assert record.status_code in (403, 404), (entity_type, record.status_code)
        else:
            assert history.status_code == 200, (entity_type, history.status_code)
    assert client.get("/history/users/" + str(reader.id)).status_code == 404


def test_an_event_history_names_external_guests_only_to_the_coordinator_and_hosts(
    client: TestClient, factory: Factory, db: Session, kaisa: User
) -> None:
    bind_actor(db, actor_for(kaisa))
    org = factory.organization(name="Nordic Fibre Oy")
    bind_actor(db, actor_for(kaisa))
    guest = Contact(
        organization_id=org.id,
        full_name="Lars Berg",
        lawful_basis="legitimate_interest",
        source="fair",
    )
    event = Event(
        kind="fair_meeting",
        title="Fair meeting",
        starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        confidential=False,
    )
    db.add_all([guest, event])
    db.flush()
    db.add(EventHost(event_id=event.id, municipality_code="205"))
    db.add(EventParticipant(event_id=event.id, contact_id=guest.id, role="guest"))
    db.commit()
    url = f"/history/events/{event.id}"
    factory.login(client, kaisa)
    assert "Kaisa Virtanen added Lars Berg to the participants." in visible_text(
        client.get(url).text
    )
    client.cookies.clear()
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT, municipality="765"))
    text = visible_text(client.get(url).text)
    assert "Kaisa Virtanen added a record you cannot see to the participants." in text
    assert "Lars Berg" not in text
