"""Visitor-concept events: the council invites, the municipalities host.

The coordinator plans an event, invites its participants by e-mail (an .ics travels
along), confirms it, marks it held and records the outcome and follow-up tasks, which
land on the leads' timelines. Host municipalities edit their own part of the
itinerary. Confidential visits are seen only by the coordinator and the hosts
(`scope.events_visible_to`); lead identities only with need-to-know.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import ColumnElement, and_, case, delete, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    CalendarFeedToken,
    Contact,
    Event,
    EventHost,
    EventItineraryItem,
    EventLead,
    EventParticipant,
    EventSite,
    Lead,
    Municipality,
    Organization,
    Site,
    Stage,
    User,
)
from app.domain.access import Actor, Role, require_staff_wide, token_digest
from app.domain.activities import ActivityKind
from app.domain.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.events import (
    HELSINKI,
    TRANSITIONS,
    VISIT_KINDS,
    EventKind,
    EventStatus,
    IcsAttendee,
    IcsEvent,
    Invitation,
    ParticipantRole,
    Rsvp,
    build_calendar,
    check_transition,
    clean_event_fields,
    clean_itinerary_fields,
    one_person,
    percent,
    product_id,
    sequence_bump,
)
from app.domain.leads import StageKind
from app.domain.reports import end_of_day_utc, start_of_day_utc
from app.i18n import N_, babel_locale, register_field_errors, register_labels, translate
from app.services import activities
from app.services import region as region_service
from app.services.activities import Subject
from app.services.audit import parse_uuid, register_access_check
from app.services.auth import actor_for
from app.services.mail import Attachment, queue_email
from app.services.scope import (
    activities_visible_to,
    event_hosted_by,
    events_in_reports,
    events_visible_to,
    leads_in_reports,
    leads_visible_to,
    leads_with_need_to_know,
    sites_visible_to,
)
from app.services.targets import require_report_reader
from app.settings import Settings

register_labels(
    "event_kind",
    {
        EventKind.INVESTOR_VISIT.value: N_("Investor visit"),
        EventKind.DELEGATION.value: N_("Delegation"),
        EventKind.FAMILIARISATION_TRIP.value: N_("Familiarisation trip"),
        EventKind.FAIR_MEETING.value: N_("Fair or roadshow meeting"),
        EventKind.INVESTMENT_FORUM.value: N_("Annual investment forum"),
        EventKind.OTHER.value: N_("Other"),
    },
)
register_labels(
    "event_status",
    {
        EventStatus.PLANNED.value: N_("Planned"),
        EventStatus.INVITED.value: N_("Invited"),
        EventStatus.CONFIRMED.value: N_("Confirmed"),
        EventStatus.HELD.value: N_("Held"),
        EventStatus.CANCELLED.value: N_("Cancelled"),
    },
)
register_labels(
    "participant_role",
    {
        ParticipantRole.GUEST.value: N_("Guest"),
        ParticipantRole.HOST.value: N_("Host"),
        ParticipantRole.ORGANISER.value: N_("Organiser"),
    },
)
register_labels(
    "invitation", {Invitation.NOT_SENT.value: N_("Not sent"), Invitation.SENT.value: N_("Sent")}
)
register_labels(
    "rsvp",
    {
        Rsvp.PENDING.value: N_("No answer yet"),
        Rsvp.ACCEPTED.value: N_("Coming"),
        Rsvp.TENTATIVE.value: N_("Maybe"),
        Rsvp.DECLINED.value: N_("Not coming"),
    },
)

EVENT_ORIGIN = "event"
# The feed reaches this far back; older events stay in calendars that already have them.
FEED_HISTORY = timedelta(days=365)
FEED_TOUCH_INTERVAL = timedelta(hours=1)


# ---------------------------------------------------------------- reading


def get_event(db: Session, actor: Actor, event_id: uuid.UUID) -> Event:
    event = db.scalar(select(Event).where(Event.id == event_id, events_visible_to(actor)))
    if event is None:
        # Confidential visits answer exactly like missing ones: no existence leak.
        raise NotFound("No such event.")
    return event


def host_codes(db: Session, event_id: uuid.UUID) -> list[str]:
    return list(
        db.scalars(
            select(EventHost.municipality_code)
            .where(EventHost.event_id == event_id)
            .order_by(EventHost.municipality_code)
        )
    )


def is_host(actor: Actor, hosts: list[str]) -> bool:
    return actor.role is Role.MUNICIPAL_CONTACT and actor.municipality_code in hosts


def sees_guests(actor: Actor, hosts: list[str]) -> bool:
    """Who the external guests are: the coordinator and the hosts who receive them."""
    return actor.sees_everything or is_host(actor, hosts)


@dataclass
class EventFilters:
    status: str | None = None
    kind: str | None = None
    municipality: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    q: str | None = None


@dataclass(frozen=True)
class EventRow:
    event: Event
    host_codes: list[str]


def _filtered(actor: Actor, filters: EventFilters) -> Any:
    query = select(Event).where(events_visible_to(actor))
    if filters.status:
        query = query.where(Event.status == filters.status)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.municipality:
        query = query.where(
            exists(
                select(EventHost.event_id).where(
                    EventHost.event_id == Event.id,
                    EventHost.municipality_code == filters.municipality,
                )
            )
        )
    if filters.starts_from:
        query = query.where(Event.ends_at >= filters.starts_from)
    if filters.starts_before:
        query = query.where(Event.starts_at < filters.starts_before)
    if filters.q and filters.q.strip():
        query = query.where(Event.title.ilike(f"%{filters.q.strip()}%"))
    return query


def list_events(
    db: Session, actor: Actor, filters: EventFilters, *, limit: int = 50, offset: int = 0
) -> tuple[list[EventRow], int]:
    query = _filtered(actor, filters)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = list(db.scalars(query.order_by(Event.starts_at, Event.id).limit(limit).offset(offset)))
    hosts: dict[uuid.UUID, list[str]] = {}
    for event_id, code in db.execute(
        select(EventHost.event_id, EventHost.municipality_code)
        .where(EventHost.event_id.in_([e.id for e in events]))
        .order_by(EventHost.municipality_code)
    ):
        hosts.setdefault(event_id, []).append(code)
    return [EventRow(e, hosts.get(e.id, [])) for e in events], total


@dataclass(frozen=True)
class ItineraryView:
    item: EventItineraryItem
    site_name: str | None
    editable: bool


@dataclass(frozen=True)
class ParticipantView:
    participant: EventParticipant
    name: str
    email: str | None
    organization_name: str | None
    editable: bool


@dataclass(frozen=True)
class EventLeadView:
    lead_id: uuid.UUID
    code_name: str
    title: str
    organization_name: str | None
    need_to_know: bool


@dataclass(frozen=True)
class EventView:
    event: Event
    host_codes: list[str]
    invited_by: User | None
    itinerary: list[ItineraryView]
    participants: list[ParticipantView]
    hidden_guests: int
    leads: list[EventLeadView]
    sites: list[Site]
    follow_ups: list[Activity]
    can_edit: bool
    my_host_code: str | None
    allowed_statuses: list[str] = field(default_factory=list)


def _itinerary(db: Session, actor: Actor, event: Event, hosts: list[str]) -> list[ItineraryView]:
    rows = db.execute(
        select(EventItineraryItem, Site)
        .outerjoin(Site, Site.id == EventItineraryItem.site_id)
        .where(EventItineraryItem.event_id == event.id)
        .order_by(EventItineraryItem.starts_at, EventItineraryItem.id)
    )
    return [
        ItineraryView(
            item, site.name_fi if site else None, _may_edit_item(actor, item.host_municipality_code)
        )
        for item, site in rows
    ]


def _may_edit_item(actor: Actor, host_code: str | None) -> bool:
    if actor.sees_everything:
        return True
    return actor.role is Role.MUNICIPAL_CONTACT and host_code == actor.municipality_code


def _participants(
    db: Session, actor: Actor, event: Event, hosts: list[str]
) -> tuple[list[ParticipantView], int]:
    rows = db.execute(
        select(EventParticipant, Contact, User, Organization.name)
        .outerjoin(Contact, Contact.id == EventParticipant.contact_id)
        .outerjoin(User, User.id == EventParticipant.user_id)
        .outerjoin(Organization, Organization.id == Contact.organization_id)
        .where(EventParticipant.event_id == event.id)
        .order_by(
            EventParticipant.role,
            func.coalesce(Contact.full_name, User.full_name),
            EventParticipant.id,
        )
    ).all()
    shown, hidden = [], 0
    guests_visible = sees_guests(actor, hosts)
    for participant, contact, user, org_name in rows:
        if contact is not None:
            if not guests_visible:
                hidden += 1
                continue
            shown.append(
                ParticipantView(
                    participant,
                    contact.full_name,
                    contact.email,
                    org_name,
                    _may_edit_participant(actor, participant, None),
                )
            )
        else:
            shown.append(
                ParticipantView(
                    participant,
                    user.full_name,
                    user.email,
                    None,
                    _may_edit_participant(actor, participant, user),
                )
            )
    return shown, hidden


def _may_edit_participant(actor: Actor, participant: EventParticipant, user: User | None) -> bool:
    """The coordinator edits everyone; a user answers for themselves; a host
    municipality edits its own hosts."""
    if actor.sees_everything:
        return True
    if user is None:
        return False
    return user.id == actor.user_id or (
        actor.role is Role.MUNICIPAL_CONTACT
        and user.municipality_code == actor.municipality_code
        and participant.role == ParticipantRole.HOST.value
    )


def event_leads(db: Session, actor: Actor, event_id: uuid.UUID) -> list[EventLeadView]:
    need_to_know = leads_with_need_to_know(actor)
    rows = db.execute(
        select(Lead.id, Lead.code_name, Lead.title, Organization.name, need_to_know)
        .join(EventLead, EventLead.lead_id == Lead.id)
        .outerjoin(Organization, Organization.id == Lead.organization_id)
        .where(EventLead.event_id == event_id, leads_visible_to(actor))
        .order_by(Lead.code_name, Lead.id)
    )
    return [
        EventLeadView(lead_id, code, title if ntk else code, org if ntk else None, bool(ntk))
        for lead_id, code, title, org, ntk in rows
    ]


def _follow_ups(db: Session, actor: Actor, event_id: uuid.UUID) -> list[Activity]:
    return list(
        db.scalars(
            select(Activity)
            .where(
                Activity.origin_type == EVENT_ORIGIN,
                Activity.origin_id == str(event_id),
                Activity.kind == ActivityKind.TASK.value,
                activities_visible_to(actor),
            )
            .order_by(Activity.due_on.asc().nulls_last(), Activity.id)
        )
    )


def event_view(db: Session, actor: Actor, event_id: uuid.UUID) -> EventView:
    event = get_event(db, actor, event_id)
    hosts = host_codes(db, event.id)
    participants, hidden = _participants(db, actor, event, hosts)
    sites = list(
        db.scalars(
            select(Site)
            .join(EventSite, EventSite.site_id == Site.id)
            .where(EventSite.event_id == event.id, sites_visible_to(actor))
            .order_by(Site.name_fi, Site.id)
        )
    )
    current = EventStatus(event.status)
    return EventView(
        event=event,
        host_codes=hosts,
        invited_by=db.get(User, event.invited_by_id) if event.invited_by_id else None,
        itinerary=_itinerary(db, actor, event, hosts),
        participants=participants,
        hidden_guests=hidden,
        leads=event_leads(db, actor, event.id),
        sites=sites,
        follow_ups=_follow_ups(db, actor, event.id),
        can_edit=actor.sees_everything,
        my_host_code=actor.municipality_code if is_host(actor, hosts) else None,
        allowed_statuses=sorted(s.value for s in TRANSITIONS[current]),
    )


# ---------------------------------------------------------------- writing events


def _municipality_codes(db: Session) -> set[str]:
    return set(db.scalars(select(Municipality.code)))


def _check_links(
    db: Session,
    actor: Actor,
    lead_ids: list[uuid.UUID] | None,
    site_ids: list[uuid.UUID] | None,
    errors: list[FieldError],
) -> None:
    if lead_ids:
        found = set(
            db.scalars(select(Lead.id).where(Lead.id.in_(lead_ids), leads_with_need_to_know(actor)))
        )
        if missing := [str(i) for i in lead_ids if i not in found]:
            errors.append(
                FieldError("lead_ids", f"Unknown lead(s): {', '.join(missing)}.", "unknown")
            )
    if site_ids:
        found = set(
            db.scalars(select(Site.id).where(Site.id.in_(site_ids), sites_visible_to(actor)))
        )
        if missing := [str(i) for i in site_ids if i not in found]:
            errors.append(
                FieldError("site_ids", f"Unknown site(s): {', '.join(missing)}.", "unknown")
            )


def _replace_links(
    db: Session,
    event: Event,
    hosts: list[str] | None,
    lead_ids: list[uuid.UUID] | None,
    site_ids: list[uuid.UUID] | None,
) -> None:
    if hosts is not None:
        db.execute(delete(EventHost).where(EventHost.event_id == event.id))
        db.add_all(EventHost(event_id=event.id, municipality_code=c) for c in hosts)
    if lead_ids is not None:
        db.execute(delete(EventLead).where(EventLead.event_id == event.id))
        db.add_all(EventLead(event_id=event.id, lead_id=i) for i in dict.fromkeys(lead_ids))
    if site_ids is not None:
        db.execute(delete(EventSite).where(EventSite.event_id == event.id))
        db.add_all(EventSite(event_id=event.id, site_id=i) for i in dict.fromkeys(site_ids))


def create_event(
    db: Session,
    actor: Actor,
    values: dict[str, Any],
    *,
    lead_ids: list[uuid.UUID] | None = None,
    site_ids: list[uuid.UUID] | None = None,
) -> Event:
    """The council invites: only the coordinator plans events."""
    require_staff_wide(actor)
    errors: list[FieldError] = []
    try:
        cleaned = clean_event_fields(
            values, creating=True, municipality_codes=_municipality_codes(db)
        )
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    _check_links(db, actor, lead_ids, site_ids, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The event is not valid.")
    hosts = cleaned.pop("host_municipality_codes")
    bind_actor(db, actor)
    event = Event(
        **cleaned, status=EventStatus.PLANNED.value, invited_by_id=actor.user_id, sequence=0
    )
    db.add(event)
    db.flush()
    _replace_links(db, event, hosts, lead_ids or [], site_ids or [])
    db.commit()
    return event


def update_event(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    values: dict[str, Any],
    *,
    lead_ids: list[uuid.UUID] | None = None,
    site_ids: list[uuid.UUID] | None = None,
) -> Event:
    require_staff_wide(actor)
    event = get_event(db, actor, event_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_event_fields(
            values,
            creating=False,
            municipality_codes=_municipality_codes(db),
            current={"starts_at": event.starts_at, "ends_at": event.ends_at},
        )
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    _check_links(db, actor, lead_ids, site_ids, errors)
    hosts = cleaned.pop("host_municipality_codes", None)
    if hosts is not None:
        errors += _orphaned_items(db, event.id, hosts)
    if errors:
        raise ValidationFailed(errors=errors, detail="The event is not valid.")
    changed = [n for n, v in cleaned.items() if getattr(event, n) != v]
    bind_actor(db, actor)
    for name in changed:
        setattr(event, name, cleaned[name])
    event.sequence += sequence_bump(changed)
    _replace_links(db, event, hosts, lead_ids, site_ids)
    db.commit()
    return event


def _orphaned_items(db: Session, event_id: uuid.UUID, hosts: list[str]) -> list[FieldError]:
    """A host with itinerary items cannot be dropped before its items are."""
    orphaned = sorted(
        code
        for code in set(
            db.scalars(
                select(EventItineraryItem.host_municipality_code).where(
                    EventItineraryItem.event_id == event_id,
                    EventItineraryItem.host_municipality_code.not_in(hosts),
                )
            )
        )
        if code is not None
    )
    if not orphaned:
        return []
    return [
        FieldError(
            "host_municipality_codes",
            f"These hosts still have itinerary items: {', '.join(orphaned)}.",
            "has_itinerary",
        )
    ]


def change_status(
    db: Session, actor: Actor, settings: Settings, event_id: uuid.UUID, status: str
) -> Event:
    """Move an event along planned → invited → confirmed → held (or cancelled).

    Held: a meeting entry lands on each lead's timeline. Cancelled: every invited
    participant gets a cancellation their calendar understands."""
    require_staff_wide(actor)
    event = get_event(db, actor, event_id)
    now = utcnow()
    check_transition(event.status, status, starts_at=event.starts_at, now=now)
    bind_actor(db, actor)
    before = _ics_status_changes(event.status, status)
    event.status = status
    if before:
        event.sequence += 1
    if status == EventStatus.HELD.value:
        _log_visit_on_leads(db, actor, event)
    if status == EventStatus.CANCELLED.value:
        _send_to_invited(db, actor, settings, event, method="CANCEL")
    db.commit()
    return event


def _ics_status_changes(old: str, new: str) -> bool:
    tentative = {EventStatus.PLANNED.value, EventStatus.INVITED.value}
    confirmed = {EventStatus.CONFIRMED.value, EventStatus.HELD.value}
    return not ({old, new} <= tentative or {old, new} <= confirmed)


def _log_visit_on_leads(db: Session, actor: Actor, event: Event) -> None:
    for lead_id in db.scalars(select(EventLead.lead_id).where(EventLead.event_id == event.id)):
        activities.add_activity(
            db,
            actor,
            Subject(lead_id=lead_id),
            {
                "kind": ActivityKind.MEETING.value,
                "subject": event.title,
                "body": event.outcome_notes,
                "occurred_at": event.starts_at,
                "origin_type": EVENT_ORIGIN,
                "origin_id": str(event.id),
            },
            commit=False,
        )


def record_outcome(db: Session, actor: Actor, event_id: uuid.UUID, notes: str | None) -> Event:
    """What came out of the event; the coordinator writes it, hosts read it."""
    require_staff_wide(actor)
    event = get_event(db, actor, event_id)
    cleaned = clean_event_fields({"outcome_notes": notes}, creating=False, municipality_codes=())
    bind_actor(db, actor)
    event.outcome_notes = cleaned["outcome_notes"]
    db.commit()
    return event


def add_follow_up(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    lead_id: uuid.UUID,
    values: dict[str, Any],
    *,
    assignee_id: uuid.UUID | None = None,
) -> Activity:
    """A task agreed at the event, on one of its leads: it shows on the lead's timeline."""
    event = get_event(db, actor, event_id)
    if not (actor.sees_everything or is_host(actor, host_codes(db, event.id))):
        raise PermissionDenied("Only the coordinator and the hosts record follow-ups.")
    if db.get(EventLead, (event.id, lead_id)) is None:
        raise ValidationFailed.single("lead_id", "The lead is not one of the event's.", "unknown")
    return activities.add_activity(
        db,
        actor,
        Subject(lead_id=lead_id),
        {
            **values,
            "kind": ActivityKind.TASK.value,
            "origin_type": EVENT_ORIGIN,
            "origin_id": str(event.id),
        },
        assignee_id=assignee_id,
    )


