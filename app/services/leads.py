"""Investment leads: the pipeline's use cases, within each actor's need-to-know."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol, cast

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    AuditEntry,
    Contact,
    Industry,
    Lead,
    LeadContact,
    LeadMunicipality,
    LeadShare,
    LeadSite,
    LeadStageChange,
    LostReason,
    Municipality,
    Organization,
    Site,
    Stage,
    User,
)
from app.domain import notifications as notices
from app.domain.access import Actor, Role, require_role, require_staff_wide
from app.domain.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.leads import (
    DEFAULT_CONFIDENTIALITY_BASIS,
    FUNNEL_KINDS,
    CapexStatus,
    LeadReferences,
    LeadState,
    ParseErrors,
    StageDefinition,
    StageKind,
    StageLogEntry,
    TransitionRequest,
    check_secrecy,
    clean_lead_fields,
    clean_lost_reason,
    clean_stage_settings,
    confidentiality_basis,
    generate_code_name,
    investor_identity_public,
    lost_reason_code,
    plan_transition,
    probability_in_stage,
    time_in_stages,
    validate_probability_override,
    weighted_value,
)
from app.domain.ledger import StageFacts
from app.domain.organizations import COUNTRY_CODES
from app.domain.sites import SiteStatus, ZoningStatus
from app.i18n import N_, register_field_errors, register_labels
from app.services import intake, ledger, notifications
from app.services.audit import entries_for, parse_uuid, register_access_check
from app.services.scope import (
    contacts_visible_to,
    leads_visible_to,
    leads_with_need_to_know,
    organizations_visible_to,
    require_lead_records,
    sites_visible_to,
)

register_labels(
    "investment_type",
    {
        "greenfield_fdi": N_("Greenfield FDI"),
        "expansion": N_("Expansion in the region"),
        "brownfield": N_("Brownfield"),
        "business_transfer": N_("Business transfer"),
        "capital_investment": N_("Capital investment"),
    },
)
register_labels(
    "lead_source",
    {
        "portal_inquiry": N_("Portal inquiry"),
        "invest_in_finland": N_("Invest in Finland / Business Finland"),
        "partner": N_("Partner"),
        "event": N_("Event"),
        "own_prospecting": N_("Own prospecting"),
    },
)
register_labels(
    "capex_status",
    {
        "estimate": N_("Estimate"),
        "announced": N_("Announced"),
        "committed": N_("Committed"),
        "realised": N_("Realised"),
    },
)
register_labels(
    "amount_basis",
    {"estimated": N_("Estimated"), "confirmed": N_("Confirmed by the investor")},
)
register_labels(
    "zoning_status",
    {
        "detailed_plan": N_("Detailed plan"),
        "detailed_plan_in_preparation": N_("Detailed plan in preparation"),
        "master_plan": N_("Master plan"),
        "none": N_("No plan"),
    },
)
register_labels(
    "stage_kind",
    {
        "open": N_("Open"),
        "won": N_("Won"),
        "lost": N_("Lost"),
        "on_hold": N_("On hold"),
    },
)
register_labels("priority", {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High")})
register_labels(
    "confidentiality",
    {
        "confidential": N_("Confidential (business secret)"),
        "internal": N_("Internal (not public)"),
        "public": N_("Public"),
    },
)
register_labels(
    "confidentiality_basis", {c.value: text for c, text in DEFAULT_CONFIDENTIALITY_BASIS.items()}
)

# Form messages for the codes the pipeline's rules raise (app/domain/leads.py and here).
register_field_errors(
    {
        ("required", "landing_municipality_code"): N_(
            "Choose the municipality where the investment landed."
        ),
        ("unknown", "landing_municipality_code"): N_("Unknown municipality."),
        ("required", "realised_capex_eur"): N_("Give the realised amount."),
        ("invalid", "realised_capex_eur"): N_("Give a whole number."),
        ("not_a_number", "capex_eur"): N_("Give a whole number."),
        ("not_a_number", "jobs"): N_("Give a whole number."),
        ("required", "capex_status"): N_("Say how certain the amount is."),
        ("invalid_choice", "capex_status"): N_("A landed investment is committed or realised."),
        ("required", "landed_on"): N_("Give the date the investment landed."),
        "too_far_in_future": N_("The date is too far in the future."),
        ("required", "lost_reason_code"): N_("Choose why the lead was lost."),
        ("unknown", "lost_reason_code"): N_("Unknown lost reason."),
        ("not_allowed", "lost_reason_code"): N_("Only a lost lead has a lost reason."),
        ("required", "note"): N_("Explain why a closed lead is reopened."),
        ("not_allowed", "landing_municipality_code"): N_("Only a landed lead has landing details."),
        ("not_allowed", "realised_capex_eur"): N_("Only a landed lead has landing details."),
        ("not_allowed", "capex_status"): N_("Only a landed lead has landing details."),
        ("not_allowed", "landed_on"): N_("Only a landed lead has landing details."),
        "unknown_stage": N_("Unknown stage."),
        "unchanged": N_("The lead is already in this stage."),
        "below_minimum": N_("The maximum area is below the minimum."),
        ("unknown", "origin_country"): N_("Give a two-letter ISO country code, e.g. FI."),
        ("required", "probability_reason"): N_("Explain why the default is overridden."),
        ("not_allowed", "probability"): N_("Only an open lead's probability can be overridden."),
        ("invalid", "requirements"): N_("Give the requirement profile as an object."),
        "unknown_field": N_("Unknown field."),
        ("unknown", "municipality_codes"): N_("Unknown code(s): %(codes)s."),
        ("unknown", "zoning_statuses"): N_("Unknown code(s): %(codes)s."),
        ("required", "code_name"): N_("A lead always has a code name."),
        ("duplicate", "code_name"): N_("This code name is already in use."),
        ("duplicate", "code"): N_("This code is already in use."),
        ("unknown", "contact_ids"): N_("No such contact."),
        ("unknown", "site_ids"): N_("No such site."),
        ("not_allowed", "default_probability"): N_("On hold has no probability."),
        "one_receiver": N_("Share with either a municipality or a partner organisation."),
        "choose_receiver": N_("Choose a receiver."),
        ("unknown", "municipality_code"): N_("Unknown municipality."),
        "already_shared": N_("The lead is already shared with them."),
        ("unknown", "organization_id"): N_("No such organisation."),
        ("invalid", "organization_id"): N_("Choose from the list."),
        ("not_allowed", "organization_id"): N_("This is the lead's investor."),
        ("unknown", "owner_id"): N_("Choose an active staff user."),
        ("invalid", "owner_id"): N_("Choose from the list."),
        ("not_allowed", "owner_id"): N_("Only the coordinator assigns leads."),
        ("unknown", "sort"): N_("Unknown sort order."),
        ("unknown", "contact_id"): N_("No such contact."),
        ("unknown", "site_id"): N_("No such site."),
        ("out_of_range", "sort_order"): N_("Give a whole number from 0 to %(limit)s."),
        ("required_stage", "active"): N_("The pipeline rules need this stage."),
        ("in_use", "active"): N_("Move the %(count)s leads in this stage first."),
        ("invalid", "code"): N_("Use 2–40 lower-case letters, digits or _."),
        ("required", "announced_on"): N_("A public lead needs the date it was announced."),
    }
)
register_labels(
    "share_status",
    {"pending": N_("Awaiting answer"), "accepted": N_("Accepted"), "declined": N_("Declined")},
)

# Roles that may own a lead and so create one.
LEAD_WORKERS = (Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT, Role.PARTNER)
SORTS = {
    "updated_at": Lead.updated_at,
    "created_at": Lead.created_at,
    "code_name": Lead.code_name,
    "capex_eur": Lead.capex_eur,
    "expected_decision_on": Lead.expected_decision_on,
    "stage": Stage.sort_order,
    "last_activity_at": Lead.last_activity_at,
}
EXPORT_LIMIT = 100_000


# ---------------------------------------------------------------- stages and reasons


def stage_definitions(db: Session) -> dict[str, StageDefinition]:
    return {
        s.code: StageDefinition(
            s.code,
            s.name_fi,
            s.name_en,
            s.default_probability,
            StageKind(s.kind),
            s.sort_order,
            decision=s.decision,
        )
        for s in db.scalars(select(Stage).order_by(Stage.sort_order))
    }


def list_stages(db: Session) -> list[Stage]:
    return list(db.scalars(select(Stage).order_by(Stage.sort_order, Stage.code)))


def update_stage(db: Session, actor: Actor, code: str, values: dict[str, Any]) -> Stage:
    """Rename, reorder, (de)activate a stage or change its default probability."""
    require_staff_wide(actor)
    stage = db.get(Stage, code)
    if stage is None:
        raise NotFound("No such stage.")
    in_stage = committed = 0
    if "active" in values:
        in_stage = db.scalar(select(func.count()).where(Lead.stage_code == code)) or 0
    if "decision" in values:
        committed = (
            db.scalar(
                select(func.count()).where(
                    Lead.stage_code == code, Lead.capex_status == CapexStatus.COMMITTED.value
                )
            )
            or 0
        )
    cleaned = clean_stage_settings(
        values,
        code=code,
        kind=StageKind(stage.kind),
        leads_in_stage=in_stage,
        committed_in_stage=committed,
    )
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(stage, name, value)
    if "sort_order" in cleaned:
        # How far each lead had come is measured in the stages' order.
        db.flush()
        summarise_stage_log(db)
    db.commit()
    return stage


def list_lost_reasons(db: Session) -> list[LostReason]:
    return list(db.scalars(select(LostReason).order_by(LostReason.sort_order, LostReason.code)))


def create_lost_reason(db: Session, actor: Actor, values: dict[str, Any]) -> LostReason:
    """Add a lost reason; without a code one is made from the English name."""
    require_staff_wide(actor)
    taken = set(db.scalars(select(LostReason.code)))
    if not values.get("code") and isinstance(values.get("name_en"), str):
        values = {**values, "code": lost_reason_code(values["name_en"], taken)}
    cleaned = clean_lost_reason(values, creating=True, taken_codes=taken)
    bind_actor(db, actor)
    last = db.scalar(select(func.max(LostReason.sort_order))) or 0
    reason = LostReason(**cleaned, sort_order=last + 1)
    db.add(reason)
    db.commit()
    return reason


def update_lost_reason(db: Session, actor: Actor, code: str, values: dict[str, Any]) -> LostReason:
    """Rename or (de)activate a lost reason; closed leads keep theirs either way."""
    require_staff_wide(actor)
    reason = db.get(LostReason, code)
    if reason is None:
        raise NotFound("No such lost reason.")
    cleaned = clean_lost_reason(values, creating=False)
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(reason, name, value)
    db.commit()
    return reason


# ---------------------------------------------------------------- reading leads


@dataclass
class LeadFilters:
    stages: list[str] = field(default_factory=list)
    industry: str | None = None
    municipality: str | None = None
    owner_id: uuid.UUID | None = None
    investment_type: str | None = None
    origin_country: str | None = None
    source: str | None = None
    priority: str | None = None
    q: str | None = None
    sort: str = "-updated_at"


class ListedLead(Protocol):
    """The lead fields a list row carries (a whole `Lead` has them too)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code_name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def stage_code(self) -> str: ...
    @property
    def probability_override(self) -> int | None: ...
    @property
    def capex_eur(self) -> int | None: ...
    @property
    def industry_code(self) -> str | None: ...
    @property
    def investment_type(self) -> str: ...
    @property
    def origin_country(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def owner_id(self) -> uuid.UUID | None: ...
    @property
    def organization_id(self) -> uuid.UUID | None: ...
    @property
    def expected_decision_on(self) -> date | None: ...
    @property
    def landing_municipality_code(self) -> str | None: ...
    @property
    def last_activity_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


# Only the columns a list shows: no ORM entities (identity map, JSON and text columns)
# for a page of rows that is serialised and thrown away.
LIST_COLUMNS: tuple[Any, ...] = (
    Lead.id,
    Lead.code_name,
    Lead.title,
    Lead.stage_code,
    Lead.probability_override,
    Lead.capex_eur,
    Lead.industry_code,
    Lead.investment_type,
    Lead.origin_country,
    Lead.source,
    Lead.priority,
    Lead.owner_id,
    Lead.organization_id,
    Lead.expected_decision_on,
    Lead.landing_municipality_code,
    Lead.last_activity_at,
    Lead.updated_at,
)


@dataclass(frozen=True)
class LeadRow:
    """A lead as a list shows it; `need_to_know` False hides the investor."""

    lead: ListedLead
    stage_kind: str
    default_probability: int | None
    organization_name: str | None
    need_to_know: bool

    @cached_property
    def probability(self) -> int | None:
        return probability_in_stage(
            StageKind(self.stage_kind), self.default_probability, self.lead.probability_override
        )

    @property
    def weighted_value_eur(self) -> int:
        capex = None if self.lead.capex_eur is None else Decimal(self.lead.capex_eur)
        return int(weighted_value(capex, self.probability))


def _probability(lead: Lead, kind: str, default: int | None) -> int | None:
    return probability_in_stage(StageKind(kind), default, lead.probability_override)


def _sort_clause(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        raise ValidationFailed.single(
            "sort", f"Sort by one of: {', '.join(SORTS)} (prefix - for descending).", "unknown"
        )
    column = SORTS[key]
    ordered = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return [ordered, Lead.id]


def lead_list_query(
    actor: Actor, filters: LeadFilters, lead_columns: Sequence[Any] = LIST_COLUMNS
) -> Select[Any]:
    """The filtered lead list as one statement (the benchmark runs it directly too):
    `lead_columns`, then stage_kind, default_probability, organization_name and
    need_to_know."""
    need_to_know = leads_with_need_to_know(actor)
    query = (
        select(
            *lead_columns,
            Stage.kind.label("stage_kind"),
            Stage.default_probability,
            Organization.name.label("organization_name"),
            need_to_know.label("need_to_know"),
        )
        .join(Stage, Stage.code == Lead.stage_code)
        .outerjoin(Organization, Organization.id == Lead.organization_id)
        .where(leads_visible_to(actor))
    )
    if filters.stages:
        query = query.where(Lead.stage_code.in_(filters.stages))
    if filters.industry:
        # A parent industry finds the leads of its sub-industries as well.
        children = select(Industry.code).where(Industry.parent_code == filters.industry)
        query = query.where(
            or_(Lead.industry_code == filters.industry, Lead.industry_code.in_(children))
        )
    if filters.municipality:
        candidates = select(LeadMunicipality.lead_id).where(
            LeadMunicipality.municipality_code == filters.municipality
        )
        query = query.where(
            or_(Lead.landing_municipality_code == filters.municipality, Lead.id.in_(candidates))
        )
    if filters.owner_id:
        query = query.where(Lead.owner_id == filters.owner_id)
    if filters.investment_type:
        query = query.where(Lead.investment_type == filters.investment_type)
    if filters.origin_country:
        query = query.where(Lead.origin_country == filters.origin_country.upper())
    if filters.source:
        query = query.where(Lead.source == filters.source)
    if filters.priority:
        query = query.where(Lead.priority == filters.priority)
    if filters.q and filters.q.strip():
        pattern = f"%{_escape_like(filters.q.strip())}%"
        matches: list[ColumnElement[bool]] = [
            Lead.code_name.ilike(pattern, escape="\\"),
            Lead.title.ilike(pattern, escape="\\"),
        ]
        # Searching by investor name must not reveal who the investor is.
        matches.append(and_(need_to_know, Organization.name.ilike(pattern, escape="\\")))
        query = query.where(or_(*matches))
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_leads(
    db: Session, actor: Actor, filters: LeadFilters, *, limit: int = 50, offset: int = 0
) -> tuple[list[LeadRow], int]:
    require_lead_records(actor)
    query = lead_list_query(actor, filters)
    order = _sort_clause(filters.sort)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.execute(query.order_by(*order).limit(limit).offset(offset))
    # By position: a Row's attribute lookup by name costs more than the rest of the row.
    return [
        LeadRow(cast("ListedLead", row), row[-4], row[-3], row[-2], bool(row[-1])) for row in rows
    ], total


@dataclass
class LeadView:
    """One lead with what hangs on it, already cut to the actor's need-to-know."""

    lead: Lead
    stage: Stage
    need_to_know: bool
    can_edit: bool
    organization: Organization | None
    contacts: list[tuple[Contact, str | None]]
    municipality_codes: list[str]
    site_ids: list[uuid.UUID]
    shares: list[LeadShare]
    owner: User | None
    # The amount ledger of the lead and of the leads merged into it (need-to-know only).
    amount_history: list[ledger.HistoryRow] = field(default_factory=list)
    # Leads merged into this one, and the lead this one was merged into.
    merged_leads: list[Lead] = field(default_factory=list)
    merged_into: Lead | None = None
    # Other leads of the same investor for the same investment (the coordinator's view).
    possible_duplicates: list[Lead] = field(default_factory=list)

    @property
    def probability(self) -> int | None:
        return _probability(self.lead, self.stage.kind, self.stage.default_probability)

    @property
    def confidentiality_basis(self) -> str:
        """The legal basis of the lead's class: its own text or the class default."""
        return confidentiality_basis(self.lead.confidentiality, self.lead.confidentiality_basis)

    def investor_public_on(self, day: date) -> bool:
        """Whether the investor's name is public on `day` (announced by then)."""
        return investor_identity_public(self.lead.announced_on, day)

    @property
    def weighted_value_eur(self) -> int:
        capex = None if self.lead.capex_eur is None else Decimal(self.lead.capex_eur)
        return int(weighted_value(capex, self.probability))

    def share_for(self, actor: Actor) -> LeadShare | None:
        """The pending share this actor may accept or decline."""
        for share in self.shares:
            if share.status == "pending" and _is_receiver(actor, share):
                return share
        return None


def can_edit_lead(actor: Actor, lead: Lead) -> bool:
    """The coordinator edits every lead; others the leads they own."""
    return actor.sees_everything or (actor.user_id is not None and lead.owner_id == actor.user_id)


def _visible_lead(db: Session, actor: Actor, lead_id: uuid.UUID) -> tuple[Lead, bool]:
    row = db.execute(
        select(Lead, leads_with_need_to_know(actor).label("ntk")).where(
            Lead.id == lead_id, leads_visible_to(actor)
        )
    ).first()
    if row is None:
        # Out-of-scope leads answer exactly like missing ones: no existence leak.
        raise NotFound("No such lead.")
    return row[0], bool(row[1])


def require_need_to_know(db: Session, actor: Actor, lead_id: uuid.UUID) -> Lead:
    lead, need_to_know = _visible_lead(db, actor, lead_id)
    if not need_to_know:
        raise PermissionDenied("This lead is confidential; only its code name is shown to you.")
    return lead


def _editable_lead(db: Session, actor: Actor, lead_id: uuid.UUID) -> Lead:
    lead, _ = _visible_lead(db, actor, lead_id)
    if not can_edit_lead(actor, lead):
        raise PermissionDenied("Only the lead's owner or the coordinator may change it.")
    return lead


def get_lead(db: Session, actor: Actor, lead_id: uuid.UUID) -> LeadView:
    lead, need_to_know = _visible_lead(db, actor, lead_id)
    stage = db.get(Stage, lead.stage_code)
    assert stage is not None  # a foreign key guarantees it
    organization = None
    contacts: list[tuple[Contact, str | None]] = []
    shares: list[LeadShare] = []
    if need_to_know:
        if lead.organization_id:
            organization = db.get(Organization, lead.organization_id)
        contacts = [
            (c, role)
            for c, role in db.execute(
                select(Contact, LeadContact.role)
                .join(LeadContact, LeadContact.contact_id == Contact.id)
                .where(LeadContact.lead_id == lead.id)
                .order_by(Contact.full_name, Contact.id)
            )
        ]
        shares = list(
            db.scalars(
                select(LeadShare)
                .where(LeadShare.lead_id == lead.id)
                .order_by(LeadShare.shared_at, LeadShare.id)
            )
        )
    municipality_codes = list(
        db.scalars(
            select(LeadMunicipality.municipality_code)
            .where(LeadMunicipality.lead_id == lead.id)
            .order_by(LeadMunicipality.municipality_code)
        )
    )
    # Only the candidate sites the actor may read: another municipality's draft stays
    # out of the answer even on a lead shared with them.
    site_ids = list(
        db.scalars(
            select(LeadSite.site_id)
            .join(Site, Site.id == LeadSite.site_id)
            .where(LeadSite.lead_id == lead.id, sites_visible_to(actor))
            .order_by(LeadSite.site_id)
        )
    )
    owner = db.get(User, lead.owner_id) if lead.owner_id else None
    duplicates: list[Lead] = []
    if actor.sees_everything and lead.merged_into_id is None:
        duplicates = ledger.possible_duplicates(
            db, lead.organization_id, lead.industry_code, municipality_codes, exclude=lead.id
        )
    return LeadView(
        lead,
        stage,
        need_to_know,
        can_edit_lead(actor, lead),
        organization,
        contacts,
        municipality_codes,
        site_ids,
        shares,
        owner,
        amount_history=ledger.amount_history(db, lead) if need_to_know else [],
        merged_leads=ledger.merged_leads(db, lead) if need_to_know else [],
        merged_into=db.get(Lead, lead.merged_into_id) if lead.merged_into_id else None,
        possible_duplicates=duplicates,
    )


# ---------------------------------------------------------------- writing leads


def lead_references(db: Session, *, landed: bool = False) -> LeadReferences:
    """The codes a new lead may use; `landed`: also the won stages (an import of a
    register that has leads already landed)."""

    def stages(kind: StageKind) -> set[str]:
        return set(db.scalars(select(Stage.code).where(Stage.active, Stage.kind == kind.value)))

    return LeadReferences(
        industry_codes=set(db.scalars(select(Industry.code).where(Industry.active))),
        municipality_codes=set(db.scalars(select(Municipality.code))),
        open_stage_codes=stages(StageKind.OPEN),
        country_codes=COUNTRY_CODES,
        zoning_statuses={z.value for z in ZoningStatus},
        won_stage_codes=stages(StageKind.WON) if landed else (),
    )


@dataclass
class LeadLinks:
    """The records a lead points at, by id; None leaves a link unchanged on edit."""

    organization_id: uuid.UUID | None = None
    contact_ids: list[uuid.UUID] | None = None
    site_ids: list[uuid.UUID] | None = None
    owner_id: uuid.UUID | None = None
    clear_organization: bool = False


# --- the registers a lead links to ------------------------------------------------------
# One gate per register, used by every path that links a record to a lead (create, edit,
# the link endpoints, the staff forms, imports): a record the actor may not read is
# refused exactly like an id that does not exist — same status, field, code and message —
# so no answer tells whether it exists.


def readable_organization(db: Session, actor: Actor, organization_id: uuid.UUID) -> bool:
    """The organisation exists and the actor may read it (scope.organizations_visible_to)."""
    return (
        db.scalar(
            select(Organization.id).where(
                Organization.id == organization_id, organizations_visible_to(actor)
            )
        )
        is not None
    )


def readable_contact_ids(
    db: Session, actor: Actor, contact_ids: Sequence[uuid.UUID], *, to_link: bool = True
) -> set[uuid.UUID]:
    """Those of the contacts that exist and the actor may read (scope.contacts_visible_to);
    to link, only people not erased."""
    if not contact_ids:
        return set()
    query = select(Contact.id).where(Contact.id.in_(contact_ids), contacts_visible_to(actor))
    if to_link:
        query = query.where(Contact.erased_at.is_(None))
    return set(db.scalars(query))


def readable_site_ids(db: Session, actor: Actor, site_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the sites that exist and the actor may read (scope.sites_visible_to)."""
    if not site_ids:
        return set()
    return set(db.scalars(select(Site.id).where(Site.id.in_(site_ids), sites_visible_to(actor))))


def _check_links(
    db: Session,
    actor: Actor,
    links: LeadLinks,
    errors: list[FieldError],
    lead: Lead | None = None,
) -> None:
    if links.organization_id and not readable_organization(db, actor, links.organization_id):
        errors.append(FieldError("organization_id", "No such organisation.", "unknown"))
    if links.contact_ids:
        found = readable_contact_ids(db, actor, links.contact_ids)
        if lead is not None:
            # A person linked already stays linked even if erased since.
            linked = set(
                db.scalars(select(LeadContact.contact_id).where(LeadContact.lead_id == lead.id))
            )
            found |= linked & readable_contact_ids(db, actor, links.contact_ids, to_link=False)
        if missing := [str(c) for c in links.contact_ids if c not in found]:
            errors.append(
                FieldError("contact_ids", f"No such contact: {', '.join(missing)}.", "unknown")
            )
    if links.site_ids:
        found = readable_site_ids(db, actor, links.site_ids)
        if missing := [str(s) for s in links.site_ids if s not in found]:
            errors.append(FieldError("site_ids", f"No such site: {', '.join(missing)}.", "unknown"))
    if links.owner_id:
        owner = db.get(User, links.owner_id)
        if owner is None or not owner.is_active or Role(owner.role) not in LEAD_WORKERS:
            errors.append(FieldError("owner_id", "Choose an active staff user.", "unknown"))
        elif owner.id != actor.user_id and not actor.sees_everything:
            errors.append(
                FieldError("owner_id", "Only the coordinator assigns leads.", "not_allowed")
            )


def validate_new_lead(
    db: Session,
    actor: Actor,
    values: dict[str, Any],
    links: LeadLinks,
    *,
    refs: LeadReferences | None = None,
    taken_code_names: set[str] | None = None,
) -> dict[str, Any]:
    """Every check of a new lead; returns the cleaned fields. Used by create and import."""
    errors: list[FieldError] = []
    try:
        cleaned = clean_lead_fields(values, refs or lead_references(db), creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    code_name = cleaned.get("code_name")
    if code_name:
        key = str(code_name).casefold()
        taken = taken_code_names is not None and key in taken_code_names
        if taken or db.scalar(select(Lead.id).where(func.lower(Lead.code_name) == key)):
            errors.append(FieldError("code_name", "This code name is already in use.", "duplicate"))
    if cleaned:
        confidentiality = str(cleaned["confidentiality"])
        announced_on = cast("date | None", cleaned["announced_on"])
        errors += check_secrecy(confidentiality, announced_on)
        cleaned["confidentiality_basis"] = _own_basis(
            confidentiality, cast("str | None", cleaned["confidentiality_basis"])
        )
        errors += ledger.status_errors(
            db,
            stage_code=str(cleaned["stage_code"]),
            capex_status=str(cleaned["capex_status"]),
            announced_on=announced_on,
        )
    _check_links(db, actor, links, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The lead is not valid.")
    return cleaned


def _own_basis(confidentiality: str, basis: str | None) -> str | None:
    """The basis to store: None when it is the class's default."""
    if basis is None or basis == confidentiality_basis(confidentiality, None):
        return None
    return basis


def _secrecy_changes(lead: Lead, cleaned: dict[str, Any], errors: list[FieldError]) -> None:
    """Check an edit's secrecy fields against the lead as it will be. A new class
    without a basis of its own takes the class's default basis."""
    if not {"confidentiality", "confidentiality_basis", "announced_on"} & cleaned.keys():
        return
    confidentiality = cleaned.get("confidentiality", lead.confidentiality)
    announced_on = cleaned.get("announced_on", lead.announced_on)
    errors += check_secrecy(confidentiality, announced_on)
    if confidentiality != lead.confidentiality and "confidentiality_basis" not in cleaned:
        cleaned["confidentiality_basis"] = None
    if "confidentiality_basis" in cleaned:
        cleaned["confidentiality_basis"] = _own_basis(
            confidentiality, cleaned["confidentiality_basis"]
        )


def create_lead(
    db: Session,
    actor: Actor,
    values: dict[str, Any],
    links: LeadLinks,
    *,
    confirm_duplicate: bool = False,
) -> Lead:
    """Create a lead. A lead of the same investor for the same investment (same
    organisation, overlapping industry or municipality) is refused as a possible
    duplicate until the user confirms it (`confirm_duplicate`), or merges the leads."""
    require_role(actor, *LEAD_WORKERS)
    cleaned = validate_new_lead(db, actor, values, links)
    if not confirm_duplicate:
        duplicates = ledger.possible_duplicates(
            db,
            links.organization_id,
            cast("str | None", cleaned.get("industry_code")),
            cast("list[str]", cleaned.get("municipality_codes", [])),
            visible=leads_visible_to(actor),
        )
        if duplicates:
            raise ValidationFailed(
                errors=ledger.duplicate_errors(duplicates),
                detail="The lead may describe an investment that already has a lead.",
            )
    lead = add_lead(db, actor, cleaned, links)
    # An owner chosen in the form hears of it; one assigned by screening already has.
    if links.owner_id is not None and lead.owner_id == links.owner_id:
        notifications.notify(
            db,
            notices.lead_assigned(
                actor_id=actor.user_id,
                lead_id=lead.id,
                owner_id=lead.owner_id,
                from_inquiry=lead.source == "portal_inquiry",
            ),
        )
    db.commit()
    return lead


def add_lead(
    db: Session,
    actor: Actor,
    cleaned: dict[str, Any],
    links: LeadLinks,
    *,
    screen: bool = True,
    now: datetime | None = None,
) -> Lead:
    """Write an already validated lead with its first stage-log entry; no commit. A new
    lead passes intake (screening and the response clock, app/services/intake.py); a
    register imported from a spreadsheet (`screen=False`) does not."""
    bind_actor(db, actor)
    now = now or utcnow()
    municipality_codes: list[str] = cleaned.pop("municipality_codes", [])
    if not cleaned.get("code_name"):
        cleaned["code_name"] = generate_code_name(set(db.scalars(select(Lead.code_name))))
    lead = Lead(
        **cleaned,
        organization_id=links.organization_id,
        owner_id=links.owner_id or actor.user_id,
        stage_changed_at=now,
        last_activity_at=now,
    )
    db.add(lead)
    record_stage_change(db, lead, lead.stage_code, actor, at=now)
    ledger.record_amounts(db, lead, actor, at=now)
    db.add_all(LeadMunicipality(lead_id=lead.id, municipality_code=c) for c in municipality_codes)
    db.add_all(LeadContact(lead_id=lead.id, contact_id=c) for c in links.contact_ids or [])
    db.add_all(LeadSite(lead_id=lead.id, site_id=s) for s in links.site_ids or [])
    db.flush()
    if screen:
        intake.admit(
            db, actor, lead, municipality_codes, owner_chosen=links.owner_id is not None, now=now
        )
    facts = ledger.stage_facts(db, lead.stage_code)
    if facts is not None and facts.kind is StageKind.WON:  # an import's landed lead
        from app.services import aftercare  # builds on this module

        aftercare.open_for_landed_lead(db, actor, lead)
    return lead


def update_lead(
    db: Session, actor: Actor, lead_id: uuid.UUID, values: dict[str, Any], links: LeadLinks
) -> Lead:
    lead = _editable_lead(db, actor, lead_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_lead_fields(values, lead_references(db), creating=False)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if "code_name" in cleaned:
        code_name = cleaned["code_name"]
        if code_name is None:
            errors.append(FieldError("code_name", "A lead always has a code name.", "required"))
        elif db.scalar(
            select(Lead.id).where(
                func.lower(Lead.code_name) == str(code_name).casefold(), Lead.id != lead.id
            )
        ):
            errors.append(FieldError("code_name", "This code name is already in use.", "duplicate"))
    _secrecy_changes(lead, cleaned, errors)
    status = cleaned.get("capex_status", lead.capex_status)
    announced_on = cleaned.get("announced_on", lead.announced_on)
    if status != lead.capex_status or announced_on != lead.announced_on:
        errors += ledger.status_errors(
            db,
            stage_code=lead.stage_code,
            capex_status=str(status),
            announced_on=cast("date | None", announced_on),
            kept=status == lead.capex_status,
        )
    _check_links(db, actor, links, errors, lead)
    if errors:
        raise ValidationFailed(errors=errors, detail="The lead is not valid.")
    bind_actor(db, actor)
    municipality_codes = cast("list[str] | None", cleaned.pop("municipality_codes", None))
    for name, value in cleaned.items():
        setattr(lead, name, value)
    ledger.record_amounts(db, lead, actor)
    if links.organization_id or links.clear_organization:
        lead.organization_id = links.organization_id
    if links.owner_id and links.owner_id != lead.owner_id:
        lead.owner_id = links.owner_id
        notifications.notify(
            db,
            notices.lead_assigned(
                actor_id=actor.user_id,
                lead_id=lead.id,
                owner_id=links.owner_id,
                from_inquiry=lead.source == "portal_inquiry",
            ),
        )
    if municipality_codes is not None:
        _replace_links(db, LeadMunicipality, lead.id, "municipality_code", municipality_codes)
    if links.contact_ids is not None:
        _replace_links(db, LeadContact, lead.id, "contact_id", links.contact_ids)
    if links.site_ids is not None:
        # Candidate sites the actor may not read (another municipality's draft) are not
        # theirs to remove: they stay, unseen.
        current = list(db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == lead.id)))
        readable = readable_site_ids(db, actor, current)
        unseen = [site_id for site_id in current if site_id not in readable]
        _replace_links(db, LeadSite, lead.id, "site_id", [*links.site_ids, *unseen])
    db.commit()
    return lead


def _replace_links(
    db: Session,
    model: type[LeadMunicipality] | type[LeadContact] | type[LeadSite],
    lead_id: uuid.UUID,
    column: str,
    wanted: Sequence[Any],
) -> None:
    current = {
        getattr(row, column): row
        for row in db.scalars(select(model).where(model.lead_id == lead_id))
    }
    for key, row in current.items():
        if key not in wanted:
            db.delete(row)
    for key in wanted:
        if key not in current:
            db.add(model(lead_id=lead_id, **{column: key}))


def link_contact(
    db: Session, actor: Actor, lead_id: uuid.UUID, contact_id: uuid.UUID, role: str | None
) -> LeadContact:
    """Link a contact person to the lead with their role on it, or change that role.
    Only the coordinator sees the contact register, so only they link people."""
    require_staff_wide(actor)
    lead = _editable_lead(db, actor, lead_id)
    parse = ParseErrors()
    cleaned_role = parse.text({"role": role}, "role", 100)
    if not readable_contact_ids(db, actor, [contact_id]):
        parse.add("contact_id", "No such contact.", "unknown")
    parse.raise_if_any("The contact cannot be linked.")
    bind_actor(db, actor)
    link = db.get(LeadContact, (lead.id, contact_id))
    if link is None:
        link = LeadContact(lead_id=lead.id, contact_id=contact_id, role=cleaned_role)
        db.add(link)
    else:
        link.role = cleaned_role
    db.commit()
    return link


def unlink_contact(db: Session, actor: Actor, lead_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    lead = _editable_lead(db, actor, lead_id)
    link = db.get(LeadContact, (lead.id, contact_id))
    if link is None or not readable_contact_ids(db, actor, [contact_id], to_link=False):
        raise NotFound("The contact is not linked to this lead.")
    bind_actor(db, actor)
    db.delete(link)
    db.commit()


def link_site(db: Session, actor: Actor, lead_id: uuid.UUID, site_id: uuid.UUID) -> None:
    """Add a candidate site the actor may see to the lead."""
    lead = _editable_lead(db, actor, lead_id)
    if not readable_site_ids(db, actor, [site_id]):
        raise ValidationFailed.single("site_id", "No such site.", "unknown")
    if db.get(LeadSite, (lead.id, site_id)) is None:
        bind_actor(db, actor)
        db.add(LeadSite(lead_id=lead.id, site_id=site_id))
        db.commit()


def unlink_site(db: Session, actor: Actor, lead_id: uuid.UUID, site_id: uuid.UUID) -> None:
    lead = _editable_lead(db, actor, lead_id)
    link = db.get(LeadSite, (lead.id, site_id))
    if link is None or not readable_site_ids(db, actor, [site_id]):
        raise NotFound("The site is not a candidate of this lead.")
    bind_actor(db, actor)
    db.delete(link)
    db.commit()


def candidate_sites(db: Session, actor: Actor, lead_id: uuid.UUID) -> list[Site]:
    """The lead's candidate sites that the actor may see."""
    _visible_lead(db, actor, lead_id)
    return list(
        db.scalars(
            select(Site)
            .join(LeadSite, LeadSite.site_id == Site.id)
            .where(LeadSite.lead_id == lead_id, sites_visible_to(actor))
            .order_by(Site.name_fi, Site.id)
        )
    )


def site_choices(db: Session, actor: Actor, *, limit: int = 1000) -> list[Site]:
    """Sites the actor may see and offer to an investor (not archived or withdrawn)."""
    return list(
        db.scalars(
            select(Site)
            .where(
                sites_visible_to(actor),
                Site.status.not_in([SiteStatus.ARCHIVED.value, SiteStatus.WITHDRAWN.value]),
            )
            .order_by(Site.municipality_code, Site.name_fi, Site.id)
            .limit(limit)
        )
    )


def contact_choices(
    db: Session, actor: Actor, organization_id: uuid.UUID | None, *, limit: int = 1000
) -> list[tuple[Contact, str | None]]:
    """Contacts to link to a lead, the investor's own people first, with their
    organisation's name."""
    require_staff_wide(actor)
    order: list[Any] = (
        [case((Contact.organization_id == organization_id, 0), else_=1)] if organization_id else []
    )
    return [
        (contact, org_name)
        for contact, org_name in db.execute(
            select(Contact, Organization.name)
            .outerjoin(Organization, Organization.id == Contact.organization_id)
            .where(Contact.erased_at.is_(None))
            .order_by(*order, Contact.full_name, Contact.id)
            .limit(limit)
        )
    ]


def set_probability(
    db: Session, actor: Actor, lead_id: uuid.UUID, probability: int | None, reason: str | None
) -> Lead:
    """Override the stage's default probability with a reason, or clear the override."""
    lead = _editable_lead(db, actor, lead_id)
    value, cleaned_reason = validate_probability_override(probability, reason)
    stage = db.get(Stage, lead.stage_code)
    if value is not None and stage is not None and stage.kind != StageKind.OPEN.value:
        raise ValidationFailed.single(
            "probability", "Only an open lead's probability can be overridden.", "not_allowed"
        )
    bind_actor(db, actor)
    lead.probability_override, lead.probability_reason = value, cleaned_reason
    db.commit()
    return lead


def _state_of(db: Session, lead: Lead) -> LeadState:
    return LeadState(
        stage_code=lead.stage_code,
        capex_eur=None if lead.capex_eur is None else Decimal(lead.capex_eur),
        capex_status=CapexStatus(lead.capex_status),
        probability_override=lead.probability_override,
        probability_reason=lead.probability_reason,
        landing_municipality_code=lead.landing_municipality_code,
        landed_on=lead.landed_on,
        lost_reason_code=lead.lost_reason_code,
        candidate_municipality_codes=tuple(
            db.scalars(
                select(LeadMunicipality.municipality_code).where(
                    LeadMunicipality.lead_id == lead.id
                )
            )
        ),
    )


def transition(db: Session, actor: Actor, lead_id: uuid.UUID, request: TransitionRequest) -> Lead:
    """Move a lead to another stage under the pipeline rules, logging who, when and why."""
    lead = _editable_lead(db, actor, lead_id)
    stages = {code: s for code, s in stage_definitions(db).items()}
    active = set(db.scalars(select(Stage.code).where(Stage.active)))
    plan = plan_transition(
        _state_of(db, lead),
        request,
        {code: s for code, s in stages.items() if code in active or code == lead.stage_code},
        set(db.scalars(select(LostReason.code).where(LostReason.active))),
        set(db.scalars(select(Municipality.code))),
    )
    status = CapexStatus(plan.new_state.capex_status).value
    target = stages[plan.to_stage]
    facts = StageFacts(target.kind, target.decision)
    if stages[lead.stage_code].kind is StageKind.WON and target.kind is not StageKind.WON:
        # A reopened landing: the status follows the stage it returns to.
        status = ledger.status_after_reopening(facts, lead.announced_on)
    else:
        errors = ledger.status_errors(
            db,
            stage_code=plan.to_stage,
            capex_status=status,
            announced_on=lead.announced_on,
            kept=status == lead.capex_status,
        )
        if errors:
            raise ValidationFailed(errors=errors, detail="The stage change is not allowed.")
    bind_actor(db, actor)
    now = utcnow()
    for name, value in plan.changes().items():
        if isinstance(value, Decimal):
            setattr(lead, name, int(value))
        elif isinstance(value, CapexStatus):
            setattr(lead, name, value.value)
        else:
            setattr(lead, name, value)
    lead.capex_status = status
    if request.realised_jobs is not None:
        lead.jobs = request.realised_jobs
    lead.lost_note = plan.note if stages[plan.to_stage].kind is StageKind.LOST else None
    lead.stage_changed_at = now
    lead.last_activity_at = now
    landing = plan.new_state.landing_municipality_code
    if landing and landing not in plan.new_state.candidate_municipality_codes:
        db.add(LeadMunicipality(lead_id=lead.id, municipality_code=landing))
    record_stage_change(db, lead, plan.to_stage, actor, note=plan.note, at=now)
    ledger.record_amounts(db, lead, actor, at=now, note=plan.note)
    if target.kind is StageKind.WON:
        from app.services import aftercare  # builds on this module

        aftercare.open_for_landed_lead(db, actor, lead)
    db.commit()
    return lead


def record_stage_change(
    db: Session,
    lead: Lead,
    to_stage: str,
    actor: Actor,
    note: str | None = None,
    at: datetime | None = None,
) -> LeadStageChange:
    """Log that `lead` entered `to_stage` at `at` (default now); no commit.

    The one writer of the stage log, so its visits keep tiling time: the visit going on
    at `at` ends there and the new one lasts until that visit would have ended — open,
    and the lead's current stage, unless a later change is already logged (history
    entered afterwards, e.g. by an import)."""
    moment = at or utcnow()
    if lead.id is None:
        db.add(lead)
        db.flush()
    # Changes of one lead wait for each other: the second sees the first's visit.
    db.execute(select(Lead.id).where(Lead.id == lead.id).with_for_update())
    log = LeadStageChange.lead_id == lead.id
    going_on = db.scalar(
        select(LeadStageChange).where(
            log,
            LeadStageChange.at <= moment,
            or_(LeadStageChange.ended_at.is_(None), LeadStageChange.ended_at > moment),
        )
    )
    if going_on is not None:
        ends = going_on.ended_at
        going_on.ended_at = moment
        # The visit is closed before the new one opens: one open visit per lead.
        db.flush()
    else:
        ends = db.scalar(select(func.min(LeadStageChange.at)).where(log))
    change = LeadStageChange(
        lead_id=lead.id,
        from_stage=going_on.to_stage if going_on is not None else None,
        to_stage=to_stage,
        at=moment,
        ended_at=ends,
        actor_user_id=actor.user_id,
        note=note,
    )
    db.add(change)
    if ends is None:
        lead.stage_code = to_stage
        lead.stage_changed_at = moment
    db.flush()
    summarise_stage_log(db, lead.id)
    return change


def summarise_stage_log(db: Session, lead_id: uuid.UUID | None = None) -> None:
    """Set each visit's summary of the log up to it — `reached_order`,
    `stage_spent_before` and `next_visit_of_stage_at` — for one lead's log or (None)
    every lead's, after the log changed or the stages' order; no commit.

    The visits are taken in the log's order: by start, a visit that ended at its start
    before one that lasted, the open one last (so the visit going on at a moment comes
    after every other visit begun before it)."""
    log = LeadStageChange
    in_order = (log.at, log.ended_at.is_(None), log.ended_at, log.id)
    funnel_order = case((Stage.kind.in_(FUNNEL_KINDS), Stage.sort_order))
    so_far = func.max(funnel_order).over(
        partition_by=log.lead_id, order_by=in_order, rows=(None, 0)
    )
    # The earlier visits of a stage have all ended: the open visit is the lead's last.
    of_stage = (log.lead_id, log.to_stage)
    spent_before = func.coalesce(
        func.sum(_microseconds(db, log.at, log.ended_at)).over(
            partition_by=of_stage, order_by=in_order, rows=(None, -1)
        ),
        0,
    )
    next_visit = func.lead(log.at).over(partition_by=of_stage, order_by=in_order)
    visits = select(
        log.id,
        so_far.label("reached_order"),
        spent_before.label("stage_spent_before"),
        next_visit.label("next_visit_of_stage_at"),
    ).join(Stage, Stage.code == log.to_stage)
    if lead_id is not None:
        visits = visits.where(log.lead_id == lead_id)
    summary = visits.subquery("summary")
    # Only changed rows are written. (Visits loaded in the session keep their old values
    # until expired; nothing reads them from them.)
    db.execute(
        update(log)
        .where(
            log.id == summary.c.id,
            or_(
                log.reached_order.is_distinct_from(summary.c.reached_order),
                log.stage_spent_before != summary.c.stage_spent_before,
                log.next_visit_of_stage_at.is_distinct_from(summary.c.next_visit_of_stage_at),
            ),
        )
        .values(
            reached_order=summary.c.reached_order,
            stage_spent_before=summary.c.stage_spent_before,
            next_visit_of_stage_at=summary.c.next_visit_of_stage_at,
        )
        .execution_options(synchronize_session=False)
    )


def _microseconds(db: Session, start: Any, end: Any) -> ColumnElement[int]:
    """Whole microseconds from `start` to `end`: exact on PostgreSQL; SQLite's date
    functions count milliseconds."""
    if db.get_bind().dialect.name == "postgresql":
        return (func.extract("epoch", end - start) * 1_000_000).cast(BigInteger)
    milliseconds = func.round((func.julianday(end) - func.julianday(start)) * 86_400_000)
    return milliseconds.cast(BigInteger) * 1000


def stage_durations(db: Session, actor: Actor, lead_id: uuid.UUID) -> dict[str, timedelta]:
    lead, _ = _visible_lead(db, actor, lead_id)
    log = [
        StageLogEntry(c.from_stage, c.to_stage, c.at)
        for c in db.scalars(select(LeadStageChange).where(LeadStageChange.lead_id == lead.id))
    ]
    return time_in_stages(log, utcnow())


# ---------------------------------------------------------------- handoffs


def _is_receiver(actor: Actor, share: LeadShare) -> bool:
    if actor.role is Role.MUNICIPAL_CONTACT:
        return share.municipality_code == actor.municipality_code
    if actor.role is Role.PARTNER:
        return share.organization_id == actor.organization_id
    return False


# The partner organisations every lead editor is offered as receivers of a handoff.
SHARE_RECEIVER_TYPES = ("partner_agency", "public_funder")


def share_receiver_choices(db: Session) -> list[Organization]:
    return list(
        db.scalars(
            select(Organization)
            .where(Organization.type.in_(SHARE_RECEIVER_TYPES))
            .order_by(Organization.name, Organization.id)
        )
    )


def _may_receive_shares(db: Session, actor: Actor, org: Organization) -> bool:
    """A partner organisation, or one the actor may read; any other answers like a
    missing id."""
    return org.type in SHARE_RECEIVER_TYPES or readable_organization(db, actor, org.id)


def share_lead(
    db: Session,
    actor: Actor,
    lead_id: uuid.UUID,
    *,
    municipality_code: str | None,
    organization_id: uuid.UUID | None,
    message: str | None,
) -> LeadShare:
    """Hand a lead to a municipality or a partner organisation, who accepts or declines."""
    lead = _editable_lead(db, actor, lead_id)
    errors: list[FieldError] = []
    if (municipality_code is None) == (organization_id is None):
        errors.append(
            FieldError(
                "municipality_code",
                "Share with either a municipality or a partner organisation.",
                "one_receiver",
            )
        )
    elif municipality_code is not None and db.get(Municipality, municipality_code) is None:
        errors.append(FieldError("municipality_code", "Unknown municipality.", "unknown"))
    elif organization_id is not None:
        org = db.get(Organization, organization_id)
        if org is None or not _may_receive_shares(db, actor, org):
            errors.append(FieldError("organization_id", "No such organisation.", "unknown"))
        elif org.id == lead.organization_id:
            errors.append(
                FieldError("organization_id", "This is the lead's investor.", "not_allowed")
            )
    text = (message or "").strip() or None
    if text and len(text) > 5000:
        errors.append(
            FieldError("message", "At most 5000 characters.", "too_long", {"limit": 5000})
        )
    if not errors:
        receiver = (
            LeadShare.municipality_code == municipality_code
            if municipality_code
            else LeadShare.organization_id == organization_id
        )
        if db.scalar(
            select(LeadShare.id).where(
                LeadShare.lead_id == lead.id, receiver, LeadShare.status != "declined"
            )
        ):
            field_name = "municipality_code" if municipality_code else "organization_id"
            errors.append(
                FieldError(field_name, "The lead is already shared with them.", "already_shared")
            )
    if errors:
        raise ValidationFailed(errors=errors, detail="The lead cannot be shared.")
    bind_actor(db, actor)
    share = LeadShare(
        lead_id=lead.id,
        municipality_code=municipality_code,
        organization_id=organization_id,
        message=text,
        shared_by_id=actor.user_id,
        shared_at=utcnow(),
    )
    db.add(share)
    lead.last_activity_at = utcnow()
    db.flush()
    notifications.notify(
        db,
        notices.lead_shared(
            actor_id=actor.user_id,
            lead_id=lead.id,
            share_id=share.id,
            municipality_code=municipality_code,
            organization_id=organization_id,
            message=text,
        ),
    )
    db.commit()
    return share


def respond_to_share(
    db: Session, actor: Actor, share_id: uuid.UUID, *, accept: bool, note: str | None
) -> LeadShare:
    share = db.get(LeadShare, share_id)
    if share is None or not _is_receiver(actor, share):
        raise NotFound("No such share.")
    if share.status != "pending":
        raise Conflict(f"The share was already {share.status}.")
    text = (note or "").strip() or None
    if text and len(text) > 5000:
        raise ValidationFailed.single(
            "note", "At most 5000 characters.", "too_long", {"limit": 5000}
        )
    bind_actor(db, actor)
    share.status = "accepted" if accept else "declined"
    share.responded_by_id = actor.user_id
    share.responded_at = utcnow()
    share.response_note = text
    lead = db.get(Lead, share.lead_id)
    if lead is not None:
        lead.last_activity_at = utcnow()
    notifications.notify(
        db,
        notices.share_answered(
            actor_id=actor.user_id,
            lead_id=share.lead_id,
            share_id=share.id,
            shared_by_id=share.shared_by_id,
            accepted=accept,
            note=text,
        ),
    )
    db.commit()
    return share


def list_shares(db: Session, actor: Actor, lead_id: uuid.UUID) -> list[LeadShare]:
    lead = require_need_to_know(db, actor, lead_id)
    return list(
        db.scalars(
            select(LeadShare).where(LeadShare.lead_id == lead.id).order_by(LeadShare.shared_at)
        )
    )


def incoming_shares(db: Session, actor: Actor) -> list[tuple[LeadShare, Lead]]:
    """Handoffs waiting for this actor's answer."""
    if actor.role is Role.MUNICIPAL_CONTACT:
        receiver = LeadShare.municipality_code == actor.municipality_code
    elif actor.role is Role.PARTNER:
        receiver = LeadShare.organization_id == actor.organization_id
    else:
        return []
    return [
        (share, lead)
        for share, lead in db.execute(
            select(LeadShare, Lead)
            .join(Lead, Lead.id == LeadShare.lead_id)
            .where(receiver, LeadShare.status == "pending")
            .order_by(LeadShare.shared_at.desc(), LeadShare.id)
        )
    ]


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    summary: str
    actor: str | None
    details: dict[str, Any]


def _names(db: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i: n for i, n in db.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))}


def timeline(db: Session, actor: Actor, lead_id: uuid.UUID) -> list[TimelineItem]:
    """Everything that happened to a lead, newest first: stage log, activities, shares
    and the audit trail of the lead and its shares."""
    lead = require_need_to_know(db, actor, lead_id)
    # A merged duplicate's stage log stays its own; the surviving lead shows it too.
    merged = {m.id: m.code_name for m in ledger.merged_leads(db, lead)}
    changes = list(
        db.scalars(select(LeadStageChange).where(LeadStageChange.lead_id.in_([lead.id, *merged])))
    )
    activities = list(db.scalars(select(Activity).where(Activity.lead_id == lead.id)))
    shares = list(db.scalars(select(LeadShare).where(LeadShare.lead_id == lead.id)))
    names = _names(
        db,
        {c.actor_user_id for c in changes}
        | {a.created_by_id for a in activities}
        | {a.assignee_id for a in activities}
        | {s.shared_by_id for s in shares}
        | {s.responded_by_id for s in shares},
    )
    receivers = _receiver_names(db, shares)
    items: list[TimelineItem] = []
    for c in changes:
        items.append(
            TimelineItem(
                c.at,
                "stage_change",
                f"{c.from_stage or '–'} → {c.to_stage}",
                names.get(c.actor_user_id) if c.actor_user_id else None,
                {
                    "from_stage": c.from_stage,
                    "to_stage": c.to_stage,
                    "note": c.note,
                    **({"merged_lead": merged[c.lead_id]} if c.lead_id in merged else {}),
                },
            )
        )
    for a in activities:
        items.append(
            TimelineItem(
                a.occurred_at,
                "activity",
                a.subject,
                names.get(a.created_by_id) if a.created_by_id else None,
                {
                    "activity_id": str(a.id),
                    "activity_kind": a.kind,
                    "body": a.body,
                    "due_on": a.due_on.isoformat() if a.due_on else None,
                    "assignee": names.get(a.assignee_id) if a.assignee_id else None,
                    "done": a.done_at is not None,
                    "origin_type": a.origin_type,
                    "origin_id": a.origin_id,
                },
            )
        )
    for s in shares:
        receiver = receivers.get(s.id, "")
        items.append(
            TimelineItem(
                s.shared_at,
                "share",
                receiver,
                names.get(s.shared_by_id) if s.shared_by_id else None,
                {"share_id": str(s.id), "message": s.message, "status": s.status},
            )
        )
        if s.responded_at is not None:
            items.append(
                TimelineItem(
                    s.responded_at,
                    "share_response",
                    receiver,
                    names.get(s.responded_by_id) if s.responded_by_id else None,
                    {"share_id": str(s.id), "status": s.status, "note": s.response_note},
                )
            )
    audit: list[AuditEntry] = entries_for(db, "leads", str(lead.id))
    for s in shares:
        audit += entries_for(db, "lead_shares", str(s.id))
    for entry in audit:
        items.append(
            TimelineItem(
                entry.at,
                "audit",
                f"{entry.entity_type} {entry.action}",
                entry.actor_label,
                {
                    "entity_type": entry.entity_type,
                    "action": entry.action,
                    "changes": entry.changes,
                },
            )
        )
    order = {"audit": 1}
    items.sort(key=lambda i: (i.at, -order.get(i.kind, 0)), reverse=True)
    return items


def _receiver_names(db: Session, shares: list[LeadShare]) -> dict[uuid.UUID, str]:
    municipalities = {c: n for c, n in db.execute(select(Municipality.code, Municipality.name_fi))}
    org_ids = {s.organization_id for s in shares if s.organization_id}
    orgs = (
        {
            i: n
            for i, n in db.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
            )
        }
        if org_ids
        else {}
    )
    return {
        s.id: municipalities.get(s.municipality_code or "", "")
        if s.municipality_code
        else orgs.get(s.organization_id, "")  # type: ignore[arg-type]
        for s in shares
    }


