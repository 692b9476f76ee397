"""Idempotent seeding of reference data: inserts what is missing, never overwrites edits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.migrations import startup_lock, upgrade
from app.db.models import Industry, LostReason, Municipality, Stage, User
from app.domain.access import (
    Actor,
    Role,
    can_edit_municipality_records,
    require_municipality_edit,
    require_role,
    require_staff_wide,
)
from app.domain.errors import NotFound
from app.domain.leads import DEFAULT_LOST_REASONS, DEFAULT_STAGES
from app.domain.reference import clean_industry, clean_municipality_contact
from app.i18n import label
from app.services.audit import entries_for
from app.services.region import ensure_region


def prepare_database(engine: Engine) -> int:
    """What every instance does at start-up (`invest-kainuu migrate`): the schema to head,
    then the missing reference data, both under the start-up lock so that instances
    starting together neither race on a migration nor insert reference rows twice.
    Returns how many reference rows were added."""
    with startup_lock(engine) as connection:
        upgrade(connection)
        with Session(bind=connection) as db:
            return ensure_reference_data(db)


def ensure_reference_data(db: Session) -> int:
    """Insert the missing region data (from the default region file while no region is
    stored), stages and lost reasons. Returns how many rows were added; commits."""
    added = ensure_region(db)
    known = set(db.scalars(select(Stage.code)))
    for stage in DEFAULT_STAGES:
        if stage.code not in known:
            db.add(
                Stage(
                    code=stage.code,
                    name_fi=stage.name_fi,
                    name_en=stage.name_en,
                    default_probability=stage.default_probability,
                    kind=stage.kind.value,
                    sort_order=stage.sort_order,
                    decision=stage.decision,
                )
            )
            added += 1
    known = set(db.scalars(select(LostReason.code)))
    for order, (code, name_fi, name_en) in enumerate(DEFAULT_LOST_REASONS):
        if code not in known:
            db.add(LostReason(code=code, name_fi=name_fi, name_en=name_en, sort_order=order))
            added += 1
    db.commit()
    return added


def municipality_choices(db: Session) -> list[Municipality]:
    """The municipalities in Finnish alphabetical order (forms and the API)."""
    return list(db.scalars(select(Municipality).order_by(Municipality.name_fi)))


def industry_choices(db: Session, *, active_only: bool = False) -> list[Industry]:
    query = select(Industry).order_by(Industry.sort_order, Industry.code)
    if active_only:
        query = query.where(Industry.active.is_(True))
    return list(db.scalars(query))


# --- editing the reference data -----------------------------------------------------------


def get_industry(db: Session, actor: Actor, code: str) -> Industry:
    require_staff_wide(actor)
    industry = db.get(Industry, code)
    if industry is None:
        raise NotFound("No such key industry.")
    return industry


def update_industry(db: Session, actor: Actor, code: str, values: Mapping[str, object]) -> Industry:
    """The coordinator renames a key industry, describes it, or takes it out of use (it
    then leaves the portal and the choices of new records; what names it keeps it).
    Audited like every change of reference data."""
    industry = get_industry(db, actor, code)
    edit = clean_industry(values)
    bind_actor(db, actor)
    industry.name_fi = edit.name_fi
    industry.name_en = edit.name_en
    industry.description_fi = edit.description_fi
    industry.description_en = edit.description_en
    industry.active = edit.active
    db.commit()
    return industry


def editable_municipalities(db: Session, actor: Actor) -> list[Municipality]:
    """The municipalities whose contact details the actor may change: all of them for
    the regional team, their own for a municipal contact, none for anyone else."""
    require_role(actor, Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)
    return [m for m in municipality_choices(db) if can_edit_municipality_records(actor, m.code)]


def get_municipality(db: Session, actor: Actor, code: str) -> Municipality:
    require_role(actor, Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)
    municipality = db.get(Municipality, code)
    if municipality is None:
        raise NotFound("No such municipality.")
    require_municipality_edit(actor, code)
    return municipality


def update_municipality_contact(
    db: Session, actor: Actor, code: str, values: Mapping[str, object]
) -> Municipality:
    """A municipality's business contact on the portal (person and title, e-mail,
    phone, web page): the regional team for every municipality, a municipal contact for their own
    (docs/access.md). Names and codes stay with the coordinator's seeds."""
    municipality = get_municipality(db, actor, code)
    contact = clean_municipality_contact(values)
    bind_actor(db, actor)
    municipality.contact_name = contact.contact_name
    municipality.contact_title_fi = contact.contact_title_fi
    municipality.contact_title_en = contact.contact_title_en
    municipality.contact_email = contact.contact_email
    municipality.contact_phone = contact.contact_phone
    municipality.website_url = contact.website_url
    db.commit()
    return municipality


# --- the change list of the reference pages -------------------------------------------


@dataclass(frozen=True)
class Change:
    """One saved change of a record, for people: when, who, which fields."""

    at: datetime
    who: str
    fields: list[str]


def recent_changes(db: Session, lang: str, entity_type: str, code: str) -> list[Change]:
    """The last saved updates of a reference record, newest first, with who made them
    and the labels of the fields they changed."""
    entries = entries_for(db, entity_type, code)
    ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    names: dict[uuid.UUID, str] = {}
    if ids:
        found = db.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
        names = {user_id: full_name for user_id, full_name in found}
    changes = []
    for entry in reversed(entries[-20:]):
        if entry.action != "update":
            continue
        who = names.get(entry.actor_user_id) if entry.actor_user_id else None
        fields = [
            label(lang, "reference_field", name)
            for name in (entry.changes or {})
            if name != "updated_at"
        ]
        changes.append(Change(entry.at, who or "", fields))
    return changes
