"""The staff UI's main navigation: the sidebar's groups and their entries, each shown
only to the roles that may use it. A business area adds its entries to its group here."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.access import Role
from app.i18n import N_

ALL_ROLES = frozenset(Role)
# The forum reads reports only, never lead records (services/scope.py).
LEAD_RECORD_ROLES = ALL_ROLES - {Role.FORUM_VIEWER}
REGION_STAFF = frozenset({Role.ADMIN, Role.COORDINATOR})
SITE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT})


@dataclass(frozen=True)
class NavItem:
    path: str
    # English source text marked with N_; translated when rendered.
    label: str
    roles: frozenset[Role] = ALL_ROLES
    # The symbol's id in /static/icons.svg.
    icon: str = "dot"
    # Other paths whose pages belong to this entry (a contact's page to Organisations).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    items: tuple[NavItem, ...]


NAVIGATION_GROUPS: tuple[NavGroup, ...] = (
    NavGroup(
        "work",
        N_("Work"),
        (
            NavItem("/staff", N_("Home"), icon="home"),
            NavItem("/leads/board", N_("Pipeline"), LEAD_RECORD_ROLES, icon="board"),
            NavItem("/leads", N_("Leads"), LEAD_RECORD_ROLES, icon="list"),
            NavItem("/tasks", N_("My tasks"), LEAD_RECORD_ROLES, icon="check"),
            NavItem(
                "/intake", N_("Intake queue"), REGION_STAFF, icon="inbox", also=("/intake/rules",)
            ),
            NavItem(
                "/referrals/imports",
                N_("Referrals"),
                REGION_STAFF,
                icon="share",
                also=("/referrals/partner-tokens",),
            ),
        ),
    ),
    NavGroup(
        "investors",
        N_("Investors"),
        (
            NavItem(
                "/organizations",
                N_("Organisations"),
                REGION_STAFF,
                icon="building",
                also=("/contacts",),
            ),
            NavItem("/aftercare", N_("Aftercare"), SITE_ROLES, icon="check"),
            NavItem("/capital-investors", N_("Capital investors"), REGION_STAFF, icon="list"),
        ),
    ),
    NavGroup(
        "sites",
        N_("Sites"),
        (
            NavItem("/sites", N_("Sites"), SITE_ROLES, icon="pin", also=("/site-packages",)),
            NavItem("/review", N_("Review queue"), REGION_STAFF, icon="inbox"),
            NavItem("/syndication", N_("Syndication"), SITE_ROLES, icon="share"),
        ),
    ),
    NavGroup(
        "region",
        N_("Region"),
        (
            NavItem("/clusters", N_("Clusters"), LEAD_RECORD_ROLES, icon="network"),
            NavItem("/events", N_("Events"), LEAD_RECORD_ROLES, icon="calendar"),
        ),
    ),
    NavGroup(
        "reporting",
        N_("Reporting"),
        (
            NavItem("/targets", N_("Targets"), REGION_STAFF, icon="target"),
            NavItem(
                "/reports",
                N_("Reports"),
                frozenset({Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER}),
                icon="chart",
            ),
            NavItem(
                "/reports/response-times",
                N_("Response times"),
                frozenset({Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER}),
                icon="chart",
            ),
        ),
    ),
    NavGroup(
        "admin",
        N_("Administration"),
        (
            NavItem("/pipeline", N_("Pipeline settings"), REGION_STAFF, icon="sliders"),
            NavItem("/privacy/retention", N_("Retention review"), REGION_STAFF, icon="shield"),
            NavItem("/imports", N_("Import"), REGION_STAFF, icon="download"),
            NavItem("/reference/industries", N_("Key industries"), REGION_STAFF, icon="network"),
            # A municipal contact edits their own municipality's contact details
            # (docs/access.md).
            NavItem("/reference/municipalities", N_("Municipalities"), SITE_ROLES, icon="globe"),
            # What the portal's distances are measured to, and each town's key facts.
            NavItem("/reference/points", N_("Reference points"), REGION_STAFF, icon="pin"),
            NavItem("/reference/facts", N_("Key facts"), REGION_STAFF, icon="chart"),
            NavItem("/admin/region", N_("Region"), frozenset({Role.ADMIN}), icon="globe"),
            NavItem("/admin/users", N_("Users"), frozenset({Role.ADMIN}), icon="users"),
        ),
    ),
)

# In the user menu of the top bar, for everyone logged in.
ACCOUNT_ITEM = NavItem("/account", N_("My account"), icon="user")


def groups_for(role: str) -> list[tuple[NavGroup, list[NavItem]]]:
    """The sidebar of a role: its groups in order, each with the entries the role may
    use; a group with none is left out."""
    allowed = Role(role)
    found = []
    for group in NAVIGATION_GROUPS:
        items = [item for item in group.items if allowed in item.roles]
        if items:
            found.append((group, items))
    return found


def items_for(role: str) -> list[NavItem]:
    """Every entry of a role's navigation: the sidebar's, then My account."""
    return [item for _group, items in groups_for(role) for item in items] + [ACCOUNT_ITEM]


def current_path(items: list[NavItem], path: str) -> str | None:
    """The entry a page belongs to: the longest path that is the page or its parent."""
    matches = [
        (prefix, item.path)
        for item in items
        for prefix in (item.path, *item.also)
        if path == prefix or path.startswith(prefix + "/")
    ]
    return max(matches, key=lambda m: len(m[0]), default=(None, None))[1]
