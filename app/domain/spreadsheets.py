"""Cells for the spreadsheets and CSV files the service writes.

Every CSV and XLSX the service produces (lead exports, the forum report and its
snapshots, the site-package template, import templates) passes each cell through
`spreadsheet_cell`, so a value typed by anyone — a code name, a title, an organisation
name — is shown as text and never runs as a formula (OWASP "CSV injection"), and a
character no spreadsheet can hold never breaks the download.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

# A spreadsheet program runs a text cell that starts with one of these as a formula
# (or as DDE): the OWASP list, plus the full-width forms some locales accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters XML 1.0 (and so XLSX) cannot hold — openpyxl refuses them with
# IllegalCharacterError — and that no CSV reader expects: C0 controls other than tab,
# newline and carriage return, and the non-characters U+FFFE and U+FFFF. Lone
# surrogates cannot be encoded as UTF-8 at all.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The mark that makes a spreadsheet show the rest of the cell as text.
TEXT_MARK = "'"

Cell = str | int | float | Decimal | bool | date | datetime | time | None


def spreadsheet_cell(value: object) -> Cell:
    """The value as a spreadsheet cell that can only ever be shown, never run.

    Text loses the characters a spreadsheet cannot hold and, when it then starts like
    a formula, gets a leading apostrophe. Real numbers, booleans, dates and empty cells
    stay what they are (-5 is a number, not a formula); a timezone-aware moment becomes
    UTC without a zone, which XLSX cannot store. Anything else is written as its text.
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date | time):
        return value
    text = _ILLEGAL.sub("", value if isinstance(value, str) else str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return TEXT_MARK + text
    return text


def typed_text(value: str) -> str:
    """What a person meant by a text cell read back from a file the service wrote (or
    they typed the same way): the text mark in front of a formula-like start goes.
    Readers of uploaded spreadsheets use it, so a downloaded template or export can be
    filled in and uploaded again."""
    if value.startswith(TEXT_MARK) and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def spreadsheet_row(values: Iterable[object]) -> list[Cell]:
    return [spreadsheet_cell(v) for v in values]


def csv_text(header: Sequence[object], rows: Iterable[Iterable[object]]) -> str:
    """A CSV document (with a header row, CRLF line ends) of safe cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(spreadsheet_row(header))
    for row in rows:
        writer.writerow(spreadsheet_row(row))
    return out.getvalue()


class _Sheet(Protocol):
    def append(self, iterable: Any) -> None: ...


def append_row(sheet: _Sheet, values: Iterable[object]) -> None:
    """Append safe cells to an openpyxl worksheet (normal or write-only)."""
    sheet.append(spreadsheet_row(values))
