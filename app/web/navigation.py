"""The staff UI's main navigation; each business area adds its entries here."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.access import Role
from app.i18n import N_

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    path: str
    # English source text marked with N_; translated when rendered.
    label: str
    roles: frozenset[Role] = ALL_ROLES


NAVIGATION: list[NavItem] = [
    NavItem("/", N_("Home")),
    NavItem(
        "/sites", N_("Sites"), frozenset({Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT})
    ),
    NavItem("/review", N_("Review queue"), frozenset({Role.ADMIN, Role.COORDINATOR})),
]


def items_for(role: str) -> list[NavItem]:
    return [item for item in NAVIGATION if Role(role) in item.roles]
