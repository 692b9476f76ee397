"""Reference data: municipalities and key industries (targets live in targets.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.api.deps import ApiActor, DbSession
from app.db.models import Industry, Municipality
from app.services import reference

router = APIRouter(tags=["reference"])


class MunicipalityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    slug: str
    name_fi: str
    name_sv: str
    name_en: str
    region_code: str
    website_url: str | None


class IndustryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    parent_code: str | None
    name_fi: str
    name_en: str
    nace_codes: list[str]
    nace_version: str
    active: bool


@router.get("/municipalities", response_model=list[MunicipalityOut])
def list_municipalities(db: DbSession, _actor: ApiActor) -> list[Municipality]:
    return reference.municipality_choices(db)


@router.get("/industries", response_model=list[IndustryOut])
def list_industries(db: DbSession, _actor: ApiActor) -> list[Industry]:
    return reference.industry_choices(db)
