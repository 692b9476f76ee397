"""Visitor-concept events: itinerary, participants, invitations, iCalendar, follow-ups,
the calendar feed and the visit counts for reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.activities import ActivityOut
from app.api.deps import ApiActor, AppSettings, DbSession
from app.api.openapi import file_responses
from app.api.pagination import Page, PageParamsDep
from app.api.types import MultilineText, SafeDate, SafeDateTime, Text, TextQuery
from app.db.base import utcnow
from app.domain.events import EventKind, EventStatus, ParticipantRole, Rsvp
from app.services import events
from app.services import region as region_service
from app.services.events import EventFilters

router = APIRouter(tags=["events"])

ICS_TYPE = "text/calendar; charset=utf-8"


class EventFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: EventKind | None = None
    title: Text | None = Field(default=None, max_length=200)
    description: MultilineText | None = None
    location: Text | None = Field(default=None, max_length=300)
    starts_at: SafeDateTime | None = Field(default=None, description="With a time zone")
    ends_at: SafeDateTime | None = None
    confidential: bool | None = Field(
        default=None, description="Seen only by the coordinator and the hosts (default true)"
    )
    host_municipality_codes: list[Text] | None = None
    lead_ids: list[uuid.UUID] | None = None
    site_ids: list[uuid.UUID] | None = None


class EventIn(EventFields):
    kind: EventKind
    title: Text = Field(max_length=200)
    starts_at: SafeDateTime
    ends_at: SafeDateTime
    host_municipality_codes: list[Text] = Field(default_factory=list)


class EventOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    description: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    status: str
    confidential: bool
    invited_by_id: uuid.UUID | None
    outcome_notes: str | None
    sequence: int
    host_municipality_codes: list[str]


class ItineraryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: SafeDateTime
    ends_at: SafeDateTime | None = None
    place: Text | None = Field(default=None, max_length=300)
    site_id: uuid.UUID | None = None
    host_municipality_code: Text | None = Field(
        default=None, description="One of the event's hosts; a host municipality gets its own"
    )
    hosts: Text | None = Field(default=None, max_length=300, description="Who receives here")
    description: MultilineText | None = None


class ItineraryChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: SafeDateTime | None = None
    ends_at: SafeDateTime | None = None
    place: Text | None = Field(default=None, max_length=300)
    site_id: uuid.UUID | None = None
    host_municipality_code: Text | None = None
    hosts: Text | None = Field(default=None, max_length=300)
    description: MultilineText | None = None


class ItineraryOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    site_id: uuid.UUID | None
    site_name: str | None
    host_municipality_code: str | None
    hosts: str | None
    description: str | None
    editable: bool


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    role: ParticipantRole = ParticipantRole.GUEST


class ParticipantChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rsvp: Rsvp | None = None
    role: ParticipantRole | None = None


class ParticipantOut(BaseModel):
    id: uuid.UUID
    contact_id: uuid.UUID | None
    user_id: uuid.UUID | None
    name: str
    email: str | None
    organization_name: str | None
    role: str
    invitation: str
    invited_at: datetime | None
    rsvp: str
    rsvp_at: datetime | None


class EventLeadOut(BaseModel):
    id: uuid.UUID
    code_name: str
    title: str
    organization_name: str | None


class EventDetailOut(EventOut):
    itinerary: list[ItineraryOut]
    participants: list[ParticipantOut]
    hidden_guests: int = Field(description="External guests you may not see by name")
    leads: list[EventLeadOut]
    site_ids: list[uuid.UUID]
    follow_ups: list[ActivityOut]
    allowed_statuses: list[str]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: EventStatus


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome_notes: MultilineText | None = None


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_id: uuid.UUID
    subject: Text = Field(max_length=200)
    due_on: SafeDate
    body: MultilineText | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="Default: you")


class InvitationOut(BaseModel):
    sent: int
    without_email: list[str]
    status: str


class FeedTokenOut(BaseModel):
    url: str = Field(description="Shown only now; store it in your calendar app")


class FeedStateOut(BaseModel):
    active: bool
    created_at: datetime | None
    last_used_at: datetime | None


class MunicipalityCountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    municipality_code: str
    visits: int


class QuarterCountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    year: int
    quarter: int
    visits: int


class LandingRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    had_visit: bool
    leads: int
    landed: int
    landing_percent: str | None


class VisitReportOut(BaseModel):
    year: int
    by_municipality: list[MunicipalityCountOut]
    by_quarter: list[QuarterCountOut]
    landing: list[LandingRowOut]


def _event_out(event: Any, hosts: list[str]) -> EventOut:
    return EventOut(
        id=event.id,
        kind=event.kind,
        title=event.title,
        description=event.description,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
        confidential=event.confidential,
        invited_by_id=event.invited_by_id,
        outcome_notes=event.outcome_notes,
        sequence=event.sequence,
        host_municipality_codes=hosts,
    )


def _item_out(view: events.ItineraryView) -> ItineraryOut:
    i = view.item
    return ItineraryOut(
        id=i.id,
        starts_at=i.starts_at,
        ends_at=i.ends_at,
        place=i.place,
        site_id=i.site_id,
        site_name=view.site_name,
        host_municipality_code=i.host_municipality_code,
        hosts=i.hosts,
        description=i.description,
        editable=view.editable,
    )


def _participant_out(view: events.ParticipantView) -> ParticipantOut:
    p = view.participant
    return ParticipantOut(
        id=p.id,
        contact_id=p.contact_id,
        user_id=p.user_id,
        name=view.name,
        email=view.email,
        organization_name=view.organization_name,
        role=p.role,
        invitation=p.invitation,
        invited_at=p.invited_at,
        rsvp=p.rsvp,
        rsvp_at=p.rsvp_at,
    )


def _detail(db: DbSession, actor: ApiActor, event_id: uuid.UUID) -> EventDetailOut:
    view = events.event_view(db, actor, event_id)
    return EventDetailOut(
        **_event_out(view.event, view.host_codes).model_dump(),
        itinerary=[_item_out(i) for i in view.itinerary],
        participants=[_participant_out(p) for p in view.participants],
        hidden_guests=view.hidden_guests,
        leads=[
            EventLeadOut(
                id=lead.lead_id,
                code_name=lead.code_name,
                title=lead.title,
                organization_name=lead.organization_name,
            )
            for lead in view.leads
        ],
        site_ids=[s.id for s in view.sites],
        follow_ups=[ActivityOut.model_validate(a) for a in view.follow_ups],
        allowed_statuses=view.allowed_statuses,
    )


def _values(body: BaseModel, *, creating: bool) -> dict[str, Any]:
    return body.model_dump(exclude_unset=not creating, exclude={"lead_ids", "site_ids"})


@router.get("/events", response_model=Page[EventOut])
def list_events(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    status: EventStatus | None = None,
    kind: EventKind | None = None,
    municipality: Annotated[str | None, Query(description="Host municipality code")] = None,
    starts_from: Annotated[SafeDateTime | None, Query(description="Events ending after")] = None,
    starts_before: SafeDateTime | None = None,
    q: TextQuery | None = None,
) -> Page[EventOut]:
    """Events you may see, soonest first; confidential visits only for their hosts."""
    rows, total = events.list_events(
        db,
        actor,
        EventFilters(
            status=status.value if status else None,
            kind=kind.value if kind else None,
            municipality=municipality,
            starts_from=starts_from,
            starts_before=starts_before,
            q=q,
        ),
        limit=page.limit,
        offset=page.offset,
    )
    return Page[EventOut](
        items=[_event_out(r.event, r.host_codes) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/events", response_model=EventDetailOut, status_code=status.HTTP_201_CREATED)
def create_event(body: EventIn, db: DbSession, actor: ApiActor) -> EventDetailOut:
    event = events.create_event(
        db,
        actor,
        _values(body, creating=True),
        lead_ids=body.lead_ids,
        site_ids=body.site_ids,
    )
    return _detail(db, actor, event.id)


@router.get("/events/report", response_model=VisitReportOut)
def visit_report(
    db: DbSession, actor: ApiActor, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> VisitReportOut:
    """Held visits per host municipality and per quarter, and the landing rate of leads
    that had a visit against those that had none."""
    report = events.visit_report(db, actor, year or utcnow().year)
    return VisitReportOut(
        year=report.year,
        by_municipality=[MunicipalityCountOut.model_validate(r) for r in report.by_municipality],
        by_quarter=[QuarterCountOut.model_validate(r) for r in report.by_quarter],
        landing=[
            LandingRowOut(
                had_visit=r.had_visit,
                leads=r.leads,
                landed=r.landed,
                landing_percent=None if r.landing_percent is None else str(r.landing_percent),
            )
            for r in report.landing
        ],
    )


@router.get("/events/{event_id}", response_model=EventDetailOut)
def get_event(event_id: uuid.UUID, db: DbSession, actor: ApiActor) -> EventDetailOut:
    return _detail(db, actor, event_id)


@router.patch("/events/{event_id}", response_model=EventDetailOut)
def update_event(
    event_id: uuid.UUID, body: EventFields, db: DbSession, actor: ApiActor
) -> EventDetailOut:
    """Changing what a calendar shows raises `sequence`; invite again to send updates."""
    events.update_event(
        db,
        actor,
        event_id,
        _values(body, creating=False),
        lead_ids=body.lead_ids,
        site_ids=body.site_ids,
    )
    return _detail(db, actor, event_id)


@router.post("/events/{event_id}/status", response_model=EventDetailOut)
def change_status(
    event_id: uuid.UUID, body: StatusIn, db: DbSession, actor: ApiActor, settings: AppSettings
) -> EventDetailOut:
    """planned → invited → confirmed → held, or cancelled (which e-mails a cancellation
    to the invited). Held logs the visit on each lead's timeline."""
    events.change_status(db, actor, settings, event_id, body.status.value)
    return _detail(db, actor, event_id)


