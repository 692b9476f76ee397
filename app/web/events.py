"""Staff pages of visitor-concept events: list, month calendar, an event's page with
its itinerary, participants, status, outcome and follow-ups, and the calendar feed."""

from __future__ import annotations

import calendar as month_calendar
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import AppSettings, DbSession
from app.api.events import ics_response
from app.db.models import Municipality, User
from app.domain.access import Actor
from app.domain.errors import ValidationFailed
from app.domain.events import HELSINKI, EventKind, ParticipantRole, Rsvp
from app.domain.inputs import parse_date, parse_datetime
from app.services import events, reference
from app.services.auth import actor_for
from app.services.events import EventFilters
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _uuid(form: Any, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(_text(form, name))
    except ValueError:
        return None


def _local(form: Any, name: str) -> str:
    """A datetime-local field is Finnish time; the services take aware datetimes."""
    raw = _text(form, name)
    try:
        return parse_datetime(raw).replace(tzinfo=HELSINKI).isoformat() if raw else ""
    except ValueError:
        return raw


def _errors(failed: ValidationFailed) -> FormErrors:
    return FormErrors.of(failed)


def _municipalities(db: Session) -> list[Municipality]:
    return reference.municipality_choices(db)


@router.get("/events", response_class=HTMLResponse)
def event_list(
    request: Request, db: DbSession, user: StaffUser, past: bool = False, q: str = ""
) -> Response:
    return _list(request, db, user, past=past, q=q)


def _list(
    request: Request,
    db: Session,
    user: User,
    *,
    past: bool = False,
    q: str = "",
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    now = datetime.now(HELSINKI)
    filters = EventFilters(q=q or None)
    if past:
        filters.starts_before = now
    else:
        filters.starts_from = now
    rows, total = events.list_events(db, actor, filters, limit=200)
    return render(
        request,
        "events/list.html",
        {
            "rows": rows,
            "total": total,
            "past": past,
            "q": q,
            "can_edit": actor.sees_everything,
            "kinds": [k.value for k in EventKind],
            "municipalities": _municipalities(db),
            "values": values or {},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/events", dependencies=[CsrfChecked])
async def event_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "kind": _text(form, "kind"),
        "title": _text(form, "title"),
        "location": _text(form, "location"),
        "description": _text(form, "description"),
        "starts_at": _local(form, "starts_at"),
        "ends_at": _local(form, "ends_at"),
        "confidential": bool(form.get("confidential")),
        "host_municipality_codes": [c for c in form.getlist("hosts") if isinstance(c, str)],
    }
    try:
        event = events.create_event(db, actor_for(user), values)
    except ValidationFailed as failed:
        return _list(request, db, user, values=values, errors=_errors(failed), status_code=422)
    return RedirectResponse(f"/events/{event.id}", status_code=303)


@router.get("/events/calendar", response_class=HTMLResponse)
def event_calendar(request: Request, db: DbSession, user: StaffUser, month: str = "") -> Response:
    return _calendar(request, db, user, month=month)


def _calendar(
    request: Request, db: Session, user: User, *, month: str = "", new_feed_url: str | None = None
) -> Response:
    """A month grid, Monday first, in Finnish time; plain links page between months."""
    actor = actor_for(user)
    today = datetime.now(HELSINKI).date()
    try:
        first = parse_date(f"{month}-01") if month else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], time(0), HELSINKI)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time(0), HELSINKI)
    rows, _ = events.list_events(
        db, actor, EventFilters(starts_from=start, starts_before=end), limit=500
    )
    by_day: dict[date, list[Any]] = {}
    for row in rows:
        day = row.event.starts_at.astimezone(HELSINKI).date()
        last = row.event.ends_at.astimezone(HELSINKI).date()
        while day <= last:
            by_day.setdefault(day, []).append(row.event)
            day += timedelta(days=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "events/calendar.html",
        {
            "first": first,
            "weeks": weeks,
            "by_day": by_day,
            "today": today,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "feed": events.feed_token_info(db, actor),
            "new_feed_url": new_feed_url,
        },
        user=user,
    )


