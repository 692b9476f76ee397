"""E-mail as each person chose it (at once, a daily digest, or none), in their own
language; nothing named to someone no longer entitled; nothing sent for a change that
was rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Notification, NotificationDigest, OutboxEmail
from app.domain.access import Role
from app.services import leads
from app.services.auth import actor_for
from app.services.notifications import helsinki_now, run_notification_jobs
from app.settings import Settings
from tests.factories import csrf_from
from tests.notifications.conftest import Office, Person

ENGLISH_WORDS = ("handed", "notification", "You receive", "account page", "Lead ", "By ")


def _choose(person: Person, value: str) -> None:
    page = person.page("/account")
    response = person.client.post(
        "/account/notifications",
        data={"csrf_token": csrf_from(page), "notification_email": value},
    )
    assert response.status_code == 200, response.text
    assert person.user.notification_email == value


def _mail_to(db: Session, person: Person) -> list[OutboxEmail]:
    return [
        m
        for m in db.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at))
        if person.user.email in m.to_addresses
    ]


def _share(office: Office, message: str | None = None, **lead_values: object) -> dict[str, str]:
    lead = office["coordinator"].api(
        "POST",
        "/api/v1/leads",
        json={
            "title": "Battery precursor plant",
            "investment_type": "greenfield_fdi",
            "source": "invest_in_finland",
            **lead_values,
        },
    )
    share = office["coordinator"].api(
        "POST",
        f"/api/v1/leads/{lead['id']}/shares",
        json={"municipality_code": "205", "message": message},
    )
    return {"lead_id": lead["id"], "code_name": lead["code_name"], "share_id": share["id"]}


def _morning(hour: int) -> datetime:
    local = helsinki_now().replace(hour=hour, minute=5, second=0, microsecond=0)
    return local.astimezone(UTC)


def test_immediate_digest_and_none_each_in_the_readers_language(
    office: Office, db: Session, settings: Settings
) -> None:
    at_once_fi = office.add("at_once_fi", Role.MUNICIPAL_CONTACT, municipality="205", language="fi")
    digest_fi = office.add("digest_fi", Role.MUNICIPAL_CONTACT, municipality="205", language="fi")
    off = office.add("off", Role.MUNICIPAL_CONTACT, municipality="205")
    _choose(digest_fi, "digest")
    _choose(off, "off")
    at_once_en = office["kajaani"]  # immediate is everyone's default
    shared = _share(office, message="Voisitteko esitellä tontit?")
    code = shared["code_name"]

    (mail_fi,) = _mail_to(db, at_once_fi)
    assert mail_fi.subject == f"Liidi {code} siirrettiin vastaanottajalle Kajaani"
    assert "Voisitteko esitellä tontit?" in mail_fi.body_text
    assert f"{settings.base_url}/leads/{shared['lead_id']}" in mail_fi.body_text
    assert "Saat nämä sähköpostit" in mail_fi.body_text
    for word in ENGLISH_WORDS:
        assert word not in mail_fi.body_text and word not in mail_fi.subject, word
    (mail_en,) = _mail_to(db, at_once_en)
    assert mail_en.subject == f"Lead {code} was handed to Kajaani"
    assert "You receive these e-mails" in mail_en.body_text
    assert _mail_to(db, digest_fi) == [] and _mail_to(db, off) == []
    # The person who shared is told nothing, by e-mail or otherwise.
    assert _mail_to(db, office["coordinator"]) == []

    # Before the morning no digest goes; after it, one, however often the job runs.
    run_notification_jobs(db, settings, now=_morning(5))
    assert _mail_to(db, digest_fi) == []
    for _ in range(2):
        run_notification_jobs(db, settings, now=_morning(8))
    (digest,) = _mail_to(db, digest_fi)
    assert digest.subject.startswith("Invest in Kainuu: ilmoituksesi ")
    assert f"Liidi {code} siirrettiin vastaanottajalle Kajaani" in digest.body_text
    assert "Ilmoituksesi Invest in Kainuu -asiakkuudenhallinnasta" in digest.body_text
    for word in ENGLISH_WORDS:
        assert word not in digest.body_text, word
    assert _mail_to(db, off) == []
    assert len(_mail_to(db, at_once_fi)) == 1
    days = db.scalars(
        select(NotificationDigest).where(NotificationDigest.user_id == digest_fi.user.id)
    )
    assert [d.notification_count for d in days] == [1]

    # Tomorrow's digest has nothing new for them: no e-mail.
    run_notification_jobs(db, settings, now=_morning(8) + timedelta(days=1))
    assert len(_mail_to(db, digest_fi)) == 1
    # Everyone still sees every notification in the service.
    for person in (at_once_fi, digest_fi, off, at_once_en):
        assert person.bell() == 1


def test_the_list_and_the_bell_speak_finnish_to_a_finnish_reader(office: Office) -> None:
    reader = office.add("finn", Role.MUNICIPAL_CONTACT, municipality="205", language="fi")
    shared = _share(office)
    page = reader.page()
    assert "<h1>Ilmoitukset</h1>" in page
    assert f"Liidi {shared['code_name']} siirrettiin vastaanottajalle Kajaani" in page
    assert "Lukematon" in page and "Merkitse kaikki luetuiksi" in page
    assert "(1 lukematonta)" in page
    for english in ("Unread", "Mark all as read", "Notifications", "was handed"):
        assert english not in page, english
    account = reader.page("/account")
    assert "Ilmoitukset sähköpostiin" in account and "Kerran päivässä koosteena" in account


def test_an_unknown_email_choice_is_refused_on_the_form(office: Office) -> None:
    person = office["kajaani"]
    page = person.page("/account")
    response = person.client.post(
        "/account/notifications",
        data={"csrf_token": csrf_from(page), "notification_email": "hourly"},
    )
    assert response.status_code == 422
    assert "Choose one of the options." in response.text
    assert person.user.notification_email == "immediate"


def test_a_rolled_back_change_notifies_and_sends_nothing(
    office: Office, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator = office["coordinator"]
    lead = coordinator.api(
        "POST",
        "/api/v1/leads",
        json={"title": "Plant", "investment_type": "greenfield_fdi", "source": "partner"},
    )
    before = db.scalar(select(func.count()).select_from(OutboxEmail))

    def failing_commit() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        leads.share_lead(
            db,
            actor_for(coordinator.user),
            uuid.UUID(lead["id"]),
            municipality_code="205",
            organization_id=None,
            message="Take a look",
        )
    db.rollback()
    monkeypatch.undo()
    assert db.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxEmail)) == before
    assert office["kajaani"].bell() == 0


def test_a_declined_handoff_takes_the_lead_off_the_colleagues_list(
    office: Office, db: Session
) -> None:
    shared = _share(office, message="Confidential plans")
    code = shared["code_name"]
    assert office["kajaani2"].bell() == 1
    office["kajaani"].api(
        "POST", f"/api/v1/shares/{shared['share_id']}/response", json={"accept": False}
    )
    # Kajaani is out of the lead's circle now: the code name and message are gone.
    for key in ("kajaani", "kajaani2"):
        page = office[key].page()
        assert code not in page and "Confidential plans" not in page
        assert office[key].bell() == 0
        assert office[key].api("GET", "/api/v1/notifications")["total"] == 0
    assert office["coordinator"].notices() == [f"Kajaani declined your handoff of lead {code}"]


def test_a_sharer_who_lost_the_lead_is_not_told_its_name(office: Office, db: Session) -> None:
    kajaani = office["kajaani"]
    lead = kajaani.api(
        "POST",
        "/api/v1/leads",
        json={"title": "Data centre", "investment_type": "greenfield_fdi", "source": "partner"},
    )
    partner_org = office["partner"].user.organization_id
    share = kajaani.api(
        "POST", f"/api/v1/leads/{lead['id']}/shares", json={"organization_id": str(partner_org)}
    )
    # The coordinator moves the lead to a colleague: Kajaani no longer owns it.
    office["coordinator"].api(
        "PATCH",
        f"/api/v1/leads/{lead['id']}",
        json={"owner_id": str(office["coordinator2"].user.id)},
    )
    assert office["coordinator2"].notices() == [f"Lead {lead['code_name']} was assigned to you"]
    office["partner"].api("POST", f"/api/v1/shares/{share['id']}/response", json={"accept": True})
    row = db.get(Lead, uuid.UUID(lead["id"]))
    assert row is not None and row.confidentiality == "confidential"
    assert kajaani.notices() == []
    assert lead["code_name"] not in kajaani.page()
    assert not any(lead["code_name"] in m.subject + m.body_text for m in _mail_to(db, kajaani))


def test_a_digest_another_instance_already_sent_today_is_not_sent_again(
    office: Office, db: Session, settings: Settings
) -> None:
    reader = office["kajaani"]
    _choose(reader, "digest")
    _share(office)
    morning = _morning(8)
    # Another scheduler instance wrote today's row (and sent) first.
    db.add(NotificationDigest(user_id=reader.user.id, day=helsinki_now(morning).date()))
    db.commit()
    run_notification_jobs(db, settings, now=morning)
    assert _mail_to(db, reader) == []
    # The notice still waits: tomorrow's digest carries it.
    run_notification_jobs(db, settings, now=morning + timedelta(days=1))
    (digest,) = _mail_to(db, reader)
    assert "was handed to Kajaani" in digest.body_text
