"""CSV import: dry-run report per row and field, all-or-nothing apply."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Organization
from tests.leads.conftest import Pipeline, problem_fields

ORGS = (
    "name;type;country;business_id\n"
    "Kainuu Steel Oy;company;FI;0116297-6\n"
    "Bad Id Oy;company;FI;0116297-5\n"
    "Kainuu Steel Oy;company;FI;0116297-6\n"
)


def _upload(pipeline: Pipeline, kind: str, text: str, dry_run: bool):
    return pipeline.client.post(
        f"/api/v1/imports/{kind}",
        params={"dry_run": dry_run},
        files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
        headers=pipeline.headers,
    )


def test_dry_run_reports_each_row_and_field(pipeline: Pipeline, db: Session) -> None:
    before = db.scalar(select(func.count()).select_from(Organization))
    report = _upload(pipeline, "organizations", ORGS, dry_run=True).json()
    assert (report["rows_total"], report["rows_valid"], report["rows_invalid"]) == (3, 1, 2)
    assert [(r["row"], [(e["field"], e["code"]) for e in r["errors"]]) for r in report["rows"]] == [
        (2, []),
        (3, [("business_id", "invalid_checksum")]),
        (4, [("row", "duplicate_in_file")]),
    ]
    assert db.scalar(select(func.count()).select_from(Organization)) == before


def test_apply_is_all_or_nothing(pipeline: Pipeline, db: Session) -> None:
    before = db.scalar(select(func.count()).select_from(Organization))
    refused = _upload(pipeline, "organizations", ORGS, dry_run=False)
    assert refused.status_code == 422
    assert problem_fields(refused) == {
        ("rows.3.business_id", "invalid_checksum"),
        ("rows.4.row", "duplicate_in_file"),
    }
    assert db.scalar(select(func.count()).select_from(Organization)) == before
    good = (
        "name,type,country,business_id\n"
        "Kainuu Steel Oy,company,FI,0116297-6\n"
        "Arctic Games,company,FI,\n"
    )
    applied = _upload(pipeline, "organizations", good, dry_run=False).json()
    assert (applied["applied"], applied["rows_valid"]) == (True, 2)
    assert db.scalar(select(func.count()).select_from(Organization)) == before + 2


def test_lead_import_links_organisations_and_warns_on_unknown_columns(
    pipeline: Pipeline, db: Session
) -> None:
    pipeline.org(name="Kainuu Steel Oy", business_id="0116297-6")
    text = (
        "title,investment_type,source,organization_business_id,capex_eur,municipality_codes,stage_code\n"
        "Rolling mill,expansion,own_prospecting,0116297-6,12000000,205;765,contacted\n"
        "Bad,nonsense,own_prospecting,,-5,999,lost\n"
    )
    report = _upload(pipeline, "leads", text, dry_run=True).json()
    assert {(e["field"], e["code"]) for e in report["rows"][1]["errors"]} == {
        ("investment_type", "invalid_choice"),
        ("capex_eur", "must_not_be_negative"),
        ("municipality_codes", "unknown"),
        ("stage_code", "invalid_choice"),
    }
    applied = _upload(pipeline, "leads", text.rsplit("Bad", 1)[0], dry_run=False).json()
    assert applied["applied"] is True
    lead = db.scalars(select(Lead).where(Lead.title == "Rolling mill")).one()
    assert (lead.stage_code, lead.capex_eur, lead.owner_id) == (
        "contacted",
        12_000_000,
        pipeline.coordinator.id,
    )
    unknown = _upload(pipeline, "contacts", "full_name,shoe_size\nA,42\n", dry_run=True).json()
    assert {(e["field"], e["code"]) for e in unknown["file_errors"]} == {
        ("columns.shoe_size", "unknown_column"),
        ("columns.lawful_basis", "missing_column"),
        ("columns.source", "missing_column"),
    }


def _upload_bytes(pipeline: Pipeline, kind: str, data: bytes, dry_run: bool):
    return pipeline.client.post(
        f"/api/v1/imports/{kind}",
        params={"dry_run": dry_run},
        files={"file": (f"{kind}.csv", data, "text/csv")},
        headers=pipeline.headers,
    )


FINNISH_EXCEL = "name;type;country\nPäätalo Öljy Oy;company;FI\nÄmmän Sähkö €;company;FI\n"


def test_csv_saved_by_finnish_excel_in_windows_1252_is_imported(
    pipeline: Pipeline, db: Session
) -> None:
    checked = _upload_bytes(pipeline, "organizations", FINNISH_EXCEL.encode("cp1252"), True)
    assert checked.json()["encoding"] == "Windows-1252"
    assert checked.json()["rows_valid"] == 2
    applied = _upload_bytes(pipeline, "organizations", FINNISH_EXCEL.encode("cp1252"), False)
    assert applied.json()["applied"] is True
    names = set(db.scalars(select(Organization.name)))
    assert {"Päätalo Öljy Oy", "Ämmän Sähkö €"} <= names


def test_utf8_with_and_without_bom_is_reported_as_such(pipeline: Pipeline) -> None:
    plain = _upload_bytes(pipeline, "organizations", FINNISH_EXCEL.encode(), True).json()
    bom = _upload_bytes(pipeline, "organizations", FINNISH_EXCEL.encode("utf-8-sig"), True).json()
    assert (plain["encoding"], bom["encoding"]) == ("UTF-8", "UTF-8 (BOM)")
    assert bom["rows_valid"] == 2  # the BOM is not part of the first column's name


def test_unreadable_bytes_are_a_file_error(pipeline: Pipeline) -> None:
    noise = b"name;type\n" + bytes(range(0x80, 0x100)) * 20
    report = _upload_bytes(pipeline, "organizations", noise, True).json()
    assert [(e["field"], e["code"]) for e in report["file_errors"]] == [("file", "not_utf8")]


def test_a_row_with_more_cells_than_headers_is_an_error_on_that_row(
    pipeline: Pipeline, db: Session
) -> None:
    text = (
        "name,type,country\n"
        "Kainuu Steel Oy,company,FI\n"
        "Kajaani Data, Ltd,company,FI\n"  # an unquoted comma: four cells
        "Arctic Games,company,FI,,\n"  # empty trailing cells are harmless
    )
    report = _upload(pipeline, "organizations", text, dry_run=True).json()
    assert [(r["row"], [e["code"] for e in r["errors"]]) for r in report["rows"]][1] == (
        3,
        ["too_many_cells"],
    )
    assert report["rows"][1]["errors"][0]["reason"].startswith(
        "The row has 4 cells but the header only 3 columns"
    )
    assert [r["ok"] for r in report["rows"]] == [True, False, True]
    before = db.scalar(select(func.count()).select_from(Organization))
    refused = _upload(pipeline, "organizations", text, dry_run=False)
    assert ("rows.3.row", "too_many_cells") in problem_fields(refused)
    assert db.scalar(select(func.count()).select_from(Organization)) == before
