"""Invest in Finland / Team Finland referrals.

Partners send referrals and read their outcome with a partner token (which reaches
these two routes and nothing else); the regional team manages the partner tokens and
imports referral exports with its own API token."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.imports import ImportReportOut
from app.api.types import MultilineText, Text, TextPath
from app.domain.errors import ValidationFailed
from app.domain.inputs import INT32_MAX, INT64_MAX
from app.domain.referrals import ReferralStatus
from app.services import imports, referrals

router = APIRouter(tags=["referrals"])

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
# The partner routes take a partner token, not the staff's `bearer` scheme: they declare
# their 401 themselves.
_PARTNER_401: dict[int | str, Any] = {401: {"description": "No partner token, or a revoked one"}}


def get_partner(request: Request, db: DbSession) -> referrals.Partner:
    """Partners authenticate with `Authorization: Bearer <partner token>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "A partner token is required.", headers=_UNAUTHORIZED)
    partner = referrals.resolve_partner_token(db, token.strip())
    if partner is None:
        raise HTTPException(401, "The partner token is unknown or revoked.", headers=_UNAUTHORIZED)
    return partner


PartnerCaller = Annotated[referrals.Partner, Depends(get_partner)]


class ReferralContactIn(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    email: Text | None = Field(default=None, max_length=254)
    phone: Text | None = Field(default=None, max_length=40)


class ReferralIn(BaseModel):
    referral_id: Text = Field(min_length=1, max_length=100, description="The partner's own id")
    company: Text = Field(min_length=1, max_length=200)
    business_id: Text | None = Field(default=None, max_length=20, description="Finnish Y-tunnus")
    country: Text = Field(
        min_length=1, max_length=100, description="ISO 3166 alpha-2 code (e.g. SE) or name"
    )
    industry: Text | None = Field(
        default=None, max_length=120, description="A key industry's code or name"
    )
    project_description: MultilineText | None = Field(default=None, max_length=20_000)
    capex_eur: int | None = Field(default=None, ge=0, le=INT64_MAX, description="Whole euros")
    jobs: int | None = Field(default=None, ge=0, le=INT32_MAX)
    timeline: Text | None = Field(default=None, max_length=200)
    contact: ReferralContactIn | None = None


class ReferralOut(BaseModel):
    referral_id: str
    status: ReferralStatus = Field(
        description="received, in_progress, landed, lost (with its reason) or closed "
        "(on hold, or no longer followed)"
    )
    lost_reason_code: str | None
    lost_reason: str | None
    received_at: datetime
    last_changed_at: datetime

    @classmethod
    def of(cls, outcome: referrals.Outcome) -> ReferralOut:
        return cls(
            referral_id=outcome.referral_id,
            status=outcome.status,
            lost_reason_code=outcome.lost_reason_code,
            lost_reason=outcome.lost_reason,
            received_at=outcome.received_at,
            last_changed_at=outcome.last_changed_at,
        )


# The domain names a contact's fields flat; the API nests them.
_CONTACT_FIELDS = {
    "contact_name": "contact.name",
    "contact_email": "contact.email",
    "contact_phone": "contact.phone",
}


@router.post(
    "/referrals",
    response_model=ReferralOut,
    status_code=201,
    responses={
        200: {"description": "The referral was received before: the same one"},
        **_PARTNER_401,
    },
)
def submit_referral(body: ReferralIn, db: DbSession, partner: PartnerCaller) -> JSONResponse:
    """Send a referral (`Authorization: Bearer <partner token>`). It lands as a lead
    (source: Invest in Finland), linked to the organisation and the open lead already in
    the register where they match. Sending the same `referral_id` again answers 200 with
    the same referral."""
    values: dict[str, object] = body.model_dump(exclude={"contact"})
    if body.contact is not None:
        values |= {
            "contact_name": body.contact.name,
            "contact_email": body.contact.email,
            "contact_phone": body.contact.phone,
        }
    try:
        received = referrals.submit_referral(db, partner, values)
    except ValidationFailed as failed:
        failed.errors = [
            replace(e, field=_CONTACT_FIELDS.get(e.field, e.field)) for e in failed.errors
        ]
        raise
    outcome = referrals.referral_outcome(db, partner, received.referral.referral_id)
    return JSONResponse(
        ReferralOut.of(outcome).model_dump(mode="json"),
        status_code=201 if received.created else 200,
    )


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralOut,
    responses=_PARTNER_401,
)
def referral_status(referral_id: TextPath, db: DbSession, partner: PartnerCaller) -> ReferralOut:
    """The outcome of one of the partner's own referrals (`Authorization: Bearer <partner
    token>`)."""
    return ReferralOut.of(referrals.referral_outcome(db, partner, referral_id))


# --- the regional team ---------------------------------------------------------------


class PartnerTokenIn(BaseModel):
    organization_id: uuid.UUID
    name: Text = Field(min_length=1, max_length=100)


class PartnerTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class IssuedPartnerTokenOut(PartnerTokenOut):
    token: str = Field(description="Shown once: only its hash is kept")


@router.get("/partner-tokens", response_model=list[PartnerTokenOut])
def list_partner_tokens(db: DbSession, actor: ApiActor) -> list[PartnerTokenOut]:
    return [
        PartnerTokenOut.model_validate(token)
        for token, _org in referrals.list_partner_tokens(db, actor)
    ]


@router.post("/partner-tokens", response_model=IssuedPartnerTokenOut, status_code=201)
def issue_partner_token(
    body: PartnerTokenIn, db: DbSession, actor: ApiActor
) -> IssuedPartnerTokenOut:
    """A new token for a partner organisation (the coordinator); its value is shown once."""
    issued = referrals.issue_partner_token(db, actor, body.organization_id, body.name)
    return IssuedPartnerTokenOut(
        **PartnerTokenOut.model_validate(issued.record).model_dump(), token=issued.token
    )


@router.post("/partner-tokens/{partner_token_id}/revoke", response_model=PartnerTokenOut)
def revoke_partner_token(
    partner_token_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> PartnerTokenOut:
    return PartnerTokenOut.model_validate(
        referrals.revoke_partner_token(db, actor, partner_token_id)
    )


@router.post("/referral-imports", response_model=ImportReportOut)
async def import_referrals(
    db: DbSession,
    actor: ApiActor,
    partner_id: Annotated[uuid.UUID, Form(description="The partner organisation that sent it")],
    file: Annotated[UploadFile, File(description="A referral export: XLSX, or CSV")],
    dry_run: Annotated[bool, Query(description="Only check; write nothing")] = True,
) -> ImportReportOut:
    """Check a referral export row by row (dry run: what each row would create or link
    to), or apply it: every row is written, or on any error none (422 naming row and
    field)."""
    content = await file.read(imports.MAX_BYTES + 1)
    report = referrals.run_referral_import(
        db, actor, partner_id, file.filename or "", content, dry_run=dry_run
    )
    return ImportReportOut.of(report)
