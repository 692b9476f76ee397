"""The staff UI's main navigation; each business area adds its entries here."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.access import Role
from app.i18n import N_

ALL_ROLES = frozenset(Role)
# The forum reads reports only, never lead records (services/scope.py).
LEAD_RECORD_ROLES = ALL_ROLES - {Role.FORUM_VIEWER}


@dataclass(frozen=True)
class NavItem:
    path: str
    # English source text marked with N_; translated when rendered.
    label: str
    roles: frozenset[Role] = ALL_ROLES


NAVIGATION: list[NavItem] = [
    NavItem("/staff", N_("Home")),
    NavItem("/leads/board", N_("Pipeline"), LEAD_RECORD_ROLES),
    NavItem("/leads", N_("Leads"), LEAD_RECORD_ROLES),
    NavItem("/tasks", N_("My tasks"), LEAD_RECORD_ROLES),
    NavItem("/organizations", N_("Organisations"), frozenset({Role.ADMIN, Role.COORDINATOR})),
    NavItem("/pipeline", N_("Pipeline settings"), frozenset({Role.ADMIN, Role.COORDINATOR})),
    NavItem(
        "/privacy/retention", N_("Retention review"), frozenset({Role.ADMIN, Role.COORDINATOR})
    ),
    NavItem(
        "/sites", N_("Sites"), frozenset({Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT})
    ),
    NavItem("/review", N_("Review queue"), frozenset({Role.ADMIN, Role.COORDINATOR})),
    NavItem("/clusters", N_("Clusters"), ALL_ROLES - {Role.FORUM_VIEWER}),
    NavItem("/events", N_("Events"), ALL_ROLES - {Role.FORUM_VIEWER}),
    NavItem(
        "/syndication",
        N_("Syndication"),
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT}),
    ),
    NavItem("/targets", N_("Targets"), frozenset({Role.ADMIN, Role.COORDINATOR})),
    NavItem(
        "/reports", N_("Reports"), frozenset({Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER})
    ),
    NavItem("/imports", N_("Import"), frozenset({Role.ADMIN, Role.COORDINATOR})),
    NavItem(
        "/reference/industries", N_("Key industries"), frozenset({Role.ADMIN, Role.COORDINATOR})
    ),
    # A municipal contact edits their own municipality's contact details (docs/access.md).
    NavItem(
        "/reference/municipalities",
        N_("Municipalities"),
        frozenset({Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT}),
    ),
]

# Kept last in the bar, after the business areas' entries.
ACCOUNT_NAVIGATION: list[NavItem] = [
    NavItem("/admin/users", N_("Users"), frozenset({Role.ADMIN})),
    NavItem("/account", N_("My account")),
]


def items_for(role: str) -> list[NavItem]:
    return [item for item in [*NAVIGATION, *ACCOUNT_NAVIGATION] if Role(role) in item.roles]


def current_path(items: list[NavItem], path: str) -> str | None:
    """The entry a page belongs to: the longest path that is the page or its parent."""
    matches = [i.path for i in items if path == i.path or path.startswith(i.path + "/")]
    return max(matches, key=len, default=None)
