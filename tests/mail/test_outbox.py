"""The e-mail outbox: transactional queueing, SMTP delivery, retries, no double sends."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.migrations import upgrade_to_head
from app.db.models import OutboxEmail
from app.db.session import make_engine
from app.services.mail import RETRY_DELAYS, Attachment, queue_email, send_due_emails
from app.settings import Settings
from tests.conftest import TEST_SECRET


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _settings(port: int, database_url: str = "sqlite://") -> Settings:
    return Settings(
        environment="test",
        secret_key=TEST_SECRET,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
    )


def test_queued_mail_is_sent_with_attachment(db: Session, smtp_server) -> None:
    inbox, port = smtp_server
    queue_email(
        db,
        to=["coordinator@example.com"],
        subject="Uusi yhteydenotto",
        body_text="Hei!",
        reference="test:1",
        attachments=[Attachment("visit.ics", "text/calendar", b"BEGIN:VCALENDAR")],
    )
    db.commit()
    assert send_due_emails(db, _settings(port)) == 1
    (message,) = inbox.messages
    assert message["Subject"] == "Uusi yhteydenotto"
    assert message["To"] == "coordinator@example.com"
    parts = {
        p.get_filename(): p.get_payload(decode=True) for p in message.walk() if p.get_filename()
    }
    assert parts == {"visit.ics": b"BEGIN:VCALENDAR"}
    row = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == "test:1"))
    assert (row.status, row.delivery, row.attempts) == ("sent", "smtp", 1)
    assert send_due_emails(db, _settings(port)) == 0


def test_rolled_back_change_sends_nothing(db: Session, smtp_server) -> None:
    inbox, port = smtp_server
    nested = db.begin_nested()
    queue_email(db, to=["x@example.com"], subject="never", body_text="-", reference="test:2")
    db.flush()
    nested.rollback()
    send_due_emails(db, _settings(port))
    assert inbox.messages == []


def test_without_smtp_the_mail_is_logged(db: Session, caplog) -> None:
    queue_email(
        db, to=["x@example.com"], subject="Logged only", body_text="body", reference="test:3"
    )
    db.commit()
    settings = Settings(environment="test", secret_key=TEST_SECRET)
    with caplog.at_level("INFO", logger="invest_kainuu.mail"):
        assert send_due_emails(db, settings) == 1
    assert "Logged only" in caplog.text
    row = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == "test:3"))
    assert row.delivery == "logged"


def test_unreachable_server_is_retried_then_failed(db: Session) -> None:
    queue_email(db, to=["x@example.com"], subject="retry", body_text="-", reference="test:4")
    db.commit()
    dead = _settings(_free_port())
    send_due_emails(db, dead)
    row = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == "test:4"))
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > utcnow() + RETRY_DELAYS[0] - timedelta(seconds=5)
    assert "ConnectionRefusedError" in row.last_error
    for _ in RETRY_DELAYS:
        row.next_attempt_at = utcnow()
        db.commit()
        send_due_emails(db, dead)
    assert (row.status, row.attempts) == ("failed", len(RETRY_DELAYS) + 1)


def test_two_workers_never_send_the_same_message(scratch_database: str, smtp_server) -> None:
    inbox, port = smtp_server
    engine = make_engine(scratch_database)
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    upgrade_to_head(engine)
    with Session(engine) as db:
        for i in range(20):
            queue_email(db, to=[f"r{i}@example.com"], subject=f"m{i}", body_text="-")
        db.commit()
    settings = _settings(port, scratch_database)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        with Session(engine) as db:
            barrier.wait()
            counts.append(send_due_emails(db, settings))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sum(counts) == 20
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(f"m{i}" for i in range(20))
