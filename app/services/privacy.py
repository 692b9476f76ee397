"""GDPR for contact persons: export of everything about a person, erasure that keeps
the audit trail and the lead figures, and retention enforced by a scheduled job.

Only admins and the coordinator handle personal data (the CRM register is theirs).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    AuditEntry,
    Contact,
    Lead,
    LeadContact,
    LeadShare,
    LeadStageChange,
    Organization,
)
from app.domain.access import SYSTEM_ACTOR, Actor, require_staff_wide
from app.domain.errors import NotFound
from app.domain.organizations import default_retention
from app.domain.privacy import (
    ERASED,
    RETENTION_ENDED,
    clean_reason,
    extended_until,
    review_due_by,
)
from app.i18n import N_, register_field_errors
from app.services.audit import entries_for, redact, redact_text, scrub_personal_data
from app.settings import Settings

register_field_errors(
    {
        ("required", "reason"): N_("Give the reason."),
        ("not_after_today", "retention_until"): N_("The new date must be in the future."),
        ("not_extended", "retention_until"): N_("The new date must be later than the current one."),
        ("too_far_in_future", "retention_until"): N_("At most %(years)s years ahead."),
    }
)

CONTACT_EXPORT_FIELDS = (
    "id",
    "full_name",
    "role_title",
    "email",
    "phone",
    "language",
    "notes",
    "created_at",
    "updated_at",
    "erased_at",
)
CONSENT_FIELDS = (
    "lawful_basis",
    "source",
    "consent_text_version",
    "consent_given_at",
    "retention_until",
    "retention_reason",
)


def _today() -> date:
    return datetime.now(UTC).date()


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _contact(db: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    require_staff_wide(actor)
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def _activities_about(db: Session, contact_id: uuid.UUID) -> list[Activity]:
    return list(
        db.scalars(
            select(Activity)
            .where(Activity.contact_id == contact_id)
            .order_by(Activity.occurred_at, Activity.id)
        )
    )


def _linked_leads(db: Session, contact_id: uuid.UUID) -> list[tuple[Lead, str | None]]:
    rows = db.execute(
        select(Lead, LeadContact.role)
        .join(LeadContact, LeadContact.lead_id == Lead.id)
        .where(LeadContact.contact_id == contact_id)
        .order_by(Lead.code_name)
    )
    return [(lead, role) for lead, role in rows]


def _audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor_label,
        "action": entry.action,
        "changes": entry.changes,
    }


def export_contact(db: Session, actor: Actor, contact_id: uuid.UUID) -> dict[str, Any]:
    """Everything stored about one person (GDPR art. 15 and 20), as plain JSON values."""
    contact = _contact(db, actor, contact_id)
    org = db.get(Organization, contact.organization_id) if contact.organization_id else None
    activities = _activities_about(db, contact.id)
    return {
        "exported_at": utcnow().isoformat(),
        "contact": {name: _plain(getattr(contact, name)) for name in CONTACT_EXPORT_FIELDS},
        "consent": {name: _plain(getattr(contact, name)) for name in CONSENT_FIELDS},
        "organization": {"id": str(org.id), "name": org.name} if org else None,
        "leads": [
            {"id": str(lead.id), "code_name": lead.code_name, "role": role}
            for lead, role in _linked_leads(db, contact.id)
        ],
        "activities": [
            {
                "id": str(a.id),
                "kind": a.kind,
                "subject": a.subject,
                "body": a.body,
                "occurred_at": _plain(a.occurred_at),
                "due_on": _plain(a.due_on),
                "lead_id": _plain(a.lead_id),
            }
            for a in activities
        ],
        "audit": [_audit(e) for e in entries_for(db, "contacts", str(contact.id))],
    }


def _anonymise(db: Session, contact: Contact, reason: str) -> None:
    """Replace the person's values everywhere they are kept; flushes, does not commit.

    The record, its links and every audit entry stay: who did what, when remains
    visible, only the personal values become "[erased]".
    """
    needles = [v for v in (contact.full_name, contact.email, contact.phone) if v]
    leads = [lead for lead, _role in _linked_leads(db, contact.id)]
    if contact.organization_id:
        # Their organisation's other leads may mention them without linking them.
        linked = {lead.id for lead in leads}
        leads += [
            lead
            for lead in db.scalars(
                select(Lead).where(Lead.organization_id == contact.organization_id)
            )
            if lead.id not in linked
        ]
    lead_ids = [lead.id for lead in leads]
    # Activities about the person lose their text; notes elsewhere on the same leads and
    # organisation lose only the mentions of the person.
    about = _activities_about(db, contact.id)
    for activity in about:
        activity.subject = ERASED
        activity.body = None
    nearby_subjects: list[ColumnElement[bool]] = [Activity.lead_id.in_(lead_ids)]
    if contact.organization_id:
        nearby_subjects.append(Activity.organization_id == contact.organization_id)
    about_ids = {a.id for a in about}
    nearby = [
        a
        for a in db.scalars(select(Activity).where(or_(*nearby_subjects)))
        if a.id not in about_ids
    ]
    for activity in nearby:
        activity.subject = redact(activity.subject, needles) or ERASED
        activity.body = redact(activity.body, needles)
    for lead in leads:
        lead.description = redact(lead.description, needles)
        lead.lost_note = redact(lead.lost_note, needles)
    for change in db.scalars(
        select(LeadStageChange).where(
            LeadStageChange.lead_id.in_(lead_ids), LeadStageChange.note.is_not(None)
        )
    ):
        change.note = redact(change.note, needles)
    shares = list(db.scalars(select(LeadShare).where(LeadShare.lead_id.in_(lead_ids))))
    for share in shares:
        share.message = redact(share.message, needles)
        share.response_note = redact(share.response_note, needles)
    for name in Contact.__personal_fields__:
        setattr(contact, name, None)
    contact.full_name = ERASED
    contact.erased_at = utcnow()
    contact.erasure_reason = reason
    db.flush()  # the audit entries of these changes exist now, so they are scrubbed too
    scrub_personal_data(db, "contacts", str(contact.id), Contact.__personal_fields__)
    for activity in about:
        scrub_personal_data(db, "activities", str(activity.id), Activity.__personal_fields__)
    for activity in nearby:
        redact_text(db, "activities", str(activity.id), needles)
    for lead in leads:
        redact_text(db, "leads", str(lead.id), needles)
    for share in shares:
        redact_text(db, "lead_shares", str(share.id), needles)
    db.flush()


def erase_contact(db: Session, actor: Actor, contact_id: uuid.UUID, reason: str | None) -> Contact:
    """Erase a person's data on request. Never refused: an erased person stays erased
    and a second request changes nothing."""
    contact = _contact(db, actor, contact_id)
    cleaned = clean_reason(reason)
    if contact.erased_at is not None:
        return contact
    bind_actor(db, actor)
    _anonymise(db, contact, cleaned)
    db.commit()
    return contact


def retention_due(
    db: Session, actor: Actor, *, today: date | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Contact], int]:
    """Contacts whose retention ends within the review window (or has ended)."""
    require_staff_wide(actor)
    query = select(Contact).where(
        Contact.erased_at.is_(None),
        Contact.retention_until.is_not(None),
        Contact.retention_until <= review_due_by(today or _today()),
    )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Contact.retention_until, Contact.full_name, Contact.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def extend_retention(
    db: Session,
    actor: Actor,
    contact_id: uuid.UUID,
    reason: str | None,
    *,
    until: date | None = None,
) -> Contact:
    contact = _contact(db, actor, contact_id)
    if contact.erased_at is not None:
        raise NotFound("The contact's data has been erased.")
    cleaned = clean_reason(reason)
    today = _today()
    new = extended_until(contact.retention_until, until, today, default_retention(today))
    bind_actor(db, actor)
    contact.retention_until = new
    contact.retention_reason = cleaned
    db.commit()
    return contact


def anonymise_expired_contacts(db: Session, _settings: Settings | None = None) -> int:
    """Scheduled: anonymise every contact whose retention has passed. Running it twice
    changes nothing the second time."""
    bind_actor(db, SYSTEM_ACTOR)
    expired = list(
        db.scalars(
            select(Contact).where(
                Contact.erased_at.is_(None),
                Contact.retention_until.is_not(None),
                Contact.retention_until < _today(),
            )
        )
    )
    for contact in expired:
        _anonymise(db, contact, RETENTION_ENDED)
    db.commit()
    return len(expired)
