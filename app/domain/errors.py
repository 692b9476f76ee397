"""Errors raised by the business rules and use cases.

They carry no HTTP knowledge; `app/api/errors.py` turns them into RFC 9457 problem
details and the staff UI turns them into form messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One reason one input field was refused. `field` is a dotted path ("capex_eur",
    "rows.3.latitude"); `code` is stable for machines, `reason` is for people."""

    field: str
    reason: str
    code: str = "invalid"


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
    def single(cls, field_name: str, reason: str, code: str = "invalid") -> ValidationFailed:
        return cls(errors=[FieldError(field_name, reason, code)], detail=reason)


class NotFound(DomainError):
    title = "Not found"


class PermissionDenied(DomainError):
    title = "Forbidden"


class Conflict(DomainError):
    title = "Conflict"
