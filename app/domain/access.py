"""Who may do what. Every service call receives an `Actor` and asks these rules."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import PermissionDenied


def token_digest(token: str) -> str:
    """How a bearer token (login session, API, partner, calendar feed) is stored and
    looked up: its SHA-256, so a read of the database yields no working token. The
    tokens are random and long, so a fast hash without salt is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MUNICIPAL_CONTACT = "municipal_contact"
    FORUM_VIEWER = "forum_viewer"
    PARTNER = "partner"


@dataclass(frozen=True)
class Actor:
    """The person (or system) on whose behalf a use case runs."""

    user_id: uuid.UUID | None
    role: Role
    label: str
    municipality_code: str | None = None
    organization_id: uuid.UUID | None = None

    @property
    def sees_everything(self) -> bool:
        """Admins and the regional coordinator work across all municipalities."""
        return self.role in (Role.ADMIN, Role.COORDINATOR)


SYSTEM_ACTOR = Actor(user_id=None, role=Role.ADMIN, label="system")


def validate_role_binding(
    role: Role, municipality_code: str | None, organization_id: uuid.UUID | None
) -> str | None:
    """Return why a role/binding combination is invalid, or None when it is fine."""
    if role is Role.MUNICIPAL_CONTACT and not municipality_code:
        return "a municipal contact must be bound to a municipality"
    if role is not Role.MUNICIPAL_CONTACT and municipality_code:
        return "only municipal contacts are bound to a municipality"
    if role is Role.PARTNER and organization_id is None:
        return "a partner must be bound to an organisation"
    if role is not Role.PARTNER and organization_id is not None:
        return "only partners are bound to an organisation"
    return None


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise PermissionDenied("Your role does not allow this action.")


def require_staff_wide(actor: Actor) -> None:
    require_role(actor, Role.ADMIN, Role.COORDINATOR)


def can_edit_municipality_records(actor: Actor, municipality_code: str) -> bool:
    """Coordinators edit every municipality's records; a contact only their own."""
    if actor.sees_everything:
        return True
    return actor.role is Role.MUNICIPAL_CONTACT and actor.municipality_code == municipality_code


def require_municipality_edit(actor: Actor, municipality_code: str) -> None:
    if not can_edit_municipality_records(actor, municipality_code):
        raise PermissionDenied("You may only change your own municipality's records.")
