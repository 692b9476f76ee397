"""Organisations and contact persons, with duplicate warnings and merge."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.api.types import MultilineText, SafeDate, SafeDateTime, Text, TextQuery
from app.db.models import Contact, Organization
from app.domain.organizations import ClassificationVersion, LawfulBasis, OrganizationType
from app.services import organizations

router = APIRouter(tags=["organizations"])


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    type: str
    country: str | None
    business_id: str | None
    foreign_registry_id: str | None
    industry_code: str | None
    nace_code: str | None
    nace_version: str | None
    website: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


class OrganizationFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, max_length=200)
    type: OrganizationType | None = None
    country: Text | None = Field(default=None, description="ISO 3166-1 alpha-2")
    business_id: Text | None = Field(default=None, description="Finnish Y-tunnus, e.g. 0116297-6")
    foreign_registry_id: Text | None = None
    industry_code: Text | None = None
    nace_code: Text | None = None
    nace_version: ClassificationVersion | None = None
    website: Text | None = None
    notes: MultilineText | None = None
    confirm_duplicate: bool = Field(
        default=False, description="Create even though a same-named organisation exists"
    )


class OrganizationIn(OrganizationFields):
    name: Text = Field(max_length=200)
    type: OrganizationType


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merge_id: uuid.UUID = Field(description="The duplicate, moved into this record and deleted")


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    organization_id: uuid.UUID | None
    full_name: str
    role_title: str | None
    email: str | None
    phone: str | None
    language: str | None
    lawful_basis: str
    source: str
    consent_text_version: str | None
    consent_given_at: datetime | None
    retention_until: date | None
    notes: str | None


class ContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: uuid.UUID | None = None
    full_name: Text | None = Field(default=None, max_length=200)
    role_title: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    language: Text | None = None
    lawful_basis: LawfulBasis | None = None
    source: Text | None = Field(default=None, description="Where the person's data came from")
    consent_text_version: Text | None = None
    consent_given_at: SafeDateTime | None = None
    retention_until: SafeDate | None = None
    notes: MultilineText | None = None
    confirm_duplicate: bool = False


class ContactIn(ContactFields):
    full_name: Text = Field(max_length=200)
    lawful_basis: LawfulBasis
    source: Text


def _values(body: BaseModel, exclude: set[str], *, creating: bool) -> dict[str, object]:
    return body.model_dump(mode="json", exclude_unset=not creating, exclude=exclude)


@router.get("/organizations", response_model=Page[OrganizationOut])
def list_organizations(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    q: TextQuery | None = None,
    type: OrganizationType | None = None,
    country: str | None = None,
) -> Page[OrganizationOut]:
    rows, total = organizations.list_organizations(
        db,
        actor,
        q=q,
        type=type.value if type else None,
        country=country,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[OrganizationOut](
        items=[OrganizationOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/organizations", response_model=OrganizationOut, status_code=status.HTTP_201_CREATED)
def create_organization(body: OrganizationIn, db: DbSession, actor: ApiActor) -> Organization:
    """Create an organisation. A same business ID is refused; a same-looking name is
    answered with a `possible_duplicate` problem unless `confirm_duplicate` is true."""
    return organizations.create_organization(
        db,
        actor,
        _values(body, {"confirm_duplicate"}, creating=True),
        confirm_duplicate=body.confirm_duplicate,
    )


@router.get("/organizations/{org_id}", response_model=OrganizationOut)
def get_organization(org_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Organization:
    return organizations.get_organization(db, actor, org_id)


@router.patch("/organizations/{org_id}", response_model=OrganizationOut)
def update_organization(
    org_id: uuid.UUID, body: OrganizationFields, db: DbSession, actor: ApiActor
) -> Organization:
    return organizations.update_organization(
        db,
        actor,
        org_id,
        _values(body, {"confirm_duplicate"}, creating=False),
        confirm_duplicate=body.confirm_duplicate,
    )


@router.post("/organizations/{org_id}/merge", response_model=OrganizationOut)
def merge_organizations(
    org_id: uuid.UUID, body: MergeIn, db: DbSession, actor: ApiActor
) -> Organization:
    """Move every lead, contact, activity, share and partner user of `merge_id` here."""
    return organizations.merge_organizations(db, actor, org_id, body.merge_id)


@router.get("/contacts", response_model=Page[ContactOut])
def list_contacts(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    q: TextQuery | None = None,
    organization: uuid.UUID | None = None,
) -> Page[ContactOut]:
    rows, total = organizations.list_contacts(
        db, actor, q=q, organization_id=organization, limit=page.limit, offset=page.offset
    )
    return Page[ContactOut](
        items=[ContactOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
def create_contact(body: ContactIn, db: DbSession, actor: ApiActor) -> Contact:
    """Create a contact with its GDPR fields; consent needs its date and text version."""
    return organizations.create_contact(
        db,
        actor,
        _values(body, {"confirm_duplicate", "organization_id"}, creating=True),
        organization_id=body.organization_id,
        confirm_duplicate=body.confirm_duplicate,
    )


@router.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Contact:
    return organizations.get_contact(db, actor, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def update_contact(
    contact_id: uuid.UUID, body: ContactFields, db: DbSession, actor: ApiActor
) -> Contact:
    return organizations.update_contact(
        db,
        actor,
        contact_id,
        _values(body, {"confirm_duplicate", "organization_id"}, creating=False),
        organization_id=body.organization_id,
        confirm_duplicate=body.confirm_duplicate,
    )


@router.post("/contacts/{contact_id}/merge", response_model=ContactOut)
def merge_contacts(contact_id: uuid.UUID, body: MergeIn, db: DbSession, actor: ApiActor) -> Contact:
    return organizations.merge_contacts(db, actor, contact_id, body.merge_id)