# ---------------------------------------------------------------- export


EXPORT_COLUMNS = (
    "code_name",
    "title",
    "stage",
    "probability",
    "capex_eur",
    "capex_basis",
    "capex_status",
    "weighted_value_eur",
    "jobs",
    "industry",
    "investment_type",
    "origin_country",
    "source",
    "priority",
    "expected_decision_on",
    "landing_municipality",
    "landed_on",
    "lost_reason",
    "owner",
    "investor_organization",
    "investor_contacts",
)


def export_rows(db: Session, actor: Actor, filters: LeadFilters) -> list[list[object]]:
    """The filtered list as table rows; investor fields blank without need-to-know."""
    require_lead_records(actor)
    query = lead_list_query(actor, filters, (Lead,)).order_by(*_sort_clause(filters.sort))
    rows = [
        (lead, LeadRow(lead, kind, default, org, bool(ntk)))
        for lead, kind, default, org, ntk in db.execute(query.limit(EXPORT_LIMIT))
    ]
    known = [lead.id for lead, r in rows if r.need_to_know]
    contacts: dict[uuid.UUID, list[str]] = {}
    for start in range(0, len(known), 1000):
        for lead_id, name in db.execute(
            select(LeadContact.lead_id, Contact.full_name)
            .join(Contact, Contact.id == LeadContact.contact_id)
            .where(LeadContact.lead_id.in_(known[start : start + 1000]))
            .order_by(Contact.full_name)
        ):
            contacts.setdefault(lead_id, []).append(name)
    owners = _names(db, {lead.owner_id for lead, _r in rows})
    out: list[list[object]] = []
    for lead, r in rows:
        out.append(
            [
                lead.code_name,
                lead.title,
                lead.stage_code,
                r.probability,
                lead.capex_eur,
                lead.capex_basis,
                lead.capex_status,
                r.weighted_value_eur,
                lead.jobs,
                lead.industry_code,
                lead.investment_type,
                lead.origin_country,
                lead.source,
                lead.priority,
                lead.expected_decision_on,
                lead.landing_municipality_code,
                lead.landed_on,
                lead.lost_reason_code,
                owners.get(lead.owner_id) if lead.owner_id else None,
                r.organization_name if r.need_to_know else None,
                "; ".join(contacts.get(lead.id, [])) if r.need_to_know else None,
            ]
        )
    return out


# ---------------------------------------------------------------- stale leads


def stale_leads(
    db: Session, actor: Actor, days: int, *, limit: int = 50, offset: int = 0
) -> tuple[list[Lead], int]:
    """Open leads the actor works on with no activity for `days` days, oldest first."""
    require_lead_records(actor)
    cutoff = utcnow() - timedelta(days=days)
    query = (
        select(Lead)
        .join(Stage, Stage.code == Lead.stage_code)
        .where(
            leads_with_need_to_know(actor),
            Stage.kind == StageKind.OPEN.value,
            Lead.last_activity_at < cutoff,
        )
    )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Lead.last_activity_at, Lead.id).limit(limit).offset(offset))
    return list(rows), total


def _check_lead_access(db: Session, actor: Actor, entity_id: str) -> None:
    require_need_to_know(db, actor, parse_uuid(entity_id))


register_access_check("leads", _check_lead_access)
