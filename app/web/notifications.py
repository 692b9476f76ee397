"""Staff pages: my notifications, opening one (read, then off to its place), all read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import DbSession
from app.api.types import Offset
from app.i18n import N_
from app.services import notifications
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/notifications", response_class=HTMLResponse)
def notification_list(
    request: Request,
    db: DbSession,
    user: StaffUser,
    offset: Offset = 0,
) -> Response:
    actor = actor_for(user)
    items, total = notifications.list_notifications(
        db, actor, request_language(request, user), limit=PAGE_SIZE, offset=offset
    )
    return render(
        request,
        "notifications/list.html",
        {
            "items": items,
            "total": total,
            "offset": offset,
            "page_size": PAGE_SIZE,
        },
        user=user,
    )


@router.post("/notifications/{notification_id}/open", dependencies=[CsrfChecked])
def open_notification(notification_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    link = notifications.open_notification(db, actor_for(user), notification_id)
    return RedirectResponse(link, status_code=303)


@router.post("/notifications/read-all", dependencies=[CsrfChecked])
def read_all(request: Request, db: DbSession, user: StaffUser) -> Response:
    notifications.mark_all_read(db, actor_for(user))
    return flash.redirect(request, "/notifications", N_("All notifications are marked as read."))
