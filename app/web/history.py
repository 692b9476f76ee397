"""The history of a record in words, one page per record the staff work with."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import DbSession
from app.api.types import TextPath
from app.services import history
from app.services.auth import actor_for
from app.web.deps import StaffUser
from app.web.session import request_language
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/history/{entity_type}/{entity_id}", response_class=HTMLResponse)
def record_history(
    request: Request, entity_type: TextPath, entity_id: TextPath, db: DbSession, user: StaffUser
) -> Response:
    """Who changed what and when, refused like the record itself (404/403)."""
    lang = request_language(request, user)
    page = history.record_history(db, actor_for(user), entity_type, entity_id, lang)
    return render(request, "history/record.html", {"page": page}, user=user)