def follow_ups(db: Session, actor: Actor, event_id: uuid.UUID) -> list[Activity]:
    event = get_event(db, actor, event_id)
    return _follow_ups(db, actor, event.id)


# ---------------------------------------------------------------- itinerary


def _item_values(event: Event, hosts: list[str]) -> dict[str, Any]:
    return {"event_starts_at": event.starts_at, "event_ends_at": event.ends_at, "host_codes": hosts}


def add_itinerary_item(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    values: dict[str, Any],
    *,
    site_id: uuid.UUID | None = None,
) -> EventItineraryItem:
    """The coordinator adds any stop; a host municipality adds its own."""
    event = get_event(db, actor, event_id)
    hosts = host_codes(db, event.id)
    if not actor.sees_everything:
        if not is_host(actor, hosts):
            raise PermissionDenied("Only the coordinator and the hosts edit the itinerary.")
        values = {**values, "host_municipality_code": actor.municipality_code}
    errors: list[FieldError] = []
    try:
        cleaned = clean_itinerary_fields(values, creating=True, **_item_values(event, hosts))
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    _check_site(db, actor, site_id, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The itinerary item is not valid.")
    bind_actor(db, actor)
    item = EventItineraryItem(event_id=event.id, site_id=site_id, **cleaned)
    db.add(item)
    event.sequence += 1
    db.commit()
    return item


def _check_site(
    db: Session, actor: Actor, site_id: uuid.UUID | None, errors: list[FieldError]
) -> None:
    if site_id and not db.scalar(
        select(Site.id).where(Site.id == site_id, sites_visible_to(actor))
    ):
        errors.append(FieldError("site_id", "No such site.", "unknown"))


def _editable_item(
    db: Session, actor: Actor, event_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[Event, EventItineraryItem, list[str]]:
    event = get_event(db, actor, event_id)
    item = db.get(EventItineraryItem, item_id)
    if item is None or item.event_id != event.id:
        raise NotFound("No such itinerary item.")
    hosts = host_codes(db, event.id)
    if not _may_edit_item(actor, item.host_municipality_code):
        raise PermissionDenied("Only the coordinator and the stop's host edit this stop.")
    return event, item, hosts


def update_itinerary_item(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    item_id: uuid.UUID,
    values: dict[str, Any],
    *,
    site_id: uuid.UUID | None = None,
    clear_site: bool = False,
) -> EventItineraryItem:
    event, item, hosts = _editable_item(db, actor, event_id, item_id)
    if not actor.sees_everything:
        # A host cannot hand its stop to another municipality.
        values = {k: v for k, v in values.items() if k != "host_municipality_code"}
    errors: list[FieldError] = []
    try:
        cleaned = clean_itinerary_fields(
            values,
            creating=False,
            current={"starts_at": item.starts_at, "ends_at": item.ends_at},
            **_item_values(event, hosts),
        )
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    _check_site(db, actor, site_id, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The itinerary item is not valid.")
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(item, name, value)
    if site_id or clear_site:
        item.site_id = site_id
    event.sequence += 1
    db.commit()
    return item


def delete_itinerary_item(
    db: Session, actor: Actor, event_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    event, item, _ = _editable_item(db, actor, event_id, item_id)
    bind_actor(db, actor)
    db.delete(item)
    event.sequence += 1
    db.commit()


def itinerary(db: Session, actor: Actor, event_id: uuid.UUID) -> list[ItineraryView]:
    event = get_event(db, actor, event_id)
    return _itinerary(db, actor, event, host_codes(db, event.id))


# ---------------------------------------------------------------- participants


def participants(db: Session, actor: Actor, event_id: uuid.UUID) -> list[ParticipantView]:
    event = get_event(db, actor, event_id)
    shown, _ = _participants(db, actor, event, host_codes(db, event.id))
    return shown


def add_participant(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    *,
    contact_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    role: str = ParticipantRole.GUEST.value,
) -> EventParticipant:
    """The coordinator invites guests and staff; a host names its own hosts (users of
    its municipality)."""
    event = get_event(db, actor, event_id)
    hosts = host_codes(db, event.id)
    one_person(contact_id is not None, user_id is not None)
    errors: list[FieldError] = []
    if role not in {r.value for r in ParticipantRole}:
        errors.append(FieldError("role", "Choose guest, host or organiser.", "invalid_choice"))
    if not actor.sees_everything:
        if not is_host(actor, hosts):
            raise PermissionDenied("Only the coordinator and the hosts add participants.")
        if contact_id is not None or role != ParticipantRole.HOST.value:
            raise PermissionDenied("A host municipality adds only its own hosts.")
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        if contact is None or contact.erased_at is not None:
            errors.append(FieldError("contact_id", "No such contact.", "unknown"))
    if user_id is not None:
        user = db.get(User, user_id)
        if user is None or not user.is_active:
            errors.append(FieldError("user_id", "Choose an active user.", "unknown"))
        elif not actor.sees_everything and user.municipality_code != actor.municipality_code:
            errors.append(
                FieldError("user_id", "Choose a user of your own municipality.", "not_own")
            )
    duplicate = select(EventParticipant.id).where(EventParticipant.event_id == event.id)
    if contact_id and db.scalar(duplicate.where(EventParticipant.contact_id == contact_id)):
        errors.append(FieldError("contact_id", "Already a participant.", "duplicate"))
    if user_id and db.scalar(duplicate.where(EventParticipant.user_id == user_id)):
        errors.append(FieldError("user_id", "Already a participant.", "duplicate"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The participant is not valid.")
    bind_actor(db, actor)
    participant = EventParticipant(
        event_id=event.id, contact_id=contact_id, user_id=user_id, role=role
    )
    db.add(participant)
    db.commit()
    return participant


def _editable_participant(
    db: Session, actor: Actor, event_id: uuid.UUID, participant_id: uuid.UUID
) -> tuple[Event, EventParticipant]:
    event = get_event(db, actor, event_id)
    participant = db.get(EventParticipant, participant_id)
    if participant is None or participant.event_id != event.id:
        raise NotFound("No such participant.")
    user = db.get(User, participant.user_id) if participant.user_id else None
    if participant.contact_id and not sees_guests(actor, host_codes(db, event.id)):
        raise NotFound("No such participant.")
    if not _may_edit_participant(actor, participant, user):
        raise PermissionDenied("You may not change this participant.")
    return event, participant


def answer(
    db: Session,
    actor: Actor,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    *,
    rsvp: str | None = None,
    role: str | None = None,
) -> EventParticipant:
    """Record a participant's answer (RSVP) or change their role."""
    _, participant = _editable_participant(db, actor, event_id, participant_id)
    errors: list[FieldError] = []
    if rsvp is not None and rsvp not in {r.value for r in Rsvp}:
        errors.append(
            FieldError("rsvp", "Choose pending, accepted, tentative or declined.", "invalid_choice")
        )
    if role is not None:
        if role not in {r.value for r in ParticipantRole}:
            errors.append(FieldError("role", "Choose guest, host or organiser.", "invalid_choice"))
        elif not actor.sees_everything:
            errors.append(FieldError("role", "Only the coordinator changes roles.", "not_allowed"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The answer is not valid.")
    bind_actor(db, actor)
    if rsvp is not None and rsvp != participant.rsvp:
        participant.rsvp = rsvp
        participant.rsvp_at = utcnow()
    if role is not None:
        participant.role = role
    db.commit()
    return participant


def remove_participant(
    db: Session, actor: Actor, event_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    _, participant = _editable_participant(db, actor, event_id, participant_id)
    bind_actor(db, actor)
    db.delete(participant)
    db.commit()


# ---------------------------------------------------------------- invitations and iCalendar


@dataclass(frozen=True)
class InvitationResult:
    sent: int
    without_email: list[str]


def _recipients(db: Session, event: Event) -> list[tuple[EventParticipant, str, str | None, str]]:
    """(participant, name, e-mail, language) of everyone on the event."""
    rows = db.execute(
        select(EventParticipant, Contact, User)
        .outerjoin(Contact, Contact.id == EventParticipant.contact_id)
        .outerjoin(User, User.id == EventParticipant.user_id)
        .where(EventParticipant.event_id == event.id)
        .order_by(EventParticipant.created_at, EventParticipant.id)
    ).all()
    found = []
    for participant, contact, user in rows:
        if contact is not None:
            email = contact.email if contact.erased_at is None else None
            found.append((participant, contact.full_name, email, contact.language or "en"))
        else:
            found.append((participant, user.full_name, user.email, user.language))
    return found


def invite(db: Session, actor: Actor, settings: Settings, event_id: uuid.UUID) -> InvitationResult:
    """E-mail an invitation with an .ics to everyone not yet invited, and an update to
    those whose invitation predates the latest change. A planned event becomes invited."""
    require_staff_wide(actor)
    event = get_event(db, actor, event_id)
    if event.status in (EventStatus.HELD.value, EventStatus.CANCELLED.value):
        raise Conflict("A held or cancelled event sends no invitations.")
    recipients = _recipients(db, event)
    if not recipients:
        raise ValidationFailed.single(
            "participants", "Add participants before inviting.", "no_participants"
        )
    bind_actor(db, actor)
    if event.status == EventStatus.PLANNED.value:
        event.status = EventStatus.INVITED.value
    db.flush()
    sent = _send(db, actor, settings, event, recipients, method="REQUEST", only_due=True)
    db.commit()
    return InvitationResult(
        sent=sent, without_email=[name for _, name, email, _ in recipients if not email]
    )


def _send_to_invited(
    db: Session, actor: Actor, settings: Settings, event: Event, *, method: str
) -> int:
    invited = [r for r in _recipients(db, event) if r[0].invitation == Invitation.SENT.value]
    return _send(db, actor, settings, event, invited, method=method, only_due=False)


def _send(
    db: Session,
    actor: Actor,
    settings: Settings,
    event: Event,
    recipients: list[tuple[EventParticipant, str, str | None, str]],
    *,
    method: str,
    only_due: bool,
) -> int:
    sent = 0
    now = utcnow()
    organizer = db.get(User, event.invited_by_id) if event.invited_by_id else None
    for participant, name, email, lang in recipients:
        if not email:
            continue
        if only_due and participant.invited_sequence == event.sequence:
            continue
        entry = _ics_entry(
            db, event, settings, organizer, attendees=[IcsAttendee(email, name, participant.rsvp)]
        )
        data = build_calendar([entry], now=now, producer=_producer(db), method=method)
        update = participant.invited_sequence is not None
        subject_key = (
            N_("Cancelled: %(title)s")
            if method == "CANCEL"
            else N_("Updated invitation: %(title)s")
            if update
            else N_("Invitation: %(title)s")
        )
        queue_email(
            db,
            to=[email],
            subject=translate(lang, subject_key, title=event.title),
            body_text=_invitation_text(
                event,
                lang,
                name,
                method,
                region_service.current_region(db).council_name(lang),
            ),
            attachments=[Attachment("invite.ics", f"text/calendar; method={method}", data)],
            reference=f"event:{event.id}:{participant.id}:{event.sequence}",
            created_by_id=actor.user_id,
        )
        participant.invitation = Invitation.SENT.value
        participant.invited_at = now
        participant.invited_sequence = event.sequence
        sent += 1
    return sent


def _local(moment: datetime, lang: str) -> str:
    return format_datetime(moment, format="medium", locale=babel_locale(lang), tzinfo=HELSINKI)


def _producer(db: Session) -> str:
    region = region_service.current_region(db)
    return product_id(region.council_name("en"), region.portal_name("en"))


def _invitation_text(event: Event, lang: str, name: str, method: str, council: str) -> str:
    lines = [
        translate(lang, "Dear %(name)s,", name=name),
        "",
        translate(lang, "The event has been cancelled.")
        if method == "CANCEL"
        else translate(lang, "%(council)s invites you to this event.", council=council),
        "",
        event.title,
        f"{_local(event.starts_at, lang)} – {_local(event.ends_at, lang)}",
    ]
    if event.location:
        lines.append(event.location)
    lines += ["", translate(lang, "The calendar entry is attached (invite.ics).")]
    return "\n".join(lines)


def _description(db: Session, event: Event) -> str:
    parts = [event.description or ""]
    items = list(
        db.scalars(
            select(EventItineraryItem)
            .where(EventItineraryItem.event_id == event.id)
            .order_by(EventItineraryItem.starts_at, EventItineraryItem.id)
        )
    )
    if items:
        parts.append("Itinerary:")
        for item in items:
            start = item.starts_at.astimezone(HELSINKI).strftime("%d.%m. %H:%M")
            end = f"–{item.ends_at.astimezone(HELSINKI).strftime('%H:%M')}" if item.ends_at else ""
            text = " – ".join(t for t in (item.place, item.description, item.hosts) if t)
            parts.append(f"{start}{end} {text}".strip())
    return "\n".join(p for p in parts if p)


def _ics_entry(
    db: Session,
    event: Event,
    settings: Settings,
    organizer: User | None,
    *,
    attendees: list[IcsAttendee],
) -> IcsEvent:
    return IcsEvent(
        id=str(event.id),
        sequence=event.sequence,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
        updated_at=event.updated_at,
        description=_description(db, event),
        location=event.location,
        url=f"{settings.base_url}/events/{event.id}",
        organizer_email=organizer.email if organizer else None,
        organizer_name=organizer.full_name if organizer else None,
        attendees=attendees,
    )


def event_ics(db: Session, actor: Actor, settings: Settings, event_id: uuid.UUID) -> bytes:
    event = get_event(db, actor, event_id)
    hosts = host_codes(db, event.id)
    organizer = db.get(User, event.invited_by_id) if event.invited_by_id else None
    attendees = [
        IcsAttendee(email, name, participant.rsvp)
        for participant, name, email, _ in _recipients(db, event)
        if email and (participant.user_id or sees_guests(actor, hosts))
    ]
    entry = _ics_entry(db, event, settings, organizer, attendees=attendees)
    return build_calendar([entry], now=utcnow(), producer=_producer(db))


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/api/v1/calendar/{token}.ics"


def issue_feed_token(db: Session, actor: Actor, settings: Settings) -> str:
    """A new secret feed URL, shown once; any earlier URL of the user stops working."""
    if actor.user_id is None:
        raise PermissionDenied("Only a person has a calendar feed.")
    token = secrets.token_urlsafe(32)
    row = db.get(CalendarFeedToken, actor.user_id)
    if row is None:
        row = CalendarFeedToken(user_id=actor.user_id, token_hash=token_digest(token))
        db.add(row)
    else:
        row.token_hash = token_digest(token)
        row.created_at = utcnow()
        row.last_used_at = None
    db.commit()
    return feed_url(settings, token)


def feed_token_info(db: Session, actor: Actor) -> CalendarFeedToken | None:
    if actor.user_id is None:
        return None
    return db.get(CalendarFeedToken, actor.user_id)


def revoke_feed_token(db: Session, actor: Actor) -> None:
    row = feed_token_info(db, actor)
    if row is None:
        raise NotFound("You have no calendar feed.")
    db.delete(row)
    db.commit()


def _feed_events(actor: Actor) -> ColumnElement[bool]:
    """The coordinator's feed holds every event; others' the events they host or attend."""
    if actor.sees_everything:
        return events_visible_to(actor)
    attends = exists(
        select(EventParticipant.id).where(
            EventParticipant.event_id == Event.id, EventParticipant.user_id == actor.user_id
        )
    )
    return and_(events_visible_to(actor), or_(event_hosted_by(actor), attends))


def feed_ics(db: Session, settings: Settings, token: str) -> bytes:
    row = db.scalar(
        select(CalendarFeedToken).where(CalendarFeedToken.token_hash == token_digest(token))
    )
    user = db.get(User, row.user_id) if row else None
    if row is None or user is None or not user.is_active:
        raise NotFound("No such calendar.")
    actor = actor_for(user)
    now = utcnow()
    events = list(
        db.scalars(
            select(Event)
            .where(_feed_events(actor), Event.ends_at >= now - FEED_HISTORY)
            .order_by(Event.starts_at, Event.id)
        )
    )
    organizers = {
        u.id: u
        for u in db.scalars(select(User).where(User.id.in_({e.invited_by_id for e in events})))
    }
    entries = [
        _ics_entry(
            db,
            e,
            settings,
            organizers.get(e.invited_by_id) if e.invited_by_id else None,
            attendees=[],
        )
        for e in events
    ]
    if row.last_used_at is None or row.last_used_at < now - FEED_TOUCH_INTERVAL:
        row.last_used_at = now
    db.commit()
    calendar_name = region_service.current_region(db).portal_name(user.language)
    return build_calendar(entries, now=now, producer=_producer(db), name=calendar_name)


def _check_event_access(db: Session, actor: Actor, entity_id: str) -> None:
    get_event(db, actor, parse_uuid(entity_id))


register_access_check("events", _check_event_access)


# ---------------------------------------------------------------- counts for reports


@dataclass(frozen=True)
class MunicipalityCount:
    municipality_code: str
    visits: int


@dataclass(frozen=True)
class QuarterCount:
    year: int
    quarter: int
    visits: int


@dataclass(frozen=True)
class LandingRow:
    had_visit: bool
    leads: int
    landed: int
    landing_percent: Decimal | None


@dataclass(frozen=True)
class VisitReport:
    year: int
    by_municipality: list[MunicipalityCount]
    by_quarter: list[QuarterCount]
    landing: list[LandingRow]


def _held_visits(actor: Actor) -> ColumnElement[bool]:
    return and_(
        Event.status == EventStatus.HELD.value,
        Event.kind.in_([k.value for k in VISIT_KINDS]),
        events_in_reports(actor),
    )


def visits_by_municipality(
    db: Session, actor: Actor, start: datetime, end: datetime
) -> list[MunicipalityCount]:
    """Held visits per host municipality that started in [start, end); a visit with two
    hosts counts for both."""
    rows = db.execute(
        select(EventHost.municipality_code, func.count())
        .join(Event, Event.id == EventHost.event_id)
        .where(_held_visits(actor), Event.starts_at >= start, Event.starts_at < end)
        .group_by(EventHost.municipality_code)
    )
    return sorted(
        (MunicipalityCount(code, n) for code, n in rows),
        key=lambda r: (-r.visits, r.municipality_code),
    )


def visit_report(db: Session, actor: Actor, year: int) -> VisitReport:
    """Visits per municipality and per quarter of a year, and how often leads that had
    a visit landed compared with those that had none."""
    require_report_reader(actor)
    start, end = start_of_day_utc(date(year, 1, 1)), end_of_day_utc(date(year, 12, 31))
    quarters = [
        (
            q,
            start_of_day_utc(date(year, 3 * q - 2, 1)),
            end_of_day_utc(date(year, 12, 31))
            if q == 4
            else start_of_day_utc(date(year, 3 * q + 1, 1)),
        )
        for q in range(1, 5)
    ]
    quarter = case(
        *((and_(Event.starts_at >= s, Event.starts_at < e), literal(q)) for q, s, e in quarters),
        else_=None,
    )
    per_quarter: dict[int, int] = dict(
        db.execute(
            select(quarter, func.count())
            .where(_held_visits(actor), quarter.is_not(None))
            .group_by(quarter)
        ).all()
    )
    visited = exists(
        select(EventLead.lead_id)
        .join(Event, Event.id == EventLead.event_id)
        .where(EventLead.lead_id == Lead.id, _held_visits(actor))
    )
    landed = case((Stage.kind == StageKind.WON.value, 1), else_=0)
    grouped = {
        bool(had): (n, int(won or 0))
        for had, n, won in db.execute(
            select(visited.label("had"), func.count(), func.sum(landed))
            .select_from(Lead)
            .join(Stage, Stage.code == Lead.stage_code)
            .where(leads_in_reports(actor))
            .group_by(visited)
        )
    }
    return VisitReport(
        year=year,
        by_municipality=visits_by_municipality(db, actor, start, end),
        by_quarter=[QuarterCount(year, q, per_quarter.get(q, 0)) for q, _, _ in quarters],
        landing=[_landing_row(had, *grouped.get(had, (0, 0))) for had in (True, False)],
    )


def _landing_row(had_visit: bool, leads: int, landed: int) -> LandingRow:
    return LandingRow(had_visit, leads, landed, percent(landed, leads))


register_field_errors(
    {
        ("has_itinerary", "host_municipality_codes"): N_(
            "A municipality that still hosts itinerary items cannot be removed; move the items "
            "first."
        ),
        ("no_participants", "participants"): N_("Add participants before sending invitations."),
        ("not_own", "user_id"): N_("Choose a user of your own municipality."),
        ("one_person", "contact_id"): N_("Give either a contact or a user."),
        ("not_allowed", "role"): N_("Only the coordinator changes roles."),
    }
)


def contact_choices(db: Session, *, limit: int = 500) -> list[Contact]:
    """Contacts (not erased) an event's editor can add as participants, by name."""
    return list(
        db.scalars(
            select(Contact)
            .where(Contact.erased_at.is_(None))
            .order_by(Contact.full_name)
            .limit(limit)
        )
    )


def staff_choices(db: Session, actor: Actor) -> list[User]:
    """Active staff an event can be hosted by: everyone for region-wide staff, else the
    actor's own municipality."""
    query = select(User).where(User.is_active).order_by(User.full_name)
    if not actor.sees_everything:
        query = query.where(User.municipality_code == actor.municipality_code)
    return list(db.scalars(query))
