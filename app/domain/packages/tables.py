"""Tables of sites, one per row: an XLSX sheet or a CSV file (also a datapackage's
resource). The header row names the columns by their names or aliases."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Final

import openpyxl
from defusedxml import DefusedXmlException

from app.domain.geo import Crs
from app.domain.packages.archive import Archive
from app.domain.packages.columns import COLUMN_BY_KEY, REQUIRED_COLUMNS, normalise_key
from app.domain.packages.context import Context, Refused, refuse
from app.domain.packages.report import RowResult
from app.domain.packages.site_reader import SiteReader
from app.domain.sites import shown
from app.domain.spreadsheets import typed_text
from app.domain.textfiles import extra_cells

_MAX_COLUMNS: Final = 128
_MAX_BLANK_ROWS: Final = 1000  # a run this long ends the table (formatted, empty rows)


def xlsx_rows(ctx: Context, data: bytes) -> Iterator[tuple[int, Sequence[object]]]:
    # openpyxl parses through defusedxml when it is installed (entities raise); refuse
    # rather than parse with the plain expat parser if that was switched off.
    if not openpyxl.DEFUSEDXML:
        refuse("xml_parser_unsafe")
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as exc:
        refuse("xml_entities" if _from_defusedxml(exc) else "xlsx_invalid")
    try:
        sheets = [
            sheet
            for sheet in workbook.worksheets
            if not normalise_key(sheet.title).startswith(("ohje", "guide"))
        ]
        if not sheets:
            refuse("no_header")
        # values_only with data_only=False: a formula cell yields its formula text.
        rows = sheets[0].iter_rows(values_only=True, max_col=_MAX_COLUMNS)
        for number, cells in enumerate(rows, start=1):
            yield number, [_cell_value(cell) for cell in cells]
    except Refused:
        raise
    except Exception as exc:
        refuse("xml_entities" if _from_defusedxml(exc) else "xlsx_invalid")
    finally:
        workbook.close()


def _from_defusedxml(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML; openpyxl re-raises it wrapped in ValueError."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return typed_text(value)
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    # Array and data-table formulas arrive as objects carrying the formula text.
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def csv_rows(
    file: str, text: str, delimiter: str | None = None
) -> Iterator[tuple[int, Sequence[object]]]:
    first_line = text.split("\n", 1)[0]
    # Finnish Excel writes ";" (the comma is the decimal separator).
    chosen = delimiter or max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [typed_text(cell) for cell in cells]
    except csv.Error:
        refuse("csv_malformed", file=file, line=reader.line_num)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def table_sites(
    ctx: Context,
    file: str,
    rows: Iterator[tuple[int, Sequence[object]]],
    archive: Archive | None,
    *,
    base: str = "",
    default_crs: Crs | None = None,
) -> Iterator[RowResult]:
    leading = itertools.islice(rows, _MAX_BLANK_ROWS)
    header = next(((n, cells) for n, cells in leading if not all(map(is_blank, cells))), None)
    if header is None:
        refuse("no_header", file=file)
    positions = _header_positions(ctx, file, header[1])
    # The header's width: up to its last named column.
    width = max(i for i, cell in enumerate(header[1]) if not is_blank(cell)) + 1
    reader = SiteReader(ctx, file, archive, base, default_crs, from_table=True)
    count = 0
    blank_run = 0
    for number, cells in rows:
        values = {
            name: cells[i] for i, name in positions if i < len(cells) and not is_blank(cells[i])
        }
        beyond = extra_cells(tuple(cells), width)
        if not values and not beyond:
            blank_run += 1
            if blank_run >= _MAX_BLANK_ROWS:
                break
            continue
        blank_run = 0
        if count >= ctx.limits.max_rows:
            refuse("too_many_rows", file=file, max=ctx.limits.max_rows)
        if beyond:
            # Never cut silently: the row is refused as a whole and says why (its values
            # are not where their columns say, so nothing else of it is checked).
            last = max(i for i, cell in enumerate(cells) if not is_blank(cell)) + 1
            row = RowResult(
                index=count + 1, external_ref=None, draft=None, file=file, sheet_row=number
            )
            row.errors.append(
                ctx.issue(
                    "too_many_cells",
                    file=file,
                    row=row.index,
                    sheet_row=number,
                    count=last,
                    headers=width,
                ),
            )
        else:
            row = reader.read(count + 1, values, sheet_row=number)
        count += 1
        yield row


def _header_positions(ctx: Context, file: str, cells: Sequence[object]) -> list[tuple[int, str]]:
    positions: list[tuple[int, str]] = []
    headers: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        column = COLUMN_BY_KEY.get(normalise_key(text))
        if column is None:
            ctx.warn_once("unknown_column", text, file=file, column=shown(text))
            continue
        if column.name in headers:
            refuse(
                "duplicate_column",
                file=file,
                column=column.name,
                headers=f"{shown(headers[column.name])}, {shown(text)}",
            )
        headers[column.name] = text
        positions.append((i, column.name))
    if not positions:
        refuse("no_known_columns", file=file)
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        refuse("missing_columns", file=file, columns=", ".join(missing))
    return positions
