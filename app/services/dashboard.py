"""The staff home page: what needs each person today, per role.

Every section is one bounded query (a page of rows with the total counted in the same
statement by a window function), all row visibility through app/services/scope.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import (
    Activity,
    Cluster,
    ClusterAgreement,
    Event,
    InvestmentTarget,
    Lead,
    LeadShare,
    Municipality,
    Organization,
    Site,
    SitePackageUpload,
    SiteRevision,
    SiteVersion,
    Stage,
    SyndicationTarget,
)
from app.domain.access import Actor, Role
from app.domain.activities import ActivityKind
from app.domain.events import EventStatus
from app.domain.leads import INITIAL_STAGE_CODE, LeadSource, StageKind
from app.domain.sites import SiteStatus, add_months
from app.i18n import HELSINKI
from app.services import targets
from app.services.scope import (
    activities_visible_to,
    clusters_visible_to,
    event_hosted_by,
    events_visible_to,
    leads_in_reports,
    leads_visible_to,
    leads_with_need_to_know,
    sites_visible_to,
    syndication_targets_visible_to,
)
from app.services.site_revisions import PENDING as REVISION_PENDING
from app.services.site_revisions import RETURNED as REVISION_RETURNED
from app.settings import Settings

# Items shown per section; the section's count and "all" link cover the rest.
SECTION_LIMIT = 5
# Inquiries and referrals: leads that came in from outside rather than from our own work.
INBOUND_SOURCES = (
    LeadSource.PORTAL_INQUIRY.value,
    LeadSource.INVEST_IN_FINLAND.value,
    LeadSource.PARTNER.value,
)
# How far ahead a municipality is told that a site's verification falls due.
SITE_VERIFICATION_WARNING_DAYS = 30
# Sites in these statuses age (the same list the freshness job flags).
_AGEING_SITE_STATUSES = (
    SiteStatus.DRAFT.value,
    SiteStatus.SUBMITTED.value,
    SiteStatus.RETURNED.value,
    SiteStatus.PUBLISHED.value,
)
_UPCOMING_EVENT_STATUSES = (
    EventStatus.PLANNED.value,
    EventStatus.INVITED.value,
    EventStatus.CONFIRMED.value,
)

T = TypeVar("T")


@dataclass
class Section(Generic[T]):
    """At most `SECTION_LIMIT` items and how many there are in all."""

    items: list[T] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> bool:
        return self.total > len(self.items)


def local_day(moment: datetime) -> date:
    """The calendar day a moment falls on for people in Finland."""
    return moment.astimezone(HELSINKI).date()


@dataclass(frozen=True)
class WaitingLead:
    """A lead that waits for someone: `since` is when it started waiting."""

    id: uuid.UUID
    code_name: str
    title: str
    source: str
    since: date
    days: int


@dataclass(frozen=True)
class TaskItem:
    id: uuid.UUID
    subject: str
    due_on: date
    days_late: int  # negative: due in that many days
    lead_id: uuid.UUID | None
    code_name: str | None
    organization_id: uuid.UUID | None
    contact_id: uuid.UUID | None

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class HandoffItem:
    share_id: uuid.UUID
    lead_id: uuid.UUID
    code_name: str
    title: str
    municipality_fi: str | None
    municipality_en: str | None
    organization: str | None
    message: str | None
    since: date
    days: int

    def receiver(self, lang: str) -> str:
        if self.municipality_fi:
            return (
                (self.municipality_en or self.municipality_fi)
                if lang == "en"
                else self.municipality_fi
            )
        return self.organization or ""


@dataclass(frozen=True)
class SiteItem:
    id: uuid.UUID
    name_fi: str
    name_en: str | None
    municipality_code: str
    status: str
    since: date | None
    days: int | None
    comment: str | None = None

    def name(self, lang: str) -> str:
        return (self.name_en or self.name_fi) if lang == "en" else self.name_fi


@dataclass(frozen=True)
class TargetItem:
    id: uuid.UUID
    name: str
    municipality_code: str
    since: date
    days: int


@dataclass(frozen=True)
class AgreementItem:
    cluster_id: uuid.UUID
    cluster_name: str
    title: str
    party: str
    valid_until: date
    days_left: int


@dataclass(frozen=True)
class EventItem:
    id: uuid.UUID
    title: str
    kind: str
    status: str
    starts_at: datetime
    days_left: int


@dataclass(frozen=True)
class UploadItem:
    id: uuid.UUID
    filename: str
    status: str
    created_at: datetime
    summary: dict[str, int]


@dataclass(frozen=True)
class LeadItem:
    id: uuid.UUID
    code_name: str
    title: str
    stage_code: str


@dataclass(frozen=True)
class ClusterItem:
    id: uuid.UUID
    name: str


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
    """What a person's home page shows; the sections their role does not use stay None."""

    role: Role
    today: date
    municipality: Municipality | None = None
    stale_days: int = 30
    agreement_days: int = 60
    triage: Section[WaitingLead] | None = None
    tasks: Section[TaskItem] | None = None
    stale_leads: Section[WaitingLead] | None = None
    handoffs: Section[HandoffItem] | None = None
    incoming: Section[HandoffItem] | None = None
    review: Section[SiteItem] | None = None
    returned_sites: Section[SiteItem] | None = None
    ageing_sites: Section[SiteItem] | None = None
    failing_targets: Section[TargetItem] | None = None
    agreements: Section[AgreementItem] | None = None
    events: Section[EventItem] | None = None
    uploads: Section[UploadItem] | None = None
    shared_leads: Section[LeadItem] | None = None
    clusters: Section[ClusterItem] | None = None
    stages: list[StageRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    # Names of the codes the items carry, read once per page.
    municipalities: dict[str, Municipality] = field(default_factory=dict)
    stage_by_code: dict[str, Stage] = field(default_factory=dict)
    # The one section shown in full ("all N"), or None for the whole page.
    only: str | None = None

    def shows(self, name: str) -> bool:
        return self.only is None or self.only == name


def _page(db: Session, query: Select[*tuple[Any, ...]], limit: int) -> tuple[list[Any], int]:
    """A page of rows and the count of all of them in one statement."""
    rows = db.execute(query.add_columns(func.count().over().label("_total")).limit(limit)).all()
    total = int(rows[0][-1]) if rows else 0
    return [row[:-1] for row in rows], total


def _days(since: date, today: date) -> int:
    return max((today - since).days, 0)


# --- the coordinator's queues ---------------------------------------------------------------


def _triage(db: Session, actor: Actor, today: date, limit: int) -> Section[WaitingLead]:
    """Inquiries and referrals nobody has taken on: still in the first stage, no owner."""
    query = (
        select(Lead.id, Lead.code_name, Lead.title, Lead.source, Lead.created_at)
        .where(
            leads_visible_to(actor),
            Lead.stage_code == INITIAL_STAGE_CODE,
            Lead.owner_id.is_(None),
            Lead.merged_into_id.is_(None),
            Lead.source.in_(INBOUND_SOURCES),
        )
        .order_by(Lead.created_at, Lead.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            WaitingLead(i, code, title, source, local_day(at), _days(local_day(at), today))
            for i, code, title, source, at in rows
        ],
        total,
    )


def _my_tasks(
    db: Session, actor: Actor, today: date, limit: int, *, due_by: date | None
) -> Section[TaskItem]:
    """The actor's open tasks, the most overdue first (only those due by `due_by`)."""
    readable_lead = and_(Lead.id == Activity.lead_id, leads_visible_to(actor))
    query = (
        select(
            Activity.id,
            Activity.subject,
            Activity.due_on,
            Activity.lead_id,
            Lead.code_name,
            Activity.organization_id,
            Activity.contact_id,
        )
        .outerjoin(Lead, readable_lead)
        .where(
            Activity.kind == ActivityKind.TASK.value,
            Activity.assignee_id == actor.user_id,
            Activity.done_at.is_(None),
            Activity.due_on.is_not(None),
            activities_visible_to(actor),
        )
        .order_by(Activity.due_on, Activity.id)
    )
    if due_by is not None:
        query = query.where(Activity.due_on <= due_by)
    rows, total = _page(db, query, limit)
    return Section(
        [
            TaskItem(i, subject, due, (today - due).days, lead_id, code, org_id, contact_id)
            for i, subject, due, lead_id, code, org_id, contact_id in rows
        ],
        total,
    )


def _stale_leads(
    db: Session, actor: Actor, today: date, days: int, limit: int
) -> Section[WaitingLead]:
    """The pipeline's stale rule (app.services.leads.stale_leads): open leads the actor
    works on with no activity for `days` days, the longest silent first."""
    cutoff = utcnow() - timedelta(days=days)
    query = (
        select(Lead.id, Lead.code_name, Lead.title, Lead.source, Lead.last_activity_at)
        .join(Stage, Stage.code == Lead.stage_code)
        .where(
            leads_with_need_to_know(actor),
            Stage.kind == StageKind.OPEN.value,
            Lead.last_activity_at < cutoff,
        )
        .order_by(Lead.last_activity_at, Lead.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            WaitingLead(i, code, title, source, local_day(at), _days(local_day(at), today))
            for i, code, title, source, at in rows
        ],
        total,
    )


def _handoffs(
    db: Session, actor: Actor, today: date, limit: int, *, incoming: bool
) -> Section[HandoffItem]:
    """Handoffs waiting for an answer: those the actor's municipality or organisation is
    to answer (`incoming`), else those the actor may follow (all, for the coordinator)."""
    if incoming:
        if actor.role is Role.MUNICIPAL_CONTACT:
            receiver = LeadShare.municipality_code == actor.municipality_code
        elif actor.role is Role.PARTNER:
            receiver = LeadShare.organization_id == actor.organization_id
        else:
            return Section()
        # A pending share to the actor is itself what makes the lead readable
        # (scope._shared_with), as leads.incoming_shares reads it.
        where = [receiver]
    else:
        where = [leads_with_need_to_know(actor)]
    query = (
        select(
            LeadShare.id,
            Lead.id,
            Lead.code_name,
            Lead.title,
            Municipality.name_fi,
            Municipality.name_en,
            Organization.name,
            LeadShare.message,
            LeadShare.shared_at,
        )
        .join(Lead, Lead.id == LeadShare.lead_id)
        .outerjoin(Municipality, Municipality.code == LeadShare.municipality_code)
        .outerjoin(Organization, Organization.id == LeadShare.organization_id)
        .where(LeadShare.status == "pending", *where)
        .order_by(LeadShare.shared_at, LeadShare.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            HandoffItem(
                share_id,
                lead_id,
                code,
                title,
                fi,
                en,
                org,
                message,
                local_day(at),
                _days(local_day(at), today),
            )
            for share_id, lead_id, code, title, fi, en, org, message, at in rows
        ],
        total,
    )


def _site_item(
    today: date,
    site_id: uuid.UUID,
    name_fi: str,
    name_en: str | None,
    municipality_code: str,
    status: str,
    at: datetime | None,
    comment: str | None = None,
) -> SiteItem:
    """A site on a home-page list, with the day its wait began and how long ago."""
    since = local_day(at) if at else None
    days = _days(since, today) if since else None
    return SiteItem(site_id, name_fi, name_en, municipality_code, status, since, days, comment)


# SiteItem.status of a published site with a change waiting (not a site status).
CHANGE_PROPOSED = "change_proposed"


def _review(db: Session, actor: Actor, today: date, limit: int) -> Section[SiteItem]:
    """Sites submitted for the coordinator's review and published sites with a proposed
    change, the longest waiting first."""
    pending_change = and_(SiteRevision.site_id == Site.id, SiteRevision.status == REVISION_PENDING)
    waiting_since = func.coalesce(SiteRevision.submitted_at, Site.submitted_at)
    query = (
        select(
            Site.id,
            Site.name_fi,
            Site.name_en,
            Site.municipality_code,
            case((SiteRevision.id.is_not(None), CHANGE_PROPOSED), else_=Site.status),
            waiting_since,
        )
        .outerjoin(SiteRevision, pending_change)
        .where(
            sites_visible_to(actor),
            or_(Site.status == SiteStatus.SUBMITTED.value, SiteRevision.id.is_not(None)),
        )
        .order_by(waiting_since.asc().nulls_first(), Site.id)
    )
    rows, total = _page(db, query, limit)
    return Section([_site_item(today, *row) for row in rows], total)


def _returned_sites(db: Session, actor: Actor, today: date, limit: int) -> Section[SiteItem]:
    """The municipality's sites the coordinator returned, and its published sites whose
    proposed change was returned, with the comment and when."""
    returned_at = (
        select(func.max(SiteVersion.at))
        .where(SiteVersion.site_id == Site.id, SiteVersion.action == "return")
        .scalar_subquery()
    )
    returned_change = and_(
        SiteRevision.site_id == Site.id, SiteRevision.status == REVISION_RETURNED
    )
    query = (
        select(
            Site.id,
            Site.name_fi,
            Site.name_en,
            Site.municipality_code,
            case((SiteRevision.id.is_not(None), CHANGE_PROPOSED), else_=Site.status),
            func.coalesce(SiteRevision.reviewed_at, returned_at),
            func.coalesce(SiteRevision.review_comment, Site.review_comment),
        )
        .outerjoin(SiteRevision, returned_change)
        .where(
            sites_visible_to(actor),
            Site.municipality_code == actor.municipality_code,
            or_(Site.status == SiteStatus.RETURNED.value, SiteRevision.id.is_not(None)),
        )
        .order_by(Site.name_fi, Site.id)
    )
    rows, total = _page(db, query, limit)
    return Section([_site_item(today, *row) for row in rows], total)


def _ageing_sites(
    db: Session, actor: Actor, today: date, settings: Settings, limit: int
) -> Section[SiteItem]:
    """The freshness rule of app.domain.sites: a site is flagged once its last
    verification is `site_stale_after_months` old. Listed from
    `SITE_VERIFICATION_WARNING_DAYS` before that, with the day it falls due (`since`;
    `days` is negative before it)."""
    due_before = add_months(
        today + timedelta(days=SITE_VERIFICATION_WARNING_DAYS), -settings.site_stale_after_months
    )
    query = (
        select(
            Site.id,
            Site.name_fi,
            Site.name_en,
            Site.municipality_code,
            Site.status,
            Site.last_verified_on,
        )
        .where(
            sites_visible_to(actor),
            Site.municipality_code == actor.municipality_code,
            Site.status.in_(_AGEING_SITE_STATUSES),
            or_(Site.last_verified_on.is_(None), Site.last_verified_on <= due_before),
        )
        .order_by(Site.last_verified_on.asc().nulls_first(), Site.id)
    )
    rows, total = _page(db, query, limit)
    items = []
    for i, fi, en, code, status, verified in rows:
        due = add_months(verified, settings.site_stale_after_months) if verified else None
        items.append(SiteItem(i, fi, en, code, status, due, (today - due).days if due else None))
    return Section(items, total)


def _failing_targets(db: Session, actor: Actor, today: date, limit: int) -> Section[TargetItem]:
    query = (
        select(
            SyndicationTarget.id,
            SyndicationTarget.name,
            SyndicationTarget.municipality_code,
            SyndicationTarget.failing_since,
        )
        .where(syndication_targets_visible_to(actor), SyndicationTarget.failing_since.is_not(None))
        .order_by(SyndicationTarget.failing_since, SyndicationTarget.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            TargetItem(i, name, code, local_day(at), _days(local_day(at), today))
            for i, name, code, at in rows
        ],
        total,
    )


def _agreements(
    db: Session, actor: Actor, today: date, warning_days: int, limit: int
) -> Section[AgreementItem]:
    """Agreements ending within the warning window (app.domain.clusters.agreement_state)."""
    query = (
        select(
            Cluster.id,
            Cluster.name,
            ClusterAgreement.title,
            Organization.name,
            ClusterAgreement.valid_until,
        )
        .join(Cluster, Cluster.id == ClusterAgreement.cluster_id)
        .join(Organization, Organization.id == ClusterAgreement.party_organization_id)
        .where(
            clusters_visible_to(actor),
            ClusterAgreement.valid_until >= today,
            ClusterAgreement.valid_until <= today + timedelta(days=warning_days),
        )
        .order_by(ClusterAgreement.valid_until, ClusterAgreement.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            AgreementItem(cid, cname, title, party, until, (until - today).days)
            for cid, cname, title, party, until in rows
        ],
        total,
    )


def _events(
    db: Session, actor: Actor, today: date, limit: int, *, hosted: bool
) -> Section[EventItem]:
    """Events still to come (or going on), the soonest first."""
    where = event_hosted_by(actor) if hosted else events_visible_to(actor)
    query = (
        select(Event.id, Event.title, Event.kind, Event.status, Event.starts_at)
        .where(
            where,
            Event.ends_at >= utcnow(),
            Event.status.in_(_UPCOMING_EVENT_STATUSES),
        )
        .order_by(Event.starts_at, Event.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            EventItem(i, title, kind, status, starts, (local_day(starts) - today).days)
            for i, title, kind, status, starts in rows
        ],
        total,
    )


def _uploads(db: Session, actor: Actor, limit: int) -> Section[UploadItem]:
    """The actor's own site package uploads, the newest first (what list_uploads shows)."""
    query = (
        select(
            SitePackageUpload.id,
            SitePackageUpload.filename,
            SitePackageUpload.status,
            SitePackageUpload.created_at,
            SitePackageUpload.report["summary"],
        )
        .where(SitePackageUpload.created_by_id == actor.user_id)
        .order_by(SitePackageUpload.created_at.desc(), SitePackageUpload.id)
    )
    rows, total = _page(db, query, limit)
    return Section(
        [
            UploadItem(i, name, status, at, {k: int(v) for k, v in (summary or {}).items()})
            for i, name, status, at, summary in rows
        ],
        total,
    )


def _shared_leads(db: Session, actor: Actor, limit: int) -> Section[LeadItem]:
    """Leads the actor may read (for a partner: those shared with its organisation)."""
    query = (
        select(Lead.id, Lead.code_name, Lead.title, Lead.stage_code)
        .where(leads_visible_to(actor))
        .order_by(Lead.last_activity_at.desc(), Lead.id)
    )
    rows, total = _page(db, query, limit)
    return Section([LeadItem(*row) for row in rows], total)


def _clusters(db: Session, actor: Actor, limit: int) -> Section[ClusterItem]:
    query = (
        select(Cluster.id, Cluster.name).where(clusters_visible_to(actor)).order_by(Cluster.name)
    )
    rows, total = _page(db, query, limit)
    return Section([ClusterItem(*row) for row in rows], total)


# --- the figures ---------------------------------------------------------------------------


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


# The sections of each role, in the order the page shows them.
SECTIONS: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: (
        "triage",
        "tasks",
        "handoffs",
        "review",
        "stale_leads",
        "failing_targets",
        "agreements",
        "events",
    ),
    Role.MUNICIPAL_CONTACT: (
        "incoming",
        "tasks",
        "returned_sites",
        "ageing_sites",
        "events",
        "uploads",
        "failing_targets",
    ),
    Role.PARTNER: ("incoming", "shared_leads", "tasks", "clusters"),
    Role.FORUM_VIEWER: (),
}
SECTIONS[Role.COORDINATOR] = SECTIONS[Role.ADMIN]
# A section shown in full still has a bound: a person reads no more in one page.
FULL_SECTION_LIMIT = 200


