"""Site offerings: CRUD, the publish workflow, versions, attachments, the review queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, AppSettings, DbSession
from app.api.openapi import file_responses
from app.api.pagination import Page, PageParamsDep
from app.api.types import (
    FiniteFloat,
    Int32,
    Int64,
    MultilineText,
    SafeDate,
    Text,
    TextQuery,
    omittable,
)
from app.db.models import Site, SiteAttachment, SiteVersion
from app.domain.access import Actor
from app.domain.packages import AttachmentKind, PackageLimits
from app.domain.sites import (
    Ownership,
    PermitStatus,
    SiteDraft,
    SiteKind,
    SiteStatus,
    Tenure,
    ZoningStatus,
)
from app.i18n import UiLanguage, negotiate_language
from app.services import site_revisions, sites
from app.storage import Storage, storage_for

router = APIRouter(tags=["sites"])


def get_storage(settings: AppSettings) -> Storage:
    return storage_for(settings)


StorageDep = Annotated[Storage, Depends(get_storage)]


def request_lang(request: Request) -> UiLanguage:
    """Messages in the caller's language (Accept-Language), English by default."""
    header = request.headers.get("accept-language")
    return negotiate_language(header) if header else "en"


class GeoJSONPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[tuple[FiniteFloat, FiniteFloat]]] = Field(max_length=50)


class SiteFields(BaseModel):
    """Every editable field; in a PATCH only the fields sent are changed."""

    kind: SiteKind = omittable()
    name_fi: Text = omittable(max_length=200)
    name_en: Text | None = Field(default=None, max_length=200)
    description_fi: MultilineText | None = None
    description_en: MultilineText | None = None
    municipality_code: Text | None = None
    address: Text | None = None
    latitude: FiniteFloat | None = None
    longitude: FiniteFloat | None = None
    polygon: GeoJSONPolygon | None = None
    area_ha: Decimal | None = None
    area_m2: Decimal | None = None
    floor_area_m2: Decimal | None = None
    zoning_status: ZoningStatus | None = None
    permitted_use: MultilineText | None = None
    ownership: Ownership | None = None
    tenure: Tenure | None = None
    price_eur: Int64 | None = None
    price_terms: MultilineText | None = None
    available_from: SafeDate | None = None
    grid_connection: bool | None = None
    available_power_mw: Decimal | None = None
    substation_110kv_km: Decimal | None = None
    substation_400kv_km: Decimal | None = None
    water_m3_per_day: Decimal | None = None
    wastewater_m3_per_day: Decimal | None = None
    district_heat: bool | None = None
    gas: bool | None = None
    rail_siding: bool | None = None
    road_km: Decimal | None = None
    airport_km: Decimal | None = None
    port_km: Decimal | None = None
    fibre: bool | None = None
    environmental_permit: PermitStatus | None = None
    industry_codes: list[Text] | None = None
    contact_name: Text | None = None
    contact_email: Text | None = None
    contact_phone: Text | None = None
    external_ref: Text | None = None
    last_verified_on: SafeDate | None = None

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True)
        if "polygon" in values:
            polygon = self.polygon
            values["polygon"] = (
                tuple(tuple(point for point in ring) for ring in polygon.coordinates)
                if polygon
                else None
            )
        if "industry_codes" in values:
            values["industry_codes"] = tuple(values["industry_codes"] or ())
        return values


