"""Reading a record's audit trail, and scrubbing personal data out of it on erasure."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import NotFound

ERASED = "[erased]"

# Who may read whose trail: per entity type, a check that raises unless the actor may
# read the record itself. Types not listed are readable by admins and the coordinator.
AccessCheck = Callable[[Session, Actor, str], None]
_ACCESS_CHECKS: dict[str, AccessCheck] = {}


def register_access_check(entity_type: str, check: AccessCheck) -> None:
    _ACCESS_CHECKS[entity_type] = check


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("No such record.") from None


def audit_trail(db: Session, actor: Actor, entity_type: str, entity_id: str) -> list[AuditEntry]:
    check = _ACCESS_CHECKS.get(entity_type)
    if check is None or actor.sees_everything:
        require_staff_wide(actor)
    else:
        check(db, actor, entity_id)
    return entries_for(db, entity_type, entity_id)


def entries_for(db: Session, entity_type: str, entity_id: str) -> list[AuditEntry]:
    """The history of one record, oldest first. Callers check access to the record."""
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def scrub_personal_data(
    db: Session, entity_type: str, entity_id: str, fields: frozenset[str]
) -> int:
    """Replace erased personal values in a record's history, keeping the entries.

    Returns how many entries were rewritten.
    """
    rewritten = 0
    for entry in entries_for(db, entity_type, entity_id):
        changes = dict(entry.changes)
        touched = False
        for name in fields & changes.keys():
            changes[name] = [None if v is None else ERASED for v in changes[name]]
            touched = True
        if touched:
            entry.changes = changes
            rewritten += 1
    return rewritten
