"""Property-based tests of the ledger: random pipelines and edit sequences, through the
services (the same rules as every write path), on the test database.

- every lead with an amount is in exactly one column (realised, committed, weighted
  pipeline or excluded) at every as-of date;
- the splits add up to the totals;
- re-computing a past as-of date gives the figures a snapshot taken that day gave.
(Refused edits are part of the sequences: a refused edit changes nothing.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db.models import InvestmentTarget, Lead, Organization
from app.domain.access import SYSTEM_ACTOR
from app.domain.errors import ValidationFailed
from app.domain.leads import CapexStatus, TransitionRequest
from app.domain.organizations import normalise_org_name
from app.domain.targets import Dimension, Figure, Figures, Progress
from app.services import leads, ledger, targets
from app.services.leads import LeadLinks
from tests.conftest import rolled_back_session

FIRST_DAY = date(2024, 3, 1)
DAYS = 6
REAL_TODAY = datetime.now(UTC).date()
STAGES = [
    "identified",
    "qualified",
    "negotiation",
    "decision_pending",
    "landed",
    "lost",
    "on_hold",
]
INDUSTRIES = ["mining_chemicals", "tourism", "forest_bioeconomy", None]
COUNTED = (Figure.REALISED, Figure.COMMITTED, Figure.WEIGHTED)
# The municipality split reads the current candidates and landing municipality (they are
# not in the ledger), so only these splits are compared with a snapshot.
STABLE_SPLITS = (Dimension.INDUSTRY, Dimension.INVESTMENT_TYPE, Dimension.ORIGIN_COUNTRY)

amounts = st.one_of(st.none(), st.integers(min_value=0, max_value=2_000_000_000))
job_counts = st.one_of(st.none(), st.integers(min_value=0, max_value=2_000))
days_around = st.one_of(
    st.none(), st.dates(min_value=date(2022, 6, 1), max_value=date(2027, 6, 30))
)

new_leads = st.lists(
    st.fixed_dictionaries(
        {
            "capex_eur": amounts,
            "jobs": job_counts,
            "capex_basis": st.sampled_from(["estimated", "confirmed", "public"]),
            "jobs_basis": st.sampled_from(["estimated", "confirmed"]),
            "industry_code": st.sampled_from(INDUSTRIES),
            "origin_country": st.sampled_from(["FI", "SE", None]),
            "expected_decision_on": days_around,
            "day": st.integers(min_value=0, max_value=DAYS - 1),
            "organization": st.sampled_from([0, 1, None]),
        }
    ),
    min_size=1,
    max_size=5,
)

edits = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=DAYS - 1),
        st.integers(min_value=0, max_value=4),
        st.one_of(
            st.tuples(
                st.just("move"), st.sampled_from(STAGES), st.sampled_from(["realised", "committed"])
            ),
            st.tuples(st.just("capex"), amounts, st.sampled_from(["estimated", "confirmed"])),
            st.tuples(st.just("jobs"), job_counts, st.sampled_from(["estimated", "confirmed"])),
            st.tuples(
                st.just("status"),
                st.sampled_from(["estimate", "announced", "committed", "realised"]),
                st.none(),
            ),
            st.tuples(st.just("decision"), days_around, st.none()),
            st.tuples(st.just("announced"), days_around, st.none()),
            st.tuples(st.just("merge"), st.integers(min_value=0, max_value=4), st.none()),
        ),
    ),
    max_size=14,
)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _figures_key(figures: Figures) -> dict[str, Any]:
    return {f.value: getattr(figures, f.value) for f in Figure}


def _comparable(progress: Progress) -> dict[str, Any]:
    return {
        "totals": _figures_key(progress.totals),
        "landed_leads": progress.landed_leads,
        "years": [(y.year, _figures_key(y.figures)) for y in progress.years],
        "splits": {
            dimension.value: sorted(
                (g.key or "", _figures_key(g.figures)) for g in progress.splits[dimension]
            )
            for dimension in STABLE_SPLITS
        },
    }


def _check_invariants(db: Session, progress: Progress, with_amount: int) -> None:
    totals = progress.totals
    columns = (*COUNTED, Figure.EXCLUDED)
    # Every lead with an amount is in exactly one column.
    assert sum(getattr(totals, f.value).leads for f in columns) == with_amount
    # The years and each split add up to the totals.
    for figure in COUNTED:
        total = getattr(totals, figure.value)
        by_year = sum((getattr(y.figures, figure.value).total for y in progress.years), 0)
        assert by_year <= total.total
        for dimension, groups in progress.splits.items():
            parts = [getattr(g.figures, figure.value) for g in groups]
            assert sum(p.total for p in parts) == total.total, (dimension, figure)
            assert sum(p.jobs for p in parts) == total.jobs, (dimension, figure)
            assert sum(p.leads for p in parts) == total.leads, (dimension, figure)


def _with_amount(db: Session, ids: list[uuid.UUID]) -> int:
    return (
        db.scalar(
            select(func.count()).where(
                Lead.id.in_(ids), (Lead.capex_eur.is_not(None)) | (Lead.jobs.is_not(None))
            )
        )
        or 0
    )


def _apply(db: Session, lead: Lead, others: list[Lead], edit: tuple[Any, ...], day: date) -> None:
    op, value, extra = edit
    actor = SYSTEM_ACTOR
    try:
        if op == "move":
            landed = value == "landed"
            request = TransitionRequest(
                to_stage=value,
                note="reopened" if lead.stage_code in ("landed", "lost") else None,
                landing_municipality_code="205" if landed else None,
                realised_capex_eur=Decimal(lead.capex_eur or 1_000_000) if landed else None,
                capex_status=CapexStatus(extra) if landed else None,
                landed_on=day if landed else None,
                lost_reason_code="other" if value == "lost" else None,
            )
            leads.transition(db, actor, lead.id, request)
        elif op == "capex":
            leads.update_lead(
                db, actor, lead.id, {"capex_eur": value, "capex_basis": extra}, LeadLinks()
            )
        elif op == "jobs":
            leads.update_lead(db, actor, lead.id, {"jobs": value, "jobs_basis": extra}, LeadLinks())
        elif op == "status":
            leads.update_lead(db, actor, lead.id, {"capex_status": value}, LeadLinks())
        elif op == "decision":
            leads.update_lead(db, actor, lead.id, {"expected_decision_on": value}, LeadLinks())
        elif op == "announced":
            leads.update_lead(db, actor, lead.id, {"announced_on": value}, LeadLinks())
        elif op == "merge":
            other = others[value % len(others)]
            ledger.merge_leads(db, actor, lead.id, other.id)
    except ValidationFailed:
        db.rollback()


@settings(
    max_examples=60,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(new=new_leads, sequence=edits)
def test_every_lead_counts_once_and_the_past_stays_as_it_was(
    engine: Engine, new: list[dict[str, Any]], sequence: list[tuple[Any, ...]]
) -> None:
    with rolled_back_session(engine) as db:
        organizations = []
        for _n in range(2):
            name = f"Property Investor {uuid.uuid4()}"
            org = Organization(name=name, name_key=normalise_org_name(name), type="company")
            db.add(org)
            organizations.append(org)
        target = InvestmentTarget(
            name="Property target",
            amount_eur=1_000_000_000,
            period_start=date(2023, 1, 1),
            period_end=date(2026, 12, 31),
            scope="industrial",
        )
        db.add(target)
        db.commit()
        clock = Clock(datetime.combine(FIRST_DAY, datetime.min.time(), UTC))
        created: list[Lead] = []
        snapshots: dict[date, dict[str, Any]] = {}
        with (
            patch("app.services.leads.utcnow", clock),
            patch("app.services.ledger.utcnow", clock),
        ):
            for offset in range(DAYS):
                day = FIRST_DAY + timedelta(days=offset)
                clock.now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
                for spec in (s for s in new if s["day"] == offset):
                    values = {
                        key: spec[key]
                        for key in (
                            "capex_eur",
                            "jobs",
                            "capex_basis",
                            "jobs_basis",
                            "industry_code",
                            "origin_country",
                            "expected_decision_on",
                        )
                    }
                    org = spec["organization"]
                    created.append(
                        leads.create_lead(
                            db,
                            SYSTEM_ACTOR,
                            {
                                **values,
                                "title": "Property lead",
                                "investment_type": "expansion",
                                "source": "partner",
                            },
                            LeadLinks(
                                organization_id=None if org is None else organizations[org].id
                            ),
                            confirm_duplicate=True,
                        )
                    )
                for edit_day, index, edit in sequence:
                    if edit_day == offset and created:
                        lead = created[index % len(created)]
                        db.refresh(lead)
                        _apply(db, lead, created, edit, day)
                progress = targets.progress(
                    db, SYSTEM_ACTOR, target.id, as_of=day, today=day, group_by=tuple(Dimension)
                )[1]
                ids = [lead.id for lead in created]
                _check_invariants(db, progress, _with_amount(db, ids))
                # The forum's tiles count from progress what the lead list counts.
                behind = targets.lead_page(db, SYSTEM_ACTOR, target.id, as_of=day, today=day)
                assert (progress.totals.forecast.leads, progress.landed_leads) == (
                    behind.total,
                    behind.landed,
                )
                snapshots[day] = _comparable(progress)
        # Later: every past day again, now read from the stage log and the amount ledger.
        for day, snapshot in snapshots.items():
            again = targets.progress(
                db, SYSTEM_ACTOR, target.id, as_of=day, today=REAL_TODAY, group_by=tuple(Dimension)
            )[1]
            assert _comparable(again) == snapshot, day
