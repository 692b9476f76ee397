"""Aftercare accounts (visits, issues, expansion leads), the existing-investor report
and the capital investors register with its matches for a lead."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.leads import LeadOut
from app.api.pagination import Page, PageParamsDep
from app.api.types import Int64, MultilineText, SafeDate, Text, TextQuery
from app.db.models import AftercareIssue, AftercareVisit, CapitalInvestor
from app.domain.aftercare import AccountKind, CapitalStage, IssueCategory, IssueStatus
from app.domain.errors import NotFound
from app.i18n import UiLanguage
from app.services import aftercare, leads, reference, targets

router = APIRouter(tags=["aftercare"])

Cadence = Literal[3, 6, 12]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: uuid.UUID | None = Field(
        default=None, description="An organisation of the register (coordinator)"
    )
    organization_name: Text | None = Field(
        default=None, max_length=200, description="Or a company new to the register"
    )
    kind: AccountKind
    municipality_code: Text
    owner_id: uuid.UUID | None = Field(default=None, description="Default: you")
    checkin_months: Cadence | None = Field(default=None, description="Check-in cadence")
    notes: MultilineText | None = None


class AccountChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AccountKind | None = None
    municipality_code: Text | None = None
    owner_id: uuid.UUID | None = None
    checkin_months: Cadence | None = Field(default=None, description="null: no plan")
    notes: MultilineText | None = None


class AccountOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    kind: AccountKind
    municipality_code: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    checkin_months: int | None
    next_checkin_on: date | None
    open_issues: int


class InvestmentOut(BaseModel):
    lead_id: uuid.UUID
    code_name: str
    landed_on: date | None
    landing_municipality_code: str | None
    realised_eur: int | None = Field(description="The realised capex of the amount ledger")


class ExpansionOut(BaseModel):
    lead_id: uuid.UUID
    code_name: str
    stage_code: str
    capex_eur: int | None


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_on: SafeDate
    notes: MultilineText


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    visited_on: date
    notes: str
    recorded_by_id: uuid.UUID | None


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: IssueCategory
    title: Text = Field(max_length=200)
    description: MultilineText | None = None
    owner_id: uuid.UUID | None = Field(default=None, description="Default: the account's owner")


class IssueChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: IssueCategory | None = None
    title: Text | None = Field(default=None, max_length=200)
    description: MultilineText | None = None
    status: IssueStatus | None = None
    resolution: MultilineText | None = None
    owner_id: uuid.UUID | None = None


class IssueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    category: IssueCategory
    title: str
    description: str | None
    status: IssueStatus
    owner_id: uuid.UUID | None
    resolved_at: datetime | None
    resolution: str | None


class AccountDetailOut(AccountOut):
    notes: str | None
    realised_total_eur: int
    investments: list[InvestmentOut]
    expansions: list[ExpansionOut]
    visits: list[VisitOut]
    issues: list[IssueOut]


class ExpansionIn(BaseModel):
    """A new expansion lead; what is left out comes from the account."""

    model_config = ConfigDict(extra="forbid")
    title: Text | None = Field(default=None, max_length=200)
    code_name: Text | None = Field(default=None, max_length=80)
    description: MultilineText | None = None
    industry_code: Text | None = None
    capex_eur: Int64 | None = Field(default=None, ge=0)
    jobs: int | None = Field(default=None, ge=0, le=2_147_483_647)
    expected_decision_on: SafeDate | None = None
    municipality_codes: list[Text] | None = None


def _account_out(row: aftercare.AccountRow) -> AccountOut:
    a = row.account
    return AccountOut(
        id=a.id,
        organization_id=a.organization_id,
        organization_name=row.organization_name,
        kind=AccountKind(a.kind),
        municipality_code=a.municipality_code,
        owner_id=a.owner_id,
        owner_name=row.owner_name,
        checkin_months=a.checkin_months,
        next_checkin_on=row.next_checkin_on,
        open_issues=row.open_issues,
    )


def _detail(db: DbSession, actor: ApiActor, account_id: uuid.UUID) -> AccountDetailOut:
    view = aftercare.account_page(db, actor, account_id)
    a = view.account
    return AccountDetailOut(
        id=a.id,
        organization_id=a.organization_id,
        organization_name=view.organization.name,
        kind=AccountKind(a.kind),
        municipality_code=a.municipality_code,
        owner_id=a.owner_id,
        owner_name=view.owner.full_name if view.owner else None,
        checkin_months=a.checkin_months,
        next_checkin_on=view.open_checkin.due_on if view.open_checkin else None,
        open_issues=sum(1 for i in view.issues if i.status == IssueStatus.OPEN.value),
        notes=a.notes,
        realised_total_eur=view.realised_total_eur,
        investments=[
            InvestmentOut(
                lead_id=i.lead.id,
                code_name=i.lead.code_name,
                landed_on=i.lead.landed_on,
                landing_municipality_code=i.lead.landing_municipality_code,
                realised_eur=i.realised_eur,
            )
            for i in view.investments
        ],
        expansions=[
            ExpansionOut(
                lead_id=lead.id,
                code_name=lead.code_name,
                stage_code=lead.stage_code,
                capex_eur=lead.capex_eur if readable else None,
            )
            for lead, _stage, readable in view.expansions
        ],
        visits=[VisitOut.model_validate(v) for v in view.visits],
        issues=[IssueOut.model_validate(i) for i in view.issues],
    )


@router.get("/aftercare/accounts", response_model=Page[AccountOut])
def list_accounts(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    q: TextQuery | None = None,
    kind: AccountKind | None = None,
) -> Page[AccountOut]:
    """Aftercare accounts you may work on: all (coordinator) or your municipality's."""
    rows, total = aftercare.list_accounts(
        db, actor, q=q, kind=kind.value if kind else None, limit=page.limit, offset=page.offset
    )
    return Page[AccountOut](
        items=[_account_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/aftercare/accounts", response_model=AccountDetailOut, status_code=status.HTTP_201_CREATED
)
def create_account(body: AccountIn, db: DbSession, actor: ApiActor) -> AccountDetailOut:
    """Open an account by hand, e.g. for a local company (endogenous investment)."""
    values = body.model_dump(
        mode="json", exclude={"organization_id", "organization_name", "owner_id"}
    )
    account = aftercare.create_account(
        db,
        actor,
        values,
        organization_id=body.organization_id,
        organization_name=body.organization_name,
        owner_id=body.owner_id,
    )
    return _detail(db, actor, account.id)


@router.get("/aftercare/accounts/{account_id}", response_model=AccountDetailOut)
def get_account(account_id: uuid.UUID, db: DbSession, actor: ApiActor) -> AccountDetailOut:
    return _detail(db, actor, account_id)


@router.patch("/aftercare/accounts/{account_id}", response_model=AccountDetailOut)
def update_account(
    account_id: uuid.UUID, body: AccountChanges, db: DbSession, actor: ApiActor
) -> AccountDetailOut:
    """Change the account; a new cadence replans the next check-in."""
    values = body.model_dump(mode="json", exclude_unset=True, exclude={"owner_id"})
    aftercare.update_account(db, actor, account_id, values, owner_id=body.owner_id)
    return _detail(db, actor, account_id)


@router.post(
    "/aftercare/accounts/{account_id}/visits",
    response_model=VisitOut,
    status_code=status.HTTP_201_CREATED,
)
def add_visit(
    account_id: uuid.UUID, body: VisitIn, db: DbSession, actor: ApiActor
) -> AftercareVisit:
    """Notes of a visit; it completes the open check-in and plans the next."""
    return aftercare.add_visit(db, actor, account_id, body.model_dump(mode="json"))


@router.post(
    "/aftercare/accounts/{account_id}/issues",
    response_model=IssueOut,
    status_code=status.HTTP_201_CREATED,
)
def add_issue(
    account_id: uuid.UUID, body: IssueIn, db: DbSession, actor: ApiActor
) -> AftercareIssue:
    values = body.model_dump(mode="json", exclude={"owner_id"})
    return aftercare.add_issue(db, actor, account_id, values, owner_id=body.owner_id)


@router.patch("/aftercare/accounts/{account_id}/issues/{issue_id}", response_model=IssueOut)
def update_issue(
    account_id: uuid.UUID, issue_id: uuid.UUID, body: IssueChanges, db: DbSession, actor: ApiActor
) -> AftercareIssue:
    values = body.model_dump(mode="json", exclude_unset=True, exclude={"owner_id"})
    return aftercare.update_issue(db, actor, account_id, issue_id, values, owner_id=body.owner_id)


@router.post(
    "/aftercare/accounts/{account_id}/expansions",
    response_model=LeadOut,
    status_code=status.HTTP_201_CREATED,
)
def start_expansion(
    account_id: uuid.UUID, body: ExpansionIn, db: DbSession, actor: ApiActor
) -> LeadOut:
    """Start an expansion or reinvestment: a new lead of the account's organisation,
    linked to the account, prefilled from it."""
    values = body.model_dump(mode="json", exclude_unset=True)
    lead = aftercare.start_expansion(db, actor, account_id, values)
    return LeadOut.of(leads.get_lead(db, actor, lead.id))


# ---------------------------------------------------------------- report


class OriginFiguresOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    pipeline_leads: int
    pipeline_capex_eur: int = Field(description="Full capex of the leads in the pipeline")
    weighted_eur: int = Field(description="The pipeline weighted (committed at 100 %)")
    realised_leads: int
    realised_eur: int


class InvestorOriginOut(BaseModel):
    target_id: uuid.UUID
    period_start: date
    period_end: date
    as_of: date
    existing_investors: OriginFiguresOut = Field(
        description="Leads started from an aftercare account"
    )
    new_investors: OriginFiguresOut
    existing_share_percent: dict[str, float]


@router.get("/reports/investor-origin", response_model=InvestorOriginOut)
def investor_origin(
    db: DbSession,
    actor: ApiActor,
    target_id: uuid.UUID | None = None,
    as_of: SafeDate | None = None,
) -> InvestorOriginOut:
    """How much of the target period's pipeline and realised investment comes from
    existing investors and how much from new ones (counts and sums, no names)."""
    today = datetime.now(UTC).date()
    day = as_of or today
    if target_id is None:
        targets.require_report_reader(actor)
        target = targets.target_for_report(db, actor, day)
        if target is None:
            raise NotFound("No investment target has been set.")
        target_id = target.id
    origin = aftercare.investor_origin(db, actor, target_id, as_of=day, today=today)
    return InvestorOriginOut(
        target_id=origin.target.id,
        period_start=origin.target.period_start,
        period_end=origin.target.period_end,
        as_of=origin.as_of,
        existing_investors=OriginFiguresOut.model_validate(origin.existing),
        new_investors=OriginFiguresOut.model_validate(origin.new),
        existing_share_percent=origin.shares,
    )


# ---------------------------------------------------------------- capital investors


class InvestorFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industry_codes: list[Text] | None = Field(default=None, description="Empty: any industry")
    ticket_min_eur: Int64 | None = Field(default=None, ge=0)
    ticket_max_eur: Int64 | None = Field(default=None, ge=0)
    stages: list[CapitalStage] | None = None
    countries: list[Text] | None = Field(default=None, description="ISO 3166 alpha-2 codes")
    notes: MultilineText | None = None
    active: bool | None = None


class InvestorIn(InvestorFields):
    organization_id: uuid.UUID


class InvestorOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    industry_codes: list[str]
    ticket_min_eur: int | None
    ticket_max_eur: int | None
    stages: list[str]
    countries: list[str]
    notes: str | None
    active: bool


class MatchOut(BaseModel):
    investor: InvestorOut
    reasons: list[str] = Field(description="Why the investor fits, in words")


def _investor_out(investor: CapitalInvestor, name: str) -> InvestorOut:
    return InvestorOut(
        id=investor.id,
        organization_id=investor.organization_id,
        organization_name=name,
        industry_codes=list(investor.industry_codes),
        ticket_min_eur=investor.ticket_min_eur,
        ticket_max_eur=investor.ticket_max_eur,
        stages=list(investor.stages),
        countries=list(investor.countries),
        notes=investor.notes,
        active=investor.active,
    )


@router.get("/capital-investors", response_model=Page[InvestorOut])
def list_investors(db: DbSession, actor: ApiActor, page: PageParamsDep) -> Page[InvestorOut]:
    """The register of organisations that invest capital (coordinator)."""
    rows, total = aftercare.list_investors(db, actor, limit=page.limit, offset=page.offset)
    return Page[InvestorOut](
        items=[_investor_out(r.investor, r.organization_name) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/capital-investors", response_model=InvestorOut, status_code=status.HTTP_201_CREATED)
def create_investor(body: InvestorIn, db: DbSession, actor: ApiActor) -> InvestorOut:
    values = body.model_dump(mode="json", exclude={"organization_id"})
    investor = aftercare.create_investor(db, actor, body.organization_id, values)
    row = aftercare.get_investor(db, actor, investor.id)
    return _investor_out(row.investor, row.organization_name)


@router.get("/capital-investors/{investor_id}", response_model=InvestorOut)
def get_investor(investor_id: uuid.UUID, db: DbSession, actor: ApiActor) -> InvestorOut:
    row = aftercare.get_investor(db, actor, investor_id)
    return _investor_out(row.investor, row.organization_name)


@router.patch("/capital-investors/{investor_id}", response_model=InvestorOut)
def update_investor(
    investor_id: uuid.UUID, body: InvestorFields, db: DbSession, actor: ApiActor
) -> InvestorOut:
    values = body.model_dump(mode="json", exclude_unset=True)
    aftercare.update_investor(db, actor, investor_id, values)
    row = aftercare.get_investor(db, actor, investor_id)
    return _investor_out(row.investor, row.organization_name)


@router.get("/leads/{lead_id}/capital-investors", response_model=list[MatchOut])
def lead_matches(
    lead_id: uuid.UUID, db: DbSession, actor: ApiActor, lang: UiLanguage = "en"
) -> list[MatchOut]:
    """Register entries that fit the lead (key industry, capex within the ticket), each
    with the reasons in words (`lang`). Coordinator: others get an empty list."""
    names = {i.code: i.name(lang) for i in reference.industry_choices(db)}
    return [
        MatchOut(
            investor=_investor_out(m.investor, m.organization_name),
            reasons=[aftercare.reason_text(r, lang, names) for r in m.reasons],
        )
        for m in aftercare.matching_investors(db, actor, lead_id)
    ]
