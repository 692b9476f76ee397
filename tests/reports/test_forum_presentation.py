"""The forum report made to be presented: a cover, a one-page executive summary with
KPI tiles and the charts that tell the story, the comparison with the previous closed
period as reported then, the reader's number and date formats in every format — and
PNG pictures of the PDF's pages for a person to look at."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.db.models import LeadAmount
from app.domain.access import SYSTEM_ACTOR, Role
from app.services.ledger import record_amounts
from tests.reports.conftest import Known

SECRET = "Salainen Sijoittaja Oy"
AS_OF = "2026-01-15"


def _pages(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().replace("\xa0", " ").split()) for page in reader.pages]


def _get(client, headers, path: str, known: Known, lang: str, **params: str):
    response = client.get(
        path,
        params={"as_of": AS_OF, "target_id": str(known.target.id), **params},
        headers={**headers, "Accept-Language": lang},
    )
    assert response.status_code == 200, response.text
    return response


def _with_jobs(known: Known, db) -> None:
    """Jobs on the known leads, as if the amount ledger had held them from the start."""
    jobs = {"A": (120, "confirmed"), "B": (1_250, "estimated"), "C": (40, "estimated")}
    jobs["E"] = (999, "estimated")  # tourism: outside the industrial target
    for key, (count, basis) in jobs.items():
        lead = known.leads[key]
        lead.jobs, lead.jobs_basis = count, basis
        rows = db.scalars(select(LeadAmount).where(LeadAmount.lead_id == lead.id)).all()
        for row in rows:
            if row.measure == "jobs":
                db.delete(row)
            else:  # the jobs known through the same history as the euros
                db.add(
                    LeadAmount(
                        lead_id=lead.id,
                        measure="jobs",
                        kind=row.kind,
                        amount=count,
                        basis=basis,
                        dated_on=row.dated_on,
                        recorded_at=row.recorded_at,
                        superseded_at=row.superseded_at,
                    )
                )
    db.commit()


def _artefacts(name: str, content: bytes, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR", tmp_path)) / "forum-report"
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / f"{name}.pdf"
    pdf.write_bytes(content)
    return pdf


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_pdf_cover_summary_and_png_artefacts(client, factory, known: Known, db, lang, tmp_path):
    _with_jobs(known, db)
    # Last year's forum, to compare with.
    _coordinator, coordinator_headers = factory.api_user(Role.COORDINATOR)
    client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "Forum 2025", "as_of": "2025-06-30"},
        headers=coordinator_headers,
    ).raise_for_status()
    known.leads["D"].capex_eur = 20_000_020  # a larger estimate since
    db.commit()
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    content = _get(client, headers, "/api/v1/reports/forum.pdf", known, lang).content
    pages = _pages(content)
    cover, summary = pages[0], pages[1]
    if lang == "en":
        assert "Investment forum report" in cover and "regional council of kainuu" in cover.lower()
        assert "Test target 2022–2025" in cover
        assert "1 Jan 2022 – 31 Dec 2025" in cover and "15 Jan 2026" in cover
        assert "Executive summary" in summary
        assert "Compared with Forum 2025 (as of 30 Jun 2025), as reported then" in summary
        for tile in (
            "Realised investment",
            "Forecast investment",
            "Gap to the target",
            "Jobs",
            "Projects landed",
            "Active projects",
            "Visits hosted",
        ):
            assert tile in summary, tile
        assert "€240,000,000" in summary  # the exact realised amount under the tile
        assert "1,370" in summary  # jobs secured: 120 + 1,250
        for chart in (
            "Progress toward the target over time",
            "Pipeline funnel",
            "Forecast by key industry",
            "Forecast by municipality",
        ):
            assert chart in summary, chart
        # Names, not codes.
        assert "Paltamo" in summary and "Forest bioeconomy" in summary
        assert "ict_data_centres" not in summary and " 578 " not in summary
        everything = " ".join(pages)
        assert "China" in everything and "United States" in everything
        assert "1,118,300,004" in everything
    else:
        assert "Investointifoorumin raportti" in cover
        assert "1.1.2022 – 31.12.2025" in cover and "15.1.2026" in cover
        assert "Tiivistelmä" in summary
        assert "240 000 000 €" in summary
        assert "1 370" in summary
        everything = " ".join(pages)
        assert "Kiina" in everything and "1 118 300 004 €" in everything
    assert SECRET not in " ".join(pages)

    # The pages as pictures, for a person to look at.
    pdf = _artefacts(f"forum-report-{lang}", content, tmp_path)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed")
    for stale in pdf.parent.glob(f"forum-report-{lang}-*.png"):
        stale.unlink()
    command = [pdftoppm, "-png", "-r", "80", str(pdf), str(pdf.with_suffix(""))]
    subprocess.run(command, check=True)  # noqa: S603 (our own file names)
    pngs = sorted(pdf.parent.glob(f"forum-report-{lang}-*.png"))
    assert len(pngs) == len(pages) >= 3
    assert all(p.stat().st_size > 5_000 for p in pngs)


def test_the_leads_table_runs_over_pages_under_its_caption(client, factory, pipeline, known):
    """Sixty leads fill more than a page: the table starts on the page of its caption (not
    leaving the caption alone at a page's foot), breaks between rows with its header
    repeated, never inside a row (of three lines), and lists the largest
    fifty, the largest first."""
    for n in range(60):
        pipeline.lead(
            [("identified", "2024-01-01"), ("qualified", "2024-02-01")],
            code_name=f"Filler {n:02d}",
            # A long industry name wraps its row over three lines.
            industry_code="mining_chemicals",
            # Qualified weighs 25 %: each row's amount counted is €250,0NN, its own.
            capex_eur=1_000_000 + 4 * n,
            expected_decision_on=date(2025, 6, 1),
        )
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    pages = _pages(_get(client, headers, "/api/v1/reports/forum.pdf", known, "en").content)
    caption = next(i for i, page in enumerate(pages) if "the 50 largest of" in page)
    # The largest lead is the first row, on the caption's page.
    assert "Project Alpha" in pages[caption]
    assert "Filler 59" in pages[caption]
    continued = pages[caption + 1]
    assert "Filler" in continued and "Amount counted" in continued  # header again
    assert not any("Filler 00" in page for page in pages)  # below the fifty
    for page in pages[caption : caption + 2]:
        # Each row whole on one page, every cell of it (a row cut at the foot of a page
        # left its wrapped cells' text on the next).
        names = {n for n in range(60) if f"Filler {n:02d}" in page}
        whole = {
            n
            for n in names
            if f"Filler {n:02d} Weighted pipeline €250,0{n:02d} Estimated Qualified "
            "Sustainable mining and the chemical industry Not assigned" in page
        }
        assert names == whole, page


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_xlsx_summary_first_formats_frozen_headers_and_charts(
    client, factory, known: Known, db, lang
) -> None:
    _with_jobs(known, db)
    _user, headers = factory.api_user(Role.FORUM_VIEWER)
    content = _get(client, headers, "/api/v1/reports/forum.xlsx", known, lang).content
    if folder := os.environ.get("ARTIFACTS_DIR"):
        (Path(folder) / "forum-report").mkdir(parents=True, exist_ok=True)
        (Path(folder) / "forum-report" / f"forum-report-{lang}.xlsx").write_bytes(content)
    book = load_workbook(io.BytesIO(content))
    first = book.worksheets[0]
    assert first.title == ("Summary" if lang == "en" else "Yhteenveto")
    rows = {row[0].value: row for row in first.iter_rows() if row[0].value}
    realised = rows["Realised" if lang == "en" else "Toteutunut"]
    assert realised[1].value == 240_000_000
    assert realised[1].number_format == (
        '"€"#,##0;-"€"#,##0' if lang == "en" else '#,##0 "€";-#,##0 "€"'
    )
    period = rows["Target period" if lang == "en" else "Tavoitekausi"]
    assert period[1].value.date() == date(2022, 1, 1)
    assert period[1].number_format == ("d mmm yyyy" if lang == "en" else "d.m.yyyy")
    jobs = rows["Jobs secured" if lang == "en" else "Varmistuneet työpaikat"]
    assert jobs[1].value == 1_370 and jobs[1].number_format == "#,##0"
    assert first.freeze_panes == "B2"
    # Widths that fit: the longest euro amount as shown fits its column.
    assert first.column_dimensions["B"].width >= len("€1,118,300,004")
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "B2", sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value), sheet.title
    industry = book.worksheets[2]
    names = [row[0] for row in industry.iter_rows(min_row=2, values_only=True)]
    assert "ict_data_centres" not in names
    assert ("Forest bioeconomy" if lang == "en" else "Metsäbiotalous") in names
    assert industry["B2"].number_format == realised[1].number_format
    assert len(book.worksheets[1]._charts) == 1  # progress with the target line
    assert sum(len(s._charts) for s in book.worksheets) >= 6
    leads = book.worksheets[-1]
    countries = {row[-1] for row in leads.iter_rows(min_row=2, values_only=True)}
    assert ("China" if lang == "en" else "Kiina") in countries
    assert SECRET not in repr(
        [[c for c in r] for s in book.worksheets for r in s.iter_rows(values_only=True)]
    )


def test_year_over_year_uses_the_closed_snapshot_as_reported(
    client, factory, known: Known, db
) -> None:
    _with_jobs(known, db)
    _user, headers = factory.api_user(Role.COORDINATOR)
    closed = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "Forum 2025", "as_of": "2025-12-31"},
        headers=headers,
    )
    assert closed.status_code == 201, closed.text
    stored = json.loads(
        client.get(f"/api/v1/reports/snapshots/{closed.json()['id']}.json", headers=headers).content
    )
    assert stored["headline"]["realised_eur"] == 240_000_000
    assert stored["headline"]["jobs_secured"] == 1_370

    # The data changes after the forum: the comparison keeps what was reported then.
    # Recorded in the ledger as known on 10 Jan 2026, before the report's as-of date.
    known.leads["A"].capex_eur = 250_000_000
    known.leads["A"].jobs = 130
    record_amounts(db, known.leads["A"], SYSTEM_ACTOR, at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    db.commit()

    _viewer, viewer_headers = factory.api_user(Role.FORUM_VIEWER)
    pdf = _get(client, viewer_headers, "/api/v1/reports/forum.pdf", known, "en").content
    summary = _pages(pdf)[1]
    assert "Compared with Forum 2025 (as of 31 Dec 2025), as reported then" in summary
    # Realised investment: now, then (as reported), change.
    assert "Realised investment €250,000,000 €240,000,000 +€10,000,000" in summary
    assert "Jobs secured 1,380 1,370 +10" in summary

    xlsx = _get(client, viewer_headers, "/api/v1/reports/forum.xlsx", known, "fi").content
    first = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    rows = {row[0]: row[1:] for row in first.iter_rows(values_only=True) if row[0]}
    assert rows["Toteutuneet investoinnit"][:3] == (250_000_000, 240_000_000, 10_000_000)

    viewer = factory.user(Role.FORUM_VIEWER)
    factory.login(client, viewer)
    page = client.get(
        "/reports", params={"as_of": AS_OF, "target_id": str(known.target.id)}
    ).text.replace("\xa0", " ")
    assert ("Forum 2025" in page and "€240,000,000" in page) or "240 000 000 €" in page


def test_snapshots_refuse_raw_sql_changes(client, factory, known: Known, db) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    _user, headers = factory.api_user(Role.COORDINATOR)
    created = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "Forum 2025", "as_of": "2025-12-31"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    statements = [
        "UPDATE report_snapshots SET label = 'Rewritten'",
        "UPDATE report_snapshots SET pdf = xlsx",
        "DELETE FROM report_snapshots",
    ]
    if db.get_bind().dialect.name == "postgresql":
        statements.append("TRUNCATE report_snapshots CASCADE")
    for statement in statements:
        try:
            with db.begin_nested():
                db.execute(text(statement))
        except DBAPIError as refused:
            assert "immutable" in str(refused)
        else:
            raise AssertionError(f"{statement} was allowed")
    assert db.execute(text("SELECT label FROM report_snapshots")).scalars().all() == ["Forum 2025"]


def test_snapshots_refuse_raw_sql_changes_on_sqlite_too(tmp_path: Path) -> None:
    """The development database keeps snapshots as firmly (triggers of migration 0018)."""
    import uuid

    from sqlalchemy import insert, text
    from sqlalchemy.exc import DBAPIError

    from app.db.migrations import upgrade_to_head
    from app.db.models import InvestmentTarget, ReportSnapshot
    from app.db.session import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/snapshots.db")
    upgrade_to_head(engine)
    target_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            insert(InvestmentTarget.__table__).values(
                id=target_id,
                name="Kainuu",
                amount_eur=1,
                period_start=date(2022, 1, 1),
                period_end=date(2025, 12, 31),
                scope="all",
            )
        )
        conn.execute(
            insert(ReportSnapshot.__table__).values(
                id=uuid.uuid4(),
                target_id=target_id,
                label="Forum 2025",
                as_of=date(2025, 12, 31),
                figures_json=b"{}",
                figures_sha256="0" * 64,
                pdf=b"%PDF",
                pdf_sha256="0" * 64,
                xlsx=b"PK",
                xlsx_sha256="0" * 64,
            )
        )
    for statement in ("UPDATE report_snapshots SET label = 'x'", "DELETE FROM report_snapshots"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT label FROM report_snapshots")) == "Forum 2025"
    engine.dispose()
