"""Staff pages: my tasks, overdue tasks, handoffs waiting for me and stale leads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import AppSettings, DbSession
from app.services import activities, leads
from app.services.activities import TaskFilters
from app.services.auth import actor_for
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import safe_next
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/tasks", response_class=HTMLResponse)
def my_tasks(request: Request, db: DbSession, user: StaffUser, settings: AppSettings) -> Response:
    actor = actor_for(user)
    today = datetime.now(UTC).date()
    tasks, total = activities.list_tasks(db, actor, TaskFilters(assignee_id=user.id), limit=200)
    stale, stale_total = leads.stale_leads(db, actor, settings.stale_lead_days, limit=50)
    return render(
        request,
        "activities/tasks.html",
        {
            "tasks": tasks,
            "total": total,
            "today": today,
            "code_names": activities.lead_code_names(db, {t.lead_id for t in tasks}),
            "incoming": leads.incoming_shares(db, actor),
            "stale": stale,
            "stale_total": stale_total,
            "stale_days": settings.stale_lead_days,
        },
        user=user,
    )


@router.post("/activities/{activity_id}/done", dependencies=[CsrfChecked])
async def mark_done(
    request: Request, activity_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    activities.update_activity(db, actor_for(user), activity_id, {}, done=True)
    back = form.get("next")
    return RedirectResponse(safe_next(back if isinstance(back, str) else "/tasks"), status_code=303)
