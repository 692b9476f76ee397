"""What each role sees first on its home page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import InvestmentTarget, Lead, Municipality, Site, Stage
from app.domain.access import Actor, Role
from app.domain.sites import SiteStatus
from app.services import targets
from app.services.scope import leads_in_reports, leads_visible_to, sites_visible_to


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    count: int
    capex_eur: int


@dataclass(frozen=True)
class TargetRow:
    target: InvestmentTarget
    realised_eur: int
    forecast_eur: int

    @property
    def percent(self) -> int | None:
        """Share of the euro target realised; None for a target set in jobs only."""
        if not self.target.amount_eur:
            return None
        return min(100, round(100 * self.realised_eur / self.target.amount_eur))


@dataclass
class HomeSummary:
    role: Role
    municipality: Municipality | None = None
    stages: list[StageRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    sites_by_status: dict[str, int] = field(default_factory=dict)
    recent_leads: list[Lead] = field(default_factory=list)


def _stage_rows(db: Session, actor: Actor) -> list[StageRow]:
    counts = {
        code: (n, capex or 0)
        for code, n, capex in db.execute(
            select(Lead.stage_code, func.count(), func.sum(Lead.capex_eur))
            .where(leads_in_reports(actor))
            .group_by(Lead.stage_code)
        )
    }
    stages = db.scalars(select(Stage).where(Stage.active).order_by(Stage.sort_order))
    return [StageRow(s, *counts.get(s.code, (0, 0))) for s in stages]


def _target_rows(db: Session, actor: Actor, today: date) -> list[TargetRow]:
    """Current and recent targets, with figures from the target ledger itself so the
    home page and the forum report never disagree."""
    rows = []
    for target in db.scalars(
        select(InvestmentTarget)
        .where(InvestmentTarget.period_end >= date(today.year - 1, 1, 1))
        .order_by(InvestmentTarget.period_start)
    ):
        _, figures = targets.progress(db, actor, target.id, as_of=today, today=today)
        rows.append(TargetRow(target, figures.totals.realised.total, figures.totals.forecast.total))
    return rows


def _sites_by_status(db: Session, actor: Actor) -> dict[str, int]:
    query = select(Site.status, func.count()).where(sites_visible_to(actor))
    if actor.role is Role.MUNICIPAL_CONTACT:
        query = query.where(Site.municipality_code == actor.municipality_code)
    return {status: n for status, n in db.execute(query.group_by(Site.status))}


def home_summary(db: Session, actor: Actor, today: date) -> HomeSummary:
    summary = HomeSummary(role=actor.role)
    if actor.municipality_code:
        summary.municipality = db.get(Municipality, actor.municipality_code)
    if actor.role in (Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER):
        summary.stages = _stage_rows(db, actor)
        summary.targets = _target_rows(db, actor, today)
    if actor.role in (Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT):
        summary.sites_by_status = _sites_by_status(db, actor)
    if actor.role in (Role.MUNICIPAL_CONTACT, Role.PARTNER, Role.COORDINATOR):
        summary.recent_leads = list(
            db.scalars(
                select(Lead)
                .where(leads_visible_to(actor))
                .order_by(Lead.updated_at.desc(), Lead.id)
                .limit(10)
            )
        )
    return summary


SITE_STATUS_ORDER = [s.value for s in SiteStatus]
