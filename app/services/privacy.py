"""GDPR for contact persons: export of everything about a person, erasure that keeps
the audit trail and the lead figures, and retention enforced by a scheduled job.

Only admins and the coordinator handle personal data (the CRM register is theirs).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    cast,
    delete,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import Base, utcnow
from app.db.models import (
    Activity,
    ApiToken,
    AuditEntry,
    CalendarFeedToken,
    Cluster,
    ClusterMeeting,
    ClusterMeetingAttendee,
    Contact,
    Event,
    EventItineraryItem,
    EventParticipant,
    Lead,
    LeadContact,
    LeadStageChange,
    Organization,
    OutboxEmail,
    Stage,
    User,
    UserSession,
)
from app.domain.access import SYSTEM_ACTOR, Actor, Role, require_role, require_staff_wide
from app.domain.errors import Conflict, NotFound
from app.domain.leads import INITIAL_STAGE_CODE, LeadSource, StageKind
from app.domain.organizations import default_retention
from app.domain.portal import CONFIRMATION_REFERENCE, INQUIRY_MESSAGE_ORIGIN
from app.domain.privacy import (
    ERASED,
    IDENTIFYING_FIELDS,
    INQUIRY_NOT_PURSUED,
    RETENTION_ENDED,
    clean_reason,
    extended_until,
    review_due_by,
)
from app.i18n import N_, register_field_errors
from app.services.audit import (
    entries_for,
    mentions,
    needle_pattern,
    redacted,
    scrub_personal_data,
)
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


# --- where a person can be stored -------------------------------------------------------
#
# Two kinds of place, both found from the SQLAlchemy metadata so that a table added
# later is covered without anyone remembering it:
# - rows that point at the contact with a foreign key (lead links, event participants,
#   meeting attendees, cluster leaders, activities): exported; on erasure the lead
#   links and activities stay (pointing at "[erased]", activities about the person
#   blanked), guest and attendee lists lose the person and clusters their leader;
# - every text and JSON column of every table, searched for the person's identifying
#   values (name, e-mail addresses, phone numbers, now and in the record's history):
#   exported, and on erasure replaced by "[erased]" (outbox mail is handled first, see
#   `_erase_from_mail`).

# Tables the text sweep leaves alone on erasure, and why.
SWEEP_EXEMPT: dict[str, str] = {
    "audit_entries": "entries are kept; their values are scrubbed after the sweep",
    "report_snapshots": "closed periods are immutable and hold figures and code names only",
    "users": "staff accounts are erased on their own (erase_user)",
}
# Columns neither searched nor swept: another contact's own name, address and phone.
# A namesake is a different person, and a duplicate record of the same person is
# exported and erased on its own.
NOT_MENTIONS: dict[str, frozenset[str]] = {
    "contacts": frozenset(IDENTIFYING_FIELDS),
}


def _text_columns(table: Table) -> list[Column[Any]]:
    """The columns that can hold free text: not keys, not references."""
    return [
        c
        for c in table.columns
        if isinstance(c.type, String | JSON) and not c.primary_key and not c.foreign_keys
    ]


def _table_of(cls: type[Any]) -> Table:
    table = inspect(cls).local_table
    assert isinstance(table, Table)
    return table


AUDIT_TABLE = _table_of(AuditEntry)
OUTBOX_TABLE = _table_of(OutboxEmail)


def _mapped_classes() -> dict[str, type[Any]]:
    return {
        m.local_table.name: m.class_
        for m in Base.registry.mappers
        if isinstance(m.local_table, Table)
    }


def contact_link_columns() -> list[Column[Any]]:
    """Every column, in any table, holding a foreign key to a contact."""
    contacts = Contact.__table__
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        if table is not contacts
        for fk in table.foreign_keys
        if fk.column.table is contacts
    ]


def _like_needles(needles: Collection[str]) -> list[str]:
    """The needles as LIKE patterns, also as JSON writes them (escaped non-ASCII)."""
    forms: set[str] = set()
    for needle in needles:
        for form in (needle, json.dumps(needle)[1:-1]):
            escaped = form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            forms.add(f"%{escaped}%")
    return sorted(forms)


def _mentioning(columns: list[Column[Any]], likes: list[str]) -> ColumnElement[bool]:
    return or_(
        *(
            (c if isinstance(c.type, String) else cast(c, Text)).ilike(like, escape="\\")
            for c in columns
            for like in likes
        )
    )


def _mentions(db: Session, needles: list[str]) -> list[tuple[Table, Any, dict[str, Any]]]:
    """Every row of every table (but the audit log) whose text mentions the person:
    (table, row, {attribute: value}) of the columns that do."""
    pattern = needle_pattern(needles)
    if pattern is None:
        return []
    likes = _like_needles(needles)
    classes = _mapped_classes()
    found: list[tuple[Table, Any, dict[str, Any]]] = []
    for table in Base.metadata.sorted_tables:
        skipped = NOT_MENTIONS.get(table.name, frozenset())
        columns = [c for c in _text_columns(table) if c.name not in skipped]
        cls = classes.get(table.name)
        if not columns or cls is None or table.name == "audit_entries":
            continue
        mapper = inspect(cls)
        keys = [mapper.get_property_by_column(c).key for c in columns]
        for row in db.scalars(select(cls).where(_mentioning(columns, likes))):
            hits = {k: getattr(row, k) for k in keys if mentions(getattr(row, k), pattern)}
            if hits:
                found.append((table, row, hits))
    return found


def _audit_mentions(db: Session, needles: list[str]) -> list[AuditEntry]:
    pattern = needle_pattern(needles)
    if pattern is None:
        return []
    column = AUDIT_TABLE.c.changes
    query = select(AuditEntry).where(_mentioning([column], _like_needles(needles)))
    return [
        e
        for e in db.scalars(query.order_by(AuditEntry.id))
        if mentions(_searched(e.entity_type, e.changes), pattern)
    ]


def _searched(table: str, changes: dict[str, Any]) -> dict[str, Any]:
    skipped = NOT_MENTIONS.get(table, frozenset())
    return {k: v for k, v in changes.items() if k not in skipped}


def _scrub_audit_mentions(db: Session, needles: list[str]) -> None:
    """The person's values leave every audit entry that mentions them; the entries stay
    (and another contact's own identity in its own history stays too)."""
    pattern = needle_pattern(needles)
    if pattern is None:
        return
    for entry in _audit_mentions(db, needles):
        entry.changes = {
            **entry.changes,
            **redacted(_searched(entry.entity_type, entry.changes), pattern),
        }


def _needles(db: Session, contact: Contact) -> list[str]:
    """The values that identify the person: name, e-mail and phone, now and as the
    record's history remembers them (an old address may sit in an old message)."""
    values = {contact.full_name, contact.email, contact.phone}
    for entry in entries_for(db, "contacts", str(contact.id)):
        for name in IDENTIFYING_FIELDS:
            values.update(entry.changes.get(name) or [])
    return sorted(v for v in values if isinstance(v, str) and v.strip() and v != ERASED)


def _emails(needles: Collection[str]) -> set[str]:
    return {n.strip().casefold() for n in needles if "@" in n}


def _row_key(table: Table, row: Any) -> str:
    return ":".join(str(getattr(row, c.key)) for c in table.primary_key.columns)


def _attachment_text(item: Mapping[str, Any]) -> str | None:
    """A text attachment (an .ics invitation) as text, its folded lines unfolded."""
    if not str(item.get("content_type", "")).startswith("text/"):
        return None
    try:
        text = base64.b64decode(item["data_base64"]).decode("utf-8")
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
    return text.replace("\r\n ", "").replace("\r\n\t", "")


def _mail_about(db: Session, needles: list[str]) -> list[OutboxEmail]:
    """Queued and sent messages addressed to the person or mentioning them, also inside
    their text attachments (which the database cannot search: they are base64)."""
    pattern = needle_pattern(needles)
    if pattern is None:
        return []
    columns = _text_columns(OUTBOX_TABLE)
    query = select(OutboxEmail).where(
        or_(
            _mentioning(columns, _like_needles(needles)),
            cast(OUTBOX_TABLE.c.attachments, Text) != "[]",
        )
    )
    found = []
    for row in db.scalars(query.order_by(OutboxEmail.created_at, OutboxEmail.id)):
        texts = [row.subject, row.body_text, *row.to_addresses]
        texts += [t for t in map(_attachment_text, row.attachments) if t]
        if any(pattern.search(t) for t in texts):
            found.append(row)
    return found


def _mail(row: OutboxEmail) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "created_at": _plain(row.created_at),
        "status": row.status,
        "sent_at": _plain(row.sent_at),
        "to": row.to_addresses,
        "subject": row.subject,
        "body": row.body_text,
        "attachments": [
            {
                "filename": item.get("filename"),
                "content_type": item.get("content_type"),
                "text": _attachment_text(item),
            }
            for item in row.attachments
        ],
    }


