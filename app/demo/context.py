"""What every demo area loader gets: the session, the settings, the region's demo
content and the report of what was added."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Organization, User
from app.demo.data import DemoData
from app.domain.access import Role
from app.domain.region import RegionDefinition
from app.settings import Settings

DEMO_PASSWORD = "invest-demo-2026"  # noqa: S105  (development demo data only)
# The demo coordinator's login is koordinaattori@<demo domain>.
COORDINATOR_LOGIN = "koordinaattori"


def demo_domain(region: RegionDefinition) -> str:
    """The e-mail domain of the region's demo people (reserved: no mail can reach it)."""
    return f"invest-{region.slug}.example"


@dataclass
class DemoReport:
    added: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        self.added[kind] = self.added.get(kind, 0) + n

    def summary(self) -> str:
        added = ", ".join(f"{n} {k}" for k, n in sorted(self.added.items())) or "nothing new"
        lines = [f"Demo data loaded ({added}).", "", f"Demo logins (password: {DEMO_PASSWORD}):"]
        lines += [f"  {role:<18} {email}" for role, email in self.logins]
        return "\n".join(lines)


@dataclass(frozen=True)
class DemoContext:
    db: Session
    settings: Settings
    region: RegionDefinition
    data: DemoData
    report: DemoReport

    def email(self, login: str) -> str:
        return f"{login}@{demo_domain(self.region)}"

    def user(self, login: str) -> User | None:
        return self.db.scalar(select(User).where(User.email == self.email(login)))

    def coordinator(self) -> User | None:
        """The first coordinator: the demo's owner of leads, clusters, events…"""
        return self.db.scalar(
            select(User).where(User.role == Role.COORDINATOR.value).order_by(User.email).limit(1)
        )

    def organization(self, name: str) -> Organization:
        """An organisation the demo content names; a name nobody added is a data error."""
        org = self.db.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            raise LookupError(f"demo data names an unknown organisation: {name}")
        return org
