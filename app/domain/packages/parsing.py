"""Reading a whole package: the format decided by content, then its sites one at a
time (`PackageStream`) or all at once into a report (`parse_package`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from typing import NotRequired, TypedDict, Unpack

from app.domain.errors import FieldError
from app.domain.packages.archive import ZIP_MAGIC, Archive, describe_content
from app.domain.packages.columns import normalise_key
from app.domain.packages.context import Context, Refused, refuse
from app.domain.packages.manifest import manifest_package
from app.domain.packages.messages import format_size
from app.domain.packages.report import (
    PackageFormat,
    PackageIssue,
    PackageLimits,
    PackageReport,
    RowResult,
)
from app.domain.packages.tables import csv_rows, table_sites, xlsx_rows
from app.domain.sites import SiteRegion, shown


class ReadOptions(TypedDict):
    """How a package is read.

    Pass the uploader's own municipality as `valid_municipality_codes` to keep a
    municipal contact within their municipality. `today` is for the "not in the
    future" checks and defaults to the current date in Finland. `describe_site_error`
    gives the reason of a site rule's error in the uploader's language (`lang`).
    """

    lang: str
    describe_site_error: Callable[[FieldError], str]
    valid_municipality_codes: Collection[str]
    valid_industry_codes: Collection[str]
    # Where the sites must lie (the region's area and name).
    region: SiteRegion
    # Every name a municipality (slug, Finnish, Swedish, English) or key industry
    # (Finnish, Swedish, English) goes by, to its code.
    municipality_aliases: NotRequired[Mapping[str, str] | None]
    industry_aliases: NotRequired[Mapping[str, str] | None]
    limits: NotRequired[PackageLimits | None]
    today: NotRequired[date | None]


def _keyed(aliases: Mapping[str, str] | None) -> dict[str, str]:
    return {normalise_key(name): code for name, code in (aliases or {}).items()}


def parse_package(filename: str, data: bytes, **options: Unpack[ReadOptions]) -> PackageReport:
    """Read and validate a site package; never raises for anything in `data`."""
    stream = PackageStream.open(filename, **options)
    report = PackageReport(filename=filename)
    try:
        rows = list(stream.read(data))
        report.format, report.rows = stream.format, rows
    except PackageRefused as refused:
        report.fatal.append(refused.issue)
    report.warnings = stream.warnings
    report.encoding = stream.encoding
    flag_duplicate_refs(stream, report.rows)
    return report


class PackageRefused(Exception):
    """The whole package is refused: `issue` says where and why."""

    def __init__(self, issue: PackageIssue) -> None:
        super().__init__(issue.code)
        self.issue = issue


class PackageStream:
    """A package read one site at a time, for callers that must not hold every row.

    `read` gives the rows in order; it raises `PackageRefused` as soon as the package
    is refused, which may be after some rows (a table with too many rows). Package
    warnings and the CSV encoding are complete once the rows are exhausted. Rows are
    checked one by one: a reference used by two rows is the caller's to find, with
    `duplicate_ref_issue` (`parse_package` does it for a whole package).
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.format: PackageFormat | None = None

    @classmethod
    def open(cls, filename: str, **options: Unpack[ReadOptions]) -> PackageStream:
        """A reader with the arguments of `parse_package`."""
        return cls(
            Context(
                filename=filename,
                lang=options["lang"],
                describe_site_error=options["describe_site_error"],
                limits=options.get("limits") or PackageLimits(),
                municipalities=options["valid_municipality_codes"],
                municipality_aliases=_keyed(options.get("municipality_aliases")),
                industry_aliases=_keyed(options.get("industry_aliases")),
                industries=options["valid_industry_codes"],
                region=options["region"],
                today=options.get("today"),
            )
        )

    @property
    def warnings(self) -> list[PackageIssue]:
        return self._ctx.warnings

    @property
    def encoding(self) -> str | None:
        return self._ctx.encoding

    def read(self, data: bytes) -> Iterator[RowResult]:
        ctx = self._ctx
        try:
            # The format is known before the first row; a refusal while reading rows
            # leaves it unset, as for a package refused before any.
            package_format, rows = _parse(ctx, data)
            count = 0
            for row in rows:
                self.format = package_format
                count += 1
                yield row
            if not count:
                refuse("no_rows")
        except Refused as refused:
            self.format = None
            issue = ctx.issue(refused.code, file=refused.file, **refused.params)
            raise PackageRefused(issue) from None

    def duplicate_ref_issue(
        self, ref: str, rows: str, *, file: str | None, index: int, sheet_row: int | None
    ) -> PackageIssue:
        """The error of a row whose reference `ref` other rows (`rows`, their numbers)
        use too."""
        return self._ctx.issue(
            "duplicate_external_ref",
            file=file,
            row=index,
            sheet_row=sheet_row,
            field_name="external_ref",
            value=shown(ref),
            rows=rows,
        )


def _parse(ctx: Context, data: bytes) -> tuple[PackageFormat, Iterator[RowResult]]:
    limits = ctx.limits
    if len(data) > limits.max_upload_bytes:
        refuse(
            "file_too_large",
            size=format_size(len(data), ctx.lang),
            max=format_size(limits.max_upload_bytes, ctx.lang),
        )
    if not data:
        refuse("empty_file")
    if data.startswith(ZIP_MAGIC):
        archive = Archive(ctx, data)
        if archive.kind == "xlsx":
            return PackageFormat.XLSX, table_sites(ctx, ctx.filename, xlsx_rows(ctx, data), None)
        if archive.kind != "package":
            refuse("unsupported_type", detected=archive.kind)
        return manifest_package(ctx, archive)
    detected = describe_content(data)
    if detected not in ("text", "text (not UTF-8)"):
        refuse("unsupported_type", detected=detected)
    text = ctx.decode(ctx.filename, data)
    return PackageFormat.CSV, table_sites(ctx, ctx.filename, csv_rows(ctx.filename, text), None)


def flag_duplicate_refs(stream: PackageStream, rows: Sequence[RowResult]) -> None:
    by_ref: dict[str, list[RowResult]] = {}
    for row in rows:
        if row.external_ref is not None:
            by_ref.setdefault(row.external_ref, []).append(row)
    for ref, same in by_ref.items():
        if len(same) < 2:
            continue
        numbers = ", ".join(str(r.sheet_row or r.index) for r in same)
        for row in same:
            issue = stream.duplicate_ref_issue(
                ref, numbers, file=row.file, index=row.index, sheet_row=row.sheet_row
            )
            row.errors.append(issue)
            row.draft = None
