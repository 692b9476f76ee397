"""GDPR for contact persons (export, erasure, retention review and extension) and for
former staff members (erasure)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.api.types import MultilineText, SafeDate
from app.db.models import Contact, User
from app.services import privacy

router = APIRouter(prefix="/privacy", tags=["privacy"])


class PrivacyContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organization_id: uuid.UUID | None
    full_name: str
    email: str | None
    lawful_basis: str
    retention_until: date | None
    retention_reason: str | None
    erased_at: datetime | None
    erasure_reason: str | None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: MultilineText = Field(max_length=2000, description="Why; recorded in the audit trail")


class ExtensionIn(ReasonIn):
    retention_until: SafeDate | None = Field(
        default=None, description="The new date; default: the standard period from today"
    )


def export_filename(contact_id: uuid.UUID) -> str:
    return f"contact-{contact_id}.json"


@router.get(
    "/contacts/{contact_id}/export",
    responses={200: {"content": {"application/json": {}}}},
)
def export_contact(contact_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Response:
    """Everything stored about the person, as a JSON download."""
    document = privacy.export_contact(db, actor, contact_id)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(contact_id)}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/contacts/{contact_id}/erasure", response_model=PrivacyContactOut)
def erase_contact(contact_id: uuid.UUID, body: ReasonIn, db: DbSession, actor: ApiActor) -> Contact:
    return privacy.erase_contact(db, actor, contact_id, body.reason)


class PrivacyUserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    full_name: str
    email: str
    role: str
    is_active: bool
    erased_at: datetime | None
    erasure_reason: str | None


@router.post("/users/{user_id}/erasure", response_model=PrivacyUserOut)
def erase_user(user_id: uuid.UUID, body: ReasonIn, db: DbSession, actor: ApiActor) -> User:
    """Erase a former staff member's personal data (admins; deactivate the account
    first). Their records and the audit trail stay, without their name and address."""
    return privacy.erase_user(db, actor, user_id, body.reason)


@router.post("/contacts/{contact_id}/retention", response_model=PrivacyContactOut)
def extend_retention(
    contact_id: uuid.UUID, body: ExtensionIn, db: DbSession, actor: ApiActor
) -> Contact:
    return privacy.extend_retention(db, actor, contact_id, body.reason, until=body.retention_until)


@router.get("/retention-due", response_model=Page[PrivacyContactOut])
def retention_due(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    as_of: Annotated[SafeDate | None, Query(description="Review date; default today")] = None,
) -> Page[PrivacyContactOut]:
    """Contacts whose retention ends within 30 days (or has ended): the review list."""
    rows, total = privacy.retention_due(
        db, actor, today=as_of, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[PrivacyContactOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
