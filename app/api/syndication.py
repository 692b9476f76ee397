"""Syndication over HTTP: push targets (create, edit, rotate secret, test, pause and
resume, health) and the delivery log (filter, inspect, redeliver)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import ApiActor, AppSettings, DbSession
from app.api.pagination import Page, PageParamsDep
from app.api.types import SafeDateTime, Text, TextQuery, omittable
from app.db.models import SyndicationAttempt, SyndicationTarget
from app.domain.syndication import DeliveryStatus, EventType, TargetStatus
from app.i18n import UiLanguage
from app.services import syndication
from app.services.syndication import DeliveryRow, TargetHealth

router = APIRouter(prefix="/syndication", tags=["syndication"])


class TargetIn(BaseModel):
    municipality_code: Text
    name: Text = Field(max_length=120)
    kind: Literal["webhook", "wordpress"]
    url: Text = Field(max_length=500)
    language: UiLanguage = "fi"
    wp_username: Text | None = Field(default=None, max_length=120)
    wp_password: Text | None = Field(default=None, max_length=200)
    wp_post_type: Text | None = Field(default=None, max_length=40)


class TargetPatch(BaseModel):
    name: Text = omittable(max_length=120)
    url: Text = omittable(max_length=500)
    language: UiLanguage = omittable()
    wp_username: Text | None = Field(default=None, max_length=120)
    wp_password: Text | None = Field(default=None, max_length=200)
    wp_post_type: Text | None = Field(default=None, max_length=40)


class HealthOut(BaseModel):
    state: str
    pending: int
    failed: int
    attempts_24h: int
    successes_24h: int
    last_attempt_at: datetime | None
    last_status_code: int | None


class TargetOut(BaseModel):
    id: uuid.UUID
    municipality_code: str
    name: str
    kind: str
    url: str
    status: str
    disabled_reason: str | None
    language: str
    wp_username: str | None
    wp_post_type: str | None
    failing_since: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    health: HealthOut


class TargetWithSecret(TargetOut):
    secret: str | None = Field(description="The webhook signing secret, shown here once.")


class SecretOut(BaseModel):
    secret: str


class DeliveryOut(BaseModel):
    id: uuid.UUID
    webhook_id: str
    event_id: int
    event_type: str
    occurred_at: datetime
    target_id: uuid.UUID
    target_name: str
    municipality_code: str
    site_id: uuid.UUID | None
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    success: bool
    error: str | None
    response_excerpt: str | None


class DeliveryDetail(DeliveryOut):
    event_data: dict[str, Any]
    attempts: list[AttemptOut]


class RedeliverFailedIn(BaseModel):
    since: SafeDateTime


class RedeliveredOut(BaseModel):
    count: int


def _health(health: TargetHealth) -> HealthOut:
    last = health.last_attempt
    return HealthOut(
        state=health.health.value,
        pending=health.pending,
        failed=health.failed,
        attempts_24h=health.attempts_24h,
        successes_24h=health.successes_24h,
        last_attempt_at=last.started_at if last else None,
        last_status_code=last.status_code if last else None,
    )


def _target_out(db: DbSession, target: SyndicationTarget) -> TargetOut:
    health = syndication.target_health_of(db, [target])[target.id]
    return _targets_out([target], {target.id: health})[0]


def _targets_out(
    targets: list[SyndicationTarget], health: dict[uuid.UUID, TargetHealth]
) -> list[TargetOut]:
    return [
        TargetOut(
            id=t.id,
            municipality_code=t.municipality_code,
            name=t.name,
            kind=t.kind,
            url=t.url,
            status=t.status,
            disabled_reason=t.disabled_reason,
            language=t.language,
            wp_username=t.wp_username,
            wp_post_type=t.wp_post_type,
            failing_since=t.failing_since,
            last_success_at=t.last_success_at,
            last_failure_at=t.last_failure_at,
            previous_secret_expires_at=t.previous_secret_expires_at,
            created_at=t.created_at,
            health=_health(health[t.id]),
        )
        for t in targets
    ]


def _delivery_out(row: DeliveryRow) -> DeliveryOut:
    d = row.delivery
    return DeliveryOut(
        id=d.id,
        webhook_id=f"msg_{d.id.hex}",
        event_id=d.event_id,
        event_type=d.event_type,
        occurred_at=row.event.occurred_at,
        target_id=d.target_id,
        target_name=row.target.name,
        municipality_code=row.target.municipality_code,
        site_id=d.site_id,
        status=d.status,
        attempt_count=d.attempt_count,
        next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
    )


def _attempt_out(a: SyndicationAttempt) -> AttemptOut:
    return AttemptOut(
        number=a.number,
        started_at=a.started_at,
        duration_ms=a.duration_ms,
        status_code=a.status_code,
        success=a.success,
        error=a.error,
        response_excerpt=a.response_excerpt,
    )


@router.get("/targets", response_model=Page[TargetOut])
def list_targets(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    municipality_code: TextQuery | None = None,
) -> Page[TargetOut]:
    targets = syndication.list_targets(db, actor, municipality_code=municipality_code)
    shown = targets[page.offset : page.offset + page.limit]
    items = _targets_out(shown, syndication.target_health_of(db, shown))
    return Page(items=items, total=len(targets), limit=page.limit, offset=page.offset)


@router.post("/targets", response_model=TargetWithSecret, status_code=201)
def create_target(
    body: TargetIn, db: DbSession, actor: ApiActor, settings: AppSettings
) -> TargetWithSecret:
    target, secret = syndication.create_target(
        db, actor, settings, syndication.TargetFields(**body.model_dump())
    )
    return TargetWithSecret(**_target_out(db, target).model_dump(), secret=secret)


@router.get("/targets/{target_id}", response_model=TargetOut)
def get_target(target_id: uuid.UUID, db: DbSession, actor: ApiActor) -> TargetOut:
    return _target_out(db, syndication.get_target(db, actor, target_id))


@router.patch("/targets/{target_id}", response_model=TargetOut)
def update_target(
    target_id: uuid.UUID, body: TargetPatch, db: DbSession, actor: ApiActor, settings: AppSettings
) -> TargetOut:
    target = syndication.update_target(
        db, actor, settings, target_id, body.model_dump(exclude_unset=True)
    )
    return _target_out(db, target)


@router.post("/targets/{target_id}/rotate-secret", response_model=TargetWithSecret)
def rotate_secret(
    target_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> TargetWithSecret:
    target, secret = syndication.rotate_secret(db, actor, settings, target_id)
    return TargetWithSecret(**_target_out(db, target).model_dump(), secret=secret)


@router.get("/targets/{target_id}/secret", response_model=SecretOut)
def reveal_secret(
    target_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> SecretOut:
    return SecretOut(secret=syndication.reveal_secret(db, actor, settings, target_id))


@router.post("/targets/{target_id}/test", response_model=DeliveryOut, status_code=202)
def send_test(target_id: uuid.UUID, db: DbSession, actor: ApiActor) -> DeliveryOut:
    delivery = syndication.send_test_event(db, actor, target_id)
    row, _ = syndication.get_delivery(db, actor, delivery.id)
    return _delivery_out(row)


@router.post("/targets/{target_id}/pause", response_model=TargetOut)
def pause_target(target_id: uuid.UUID, db: DbSession, actor: ApiActor) -> TargetOut:
    target = syndication.set_target_status(db, actor, target_id, TargetStatus.PAUSED)
    return _target_out(db, target)


@router.post("/targets/{target_id}/resume", response_model=TargetOut)
def resume_target(
    target_id: uuid.UUID, db: DbSession, actor: ApiActor, settings: AppSettings
) -> TargetOut:
    target = syndication.set_target_status(db, actor, target_id, TargetStatus.ACTIVE, settings)
    return _target_out(db, target)


@router.post("/targets/{target_id}/redeliver-failed", response_model=RedeliveredOut)
def redeliver_failed(
    target_id: uuid.UUID, body: RedeliverFailedIn, db: DbSession, actor: ApiActor
) -> RedeliveredOut:
    return RedeliveredOut(count=syndication.redeliver_failed(db, actor, target_id, body.since))


@router.get("/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    target_id: uuid.UUID | None = None,
    municipality_code: TextQuery | None = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event_type: Annotated[EventType | None, Query()] = None,
    site_id: uuid.UUID | None = None,
    since: SafeDateTime | None = None,
) -> Page[DeliveryOut]:
    rows, total = syndication.list_deliveries(
        db,
        actor,
        syndication.DeliveryFilters(
            target_id=target_id,
            municipality_code=municipality_code,
            status=status.value if status else None,
            event_type=event_type.value if event_type else None,
            site_id=site_id,
            since=since,
        ),
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[_delivery_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
def get_delivery(delivery_id: uuid.UUID, db: DbSession, actor: ApiActor) -> DeliveryDetail:
    row, attempts = syndication.get_delivery(db, actor, delivery_id)
    return DeliveryDetail(
        **_delivery_out(row).model_dump(),
        event_data=row.event.data,
        attempts=[_attempt_out(a) for a in attempts],
    )


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
def redeliver(delivery_id: uuid.UUID, db: DbSession, actor: ApiActor) -> DeliveryOut:
    # The delivery that goes out: this one, or the newest of its site when this is older.
    sent = syndication.redeliver(db, actor, delivery_id)
    row, _ = syndication.get_delivery(db, actor, sent.id)
    return _delivery_out(row)
