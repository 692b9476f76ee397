"""The reasons and locations of package issues, as English msgids translated when a
report is made (Finnish and Swedish in app/locale/*/LC_MESSAGES/packages.po).

Placeholders are `str.format` fields ({file}, {row}, …) filled after translation. The
site rules' reasons are not repeated here: a report renders them through the caller's
`describe_site_error`, i.e. the shared form-error catalogue the staff forms use.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from app.domain.packages.report import MB
from app.domain.sites import format_number
from app.i18n import N_, translate

MESSAGES: Final[Mapping[str, str]] = {
    "location.row": N_("row {row}"),
    "location.site": N_("site {row}"),
    "location.field": N_("field {field}"),
    "file_too_large": N_("The file is too large ({size}); the maximum is {max}."),
    "empty_file": N_("The file is empty."),
    "unsupported_type": N_(
        "This file type is not supported (by its content: {detected}). Send a ZIP "
        "package, an XLSX spreadsheet or a CSV file."
    ),
    "not_utf8": N_(
        "{file} is not text in UTF-8 or Windows-1252. Save it as UTF-8 (in Excel: “CSV "
        "UTF-8 (Comma delimited)”)."
    ),
    "too_many_cells": N_(
        "The row has {count} cells but the header row only {headers} columns: a value may "
        "contain an unquoted semicolon or comma (e.g. a decimal comma in a "
        "comma-separated file). The row was not read."
    ),
    "corrupt_archive": N_("The ZIP file is damaged and cannot be read."),
    "too_many_entries": N_("The package contains too many files ({count}); the maximum is {max}."),
    "unsafe_path": N_(
        "The package contains an unsafe path {path} (absolute, “..” or a link). The "
        "package was refused."
    ),
    "encrypted_entry": N_("{path} is encrypted; encrypted files are not accepted."),
    "duplicate_entry": N_("The package contains two files named {path}."),
    "entry_too_large": N_("{path} is too large when unpacked ({size}); the maximum is {max}."),
    "unpacked_too_large": N_(
        "The package is too large when unpacked ({size}); the maximum is {max}."
    ),
    "compression_ratio": N_(
        "{path} is compressed suspiciously tightly (ratio {ratio}:1, maximum {max}:1). "
        "The package was refused as a possible zip bomb."
    ),
    "nested_archive": N_(
        "The package contains another archive ({path}); nested archives are not accepted."
    ),
    "manifest_missing": N_(
        "The package has no manifest: sites.json, sites.yaml or datapackage.json."
    ),
    "multiple_manifests": N_("The package has several manifests ({files}); keep only one."),
    "manifest_syntax": N_("{file} cannot be read: error at line {line}, column {column}."),
    "manifest_structure": N_("{file} must contain a list of sites under “sites”."),
    "yaml_aliases": N_("YAML anchors and aliases (& and *) are not allowed in {file}."),
    "resource_missing": N_(
        "datapackage.json names no site resource, or {path} is not in the package."
    ),
    "remote_resource": N_(
        "Web addresses ({path}) are not fetched; include the data in the package."
    ),
    "xml_entities": N_(
        "The spreadsheet contains XML entity declarations, which are refused for security "
        "reasons. Save the file again in Excel."
    ),
    "xml_parser_unsafe": N_(
        "XLSX files cannot be processed safely right now (defusedxml is not in use). Send "
        "the data as CSV."
    ),
    "xlsx_invalid": N_("The XLSX spreadsheet cannot be read; save it again in Excel."),
    "csv_malformed": N_("{file} cannot be read at line {line}."),
    "no_header": N_("The table has no header row."),
    "no_known_columns": N_(
        "The first row must be the header row, but no column name was recognised. Use the "
        "columns of the template."
    ),
    "missing_columns": N_("Required columns are missing: {columns}."),
    "duplicate_column": N_("Column {column} is given twice ({headers})."),
    "too_many_rows": N_("The package has too many sites; the maximum is {max}."),
    "no_rows": N_("The package contains no sites."),
    "unknown_column": N_("Unknown column or key {column} was ignored."),
    "invalid_site_entry": N_("A site entry must be a mapping of keys to values."),
    "invalid_value": N_("The value {value} is not valid for this field."),
    "invalid_number": N_("{value} is not a number."),
    "invalid_integer": N_("{value} is not a whole number."),
    "invalid_boolean": N_("{value} is not a yes/no value (yes, no, x, 1, 0)."),
    "invalid_date": N_("{value} is not a valid date; use 2025-12-31 or 31.12.2025."),
    "invalid_choice": N_("{value} is not allowed. Allowed: {allowed}."),
    "invalid_crs": N_(
        "Coordinate system {value} is not supported; use EPSG:4326 (WGS84) or EPSG:3067 "
        "(ETRS-TM35FIN)."
    ),
    "invalid_coordinates": N_("The coordinates {x}, {y} cannot be converted from {crs}."),
    "coordinates_interpreted": N_(
        "The latitude and longitude columns hold ETRS-TM35FIN coordinates (metres); they "
        "were converted to WGS84."
    ),
    "coordinates_reordered": N_(
        "Easting and northing were the wrong way round; they were swapped."
    ),
    "coordinates_disagree": N_(
        "The WGS84 and ETRS-TM35FIN coordinates point to different places ({distance} m apart)."
    ),
    "invalid_polygon_format": N_("The boundary is not a GeoJSON or WKT polygon (POLYGON)."),
    "polygon_too_complex": N_("The boundary has too many points ({count}); the maximum is {max}."),
    "formula_as_text": N_(
        "The value starts with “=”; it was read as text and not evaluated as a formula."
    ),
    "duplicate_external_ref": N_(
        "The reference {value} appears more than once in the package (sites {rows})."
    ),
    "external_ref_missing": N_(
        "The site has no municipal reference (external_ref); on a later upload it is "
        "recognised by municipality and name, so renaming it will create a new site."
    ),
    "invalid_attachment_ref": N_("The attachment reference {value} is not valid."),
    "attachment_missing": N_("The attachment {path} is not in the package."),
    "attachment_type": N_(
        "By its content, the attachment {path} is not a JPEG, PNG, WebP or PDF file (it "
        "is {detected})."
    ),
    "attachment_kind_mismatch": N_(
        "The attachment {path} is marked as a photo but is not an image."
    ),
    "image_invalid": N_("The image {path} is damaged."),
    "image_too_large": N_("The image {path} is too large: over {max} megapixels."),
    "attachments_need_zip": N_(
        "Attachments can only be delivered in a ZIP package; the attachments column was ignored."
    ),
    "site_archived": N_("The site {value} is archived and cannot be updated by a package."),
    "duplicate_name": N_(
        "Several sites without a reference share the name {value} (sites {rows}); give "
        "them references (external_ref)."
    ),
    "ambiguous_name": N_(
        "The municipality already has several sites without a reference named {value}; "
        "give the site a reference (external_ref) so the right one is updated."
    ),
    "unreferenced_file": N_("{path} is not named in the manifest; it was ignored."),
}


def message(code: str, lang: str, **params: object) -> str:
    """The reason of `code` in `lang`, its placeholders filled."""
    return translate(lang, MESSAGES[code]).format(**params)


def issue_location(
    lang: str, file: str, *, row: int | None, sheet_row: int | None, field: str | None = None
) -> str:
    """Where an issue is, in words: "sites.csv, row 3, field area_ha"; a spreadsheet's
    row number when the site came from a table, else the site's number."""
    parts = [file]
    if sheet_row is not None:
        parts.append(message("location.row", lang, row=sheet_row))
    elif row is not None:
        parts.append(message("location.site", lang, row=row))
    if field:
        parts.append(message("location.field", lang, field=field))
    return ", ".join(parts)


def format_size(size: int, lang: str) -> str:
    """A file size for messages: kilobytes below a megabyte, else megabytes."""
    if size < MB:
        return f"{-(-size // 1024)} kB"
    return f"{format_number(round(Decimal(size) / MB, 1), lang)} MB"
