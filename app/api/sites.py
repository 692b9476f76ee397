"""Site offerings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.db.models import Site
from app.domain.sites import SiteKind, SiteStatus
from app.services import sites

router = APIRouter(tags=["sites"])


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
    latitude: float | None
    longitude: float | None
    area_ha: float | None
    available_power_mw: float | None
    last_verified_on: date | None
    updated_at: datetime


class SiteChanges(BaseModel):
    name_fi: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    description_fi: str | None = None
    description_en: str | None = None
    municipality_code: str | None = None


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    municipality: str | None = None,
    status: SiteStatus | None = None,
) -> Page[SiteOut]:
    rows, total = sites.list_sites(
        db,
        actor,
        municipality_code=municipality,
        status=status.value if status else None,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[SiteOut](
        items=[SiteOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Site:
    return sites.get_site(db, actor, site_id)


@router.patch("/sites/{site_id}", response_model=SiteOut)
def update_site(site_id: uuid.UUID, body: SiteChanges, db: DbSession, actor: ApiActor) -> Site:
    return sites.update_site(db, actor, site_id, body.model_dump(exclude_unset=True))
