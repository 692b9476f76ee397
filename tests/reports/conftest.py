"""Builders for a small, hand-made pipeline whose every figure is known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import InvestmentTarget, Lead, LeadMunicipality, User
from app.domain.access import SYSTEM_ACTOR
from app.services.auth import actor_for
from app.services.leads import record_stage_change
from app.services.ledger import record_amounts
from tests.factories import Factory


def at(day: str) -> datetime:
    """Noon UTC of an ISO day: the same Finnish calendar day."""
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@dataclass
class Pipeline:
    db: Session
    factory: Factory

    def lead(
        self,
        log: Sequence[tuple[str, str]],
        *,
        candidates: Sequence[str] = (),
        owner: User | None = None,
        **values: Any,
    ) -> Lead:
        """A lead whose stage log is `log` [(stage, ISO day), …]; the last is its stage."""
        (first_stage, first_day), *changes = log
        lead = self.factory.lead(
            owner=owner,
            stage=first_stage,
            created_at=at(first_day),
            record_ledger=False,
            **values,
        )
        actor = actor_for(owner) if owner else SYSTEM_ACTOR
        # The amount ledger as it was written: until the landing the amount was an
        # estimate (or announced), committed or realised from the landing on.
        landing = next((day for stage, day in changes if stage == "landed"), None)
        if landing is not None and lead.capex_status in ("committed", "realised"):
            final = (lead.capex_status, lead.landed_on)
            lead.capex_status = "announced" if lead.announced_on else "estimate"
            lead.landed_on = None
            record_amounts(self.db, lead, actor, at=at(first_day))
            lead.capex_status, lead.landed_on = final
            record_amounts(self.db, lead, actor, at=at(landing))
        else:
            record_amounts(self.db, lead, actor, at=at(first_day))
        for to_stage, day in changes:
            record_stage_change(self.db, lead, to_stage, actor, at=at(day))
        for code in candidates:
            self.db.add(LeadMunicipality(lead_id=lead.id, municipality_code=code))
        self.db.commit()
        return lead

    def target(self, **values: Any) -> InvestmentTarget:
        bind_actor(self.db, SYSTEM_ACTOR)
        target = InvestmentTarget(
            name=values.pop("name", "Test target 2022–2025"),
            amount_eur=values.pop("amount_eur", 1_200_000_000),
            period_start=values.pop("period_start", date(2022, 1, 1)),
            period_end=values.pop("period_end", date(2025, 12, 31)),
            scope=values.pop("scope", "industrial"),
            **values,
        )
        self.db.add(target)
        self.db.commit()
        return target


@pytest.fixture
def pipeline(db: Session, factory: Factory) -> Pipeline:
    return Pipeline(db, factory)


@dataclass
class Known:
    """The hand-made pipeline of `known` and its industrial 2022–2025 target."""

    target: InvestmentTarget
    leads: dict[str, Lead]


@pytest.fixture
def known(pipeline: Pipeline, factory: Factory) -> Known:
    owner = factory.user(email="owner.one@example.com")
    secret = factory.organization(name="Salainen Sijoittaja Oy")
    leads = {
        # Realised in Sotkamo; two candidate municipalities, counted once where it landed.
        "A": pipeline.lead(
            [("identified", "2022-01-10"), ("negotiation", "2022-09-01"), ("landed", "2023-05-10")],
            candidates=("765", "205"),
            owner=owner,
            code_name="Project Alpha",
            organization_id=secret.id,
            industry_code="mining_chemicals",
            investment_type="expansion",
            origin_country="FI",
            capex_eur=240_000_000,
            capex_basis="confirmed",
            capex_status="realised",
            landing_municipality_code="765",
            landed_on=date(2023, 5, 10),
            expected_decision_on=date(2023, 4, 1),
            source="partner",
        ),
        # Landed with the money committed, not yet realised.
        "B": pipeline.lead(
            [
                ("identified", "2021-06-01"),
                ("decision_pending", "2023-01-15"),
                ("landed", "2024-03-01"),
            ],
            owner=owner,
            code_name="Project Bravo",
            organization_id=secret.id,
            industry_code="forest_bioeconomy",
            investment_type="greenfield_fdi",
            origin_country="CN",
            capex_eur=800_000_000,
            capex_basis="estimated",
            capex_status="committed",
            landing_municipality_code="578",
            landed_on=date(2024, 3, 1),
            expected_decision_on=date(2024, 2, 15),
        ),
        # Open, 75 %: 100 000 001 × 0.75 = 75 000 000.75 → 75 000 001.
        "C": pipeline.lead(
            [("identified", "2024-01-01"), ("negotiation", "2024-06-01")],
            candidates=("205",),
            code_name="Project Charlie",
            industry_code="ict_data_centres",
            origin_country="US",
            capex_eur=100_000_001,
            expected_decision_on=date(2025, 6, 30),
            source="invest_in_finland",
        ),
        # Open, overridden to 33 %, announced and investor-confirmed: 3 300 003.3 → 3 300 003.
        "D": pipeline.lead(
            [("identified", "2024-02-01"), ("site_visit", "2024-08-01")],
            candidates=("205", "290"),
            code_name="Project Delta",
            organization_id=secret.id,
            industry_code="metal_machinery",
            origin_country="DE",
            capex_eur=10_000_010,
            capex_basis="confirmed",
            capex_status="announced",
            probability_override=33,
            probability_reason="Board meeting moved",
            expected_decision_on=date(2025, 2, 1),
            source="portal_inquiry",
        ),
        # Tourism: not industrial investment.
        "E": pipeline.lead(
            [("identified", "2024-03-01"), ("negotiation", "2024-04-01")],
            code_name="Project Echo",
            industry_code="tourism",
            capex_eur=50_000_000,
            expected_decision_on=date(2025, 5, 1),
        ),
        # Lost on 1 October 2024: in the weighted pipeline before, out of it after.
        "F": pipeline.lead(
            [("identified", "2023-03-01"), ("negotiation", "2023-09-01"), ("lost", "2024-10-01")],
            owner=owner,
            code_name="Project Foxtrot",
            industry_code="mining_chemicals",
            capex_eur=300_000_000,
            expected_decision_on=date(2025, 3, 1),
            lost_reason_code="chose_other_country",
        ),
        # Decision expected after the period.
        "G": pipeline.lead(
            [("identified", "2024-05-01"), ("qualified", "2024-06-01")],
            code_name="Project Golf",
            industry_code="mining_chemicals",
            capex_eur=20_000_000,
            expected_decision_on=date(2026, 5, 1),
        ),
        # On hold: never weighted.
        "H": pipeline.lead(
            [("identified", "2024-01-01"), ("on_hold", "2024-02-01")],
            code_name="Project Hotel",
            industry_code="mining_chemicals",
            capex_eur=70_000_000,
            expected_decision_on=date(2025, 1, 1),
        ),
        # No amount yet.
        "I": pipeline.lead(
            [("identified", "2024-01-01")],
            code_name="Project India",
            industry_code="mining_chemicals",
            expected_decision_on=date(2025, 1, 1),
        ),
        # Realised before the period.
        "J": pipeline.lead(
            [("identified", "2020-01-01"), ("landed", "2021-06-01")],
            code_name="Project Juliett",
            industry_code="mining_chemicals",
            capex_eur=5_000_000,
            capex_status="realised",
            landing_municipality_code="205",
            landed_on=date(2021, 6, 1),
        ),
    }
    target = pipeline.target()
    return Known(target, leads)
