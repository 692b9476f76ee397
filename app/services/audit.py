"""Reading a record's audit trail, and scrubbing personal data out of it on erasure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from typing import Any

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


def redact_text(
    db: Session, entity_type: str, entity_id: str, needles: Collection[str], marker: str = ERASED
) -> int:
    """Replace every occurrence of an erased person's values (name, e-mail, phone) inside
    the text a record's history holds, e.g. a note that mentioned them. Returns how many
    entries were rewritten."""
    pattern = needle_pattern(needles)
    if pattern is None:
        return 0
    rewritten = 0
    for entry in entries_for(db, entity_type, entity_id):
        changes = redacted(entry.changes, pattern, marker)
        if changes != entry.changes:
            entry.changes = changes
            rewritten += 1
    return rewritten


def needle_pattern(needles: Collection[str]) -> re.Pattern[str] | None:
    """A case-blind pattern of a person's values (name, e-mail, phone) as whole words:
    "Ari" is found in "Ari Virtanen", never inside "Variable". Values shorter than three
    characters are ignored (they would match too much)."""
    words = sorted({n.strip() for n in needles if n and len(n.strip()) >= 3}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def redact(value: str | None, needles: Collection[str], marker: str = ERASED) -> str | None:
    """`value` with every occurrence of the needles replaced by the marker."""
    pattern = needle_pattern(needles)
    if value is None or pattern is None:
        return value
    return pattern.sub(marker, value)


def redacted(value: Any, pattern: re.Pattern[str], marker: str = ERASED) -> Any:
    """A text or JSON value with every match replaced (dictionary keys too)."""
    if isinstance(value, str):
        return pattern.sub(marker, value)
    if isinstance(value, list):
        return [redacted(v, pattern, marker) for v in value]
    if isinstance(value, dict):
        return {
            redacted(k, pattern, marker): redacted(v, pattern, marker) for k, v in value.items()
        }
    return value


def mentions(value: Any, pattern: re.Pattern[str]) -> bool:
    """Whether a text or JSON value contains a match anywhere."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, list):
        return any(mentions(v, pattern) for v in value)
    if isinstance(value, dict):
        return any(mentions(k, pattern) or mentions(v, pattern) for k, v in value.items())
    return False
