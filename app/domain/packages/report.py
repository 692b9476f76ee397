"""What reading a package produces: its limits, the report, its rows and issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from app.domain.sites import SiteDraft

MB: Final = 1024 * 1024


@dataclass(frozen=True)
class PackageLimits:
    max_upload_bytes: int = 50 * MB
    max_entries: int = 500
    max_unpacked_bytes: int = 200 * MB
    max_compression_ratio: int = 100
    max_rows: int = 5000
    max_image_pixels: int = 40_000_000
    max_file_bytes: int = 20 * MB


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class PackageFormat(StrEnum):
    ZIP_JSON = "zip_json"
    ZIP_YAML = "zip_yaml"
    ZIP_DATAPACKAGE = "zip_datapackage"
    XLSX = "xlsx"
    CSV = "csv"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    MAP = "map"


@dataclass(frozen=True, slots=True)
class PackageIssue:
    """One problem of a package. `row` is the 1-based site number, `sheet_row` the
    row number a spreadsheet program shows (header = 1) when the source is a table;
    `location` is the same place in words, in the uploader's language."""

    code: str
    reason: str
    location: str
    severity: Severity = Severity.ERROR
    file: str | None = None
    row: int | None = None
    sheet_row: int | None = None
    field: str | None = None

    @property
    def path(self) -> str:
        """Dotted path for `FieldError`: "package", "rows.3" or "rows.3.area_ha"."""
        if self.row is None:
            return "package"
        return f"rows.{self.row}" + (f".{self.field}" if self.field else "")


@dataclass(frozen=True, slots=True)
class PackageAttachment:
    name: str  # path inside the package, relative to the manifest
    content_type: str  # sniffed from the content, never taken from the name
    data: bytes = field(repr=False)
    kind: AttachmentKind
    sha256: str
    title: str | None = None


@dataclass(slots=True)
class RowResult:
    """One site of the package. `draft` is set exactly when `errors` is empty."""

    index: int
    external_ref: str | None
    draft: SiteDraft | None
    file: str | None = None  # the table or manifest the site came from
    sheet_row: int | None = None
    errors: list[PackageIssue] = field(default_factory=list)
    warnings: list[PackageIssue] = field(default_factory=list)
    attachments: list[PackageAttachment] = field(default_factory=list)


@dataclass
class PackageReport:
    filename: str
    format: PackageFormat | None = None
    # The character encoding a CSV table was read in ("UTF-8", "Windows-1252", …).
    encoding: str | None = None
    fatal: list[PackageIssue] = field(default_factory=list)
    warnings: list[PackageIssue] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing refused: the package may be applied (warnings do not block)."""
        return not self.fatal and all(not row.errors for row in self.rows)

    def issues(self) -> list[PackageIssue]:
        """Every issue, package-level first, in row order."""
        collected = [*self.fatal, *self.warnings]
        for row in self.rows:
            collected.extend(row.errors)
            collected.extend(row.warnings)
        return collected
