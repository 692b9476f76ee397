"""Investor names in the forum's reports: beside the code name from the day the project
was announced, never before (nor on a day still to come), in the page, the drill-down,
the PDF, the workbook and the figures of a closed period. The forum counts every lead
while reading none of them as a record."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.domain.access import SYSTEM_ACTOR, Role
from tests.reports.conftest import Known

SECRET = "Salainen Sijoittaja Oy"  # Bravo's and Delta's investor, never announced
ANNOUNCED = "KaiCell Fibers Oy"  # Alpha's investor, announced on 10 January 2026
PLANNED = "Tuleva Julkistus Oy"  # Charlie's investor, to be announced next month
AFTER = {"as_of": "2026-01-15"}
BEFORE = {"as_of": "2026-01-09"}


def _today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def announced(known: Known, db: Session, factory) -> Known:  # type: ignore[no-untyped-def]
    bind_actor(db, SYSTEM_ACTOR)
    alpha, charlie = known.leads["A"], known.leads["C"]
    alpha.organization_id = factory.organization(name=ANNOUNCED).id
    alpha.confidentiality, alpha.announced_on = "public", date(2026, 1, 10)
    charlie.organization_id = factory.organization(name=PLANNED).id
    charlie.announced_on = _today() + timedelta(days=30)
    db.commit()
    return known


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _leads_sheet(content: bytes) -> list[tuple]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return list(book["Leads behind the figures"].iter_rows(values_only=True))


def _documents(client, headers, known: Known, params: dict[str, str]) -> tuple[str, list]:  # type: ignore[no-untyped-def]
    query = {**params, "target_id": str(known.target.id)}
    pdf = client.get("/api/v1/reports/forum.pdf", params=query, headers=headers)
    xlsx = client.get("/api/v1/reports/forum.xlsx", params=query, headers=headers)
    assert pdf.status_code == xlsx.status_code == 200, pdf.text
    return _pdf_text(pdf.content), _leads_sheet(xlsx.content)


def test_forum_documents_name_an_investor_from_the_announcement_on(
    client, factory, announced: Known
) -> None:
    _user, forum = factory.api_user(Role.FORUM_VIEWER)
    headers = {**forum, "Accept-Language": "en"}
    text, rows = _documents(client, headers, announced, AFTER)
    assert ANNOUNCED in text
    assert SECRET not in text and PLANNED not in text
    header, *leads = rows
    assert header[:2] == ("Code name", "Investor (once announced)")
    assert {row[0]: row[1] for row in leads} == {
        "Project Bravo": None,
        "Project Alpha": ANNOUNCED,
        "Project Charlie": None,
        "Project Delta": None,
    }
    # The day before the announcement the same report names nobody.
    text, rows = _documents(client, headers, announced, BEFORE)
    assert ANNOUNCED not in text and SECRET not in text
    assert {row[1] for row in rows[1:]} == {None}


def test_the_coordinator_renders_the_same_forum_documents(
    client, factory, announced: Known
) -> None:
    """The documents go to the forum whoever renders them: the coordinator's need-to-know
    does not put unannounced names into them."""
    _user, coordinator = factory.api_user(Role.COORDINATOR)
    text, rows = _documents(client, {**coordinator, "Accept-Language": "en"}, announced, AFTER)
    assert ANNOUNCED in text and SECRET not in text and PLANNED not in text
    assert SECRET not in repr(rows)


def test_a_planned_announcement_stays_secret_on_a_future_as_of_date(
    client, factory, announced: Known
) -> None:
    _user, forum = factory.api_user(Role.FORUM_VIEWER)
    future = (_today() + timedelta(days=60)).isoformat()
    body = client.get(
        f"/api/v1/targets/{announced.target.id}/progress/leads",
        params={"as_of": future},
        headers=forum,
    ).json()
    named = {r["code_name"]: (r["organization_name"], r["investor_public"]) for r in body["items"]}
    assert named["Project Alpha"] == (ANNOUNCED, True)
    assert named["Project Charlie"] == (None, False)
    assert PLANNED not in json.dumps(body) and SECRET not in json.dumps(body)


def test_forum_pages_name_announced_investors_only(client, factory, announced: Known) -> None:
    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    query = {**AFTER, "target_id": str(announced.target.id)}
    page = client.get("/reports", params=query)
    assert page.status_code == 200
    assert ANNOUNCED in page.text and SECRET not in page.text and PLANNED not in page.text
    drill = client.get("/reports/leads", params=query)
    assert drill.status_code == 200
    assert "Project Alpha" in drill.text and ANNOUNCED in drill.text
    assert SECRET not in drill.text and PLANNED not in drill.text
    # Code names are text in the report, never links to lead records.
    assert 'href="/leads/' not in page.text and 'href="/leads/' not in drill.text


def test_closed_period_figures_name_announced_investors_only(
    client, factory, announced: Known
) -> None:
    _user, coordinator = factory.api_user(Role.COORDINATOR)
    closed = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(announced.target.id), "label": "2025", "as_of": "2026-01-12"},
        headers=coordinator,
    )
    assert closed.status_code == 201, closed.text
    _viewer, forum = factory.api_user(Role.FORUM_VIEWER)
    figures = client.get(f"/api/v1/reports/snapshots/{closed.json()['id']}.json", headers=forum)
    leads = {row["code_name"]: row["organization_name"] for row in figures.json()["leads"]}
    assert leads["Project Alpha"] == ANNOUNCED
    assert {leads[c] for c in ("Project Bravo", "Project Charlie", "Project Delta")} == {None}
    assert SECRET not in figures.text


def test_the_forum_counts_every_lead_without_reading_one(client, factory, announced: Known) -> None:
    _user, forum = factory.api_user(Role.FORUM_VIEWER)
    _user, coordinator = factory.api_user(Role.COORDINATOR)
    url = f"/api/v1/targets/{announced.target.id}/progress"
    assert client.get(url, params=AFTER, headers=forum).json() == (
        client.get(url, params=AFTER, headers=coordinator).json()
    )
    pipeline = "/api/v1/reports/pipeline"
    assert client.get(pipeline, params=AFTER, headers=forum).json() == (
        client.get(pipeline, params=AFTER, headers=coordinator).json()
    )
    assert client.get("/api/v1/leads", headers=forum).status_code == 403
    lead_id = announced.leads["A"].id
    assert client.get(f"/api/v1/leads/{lead_id}", headers=forum).status_code == 404
