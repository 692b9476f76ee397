"""Aftercare and reinvestment: accounts of landed investors and local companies, their
relationship plan (check-in tasks), visits, open issues and expansion leads; the share
of the pipeline that comes from existing investors; the capital investors register.

Accounts are worked by the coordinator and by the contacts of the account's
municipality (services/scope.py); the register of capital investors is the
coordinator's. Reports read the figures as aggregates only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    AftercareAccount,
    AftercareIssue,
    AftercareLead,
    AftercareVisit,
    CapitalInvestor,
    Industry,
    InvestmentTarget,
    Lead,
    Municipality,
    Organization,
    Stage,
    User,
)
from app.domain import notifications as notices
from app.domain.access import (
    SYSTEM_ACTOR,
    Actor,
    Role,
    require_municipality_edit,
    require_role,
    require_staff_wide,
)
from app.domain.activities import ActivityKind
from app.domain.aftercare import (
    AccountKind,
    CapitalStage,
    InvestorProfile,
    IssueCategory,
    IssueStatus,
    Reason,
    clean_account_fields,
    clean_investor_fields,
    clean_issue_fields,
    clean_visit_fields,
    match_reasons,
    next_checkin,
)
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.leads import InvestmentType, LeadSource, StageKind
from app.domain.organizations import COUNTRY_CODES
from app.domain.reports import REPORTING_ZONE
from app.domain.targets import Figure
from app.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    format_eur,
    register_field_errors,
    register_labels,
    translate,
)
from app.services import notifications, organizations
from app.services.leads import LeadLinks, add_lead, require_need_to_know, validate_new_lead
from app.services.scope import aftercare_accounts_visible_to, leads_with_need_to_know
from app.services.targets import classified, get_target, require_report_reader, tune_for_reports

register_labels(
    "account_kind",
    {
        AccountKind.EXISTING_INVESTOR.value: N_("Existing investor"),
        AccountKind.LOCAL_COMPANY.value: N_("Local company"),
    },
)
register_labels(
    "issue_category",
    {
        IssueCategory.PERMITS.value: N_("Permits"),
        IssueCategory.WORKFORCE.value: N_("Workforce"),
        IssueCategory.ENERGY.value: N_("Energy"),
        IssueCategory.LOGISTICS.value: N_("Logistics"),
        IssueCategory.OTHER.value: N_("Other"),
    },
)
register_labels(
    "issue_status",
    {IssueStatus.OPEN.value: N_("Open"), IssueStatus.RESOLVED.value: N_("Resolved")},
)
register_labels(
    "capital_stage",
    {
        CapitalStage.SEED.value: N_("Seed"),
        CapitalStage.VENTURE.value: N_("Venture"),
        CapitalStage.GROWTH.value: N_("Growth"),
        CapitalStage.BUYOUT.value: N_("Buyout"),
        CapitalStage.PROJECT.value: N_("Project finance"),
        CapitalStage.INFRASTRUCTURE.value: N_("Infrastructure"),
    },
)
register_field_errors(
    {
        ("required", "organization_id"): N_("Choose an organisation or name a new one."),
        ("duplicate", "organization_id"): N_("This organisation already has an account."),
        ("duplicate_investor", "organization_id"): N_(
            "This organisation is in the register already."
        ),
        ("required", "visited_on"): N_("Give the date of the visit."),
        ("invalid_choice", "checkin_months"): N_("Choose every 3, 6 or 12 months."),
        ("no_access", "owner_id"): N_("The owner must be able to work on this account."),
        ("min_above_max", "ticket_min_eur"): N_("The smallest ticket is above the largest."),
    }
)

CHECKIN_ORIGIN = "aftercare_checkin"
# A landed investor's first plan: a check-in every six months.
DEFAULT_CADENCE = 6
WRITERS = (Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)


def today() -> date:
    return utcnow().astimezone(REPORTING_ZONE).date()


# ---------------------------------------------------------------- accounts: reading


def _require_worker(actor: Actor) -> None:
    """Partners and the forum read no account (the forum sees the report's aggregates)."""
    require_role(actor, *WRITERS)


def get_account(db: Session, actor: Actor, account_id: uuid.UUID) -> AftercareAccount:
    _require_worker(actor)
    account = db.scalar(
        select(AftercareAccount).where(
            AftercareAccount.id == account_id, aftercare_accounts_visible_to(actor)
        )
    )
    if account is None:
        raise NotFound("No such aftercare account.")
    return account


@dataclass(frozen=True)
class AccountRow:
    account: AftercareAccount
    organization_name: str
    owner_name: str | None
    open_issues: int
    next_checkin_on: date | None


def list_accounts(
    db: Session,
    actor: Actor,
    *,
    q: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AccountRow], int]:
    _require_worker(actor)
    query = (
        select(AftercareAccount, Organization.name, User.full_name)
        .join(Organization, Organization.id == AftercareAccount.organization_id)
        .outerjoin(User, User.id == AftercareAccount.owner_id)
        .where(aftercare_accounts_visible_to(actor))
    )
    if q and q.strip():
        query = query.where(Organization.name.ilike(f"%{q.strip()}%"))
    if kind:
        query = query.where(AftercareAccount.kind == kind)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = list(
        db.execute(
            query.order_by(Organization.name, AftercareAccount.id).limit(limit).offset(offset)
        )
    )
    ids = [row[0].id for row in found]
    issues = dict(
        db.execute(
            select(AftercareIssue.account_id, func.count())
            .where(
                AftercareIssue.account_id.in_(ids),
                AftercareIssue.status == IssueStatus.OPEN.value,
            )
            .group_by(AftercareIssue.account_id)
        ).all()
    )
    due = _next_checkins(db, ids)
    rows = [
        AccountRow(account, name, owner, issues.get(account.id, 0), due.get(account.id))
        for account, name, owner in found
    ]
    return rows, total