class SiteIn(SiteFields):
    kind: SiteKind
    name_fi: Text = Field(min_length=1, max_length=200)
    municipality_code: Text


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    slug: str
    municipality_code: str
    external_ref: str | None
    kind: SiteKind
    status: SiteStatus
    version: int
    name_fi: str
    name_en: str | None
    description_fi: str | None
    description_en: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    polygon: dict[str, Any] | None
    area_ha: float | None
    area_m2: float | None
    floor_area_m2: float | None
    zoning_status: ZoningStatus | None
    permitted_use: str | None
    ownership: Ownership | None
    tenure: Tenure | None
    price_eur: int | None
    price_terms: str | None
    available_from: date | None
    grid_connection: bool | None
    available_power_mw: float | None
    substation_110kv_km: float | None
    substation_400kv_km: float | None
    water_m3_per_day: float | None
    wastewater_m3_per_day: float | None
    district_heat: bool | None
    gas: bool | None
    rail_siding: bool | None
    road_km: float | None
    airport_km: float | None
    port_km: float | None
    fibre: bool | None
    environmental_permit: PermitStatus | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    last_verified_on: date | None
    submitted_at: datetime | None
    published_at: datetime | None
    review_comment: str | None
    public_changed_at: datetime | None
    stale_flagged_at: datetime | None
    expired_at: datetime | None
    updated_at: datetime
    industry_codes: list[str] = []
    # The open revision of a published site, for those who work on its municipality:
    # a PATCH by the municipality returns the published site with the revision it made.
    pending_revision: RevisionOut | None = None


class FieldChangeOut(BaseModel):
    field: str
    published: Any
    proposed: Any


class RevisionFileOut(BaseModel):
    id: uuid.UUID
    kind: AttachmentKind
    filename: str
    title_fi: str | None


class RevisionOut(BaseModel):
    """A proposed change of a published site and its diff against the published version
    (values in the same form as the site's fields)."""

    id: uuid.UUID
    site_id: uuid.UUID
    site_name_fi: str
    municipality_code: str
    status: Literal["pending", "returned"]
    number: int
    base_version: int
    published_version: int
    stale: bool
    proposed_by: str
    submitted_at: datetime
    review_comment: str | None
    reviewed_at: datetime | None
    changes: list[FieldChangeOut]
    attachments_added: list[RevisionFileOut]
    attachments_removed: list[RevisionFileOut]


class ReviewIn(BaseModel):
    # The revision's `number` the reviewer looked at: refused if it changed since.
    number: Int32 | None = None
    comment: MultilineText | None = Field(default=None, max_length=4000)


class WorkflowIn(BaseModel):
    comment: MultilineText | None = Field(default=None, max_length=4000)


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    action: str
    at: datetime
    actor_label: str
    comment: str | None
    snapshot: dict[str, Any]


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    site_id: uuid.UUID
    kind: AttachmentKind
    title_fi: str | None
    title_en: str | None
    sort_order: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    width: int | None
    height: int | None
    has_thumbnail: bool
    created_at: datetime

    @classmethod
    def of(cls, attachment: SiteAttachment) -> AttachmentOut:
        return cls.model_validate(
            {
                **{k: getattr(attachment, k) for k in cls.model_fields if k != "has_thumbnail"},
                "has_thumbnail": attachment.thumbnail_key is not None,
            }
        )


class AttachmentChanges(BaseModel):
    kind: AttachmentKind | None = None
    title_fi: Text | None = Field(default=None, max_length=200)
    title_en: Text | None = Field(default=None, max_length=200)
    sort_order: Int32 | None = Field(default=None, ge=0, le=10_000)


def _file_out(attachment: SiteAttachment) -> RevisionFileOut:
    return RevisionFileOut(
        id=attachment.id,
        kind=AttachmentKind(attachment.kind),
        filename=attachment.filename,
        title_fi=attachment.title_fi,
    )


def revision_out(view: site_revisions.RevisionView) -> RevisionOut:
    revision, site = view.revision, view.site
    return RevisionOut(
        id=revision.id,
        site_id=site.id,
        site_name_fi=site.name_fi,
        municipality_code=site.municipality_code,
        status="returned" if revision.status == site_revisions.RETURNED else "pending",
        number=revision.number,
        base_version=revision.base_version,
        published_version=site.version,
        stale=view.stale,
        proposed_by=view.proposed_by,
        submitted_at=revision.submitted_at,
        review_comment=revision.review_comment,
        reviewed_at=revision.reviewed_at,
        changes=[
            FieldChangeOut(
                field=c.field,
                published=site_revisions.encode(c.field, c.old),
                proposed=site_revisions.encode(c.field, c.new),
            )
            for c in view.changes
        ],
        attachments_added=[_file_out(a) for a in view.added],
        attachments_removed=[_file_out(a) for a in view.removed],
    )


