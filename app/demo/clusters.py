"""Demo clusters with members, agreements, a meeting and links; skipped if any cluster
exists."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.models import (
    Cluster,
    ClusterAgreement,
    ClusterIndustry,
    ClusterLead,
    ClusterLink,
    ClusterMeeting,
    ClusterMember,
    Lead,
)
from app.demo.context import DemoContext
from app.domain.access import SYSTEM_ACTOR
from app.domain.clusters import MemberRole, link_pair
from app.services.clusters import today


def load(ctx: DemoContext) -> None:
    db = ctx.db
    if not ctx.data.clusters or db.scalar(select(Cluster.id).limit(1)):
        return
    coordinator = ctx.coordinator()
    if coordinator is None:
        return
    bind_actor(db, SYSTEM_ACTOR)
    day = today()
    by_name: dict[str, Cluster] = {}
    for demo in ctx.data.clusters:
        members = [ctx.organization(name) for name in demo.members]
        cluster = Cluster(
            name=demo.name,
            description=demo.description,
            leading_organization_id=members[0].id,
            coordinator_id=coordinator.id,
            founded_on=date(day.year - demo.founded_years_ago, demo.founded_month, 1),
        )
        db.add(cluster)
        db.flush()
        by_name[demo.name] = cluster
        db.add_all(ClusterIndustry(cluster_id=cluster.id, industry_code=c) for c in demo.industries)
        joined = cluster.founded_on or day
        for index, org in enumerate(members):
            role = MemberRole.LEADING if index == 0 else MemberRole.MEMBER
            db.add(
                ClusterMember(
                    cluster_id=cluster.id, organization_id=org.id, role=role.value, joined_on=joined
                )
            )
            # Agreements end one after another, so the reminders have something to say.
            db.add(
                ClusterAgreement(
                    cluster_id=cluster.id,
                    party_organization_id=org.id,
                    title="Sitoumussopimus",
                    signed_on=joined,
                    valid_until=day + timedelta(days=30 + 200 * index),
                )
            )
        if demo.meeting is not None:
            db.add(
                ClusterMeeting(
                    cluster_id=cluster.id,
                    held_on=day - timedelta(days=14),
                    title=demo.meeting.title,
                    minutes=demo.meeting.minutes,
                    decisions=demo.meeting.decisions,
                    created_by_id=coordinator.id,
                )
            )
        if demo.lead_industries:
            for lead_id in db.scalars(
                select(Lead.id)
                .where(Lead.industry_code.in_(demo.lead_industries))
                .order_by(Lead.code_name)
            ):
                db.add(ClusterLead(cluster_id=cluster.id, lead_id=lead_id))
        ctx.report.count("clusters")
    for link in ctx.data.cluster_links:
        first, second = link_pair(*(by_name[name].id for name in link.clusters))
        db.add(ClusterLink(cluster_a_id=first, cluster_b_id=second, note=link.note))
    db.flush()
