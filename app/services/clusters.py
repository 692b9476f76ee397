"""Cluster groups: members, commitment agreements, meetings with follow-ups, the leads a
cluster works on and its cross-industry links.

The coordinator runs clusters; everyone on the staff side reads them (scope.py), and
the cluster pipeline shows only the leads each reader may see.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    Cluster,
    ClusterAgreement,
    ClusterIndustry,
    ClusterLead,
    ClusterLink,
    ClusterMeeting,
    ClusterMeetingAttendee,
    ClusterMember,
    Contact,
    Industry,
    Lead,
    Organization,
    User,
)
from app.domain.access import SYSTEM_ACTOR, Actor, require_staff_wide
from app.domain.activities import ActivityKind
from app.domain.clusters import (
    AgreementState,
    MemberRole,
    agreement_state,
    clean_agreement_fields,
    clean_cluster_fields,
    clean_meeting_fields,
    clean_member_fields,
    link_pair,
)
from app.domain.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.domain.leads import StageKind
from app.domain.reports import REPORTING_ZONE
from app.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    format_day,
    register_field_errors,
    register_labels,
    translate,
)
from app.services import activities
from app.services.activities import Subject
from app.services.audit import parse_uuid, register_access_check
from app.services.leads import LeadFilters, LeadRow, lead_list_query
from app.services.mail import queue_email
from app.services.scope import (
    activities_visible_to,
    clusters_visible_to,
    leads_with_need_to_know,
    reads_meeting_records,
)
from app.settings import Settings
from app.storage import storage_for

register_labels(
    "member_role",
    {
        MemberRole.LEADING.value: N_("Leading organisation"),
        MemberRole.MEMBER.value: N_("Member"),
        MemberRole.RESEARCH.value: N_("Research and education"),
        MemberRole.PUBLIC.value: N_("Public sector"),
        MemberRole.FUNDER.value: N_("Funder"),
    },
)
register_labels(
    "agreement_state",
    {
        AgreementState.VALID.value: N_("Valid"),
        AgreementState.OPEN_ENDED.value: N_("Valid until further notice"),
        AgreementState.EXPIRING.value: N_("Expiring soon"),
        AgreementState.EXPIRED.value: N_("Expired"),
    },
)

MEETING_ORIGIN = "cluster_meeting"
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
RECENT_MEETINGS = 10


def today() -> date:
    return utcnow().astimezone(REPORTING_ZONE).date()


# ---------------------------------------------------------------- reading


def get_cluster(db: Session, actor: Actor, cluster_id: uuid.UUID) -> Cluster:
    cluster = db.scalar(select(Cluster).where(Cluster.id == cluster_id, clusters_visible_to(actor)))
    if cluster is None:
        raise NotFound("No such cluster.")
    return cluster


@dataclass(frozen=True)
class ClusterRow:
    cluster: Cluster
    industry_codes: list[str]
    members: int
    leads: int


def list_clusters(
    db: Session,
    actor: Actor,
    *,
    q: str | None = None,
    industry: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ClusterRow], int]:
    query = select(Cluster).where(clusters_visible_to(actor))
    if q and q.strip():
        query = query.where(Cluster.name.ilike(f"%{q.strip()}%"))
    if industry:
        query = query.where(
            Cluster.id.in_(
                select(ClusterIndustry.cluster_id).where(ClusterIndustry.industry_code == industry)
            )
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    clusters = list(
        db.scalars(query.order_by(Cluster.name, Cluster.id).limit(limit).offset(offset))
    )
    return _rows(db, clusters), total


def cluster_row(db: Session, actor: Actor, cluster_id: uuid.UUID) -> ClusterRow:
    return _rows(db, [get_cluster(db, actor, cluster_id)])[0]


def _rows(db: Session, clusters: list[Cluster]) -> list[ClusterRow]:
    ids = [c.id for c in clusters]
    industries = _industries(db, ids)
    members = dict(
        db.execute(
            select(ClusterMember.cluster_id, func.count())
            .where(ClusterMember.cluster_id.in_(ids), ClusterMember.left_on.is_(None))
            .group_by(ClusterMember.cluster_id)
        ).all()
    )
    leads = dict(
        db.execute(
            select(ClusterLead.cluster_id, func.count())
            .where(ClusterLead.cluster_id.in_(ids))
            .group_by(ClusterLead.cluster_id)
        ).all()
    )
    return [
        ClusterRow(c, industries.get(c.id, []), members.get(c.id, 0), leads.get(c.id, 0))
        for c in clusters
    ]


def _industries(db: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    for cluster_id, code in db.execute(
        select(ClusterIndustry.cluster_id, ClusterIndustry.industry_code)
        .join(Industry, Industry.code == ClusterIndustry.industry_code)
        .where(ClusterIndustry.cluster_id.in_(ids))
        .order_by(Industry.sort_order, Industry.code)
    ):
        found.setdefault(cluster_id, []).append(code)
    return found


@dataclass(frozen=True)
class MemberView:
    member: ClusterMember
    organization_name: str


@dataclass(frozen=True)
class AgreementView:
    agreement: ClusterAgreement
    party_name: str
    state: AgreementState


@dataclass(frozen=True)
class LinkView:
    link: ClusterLink
    other: Cluster


@dataclass(frozen=True)
class PipelineTotals:
    leads: int
    open_leads: int
    capex_eur: int
    weighted_value_eur: int
    landed_leads: int


@dataclass(frozen=True)
class ClusterPipeline:
    rows: list[LeadRow]
    totals: PipelineTotals


@dataclass(frozen=True)
class MeetingView:
    meeting: ClusterMeeting
    attendees: list[str]
    follow_ups: list[Activity]


@dataclass(frozen=True)
class ClusterView:
    cluster: Cluster
    industry_codes: list[str]
    leader: Contact | None
    leading_organization: Organization | None
    coordinator: User | None
    members: list[MemberView]
    agreements: list[AgreementView]
    meetings: list[MeetingView]
    open_tasks: list[Activity]
    pipeline: ClusterPipeline
    links: list[LinkView]
    warning_days: int
    # False for readers without need-to-know of the meetings (the forum).
    meetings_shared: bool


def members(db: Session, actor: Actor, cluster_id: uuid.UUID) -> list[MemberView]:
    get_cluster(db, actor, cluster_id)
    return [
        MemberView(m, name)
        for m, name in db.execute(
            select(ClusterMember, Organization.name)
            .join(Organization, Organization.id == ClusterMember.organization_id)
            .where(ClusterMember.cluster_id == cluster_id)
            .order_by(ClusterMember.left_on.is_not(None), Organization.name, ClusterMember.id)
        )
    ]


def agreements(
    db: Session, actor: Actor, cluster_id: uuid.UUID, settings: Settings
) -> list[AgreementView]:
    get_cluster(db, actor, cluster_id)
    day = today()
    return [
        AgreementView(a, name, agreement_state(a.valid_until, day, settings.agreement_warning_days))
        for a, name in db.execute(
            select(ClusterAgreement, Organization.name)
            .join(Organization, Organization.id == ClusterAgreement.party_organization_id)
            .where(ClusterAgreement.cluster_id == cluster_id)
            .order_by(
                ClusterAgreement.valid_until.asc().nulls_last(),
                Organization.name,
                ClusterAgreement.id,
            )
        )
    ]


def pipeline(db: Session, actor: Actor, cluster_id: uuid.UUID) -> ClusterPipeline:
    """The cluster's leads the actor may see, valued with the pipeline's own rule."""
    get_cluster(db, actor, cluster_id)
    query = lead_list_query(actor, LeadFilters(), lead_columns=(Lead,)).where(
        Lead.id.in_(select(ClusterLead.lead_id).where(ClusterLead.cluster_id == cluster_id))
    )
    rows = [
        LeadRow(lead, kind, default, org, bool(ntk))
        for lead, kind, default, org, ntk in db.execute(
            query.order_by(Lead.capex_eur.desc().nulls_last(), Lead.code_name, Lead.id)
        )
    ]
    totals = PipelineTotals(
        leads=len(rows),
        open_leads=sum(1 for r in rows if r.stage_kind == StageKind.OPEN.value),
        capex_eur=sum(r.lead.capex_eur or 0 for r in rows if r.stage_kind == StageKind.OPEN.value),
        weighted_value_eur=sum(
            r.weighted_value_eur for r in rows if r.stage_kind == StageKind.OPEN.value
        ),
        landed_leads=sum(1 for r in rows if r.stage_kind == StageKind.WON.value),
    )
    return ClusterPipeline(rows, totals)


def _cluster_with_meetings(db: Session, actor: Actor, cluster_id: uuid.UUID) -> Cluster:
    cluster = get_cluster(db, actor, cluster_id)
    if not reads_meeting_records(actor):
        raise PermissionDenied("Meeting minutes and attendees are not shared with your role.")
    return cluster


def meetings(
    db: Session, actor: Actor, cluster_id: uuid.UUID, *, limit: int = 50, offset: int = 0
) -> tuple[list[MeetingView], int]:
    _cluster_with_meetings(db, actor, cluster_id)
    query = select(ClusterMeeting).where(ClusterMeeting.cluster_id == cluster_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.scalars(
            query.order_by(ClusterMeeting.held_on.desc(), ClusterMeeting.id)
            .limit(limit)
            .offset(offset)
        )
    )
    ids = [m.id for m in rows]
    names: dict[uuid.UUID, list[str]] = {}
    for meeting_id, contact_name, user_name in db.execute(
        select(ClusterMeetingAttendee.meeting_id, Contact.full_name, User.full_name)
        .outerjoin(Contact, Contact.id == ClusterMeetingAttendee.contact_id)
        .outerjoin(User, User.id == ClusterMeetingAttendee.user_id)
        .where(ClusterMeetingAttendee.meeting_id.in_(ids))
        .order_by(func.coalesce(Contact.full_name, User.full_name))
    ):
        names.setdefault(meeting_id, []).append(contact_name or user_name)
    tasks: dict[str, list[Activity]] = {}
    for task in _meeting_tasks(db, actor, [str(i) for i in ids], open_only=False):
        tasks.setdefault(task.origin_id or "", []).append(task)
    return [MeetingView(m, names.get(m.id, []), tasks.get(str(m.id), [])) for m in rows], total


def _meeting_tasks(
    db: Session, actor: Actor, meeting_ids: list[str], *, open_only: bool
) -> list[Activity]:
    query = select(Activity).where(
        Activity.origin_type == MEETING_ORIGIN,
        Activity.origin_id.in_(meeting_ids),
        activities_visible_to(actor),
    )
    if open_only:
        query = query.where(Activity.done_at.is_(None))
    return list(db.scalars(query.order_by(Activity.due_on.asc().nulls_last(), Activity.id)))


def links(db: Session, actor: Actor, cluster_id: uuid.UUID) -> list[LinkView]:
    get_cluster(db, actor, cluster_id)
    rows = db.scalars(
        select(ClusterLink).where(
            or_(ClusterLink.cluster_a_id == cluster_id, ClusterLink.cluster_b_id == cluster_id)
        )
    )
    views = []
    for link in rows:
        other_id = link.cluster_b_id if link.cluster_a_id == cluster_id else link.cluster_a_id
        other = db.scalar(select(Cluster).where(Cluster.id == other_id, clusters_visible_to(actor)))
        if other is not None:
            views.append(LinkView(link, other))
    return sorted(views, key=lambda v: (v.other.name, v.other.id))


def cluster_page(
    db: Session, actor: Actor, cluster_id: uuid.UUID, settings: Settings
) -> ClusterView:
    cluster = get_cluster(db, actor, cluster_id)
    recent: list[MeetingView] = []
    all_meeting_ids: list[str] = []
    if reads_meeting_records(actor):
        recent, _ = meetings(db, actor, cluster_id, limit=RECENT_MEETINGS)
        all_meeting_ids = [
            str(i)
            for i in db.scalars(
                select(ClusterMeeting.id).where(ClusterMeeting.cluster_id == cluster_id)
            )
        ]
    return ClusterView(
        cluster=cluster,
        industry_codes=_industries(db, [cluster.id]).get(cluster.id, []),
        leader=db.get(Contact, cluster.leader_contact_id) if cluster.leader_contact_id else None,
        leading_organization=(
            db.get(Organization, cluster.leading_organization_id)
            if cluster.leading_organization_id
            else None
        ),
        coordinator=db.get(User, cluster.coordinator_id) if cluster.coordinator_id else None,
        members=members(db, actor, cluster_id),
        agreements=agreements(db, actor, cluster_id, settings),
        meetings=recent,
        open_tasks=_meeting_tasks(db, actor, all_meeting_ids, open_only=True),
        pipeline=pipeline(db, actor, cluster_id),
        links=links(db, actor, cluster_id),
        warning_days=settings.agreement_warning_days,
        meetings_shared=reads_meeting_records(actor),
    )


# ---------------------------------------------------------------- writing clusters


def _industry_codes(db: Session) -> set[str]:
    return set(db.scalars(select(Industry.code).where(Industry.active)))


def _check_people(db: Session, values: dict[str, Any], errors: list[FieldError]) -> None:
    contact_id = values.get("leader_contact_id")
    if contact_id is not None:
        contact = db.get(Contact, contact_id)
        if contact is None or contact.erased_at is not None:
            errors.append(FieldError("leader_contact_id", "No such contact.", "unknown"))
    org_id = values.get("leading_organization_id")
    if org_id is not None and db.get(Organization, org_id) is None:
        errors.append(FieldError("leading_organization_id", "No such organisation.", "unknown"))
    coordinator_id = values.get("coordinator_id")
    if coordinator_id is not None:
        user = db.get(User, coordinator_id)
        if user is None or not user.is_active or user.role not in ("admin", "coordinator"):
            errors.append(
                FieldError("coordinator_id", "Choose an active coordinator.", "not_coordinator")
            )


def _name_taken(db: Session, name: str, except_id: uuid.UUID | None = None) -> bool:
    query = select(Cluster.id).where(func.lower(Cluster.name) == name.lower())
    if except_id:
        query = query.where(Cluster.id != except_id)
    return db.scalar(query) is not None


_LINK_FIELDS = ("leader_contact_id", "leading_organization_id", "coordinator_id")


def _validate_cluster(
    db: Session, values: dict[str, Any], *, creating: bool, except_id: uuid.UUID | None = None
) -> dict[str, Any]:
    errors: list[FieldError] = []
    try:
        cleaned = clean_cluster_fields(
            values, creating=creating, industry_codes=_industry_codes(db)
        )
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    links = {k: values[k] for k in _LINK_FIELDS if k in values}
    _check_people(db, links, errors)
    name = str(values.get("name") or "").strip()
    if name and _name_taken(db, name, except_id):
        errors.append(FieldError("name", "A cluster of this name exists.", "duplicate"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The cluster is not valid.")
    return {**cleaned, **links}


def _set_industries(db: Session, cluster: Cluster, codes: list[str]) -> None:
    db.execute(delete(ClusterIndustry).where(ClusterIndustry.cluster_id == cluster.id))
    db.add_all(ClusterIndustry(cluster_id=cluster.id, industry_code=c) for c in codes)


def create_cluster(db: Session, actor: Actor, values: dict[str, Any]) -> Cluster:
    require_staff_wide(actor)
    cleaned = _validate_cluster(db, values, creating=True)
    codes = cleaned.pop("industry_codes")
    bind_actor(db, actor)
    cluster = Cluster(**cleaned)
    if cluster.coordinator_id is None:
        cluster.coordinator_id = actor.user_id
    db.add(cluster)
    db.flush()
    _set_industries(db, cluster, codes)
    db.commit()
    return cluster


def update_cluster(
    db: Session, actor: Actor, cluster_id: uuid.UUID, values: dict[str, Any]
) -> Cluster:
    require_staff_wide(actor)
    cluster = get_cluster(db, actor, cluster_id)
    cleaned = _validate_cluster(db, values, creating=False, except_id=cluster.id)
    codes = cleaned.pop("industry_codes", None)
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(cluster, name, value)
    if codes is not None:
        _set_industries(db, cluster, codes)
    db.commit()
    return cluster


# ---------------------------------------------------------------- members


def add_member(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    organization_id: uuid.UUID,
    values: dict[str, Any],
) -> ClusterMember:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_member_fields(values, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if db.get(Organization, organization_id) is None:
        errors.append(FieldError("organization_id", "No such organisation.", "unknown"))
    elif db.scalar(
        select(ClusterMember.id).where(
            ClusterMember.cluster_id == cluster_id,
            ClusterMember.organization_id == organization_id,
        )
    ):
        errors.append(
            FieldError("organization_id", "The organisation is already a member.", "duplicate")
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The member is not valid.")
    bind_actor(db, actor)
    member = ClusterMember(cluster_id=cluster_id, organization_id=organization_id, **cleaned)
    db.add(member)
    db.commit()
    return member


def _member(db: Session, cluster_id: uuid.UUID, member_id: uuid.UUID) -> ClusterMember:
    member = db.get(ClusterMember, member_id)
    if member is None or member.cluster_id != cluster_id:
        raise NotFound("No such member.")
    return member


def update_member(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    member_id: uuid.UUID,
    values: dict[str, Any],
) -> ClusterMember:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    member = _member(db, cluster_id, member_id)
    cleaned = clean_member_fields({"joined_on": member.joined_on, **values}, creating=False)
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(member, name, value)
    db.commit()
    return member


def remove_member(db: Session, actor: Actor, cluster_id: uuid.UUID, member_id: uuid.UUID) -> None:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    member = _member(db, cluster_id, member_id)
    bind_actor(db, actor)
    db.delete(member)
    db.commit()


# ---------------------------------------------------------------- agreements


def add_agreement(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    party_organization_id: uuid.UUID,
    values: dict[str, Any],
) -> ClusterAgreement:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_agreement_fields(values, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if db.get(Organization, party_organization_id) is None:
        errors.append(FieldError("party_organization_id", "No such organisation.", "unknown"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The agreement is not valid.")
    bind_actor(db, actor)
    agreement = ClusterAgreement(
        cluster_id=cluster_id, party_organization_id=party_organization_id, **cleaned
    )
    db.add(agreement)
    db.commit()
    return agreement


def _agreement(db: Session, cluster_id: uuid.UUID, agreement_id: uuid.UUID) -> ClusterAgreement:
    agreement = db.get(ClusterAgreement, agreement_id)
    if agreement is None or agreement.cluster_id != cluster_id:
        raise NotFound("No such agreement.")
    return agreement


def update_agreement(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
    values: dict[str, Any],
) -> ClusterAgreement:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    agreement = _agreement(db, cluster_id, agreement_id)
    cleaned = clean_agreement_fields(
        values,
        creating=False,
        current={"signed_on": agreement.signed_on, "valid_until": agreement.valid_until},
    )
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(agreement, name, value)
    db.commit()
    return agreement


def attach_document(
    db: Session,
    actor: Actor,
    settings: Settings,
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
    *,
    filename: str,
    data: bytes,
) -> ClusterAgreement:
    """The signed agreement as a PDF (checked by its magic bytes, not its name)."""
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    agreement = _agreement(db, cluster_id, agreement_id)
    if len(data) > DOCUMENT_MAX_BYTES:
        raise ValidationFailed.single("file", "The document is larger than 20 MB.", "too_large")
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed.single("file", "Attach the agreement as a PDF.", "not_pdf")
    digest = hashlib.sha256(data).hexdigest()
    key = f"clusters/agreements/{digest[:2]}/{digest}"
    storage_for(settings).put(key, data)
    bind_actor(db, actor)
    agreement.document_filename = (filename or "agreement.pdf").replace("/", "_")[-255:]
    agreement.document_content_type = "application/pdf"
    agreement.document_size_bytes = len(data)
    agreement.document_key = key
    db.commit()
    return agreement


def agreement_document(
    db: Session,
    actor: Actor,
    settings: Settings,
    cluster_id: uuid.UUID,
    agreement_id: uuid.UUID,
) -> tuple[ClusterAgreement, bytes]:
    get_cluster(db, actor, cluster_id)
    agreement = _agreement(db, cluster_id, agreement_id)
    if agreement.document_key is None:
        raise NotFound("The agreement has no document.")
    return agreement, storage_for(settings).get(agreement.document_key)


def remind_expiring_agreements(db: Session, settings: Settings) -> int:
    """Queue one reminder per agreement and expiry date to the cluster's coordinator and
    leader; safe to run any number of times. Returns how many were queued."""
    day = today()
    until = day + timedelta(days=settings.agreement_warning_days)
    rows = db.execute(
        select(ClusterAgreement, Cluster, Organization.name)
        .join(Cluster, Cluster.id == ClusterAgreement.cluster_id)
        .join(Organization, Organization.id == ClusterAgreement.party_organization_id)
        .where(
            ClusterAgreement.valid_until.is_not(None),
            ClusterAgreement.valid_until >= day,
            ClusterAgreement.valid_until <= until,
            or_(
                ClusterAgreement.reminder_sent_for.is_(None),
                ClusterAgreement.reminder_sent_for != ClusterAgreement.valid_until,
            ),
        )
        .order_by(ClusterAgreement.valid_until, ClusterAgreement.id)
        .with_for_update(of=ClusterAgreement, skip_locked=True)
    ).all()
    bind_actor(db, SYSTEM_ACTOR)
    queued = 0
    for agreement, cluster, party in rows:
        recipients = _reminder_recipients(db, cluster, settings)
        if not recipients:
            continue
        assert agreement.valid_until is not None  # the query selects dated agreements only
        by_language: dict[str, list[str]] = {}
        for email, lang in recipients:
            by_language.setdefault(lang, []).append(email)
        for lang, emails in by_language.items():
            queue_email(
                db,
                to=emails,
                subject=translate(
                    lang,
                    AGREEMENT_REMINDER_SUBJECT,
                    cluster=cluster.name,
                    party=party,
                ),
                body_text=translate(
                    lang,
                    AGREEMENT_REMINDER_BODY,
                    title=agreement.title,
                    party=party,
                    cluster=cluster.name,
                    until=format_day(agreement.valid_until, lang),
                    link=f"{settings.base_url}/clusters/{cluster.id}",
                ),
                reference=f"agreement-expiry:{agreement.id}:{agreement.valid_until.isoformat()}",
            )
        agreement.reminder_sent_for = agreement.valid_until
        queued += 1
    db.commit()
    return queued


def _reminder_recipients(
    db: Session, cluster: Cluster, settings: Settings
) -> list[tuple[str, str]]:
    """Who is reminded, with the language each reads (a contact without one: Finnish)."""
    recipients: dict[str, str] = {}
    if cluster.coordinator_id:
        user = db.get(User, cluster.coordinator_id)
        if user is not None and user.is_active:
            recipients[user.email] = user.language if user.language in LANGUAGES else "fi"
    if cluster.leader_contact_id:
        leader = db.get(Contact, cluster.leader_contact_id)
        if leader is not None and leader.email and leader.erased_at is None:
            recipients.setdefault(
                leader.email, leader.language if leader.language in LANGUAGES else "fi"
            )
    if not recipients and settings.coordinator_email:
        recipients[settings.coordinator_email] = DEFAULT_LANGUAGE
    return list(recipients.items())


AGREEMENT_REMINDER_SUBJECT = N_("Cluster agreement expiring: %(cluster)s – %(party)s")
AGREEMENT_REMINDER_BODY = N_(
    'The commitment agreement "%(title)s" of %(party)s in the cluster %(cluster)s is '
    "valid until %(until)s.\n\nPlease agree on its renewal in time: %(link)s\n"
)


# ---------------------------------------------------------------- meetings


@dataclass(frozen=True)
class FollowUp:
    """A task agreed in a meeting, on a lead of the cluster or on a member organisation."""

    subject: str
    due_on: date | str | None
    lead_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    body: str | None = None


def _check_follow_up_subject(
    db: Session, cluster_id: uuid.UUID, follow_up: FollowUp, field: str
) -> list[FieldError]:
    if follow_up.lead_id and not db.scalar(
        select(ClusterLead.lead_id).where(
            ClusterLead.cluster_id == cluster_id, ClusterLead.lead_id == follow_up.lead_id
        )
    ):
        return [
            FieldError(f"{field}.lead_id", "The cluster does not work on this lead.", "unknown")
        ]
    if follow_up.organization_id and not db.scalar(
        select(ClusterMember.id).where(
            ClusterMember.cluster_id == cluster_id,
            ClusterMember.organization_id == follow_up.organization_id,
        )
    ):
        return [
            FieldError(
                f"{field}.organization_id", "The organisation is not a member.", "not_member"
            )
        ]
    return []


def _add_follow_ups(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    meeting_id: uuid.UUID,
    follow_ups: list[FollowUp],
    *,
    field: str,
) -> list[Activity]:
    """Adds the tasks in the caller's transaction; all errors of all tasks at once."""
    errors: list[FieldError] = []
    for index, follow_up in enumerate(follow_ups):
        errors += _check_follow_up_subject(db, cluster_id, follow_up, f"{field}.{index}")
    if errors:
        raise ValidationFailed(errors=errors, detail="A follow-up task is not valid.")
    created = []
    for index, follow_up in enumerate(follow_ups):
        try:
            created.append(
                activities.add_activity(
                    db,
                    actor,
                    Subject(lead_id=follow_up.lead_id, organization_id=follow_up.organization_id),
                    {
                        "kind": ActivityKind.TASK.value,
                        "subject": follow_up.subject,
                        "body": follow_up.body,
                        "due_on": follow_up.due_on,
                        "origin_type": MEETING_ORIGIN,
                        "origin_id": str(meeting_id),
                    },
                    assignee_id=follow_up.assignee_id,
                    commit=False,
                )
            )
        except ValidationFailed as failed:
            errors += [
                FieldError(f"{field}.{index}.{e.field}", e.reason, e.code) for e in failed.errors
            ]
    if errors:
        raise ValidationFailed(errors=errors, detail="A follow-up task is not valid.")
    return created


