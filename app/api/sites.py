"""Site offerings: CRUD, the publish workflow, versions, attachments, the review queue."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

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
from app.domain.site_fields import SITE_FIELDS, FieldType, SiteField
from app.domain.sites import (
    SiteDraft,
    SiteKind,
    SiteStatus,
)
from app.i18n import negotiate_language
from app.services import site_revisions, sites
from app.storage import Storage, storage_for

router = APIRouter(tags=["sites"])


def get_storage(settings: AppSettings) -> Storage:
    return storage_for(settings)


StorageDep = Annotated[Storage, Depends(get_storage)]


def request_lang(request: Request) -> str:
    """Messages in the caller's language (Accept-Language), English by default."""
    header = request.headers.get("accept-language")
    return negotiate_language(header) if header else "en"


class GeoJSONPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[tuple[FiniteFloat, FiniteFloat]]] = Field(max_length=50)


# The schemas' types of each kind of site field: as sent, and as answered.
_SENT: Final[Mapping[FieldType, Any]] = {
    FieldType.TEXT: Text,
    FieldType.MULTILINE: MultilineText,
    FieldType.DECIMAL: Decimal,
    FieldType.INTEGER: Int64,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: SafeDate,
    FieldType.MUNICIPALITY: Text,
    FieldType.COORDINATE: FiniteFloat,
    FieldType.POLYGON: GeoJSONPolygon,
    FieldType.CODES: list[Text],
}
_ANSWERED: Final[Mapping[FieldType, Any]] = {
    FieldType.TEXT: str,
    FieldType.MULTILINE: str,
    FieldType.DECIMAL: float,
    FieldType.INTEGER: int,
    FieldType.BOOLEAN: bool,
    FieldType.DATE: date,
    FieldType.MUNICIPALITY: str,
    FieldType.COORDINATE: float,
    FieldType.POLYGON: dict[str, Any],
    FieldType.CODES: list[str],
}


def _type_of(site_field: SiteField, types: Mapping[FieldType, Any]) -> Any:
    return site_field.choices if site_field.choices is not None else types[site_field.value_type]


def _limits(site_field: SiteField) -> dict[str, Any]:
    return {"max_length": site_field.schema_max_length} if site_field.schema_max_length else {}


def _sent(site_field: SiteField) -> tuple[Any, Any]:
    """A PATCH field: a required one may be left out but not set to null."""
    if site_field.required:
        return _type_of(site_field, _SENT), omittable(**_limits(site_field))
    return _type_of(site_field, _SENT) | None, Field(default=None, **_limits(site_field))


def _required(site_field: SiteField) -> tuple[Any, Any]:
    """A field a new site cannot be without; text of it is not empty."""
    text = site_field.value_type in (FieldType.TEXT, FieldType.MUNICIPALITY)
    return _type_of(site_field, _SENT), Field(min_length=1 if text else None, **_limits(site_field))


def _answered(site_field: SiteField) -> tuple[Any, Any]:
    answered = _type_of(site_field, _ANSWERED)
    if site_field.value_type == FieldType.CODES:
        return answered, []
    return (answered, ...) if site_field.required else (answered | None, ...)


class SiteFieldsBase(BaseModel):
    """Every editable field; in a PATCH only the fields sent are changed."""

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True)
        if "polygon" in values:
            polygon = values["polygon"]
            values["polygon"] = (
                tuple(tuple(point for point in ring) for ring in polygon["coordinates"])
                if polygon
                else None
            )
        if "industry_codes" in values:
            values["industry_codes"] = tuple(values["industry_codes"] or ())
        return values


class SiteOutBase(BaseModel):
    """A site as answered: its fields (added from their definition) and its state."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    slug: str
    status: SiteStatus
    version: int
    submitted_at: datetime | None
    published_at: datetime | None
    review_comment: str | None
    public_changed_at: datetime | None
    stale_flagged_at: datetime | None
    expired_at: datetime | None
    updated_at: datetime
    # The open revision of a published site, for those who work on its municipality:
    # a PATCH by the municipality returns the published site with the revision it made.
    pending_revision: RevisionOut | None = None


def site_schemas(
    site_fields: Sequence[SiteField],
) -> tuple[type[SiteFieldsBase], type[SiteFieldsBase], type[SiteOutBase]]:
    """The PATCH body, the POST body and the answer, with a field for each of
    `site_fields`."""
    sent: dict[str, Any] = {f.name: _sent(f) for f in site_fields}
    required: dict[str, Any] = {f.name: _required(f) for f in site_fields if f.required}
    answered: dict[str, Any] = {f.name: _answered(f) for f in site_fields}
    patch = create_model("SiteFields", __base__=SiteFieldsBase, **sent)
    new = create_model("SiteIn", __base__=patch, **required)
    answer = create_model("SiteOut", __base__=SiteOutBase, **answered)
    return patch, new, answer


# The schemas carry the fields of app/domain/site_fields.py, so a field defined there is
# in the API too. The type checker sees their bases, which hold all the code uses.
if TYPE_CHECKING:
    SiteFields = SiteFieldsBase
    SiteIn = SiteFieldsBase
    SiteOut = SiteOutBase
else:
    SiteFields, SiteIn, SiteOut = site_schemas(SITE_FIELDS)


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
    return SiteOut.model_validate(site).model_copy(update={"industry_codes": codes})


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
