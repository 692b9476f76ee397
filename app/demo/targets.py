"""The next programme period's investment target, as a coordinator would add it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.db.models import InvestmentTarget
from app.demo.context import DemoContext
from app.domain.access import SYSTEM_ACTOR
from app.domain.targets import TargetInput, TargetScope
from app.services.targets import create_target


def load(ctx: DemoContext) -> None:
    target = TargetInput(
        name=f"Demo: {ctx.region.display_name('fi')} 2026–2029, kaikki investoinnit",
        amount_eur=1_500_000_000,
        period_start=date(2026, 1, 1),
        period_end=date(2029, 12, 31),
        scope=TargetScope.ALL,
    )
    exists_already = ctx.db.scalar(
        select(InvestmentTarget.id).where(InvestmentTarget.name == target.name)
    )
    if exists_already is None:
        create_target(ctx.db, SYSTEM_ACTOR, target)
        ctx.report.count("investment targets")
