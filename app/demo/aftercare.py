"""Aftercare accounts for the landed named leads and the region's local companies, and
capital investors; skipped if any account exists."""

from __future__ import annotations

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.models import (
    AftercareAccount,
    AftercareLead,
    CapitalInvestor,
    Lead,
    Organization,
    Stage,
)
from app.demo.context import DemoContext
from app.domain.access import SYSTEM_ACTOR
from app.domain.leads import StageKind
from app.domain.organizations import normalise_org_name
from app.services.aftercare import create_account, open_for_landed_lead
from app.services.auth import actor_for


def load(ctx: DemoContext) -> None:
    db = ctx.db
    if db.scalar(select(AftercareAccount.id).limit(1)) is not None:
        return
    coordinator = ctx.coordinator()
    if coordinator is None:
        return
    bind_actor(db, SYSTEM_ACTOR)
    actor = actor_for(coordinator)
    won = select(Stage.code).where(Stage.kind == StageKind.WON.value)
    landed = [lead.code_name for lead in ctx.data.leads if lead.landed_on is not None]
    for lead in db.scalars(
        select(Lead).where(Lead.stage_code.in_(won), Lead.code_name.in_(landed))
    ):
        if open_for_landed_lead(db, actor, lead) is not None:
            ctx.report.count("aftercare accounts")
    for demo in ctx.data.aftercare_accounts:
        account = create_account(
            db,
            actor,
            {
                "kind": demo.kind,
                "municipality_code": demo.municipality,
                "checkin_months": str(demo.checkin_months),
                "notes": demo.notes,
            },
            organization_id=ctx.organization(demo.organization).id,
            owner_id=coordinator.id,
        )
        ctx.report.count("aftercare accounts")
        linked = (
            db.scalar(select(Lead.id).where(Lead.code_name == demo.lead)) if demo.lead else None
        )
        if linked is not None:
            db.add(AftercareLead(lead_id=linked, account_id=account.id))
    for investor in ctx.data.capital_investors:
        org = db.scalar(select(Organization).where(Organization.name == investor.name))
        if org is None:
            org = Organization(
                name=investor.name,
                name_key=normalise_org_name(investor.name),
                type="investor",
                country="FI",
            )
            db.add(org)
            db.flush()
        low, high = investor.ticket_eur
        db.add(
            CapitalInvestor(
                organization_id=org.id,
                industry_codes=investor.industries,
                ticket_min_eur=low,
                ticket_max_eur=high,
                stages=investor.stages,
                countries=investor.countries,
            )
        )
        ctx.report.count("capital investors")
    db.flush()
