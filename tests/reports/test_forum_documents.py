"""The forum report as a page, a PDF and a workbook; closed periods kept byte for byte.

A forum viewer must never see an investor's name: every format is parsed and searched."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from app.domain.access import SYSTEM_ACTOR, Role
from app.services import reports
from app.web.assets import static_url
from tests.factories import csrf_from
from tests.reports.conftest import Known

SECRET = "Salainen Sijoittaja Oy"
PARAMS = {"as_of": "2026-01-15"}


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Table cells wrap words onto lines; compare with single spaces.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _cells(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_pdf_has_charts_tables_and_code_names_only(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    response = client.get(
        "/api/v1/reports/forum.pdf",
        params={**PARAMS, "target_id": str(known.target.id)},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    for expected in (
        "Progress toward the target over time",  # the SVG chart's own text
        "Forecast by key industry",
        "Pipeline funnel",
        "Leads behind the figures",
        "Project Alpha",
        "Project Delta",
        "€1,118,300,004",
        "€81,699,996",
    ):
        assert expected in text, expected
    assert SECRET not in text


def test_xlsx_has_one_sheet_per_table_and_native_charts(client, factory, known) -> None:
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    response = client.get(
        "/api/v1/reports/forum.xlsx",
        params={**PARAMS, "target_id": str(known.target.id)},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 200, response.text
    sheets = _cells(response.content)
    assert list(sheets) == [
        "Summary",
        "Progress by year",
        "Key industry",
        "Municipality",
        "Investment type",
        "Country of origin",
        "Funnel",
        "New leads by month",
        "Lost leads by reason",
        "Activity by owner",
        "Activity by municipality",
        "Visits by municipality",
        "Year over year",
        "Leads behind the figures",
    ]
    summary = {row[0]: row[1:] for row in sheets["Summary"] if row and row[0]}
    assert summary["Realised"] == (240_000_000, 0, 240_000_000, 1)
    assert summary["Weighted pipeline"] == (78_300_004, 75_000_001, 3_300_003, 2)
    assert summary["Forecast"] == (1_118_300_004, 875_000_001, 243_300_003, 4)
    assert summary["Gap to forecast (EUR)"][0] == 81_699_996
    municipality = {row[0]: row[-1] for row in sheets["Municipality"][1:]}
    assert municipality == {
        "Paltamo": 800_000_000,
        "Sotkamo": 240_000_000,
        "Kajaani": 75_000_001,
        "Not assigned": 3_300_003,
    }
    assert [row[0] for row in sheets["Leads behind the figures"][1:]] == [
        "Project Bravo",
        "Project Alpha",
        "Project Charlie",
        "Project Delta",
    ]
    everything = repr(sheets)
    assert SECRET not in everything
    charts = [
        n
        for n in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        if n.startswith("xl/charts/chart")
    ]
    assert len(charts) == 6  # progress by year, the four splits and the funnel
    book = load_workbook(io.BytesIO(response.content))
    assert len(book["Progress by year"]._charts) == 1
    assert len(book["Funnel"]._charts) == 1


def test_report_page_for_the_forum(client, factory, known: Known) -> None:
    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    page = client.get("/reports", params={**PARAMS, "target_id": str(known.target.id)})
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/reports"' in html and 'aria-current="page"' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert '<title id="chart-progress-t">' in html
    assert "Project Alpha" in html
    assert "1,118,300,004" in html.replace("\xa0", " ") or "1 118 300 004" in html.replace(
        "\xa0", " "
    )
    # The charts need no script: the page's only scripts are the shell's files.
    assert re.findall(r"<script[^>]*>", html) == [
        f'<script src="{static_url("shell.js")}">',
        f'<script src="{static_url("htmx/htmx.min.js")}" defer>',
    ]
    assert "style=" not in html
    assert f"/reports/forum.pdf?target_id={known.target.id}" in html
    assert SECRET not in html
    # A forum viewer cannot close periods.
    assert 'action="/reports/snapshots"' not in html

    drill = client.get(
        "/reports/leads",
        params={**PARAMS, "target_id": str(known.target.id), "figure": "weighted"},
    )
    assert drill.status_code == 200
    assert "Project Delta" in drill.text and SECRET not in drill.text

    pdf = client.get("/reports/forum.pdf", params={**PARAMS, "target_id": str(known.target.id)})
    xlsx = client.get("/reports/forum.xlsx", params={**PARAMS, "target_id": str(known.target.id)})
    assert pdf.status_code == 200 and SECRET not in _pdf_text(pdf.content)
    assert xlsx.status_code == 200 and SECRET not in repr(_cells(xlsx.content))


def test_reports_nav_hidden_from_municipal_contacts(client, factory) -> None:
    contact = factory.user(Role.MUNICIPAL_CONTACT)
    factory.login(client, contact)
    assert 'href="/reports"' not in client.get("/staff").text


def test_closed_period_does_not_change_when_leads_change(client, factory, known, db) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    created = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "Forum 2025", "as_of": "2025-12-31"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    snapshot = created.json()
    files = {}
    for fmt in ("pdf", "xlsx", "json"):
        response = client.get(f"/api/v1/reports/snapshots/{snapshot['id']}.{fmt}", headers=headers)
        assert response.status_code == 200
        files[fmt] = response.content
        digest = hashlib.sha256(response.content).hexdigest()
        assert response.headers["etag"] == f'"{digest}"'
    assert hashlib.sha256(files["pdf"]).hexdigest() == snapshot["pdf_sha256"]
    assert hashlib.sha256(files["xlsx"]).hexdigest() == snapshot["xlsx_sha256"]
    assert hashlib.sha256(files["json"]).hexdigest() == snapshot["figures_sha256"]
    import json

    figures = json.loads(files["json"])
    assert figures["totals"]["forecast"]["total"] == 1_118_300_004

    # The realised investment turns out bigger; the live report changes, the snapshot not.
    # (The correction is recorded today: the ledger shows it from today on, while a
    # report as of 2025-12-31 recomputed later still gives what was known then.)
    alpha = known.leads["A"]
    edited = client.patch(
        f"/api/v1/leads/{alpha.id}", json={"capex_eur": 250_000_000}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    live = client.get(f"/api/v1/targets/{known.target.id}/progress", headers=headers).json()
    assert live["totals"]["realised"]["total"] == 250_000_000
    recomputed = client.get(
        f"/api/v1/targets/{known.target.id}/progress",
        params={"as_of": "2025-12-31"},
        headers=headers,
    ).json()
    assert recomputed["totals"]["realised"]["total"] == 240_000_000
    for fmt, content in files.items():
        again = client.get(f"/api/v1/reports/snapshots/{snapshot['id']}.{fmt}", headers=headers)
        assert again.content == content

    _viewer, viewer_headers = factory.api_user(Role.FORUM_VIEWER)
    listed = client.get("/api/v1/reports/snapshots", headers=viewer_headers).json()
    assert listed["total"] == 1
    assert listed["items"][0]["label"] == "Forum 2025"
    assert listed["items"][0]["pdf_sha256"] == snapshot["pdf_sha256"]
    stored_pdf = client.get(
        f"/api/v1/reports/snapshots/{snapshot['id']}.pdf", headers=viewer_headers
    ).content
    assert SECRET not in _pdf_text(stored_pdf)

    again = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "Again", "as_of": "2025-12-31"},
        headers=headers,
    )
    assert again.status_code == 409


def test_snapshot_rules(client, factory, known) -> None:
    _viewer, viewer_headers = factory.api_user(Role.FORUM_VIEWER)
    body = {"target_id": str(known.target.id), "label": "Forum", "as_of": "2025-12-31"}
    assert (
        client.post("/api/v1/reports/snapshots", json=body, headers=viewer_headers).status_code
        == 403
    )
    _user, headers = factory.api_user(Role.COORDINATOR)
    response = client.post(
        "/api/v1/reports/snapshots",
        json={**body, "label": " ", "as_of": "2999-12-31"},
        headers=headers,
    )
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("label", "required"),
        ("as_of", "in_future"),
    }


def test_coordinator_closes_a_period_in_the_staff_ui(client, factory, known) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    page = client.get("/reports", params={"target_id": str(known.target.id)})
    response = client.post(
        "/reports/snapshots",
        data={
            "csrf_token": csrf_from(page.text),
            "target_id": str(known.target.id),
            "label": "Investointifoorumi 2025",
            "as_of": "2025-12-31",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    listed = client.get(response.headers["location"]).text
    assert "Investointifoorumi 2025" in listed
    assert "/reports/snapshots/" in listed


def test_documents_list_the_largest_leads_and_count_all_of_them(
    client, factory, known: Known, db, monkeypatch
) -> None:
    """The documents list a fixed number of leads whatever the pipeline's size; the
    caption and the summary tiles still count every lead behind the figures."""
    monkeypatch.setattr(reports, "DOCUMENT_LEAD_LIMIT", 2)
    _user, headers = factory.api_user(Role.COORDINATOR)
    query = {**PARAMS, "target_id": str(known.target.id)}
    listed = client.get(
        f"/api/v1/targets/{known.target.id}/progress/leads",
        params={**PARAMS, "limit": 100},
        headers=headers,
    ).json()
    behind = listed["items"]
    assert listed["total"] == len(behind) > 2
    landed = sum(1 for row in behind if row["stage_code"] == "landed")

    pdf = client.get(
        "/api/v1/reports/forum.pdf", params=query, headers={**headers, "Accept-Language": "en"}
    )
    text = _pdf_text(pdf.content)
    assert f"the 2 largest of {len(behind)}" in text
    largest = sorted(behind, key=lambda row: -row["amount_eur"])
    assert largest[0]["code_name"] in text and largest[-1]["code_name"] not in text

    report = reports.forum_report(
        db, SYSTEM_ACTOR, known.target.id, as_of=date(2026, 1, 15), today=date(2026, 1, 15)
    )
    assert len(report.leads) == 2 and report.leads_total == len(behind)
    assert report.headline is not None
    assert report.headline.projects_landed == landed
    assert report.headline.projects_active == len(behind) - landed


def test_a_page_past_the_last_lead_still_counts_them(client, factory, known: Known) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    path = f"/api/v1/targets/{known.target.id}/progress/leads"
    first = client.get(path, params={**PARAMS, "limit": 100}, headers=headers).json()
    beyond = client.get(
        path, params={**PARAMS, "limit": 10, "offset": first["total"] + 5}, headers=headers
    ).json()
    assert beyond["items"] == [] and beyond["total"] == first["total"] > 0
