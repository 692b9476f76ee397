"""What any input may be, whichever door it comes through (JSON API, staff form, portal):
the calendar range the service computes in, and the characters no text may hold.

PostgreSQL takes neither NUL in text nor integers past its column types, and Python's
dates end at year 1 and 9999, so a report window or a time-zone shift near either end
crashes. The JSON API applies these rules through app/api/types.py, the staff forms
through `parse_date` and `parse_datetime`, and app/edge.py to every path and query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

MIN_DATE: Final = date(1900, 1, 1)
MAX_DATE: Final = date(2999, 12, 31)
INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

_MULTILINE_ALLOWED: Final = frozenset("\t\n\r")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character a text may not hold, or None: C0 and C1 controls (NUL among
    them; multi-line text may hold tab, line feed and carriage return) and lone
    surrogates, which JSON's \\ud800 escapes can produce but UTF-8 cannot store."""
    for char in value:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            if multiline and char in _MULTILINE_ALLOWED:
                continue
            return char
        if 0xD800 <= code <= 0xDFFF:
            return char
    return None


def date_in_range(value: date) -> bool:
    return MIN_DATE <= value <= MAX_DATE


def datetime_in_range(value: datetime) -> bool:
    day = value.astimezone(UTC).date() if value.tzinfo is not None else value.date()
    return MIN_DATE <= day <= MAX_DATE


def parse_date(raw: str) -> date:
    """An ISO date within the service's calendar; ValueError otherwise."""
    value = date.fromisoformat(raw)
    if not date_in_range(value):
        raise ValueError(f"{raw} is outside {MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}")
    return value


def parse_datetime(raw: str) -> datetime:
    """An ISO date and time within the service's calendar; ValueError otherwise."""
    value = datetime.fromisoformat(raw)
    if not datetime_in_range(value):
        raise ValueError(f"{raw} is outside {MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}")
    return value
