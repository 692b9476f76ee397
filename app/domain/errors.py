"""Errors raised by the business rules and use cases.

They carry no HTTP knowledge; `app/api/errors.py` turns them into RFC 9457 problem
details and the staff UI turns them into form messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One reason one input field was refused. `field` is a dotted path ("capex_eur",
    "rows.3.latitude"); `code` is stable for machines, `reason` is for people (English).
    `params` are the values a translated message for the code fills in (e.g. a limit)."""

    field: str
    reason: str
    code: str = "invalid"
    params: Mapping[str, str | int] = dataclasses.field(
        default_factory=dict, compare=False, hash=False
    )


class DomainError(Exception):
    """Base of every expected, user-caused failure."""

    title = "Request could not be completed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class ValidationFailed(DomainError):
    errors: list[FieldError] = field(default_factory=list)
    detail: str = "The input is not valid."
    title = "Invalid input"

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @classmethod
    def single(
        cls,
        field_name: str,
        reason: str,
        code: str = "invalid",
        params: Mapping[str, str | int] | None = None,
    ) -> ValidationFailed:
        return cls(errors=[FieldError(field_name, reason, code, params or {})], detail=reason)


class NotFound(DomainError):
    title = "Not found"


class PermissionDenied(DomainError):
    title = "Forbidden"


class Conflict(DomainError):
    title = "Conflict"
