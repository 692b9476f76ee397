"""Staff pages for syndication: each municipality's push targets, feeds and embed
snippet; a target's page with its health, settings and actions; the delivery log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import AppSettings, DbSession
from app.db.models import Municipality, User
from app.domain.access import Actor
from app.domain.errors import ValidationFailed
from app.domain.inputs import parse_datetime
from app.domain.syndication import DeliveryStatus, EventType, TargetStatus
from app.i18n import HELSINKI, N_, localized, translate
from app.services import reference, syndication
from app.services.auth import actor_for
from app.settings import Settings
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "test": N_("A test event is queued; its result appears in the log below."),
    "paused": N_("The target is paused; updates wait for it."),
    "resumed": N_("The target is on; waiting updates are sent in order."),
    "saved": N_("Saved."),
    "redelivered": N_("Queued again."),
}


def embed_snippet(base_url: str, municipality: Municipality, lang: str) -> str:
    name = localized(municipality, "name", lang)
    title = translate(lang, "Sites for investment in %(municipality)s", municipality=name)
    return (
        f'<iframe src="{base_url}/embed/{municipality.code}?lang={lang}" title="{title}" '
        f'width="100%" height="640" loading="lazy" data-invest-embed></iframe>\n'
        f'<script src="{base_url}/static/embed-resize.js" async></script>'
    )


def _municipalities(db: DbSession, actor: Actor) -> list[Municipality]:
    rows = reference.municipality_choices(db)
    if actor.sees_everything:
        return rows
    return [m for m in rows if m.code == actor.municipality_code]


def _overview(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: User,
    *,
    form: dict[str, Any] | None = None,
    errors: list[Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    lang = request_language(request, user)
    targets = syndication.list_targets(db, actor)
    health = syndication.target_health_of(db, targets)
    municipalities = _municipalities(db, actor)
    return render(
        request,
        "syndication/index.html",
        {
            "sections": [
                {
                    "municipality": m,
                    "targets": [t for t in targets if t.municipality_code == m.code],
                    "snippet": embed_snippet(settings.base_url, m, lang),
                }
                for m in municipalities
            ],
            "health": health,
            "municipalities": municipalities,
            "base_url": settings.base_url,
            "form": form or {},
            "errors": {e.field: e.reason for e in errors or []},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/syndication", response_class=HTMLResponse)
def overview(
    request: Request, db: DbSession, settings: AppSettings, user: StaffUser
) -> HTMLResponse:
    return _overview(request, db, settings, user)


def _target_page(
    request: Request,
    db: DbSession,
    settings: Settings,
    user: User,
    target_id: uuid.UUID,
    *,
    secret: str | None = None,
    errors: list[Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    target = syndication.get_target(db, actor, target_id)
    rows, total = syndication.list_deliveries(
        db, actor, syndication.DeliveryFilters(target_id=target.id), limit=20
    )
    return render(
        request,
        "syndication/target.html",
        {
            "target": target,
            "health": syndication.target_health_of(db, [target])[target.id],
            "rows": rows,
            "total": total,
            "secret": secret,
            # No key of the ring opens the stored secret: the page says what to do.
            "secret_unreadable": not syndication.secrets_readable(settings, target),
            "errors": {e.field: e.reason for e in errors or []},
            "now_local": datetime.now(HELSINKI).strftime("%Y-%m-%dT00:00"),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/syndication/targets", dependencies=[CsrfChecked])
def create_target(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: StaffUser,
    municipality_code: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "webhook",
    url: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fi",
    wp_username: Annotated[str, Form()] = "",
    wp_password: Annotated[str, Form()] = "",
    wp_post_type: Annotated[str, Form()] = "",
) -> Response:
    values = syndication.TargetFields(
        name=name,
        kind=kind,
        url=url,
        municipality_code=municipality_code,
        language=language,
        wp_username=wp_username or None,
        wp_password=wp_password or None,
        wp_post_type=wp_post_type or None,
    )
    try:
        target, secret = syndication.create_target(db, actor_for(user), settings, values)
    except ValidationFailed as failed:
        form = {**values.__dict__, "wp_password": ""}
        return _overview(
            request, db, settings, user, form=form, errors=failed.errors, status_code=422
        )
    return _target_page(request, db, settings, user, target.id, secret=secret, status_code=201)


@router.get("/syndication/targets/{target_id}", response_class=HTMLResponse)
def target_page(
    request: Request, target_id: uuid.UUID, db: DbSession, settings: AppSettings, user: StaffUser
) -> HTMLResponse:
    return _target_page(request, db, settings, user, target_id)


@router.post("/syndication/targets/{target_id}", dependencies=[CsrfChecked])
def update_target(
    request: Request,
    target_id: uuid.UUID,
    db: DbSession,
    settings: AppSettings,
    user: StaffUser,
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fi",
    wp_username: Annotated[str, Form()] = "",
    wp_password: Annotated[str, Form()] = "",
    wp_post_type: Annotated[str, Form()] = "",
) -> Response:
    changes: dict[str, Any] = {
        "name": name,
        "url": url,
        "language": language,
        "wp_password": wp_password,
    }
    if wp_username:
        changes |= {"wp_username": wp_username, "wp_post_type": wp_post_type or None}
    try:
        syndication.update_target(db, actor_for(user), settings, target_id, changes)
    except ValidationFailed as failed:
        return _target_page(
            request, db, settings, user, target_id, errors=failed.errors, status_code=422
        )
    return flash.redirect(request, f"/syndication/targets/{target_id}", NOTICES["saved"])


@router.post("/syndication/targets/{target_id}/rotate-secret", dependencies=[CsrfChecked])
def rotate_secret(
    request: Request, target_id: uuid.UUID, db: DbSession, settings: AppSettings, user: StaffUser
) -> Response:
    _, secret = syndication.rotate_secret(db, actor_for(user), settings, target_id)
    return _target_page(request, db, settings, user, target_id, secret=secret)


@router.post("/syndication/targets/{target_id}/reveal-secret", dependencies=[CsrfChecked])
def reveal_secret(
    request: Request, target_id: uuid.UUID, db: DbSession, settings: AppSettings, user: StaffUser
) -> Response:
    secret = syndication.reveal_secret(db, actor_for(user), settings, target_id)
    return _target_page(request, db, settings, user, target_id, secret=secret)


@router.post("/syndication/targets/{target_id}/test", dependencies=[CsrfChecked])
def send_test(request: Request, target_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    syndication.send_test_event(db, actor_for(user), target_id)
    return flash.redirect(request, f"/syndication/targets/{target_id}", NOTICES["test"])


@router.post("/syndication/targets/{target_id}/pause", dependencies=[CsrfChecked])
def pause(request: Request, target_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    syndication.set_target_status(db, actor_for(user), target_id, TargetStatus.PAUSED)
    return flash.redirect(request, f"/syndication/targets/{target_id}", NOTICES["paused"])


@router.post("/syndication/targets/{target_id}/resume", dependencies=[CsrfChecked])
def resume(
    request: Request, target_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    syndication.set_target_status(db, actor_for(user), target_id, TargetStatus.ACTIVE, settings)
    return flash.redirect(request, f"/syndication/targets/{target_id}", NOTICES["resumed"])


def _local_datetime(value: str) -> datetime:
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        raise ValidationFailed.single("since", "A date and time is needed.", "invalid") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=HELSINKI)).astimezone(UTC)


@router.post("/syndication/targets/{target_id}/redeliver-failed", dependencies=[CsrfChecked])
def redeliver_failed(
    request: Request,
    target_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    since: Annotated[str, Form()],
) -> Response:
    syndication.redeliver_failed(db, actor_for(user), target_id, _local_datetime(since))
    return flash.redirect(request, f"/syndication/targets/{target_id}", NOTICES["redelivered"])


@router.get("/syndication/deliveries", response_class=HTMLResponse)
def deliveries(
    request: Request,
    db: DbSession,
    user: StaffUser,
    target_id: str = "",
    status: str = "",
    event_type: str = "",
    since: str = "",
    offset: int = 0,
) -> HTMLResponse:
    actor = actor_for(user)
    targets = syndication.list_targets(db, actor)
    filters = syndication.DeliveryFilters(
        target_id=next((t.id for t in targets if str(t.id) == target_id), None),
        status=status if status in {s.value for s in DeliveryStatus} else None,
        event_type=event_type if event_type in {e.value for e in EventType} else None,
        since=_local_datetime(since) if since else None,
    )
    rows, total = syndication.list_deliveries(db, actor, filters, limit=50, offset=max(offset, 0))
    return render(
        request,
        "syndication/deliveries.html",
        {
            "rows": rows,
            "total": total,
            "offset": max(offset, 0),
            "targets": targets,
            "statuses": [s.value for s in DeliveryStatus],
            "event_types": [e.value for e in EventType],
            "f": {
                "target_id": target_id,
                "status": status,
                "event_type": event_type,
                "since": since,
            },
        },
        user=user,
    )


@router.get("/syndication/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery_page(
    request: Request, delivery_id: uuid.UUID, db: DbSession, user: StaffUser
) -> HTMLResponse:
    row, attempts = syndication.get_delivery(db, actor_for(user), delivery_id)
    return render(
        request,
        "syndication/delivery.html",
        {"row": row, "attempts": attempts},
        user=user,
    )


@router.post("/syndication/deliveries/{delivery_id}/redeliver", dependencies=[CsrfChecked])
def redeliver(request: Request, delivery_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    sent = syndication.redeliver(db, actor_for(user), delivery_id)
    return flash.redirect(request, f"/syndication/deliveries/{sent.id}", NOTICES["redelivered"])
