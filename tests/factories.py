"""Builders for test records, committed through the test's rolled-back session."""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Lead, LeadShare, Organization, Site, User
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.organizations import normalise_org_name
from app.services import auth, users
from app.services.auth import actor_for
from app.services.leads import record_stage_change
from app.services.ledger import record_amounts

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@dataclass
class Factory:
    db: Session

    def user(
        self,
        role: Role = Role.COORDINATOR,
        *,
        municipality: str | None = None,
        organization_id: uuid.UUID | None = None,
        email: str | None = None,
        language: str = "en",
    ) -> User:
        n = next(_counter)
        if role is Role.MUNICIPAL_CONTACT and municipality is None:
            municipality = "205"
        if role is Role.PARTNER and organization_id is None:
            organization_id = self.organization(name=f"Partner {n}").id
        return users.create_user(
            self.db,
            SYSTEM_ACTOR,
            email=email or f"user{n}@example.com",
            full_name=f"Test User {n}",
            role=role.value,
            password=PASSWORD,
            municipality_code=municipality,
            organization_id=organization_id,
            language=language,
        )

    def token(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.issue_token(self.db, user, 'test').token}"}

    def api_user(self, role: Role = Role.COORDINATOR, **kwargs: Any) -> tuple[User, dict[str, str]]:
        user = self.user(role, **kwargs)
        return user, self.token(user)

    def organization(self, name: str | None = None, **values: Any) -> Organization:
        name = name or f"Organisation {next(_counter)}"
        bind_actor(self.db, SYSTEM_ACTOR)
        org = Organization(
            name=name,
            name_key=normalise_org_name(name),
            type=values.pop("type", "company"),
            **values,
        )
        self.db.add(org)
        self.db.commit()
        return org

    def site(self, municipality: str = "205", status: str = "published", **values: Any) -> Site:
        n = next(_counter)
        bind_actor(self.db, SYSTEM_ACTOR)
        site = Site(
            slug=values.pop("slug", f"site-{n}"),
            municipality_code=municipality,
            kind=values.pop("kind", "industrial_plot"),
            status=status,
            name_fi=values.pop("name_fi", f"Tontti {n}"),
            name_en=values.pop("name_en", f"Plot {n}"),
            **values,
        )
        self.db.add(site)
        self.db.commit()
        return site

    def lead(
        self,
        *,
        owner: User | None = None,
        stage: str = "identified",
        record_ledger: bool = True,
        **values: Any,
    ) -> Lead:
        """A lead in `stage` since it was created, with that first stage-log entry and (if
        `record_ledger`) its amounts in the ledger as of its creation."""
        n = next(_counter)
        actor = actor_for(owner) if owner else SYSTEM_ACTOR
        bind_actor(self.db, actor)
        lead = Lead(
            code_name=values.pop("code_name", f"Project Test {n}"),
            title=values.pop("title", f"Test lead {n}"),
            investment_type=values.pop("investment_type", "greenfield_fdi"),
            source=values.pop("source", "own_prospecting"),
            stage_code=stage,
            owner_id=owner.id if owner else None,
            **values,
        )
        self.db.add(lead)
        self.db.flush()
        record_stage_change(self.db, lead, stage, actor, at=lead.created_at)
        if record_ledger:
            record_amounts(self.db, lead, actor, at=lead.created_at)
        self.db.commit()
        return lead

    def share(
        self,
        lead: Lead,
        *,
        municipality: str | None = None,
        organization_id: uuid.UUID | None = None,
        status: str = "pending",
    ) -> LeadShare:
        share = LeadShare(
            lead_id=lead.id,
            municipality_code=municipality,
            organization_id=organization_id,
            status=status,
        )
        self.db.add(share)
        self.db.commit()
        return share

    def login(self, client: TestClient, user: User, password: str = PASSWORD) -> None:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"csrf_token": csrf_from(page.text), "email": user.email, "password": password},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