def _row(table: Table, row: Any) -> dict[str, Any]:
    mapper = inspect(type(row))
    return {
        c.name: _plain(getattr(row, mapper.get_property_by_column(c).key))
        for c in table.columns
        if not isinstance(c.type, LargeBinary)
    }


def _events_of(db: Session, contact_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.execute(
        select(EventParticipant, Event)
        .join(Event, Event.id == EventParticipant.event_id)
        .where(EventParticipant.contact_id == contact_id)
        .order_by(Event.starts_at, Event.id)
    )
    return [
        {
            "event_id": str(event.id),
            "title": event.title,
            "kind": event.kind,
            "starts_at": _plain(event.starts_at),
            "ends_at": _plain(event.ends_at),
            "location": event.location,
            "role": participant.role,
            "invitation": participant.invitation,
            "invited_at": _plain(participant.invited_at),
            "rsvp": participant.rsvp,
            "rsvp_at": _plain(participant.rsvp_at),
            "itinerary": [
                {
                    "starts_at": _plain(item.starts_at),
                    "place": item.place,
                    "hosts": item.hosts,
                    "description": item.description,
                }
                for item in db.scalars(
                    select(EventItineraryItem)
                    .where(EventItineraryItem.event_id == event.id)
                    .order_by(EventItineraryItem.starts_at, EventItineraryItem.id)
                )
            ],
        }
        for participant, event in rows
    ]


def _meetings_of(db: Session, contact_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.execute(
        select(ClusterMeeting, Cluster.name)
        .join(ClusterMeetingAttendee, ClusterMeetingAttendee.meeting_id == ClusterMeeting.id)
        .join(Cluster, Cluster.id == ClusterMeeting.cluster_id)
        .where(ClusterMeetingAttendee.contact_id == contact_id)
        .order_by(ClusterMeeting.held_on, ClusterMeeting.id)
    )
    return [
        {
            "meeting_id": str(meeting.id),
            "cluster": cluster,
            "held_on": _plain(meeting.held_on),
            "title": meeting.title,
            "minutes": meeting.minutes,
            "decisions": meeting.decisions,
        }
        for meeting, cluster in rows
    ]


def export_contact(db: Session, actor: Actor, contact_id: uuid.UUID) -> dict[str, Any]:
    """Everything stored about one person (GDPR art. 15 and 20), as plain JSON values.

    Besides the friendly sections, `linked` holds every row of every table that points
    at the person, and `mentions` every text of every table that names them (by name,
    e-mail or phone), so nothing stored about them is left out."""
    contact = _contact(db, actor, contact_id)
    org = db.get(Organization, contact.organization_id) if contact.organization_id else None
    activities = _activities_about(db, contact.id)
    needles = _needles(db, contact)
    linked_leads = _linked_leads(db, contact.id)
    linked: dict[str, list[dict[str, Any]]] = {}
    classes = _mapped_classes()
    for column in contact_link_columns():
        cls = classes[column.table.name]
        query = select(cls).where(column == contact.id)
        rows = [_row(column.table, r) for r in db.scalars(query)]
        linked.setdefault(column.table.name, []).extend(rows)
    mentioned: dict[str, list[dict[str, Any]]] = {}
    for table, row, hits in _mentions(db, needles):
        if table is Contact.__table__ and row.id == contact.id:
            continue
        mentioned.setdefault(table.name, []).append(
            {"id": _row_key(table, row), "fields": {k: _plain(v) for k, v in hits.items()}}
        )
    own = entries_for(db, "contacts", str(contact.id))
    own_ids = {e.id for e in own}
    return {
        "exported_at": utcnow().isoformat(),
        "contact": {name: _plain(getattr(contact, name)) for name in CONTACT_EXPORT_FIELDS},
        "consent": {name: _plain(getattr(contact, name)) for name in CONSENT_FIELDS},
        "organization": {"id": str(org.id), "name": org.name} if org else None,
        "leads": [
            {"id": str(lead.id), "code_name": lead.code_name, "role": role}
            for lead, role in linked_leads
        ],
        "inquiries": [
            {
                "lead_id": str(lead.id),
                "code_name": lead.code_name,
                "received_at": _plain(lead.created_at),
                "message": lead.description,
            }
            for lead, _role in linked_leads
            if lead.source == LeadSource.PORTAL_INQUIRY.value
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
        "events": _events_of(db, contact.id),
        "clusters_led": [
            {"id": str(c.id), "name": c.name}
            for c in db.scalars(
                select(Cluster)
                .where(Cluster.leader_contact_id == contact.id)
                .order_by(Cluster.name)
            )
        ],
        "cluster_meetings": _meetings_of(db, contact.id),
        "mail": [_mail(row) for row in _mail_about(db, needles)],
        "linked": linked,
        "mentions": mentioned,
        "audit": [_audit(e) for e in own],
        "audit_mentions": [
            {"entity_type": e.entity_type, "entity_id": e.entity_id, **_audit(e)}
            for e in _audit_mentions(db, needles)
            if e.id not in own_ids
        ],
    }


def _erase_from_mail(db: Session, needles: list[str]) -> None:
    """Queued and sent mail forgets the person: a message only to them goes, their
    address leaves a message to others, and their values leave its text attachments.
    (The subject and body are redacted by the sweep that follows.)"""
    pattern = needle_pattern(needles)
    if pattern is None:
        return
    emails = _emails(needles)
    for row in _mail_about(db, needles):
        recipients = [a for a in row.to_addresses if a.strip().casefold() not in emails]
        if not recipients:
            db.delete(row)
            continue
        if recipients != row.to_addresses:
            row.to_addresses = recipients
        attachments = []
        for item in row.attachments:
            text = _attachment_text(item)
            if text is not None and pattern.search(text):
                cleaned = pattern.sub(ERASED, text).encode("utf-8")
                item = {**item, "data_base64": base64.b64encode(cleaned).decode()}
            attachments.append(item)
        if attachments != row.attachments:
            row.attachments = attachments


def _sweep(db: Session, needles: list[str]) -> None:
    """Replace the person's values in every text of every table (SWEEP_EXEMPT aside)."""
    pattern = needle_pattern(needles)
    if pattern is None:
        return
    for table, row, hits in _mentions(db, needles):
        if table.name in SWEEP_EXEMPT:
            continue
        for key, value in hits.items():
            setattr(row, key, redacted(value, pattern))


def _anonymise(db: Session, contact: Contact, reason: str) -> None:
    """Replace the person's values everywhere they are kept; flushes, does not commit.

    The record, its lead links and every audit entry stay: who did what, when remains
    visible, only the personal values become "[erased]". Mail only to the person goes,
    and so do their places on event guest lists and meeting attendee lists.
    """
    needles = _needles(db, contact)
    # Activities about the person lose their text; any other text loses only the
    # mentions of the person.
    about = _activities_about(db, contact.id)
    for activity in about:
        activity.subject = ERASED
        activity.body = None
    # They leave the guest lists of events and the attendee lists of meetings, and no
    # longer lead a cluster (the lead links stay: the figures need them).
    for participant in db.scalars(
        select(EventParticipant).where(EventParticipant.contact_id == contact.id)
    ):
        db.delete(participant)
    db.execute(
        delete(ClusterMeetingAttendee).where(ClusterMeetingAttendee.contact_id == contact.id)
    )
    for cluster in db.scalars(select(Cluster).where(Cluster.leader_contact_id == contact.id)):
        cluster.leader_contact_id = None
    for name in Contact.__personal_fields__:
        setattr(contact, name, None)
    contact.full_name = ERASED
    contact.erased_at = utcnow()
    contact.erasure_reason = reason
    _erase_from_mail(db, needles)
    _sweep(db, needles)
    db.flush()  # the audit entries of these changes exist now, so they are scrubbed too
    scrub_personal_data(db, "contacts", str(contact.id), Contact.__personal_fields__)
    for activity in about:
        scrub_personal_data(db, "activities", str(activity.id), Activity.__personal_fields__)
    _scrub_audit_mentions(db, needles)
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


def _inquiry_messages(inquiry_ids: set[uuid.UUID]) -> ColumnElement[bool]:
    """The notes that keep these inquiries' own words on their senders."""
    return and_(
        Activity.origin_type == INQUIRY_MESSAGE_ORIGIN,
        Activity.origin_id.in_([str(i) for i in inquiry_ids]),
    )


def _kept_for_other_reasons(
    db: Session, contact_id: uuid.UUID, inquiry_ids: set[uuid.UUID]
) -> bool:
    """Whether a person of an unpursued inquiry is also linked to anything else (another
    lead, an event, a meeting, an activity, …): then their own retention date decides."""
    checks: list[ColumnElement[bool]] = []
    for column in contact_link_columns():
        condition = column == contact_id
        if column.table is _table_of(LeadContact):
            condition = condition & LeadContact.lead_id.not_in(inquiry_ids)
        if column.table is _table_of(Activity):
            condition = condition & ~_inquiry_messages(inquiry_ids)
        checks.append(select(column.table).where(condition).exists())
    return bool(db.scalar(select(or_(*checks))))


def purge_unpursued_inquiries(
    db: Session, settings: Settings, *, now: datetime | None = None
) -> int:
    """Scheduled: portal inquiries that never became real leads — still in the first
    stage, or lost from it (spam, no answer), untouched for `inquiry_retention_days` —
    lose their message, and their sender's data is erased unless the person is linked
    to anything else. The lead itself stays, so the figures (new and lost leads) do not
    change. Returns how many inquiries were purged; a second run purges none."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.inquiry_retention_days)
    lost = select(Stage.code).where(Stage.kind == StageKind.LOST.value)
    first_or_lost = or_(
        LeadStageChange.to_stage == INITIAL_STAGE_CODE, LeadStageChange.to_stage.in_(lost)
    )
    pursued = (
        select(LeadStageChange.id)
        .where(LeadStageChange.lead_id == Lead.id, ~first_or_lost)
        .exists()
    )
    leads = list(
        db.scalars(
            select(Lead)
            .where(
                Lead.source == LeadSource.PORTAL_INQUIRY.value,
                Lead.created_at < cutoff,
                Lead.last_activity_at < cutoff,
                or_(Lead.stage_code == INITIAL_STAGE_CODE, Lead.stage_code.in_(lost)),
                ~pursued,
                or_(Lead.description.is_(None), Lead.description != ERASED),
            )
            .order_by(Lead.created_at, Lead.id)
        )
    )
    bind_actor(db, SYSTEM_ACTOR)
    inquiry_ids = {lead.id for lead in leads}
    for lead in leads:
        senders = db.scalars(
            select(Contact)
            .join(LeadContact, LeadContact.contact_id == Contact.id)
            .where(LeadContact.lead_id == lead.id, Contact.erased_at.is_(None))
            .order_by(Contact.id)
        ).all()
        for contact in senders:
            if not _kept_for_other_reasons(db, contact.id, inquiry_ids):
                _anonymise(db, contact, INQUIRY_NOT_PURSUED)
        for message in db.scalars(select(Activity).where(_inquiry_messages({lead.id}))):
            db.delete(message)
        lead.description = ERASED
        db.flush()
        scrub_personal_data(db, "leads", str(lead.id), frozenset({"description"}))
        # The coordinator's notice and the investor's confirmation, sent or not.
        references = [f"inquiry:{lead.id}", CONFIRMATION_REFERENCE.format(lead_id=lead.id)]
        db.execute(delete(OutboxEmail).where(OutboxEmail.reference.in_(references)))
    db.commit()
    return len(leads)


# --- staff accounts ----------------------------------------------------------------------


def _user_needles(db: Session, user: User) -> list[str]:
    values = {user.full_name, user.email}
    for entry in entries_for(db, "users", str(user.id)):
        for name in User.__personal_fields__:
            values.update(entry.changes.get(name) or [])
    return sorted(v for v in values if isinstance(v, str) and v.strip() and v != ERASED)


def erase_user(db: Session, actor: Actor, user_id: uuid.UUID, reason: str | None) -> User:
    """Erase a former staff member's personal data (admins only; the account must be
    deactivated first). The account stays as "[erased]" so that the records it owns
    and the audit trail keep their shape: entries keep the account's id, but its name
    and address go from them, from mail (a message only to them is deleted) and from
    every text that names them. Logins, sessions, API tokens and the calendar feed end.
    A second request changes nothing."""
    require_role(actor, Role.ADMIN)
    cleaned = clean_reason(reason)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.erased_at is not None:
        return user
    if user.is_active or user.id == actor.user_id:
        raise Conflict("Deactivate the account before erasing its data.")
    bind_actor(db, actor)
    needles = _user_needles(db, user)
    for model in (UserSession, CalendarFeedToken):
        db.execute(delete(model).where(model.user_id == user.id))
    # Tokens are audited records: deleted through the session, so the log keeps them.
    for token in db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        db.delete(token)
    user.full_name = ERASED
    user.email = f"erased-{user.id}@invalid"
    user.password_hash = None
    user.erased_at = utcnow()
    user.erasure_reason = cleaned
    _erase_from_mail(db, needles)
    _sweep(db, needles)
    db.flush()
    scrub_personal_data(db, "users", str(user.id), User.__personal_fields__)
    db.execute(
        update(AuditEntry)
        .where(or_(AuditEntry.actor_user_id == user.id, AuditEntry.actor_label.in_(needles)))
        .values(actor_label=ERASED)
    )
    _scrub_audit_mentions(db, needles)
    db.commit()
    return user
