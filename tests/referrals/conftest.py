"""Partner organisations with tokens, and a referral as Invest in Finland sends it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.db.models import Organization
from app.domain.access import Role
from app.services import referrals
from app.services.auth import actor_for
from tests.factories import Factory

REFERRAL: dict[str, Any] = {
    "referral_id": "IIF-2026-0042",
    "company": "Nordic Compute AB",
    "country": "SE",
    "industry": "ict_data_centres",
    "project_description": "A 60 MW data centre with heat recovery.",
    "capex_eur": 250_000_000,
    "jobs": 40,
    "timeline": "Decision Q3 2027",
    "contact": {
        "name": "Anna Lind",
        "email": "anna.lind@nordiccompute.example",
        "phone": "+46 70 123 4567",
    },
}


class Partners:
    """Invest in Finland and the ELY Centre as partners, and a coordinator's API token."""

    def __init__(self, db: Session, factory: Factory) -> None:
        self.db = db
        self.coordinator, self.staff = factory.api_user(Role.COORDINATOR)
        self.iif = factory.organization("Invest in Finland", type="partner_agency", country="FI")
        self.ely = factory.organization("Kainuu ELY Centre", type="public_funder", country="FI")

    def token(self, org: Organization) -> dict[str, str]:
        issued = referrals.issue_partner_token(
            self.db, actor_for(self.coordinator), org.id, f"{org.name} CRM"
        )
        return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def partners(db: Session, factory: Factory) -> Partners:
    return Partners(db, factory)
