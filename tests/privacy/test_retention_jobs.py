"""The nightly retention jobs: sent mail, portal inquiries that never became real
leads, and site packages never applied go after their periods (settings), and a
second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import Contact, Lead, LeadContact, OutboxEmail, SitePackageUpload
from app.domain.access import Role
from app.scheduler import JOBS, Job
from app.services.mail import queue_email
from app.settings import Settings
from tests.factories import Factory
from tests.leads.conftest import Pipeline
from tests.portal.test_inquiry import GOOD, _form, _send
from tests.sites.test_packages_api import EASTING, NORTHING, apply, checked, table


@pytest.fixture(autouse=True)
def instant_inquiries(settings: Settings) -> Iterator[None]:
    original = settings.portal_inquiry_min_seconds, settings.portal_inquiry_limit
    settings.portal_inquiry_min_seconds, settings.portal_inquiry_limit = 0, 100
    yield
    settings.portal_inquiry_min_seconds, settings.portal_inquiry_limit = original


def _job(job_id: str) -> Job:
    return next(job for job in JOBS if job.id == job_id)


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_sent_mail_is_deleted_after_the_retention_period(db: Session, settings: Settings) -> None:
    now = utcnow()
    rows = {
        name: queue_email(db, to=[f"{name}@example.org"], subject=name, body_text="Hello")
        for name in ("old_sent", "new_sent", "old_failed", "old_pending", "edge_sent")
    }
    db.flush()
    days = settings.mail_retention_days
    old = now - timedelta(days=days + 1)
    values = {
        "old_sent": {"status": "sent", "sent_at": old, "created_at": old},
        "new_sent": {"status": "sent", "sent_at": now - timedelta(days=days - 1)},
        "old_failed": {"status": "failed", "created_at": old, "next_attempt_at": old},
        "old_pending": {"created_at": old, "next_attempt_at": old},
        # Queued long ago, sent recently: counted from when it was sent.
        "edge_sent": {"status": "sent", "created_at": old, "sent_at": now - timedelta(days=1)},
    }
    for name, changes in values.items():
        db.execute(update(OutboxEmail).where(OutboxEmail.id == rows[name].id).values(**changes))
    db.commit()

    job = _job("purge-sent-mail")
    assert job.trigger["trigger"] == "cron"
    assert job.run(db, settings) == 2
    assert job.run(db, settings) == 0
    left = set(db.scalars(select(OutboxEmail.subject)))
    assert {"new_sent", "old_pending", "edge_sent"} <= left
    assert not {"old_sent", "old_failed"} & left


def _inquiry(pipeline: Pipeline, db: Session, email: str, name: str) -> Lead:
    client = pipeline.client
    values = {
        **GOOD,
        "full_name": name,
        "email": email,
        "organization": f"{name} Holdings",
        "message": f"Please call {name} about a plot.",
    }
    sent = _send(client, {**_form(client), **values})
    assert sent.status_code == 303, sent.text
    lead = db.scalars(
        select(Lead)
        .join(LeadContact, LeadContact.lead_id == Lead.id)
        .join(Contact, Contact.id == LeadContact.contact_id)
        .where(Contact.email == email)
        .order_by(Lead.created_at.desc())
    ).first()
    assert lead is not None
    return lead


def _age(db: Session, lead: Lead, days: int) -> None:
    then = utcnow() - timedelta(days=days)
    db.execute(
        update(Lead).where(Lead.id == lead.id).values(created_at=then, last_activity_at=then)
    )
    db.commit()


def _contact_of(db: Session, lead: Lead) -> Contact:
    contact = db.scalars(
        select(Contact).join(LeadContact).where(LeadContact.lead_id == lead.id)
    ).one()
    return contact


def test_unpursued_portal_inquiries_lose_message_and_sender(
    pipeline: Pipeline, db: Session, settings: Settings
) -> None:
    period = settings.inquiry_retention_days
    untouched = _inquiry(pipeline, db, "untouched@example.org", "Urho Untouched")
    spam = _inquiry(pipeline, db, "spam@example.org", "Sami Spam")
    pursued = _inquiry(pipeline, db, "pursued@example.org", "Pirkko Pursued")
    recent = _inquiry(pipeline, db, "recent@example.org", "Riikka Recent")
    known = _inquiry(pipeline, db, "known@example.org", "Kalle Known")
    # Lost straight from the first stage (spam), and lost only after real work.
    lost = pipeline.move(str(spam.id), to_stage="lost", lost_reason_code="no_response")
    assert lost.status_code == 200, lost.text
    for body in ({"to_stage": "contacted"}, {"to_stage": "lost", "lost_reason_code": "other"}):
        moved = pipeline.move(str(pursued.id), **body)
        assert moved.status_code == 200, moved.text
    # The sender of this one is also on a real lead: only the inquiry goes.
    known_contact = _contact_of(db, known)
    pipeline.lead(code_name="Project Known", contact_ids=[str(known_contact.id)])
    for lead in (untouched, spam, pursued, known):
        _age(db, lead, period + 1)
    _age(db, recent, period - 1)
    # The coordinator's notice of the inquiry and the investor's confirmation (with a
    # copy of the message) go with it, sent or not.
    assert _count(db, OutboxEmail, OutboxEmail.reference == f"inquiry:{untouched.id}") == 1
    confirmation = f"inquiry-confirmation:{untouched.id}"
    assert _count(db, OutboxEmail, OutboxEmail.reference == confirmation) == 1

    job = _job("purge-unpursued-inquiries")
    assert job.run(db, settings) == 3
    assert job.run(db, settings) == 0
    db.expire_all()

    for lead in (untouched, spam, known):
        stored = db.get(Lead, lead.id)
        assert stored is not None and stored.description == "[erased]"
        trail = pipeline.client.get(f"/api/v1/audit/leads/{lead.id}", headers=pipeline.headers)
        assert "Please call" not in trail.text
    for lead in (untouched, spam):
        contact = _contact_of(db, lead)
        assert (contact.full_name, contact.email) == ("[erased]", None)
        assert contact.erasure_reason is not None and "inquiry" in contact.erasure_reason
    assert _count(db, OutboxEmail, OutboxEmail.reference == f"inquiry:{untouched.id}") == 0
    assert _count(db, OutboxEmail, OutboxEmail.reference == confirmation) == 0
    assert _count(db, OutboxEmail, OutboxEmail.reference == f"inquiry-confirmation:{recent.id}")
    # Kept: the lead itself (figures), a pursued inquiry, a recent one, a known person.
    assert db.get(Lead, spam.id) is not None
    for lead in (pursued, recent):
        stored = db.get(Lead, lead.id)
        assert stored is not None and "Please call" in (stored.description or "")
        assert _contact_of(db, lead).erased_at is None
    assert db.get(Contact, known_contact.id).full_name == "Kalle Known"  # type: ignore[union-attr]


def test_unapplied_site_packages_are_deleted_with_their_files(
    client: Any, factory: Factory, db: Session, settings: Settings
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")

    def row(ref: str) -> list[Any]:
        return [ref, "industrial_plot", f"Tontti {ref}", "205", "EPSG:3067", EASTING, NORTHING]

    old_checked = checked(client, headers, "old.xlsx", table(row("OLD-1")))
    old_invalid = checked(client, headers, "bad.xlsx", table([*row("BAD-1")[:3], "999"]))
    assert old_invalid["status"] == "invalid"
    old_applied = checked(client, headers, "applied.xlsx", table(row("APP-1")))
    apply(client, headers, old_applied["id"])
    recent = checked(client, headers, "recent.xlsx", table(row("NEW-1")))
    then = utcnow() - timedelta(days=settings.package_upload_retention_days + 1)
    for upload in (old_checked, old_invalid, old_applied):
        db.execute(
            update(SitePackageUpload)
            .where(SitePackageUpload.id == upload["id"])
            .values(created_at=then)
        )
    db.commit()
    stored = db.scalar(
        select(SitePackageUpload.content).where(SitePackageUpload.id == old_checked["id"])
    )
    assert stored  # the package's bytes are kept until it is applied

    job = _job("purge-unapplied-site-packages")
    assert job.run(db, settings) == 2
    assert job.run(db, settings) == 0
    for upload, status in (
        (old_checked, 404),
        (old_invalid, 404),
        (old_applied, 200),
        (recent, 200),
    ):
        response = client.get(f"/api/v1/site-packages/{upload['id']}", headers=headers)
        assert response.status_code == status, upload["filename"]
    assert _count(db, SitePackageUpload, SitePackageUpload.id == old_checked["id"]) == 0
