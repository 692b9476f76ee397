"""Demo leads: the region's named leads, then synthetic ones spread over the stored
municipalities and industries, each walked through the stages to where it stands."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.db.models import Industry, Lead, LeadMunicipality, User
from app.demo.context import COORDINATOR_LOGIN, DemoContext
from app.demo.organizations import INVESTOR_COUNTRIES, investor_name
from app.demo.users import stored_municipalities
from app.domain.leads import CODE_NAME_WORDS, DEFAULT_STAGES, StageKind
from app.services.auth import actor_for
from app.services.leads import record_stage_change
from app.services.ledger import record_amounts

SYNTHETIC_LEADS = 36
SYNTHETIC_TYPES = (
    "greenfield_fdi",
    "expansion",
    "brownfield",
    "business_transfer",
    "capital_investment",
)
SYNTHETIC_SOURCES = ("portal_inquiry", "invest_in_finland", "partner", "event", "own_prospecting")


def _stage_path(target: str) -> list[str]:
    """The stages a lead walked through to reach `target`, in order."""
    open_codes = [s.code for s in DEFAULT_STAGES if s.kind is StageKind.OPEN]
    if target in open_codes:
        return open_codes[: open_codes.index(target) + 1]
    if target == "landed":
        return [*open_codes, "landed"]
    return [*open_codes[:3], target]


def _add_lead(
    ctx: DemoContext,
    *,
    code_name: str,
    created: datetime,
    stage: str,
    owner: User,
    municipality: str,
    **values: object,
) -> None:
    db = ctx.db
    if db.scalar(select(Lead.id).where(Lead.code_name == code_name)) is not None:
        return
    path = _stage_path(stage)
    lead = Lead(
        code_name=code_name, stage_code=path[0], owner_id=owner.id, created_at=created, **values
    )
    if stage == "landed":
        lead.landing_municipality_code = municipality
    db.add(lead)
    db.flush()
    db.add(LeadMunicipality(lead_id=lead.id, municipality_code=municipality))
    step = timedelta(days=21)
    for i, code in enumerate(path):
        record_stage_change(db, lead, code, actor_for(owner), at=created + i * step)
    lead.last_activity_at = lead.stage_changed_at
    record_amounts(db, lead, actor_for(owner), at=created)
    ctx.report.count("leads")


def _named_leads(ctx: DemoContext, owner: User) -> None:
    for named in ctx.data.leads:
        announced = named.announced_on is not None
        _add_lead(
            ctx,
            code_name=named.code_name,
            title=named.title,
            organization_id=ctx.organization(named.organization).id,
            industry_code=named.industry,
            investment_type=named.investment_type,
            origin_country=named.country,
            capex_eur=named.capex_eur,
            capex_basis="confirmed" if named.landed_on else "estimated",
            capex_status="realised"
            if named.landed_on
            else ("announced" if announced else "estimate"),
            announced_on=named.announced_on,
            confidentiality="public" if announced else "confidential",
            jobs=named.jobs,
            source=named.source,
            stage=named.stage,
            municipality=named.municipality,
            owner=owner,
            landed_on=named.landed_on,
            created=datetime(2021, 9, 1, 9, tzinfo=UTC),
            expected_decision_on=None if named.landed_on else date(2026, 6, 30),
        )
        # A project announced after its lead was stored becomes public knowledge.
        lead = ctx.db.scalar(select(Lead).where(Lead.code_name == named.code_name))
        if announced and lead is not None and lead.announced_on is None:
            lead.confidentiality, lead.announced_on = "public", named.announced_on


def _leaf_industries(ctx: DemoContext) -> list[str]:
    """The stored industries a new lead can name: active, without sub-industries."""
    industries = list(ctx.db.scalars(select(Industry).order_by(Industry.sort_order, Industry.code)))
    parents = {i.parent_code for i in industries}
    return [i.code for i in industries if i.code not in parents and i.active]


def _synthetic_leads(ctx: DemoContext, owner: User) -> None:
    municipalities = [m.code for m in stored_municipalities(ctx)]
    industries = _leaf_industries(ctx)
    if not municipalities or not industries:
        return
    rng = random.Random(2022)  # noqa: S311  (fixed seed: the same demo set everywhere)
    stages = [s.code for s in DEFAULT_STAGES]
    named = {lead.code_name for lead in ctx.data.leads}
    words = [w for w in CODE_NAME_WORDS if f"Project {w}" not in named]
    for i in range(SYNTHETIC_LEADS):
        stage = stages[i % len(stages)]
        industry = industries[i % len(industries)]
        capex = rng.choice([2, 5, 8, 12, 20, 35, 50, 80, 120]) * 1_000_000
        created = datetime(2022, 1, 10, 9, tzinfo=UTC) + timedelta(days=29 * i)
        landed_on = (created + timedelta(days=200)).date() if stage == "landed" else None
        _add_lead(
            ctx,
            code_name=f"Project {words[i]}",
            title=f"{industry.replace('_', ' ').capitalize()} investment #{i + 1}",
            organization_id=ctx.organization(investor_name(i % 12 + 1)).id,
            industry_code=industry,
            investment_type=SYNTHETIC_TYPES[i % len(SYNTHETIC_TYPES)],
            origin_country=INVESTOR_COUNTRIES[i % len(INVESTOR_COUNTRIES)],
            capex_eur=capex,
            capex_status="realised" if landed_on else "estimate",
            jobs=rng.randint(5, 120),
            source=SYNTHETIC_SOURCES[i % len(SYNTHETIC_SOURCES)],
            stage=stage,
            municipality=municipalities[i % len(municipalities)],
            owner=owner,
            landed_on=landed_on,
            created=created,
            lost_reason_code="chose_other_country" if stage == "lost" else None,
            expected_decision_on=None if landed_on else date(2026, 1 + i % 12, 1),
        )


def load(ctx: DemoContext) -> None:
    owner = ctx.user(COORDINATOR_LOGIN)
    if owner is None:
        return
    _named_leads(ctx, owner)
    _synthetic_leads(ctx, owner)
