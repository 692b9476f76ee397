"""The staff home page: what each role works on first."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.deps import DbSession
from app.services.auth import actor_for
from app.services.dashboard import SITE_STATUS_ORDER, home_summary
from app.web.deps import StaffUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/staff", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    summary = home_summary(db, actor_for(user), datetime.now(UTC).date())
    return render(
        request, "home.html", {"summary": summary, "site_statuses": SITE_STATUS_ORDER}, user=user
    )