def site_out(site: Site, codes: list[str]) -> SiteOut:
    out = SiteOut.model_validate(site)
    out.industry_codes = codes
    return out


def _out(db: DbSession, site: Site, actor: Actor | None = None) -> SiteOut:
    out = site_out(site, sites.industry_codes_of(db, [site.id])[site.id])
    if actor is not None:
        view = site_revisions.site_revision(db, actor, site)
        out.pending_revision = revision_out(view) if view else None
    return out


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    municipality: TextQuery | None = None,
    status: SiteStatus | None = None,
    kind: SiteKind | None = None,
    q: TextQuery | None = None,
    needs_verification: bool = False,
) -> Page[SiteOut]:
    rows, total = sites.list_sites(
        db,
        actor,
        municipality_code=municipality,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        q=q,
        needs_verification=needs_verification,
        limit=page.limit,
        offset=page.offset,
    )
    codes = sites.industry_codes_of(db, [r.id for r in rows])
    return Page[SiteOut](
        items=[site_out(r, codes[r.id]) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(body: SiteIn, db: DbSession, actor: ApiActor) -> SiteOut:
    site = sites.create_site(db, actor, SiteDraft(**body.changes()))
    return _out(db, site)


@router.get("/sites/review-queue", response_model=list[SiteOut])
def review_queue(db: DbSession, actor: ApiActor) -> list[SiteOut]:
    rows = sites.review_queue(db, actor)
    codes = sites.industry_codes_of(db, [r.id for r in rows])
    return [site_out(r, codes[r.id]) for r in rows]


@router.get("/site-revisions", response_model=list[RevisionOut])
def pending_revisions(db: DbSession, actor: ApiActor) -> list[RevisionOut]:
    """Changes of published sites waiting for review, oldest first (coordinator)."""
    return [revision_out(view) for view in site_revisions.pending_revisions(db, actor)]


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> SiteOut:
    return _out(db, sites.get_site(db, actor, site_id), actor)


@router.patch(
    "/sites/{site_id}",
    response_model=SiteOut,
    responses={202: {"description": "The change waits for review: `pending_revision`"}},
)
def update_site(
    site_id: uuid.UUID, body: SiteFields, db: DbSession, actor: ApiActor, response: Response
) -> SiteOut:
    """Change a site. A municipal contact's change of a published site is not applied:
    it becomes the site's pending revision (202, in `pending_revision`), and the site
    stays as published until the coordinator approves it."""
    outcome = sites.edit_site(db, actor, site_id, body.changes())
    if outcome.revision is not None:
        response.status_code = 202
    return _out(db, outcome.site, actor)


@router.get("/sites/{site_id}/revision", response_model=RevisionOut)
def site_revision(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> RevisionOut:
    return revision_out(site_revisions.get_site_revision(db, actor, site_id))


@router.post("/sites/{site_id}/revision/approve", response_model=SiteOut)
def approve_revision(
    site_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    storage: StorageDep,
    body: ReviewIn | None = None,
) -> SiteOut:
    """The revision becomes the published version (coordinator). 409 when the published
    site or the revision changed since (`number`)."""
    site = site_revisions.approve(db, actor, storage, site_id, seen=body.number if body else None)
    return _out(db, site, actor)


@router.post("/sites/{site_id}/revision/return", response_model=RevisionOut)
def return_revision(
    site_id: uuid.UUID, body: ReviewIn, db: DbSession, actor: ApiActor
) -> RevisionOut:
    """Back to the municipality with a comment (required); the published site stays."""
    site_revisions.return_revision(db, actor, site_id, body.comment, seen=body.number)
    return revision_out(site_revisions.get_site_revision(db, actor, site_id))


@router.delete("/sites/{site_id}/revision", status_code=204)
def discard_revision(
    site_id: uuid.UUID, db: DbSession, actor: ApiActor, storage: StorageDep
) -> Response:
    """The municipality withdraws its proposed change (and the files it added)."""
    site_revisions.discard(db, actor, storage, site_id)
    return Response(status_code=204)


@router.post("/sites/{site_id}/verify", response_model=SiteOut)
def verify_site(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> SiteOut:
    return _out(db, sites.verify_site(db, actor, site_id), actor)


@router.get("/sites/{site_id}/versions", response_model=list[VersionOut])
def site_versions(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[SiteVersion]:
    return sites.site_versions(db, actor, site_id)


@router.get("/sites/{site_id}/attachments", response_model=list[AttachmentOut])
def list_attachments(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[AttachmentOut]:
    return [AttachmentOut.of(a) for a in sites.list_attachments(db, actor, site_id)]


@router.post("/sites/{site_id}/attachments", response_model=AttachmentOut, status_code=201)
async def add_attachment(
    site_id: uuid.UUID,
    request: Request,
    db: DbSession,
    actor: ApiActor,
    storage: StorageDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[AttachmentKind | None, Form()] = None,
    title_fi: Annotated[str | None, Form(max_length=200)] = None,
    title_en: Annotated[str | None, Form(max_length=200)] = None,
) -> AttachmentOut:
    data = await read_limited(file, PackageLimits().max_file_bytes)
    attachment = sites.add_attachment(
        db,
        actor,
        storage,
        site_id,
        filename=file.filename or "attachment",
        data=data,
        kind=kind,
        title_fi=title_fi,
        title_en=title_en,
        lang=request_lang(request),
    )
    return AttachmentOut.of(attachment)


async def read_limited(file: UploadFile, limit: int) -> bytes:
    """At most `limit` + 1 bytes: enough for the size check to refuse, never more."""
    return await file.read(limit + 1)


@router.patch("/sites/{site_id}/attachments/{attachment_id}", response_model=AttachmentOut)
def update_attachment(
    site_id: uuid.UUID,
    attachment_id: uuid.UUID,
    body: AttachmentChanges,
    db: DbSession,
    actor: ApiActor,
) -> AttachmentOut:
    attachment = sites.update_attachment(
        db, actor, site_id, attachment_id, body.model_dump(exclude_unset=True)
    )
    return AttachmentOut.of(attachment)


@router.delete("/sites/{site_id}/attachments/{attachment_id}", status_code=204)
def delete_attachment(
    site_id: uuid.UUID,
    attachment_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    storage: StorageDep,
) -> Response:
    sites.delete_attachment(db, actor, storage, site_id, attachment_id)
    return Response(status_code=204)


# What an attachment can be: the package checks sniff these from the content.
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def file_response(data: bytes, content_type: str, filename: str) -> Response:
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, max-age=300",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'none'",
        },
    )


@router.get(
    "/sites/{site_id}/attachments/{attachment_id}/content",
    response_class=Response,
    responses=file_responses(
        *ATTACHMENT_TYPES, description="The file; a thumbnail is always a JPEG"
    ),
)
def attachment_content(
    site_id: uuid.UUID,
    attachment_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    storage: StorageDep,
    settings: AppSettings,
    thumbnail: bool = False,
) -> Response:
    attachment, data, content_type = sites.attachment_file(
        db, actor, storage, settings, attachment_id, site_id=site_id, thumbnail=thumbnail
    )
    return file_response(data, content_type, attachment.filename)


# Last: the catch-all action segment must not shadow /attachments.
@router.post("/sites/{site_id}/{action}", response_model=SiteOut)
def transition_site(
    site_id: uuid.UUID,
    action: Literal["submit", "publish", "return", "withdraw", "archive", "reopen"],
    db: DbSession,
    actor: ApiActor,
    body: WorkflowIn | None = None,
) -> SiteOut:
    site = sites.transition_site(
        db,
        actor,
        site_id,
        action,
        comment=body.comment if body else None,
    )
    return _out(db, site)


SiteOut.model_rebuild()
