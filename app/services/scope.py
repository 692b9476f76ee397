"""Row-level visibility: the WHERE clauses every query of scoped records goes through.

Kept in one place so that lists, detail pages, exports and reports cannot disagree
about who sees what.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from app.db.models import (
    Activity,
    AftercareAccount,
    Cluster,
    ClusterMember,
    Contact,
    Event,
    EventHost,
    Lead,
    LeadContact,
    LeadShare,
    Organization,
    Site,
    SyndicationTarget,
)
from app.domain.access import Actor, Role
from app.domain.errors import PermissionDenied
from app.domain.sites import SiteStatus


def sites_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Everyone sees published sites; municipal contacts also their own drafts."""
    if actor.sees_everything:
        return true()
    if actor.role is Role.MUNICIPAL_CONTACT:
        return or_(
            Site.municipality_code == actor.municipality_code,
            Site.status == SiteStatus.PUBLISHED.value,
        )
    return Site.status == SiteStatus.PUBLISHED.value


def sites_public(verified_after: date) -> ColumnElement[bool]:
    """What the public portal shows: published and verified after the cutoff date."""
    return and_(
        Site.status == SiteStatus.PUBLISHED.value,
        Site.last_verified_on.is_not(None),
        Site.last_verified_on > verified_after,
    )


def _shared_with(actor: Actor) -> ColumnElement[bool]:
    receiver: ColumnElement[bool]
    if actor.role is Role.MUNICIPAL_CONTACT:
        receiver = LeadShare.municipality_code == actor.municipality_code
    elif actor.role is Role.PARTNER:
        receiver = LeadShare.organization_id == actor.organization_id
    else:
        return false()
    # An uncorrelated IN, not a correlated EXISTS: under the OR of need-to-know,
    # PostgreSQL runs either as one hashed lookup, but costs an EXISTS as a probe per
    # lead; on 100,000 leads that estimate crossed jit_above_cost, and compiling the
    # query took most of a municipal contact's lead list (0.6 of 0.7 s).
    return Lead.id.in_(select(LeadShare.lead_id).where(receiver, LeadShare.status != "declined"))


def leads_with_need_to_know(actor: Actor) -> ColumnElement[bool]:
    """Leads whose investor identity the actor may see: the coordinator every lead, others
    the leads they own and those shared with them (and not declined)."""
    if actor.sees_everything:
        return true()
    if not may_read_lead_records(actor):
        return false()
    return or_(Lead.owner_id == actor.user_id, _shared_with(actor))


def may_read_lead_records(actor: Actor) -> bool:
    """The forum reads aggregates only: reports, never a lead record (list, page, search,
    board, export, activity, timeline, audit trail)."""
    return actor.role is not Role.FORUM_VIEWER


def require_lead_records(actor: Actor) -> None:
    """Refuse a list of lead records (or of what hangs on leads) to the forum: 403."""
    if not may_read_lead_records(actor):
        raise PermissionDenied("The investment forum sees the reports, not lead records.")


def leads_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Lead records the actor may read at all: exactly those with need-to-know. Paths by
    id answer an invisible lead like a missing one (404)."""
    return leads_with_need_to_know(actor)


def leads_in_reports(actor: Actor) -> ColumnElement[bool]:
    """Leads counted in aggregate reports: the forum and the coordinator count every
    lead; other readers the leads they may read."""
    if actor.role is Role.FORUM_VIEWER or actor.sees_everything:
        return true()
    return leads_visible_to(actor)


def lead_rows_in_reports(actor: Actor, lead_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Rows that belong to a lead (its stage log, its activities) counted in reports.

    Reports read such rows by the hundred thousand: for actors who count every lead this
    is no condition at all, which spares them a join to the leads."""
    if actor.role is Role.FORUM_VIEWER or actor.sees_everything:
        return true()
    return lead_id.in_(select(Lead.id).where(leads_in_reports(actor)))


