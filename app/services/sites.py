"""Site offerings: listing, reading and changing them within the actor's scope."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Site
from app.domain.access import Actor, require_municipality_edit
from app.domain.errors import NotFound
from app.services.audit import parse_uuid, register_access_check
from app.services.scope import sites_visible_to


def list_sites(
    db: Session,
    actor: Actor,
    *,
    municipality_code: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Site], int]:
    query = select(Site).where(sites_visible_to(actor))
    if municipality_code:
        query = query.where(Site.municipality_code == municipality_code)
    if status:
        query = query.where(Site.status == status)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Site.name_fi, Site.id).limit(limit).offset(offset))
    return list(rows), total


def get_site(db: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    site = db.scalar(select(Site).where(Site.id == site_id, sites_visible_to(actor)))
    if site is None:
        # Out-of-scope records answer exactly like missing ones: no existence leak.
        raise NotFound("No such site.")
    return site


def update_site(db: Session, actor: Actor, site_id: uuid.UUID, changes: dict[str, Any]) -> Site:
    site = get_site(db, actor, site_id)
    require_municipality_edit(actor, site.municipality_code)
    if "municipality_code" in changes:
        require_municipality_edit(actor, changes["municipality_code"])
    bind_actor(db, actor)
    for name, value in changes.items():
        setattr(site, name, value)
    site.version += 1
    db.commit()
    return site


def _check_site_access(db: Session, actor: Actor, entity_id: str) -> None:
    get_site(db, actor, parse_uuid(entity_id))


register_access_check("sites", _check_site_access)
