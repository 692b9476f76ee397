"""`leads.sole_candidate_code` (migration 0038): the only candidate municipality of a
lead, which the reports count a lead under until it lands. Triggers on
`lead_municipalities` keep it; these tests check it equals a fresh computation after
every kind of change to the candidates — through the HTTP API (the lead form, landing,
the CSV import, merging) and by raw SQL, the path no service guards."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.db.migrations import upgrade_to_head
from app.db.models import Lead, LeadMunicipality
from app.db.session import make_engine
from app.services.reference import ensure_reference_data
from tests.factories import Factory
from tests.leads.conftest import Pipeline

TODAY = datetime.now(UTC).date()
PERIOD = {"period_start": f"{TODAY.year - 1}-01-01", "period_end": f"{TODAY.year + 2}-12-31"}
IN_PERIOD = f"{TODAY.year + 1}-06-30"


def _fresh(db: Session) -> dict[Any, str | None]:
    """Every lead's only candidate, computed from the candidates now."""
    only = (
        select(
            LeadMunicipality.lead_id,
            case((func.count() == 1, func.min(LeadMunicipality.municipality_code))),
        )
        .group_by(LeadMunicipality.lead_id)
        .subquery()
    )
    return {
        lead_id: code
        for lead_id, code in db.execute(
            select(Lead.id, only.c[1]).outerjoin(only, only.c.lead_id == Lead.id)
        )
    }


def _kept(db: Session) -> dict[Any, str | None]:
    return dict(db.execute(select(Lead.id, Lead.sole_candidate_code)).all())


def _assert_kept(db: Session) -> None:
    db.flush()
    assert _kept(db) == _fresh(db)


def _sole(db: Session, lead_id: Any) -> str | None:
    return db.scalar(select(Lead.sole_candidate_code).where(Lead.id == uuid.UUID(str(lead_id))))


def _counted_under(
    pipeline: Pipeline, target_id: str, lead_id: str
) -> tuple[str | None, dict[str | None, int]]:
    """The municipality the lead's drill-down row names, and the municipality split's
    leads (other tests' leads may be in it: SQLite keeps them)."""
    response = pipeline.client.get(
        f"/api/v1/targets/{target_id}/progress",
        params={"group_by": "municipality"},
        headers=pipeline.headers,
    )
    assert response.status_code == 200, response.text
    split = {
        group["key"]: group["figures"]["weighted"]["leads"]
        for group in response.json()["groups"]["municipality"]
    }
    drill = pipeline.client.get(
        f"/api/v1/targets/{target_id}/progress/leads",
        params={"limit": 200},
        headers=pipeline.headers,
    )
    assert drill.status_code == 200, drill.text
    (row,) = [r for r in drill.json()["items"] if r["lead_id"] == lead_id]
    return row["municipality_code"], split


def test_every_change_of_the_candidates_through_the_api_keeps_the_column(
    pipeline: Pipeline, db: Session
) -> None:
    values = {"capex_eur": 10_000_000, "expected_decision_on": IN_PERIOD}
    none = pipeline.lead(title="No candidate", **values)
    one = pipeline.lead(title="One candidate", municipality_codes=["765"], **values)
    two = pipeline.lead(title="Two candidates", municipality_codes=["765", "205"], **values)
    _assert_kept(db)
    assert (_sole(db, none["id"]), _sole(db, one["id"]), _sole(db, two["id"])) == (
        None,
        "765",
        None,
    )

    # The lead form: one to two, two to one, one to none, none to one.
    for lead, codes, expected in (
        (one, ["765", "290"], None),
        (two, ["205"], "205"),
        (two, [], None),
        (none, ["578"], "578"),
        (none, ["290"], "290"),
    ):
        response = pipeline.client.patch(
            f"/api/v1/leads/{lead['id']}",
            json={"municipality_codes": codes},
            headers=pipeline.headers,
        )
        assert response.status_code == 200, response.text
        _assert_kept(db)
        assert _sole(db, lead["id"]) == expected

    # Landing in a municipality that was no candidate adds it to the candidates.
    landed = pipeline.move(
        str(none["id"]),
        to_stage="landed",
        landing_municipality_code="205",
        realised_capex_eur=5_000_000,
        capex_status="realised",
        landed_on=TODAY.isoformat(),
    )
    assert landed.status_code == 200, landed.text
    _assert_kept(db)
    assert _sole(db, none["id"]) is None

    # The CSV import.
    csv = (
        "title,investment_type,source,capex_eur,municipality_codes,stage_code\n"
        "Imported with one,expansion,partner,1000000,765,contacted\n"
        "Imported with two,expansion,partner,1000000,765;205,contacted\n"
    )
    imported = pipeline.client.post(
        "/api/v1/imports/leads",
        params={"dry_run": False},
        files={"file": ("leads.csv", csv.encode(), "text/csv")},
        headers=pipeline.headers,
    )
    assert imported.json()["applied"] is True, imported.text
    _assert_kept(db)
    by_title = dict(db.execute(select(Lead.title, Lead.sole_candidate_code)).all())
    assert (by_title["Imported with one"], by_title["Imported with two"]) == ("765", None)

    # Merging a duplicate into a lead.
    survivor = pipeline.lead(title="Survivor", municipality_codes=["578"], **values)
    duplicate = pipeline.lead(
        title="Duplicate", municipality_codes=["578", "765"], confirm_duplicate=True, **values
    )
    merged = pipeline.client.post(
        f"/api/v1/leads/{survivor['id']}/merge",
        json={"duplicate_id": duplicate["id"]},
        headers=pipeline.headers,
    )
    assert merged.status_code == 200, merged.text
    _assert_kept(db)


