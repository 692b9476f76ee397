"""Referral exports uploaded through the API: CSV with Finnish headings and XLSX with
English ones, a per-row report of what each row would create or link to, then an
all-or-nothing apply."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Organization, Referral
from tests.factories import Factory
from tests.referrals.conftest import Partners

CSV = (
    "Viite;Yritys;Y-tunnus;Maa;Toimiala;Hankkeen kuvaus;Investointi;Työpaikat;Aikataulu;"
    "Yhteyshenkilö;Sähköposti;Puhelin\n"
    "IIF-1;Kainuun Kaivos Oy;;FI;Sustainable mining and the chemical industry;Rikastamo;"
    "12 000 000;25;2027;Matti Meikäläinen;matti@kaivos.example;+358 40 123 4567\n"
    "IIF-2;Nordic Compute AB;;Ruotsi;ict_data_centres;Datakeskus;250000000;40;Q3 2027;;;\n"
    "IIF-3;Uusi Yhtiö Oy;;FI;;;;;;;;\n"
)


def _import(
    client: TestClient, partners: Partners, name: str, content: bytes, *, dry_run: bool
) -> dict[str, object]:
    response = client.post(
        "/api/v1/referral-imports",
        params={"dry_run": str(dry_run).lower()},
        data={"partner_id": str(partners.iif.id)},
        files={"file": (name, content)},
        headers=partners.staff,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_csv_export_is_checked_row_by_row_then_applied(
    client: TestClient, partners: Partners, db: Session, factory: Factory
) -> None:
    known = factory.organization("Nordic Compute AB", country="SE")
    open_lead = factory.lead(organization_id=known.id, industry_code="ict_data_centres")
    leads_before = db.scalar(select(func.count()).select_from(Lead))

    report = _import(client, partners, "referrals.csv", CSV.encode(), dry_run=True)
    rows = {r["row"]: r for r in report["rows"]}  # type: ignore[attr-defined]
    assert report["rows_valid"] == 3 and report["rows_invalid"] == 0
    assert {(w["field"], w["code"]) for w in rows[3]["warnings"]} == {
        ("company", "organization_linked_by_name"),
        ("industry", "lead_linked"),
    }
    assert rows[2]["warnings"] == [] and rows[4]["warnings"] == []
    assert db.scalar(select(func.count()).select_from(Lead)) == leads_before

    applied = _import(client, partners, "referrals.csv", CSV.encode(), dry_run=False)
    assert applied["applied"] is True
    # Two new leads; the Swedish company's referral joined its open lead.
    assert db.scalar(select(func.count()).select_from(Lead)) == leads_before + 2
    linked = db.scalar(select(Referral.lead_id).where(Referral.referral_id == "IIF-2"))
    assert linked == open_lead.id
    mining = db.scalar(
        select(Lead)
        .join(Referral, Referral.lead_id == Lead.id)
        .where(Referral.referral_id == "IIF-1")
    )
    assert mining is not None
    assert (mining.source, mining.capex_eur, mining.jobs) == ("invest_in_finland", 12_000_000, 25)

    # The same export again: every row is a repeat, nothing new.
    again = _import(client, partners, "referrals.csv", CSV.encode(), dry_run=True)
    codes = {w["code"] for r in again["rows"] for w in r["warnings"]}  # type: ignore[attr-defined]
    assert codes == {"referral_repeated"}


def test_an_xlsx_export_with_errors_imports_nothing(
    client: TestClient, partners: Partners, db: Session
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Referral ID", "Company", "Country", "Industry", "CAPEX", "Jobs"])
    sheet.append(["IIF-10", "Arctic Batteries GmbH", "Germany", "Metal and machinery", 9e7, 30])
    sheet.append(["IIF-11", "", "Atlantis", "alchemy", "lots", 5])
    sheet.append(["IIF-10", "Arctic Batteries GmbH", "DE", None, None, None])
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    orgs_before = db.scalar(select(func.count()).select_from(Organization))

    report = _import(client, partners, "referrals.xlsx", content, dry_run=True)
    rows = {r["row"]: r for r in report["rows"]}  # type: ignore[attr-defined]
    assert rows[2]["ok"] is True
    assert {(e["field"], e["code"]) for e in rows[3]["errors"]} == {
        ("company", "required"),
        ("country", "unknown"),
        ("industry", "unknown"),
        ("capex_eur", "not_a_number"),
    }
    assert {(e["field"], e["code"]) for e in rows[4]["errors"]} == {
        ("referral_id", "duplicate_in_file")
    }

    refused = client.post(
        "/api/v1/referral-imports",
        params={"dry_run": "false"},
        data={"partner_id": str(partners.iif.id)},
        files={"file": ("referrals.xlsx", content)},
        headers=partners.staff,
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"rows.3.country", "rows.4.referral_id"} <= fields
    assert db.scalar(select(func.count()).select_from(Organization)) == orgs_before
    assert db.scalar(select(func.count()).select_from(Referral)) == 0


def test_an_export_with_unknown_headings_is_refused_by_column(
    client: TestClient, partners: Partners
) -> None:
    report = _import(
        client, partners, "x.csv", b"referral id,company,shoe size\nA,B Oy,42\n", dry_run=True
    )
    assert {(e["field"], e["code"]) for e in report["file_errors"]} == {  # type: ignore[attr-defined]
        ("columns.shoe size", "unknown_column"),
        ("columns.country", "missing_column"),
    }
