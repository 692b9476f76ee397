"""Sites ranked for a lead's requirement profile, with the reasons for each score."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.deps import ApiActor, DbSession
from app.domain.matching import Outcome
from app.domain.sites import SiteKind, SiteStatus
from app.services.matching import matching_sites

router = APIRouter(tags=["matching"])


class CriterionOut(BaseModel):
    criterion: str
    outcome: Outcome
    weight: int
    explanation_fi: str
    explanation_sv: str
    explanation_en: str


class SiteMatchOut(BaseModel):
    site_id: uuid.UUID
    slug: str
    name_fi: str
    name_en: str | None
    municipality_code: str
    kind: SiteKind
    status: SiteStatus
    score: int
    met: list[str]
    missed: list[str]
    unknown: list[str]
    criteria: list[CriterionOut]


class MatchingOut(BaseModel):
    lead_id: uuid.UUID
    ignored_requirements: list[str]
    items: list[SiteMatchOut]


@router.get("/leads/{lead_id}/matching-sites", response_model=MatchingOut)
def lead_matching_sites(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> MatchingOut:
    matching = matching_sites(db, actor, lead_id)
    return MatchingOut(
        lead_id=matching.lead.id,
        ignored_requirements=matching.ignored,
        items=[
            SiteMatchOut(
                site_id=m.site.id,
                slug=m.site.slug,
                name_fi=m.site.name_fi,
                name_en=m.site.name_en,
                municipality_code=m.site.municipality_code,
                kind=SiteKind(m.site.kind),
                status=SiteStatus(m.site.status),
                score=m.result.score,
                met=list(m.result.by_outcome(Outcome.MET)),
                missed=list(m.result.by_outcome(Outcome.MISSED)),
                unknown=list(m.result.by_outcome(Outcome.UNKNOWN)),
                criteria=[
                    CriterionOut(
                        criterion=c.criterion,
                        outcome=c.outcome,
                        weight=c.weight,
                        explanation_fi=c.explanation("fi"),
                        explanation_sv=c.explanation("sv"),
                        explanation_en=c.explanation("en"),
                    )
                    for c in m.result.criteria
                ],
            )
            for m in matching.matches
        ],
    )
