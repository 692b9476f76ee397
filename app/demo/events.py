"""Demo events: visits hosted by municipalities and a forum, each with the coordinator
as organiser; skipped if any event exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Event, EventHost, EventItineraryItem, EventLead, EventParticipant, Lead
from app.demo.context import DemoContext
from app.domain.access import SYSTEM_ACTOR
from app.domain.events import EventKind, ParticipantRole, Rsvp


def load(ctx: DemoContext) -> None:
    db = ctx.db
    if not ctx.data.events or db.scalar(select(Event.id).limit(1)):
        return
    coordinator = ctx.coordinator()
    if coordinator is None:
        return
    bind_actor(db, SYSTEM_ACTOR)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    leads = list(db.scalars(select(Lead).order_by(Lead.code_name).limit(3)))
    for index, demo in enumerate(ctx.data.events):
        starts = now + timedelta(days=demo.days_from_now)
        event = Event(
            kind=demo.kind.value,
            title=demo.title,
            location=demo.location,
            starts_at=starts,
            ends_at=starts + timedelta(hours=7),
            status=demo.status.value,
            confidential=demo.confidential,
            invited_by_id=coordinator.id,
            sequence=0,
        )
        db.add(event)
        db.flush()
        db.add_all(EventHost(event_id=event.id, municipality_code=c) for c in demo.hosts)
        # Each host municipality shows its sites in turn.
        for offset, code in enumerate(demo.hosts):
            db.add(
                EventItineraryItem(
                    event_id=event.id,
                    starts_at=starts + timedelta(hours=1 + 3 * offset),
                    ends_at=starts + timedelta(hours=3 + 3 * offset),
                    place="Teollisuusalue",
                    host_municipality_code=code,
                    hosts="Elinkeinojohtaja",
                    description="Site tour and a meeting with the municipality",
                )
            )
        if index < len(leads) and demo.kind is not EventKind.INVESTMENT_FORUM:
            db.add(EventLead(event_id=event.id, lead_id=leads[index].id))
        db.add(
            EventParticipant(
                event_id=event.id,
                user_id=coordinator.id,
                role=ParticipantRole.ORGANISER.value,
                rsvp=Rsvp.ACCEPTED.value,
            )
        )
        ctx.report.count("events")
    db.flush()