@router.post("/events/calendar/feed", dependencies=[CsrfChecked])
def feed_issue(request: Request, db: DbSession, user: StaffUser, settings: AppSettings) -> Response:
    """The URL is shown on this response only; it is never stored or shown again."""
    url = events.issue_feed_token(db, actor_for(user), settings)
    return _calendar(request, db, user, new_feed_url=url)


@router.post("/events/calendar/feed/revoke", dependencies=[CsrfChecked])
def feed_revoke(db: DbSession, user: StaffUser) -> Response:
    events.revoke_feed_token(db, actor_for(user))
    return RedirectResponse("/events/calendar", status_code=303)


def _page(
    request: Request,
    db: Session,
    user: User,
    event_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    view = events.event_view(db, actor, event_id)
    return render(
        request,
        "events/detail.html",
        {
            "view": view,
            "rsvps": [r.value for r in Rsvp],
            "roles": [r.value for r in ParticipantRole],
            "municipalities": {m.code: m for m in _municipalities(db)},
            "contacts": events.contact_choices(db) if view.can_edit else [],
            "staff": events.staff_choices(db, actor) if view.can_edit or view.my_host_code else [],
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    return _page(request, db, user, event_id)


@router.get("/events/{event_id}/event.ics")
def event_ics(
    event_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    data = events.event_ics(db, actor_for(user), settings, event_id)
    return ics_response(data, f"event-{event_id}.ics")


async def _act(
    request: Request, db: Session, user: User, event_id: uuid.UUID, action: Any
) -> Response:
    form = await request.form()
    try:
        action(actor_for(user), form)
    except ValidationFailed as failed:
        return _page(request, db, user, event_id, errors=_errors(failed), status_code=422)
    return RedirectResponse(f"/events/{event_id}", status_code=303)


@router.post("/events/{event_id}/status", dependencies=[CsrfChecked])
async def status_change(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.change_status(db, actor, settings, event_id, _text(form, "status"))

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/invite", dependencies=[CsrfChecked])
async def invite(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.invite(db, actor, settings, event_id)

    return await _act(request, db, user, event_id, action)


def _item_values(form: Any) -> dict[str, Any]:
    values = {
        "starts_at": _local(form, "starts_at"),
        "ends_at": _local(form, "ends_at"),
        "place": _text(form, "place"),
        "hosts": _text(form, "hosts"),
        "description": _text(form, "description"),
    }
    if _text(form, "host_municipality_code"):
        values["host_municipality_code"] = _text(form, "host_municipality_code")
    return values


@router.post("/events/{event_id}/itinerary", dependencies=[CsrfChecked])
async def itinerary_add(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.add_itinerary_item(db, actor, event_id, _item_values(form))

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/itinerary/{item_id}", dependencies=[CsrfChecked])
async def itinerary_update(
    request: Request, event_id: uuid.UUID, item_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        if form.get("delete"):
            events.delete_itinerary_item(db, actor, event_id, item_id)
        else:
            events.update_itinerary_item(db, actor, event_id, item_id, _item_values(form))

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/participants", dependencies=[CsrfChecked])
async def participant_add(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.add_participant(
            db,
            actor,
            event_id,
            contact_id=_uuid(form, "contact_id"),
            user_id=_uuid(form, "user_id"),
            role=_text(form, "role") or ParticipantRole.GUEST.value,
        )

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/participants/{participant_id}", dependencies=[CsrfChecked])
async def participant_answer(
    request: Request,
    event_id: uuid.UUID,
    participant_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.answer(db, actor, event_id, participant_id, rsvp=_text(form, "rsvp") or None)

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/outcome", dependencies=[CsrfChecked])
async def outcome(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        events.record_outcome(db, actor, event_id, _text(form, "outcome_notes"))

    return await _act(request, db, user, event_id, action)


@router.post("/events/{event_id}/follow-ups", dependencies=[CsrfChecked])
async def follow_up(
    request: Request, event_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        lead_id = _uuid(form, "lead_id")
        if lead_id is None:
            raise ValidationFailed.single("lead_id", "Choose a lead.", "required")
        events.add_follow_up(
            db,
            actor,
            event_id,
            lead_id,
            {"subject": _text(form, "subject"), "due_on": _text(form, "due_on")},
        )

    return await _act(request, db, user, event_id, action)
