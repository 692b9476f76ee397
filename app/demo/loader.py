"""Loading the demo data set: the region-neutral users and synthetic leads, and the
region's own demo content (app/regions/<slug>/demo.yaml). Loading it twice changes
nothing."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.demo import (
    activities,
    aftercare,
    clusters,
    events,
    intake,
    leads,
    organizations,
    site_revisions,
    sites,
    syndication,
    targets,
    users,
)
from app.demo.context import DemoContext, DemoReport
from app.demo.data import demo_file, read_demo_data
from app.domain.access import SYSTEM_ACTOR
from app.domain.errors import PermissionDenied
from app.services.reference import ensure_reference_data
from app.services.region import current_region
from app.settings import Settings

# In this order: each area finds what the earlier ones added (people own leads, leads
# get activities, sites get photos before a revision is proposed…). Every loader skips
# what already exists.
AREAS: tuple[Callable[[DemoContext], None], ...] = (
    organizations.load,
    users.load,
    organizations.load_contact,
    leads.load,
    users.load_municipal_contacts,
    sites.load,
    sites.load_photos,
    site_revisions.load,
    activities.load,
    targets.load,
    clusters.load,
    events.load,
    syndication.load,
    intake.load,
    aftercare.load,
)


def load_demo_data(db: Session, settings: Settings) -> DemoReport:
    if settings.is_production:
        raise PermissionDenied("Demo data is for development and test databases only.")
    ensure_reference_data(db)
    bind_actor(db, SYSTEM_ACTOR)
    region = current_region(db)
    ctx = DemoContext(
        db=db,
        settings=settings,
        region=region,
        data=read_demo_data(demo_file(region)),
        report=DemoReport(),
    )
    for load in AREAS:
        load(ctx)
        db.flush()
    db.commit()
    return ctx.report
