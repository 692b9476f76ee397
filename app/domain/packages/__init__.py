"""Site packages: how municipalities deliver many sites at once.

A package is either a ZIP with a manifest (`sites.json`, `sites.yaml` or a Frictionless
`datapackage.json`) plus the photos and PDFs it names, or one XLSX or CSV table with a
row per site. `parse_package` turns the bytes into a `PackageReport`: the drafts to
apply and every problem with its location (file, row or site, field) and a reason in
the uploader's language. Nothing here stores anything; a report with `fatal` issues
must not be applied at all.

Uploads are untrusted: the type is decided by content, archives are checked against
size, entry-count, unpacked-size and compression-ratio limits before anything is
unpacked, paths may not escape the package, archives may not nest, XLSX is parsed by
openpyxl through defusedxml (no XML entities), formulas are never evaluated, images
are checked by Pillow against a pixel limit before they are decoded.

One module per step: `report` (what reading produces), `messages` (reasons, as
gettext msgids), `columns`, `values` (one cell), `archive` (ZIP guards), `attachments`,
`tables` (XLSX, CSV), `manifest` (ZIP with a manifest), `site_reader` (one site),
`parsing` (a whole package) and `template` (the downloads).
"""

from app.domain.packages.archive import MANIFEST_NAMES, describe_content, sniff_content_type
from app.domain.packages.attachments import check_attachment
from app.domain.packages.columns import COLUMNS, Column, ColumnType, PackageOnly, normalise_key
from app.domain.packages.messages import MESSAGES, issue_location, message
from app.domain.packages.parsing import PackageRefused, PackageStream, parse_package
from app.domain.packages.report import (
    AttachmentKind,
    PackageAttachment,
    PackageFormat,
    PackageIssue,
    PackageLimits,
    PackageReport,
    RowResult,
    Severity,
)
from app.domain.packages.template import (
    GUIDE_SHEET,
    TEMPLATE_SHEET,
    ExampleMunicipality,
    build_example_zip,
    build_template_xlsx,
)

__all__ = [
    "COLUMNS",
    "GUIDE_SHEET",
    "MANIFEST_NAMES",
    "MESSAGES",
    "TEMPLATE_SHEET",
    "AttachmentKind",
    "Column",
    "ColumnType",
    "ExampleMunicipality",
    "PackageAttachment",
    "PackageFormat",
    "PackageIssue",
    "PackageLimits",
    "PackageOnly",
    "PackageRefused",
    "PackageReport",
    "PackageStream",
    "RowResult",
    "Severity",
    "build_example_zip",
    "build_template_xlsx",
    "check_attachment",
    "describe_content",
    "issue_location",
    "message",
    "normalise_key",
    "parse_package",
    "sniff_content_type",
]