def investor_identity_public(on: date) -> ColumnElement[bool]:
    """SQL of `app.domain.leads.investor_identity_public`: leads announced by `on`."""
    return and_(Lead.announced_on.is_not(None), Lead.announced_on <= on)


def organizations_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Organisations are the coordinator's CRM register. Others read the investors of
    the leads they have need-to-know of (and a partner its own organisation); an
    organisation outside that answers like a missing one."""
    if actor.sees_everything:
        return true()
    if not may_read_lead_records(actor):
        return false()
    investors = Organization.id.in_(
        select(Lead.organization_id).where(
            Lead.organization_id.is_not(None), leads_with_need_to_know(actor)
        )
    )
    if actor.role is Role.PARTNER and actor.organization_id is not None:
        return or_(investors, Organization.id == actor.organization_id)
    return investors


def contacts_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Contacts are the coordinator's CRM register too. Others read the people linked to
    the leads they have need-to-know of."""
    if actor.sees_everything:
        return true()
    if not may_read_lead_records(actor):
        return false()
    return Contact.id.in_(
        select(LeadContact.contact_id)
        .join(Lead, Lead.id == LeadContact.lead_id)
        .where(leads_with_need_to_know(actor))
    )


def activities_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Activities of leads with need-to-know, and the actor's own tasks and entries;
    activities of organisations and contacts are CRM records of the coordinator. The
    forum reads no activity at all."""
    if actor.sees_everything:
        return true()
    if not may_read_lead_records(actor):
        return false()
    return or_(
        Activity.lead_id.in_(select(Lead.id).where(leads_with_need_to_know(actor))),
        Activity.assignee_id == actor.user_id,
        Activity.created_by_id == actor.user_id,
    )


def event_hosted_by(actor: Actor) -> ColumnElement[bool]:
    """Events one of whose hosts is the actor's municipality."""
    if actor.role is not Role.MUNICIPAL_CONTACT:
        return false()
    return exists(
        select(EventHost.event_id).where(
            EventHost.event_id == Event.id,
            EventHost.municipality_code == actor.municipality_code,
        )
    )


def events_visible_to(actor: Actor) -> ColumnElement[bool]:
    """The coordinator sees every event; host municipalities their events; everyone
    else only events that are not confidential."""
    if actor.sees_everything:
        return true()
    return or_(Event.confidential.is_(False), event_hosted_by(actor))


def events_in_reports(actor: Actor) -> ColumnElement[bool]:
    """Events counted in reports: the forum sees counts of every event (never names),
    other readers what they may see."""
    if actor.role is Role.FORUM_VIEWER:
        return true()
    return events_visible_to(actor)


def clusters_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Cluster cooperation is regional: staff and the forum see every cluster; a partner
    the clusters its organisation belongs to."""
    if actor.role is Role.PARTNER:
        return exists(
            select(ClusterMember.id).where(
                ClusterMember.cluster_id == Cluster.id,
                ClusterMember.organization_id == actor.organization_id,
            )
        )
    return true()


def reads_meeting_records(actor: Actor) -> bool:
    """Minutes, decisions and attendee lists of cluster meetings are need-to-know of the
    cluster's work: staff and member partners (who only see their own clusters), never
    the forum, which reads aggregates only."""
    return actor.role is not Role.FORUM_VIEWER


def syndication_targets_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Push targets (and their deliveries): the coordinator sees all, a municipal
    contact their own municipality's."""
    if actor.sees_everything:
        return true()
    if actor.role is Role.MUNICIPAL_CONTACT:
        return SyndicationTarget.municipality_code == actor.municipality_code
    return false()


def aftercare_accounts_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Aftercare accounts: the coordinator sees all, a municipal contact the accounts of
    their municipality; partners and the forum none (the forum reads report totals)."""
    if actor.sees_everything:
        return true()
    if actor.role is Role.MUNICIPAL_CONTACT:
        return AftercareAccount.municipality_code == actor.municipality_code
    return false()