def add_meeting(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    values: dict[str, Any],
    *,
    contact_ids: list[uuid.UUID] | None = None,
    user_ids: list[uuid.UUID] | None = None,
    follow_ups: list[FollowUp] | None = None,
) -> MeetingView:
    """Record a meeting with its attendees, minutes, decisions and follow-up tasks, all
    in one transaction: nothing is saved when any part is invalid."""
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_meeting_fields(values, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    contact_ids = list(dict.fromkeys(contact_ids or []))
    user_ids = list(dict.fromkeys(user_ids or []))
    if contact_ids:
        found = set(db.scalars(select(Contact.id).where(Contact.id.in_(contact_ids))))
        if missing := [str(c) for c in contact_ids if c not in found]:
            errors.append(
                FieldError("contact_ids", f"Unknown contact(s): {', '.join(missing)}.", "unknown")
            )
    if user_ids:
        found = set(db.scalars(select(User.id).where(User.id.in_(user_ids))))
        if missing := [str(u) for u in user_ids if u not in found]:
            errors.append(
                FieldError("user_ids", f"Unknown user(s): {', '.join(missing)}.", "unknown")
            )
    if errors:
        raise ValidationFailed(errors=errors, detail="The meeting is not valid.")
    bind_actor(db, actor)
    meeting = ClusterMeeting(cluster_id=cluster_id, created_by_id=actor.user_id, **cleaned)
    db.add(meeting)
    db.flush()
    db.add_all(ClusterMeetingAttendee(meeting_id=meeting.id, contact_id=c) for c in contact_ids)
    db.add_all(ClusterMeetingAttendee(meeting_id=meeting.id, user_id=u) for u in user_ids)
    try:
        _add_follow_ups(db, actor, cluster_id, meeting.id, follow_ups or [], field="follow_ups")
    except ValidationFailed:
        db.rollback()
        raise
    db.commit()
    return meeting_view(db, actor, cluster_id, meeting.id)


def meeting_view(
    db: Session, actor: Actor, cluster_id: uuid.UUID, meeting_id: uuid.UUID
) -> MeetingView:
    _cluster_with_meetings(db, actor, cluster_id)
    meeting = _meeting(db, cluster_id, meeting_id)
    attendees = [
        contact_name or user_name
        for contact_name, user_name in db.execute(
            select(Contact.full_name, User.full_name)
            .select_from(ClusterMeetingAttendee)
            .outerjoin(Contact, Contact.id == ClusterMeetingAttendee.contact_id)
            .outerjoin(User, User.id == ClusterMeetingAttendee.user_id)
            .where(ClusterMeetingAttendee.meeting_id == meeting.id)
            .order_by(func.coalesce(Contact.full_name, User.full_name))
        )
    ]
    return MeetingView(
        meeting, attendees, _meeting_tasks(db, actor, [str(meeting.id)], open_only=False)
    )


def _meeting(db: Session, cluster_id: uuid.UUID, meeting_id: uuid.UUID) -> ClusterMeeting:
    meeting = db.get(ClusterMeeting, meeting_id)
    if meeting is None or meeting.cluster_id != cluster_id:
        raise NotFound("No such meeting.")
    return meeting


def add_meeting_follow_up(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    meeting_id: uuid.UUID,
    follow_up: FollowUp,
) -> Activity:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    meeting = _meeting(db, cluster_id, meeting_id)
    try:
        [task] = _add_follow_ups(db, actor, cluster_id, meeting.id, [follow_up], field="follow_up")
    except ValidationFailed:
        db.rollback()
        raise
    db.commit()
    return task


def update_meeting(
    db: Session,
    actor: Actor,
    cluster_id: uuid.UUID,
    meeting_id: uuid.UUID,
    values: dict[str, Any],
) -> ClusterMeeting:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    meeting = _meeting(db, cluster_id, meeting_id)
    cleaned = clean_meeting_fields(values, creating=False)
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(meeting, name, value)
    db.commit()
    return meeting


# ---------------------------------------------------------------- leads and links


def add_lead(db: Session, actor: Actor, cluster_id: uuid.UUID, lead_id: uuid.UUID) -> None:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    if db.get(Lead, lead_id) is None:
        raise ValidationFailed.single("lead_id", "No such lead.", "unknown")
    if db.get(ClusterLead, (cluster_id, lead_id)) is not None:
        raise Conflict("The cluster already works on this lead.")
    db.add(ClusterLead(cluster_id=cluster_id, lead_id=lead_id))
    db.commit()


def remove_lead(db: Session, actor: Actor, cluster_id: uuid.UUID, lead_id: uuid.UUID) -> None:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    row = db.get(ClusterLead, (cluster_id, lead_id))
    if row is None:
        raise NotFound("The cluster does not work on this lead.")
    db.delete(row)
    db.commit()


def link_clusters(
    db: Session, actor: Actor, cluster_id: uuid.UUID, other_id: uuid.UUID, note: str | None
) -> ClusterLink:
    require_staff_wide(actor)
    get_cluster(db, actor, cluster_id)
    if db.get(Cluster, other_id) is None:
        raise ValidationFailed.single("cluster_id", "No such cluster.", "unknown")
    first, second = link_pair(cluster_id, other_id)
    if db.scalar(
        select(ClusterLink.id).where(
            ClusterLink.cluster_a_id == first, ClusterLink.cluster_b_id == second
        )
    ):
        raise Conflict("The clusters are already linked.")
    text = (note or "").strip() or None
    if text and len(text) > 2_000:
        raise ValidationFailed.single("note", "At most 2000 characters.", "too_long")
    bind_actor(db, actor)
    link = ClusterLink(cluster_a_id=first, cluster_b_id=second, note=text)
    db.add(link)
    db.commit()
    return link


def unlink_clusters(db: Session, actor: Actor, cluster_id: uuid.UUID, link_id: uuid.UUID) -> None:
    require_staff_wide(actor)
    link = db.get(ClusterLink, link_id)
    if link is None or cluster_id not in (link.cluster_a_id, link.cluster_b_id):
        raise NotFound("No such link.")
    bind_actor(db, actor)
    db.delete(link)
    db.commit()


def _check_cluster_access(db: Session, actor: Actor, entity_id: str) -> None:
    get_cluster(db, actor, parse_uuid(entity_id))


register_access_check("clusters", _check_cluster_access)


register_field_errors(
    {
        ("not_coordinator", "coordinator_id"): N_("Choose an active coordinator."),
        "not_member": N_("The organisation is not a member of this cluster."),
        ("self_link", "cluster_id"): N_("A cluster cannot be linked to itself."),
        ("not_pdf", "file"): N_("The document must be a PDF file."),
    }
)


def candidate_leads(db: Session, actor: Actor) -> list[Lead]:
    """Leads the actor may link to a cluster, by code name."""
    return list(
        db.scalars(select(Lead).where(leads_with_need_to_know(actor)).order_by(Lead.code_name))
    )
