"""Investment leads, their stage transitions, handoffs and timeline; stages and lost reasons."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response
from openpyxl import Workbook
from pydantic import BaseModel, ConfigDict, Field

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
    TextPath,
    TextQuery,
)
from app.db.models import LeadShare, LostReason, Stage
from app.domain.leads import (
    AmountBasis,
    CapexStatus,
    Confidentiality,
    InvestmentType,
    LeadSource,
    Priority,
    TransitionRequest,
)
from app.domain.spreadsheets import append_row, csv_text
from app.services import leads, ledger
from app.services.leads import EXPORT_COLUMNS, LeadFilters, LeadLinks, LeadRow, LeadView

router = APIRouter(tags=["leads"])


class Requirements(BaseModel):
    """What the investor needs of a site; the sites area matches sites against it."""

    model_config = ConfigDict(extra="forbid")
    min_area_ha: FiniteFloat | None = Field(default=None, ge=0)
    max_area_ha: FiniteFloat | None = Field(default=None, ge=0)
    min_power_mw: FiniteFloat | None = Field(default=None, ge=0)
    water_m3_per_day: FiniteFloat | None = Field(default=None, ge=0)
    needs_rail: bool | None = None
    zoning_statuses: list[Text] = Field(default_factory=list)
    municipality_codes: list[Text] = Field(default_factory=list)


class OrganizationRef(BaseModel):
    id: uuid.UUID
    name: str


class ContactRef(BaseModel):
    id: uuid.UUID
    full_name: str
    role: str | None


class LeadListItem(BaseModel):
    id: uuid.UUID
    code_name: str
    title: str
    stage_code: str
    probability: int | None
    capex_eur: int | None
    weighted_value_eur: int
    industry_code: str | None
    investment_type: str
    origin_country: str | None
    source: str
    priority: str
    owner_id: uuid.UUID | None
    expected_decision_on: date | None
    landing_municipality_code: str | None
    last_activity_at: datetime
    updated_at: datetime
    # Null when the caller has no need-to-know of the investor.
    organization: OrganizationRef | None
    confidential: bool

    @staticmethod
    def fields(row: LeadRow) -> dict[str, Any]:
        """The item as plain values; a page validates them all at once in pydantic-core,
        far cheaper than building each model in Python."""
        lead = row.lead
        show_org = row.need_to_know and lead.organization_id and row.organization_name
        return {
            "id": lead.id,
            "code_name": lead.code_name,
            "title": lead.title,
            "stage_code": lead.stage_code,
            "probability": row.probability,
            "capex_eur": lead.capex_eur,
            "weighted_value_eur": row.weighted_value_eur,
            "industry_code": lead.industry_code,
            "investment_type": lead.investment_type,
            "origin_country": lead.origin_country,
            "source": lead.source,
            "priority": lead.priority,
            "owner_id": lead.owner_id,
            "expected_decision_on": lead.expected_decision_on,
            "landing_municipality_code": lead.landing_municipality_code,
            "last_activity_at": lead.last_activity_at,
            "updated_at": lead.updated_at,
            "organization": {"id": lead.organization_id, "name": row.organization_name}
            if show_org
            else None,
            "confidential": not row.need_to_know,
        }


class LeadRef(BaseModel):
    id: uuid.UUID
    code_name: str


class AmountEntryOut(BaseModel):
    """One row of the amount ledger: nothing is overwritten."""

    lead_id: uuid.UUID
    code_name: str
    measure: Literal["capex", "jobs"]
    kind: CapexStatus
    amount: int | None
    basis: AmountBasis
    dated_on: date | None
    recorded_at: datetime
    recorded_by: str | None
    note: str | None


class LeadOut(BaseModel):
    id: uuid.UUID
    code_name: str
    title: str
    description: str | None
    organization: OrganizationRef | None
    contacts: list[ContactRef]
    industry_code: str | None
    investment_type: str
    origin_country: str | None
    capex_eur: int | None
    capex_basis: str
    capex_status: str
    jobs: int | None
    jobs_basis: str
    source: str
    stage_code: str
    stage_changed_at: datetime
    probability: int | None
    probability_override: int | None
    probability_reason: str | None
    weighted_value_eur: int
    expected_decision_on: date | None
    priority: str
    owner_id: uuid.UUID | None
    municipality_codes: list[str]
    site_ids: list[uuid.UUID]
    landing_municipality_code: str | None
    landed_on: date | None
    lost_reason_code: str | None
    lost_note: str | None
    requirements: dict[str, Any]
    last_activity_at: datetime
    created_at: datetime
    updated_at: datetime
    confidential: bool
    can_edit: bool
    confidentiality: Confidentiality = Field(
        description="confidential (business secret, 621/1999 s. 24(1)(20)), internal "
        "(preparatory, not public) or public"
    )
    confidentiality_basis: str = Field(
        description="The legal basis of the class: the lead's own text or the class default"
    )
    confidentiality_basis_is_default: bool
    announced_on: date | None = Field(
        description="From this day the investor's name is public and reports may show it"
    )
    investor_public: bool = Field(description="The investor's name is public today")
    amount_history: list[AmountEntryOut] = Field(
        description="The amount ledger, oldest first, with the leads merged into this one"
    )
    merged_into: LeadRef | None = Field(
        description="This lead is a duplicate merged into that one: it counts in no figure"
    )
    merged_leads: list[LeadRef]
    possible_duplicates: list[LeadRef] = Field(
        description="Leads of the same investor for the same investment (coordinator only)"
    )

    @classmethod
    def of(cls, view: LeadView) -> LeadOut:
        lead = view.lead
        return cls(
            id=lead.id,
            code_name=lead.code_name,
            title=lead.title,
            description=lead.description if view.need_to_know else None,
            organization=OrganizationRef(id=view.organization.id, name=view.organization.name)
            if view.organization
            else None,
            contacts=[
                ContactRef(id=c.id, full_name=c.full_name, role=role) for c, role in view.contacts
            ],
            industry_code=lead.industry_code,
            investment_type=lead.investment_type,
            origin_country=lead.origin_country,
            capex_eur=lead.capex_eur,
            capex_basis=lead.capex_basis,
            capex_status=lead.capex_status,
            jobs=lead.jobs,
            jobs_basis=lead.jobs_basis,
            source=lead.source,
            stage_code=lead.stage_code,
            stage_changed_at=lead.stage_changed_at,
            probability=view.probability,
            probability_override=lead.probability_override,
            probability_reason=lead.probability_reason,
            weighted_value_eur=view.weighted_value_eur,
            expected_decision_on=lead.expected_decision_on,
            priority=lead.priority,
            owner_id=lead.owner_id,
            municipality_codes=view.municipality_codes,
            site_ids=view.site_ids,
            landing_municipality_code=lead.landing_municipality_code,
            landed_on=lead.landed_on,
            lost_reason_code=lead.lost_reason_code,
            lost_note=lead.lost_note if view.need_to_know else None,
            requirements=lead.requirements if view.need_to_know else {},
            last_activity_at=lead.last_activity_at,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            confidential=not view.need_to_know,
            can_edit=view.can_edit,
            confidentiality=Confidentiality(lead.confidentiality),
            confidentiality_basis=view.confidentiality_basis,
            confidentiality_basis_is_default=lead.confidentiality_basis is None,
            announced_on=lead.announced_on,
            investor_public=view.investor_public_on(datetime.now(UTC).date()),
            amount_history=[
                AmountEntryOut.model_validate(row, from_attributes=True)
                for row in view.amount_history
            ],
            merged_into=LeadRef(id=view.merged_into.id, code_name=view.merged_into.code_name)
            if view.merged_into
            else None,
            merged_leads=[LeadRef(id=m.id, code_name=m.code_name) for m in view.merged_leads],
            possible_duplicates=[
                LeadRef(id=d.id, code_name=d.code_name) for d in view.possible_duplicates
            ],
        )


class LeadFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code_name: Text | None = Field(default=None, max_length=80)
    title: Text | None = Field(default=None, max_length=200)
    description: MultilineText | None = None
    organization_id: uuid.UUID | None = None
    contact_ids: list[uuid.UUID] | None = None
    site_ids: list[uuid.UUID] | None = None
    owner_id: uuid.UUID | None = None
    industry_code: Text | None = None
    investment_type: InvestmentType | None = None
    origin_country: Text | None = None
    capex_eur: Int64 | None = Field(default=None, ge=0)
    capex_basis: AmountBasis | None = None
    capex_status: CapexStatus | None = None
    jobs: Int32 | None = Field(default=None, ge=0)
    jobs_basis: AmountBasis | None = None
    source: LeadSource | None = None
    expected_decision_on: SafeDate | None = None
    priority: Priority | None = None
    municipality_codes: list[Text] | None = None
    requirements: Requirements | None = None
    confidentiality: Confidentiality | None = Field(
        default=None, description="Default confidential"
    )
    confidentiality_basis: str | None = Field(
        default=None, max_length=1000, description="Empty or null: the class's default basis"
    )
    announced_on: date | None = Field(
        default=None, description="The day the project was announced; required when public"
    )


class LeadIn(LeadFields):
    title: Text = Field(max_length=200)
    investment_type: InvestmentType
    source: LeadSource
    stage_code: Text | None = Field(default=None, description="An open stage; default identified")
    confirm_duplicate: bool = Field(
        default=False,
        description="Create the lead although the investor already has a lead for the same "
        "investment (refused with possible_duplicate otherwise)",
    )


class MergeIn(BaseModel):
    """Merge a duplicate lead into this one (coordinator)."""

    model_config = ConfigDict(extra="forbid")
    duplicate_id: uuid.UUID | None = None


LINK_FIELDS = ("organization_id", "contact_ids", "site_ids", "owner_id", "confirm_duplicate")


def _split(body: LeadFields, *, creating: bool) -> tuple[dict[str, Any], LeadLinks]:
    given = body.model_dump(mode="json", exclude_unset=not creating)
    values = {k: v for k, v in given.items() if k not in LINK_FIELDS}
    links = LeadLinks(
        organization_id=body.organization_id,
        contact_ids=body.contact_ids,
        site_ids=body.site_ids,
        owner_id=body.owner_id,
        clear_organization="organization_id" in body.model_fields_set
        and body.organization_id is None,
    )
    return values, links


class TransitionIn(BaseModel):
    """Move a lead to a stage. Landing needs the municipality, the committed or realised
    capex and the date; losing needs a reason from the managed list."""

    model_config = ConfigDict(extra="forbid")
    to_stage: Text
    note: MultilineText | None = Field(default=None, max_length=5000)
    landing_municipality_code: Text | None = None
    realised_capex_eur: Int64 | None = None
    realised_jobs: Int32 | None = Field(default=None, description="Jobs realised at landing")
    capex_status: CapexStatus | None = None
    landed_on: SafeDate | None = None
    lost_reason_code: Text | None = None


class ProbabilityIn(BaseModel):
    """Override the stage's default probability (0–100) with a reason; null clears it."""

    model_config = ConfigDict(extra="forbid")
    probability: Int32 | None
    reason: MultilineText | None = Field(default=None, max_length=300)


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    municipality_code: Text | None = None
    organization_id: uuid.UUID | None = None
    message: MultilineText | None = Field(default=None, max_length=5000)


class ShareResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool
    note: MultilineText | None = Field(default=None, max_length=5000)


class ShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    lead_id: uuid.UUID
    municipality_code: str | None
    organization_id: uuid.UUID | None
    message: str | None
    status: str
    shared_by_id: uuid.UUID | None
    shared_at: datetime
    responded_by_id: uuid.UUID | None
    responded_at: datetime | None
    response_note: str | None


class TimelineItemOut(BaseModel):
    at: datetime
    kind: Literal["stage_change", "activity", "share", "share_response", "audit"]
    summary: str
    actor: str | None
    details: dict[str, Any]


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_fi: str
    name_en: str
    default_probability: int | None
    kind: str
    sort_order: int
    active: bool
    decision: bool = Field(description="From this stage on an amount may be committed")


class StageChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_fi: Text | None = None
    name_en: Text | None = None
    default_probability: Int32 | None = None
    sort_order: Int32 | None = None
    active: bool | None = None
    decision: bool | None = None


class LostReasonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name_fi: str
    name_en: str
    sort_order: int
    active: bool


class LostReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Text = Field(pattern=r"^[a-z0-9_]{2,40}$")
    name_fi: Text
    name_en: Text


class LostReasonChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_fi: Text | None = None
    name_en: Text | None = None
    active: bool | None = None


class ContactLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Text | None = Field(default=None, max_length=100, description="Their role on the lead")


class StaleLeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    code_name: str
    title: str
    stage_code: str
    owner_id: uuid.UUID | None
    last_activity_at: datetime


# async although it awaits nothing: it only parses, so no thread-pool hop is needed.
async def lead_filters(
    stage: Annotated[list[str] | None, Query(description="Stage code; repeat for several")] = None,
    industry: Annotated[
        str | None, Query(description="Key industry (parents include children)")
    ] = None,
    municipality: Annotated[
        str | None, Query(description="Candidate or landing municipality code")
    ] = None,
    owner: Annotated[uuid.UUID | None, Query(description="Owner user id")] = None,
    type: Annotated[InvestmentType | None, Query(description="Investment type")] = None,
    origin: Annotated[
        str | None, Query(description="Country of origin, ISO 3166-1 alpha-2")
    ] = None,
    source: Annotated[LeadSource | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
    q: Annotated[TextQuery | None, Query(description="Text search")] = None,
    sort: Annotated[
        str,
        Query(
            description="updated_at, created_at, code_name, capex_eur, expected_decision_on, "
            "stage or last_activity_at; prefix - for descending"
        ),
    ] = "-updated_at",
) -> LeadFilters:
    return LeadFilters(
        stages=stage or [],
        industry=industry,
        municipality=municipality,
        owner_id=owner,
        investment_type=type.value if type else None,
        origin_country=origin,
        source=source.value if source else None,
        priority=priority.value if priority else None,
        q=q,
        sort=sort,
    )


FiltersDep = Annotated[LeadFilters, Depends(lead_filters)]


@router.get("/leads", response_model=Page[LeadListItem])
def list_leads(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    filters: FiltersDep,
) -> Response:
    """Leads the caller may see, filtered, sorted and paged; investors shown only with
    need-to-know."""
    rows, total = leads.list_leads(db, actor, filters, limit=page.limit, offset=page.offset)
    body = Page[LeadListItem].model_validate(
        {
            "items": [LeadListItem.fields(r) for r in rows],
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
        }
    )
    # Validated just above: serialise it once instead of letting FastAPI validate the
    # returned model against `response_model` a second time.
    return Response(body.model_dump_json(), media_type="application/json")


@router.post("/leads", response_model=LeadOut, status_code=status.HTTP_201_CREATED)
def create_lead(body: LeadIn, db: DbSession, actor: ApiActor) -> LeadOut:
    """Create a lead; a code name is generated when none is given."""
    values, links = _split(body, creating=True)
    lead = leads.create_lead(db, actor, values, links, confirm_duplicate=body.confirm_duplicate)
    return LeadOut.of(leads.get_lead(db, actor, lead.id))


@router.get("/leads/stale", response_model=Page[StaleLeadOut])
def stale_leads(
    db: DbSession,
    actor: ApiActor,
    settings: AppSettings,
    page: PageParamsDep,
    days: Annotated[
        int | None, Query(ge=1, le=3650, description="Default: the STALE_LEAD_DAYS setting")
    ] = None,
) -> Page[StaleLeadOut]:
    """Open leads with no activity for N days, the longest silent first."""
    rows, total = leads.stale_leads(
        db, actor, days or settings.stale_lead_days, limit=page.limit, offset=page.offset
    )
    return Page[StaleLeadOut](
        items=[StaleLeadOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def _export_table(db: DbSession, actor: ApiActor, filters: LeadFilters) -> list[list[object]]:
    return [[_cell(v) for v in row] for row in leads.export_rows(db, actor, filters)]


def _cell(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value)
    return value


@router.get("/leads/export.csv", response_class=Response, responses=file_responses("text/csv"))
def export_csv(db: DbSession, actor: ApiActor, filters: FiltersDep) -> Response:
    """The filtered list as CSV (UTF-8 with BOM); cells never run as formulas. The forum
    reads reports, not lead records: refused (403)."""
    body = csv_text(EXPORT_COLUMNS, _export_table(db, actor, filters))
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/leads/export.xlsx", response_class=Response, responses=file_responses(XLSX))
def export_xlsx(db: DbSession, actor: ApiActor, filters: FiltersDep) -> Response:
    """The filtered list as an Excel workbook, with the same protections as the CSV."""
    rows = _export_table(db, actor, filters)  # refused (403) before a workbook is begun
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    append_row(sheet, EXPORT_COLUMNS)
    for row in rows:
        append_row(sheet, row)
    out = io.BytesIO()
    workbook.save(out)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="leads.xlsx"'},
    )


@router.get("/leads/{lead_id}", response_model=LeadOut)
def get_lead(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> LeadOut:
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.patch("/leads/{lead_id}", response_model=LeadOut)
def update_lead(lead_id: uuid.UUID, body: LeadFields, db: DbSession, actor: ApiActor) -> LeadOut:
    """Change a lead's fields; the stage changes only through /stage."""
    values, links = _split(body, creating=False)
    leads.update_lead(db, actor, lead_id, values, links)
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.post("/leads/{lead_id}/merge", response_model=LeadOut)
def merge_lead(lead_id: uuid.UUID, body: MergeIn, db: DbSession, actor: ApiActor) -> LeadOut:
    """Merge a duplicate into this lead (coordinator): the duplicate keeps its stage log
    and amount history, shown here; its activities move here; it counts in no figure."""
    ledger.merge_leads(db, actor, lead_id, body.duplicate_id)
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.get("/leads/{lead_id}/amounts", response_model=list[AmountEntryOut])
def amount_history(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[AmountEntryOut]:
    """The lead's amount ledger (and its merged duplicates'), oldest first."""
    view = leads.get_lead(db, actor, lead_id)
    return [AmountEntryOut.model_validate(r, from_attributes=True) for r in view.amount_history]


@router.post("/leads/{lead_id}/stage", response_model=LeadOut)
def change_stage(lead_id: uuid.UUID, body: TransitionIn, db: DbSession, actor: ApiActor) -> LeadOut:
    """A transition request, checked against the pipeline rules and logged."""
    leads.transition(
        db,
        actor,
        lead_id,
        TransitionRequest(
            to_stage=body.to_stage,
            note=body.note,
            landing_municipality_code=body.landing_municipality_code,
            realised_capex_eur=None
            if body.realised_capex_eur is None
            else Decimal(body.realised_capex_eur),
            capex_status=body.capex_status,
            realised_jobs=body.realised_jobs,
            landed_on=body.landed_on,
            lost_reason_code=body.lost_reason_code,
        ),
    )
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.put("/leads/{lead_id}/probability", response_model=LeadOut)
def set_probability(
    lead_id: uuid.UUID, body: ProbabilityIn, db: DbSession, actor: ApiActor
) -> LeadOut:
    leads.set_probability(db, actor, lead_id, body.probability, body.reason)
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.put("/leads/{lead_id}/contacts/{contact_id}", response_model=LeadOut)
def link_contact(
    lead_id: uuid.UUID, contact_id: uuid.UUID, body: ContactLinkIn, db: DbSession, actor: ApiActor
) -> LeadOut:
    """Link a contact person to the lead with their role on it, or change the role."""
    leads.link_contact(db, actor, lead_id, contact_id, body.role)
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.delete("/leads/{lead_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def unlink_contact(
    lead_id: uuid.UUID, contact_id: uuid.UUID, db: DbSession, actor: ApiActor
) -> Response:
    leads.unlink_contact(db, actor, lead_id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/leads/{lead_id}/sites/{site_id}", response_model=LeadOut)
def link_site(lead_id: uuid.UUID, site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> LeadOut:
    """Add a candidate site (one the caller may see) to the lead."""
    leads.link_site(db, actor, lead_id, site_id)
    return LeadOut.of(leads.get_lead(db, actor, lead_id))


@router.delete("/leads/{lead_id}/sites/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
def unlink_site(lead_id: uuid.UUID, site_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Response:
    leads.unlink_site(db, actor, lead_id, site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/leads/{lead_id}/timeline", response_model=list[TimelineItemOut])
def lead_timeline(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[TimelineItemOut]:
    """Stage log, activities, shares and audit entries, newest first."""
    return [
        TimelineItemOut(at=i.at, kind=i.kind, summary=i.summary, actor=i.actor, details=i.details)
        for i in leads.timeline(db, actor, lead_id)
    ]


@router.get("/leads/{lead_id}/shares", response_model=list[ShareOut])
def list_shares(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> list[LeadShare]:
    return leads.list_shares(db, actor, lead_id)


@router.post(
    "/leads/{lead_id}/shares", response_model=ShareOut, status_code=status.HTTP_201_CREATED
)
def share_lead(lead_id: uuid.UUID, body: ShareIn, db: DbSession, actor: ApiActor) -> LeadShare:
    """Hand the lead to a municipality or a partner organisation with a message."""
    return leads.share_lead(
        db,
        actor,
        lead_id,
        municipality_code=body.municipality_code,
        organization_id=body.organization_id,
        message=body.message,
    )


@router.post("/shares/{share_id}/response", response_model=ShareOut)
def respond_to_share(
    share_id: uuid.UUID, body: ShareResponseIn, db: DbSession, actor: ApiActor
) -> LeadShare:
    """The receiver accepts or declines a handoff."""
    return leads.respond_to_share(db, actor, share_id, accept=body.accept, note=body.note)


@router.get("/stages", response_model=list[StageOut])
def list_stages(db: DbSession, _actor: ApiActor) -> list[Stage]:
    return leads.list_stages(db)


@router.patch("/stages/{code}", response_model=StageOut)
def update_stage(code: TextPath, body: StageChanges, db: DbSession, actor: ApiActor) -> Stage:
    return leads.update_stage(db, actor, code, body.model_dump(exclude_unset=True))


@router.get("/lost-reasons", response_model=list[LostReasonOut])
def list_lost_reasons(db: DbSession, _actor: ApiActor) -> list[LostReason]:
    return leads.list_lost_reasons(db)


@router.post("/lost-reasons", response_model=LostReasonOut, status_code=status.HTTP_201_CREATED)
def create_lost_reason(body: LostReasonIn, db: DbSession, actor: ApiActor) -> LostReason:
    return leads.create_lost_reason(db, actor, body.model_dump())


@router.patch("/lost-reasons/{code}", response_model=LostReasonOut)
def update_lost_reason(
    code: TextPath, body: LostReasonChanges, db: DbSession, actor: ApiActor
) -> LostReason:
    """Rename or deactivate a lost reason; closed leads keep theirs."""
    return leads.update_lost_reason(db, actor, code, body.model_dump(exclude_unset=True))