def _next_checkins(db: Session, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    keys = [str(i) for i in account_ids]
    return {
        uuid.UUID(origin): due
        for origin, due in db.execute(
            select(Activity.origin_id, func.min(Activity.due_on))
            .where(
                Activity.origin_type == CHECKIN_ORIGIN,
                Activity.origin_id.in_(keys),
                Activity.done_at.is_(None),
            )
            .group_by(Activity.origin_id)
        )
        if origin is not None and due is not None
    }


@dataclass(frozen=True)
class Investment:
    """A landed investment of the account's organisation, as the ledger has it."""

    lead: Lead
    realised_eur: int | None
    readable: bool


@dataclass(frozen=True)
class AccountView:
    account: AftercareAccount
    organization: Organization
    owner: User | None
    investments: list[Investment]
    expansions: list[tuple[Lead, Stage, bool]]
    visits: list[AftercareVisit]
    issues: list[AftercareIssue]
    open_checkin: Activity | None
    names: dict[uuid.UUID, str]

    @property
    def realised_total_eur(self) -> int:
        return sum(i.realised_eur or 0 for i in self.investments)


def account_page(db: Session, actor: Actor, account_id: uuid.UUID) -> AccountView:
    account = get_account(db, actor, account_id)
    organization = db.get(Organization, account.organization_id)
    assert organization is not None  # a foreign key guarantees it
    linked = select(AftercareLead.lead_id).where(AftercareLead.account_id == account.id)
    readable = set(
        db.scalars(
            select(Lead.id).where(
                (Lead.organization_id == account.organization_id) | Lead.id.in_(linked),
                leads_with_need_to_know(actor),
            )
        )
    )
    won = select(Stage.code).where(Stage.kind == StageKind.WON.value)
    landed = db.scalars(
        select(Lead)
        .where(
            Lead.organization_id == account.organization_id,
            Lead.stage_code.in_(won),
            Lead.merged_into_id.is_(None),
        )
        .order_by(Lead.landed_on.desc().nulls_last(), Lead.id)
    )
    investments = [
        Investment(
            lead,
            lead.capex_eur if lead.capex_status == "realised" else None,
            lead.id in readable,
        )
        for lead in landed
        # A contact reads the investments made in their own municipality.
        if actor.sees_everything
        or lead.id in readable
        or lead.landing_municipality_code == account.municipality_code
    ]
    expansions = [
        (lead, stage, lead.id in readable)
        for lead, stage in db.execute(
            select(Lead, Stage)
            .join(AftercareLead, AftercareLead.lead_id == Lead.id)
            .join(Stage, Stage.code == Lead.stage_code)
            .where(AftercareLead.account_id == account.id)
            .order_by(Lead.created_at, Lead.id)
        )
    ]
    visits = list(
        db.scalars(
            select(AftercareVisit)
            .where(AftercareVisit.account_id == account.id)
            .order_by(AftercareVisit.visited_on.desc(), AftercareVisit.id)
        )
    )
    issues = list(
        db.scalars(
            select(AftercareIssue)
            .where(AftercareIssue.account_id == account.id)
            .order_by(
                case((AftercareIssue.status == IssueStatus.OPEN.value, 0), else_=1),
                AftercareIssue.created_at.desc(),
                AftercareIssue.id,
            )
        )
    )
    people = {account.owner_id, *(v.recorded_by_id for v in visits), *(i.owner_id for i in issues)}
    wanted = {p for p in people if p}
    names = dict(db.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())
    return AccountView(
        account,
        organization,
        db.get(User, account.owner_id) if account.owner_id else None,
        investments,
        expansions,
        visits,
        issues,
        _open_checkin(db, account.id),
        names,
    )


def _open_checkin(db: Session, account_id: uuid.UUID) -> Activity | None:
    return db.scalar(
        select(Activity)
        .where(
            Activity.origin_type == CHECKIN_ORIGIN,
            Activity.origin_id == str(account_id),
            Activity.done_at.is_(None),
        )
        .order_by(Activity.due_on, Activity.id)
        .limit(1)
    )


def owner_choices(db: Session, municipality_code: str | None) -> list[User]:
    """Who may own an account: the regional team and the municipality's contacts."""
    query = select(User).where(User.is_active.is_(True))
    staff = User.role.in_([Role.ADMIN.value, Role.COORDINATOR.value])
    if municipality_code:
        query = query.where(
            staff
            | (
                (User.role == Role.MUNICIPAL_CONTACT.value)
                & (User.municipality_code == municipality_code)
            )
        )
    else:
        query = query.where(staff)
    return list(db.scalars(query.order_by(User.full_name, User.id)))


def organization_choices(db: Session, actor: Actor) -> list[Organization]:
    """Organisations without an account yet, for the coordinator's picker."""
    if not actor.sees_everything:
        return []
    taken = select(AftercareAccount.organization_id)
    return list(
        db.scalars(
            select(Organization).where(Organization.id.not_in(taken)).order_by(Organization.name)
        )
    )


# ---------------------------------------------------------------- accounts: writing


def _check_owner(
    db: Session, owner_id: uuid.UUID, municipality_code: str, errors: list[FieldError]
) -> None:
    if owner_id not in {u.id for u in owner_choices(db, municipality_code)}:
        errors.append(
            FieldError("owner_id", "The owner must be able to work on this account.", "no_access")
        )


def create_account(
    db: Session,
    actor: Actor,
    values: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
    organization_name: str | None = None,
    owner_id: uuid.UUID | None = None,
) -> AftercareAccount:
    """Open an account by hand: for an organisation of the register (the coordinator),
    or for a company named here, which joins the register (e.g. a local company)."""
    _require_worker(actor)
    municipalities = set(db.scalars(select(Municipality.code)))
    errors: list[FieldError] = []
    try:
        cleaned = clean_account_fields(values, creating=True, municipality_codes=municipalities)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if cleaned.get("municipality_code"):
        require_municipality_edit(actor, cleaned["municipality_code"])
    org: Organization | None = None
    new_org: dict[str, Any] | None = None
    if organization_id is not None and actor.sees_everything:
        org = db.get(Organization, organization_id)
        if org is None:
            errors.append(FieldError("organization_id", "Choose from the list.", "invalid"))
    elif organization_name:
        try:
            new_org = organizations.validate_organization(
                db,
                {"name": organization_name, "type": "company", "country": "FI"},
                confirm_duplicate=False,
            )
        except ValidationFailed as failed:
            errors += [
                FieldError("organization_name", e.reason, e.code, e.params) for e in failed.errors
            ]
    else:
        errors.append(
            FieldError("organization_id", "Choose an organisation or name a new one.", "required")
        )
    if org is not None and db.scalar(
        select(AftercareAccount.id).where(AftercareAccount.organization_id == org.id)
    ):
        errors.append(
            FieldError("organization_id", "This organisation already has an account.", "duplicate")
        )
    owner_id = owner_id or actor.user_id
    if owner_id is not None and cleaned.get("municipality_code"):
        _check_owner(db, owner_id, cleaned["municipality_code"], errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The account is not valid.")
    bind_actor(db, actor)
    if new_org is not None:
        org = Organization(**new_org)
        db.add(org)
        db.flush()
    assert org is not None
    account = AftercareAccount(organization_id=org.id, owner_id=owner_id, **cleaned)
    db.add(account)
    db.flush()
    _plan_checkin(db, actor, account, from_day=today())
    db.commit()
    return account


def update_account(
    db: Session,
    actor: Actor,
    account_id: uuid.UUID,
    values: dict[str, Any],
    *,
    owner_id: uuid.UUID | None = None,
) -> AftercareAccount:
    account = get_account(db, actor, account_id)
    municipalities = set(db.scalars(select(Municipality.code)))
    errors: list[FieldError] = []
    try:
        cleaned = clean_account_fields(values, creating=False, municipality_codes=municipalities)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if "municipality_code" in cleaned and cleaned["municipality_code"] != account.municipality_code:
        require_municipality_edit(actor, cleaned["municipality_code"])
    municipality = cleaned.get("municipality_code") or account.municipality_code
    if owner_id is not None:
        _check_owner(db, owner_id, municipality, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The account is not valid.")
    bind_actor(db, actor)
    replan = "checkin_months" in cleaned and cleaned["checkin_months"] != account.checkin_months
    for name, value in cleaned.items():
        setattr(account, name, value)
    task = _open_checkin(db, account.id)
    if owner_id is not None and owner_id != account.owner_id:
        account.owner_id = owner_id
        if task is not None and not replan:
            task.assignee_id = owner_id
            _notify_task(db, actor, task)
    if replan:
        if task is not None:
            db.delete(task)
            db.flush()
        last_visit = db.scalar(
            select(func.max(AftercareVisit.visited_on)).where(
                AftercareVisit.account_id == account.id
            )
        )
        _plan_checkin(db, actor, account, from_day=last_visit or today())
    db.commit()
    return account


def _notify_task(db: Session, actor: Actor, task: Activity) -> None:
    if task.assignee_id is not None:
        notifications.notify(
            db,
            notices.task_assigned(
                actor_id=actor.user_id,
                activity_id=task.id,
                lead_id=None,
                assignee_id=task.assignee_id,
            ),
        )


def _plan_checkin(db: Session, actor: Actor, account: AftercareAccount, *, from_day: date) -> None:
    """The relationship plan's next check-in: a task for the account's owner, due the
    cadence after `from_day`. One open check-in per account."""
    if account.checkin_months is None or _open_checkin(db, account.id) is not None:
        return
    organization = db.get(Organization, account.organization_id)
    assert organization is not None
    owner = db.get(User, account.owner_id) if account.owner_id else None
    # The task's subject is stored text: written in its assignee's language.
    lang = owner.language if owner else DEFAULT_LANGUAGE
    subject = translate(lang, "Aftercare check-in: %(name)s", name=organization.name)
    task = Activity(
        kind=ActivityKind.TASK.value,
        subject=subject[:200],
        organization_id=account.organization_id,
        due_on=next_checkin(from_day, account.checkin_months),
        assignee_id=account.owner_id,
        created_by_id=actor.user_id,
        origin_type=CHECKIN_ORIGIN,
        origin_id=str(account.id),
    )
    db.add(task)
    db.flush()
    _notify_task(db, actor, task)


def checkin_done(db: Session, actor: Actor, task: Activity) -> None:
    """A check-in task ticked done: the plan's next one follows, from the day it was
    done. Called by the activities service in its transaction."""
    if task.origin_type != CHECKIN_ORIGIN or task.origin_id is None:
        return
    account = db.get(AftercareAccount, uuid.UUID(task.origin_id))
    if account is not None:
        db.flush()
        _plan_checkin(db, actor, account, from_day=today())


def open_for_landed_lead(db: Session, actor: Actor, lead: Lead) -> AftercareAccount | None:
    """A lead has landed: its investor becomes an aftercare account (unless it is one
    already), owned by the lead's owner, in the landing municipality, with the default
    plan counted from the landing day. Joins the caller's transaction."""
    if lead.organization_id is None or lead.landing_municipality_code is None:
        return None
    if db.scalar(
        select(AftercareAccount.id).where(AftercareAccount.organization_id == lead.organization_id)
    ):
        return None
    owner_id = lead.owner_id
    if owner_id is not None and owner_id not in {
        u.id for u in owner_choices(db, lead.landing_municipality_code)
    }:
        owner_id = None
    account = AftercareAccount(
        organization_id=lead.organization_id,
        kind=AccountKind.EXISTING_INVESTOR.value,
        municipality_code=lead.landing_municipality_code,
        owner_id=owner_id,
        checkin_months=DEFAULT_CADENCE,
        origin_lead_id=lead.id,
    )
    db.add(account)
    db.flush()
    _plan_checkin(db, actor, account, from_day=lead.landed_on or today())
    return account


# ---------------------------------------------------------------- visits and issues


def add_visit(
    db: Session, actor: Actor, account_id: uuid.UUID, values: dict[str, Any]
) -> AftercareVisit:
    """Notes of a visit. A visit is the check-in: the open check-in task is done, and
    the next is planned from the visit's day."""
    account = get_account(db, actor, account_id)
    cleaned = clean_visit_fields(values)
    bind_actor(db, actor)
    visit = AftercareVisit(account_id=account.id, recorded_by_id=actor.user_id, **cleaned)
    db.add(visit)
    task = _open_checkin(db, account.id)
    if task is not None:
        task.done_at = utcnow()
        task.done_by_id = actor.user_id
        db.flush()
    _plan_checkin(db, actor, account, from_day=cleaned["visited_on"])
    db.commit()
    return visit


def _check_issue_owner(
    db: Session, account: AftercareAccount, owner_id: uuid.UUID | None, errors: list[FieldError]
) -> None:
    if owner_id is not None:
        _check_owner(db, owner_id, account.municipality_code, errors)


def add_issue(
    db: Session,
    actor: Actor,
    account_id: uuid.UUID,
    values: dict[str, Any],
    *,
    owner_id: uuid.UUID | None = None,
) -> AftercareIssue:
    account = get_account(db, actor, account_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_issue_fields(values, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    owner_id = owner_id or account.owner_id or actor.user_id
    _check_issue_owner(db, account, owner_id, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The issue is not valid.")
    cleaned.pop("status", None)
    cleaned.pop("resolution", None)
    bind_actor(db, actor)
    issue = AftercareIssue(account_id=account.id, owner_id=owner_id, **cleaned)
    db.add(issue)
    db.commit()
    return issue


def update_issue(
    db: Session,
    actor: Actor,
    account_id: uuid.UUID,
    issue_id: uuid.UUID,
    values: dict[str, Any],
    *,
    owner_id: uuid.UUID | None = None,
) -> AftercareIssue:
    account = get_account(db, actor, account_id)
    issue = db.scalar(
        select(AftercareIssue).where(
            AftercareIssue.id == issue_id, AftercareIssue.account_id == account.id
        )
    )
    if issue is None:
        raise NotFound("No such issue.")
    errors: list[FieldError] = []
    try:
        cleaned = clean_issue_fields(values, creating=False)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    _check_issue_owner(db, account, owner_id, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The issue is not valid.")
    bind_actor(db, actor)
    status = cleaned.pop("status", issue.status)
    for name, value in cleaned.items():
        setattr(issue, name, value)
    if status != issue.status:
        issue.status = status
        issue.resolved_at = utcnow() if status == IssueStatus.RESOLVED.value else None
    if owner_id is not None:
        issue.owner_id = owner_id
    db.commit()
    return issue


# ---------------------------------------------------------------- expansion leads


def expansion_defaults(db: Session, actor: Actor, account_id: uuid.UUID) -> dict[str, Any]:
    """A new lead's fields prefilled from the account: the investor, the type
    (expansion), its industry and country, the account's municipality."""
    account = get_account(db, actor, account_id)
    organization = db.get(Organization, account.organization_id)
    assert organization is not None
    origin = db.get(Lead, account.origin_lead_id) if account.origin_lead_id else None
    industry = organization.industry_code or (origin.industry_code if origin else None)
    return {
        "title": translate(
            actor_language(db, actor), "Expansion of %(name)s", name=organization.name
        )[:200],
        "investment_type": InvestmentType.EXPANSION.value,
        "source": LeadSource.OWN_PROSPECTING.value,
        "industry_code": industry,
        "origin_country": organization.country,
        "municipality_codes": [account.municipality_code],
    }


def actor_language(db: Session, actor: Actor) -> str:
    user = db.get(User, actor.user_id) if actor.user_id else None
    return user.language if user else DEFAULT_LANGUAGE


def start_expansion(
    db: Session, actor: Actor, account_id: uuid.UUID, values: dict[str, Any]
) -> Lead:
    """An expansion or reinvestment: a new lead of the account's organisation, linked to
    the account, owned by whoever starts it. Fields not given come from the account.
    (A second lead of a known investor is the point here, so no duplicate check.)"""
    account = get_account(db, actor, account_id)
    merged = {**expansion_defaults(db, actor, account_id), **values}
    merged["investment_type"] = InvestmentType.EXPANSION.value
    links = LeadLinks(organization_id=account.organization_id)
    cleaned = validate_new_lead(db, SYSTEM_ACTOR, merged, links)
    lead = add_lead(db, actor, cleaned, links)
    db.add(AftercareLead(lead_id=lead.id, account_id=account.id))
    db.commit()
    return lead


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class OriginFigures:
    """Leads of one origin (existing investors or new ones) in a report period."""

    pipeline_leads: int = 0
    pipeline_capex_eur: int = 0
    weighted_eur: int = 0
    realised_leads: int = 0
    realised_eur: int = 0


@dataclass(frozen=True)
class InvestorOrigin:
    target: InvestmentTarget
    as_of: date
    existing: OriginFigures
    new: OriginFigures
    shares: dict[str, float] = field(default_factory=dict)


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def investor_origin(
    db: Session, actor: Actor, target_id: uuid.UUID, *, as_of: date, today: date
) -> InvestorOrigin:
    """How much of the pipeline (leads, capex, probability-weighted) and of the realised
    investment of a target's period comes from existing investors (leads started from an
    aftercare account) and how much from new ones. Each lead counts in the figure the
    target's ledger rules put it in (app/services/targets.py); counts and sums only."""
    require_report_reader(actor)
    target = get_target(db, actor, target_id)
    tune_for_reports(db)
    rows = classified(target, as_of, today, actor).subquery("classified")
    existing = AftercareLead.lead_id.is_not(None)
    in_pipeline = rows.c.figure.in_([Figure.COMMITTED.value, Figure.WEIGHTED.value])
    realised = rows.c.figure == Figure.REALISED.value
    query = (
        select(
            existing.label("existing"),
            func.sum(case((in_pipeline, 1), else_=0)),
            func.sum(case((in_pipeline, rows.c.capex_eur), else_=0)),
            func.sum(case((in_pipeline, rows.c.amount), else_=0)),
            func.sum(case((realised, 1), else_=0)),
            func.sum(case((realised, rows.c.amount), else_=0)),
        )
        .select_from(rows)
        .outerjoin(AftercareLead, AftercareLead.lead_id == rows.c.lead_id)
        .group_by(existing)
    )
    figures = {True: OriginFigures(), False: OriginFigures()}
    for is_existing, *sums in db.execute(query):
        figures[bool(is_existing)] = OriginFigures(*(int(s or 0) for s in sums))
    old, new = figures[True], figures[False]
    shares = {
        "pipeline_leads": _share(old.pipeline_leads, old.pipeline_leads + new.pipeline_leads),
        "pipeline_capex": _share(
            old.pipeline_capex_eur, old.pipeline_capex_eur + new.pipeline_capex_eur
        ),
        "weighted": _share(old.weighted_eur, old.weighted_eur + new.weighted_eur),
        "realised": _share(old.realised_eur, old.realised_eur + new.realised_eur),
    }
    return InvestorOrigin(target, as_of, old, new, shares)


# ---------------------------------------------------------------- capital investors


@dataclass(frozen=True)
class InvestorRow:
    investor: CapitalInvestor
    organization_name: str


def list_investors(
    db: Session, actor: Actor, *, active_only: bool = False, limit: int = 200, offset: int = 0
) -> tuple[list[InvestorRow], int]:
    require_staff_wide(actor)
    query = select(CapitalInvestor, Organization.name).join(
        Organization, Organization.id == CapitalInvestor.organization_id
    )
    if active_only:
        query = query.where(CapitalInvestor.active.is_(True))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(Organization.name, CapitalInvestor.id).limit(limit).offset(offset)
    )
    return [InvestorRow(investor, name) for investor, name in rows], total


def get_investor(db: Session, actor: Actor, investor_id: uuid.UUID) -> InvestorRow:
    require_staff_wide(actor)
    row = db.execute(
        select(CapitalInvestor, Organization.name)
        .join(Organization, Organization.id == CapitalInvestor.organization_id)
        .where(CapitalInvestor.id == investor_id)
    ).first()
    if row is None:
        raise NotFound("No such capital investor.")
    return InvestorRow(row[0], row[1])


def _clean_investor(db: Session, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    return clean_investor_fields(
        values,
        creating=creating,
        industry_codes=set(db.scalars(select(Industry.code))),
        country_codes=COUNTRY_CODES,
    )


def _ticket_errors(low: int | None, high: int | None) -> list[FieldError]:
    if low is not None and high is not None and low > high:
        return [
            FieldError(
                "ticket_min_eur", "The smallest ticket is above the largest.", "min_above_max"
            )
        ]
    return []


def create_investor(
    db: Session, actor: Actor, organization_id: uuid.UUID, values: dict[str, Any]
) -> CapitalInvestor:
    require_staff_wide(actor)
    errors: list[FieldError] = []
    try:
        cleaned = _clean_investor(db, values, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if db.get(Organization, organization_id) is None:
        errors.append(FieldError("organization_id", "Choose from the list.", "invalid"))
    elif db.scalar(
        select(CapitalInvestor.id).where(CapitalInvestor.organization_id == organization_id)
    ):
        errors.append(
            FieldError(
                "organization_id",
                "This organisation is in the register already.",
                "duplicate_investor",
            )
        )
    errors += _ticket_errors(cleaned.get("ticket_min_eur"), cleaned.get("ticket_max_eur"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The capital investor is not valid.")
    bind_actor(db, actor)
    investor = CapitalInvestor(organization_id=organization_id, **cleaned)
    db.add(investor)
    db.commit()
    return investor


def update_investor(
    db: Session, actor: Actor, investor_id: uuid.UUID, values: dict[str, Any]
) -> CapitalInvestor:
    investor = get_investor(db, actor, investor_id).investor
    cleaned = _clean_investor(db, values, creating=False)
    errors = _ticket_errors(
        cleaned.get("ticket_min_eur", investor.ticket_min_eur),
        cleaned.get("ticket_max_eur", investor.ticket_max_eur),
    )
    if errors:
        raise ValidationFailed(errors=errors, detail="The capital investor is not valid.")
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(investor, name, value)
    db.commit()
    return investor


@dataclass(frozen=True)
class InvestorMatch:
    investor: CapitalInvestor
    organization_name: str
    reasons: list[Reason]


def matching_investors(db: Session, actor: Actor, lead_id: uuid.UUID) -> list[InvestorMatch]:
    """Active register entries that fit the lead (industry, capex within the ticket),
    each with its reasons. The register is the coordinator's: others get none."""
    lead = require_need_to_know(db, actor, lead_id)
    if not actor.sees_everything:
        return []
    parent = (
        db.scalar(select(Industry.parent_code).where(Industry.code == lead.industry_code))
        if lead.industry_code
        else None
    )
    found = []
    for row in list_investors(db, actor, active_only=True, limit=10_000)[0]:
        profile = InvestorProfile(
            tuple(row.investor.industry_codes),
            row.investor.ticket_min_eur,
            row.investor.ticket_max_eur,
        )
        reasons = match_reasons(
            profile, industry_code=lead.industry_code, parent_code=parent, capex_eur=lead.capex_eur
        )
        if reasons is not None:
            found.append(InvestorMatch(row.investor, row.organization_name, reasons))
    return found


def reason_text(reason: Reason, lang: str, industry_names: dict[str, str]) -> str:
    """A match reason in words, in the reader's language."""
    params = reason.params
    if reason.code == "industry":
        return translate(
            lang, "Invests in %(industry)s.", industry=industry_names.get(params["industry"], "")
        )
    if reason.code == "parent_industry":
        return translate(
            lang,
            "Invests in %(industry)s, the lead's wider industry.",
            industry=industry_names.get(params["industry"], ""),
        )
    if reason.code == "any_industry":
        return translate(lang, "Invests in any industry.")
    if reason.code == "any_ticket":
        return translate(lang, "Names no ticket size.")
    low = format_eur(params["low"], lang) if params["low"] is not None else "–"
    high = format_eur(params["high"], lang) if params["high"] is not None else "–"
    return translate(
        lang,
        "The capex %(capex)s is within its ticket of %(low)s to %(high)s.",
        capex=format_eur(params["capex"], lang),
        low=low,
        high=high,
    )
