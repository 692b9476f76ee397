"""Rules of visitor-concept events: kinds, the status flow, times, and iCalendar output."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as IcalEvent

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import parse_datetime
from app.domain.leads import ParseErrors

HELSINKI = ZoneInfo("Europe/Helsinki")
# Part of every event's UID since the first release: calendars that subscribed match
# updates to their entries by it, so it stays as it is whichever region runs the service.
UID_DOMAIN = "invest-kainuu"


class EventKind(StrEnum):
    INVESTOR_VISIT = "investor_visit"
    DELEGATION = "delegation"
    FAMILIARISATION_TRIP = "familiarisation_trip"
    FAIR_MEETING = "fair_meeting"
    INVESTMENT_FORUM = "investment_forum"
    OTHER = "other"


# The kinds the reports count as visits to the region.
VISIT_KINDS = frozenset(
    {EventKind.INVESTOR_VISIT, EventKind.DELEGATION, EventKind.FAMILIARISATION_TRIP}
)


class EventStatus(StrEnum):
    PLANNED = "planned"
    INVITED = "invited"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.PLANNED: frozenset(
        {EventStatus.INVITED, EventStatus.CONFIRMED, EventStatus.CANCELLED}
    ),
    EventStatus.INVITED: frozenset({EventStatus.CONFIRMED, EventStatus.CANCELLED}),
    EventStatus.CONFIRMED: frozenset({EventStatus.HELD, EventStatus.CANCELLED}),
    # A cancelled event can be planned again; a held one is history.
    EventStatus.CANCELLED: frozenset({EventStatus.PLANNED}),
    EventStatus.HELD: frozenset(),
}


class ParticipantRole(StrEnum):
    GUEST = "guest"
    HOST = "host"
    ORGANISER = "organiser"


class Invitation(StrEnum):
    NOT_SENT = "not_sent"
    SENT = "sent"


class Rsvp(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


# Fields a calendar shows: changing any of them raises the iCalendar SEQUENCE.
SEQUENCED_FIELDS = frozenset({"title", "description", "location", "starts_at", "ends_at"})


def check_transition(current: str, target: str, *, starts_at: datetime, now: datetime) -> None:
    parse = ParseErrors()
    if target not in {s.value for s in EventStatus}:
        parse.add("status", f"Choose one of: {', '.join(s.value for s in EventStatus)}.", "invalid")
    elif EventStatus(target) not in TRANSITIONS[EventStatus(current)]:
        parse.add("status", f"An event cannot go from {current} to {target}.", "not_allowed")
    elif target == EventStatus.HELD and starts_at > now:
        parse.add("status", "An event is held only once it has started.", "not_started")
    parse.raise_if_any("The status change is not allowed.")


def _moment(parse: ParseErrors, values: Mapping[str, object], name: str) -> datetime | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = parse_datetime(raw.strip())
        except ValueError:
            parse.add(name, "Give a date and time.", "invalid_datetime")
            return None
    if not isinstance(raw, datetime):
        parse.add(name, "Give a date and time.", "invalid_datetime")
        return None
    if raw.tzinfo is None:
        parse.add(name, "Give the time with its time zone.", "naive_datetime")
        return None
    return raw.astimezone(UTC)


def clean_event_fields(
    values: Mapping[str, object],
    *,
    creating: bool,
    municipality_codes: Collection[str],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check an event's fields (all errors at once); `current` holds the stored times
    when editing, so the order is checked on what will be saved."""
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("kind"):
        out["kind"] = parse.choice(values, "kind", [k.value for k in EventKind], required=True)
    if present("title"):
        out["title"] = parse.text(values, "title", 200, required=True)
    if present("description"):
        out["description"] = parse.text(values, "description", 20_000)
    if present("location"):
        out["location"] = parse.text(values, "location", 300)
    if present("outcome_notes"):
        out["outcome_notes"] = parse.text(values, "outcome_notes", 50_000)
    if present("confidential"):
        flag = parse.flag(values, "confidential")
        out["confidential"] = True if flag is None else flag
    for name in ("starts_at", "ends_at"):
        if present(name):
            out[name] = _moment(parse, values, name)
            failed = name in {e.field for e in parse.errors}
            if out[name] is None and not failed:
                parse.add(name, "Give a date and time.", "required")
    if present("host_municipality_codes"):
        out["host_municipality_codes"] = parse.codes(
            values, "host_municipality_codes", municipality_codes
        )
    merged = {**(current or {}), **out}
    starts, ends = merged.get("starts_at"), merged.get("ends_at")
    if starts and ends and ends < starts:
        parse.add("ends_at", "The event cannot end before it starts.", "before_start")
    parse.raise_if_any("The event is not valid.")
    return out


