"""A register imported from a spreadsheet may hold leads already landed: each opens an
aftercare account with its check-in task, as a move to landed does; a landed row
without its landing details is refused, naming the columns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead
from app.domain.aftercare import next_checkin
from app.services.aftercare import today
from tests.aftercare.conftest import Aftercare

HEADER = (
    "title,investment_type,source,organization_name,capex_eur,capex_status,stage_code,"
    "municipality_codes,landing_municipality_code,landed_on\n"
)


def _import(ac: Aftercare, text: str, *, dry_run: bool) -> Any:
    return ac.client.post(
        "/api/v1/imports/leads",
        params={"dry_run": dry_run},
        files={"file": ("leads.csv", text.encode(), "text/csv")},
        headers=ac.headers,
    )


def test_a_lead_imported_as_landed_opens_an_aftercare_account(ac: Aftercare, db: Session) -> None:
    ac.org("Paltamo Timber Oy")
    ac.org("Hyrynsalmi Foods Oy")
    landed_on = today() - timedelta(days=40)
    refused = _import(
        ac,
        HEADER
        + "Sawmill,greenfield_fdi,own_prospecting,Paltamo Timber Oy,9000000,estimate,landed,,,\n"
        + "Bakery,greenfield_fdi,own_prospecting,Hyrynsalmi Foods Oy,,,contacted,,105,\n",
        dry_run=True,
    ).json()
    assert [{(e["field"], e["code"]) for e in row["errors"]} for row in refused["rows"]] == [
        {
            ("landing_municipality_code", "required"),
            ("landed_on", "required"),
            ("capex_status", "invalid_choice"),
        },
        {("landing_municipality_code", "not_allowed")},
    ]
    assert ac.accounts() == []
    applied = _import(
        ac,
        HEADER
        + "Sawmill,greenfield_fdi,own_prospecting,Paltamo Timber Oy,9000000,realised,landed,"
        + f"205,578,{landed_on.isoformat()}\n"
        + "Bakery,greenfield_fdi,own_prospecting,Hyrynsalmi Foods Oy,,,contacted,105,,\n",
        dry_run=False,
    )
    assert applied.status_code == 200, applied.text
    sawmill = db.scalars(select(Lead).where(Lead.title == "Sawmill")).one()
    assert (sawmill.stage_code, sawmill.landing_municipality_code, sawmill.landed_on) == (
        "landed",
        "578",
        landed_on,
    )
    accounts = ac.accounts()
    assert [(a["organization_name"], a["municipality_code"]) for a in accounts] == [
        ("Paltamo Timber Oy", "578")
    ]
    account = ac.account(accounts[0]["id"])
    assert account["kind"] == "existing_investor"
    tasks = ac.checkin_tasks(accounts[0]["id"])
    assert [t["due_on"] for t in tasks] == [next_checkin(landed_on, 6).isoformat()]
