"""The e-mail outbox: queue in the caller's transaction, send from the scheduler.

Queuing never talks to a mail server, so a web request never waits for SMTP and a
rolled-back change never sends mail. Workers claim due messages with
`FOR UPDATE SKIP LOCKED`, so several scheduler processes never send one twice.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import OutboxEmail
from app.domain.errors import ValidationFailed
from app.domain.region import RegionDefinition
from app.services import region as region_service
from app.settings import Settings

log = logging.getLogger("invest_kainuu.mail")

# Waits after the 1st, 2nd, … failed attempt; after the last one the message fails.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)
BATCH_SIZE = 50


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def queue_email(
    db: Session,
    *,
    to: list[str],
    subject: str,
    body_text: str,
    attachments: list[Attachment] | None = None,
    reference: str | None = None,
    created_by_id: uuid.UUID | None = None,
) -> OutboxEmail:
    """Add a message to the outbox; it is sent only if the caller's transaction commits."""
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise ValidationFailed.single("to", "at least one recipient is needed", "required")
    message = OutboxEmail(
        to_addresses=recipients,
        subject=subject[:300],
        body_text=body_text,
        attachments=[
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data_base64": base64.b64encode(a.data).decode(),
            }
            for a in attachments or []
        ],
        reference=reference,
        created_by_id=created_by_id,
    )
    db.add(message)
    return message


def sender(settings: Settings, region: RegionDefinition) -> str:
    """The From header: MAIL_FROM as configured, named after the region's portal when
    it gives no display name; without MAIL_FROM, noreply@ the region's public domain."""
    name, address = parseaddr(settings.mail_from or "")
    if not address:
        address = f"noreply@{region.public_domain}"
    return formataddr((name or region.portal_name(region.default_language), address))


def _mime(settings: Settings, row: OutboxEmail, from_header: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_header
    message["To"] = ", ".join(row.to_addresses)
    message["Subject"] = row.subject
    # Stable per outbox row, so a resend after a crash is recognisable as the same mail.
    message["Message-ID"] = make_msgid(idstring=str(row.id))
    message.set_content(row.body_text)
    for item in row.attachments:
        maintype, _, subtype = item["content_type"].partition("/")
        message.add_attachment(
            base64.b64decode(item["data_base64"]),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=item["filename"],
        )
    return message


def _deliver(settings: Settings, message: EmailMessage) -> str:
    if not settings.smtp_host:
        log.info("SMTP not configured; e-mail logged instead:\n%s", message)
        return "logged"
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)
    return "smtp"


def send_due_emails(db: Session, settings: Settings) -> int:
    """Send what is due; returns how many were sent. Safe to run in many processes."""
    now = utcnow()
    rows = db.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    from_header = sender(settings, region_service.current_region(db))
    for row in rows:
        row.attempts += 1
        try:
            row.delivery = _deliver(settings, _mime(settings, row, from_header))
        except (OSError, smtplib.SMTPException) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts > len(RETRY_DELAYS):
                row.status = "failed"
                log.error("giving up on e-mail %s: %s", row.id, row.last_error)
            else:
                row.next_attempt_at = utcnow() + RETRY_DELAYS[row.attempts - 1]
            continue
        row.status = "sent"
        row.sent_at = utcnow()
        sent += 1
    db.commit()
    return sent


def purge_sent_mail(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Scheduled: delete sent mail older than `mail_retention_days` (counted from when it
    was sent) and mail that failed for good that long ago, with their recipients, texts
    and attachments. Pending mail is never deleted. Returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=settings.mail_retention_days)
    result = db.execute(
        delete(OutboxEmail).where(
            or_(
                and_(OutboxEmail.status == "sent", OutboxEmail.sent_at < cutoff),
                and_(OutboxEmail.status == "failed", OutboxEmail.next_attempt_at < cutoff),
            )
        )
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)
