"""The funnel's "reached" rule: a lead has reached every funnel stage up to its furthest."""

from __future__ import annotations

from app.domain.reports import reached_per_stage


def test_each_lead_counts_at_its_furthest_stage_and_every_stage_before_it() -> None:
    # Two leads got no further than order 10, one reached 30; nobody reached 40.
    orders = {"identified": 10, "contacted": 20, "qualified": 30, "negotiation": 40}
    assert reached_per_stage({10: 2, 30: 1}, orders) == {
        "identified": 3,
        "contacted": 1,
        "qualified": 1,
        "negotiation": 0,
    }


def test_no_leads_reach_nothing() -> None:
    assert reached_per_stage({}, {"identified": 10}) == {"identified": 0}