def test_raw_writes_to_the_candidates_keep_the_column(pipeline: Pipeline, db: Session) -> None:
    first = pipeline.lead(title="First")
    second = pipeline.lead(title="Second", municipality_codes=["205"])
    first_id, second_id = uuid.UUID(first["id"]), uuid.UUID(second["id"])
    # On the connection, below the session and its audit guard: plain SQL.
    raw = db.connection()
    raw.execute(
        insert(LeadMunicipality),
        [
            {"lead_id": first_id, "municipality_code": "765"},
            {"lead_id": second_id, "municipality_code": "290"},
        ],
    )
    _assert_kept(db)
    assert (_sole(db, first_id), _sole(db, second_id)) == ("765", None)
    # A row moved to another lead changes both leads.
    raw.execute(
        update(LeadMunicipality)
        .where(LeadMunicipality.lead_id == second_id, LeadMunicipality.municipality_code == "290")
        .values(lead_id=first_id)
    )
    _assert_kept(db)
    assert (_sole(db, first_id), _sole(db, second_id)) == (None, "205")
    # A row renamed in place.
    raw.execute(
        update(LeadMunicipality)
        .where(LeadMunicipality.lead_id == second_id)
        .values(municipality_code="578")
    )
    _assert_kept(db)
    assert _sole(db, second_id) == "578"
    raw.execute(delete(LeadMunicipality).where(LeadMunicipality.municipality_code == "765"))
    _assert_kept(db)
    assert _sole(db, first_id) == "290"
    # Deleting a lead deletes its candidates (and leaves the other leads right).
    raw.execute(delete(Lead).where(Lead.id == second_id))
    _assert_kept(db)


def test_the_municipality_split_follows_the_candidates(pipeline: Pipeline, db: Session) -> None:
    response = pipeline.client.post(
        "/api/v1/targets",
        json={"name": "Split target", "amount_eur": 1_000_000_000, "scope": "all", **PERIOD},
        headers=pipeline.headers,
    )
    assert response.status_code == 201, response.text
    target_id = str(response.json()["id"])
    lead = pipeline.lead(
        municipality_codes=["765"], capex_eur=10_000_000, expected_decision_on=IN_PERIOD
    )
    where, before = _counted_under(pipeline, target_id, lead["id"])
    assert where == "765"
    pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}",
        json={"municipality_codes": ["765", "205"]},
        headers=pipeline.headers,
    ).raise_for_status()
    # Several candidates: counted once, under no municipality.
    where, several = _counted_under(pipeline, target_id, lead["id"])
    assert where is None
    assert several.get("765", 0) == before["765"] - 1
    assert several[None] == before.get(None, 0) + 1
    pipeline.client.patch(
        f"/api/v1/leads/{lead['id']}",
        json={"municipality_codes": ["205"]},
        headers=pipeline.headers,
    ).raise_for_status()
    where, after = _counted_under(pipeline, target_id, lead["id"])
    assert where == "205"
    assert after["205"] == before.get("205", 0) + 1


def test_two_transactions_adding_candidates_side_by_side_leave_none_sole(
    scratch_database: str,
) -> None:
    """Each transaction alone sees one candidate: without the lead's row locked first,
    both would store theirs and the lead would count under one of two municipalities."""
    engine = make_engine(scratch_database)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    try:
        upgrade_to_head(engine)
        with Session(engine) as db:
            ensure_reference_data(db)
            lead_id = Factory(db).lead().id
            db.commit()
        first, second = engine.connect(), engine.connect()
        first.execute(insert(LeadMunicipality).values(lead_id=lead_id, municipality_code="205"))
        with ThreadPoolExecutor(1) as pool:
            # Waits for the first transaction's lock on the lead, until it commits.
            blocked = pool.submit(
                lambda: (
                    second.execute(
                        insert(LeadMunicipality).values(lead_id=lead_id, municipality_code="290")
                    ),
                    second.commit(),
                )
            )
            time.sleep(0.5)
            assert not blocked.done()
            first.commit()
            blocked.result(timeout=10)
        first.close()
        second.close()
        with Session(engine) as db:
            assert _sole(db, lead_id) is None
    finally:
        engine.dispose()
