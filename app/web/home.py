"""The staff home page: what needs each person today."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.deps import AppSettings, DbSession
from app.services import targets
from app.services.auth import actor_for
from app.services.dashboard import home_summary, local_day
from app.services.scope import may_read_lead_records
from app.web.deps import StaffUser
from app.web.reports import report_page
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/staff", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: StaffUser, settings: AppSettings) -> HTMLResponse:
    actor = actor_for(user)
    today = local_day(datetime.now(UTC))
    if not may_read_lead_records(actor) and targets.target_for_report(db, actor, today):
        # The forum's home is the current forum report: aggregates, no lead records.
        return report_page(request, db, user)
    summary = home_summary(
        db, actor, today, settings, only=request.query_params.get("section") or None
    )
    return render(request, "home.html", {"summary": summary}, user=user)