@router.post("/events/{event_id}/invite", response_model=InvitationOut)
def invite(
    event_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> InvitationOut:
    """E-mail each participant an invitation with an .ics (through the outbox); again
    later, only those whose invitation is out of date get an update."""
    result = events.invite(db, actor, settings, event_id)
    event = events.get_event(db, actor, event_id)
    return InvitationOut(sent=result.sent, without_email=result.without_email, status=event.status)


@router.put("/events/{event_id}/outcome", response_model=EventDetailOut)
def record_outcome(
    event_id: uuid.UUID, body: OutcomeIn, db: DbSession, actor: ApiActor
) -> EventDetailOut:
    events.record_outcome(db, actor, event_id, body.outcome_notes)
    return _detail(db, actor, event_id)


@router.get("/events/{event_id}/follow-ups", response_model=list[ActivityOut])
def list_follow_ups(event_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[ActivityOut]:
    return [ActivityOut.model_validate(a) for a in events.follow_ups(db, actor, event_id)]


@router.post(
    "/events/{event_id}/follow-ups",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
)
def add_follow_up(
    event_id: uuid.UUID, body: FollowUpIn, db: DbSession, actor: ApiActor
) -> ActivityOut:
    """A task on one of the event's leads; it appears on the lead's timeline."""
    task = events.add_follow_up(
        db,
        actor,
        event_id,
        body.lead_id,
        body.model_dump(exclude={"lead_id", "assignee_id"}),
        assignee_id=body.assignee_id,
    )
    return ActivityOut.model_validate(task)


@router.get("/events/{event_id}/itinerary", response_model=list[ItineraryOut])
def list_itinerary(event_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[ItineraryOut]:
    return [_item_out(i) for i in events.itinerary(db, actor, event_id)]


def _item(db: DbSession, actor: ApiActor, event_id: uuid.UUID, item_id: uuid.UUID) -> ItineraryOut:
    return next(_item_out(i) for i in events.itinerary(db, actor, event_id) if i.item.id == item_id)


@router.post(
    "/events/{event_id}/itinerary",
    response_model=ItineraryOut,
    status_code=status.HTTP_201_CREATED,
)
def add_itinerary_item(
    event_id: uuid.UUID, body: ItineraryIn, db: DbSession, actor: ApiActor
) -> ItineraryOut:
    item = events.add_itinerary_item(
        db, actor, event_id, body.model_dump(exclude={"site_id"}), site_id=body.site_id
    )
    return _item(db, actor, event_id, item.id)


@router.patch("/events/{event_id}/itinerary/{item_id}", response_model=ItineraryOut)
def update_itinerary_item(
    event_id: uuid.UUID,
    item_id: uuid.UUID,
    body: ItineraryChanges,
    db: DbSession,
    actor: ApiActor,
) -> ItineraryOut:
    values = body.model_dump(exclude_unset=True, exclude={"site_id"})
    events.update_itinerary_item(
        db,
        actor,
        event_id,
        item_id,
        values,
        site_id=body.site_id,
        clear_site="site_id" in body.model_fields_set and body.site_id is None,
    )
    return _item(db, actor, event_id, item_id)


@router.delete("/events/{event_id}/itinerary/{item_id}", status_code=204)
def delete_itinerary_item(
    event_id: uuid.UUID, item_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    events.delete_itinerary_item(db, actor, event_id, item_id)
    return Response(status_code=204)


@router.get("/events/{event_id}/participants", response_model=list[ParticipantOut])
def list_participants(event_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[ParticipantOut]:
    return [_participant_out(p) for p in events.participants(db, actor, event_id)]


def _participant(
    db: DbSession, actor: ApiActor, event_id: uuid.UUID, participant_id: uuid.UUID
) -> ParticipantOut:
    return next(
        _participant_out(p)
        for p in events.participants(db, actor, event_id)
        if p.participant.id == participant_id
    )


@router.post(
    "/events/{event_id}/participants",
    response_model=ParticipantOut,
    status_code=status.HTTP_201_CREATED,
)
def add_participant(
    event_id: uuid.UUID, body: ParticipantIn, db: DbSession, actor: ApiActor
) -> ParticipantOut:
    participant = events.add_participant(
        db,
        actor,
        event_id,
        contact_id=body.contact_id,
        user_id=body.user_id,
        role=body.role.value,
    )
    return _participant(db, actor, event_id, participant.id)


@router.patch("/events/{event_id}/participants/{participant_id}", response_model=ParticipantOut)
def answer(
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    body: ParticipantChanges,
    db: DbSession,
    actor: ApiActor,
) -> ParticipantOut:
    """Record an RSVP (a user may answer for themselves) or change a role."""
    events.answer(
        db,
        actor,
        event_id,
        participant_id,
        rsvp=body.rsvp.value if body.rsvp else None,
        role=body.role.value if body.role else None,
    )
    return _participant(db, actor, event_id, participant_id)


@router.delete("/events/{event_id}/participants/{participant_id}", status_code=204)
def remove_participant(
    event_id: uuid.UUID, participant_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    events.remove_participant(db, actor, event_id, participant_id)
    return Response(status_code=204)


def ics_response(data: bytes, filename: str) -> Response:
    return Response(
        content=data,
        media_type=ICS_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/events/{event_id}/ics",
    response_class=Response,
    responses=file_responses("text/calendar", description="The event as iCalendar"),
)
def event_ics(
    event_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> Response:
    """The event as an iCalendar file (times in UTC; stable UID, SEQUENCE per change)."""
    return ics_response(events.event_ics(db, actor, settings, event_id), f"event-{event_id}.ics")


@router.get("/calendar/feed", response_model=FeedStateOut)
def feed_state(db: DbSession, actor: ApiActor) -> FeedStateOut:
    row = events.feed_token_info(db, actor)
    return FeedStateOut(
        active=row is not None,
        created_at=row.created_at if row else None,
        last_used_at=row.last_used_at if row else None,
    )


@router.post("/calendar/feed", response_model=FeedTokenOut, status_code=status.HTTP_201_CREATED)
def issue_feed(db: DbSession, actor: ApiActor, settings: AppSettings) -> FeedTokenOut:
    """A new secret feed URL (shown once); the previous URL stops working."""
    return FeedTokenOut(url=events.issue_feed_token(db, actor, settings))


@router.delete(
    "/calendar/feed", status_code=204, responses={404: {"description": "You have no feed"}}
)
def revoke_feed(db: DbSession, actor: ApiActor) -> Response:
    events.revoke_feed_token(db, actor)
    return Response(status_code=204)


@router.get("/calendar/{token}.ics", include_in_schema=False)
def calendar_feed(token: str, db: DbSession, settings: AppSettings) -> Response:
    """The subscribable feed: the secret in the URL is the only credential."""
    filename = f"invest-{region_service.current_region(db).slug}.ics"
    return ics_response(events.feed_ics(db, settings, token), filename)
