"""Demo activities, tasks and a handoff on the first demo leads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Activity, Lead, LeadShare
from app.demo.context import DemoContext
from app.domain.access import SYSTEM_ACTOR
from app.domain.activities import ActivityKind

# What marks the activities as the demo's own, so a second load adds none.
DEMO_ORIGIN = "demo"


def load(ctx: DemoContext) -> None:
    db = ctx.db
    if db.scalar(select(Activity.id).where(Activity.origin_type == DEMO_ORIGIN).limit(1)):
        return
    coordinator = ctx.coordinator()
    if coordinator is None:
        return
    bind_actor(db, SYSTEM_ACTOR)
    today = utcnow().date()
    share = ctx.data.lead_share
    for index, lead in enumerate(db.scalars(select(Lead).order_by(Lead.code_name).limit(8))):
        db.add(
            Activity(
                kind=ActivityKind.CALL.value,
                subject="Introductory call with the investor",
                lead_id=lead.id,
                occurred_at=utcnow() - timedelta(days=40 + index),
                created_by_id=coordinator.id,
                origin_type=DEMO_ORIGIN,
                origin_id=str(lead.id),
            )
        )
        db.add(
            Activity(
                kind=ActivityKind.TASK.value,
                subject="Send the site shortlist",
                lead_id=lead.id,
                due_on=today + timedelta(days=index * 3 - 6),
                assignee_id=coordinator.id,
                created_by_id=coordinator.id,
                origin_type=DEMO_ORIGIN,
                origin_id=str(lead.id),
            )
        )
        ctx.report.count("activities")
        if (
            index == 0
            and share is not None
            and not db.scalar(select(LeadShare.id).where(LeadShare.lead_id == lead.id))
        ):
            db.add(
                LeadShare(
                    lead_id=lead.id,
                    municipality_code=share.municipality,
                    message=share.message,
                    shared_by_id=coordinator.id,
                )
            )
            ctx.report.count("lead shares")
    db.flush()
