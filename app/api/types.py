"""The shared input types of the JSON API: what a text, a number or a date may be before any
route or service sees it.

Each type refuses what the database or Python's date arithmetic cannot take, with a 422
problem that names the field, instead of letting it reach PostgreSQL and fail there:
- text: no control characters (NUL included) and no lone surrogates; multi-line text may
  hold tab, line feed and carriage return;
- integers: within the column (INTEGER: 32-bit; BIGINT money and offsets: 64-bit);
- floats: finite;
- dates and times: between 1900-01-01 and 2999-12-31, so a report window, a due-date
  offset or a time-zone shift never leaves Python's calendar (year 1 to 9999).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from app.domain.inputs import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    MAX_DATE,
    MIN_DATE,
    control_character,
    date_in_range,
    datetime_in_range,
)

# JSON Schema patterns for the OpenAPI document; the validators below say the same in words.
SINGLE_LINE_PATTERN: Final = r"^[^\u0000-\u001f\u007f-\u009f]*$"
MULTILINE_PATTERN: Final = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def _single_line(value: str) -> str:
    if (char := control_character(value)) is not None:
        raise ValueError(
            f"Control characters are not allowed here (found {_describe(char)}); "
            "the text must be a single line of printable characters."
        )
    return value


def _multiline(value: str) -> str:
    if (char := control_character(value, multiline=True)) is not None:
        raise ValueError(
            f"Control characters are not allowed (found {_describe(char)}); "
            "only tab and line breaks may appear in this text."
        )
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("The number must be finite.")
    return value


def _date_in_range(value: date) -> date:
    if not date_in_range(value):
        raise ValueError(
            f"The date must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
        )
    return value


def _datetime_in_range(value: datetime) -> datetime:
    if not datetime_in_range(value):
        raise ValueError(
            f"The time must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
        )
    return value


_RANGE_NOTE: dict[str, Any] = {
    "description": f"Between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.",
}

Text = Annotated[
    str,
    AfterValidator(_single_line),
    Field(json_schema_extra={"pattern": SINGLE_LINE_PATTERN}),
]
"""One line of text: no control characters, no lone surrogates."""

MultilineText = Annotated[
    str,
    AfterValidator(_multiline),
    Field(json_schema_extra={"pattern": MULTILINE_PATTERN}),
]
"""Text that may span lines: tab, line feed and carriage return are its only controls."""

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""An integer stored in an INTEGER column."""

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""An integer stored in a BIGINT column (money in whole euros, sizes)."""

FiniteFloat = Annotated[float, AfterValidator(_finite), Field(allow_inf_nan=False)]
"""A float that is a number: no NaN, no infinities."""

SafeDate = Annotated[date, AfterValidator(_date_in_range), Field(json_schema_extra=_RANGE_NOTE)]
"""A calendar date between 1900-01-01 and 2999-12-31."""

SafeDateTime = Annotated[
    datetime, AfterValidator(_datetime_in_range), Field(json_schema_extra=_RANGE_NOTE)
]
"""A point in time between 1900-01-01 and 2999-12-31."""

# Query and path parameters: the same rules, declared where FastAPI reads them.
TextQuery = Annotated[Text, Query(max_length=200)]
"""A search text in the query string."""

TextPath = Annotated[Text, Path(max_length=200)]
"""A code, slug or name in the path."""

Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Items to skip")]
"""How many items a list skips; PostgreSQL's OFFSET is a BIGINT."""


def omittable(**constraints: Any) -> Any:
    """A field of a PATCH body that may be left out but never set to null, for a value the
    record cannot be without: declared with its plain type (`name: Text = omittable()`),
    so the OpenAPI document says "not nullable" and an explicit null is a 422 naming the
    field. Left out, it stays None, which `model_dump(exclude_unset=True)` drops."""
    return Field(default=None, **constraints)


PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page, from 1")]
"""A page of a staff list; its offset stays far inside BIGINT."""
