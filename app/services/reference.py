"""Idempotent seeding of reference data: inserts what is missing, never overwrites edits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Industry, InvestmentTarget, LostReason, Municipality, Stage
from app.domain.leads import DEFAULT_LOST_REASONS, DEFAULT_STAGES
from app.domain.reference import KEY_INDUSTRIES, MUNICIPALITIES, STRATEGY_TARGET


def ensure_reference_data(db: Session) -> int:
    """Insert missing municipalities, industries, stages, lost reasons and the strategy
    target. Returns how many rows were added; commits."""
    added = 0
    known = set(db.scalars(select(Municipality.code)))
    for m in MUNICIPALITIES:
        if m.code not in known:
            db.add(
                Municipality(
                    code=m.code,
                    slug=m.slug,
                    name_fi=m.name_fi,
                    name_sv=m.name_sv,
                    name_en=m.name_en,
                    website_url=m.website_url,
                )
            )
            added += 1
    known = set(db.scalars(select(Industry.code)))
    for order, ind in enumerate(KEY_INDUSTRIES):
        if ind.code not in known:
            db.add(
                Industry(
                    code=ind.code,
                    parent_code=ind.parent_code,
                    name_fi=ind.name_fi,
                    name_en=ind.name_en,
                    nace_codes=list(ind.nace_codes),
                    counts_as_industrial=ind.counts_as_industrial,
                    sort_order=order,
                )
            )
            added += 1
    db.flush()  # parents before children, municipalities before anything naming them
    known = set(db.scalars(select(Stage.code)))
    for stage in DEFAULT_STAGES:
        if stage.code not in known:
            db.add(
                Stage(
                    code=stage.code,
                    name_fi=stage.name_fi,
                    name_en=stage.name_en,
                    default_probability=stage.default_probability,
                    kind=stage.kind.value,
                    sort_order=stage.sort_order,
                    decision=stage.decision,
                )
            )
            added += 1
    known = set(db.scalars(select(LostReason.code)))
    for order, (code, name_fi, name_en) in enumerate(DEFAULT_LOST_REASONS):
        if code not in known:
            db.add(LostReason(code=code, name_fi=name_fi, name_en=name_en, sort_order=order))
            added += 1
    if (
        db.scalar(
            select(InvestmentTarget.id).where(
                InvestmentTarget.period_start == STRATEGY_TARGET.period_start,
                InvestmentTarget.scope == STRATEGY_TARGET.scope,
            )
        )
        is None
    ):
        t = STRATEGY_TARGET
        db.add(
            InvestmentTarget(
                name=t.name,
                amount_eur=t.amount_eur,
                period_start=t.period_start,
                period_end=t.period_end,
                scope=t.scope,
            )
        )
        added += 1
    db.commit()
    return added


def municipality_choices(db: Session) -> list[Municipality]:
    """The municipalities in Finnish alphabetical order (forms and the API)."""
    return list(db.scalars(select(Municipality).order_by(Municipality.name_fi)))


def industry_choices(db: Session, *, active_only: bool = False) -> list[Industry]:
    query = select(Industry).order_by(Industry.sort_order, Industry.code)
    if active_only:
        query = query.where(Industry.active.is_(True))
    return list(db.scalars(query))
