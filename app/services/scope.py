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
    Cluster,
    ClusterMember,
    Event,
    EventHost,
    Lead,
    LeadShare,
    Site,
    SyndicationTarget,
)
from app.domain.access import Actor, Role
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


def reads_site_history(actor: Actor, municipality_code: str) -> bool:
    """A site's versions and audit trail are its municipality's internal work (draft
    texts, review comments, who did what): the coordinator and that municipality's
    contacts read them, nobody else, however public the site is today."""
    if actor.sees_everything:
        return True
    return actor.role is Role.MUNICIPAL_CONTACT and actor.municipality_code == municipality_code


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
    return exists(
        select(LeadShare.id).where(
            LeadShare.lead_id == Lead.id, receiver, LeadShare.status != "declined"
        )
    )


def leads_with_need_to_know(actor: Actor) -> ColumnElement[bool]:
    """Leads whose investor identity the actor may see."""
    if actor.sees_everything:
        return true()
    return or_(Lead.owner_id == actor.user_id, _shared_with(actor))


def leads_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Leads the actor may list at all; the forum sees every code name, nothing more."""
    if actor.role is Role.FORUM_VIEWER:
        return true()
    return leads_with_need_to_know(actor)


def lead_rows_visible_to(actor: Actor, lead_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Rows that belong to a lead (its stage log, its activities) are visible with the lead.

    Reports read such rows by the hundred thousand: for actors who may list every lead
    this is no condition at all, which spares them a join to the leads."""
    if actor.role is Role.FORUM_VIEWER or actor.sees_everything:
        return true()
    return lead_id.in_(select(Lead.id).where(leads_visible_to(actor)))


def activities_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Activities of leads with need-to-know, and the actor's own tasks and entries;
    activities of organisations and contacts are CRM records of the coordinator."""
    if actor.sees_everything:
        return true()
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
