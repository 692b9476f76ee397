"""The caller's notifications: the same list, texts and marks as the staff pages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.domain.notifications import NotificationKind
from app.i18n import UiLanguage
from app.services import notifications
from app.services.notifications import NotificationView

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: NotificationKind
    text: str
    note: str | None
    link: str
    actor_name: str | None
    created_at: datetime
    read_at: datetime | None


class ReadAllOut(BaseModel):
    marked: int


def _out(view: NotificationView) -> NotificationOut:
    return NotificationOut(
        id=view.id,
        kind=NotificationKind(view.kind),
        text=view.text,
        note=view.note,
        link=view.link,
        actor_name=view.actor_name,
        created_at=view.created_at,
        read_at=view.read_at,
    )


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    lang: Annotated[
        UiLanguage | None, Query(description="Language of the texts; default: yours")
    ] = None,
) -> Page[NotificationOut]:
    """Newest first; `text` is rendered in the language asked for."""
    views, total = notifications.list_notifications(
        db,
        actor,
        lang or notifications.language_of(db, actor),
        limit=page.limit,
        offset=page.offset,
    )
    return Page[NotificationOut](
        items=[_out(v) for v in views], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: uuid.UUID, db: DbSession, actor: ApiActor) -> NotificationOut:
    return _out(notifications.mark_read(db, actor, notification_id))


@router.post("/notifications/read-all", response_model=ReadAllOut)
def mark_all_read(db: DbSession, actor: ApiActor) -> ReadAllOut:
    return ReadAllOut(marked=notifications.mark_all_read(db, actor))