def clean_itinerary_fields(
    values: Mapping[str, object],
    *,
    creating: bool,
    event_starts_at: datetime,
    event_ends_at: datetime,
    host_codes: Collection[str],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An itinerary stop lies within the event and is hosted by one of its hosts."""
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("starts_at"):
        out["starts_at"] = _moment(parse, values, "starts_at")
        if out["starts_at"] is None and "starts_at" not in {e.field for e in parse.errors}:
            parse.add("starts_at", "Give a date and time.", "required")
    if present("ends_at"):
        out["ends_at"] = _moment(parse, values, "ends_at")
    for name, limit in (("place", 300), ("hosts", 300), ("description", 20_000)):
        if present(name):
            out[name] = parse.text(values, name, limit)
    if present("host_municipality_code"):
        out["host_municipality_code"] = parse.choice(values, "host_municipality_code", host_codes)
    merged = {**(current or {}), **out}
    starts, ends = merged.get("starts_at"), merged.get("ends_at")
    if starts and not event_starts_at <= starts <= event_ends_at:
        parse.add("starts_at", "The stop must fall within the event.", "outside_event")
    if starts and ends and ends < starts:
        parse.add("ends_at", "The stop cannot end before it starts.", "before_start")
    if ends and ends > event_ends_at:
        parse.add("ends_at", "The stop must fall within the event.", "outside_event")
    parse.raise_if_any("The itinerary item is not valid.")
    return out


def sequence_bump(changed: Collection[str]) -> int:
    """How much a change raises the SEQUENCE: one when a calendar would show it."""
    return 1 if SEQUENCED_FIELDS & set(changed) else 0


def quarter_of(moment: datetime) -> tuple[int, int]:
    """The Finnish calendar quarter of a moment, as (year, quarter)."""
    local = moment.astimezone(HELSINKI)
    return local.year, (local.month - 1) // 3 + 1


def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def one_person(contact_given: bool, user_given: bool) -> None:
    if contact_given == user_given:
        raise ValidationFailed(
            errors=[FieldError("contact_id", "Give either a contact or a user.", "one_person")],
            detail="The participant is not valid.",
        )


# ---------------------------------------------------------------- iCalendar

_ICS_STATUS = {
    EventStatus.PLANNED: "TENTATIVE",
    EventStatus.INVITED: "TENTATIVE",
    EventStatus.CONFIRMED: "CONFIRMED",
    EventStatus.HELD: "CONFIRMED",
    EventStatus.CANCELLED: "CANCELLED",
}
_PARTSTAT = {
    Rsvp.PENDING: "NEEDS-ACTION",
    Rsvp.ACCEPTED: "ACCEPTED",
    Rsvp.TENTATIVE: "TENTATIVE",
    Rsvp.DECLINED: "DECLINED",
}


@dataclass(frozen=True)
class IcsAttendee:
    email: str
    name: str
    rsvp: str


@dataclass(frozen=True)
class IcsEvent:
    """What a calendar entry of an event says; built by the service from one event."""

    id: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    updated_at: datetime
    description: str = ""
    location: str | None = None
    url: str | None = None
    organizer_email: str | None = None
    organizer_name: str | None = None
    attendees: list[IcsAttendee] = field(default_factory=list)


def event_uid(event_id: str) -> str:
    """Stable across every export, so calendars update the entry instead of adding one."""
    return f"event-{event_id}@{UID_DOMAIN}"


def product_id(council: str, portal: str) -> str:
    """The calendar's PRODID (RFC 5545): who made it and with what."""
    return f"-//{council}//{portal}//EN"


def build_calendar(
    entries: list[IcsEvent],
    *,
    now: datetime,
    producer: str,
    method: str | None = None,
    name: str | None = None,
) -> bytes:
    """An RFC 5545 calendar with times in UTC; METHOD is set for e-mailed invitations.
    `producer` is the PRODID (see `product_id`)."""
    calendar = Calendar()
    calendar.add("prodid", producer)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for entry in entries:
        item = IcalEvent()
        item.add("uid", event_uid(entry.id))
        item.add("dtstamp", now.astimezone(UTC))
        item.add("last-modified", entry.updated_at.astimezone(UTC))
        item.add("sequence", entry.sequence)
        item.add("dtstart", entry.starts_at.astimezone(UTC))
        item.add("dtend", entry.ends_at.astimezone(UTC))
        item.add("summary", entry.title)
        item.add("status", _ICS_STATUS[EventStatus(entry.status)])
        if entry.description:
            item.add("description", entry.description)
        if entry.location:
            item.add("location", entry.location)
        if entry.url:
            item.add("url", entry.url)
        if entry.organizer_email:
            organizer = vCalAddress(f"mailto:{entry.organizer_email}")
            if entry.organizer_name:
                organizer.params["cn"] = vText(entry.organizer_name)
            item.add("organizer", organizer)
        for person in entry.attendees:
            attendee = vCalAddress(f"mailto:{person.email}")
            attendee.params["cn"] = vText(person.name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText(_PARTSTAT[Rsvp(person.rsvp)])
            attendee.params["rsvp"] = vText("TRUE")
            item.add("attendee", attendee, encode=False)
        calendar.add_component(item)
    return bytes(calendar.to_ical())