def home_summary(
    db: Session, actor: Actor, today: date, settings: Settings, *, only: str | None = None
) -> HomeSummary:
    """The home page of `actor`; with `only` (one of the role's SECTIONS) that section
    alone, in full."""
    names = SECTIONS[actor.role]
    if only is not None and only not in names:
        only = None
    limit = FULL_SECTION_LIMIT if only else SECTION_LIMIT
    summary = HomeSummary(
        role=actor.role,
        today=today,
        stale_days=settings.stale_lead_days,
        agreement_days=settings.agreement_warning_days,
        only=only,
    )
    if actor.municipality_code:
        summary.municipality = db.get(Municipality, actor.municipality_code)
    municipal = actor.role is Role.MUNICIPAL_CONTACT
    readers: dict[str, Any] = {
        "triage": lambda: _triage(db, actor, today, limit),
        # The coordinator's list is what is due by today; others have few tasks.
        "tasks": lambda: _my_tasks(
            db, actor, today, limit, due_by=today if actor.sees_everything else None
        ),
        "stale_leads": lambda: _stale_leads(db, actor, today, settings.stale_lead_days, limit),
        "handoffs": lambda: _handoffs(db, actor, today, limit, incoming=False),
        "incoming": lambda: _handoffs(db, actor, today, limit, incoming=True),
        "review": lambda: _review(db, actor, today, limit),
        "returned_sites": lambda: _returned_sites(db, actor, today, limit),
        "ageing_sites": lambda: _ageing_sites(db, actor, today, settings, limit),
        "failing_targets": lambda: _failing_targets(db, actor, today, limit),
        "agreements": lambda: _agreements(db, actor, today, settings.agreement_warning_days, limit),
        "events": lambda: _events(db, actor, today, limit, hosted=municipal),
        "uploads": lambda: _uploads(db, actor, limit),
        "shared_leads": lambda: _shared_leads(db, actor, limit),
        "clusters": lambda: _clusters(db, actor, limit),
    }
    for name in names:
        if summary.shows(name):
            setattr(summary, name, readers[name]())
    if names:
        summary.municipalities = {m.code: m for m in db.scalars(select(Municipality))}
        summary.stage_by_code = {s.code: s for s in db.scalars(select(Stage))}
    if only is None and actor.role in (Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER):
        summary.stages = _stage_rows(db, actor)
        summary.targets = _target_rows(db, actor, today)
    return summary
