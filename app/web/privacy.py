"""Staff pages for GDPR: export and erasure of a contact person, retention review."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.api.privacy import export_filename
from app.db.models import User
from app.domain.errors import ValidationFailed
from app.services import organizations, privacy
from app.services.auth import actor_for
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)


def _reason(form: Any) -> str | None:
    value = form.get("reason")
    return value if isinstance(value, str) else None


@router.get("/contacts/{contact_id}/export")
def export_contact(contact_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    document = privacy.export_contact(db, actor_for(user), contact_id)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(contact_id)}"',
            "Cache-Control": "no-store",
        },
    )


def _erase_page(
    request: Request,
    db: Session,
    user: User,
    contact_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    contact = organizations.get_contact(db, actor_for(user), contact_id)
    return render(
        request,
        "privacy/erase.html",
        {"contact": contact, "errors": errors or FormErrors(), "reason": reason},
        user=user,
        status_code=status_code,
    )


@router.get("/contacts/{contact_id}/erase", response_class=HTMLResponse)
def erase_dialog(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    return _erase_page(request, db, user, contact_id)


@router.post("/contacts/{contact_id}/erase", dependencies=[CsrfChecked])
async def erase_contact(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    reason = _reason(await request.form())
    try:
        privacy.erase_contact(db, actor_for(user), contact_id, reason)
    except ValidationFailed as failed:
        return _erase_page(
            request,
            db,
            user,
            contact_id,
            errors=FormErrors.of(failed),
            reason=reason or "",
            status_code=422,
        )
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


def _retention_page(
    request: Request,
    db: Session,
    user: User,
    *,
    page: int = 1,
    errors: FormErrors | None = None,
    failed_contact: uuid.UUID | None = None,
    status_code: int = 200,
) -> Response:
    page = max(page, 1)
    rows, total = privacy.retention_due(db, actor_for(user), limit=50, offset=(page - 1) * 50)
    return render(
        request,
        "privacy/retention.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "errors": errors or FormErrors(),
            "failed_contact": failed_contact,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/privacy/retention", response_class=HTMLResponse)
def retention_review(request: Request, db: DbSession, user: StaffUser, page: int = 1) -> Response:
    return _retention_page(request, db, user, page=page)


@router.post("/contacts/{contact_id}/retention", dependencies=[CsrfChecked])
async def extend_retention(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    reason = _reason(await request.form())
    try:
        privacy.extend_retention(db, actor_for(user), contact_id, reason)
    except ValidationFailed as failed:
        return _retention_page(
            request,
            db,
            user,
            errors=FormErrors.of(failed),
            failed_contact=contact_id,
            status_code=422,
        )
    return RedirectResponse("/privacy/retention", status_code=303)
