"""The errors that stop a package or a value, and the state one reading carries."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn

from app.domain.errors import FieldError
from app.domain.packages.messages import MESSAGES, issue_location, message
from app.domain.packages.report import PackageIssue, PackageLimits, Severity
from app.domain.sites import SiteRegion, site_error
from app.domain.textfiles import UnknownEncoding, decode_text


class Refused(Exception):
    """The whole package is refused."""

    def __init__(self, code: str, file: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code, self.file = code, file
        self.params: dict[str, Any] = params


class Invalid(Exception):
    """One value is refused."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = params


def refuse(code: str, file: str | None = None, **params: object) -> NoReturn:
    raise Refused(code, file, **params)


@dataclass
class Context:
    """One reading of a package: its arguments, and the package warnings so far."""

    filename: str
    lang: str  # the uploader's language, of the messages
    describe_site_error: Callable[[FieldError], str]
    limits: PackageLimits
    municipalities: Collection[str]
    industries: Collection[str]
    region: SiteRegion
    today: date | None
    # Normalised names (slug, fi, sv, en) of every stored municipality to its code.
    municipality_aliases: Mapping[str, str] = field(default_factory=dict)
    # Normalised names (fi, sv, en) of every industry to its code.
    industry_aliases: Mapping[str, str] = field(default_factory=dict)
    warnings: list[PackageIssue] = field(default_factory=list)
    warned: set[tuple[str, str]] = field(default_factory=set)
    encoding: str | None = None

    def decode(self, file: str, data: bytes) -> str:
        """A CSV table's text, in whichever accepted encoding it was saved."""
        try:
            decoded = decode_text(data)
        except UnknownEncoding:
            refuse("not_utf8", file=file)
        self.encoding = self.encoding or decoded.encoding
        return decoded.text

    def issue(
        self,
        code: str,
        *,
        severity: Severity = Severity.ERROR,
        file: str | None = None,
        row: int | None = None,
        sheet_row: int | None = None,
        field_name: str | None = None,
        reason: str | None = None,
        **params: object,
    ) -> PackageIssue:
        file = file or self.filename
        if reason is None and code not in MESSAGES:
            # A site rule's code ("required", "unknown_municipality", …); its params are texts.
            texts = {name: str(value) for name, value in params.items()}
            reason = self.describe_site_error(site_error(field_name or "", code, **texts))
        return PackageIssue(
            code=code,
            reason=reason or message(code, self.lang, file=file, **params),
            location=issue_location(
                self.lang, file, row=row, sheet_row=sheet_row, field=field_name
            ),
            severity=severity,
            file=file,
            row=row,
            sheet_row=sheet_row,
            field=field_name,
        )

    def warn_once(self, code: str, key: str, file: str | None = None, **params: Any) -> None:
        if (code, key) not in self.warned:
            self.warned.add((code, key))
            self.warnings.append(self.issue(code, severity=Severity.WARNING, file=file, **params))
