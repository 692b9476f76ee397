"""The downloads for uploaders: the template spreadsheet with its bilingual guide, and
the example ZIP package. Both name the installation's own municipalities: the caller
passes the stored ones, and the examples are placed in the first of them by code."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image
from pyproj import Transformer

from app.domain.geo import TM35FIN, WGS84
from app.domain.packages.columns import COLUMNS, Column, ColumnType, PackageOnly
from app.domain.packages.report import PackageLimits
from app.domain.site_fields import FieldType
from app.domain.sites import LABELS
from app.domain.spreadsheets import append_row
from app.i18n import N_, translate

TEMPLATE_SHEET: Final = "Kohteet - Sites"
GUIDE_SHEET: Final = "Ohje - Guide"  # Excel forbids "/" in sheet names


@dataclass(frozen=True)
class ExampleMunicipality:
    """A stored municipality, as the downloads name it."""

    code: str
    name: str  # in Finnish, the language of the examples' texts
    centre: tuple[float, float] | None = None  # WGS84 (lat, lon): where the examples lie


def _example_municipality(municipalities: Sequence[ExampleMunicipality]) -> ExampleMunicipality:
    """The first by code: the same one on every download."""
    return min(municipalities, key=lambda municipality: municipality.code)


_TYPE_HELP: Final[Mapping[ColumnType, str]] = {
    FieldType.TEXT: N_("Text"),
    FieldType.MULTILINE: N_("Text"),
    FieldType.DECIMAL: N_("Number (decimal comma or point)"),
    FieldType.INTEGER: N_("Whole number"),
    FieldType.BOOLEAN: N_("Yes/no"),
    FieldType.DATE: N_("Date 2025-12-31 or 31.12.2025"),
    FieldType.CHOICE: N_("One of the allowed values"),
    FieldType.MUNICIPALITY: N_("Municipality code or name"),
    FieldType.CODES: N_("List separated by ;"),
    FieldType.COORDINATE: N_("Number"),
    FieldType.POLYGON: N_("WKT or GeoJSON"),
    PackageOnly.CRS: N_("EPSG code"),
    PackageOnly.ATTACHMENTS: N_("List of paths separated by ;"),
}
_FILL_IN: Final = N_(
    "Fill in one site per row on the sheet “{sheet}”; keep the header row. Replace the "
    "example row. An empty cell means the information is not known."
)
_FORMULAS: Final = N_("Formulas are not evaluated: a value starting with = is read as text.")
_GUIDE_HEADINGS: Final = (
    N_("Column"),
    N_("Required"),
    N_("Format"),
    None,  # the guide in Finnish, then in English
    None,
    N_("Allowed values"),
    N_("Other accepted headers"),
)


def _bilingual(msgid: str) -> str:
    """Finnish and English side by side: the template serves both at once."""
    return f"{translate('fi', msgid)} / {msgid}"


def _help(column: Column, lang: str, example: ExampleMunicipality) -> str:
    return translate(lang, column.help).format(code=example.code, name=example.name)


def _allowed_values(
    column: Column,
    municipalities: Sequence[ExampleMunicipality],
    industries: Mapping[str, str],
) -> str:
    if column.choices is not None:
        return "; ".join(
            f"{member.value} = {LABELS[member][0]} / {LABELS[member][1]}"
            for member in column.choices
        )
    if column.value_type == FieldType.MUNICIPALITY:
        ordered = sorted(municipalities, key=lambda municipality: municipality.code)
        return "; ".join(f"{m.code} = {m.name}" for m in ordered)
    if column.value_type == FieldType.CODES:
        return "; ".join(f"{code} = {names}" for code, names in industries.items())
    if column.value_type == FieldType.BOOLEAN:
        return "kyllä / ei, yes / no, x, 1 / 0"
    if column.value_type == PackageOnly.CRS:
        return "EPSG:4326 (WGS84); EPSG:3067 (ETRS-TM35FIN)"
    return ""


def _example_value(column: Column, example: ExampleMunicipality) -> object:
    if column.name in ("latitude", "longitude"):
        return None if example.centre is None else example.centre[column.name == "longitude"]
    if isinstance(column.example, str):
        return column.example.format(code=example.code, name=example.name)
    return column.example


def build_template_xlsx(
    municipalities: Sequence[ExampleMunicipality], industries: Mapping[str, str]
) -> bytes:
    """The downloadable spreadsheet: header row, one example row in the first of
    `municipalities`, drop-down lists for the choices, and a bilingual guide sheet
    listing the region's key `industries` (codes to their names)."""
    example = _example_municipality(municipalities)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    append_row(sheet, [column.name for column in COLUMNS])
    append_row(sheet, [_example_value(column, example) for column in COLUMNS])
    sheet.freeze_panes = "A2"
    for position, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(position)
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        sheet.cell(row=1, column=position).font = Font(bold=True)
        if column.value_type == FieldType.DATE:
            sheet.cell(row=2, column=position).number_format = "d.m.yyyy"
        options = (
            [member.value for member in column.choices]
            if column.choices is not None
            else ["kyllä", "ei"]
            if column.value_type == FieldType.BOOLEAN
            else None
        )
        if options:
            validation = DataValidation(
                type="list", formula1=f'"{",".join(options)}"', allow_blank=True
            )
            validation.add(f"{letter}2:{letter}{PackageLimits().max_rows + 1}")
            sheet.add_data_validation(validation)

    guide = workbook.create_sheet(GUIDE_SHEET)
    for lang in ("fi", "en"):
        append_row(guide, [translate(lang, _FILL_IN).format(sheet=TEMPLATE_SHEET)])
    append_row(guide, [_bilingual(_FORMULAS)])
    append_row(guide, [])
    headings = [_bilingual(msgid) if msgid else None for msgid in _GUIDE_HEADINGS]
    headings[3:5] = [translate("fi", N_("Guide")), "Guide"]
    append_row(guide, headings)
    header_row = guide.max_row
    for column in COLUMNS:
        append_row(
            guide,
            [
                column.name,
                _bilingual(N_("yes")) if column.required else "",
                _bilingual(_TYPE_HELP[column.value_type]),
                _help(column, "fi", example),
                _help(column, "en", example),
                _allowed_values(column, municipalities, industries),
                ", ".join(column.aliases),
            ],
        )
    for cell in guide[header_row]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (24, 14, 28, 60, 60, 60, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _example_png() -> bytes:
    image = Image.new("RGB", (160, 90), (0, 94, 184))
    for x in range(20, 140):
        for y in range(55, 70):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _example_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF (ASCII `text`), with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def _tm35fin(centre: tuple[float, float], east_of_it_m: float) -> tuple[int, int]:
    """(easting, northing) in metres of a point `east_of_it_m` east of `centre`."""
    latitude, longitude = centre
    transformer = Transformer.from_crs(WGS84, TM35FIN, always_xy=True)
    easting, northing = transformer.transform(longitude, latitude)
    return round(easting + east_of_it_m), round(northing)


def _example_sites(example: ExampleMunicipality) -> tuple[dict[str, object], ...]:
    """Two sites in `example`: one in WGS84 with a photo and a brochure, one given in
    ETRS-TM35FIN with its municipality by name and a map (no location when the
    municipality's centre is not known)."""
    data_centre: dict[str, object] = {
        "external_ref": "EX-001",
        "kind": "data_centre",
        "name_fi": f"Esimerkki: datakeskustontti, {example.name}",
        "name_en": f"Example: data-centre plot, {example.name}",
        "description_fi": "Asemakaavoitettu tontti datakeskukselle, 110 kV:n sähköasema lähellä.",
        "description_en": "Zoned plot for a data centre, close to a 110 kV substation.",
        "municipality_code": example.code,
        "address": f"Esimerkkikatu 1, {example.name}",
    }
    if example.centre is not None:
        data_centre["latitude"], data_centre["longitude"] = example.centre
    data_centre |= {
        "area_ha": 4,
        "area_m2": 40000,
        "zoning_status": "detailed_plan",
        "ownership": "municipal",
        "tenure": "sale_or_lease",
        "price_terms": "Hinta neuvoteltavissa.",
        "grid_connection": True,
        "available_power_mw": 20,
        "substation_110kv_km": 1.5,
        "water_m3_per_day": 500,
        "district_heat": True,
        "rail_siding": False,
        "road_km": 0.8,
        "airport_km": 8,
        "fibre": True,
        "environmental_permit": "not_needed",
        "industry_codes": ["ict_data_centres"],
        "contact_name": "Maija Esimerkki",
        "contact_email": "firstname.lastname@example.org",
        "last_verified_on": "2025-01-15",
        "attachments": [
            {"file": "photos/datakeskus.png", "kind": "photo", "title": "Ilmakuva"},
            {"file": "documents/datakeskus.pdf", "kind": "document", "title": "Esite"},
        ],
    }
    plot: dict[str, object] = {
        "external_ref": "EX-002",
        "kind": "industrial_plot",
        "name_fi": f"Esimerkki: teollisuustontti, {example.name}",
        "name_en": f"Example: industrial plot, {example.name}",
        "municipality_code": example.name,
    }
    if example.centre is not None:
        easting, northing = _tm35fin(example.centre, east_of_it_m=2000)
        plot |= {"crs": "EPSG:3067", "easting": easting, "northing": northing}
    plot |= {
        "area_ha": 1.2,
        "zoning_status": "detailed_plan",
        "ownership": "municipal",
        "tenure": "sale",
        "price_eur": 30000,
        "rail_siding": True,
        "available_power_mw": 2,
        "industry_codes": ["metal_machinery", "mining_chemicals"],
        "last_verified_on": "2025-01-15",
        "attachments": ["map:maps/kartta.pdf"],
    }
    return data_centre, plot


def build_example_zip(municipalities: Sequence[ExampleMunicipality]) -> bytes:
    """The downloadable example package: sites.json with two sites (one in WGS84, one
    in ETRS-TM35FIN), a photo, a brochure and a map. Byte-identical on every call."""
    sites = _example_sites(_example_municipality(municipalities))
    manifest = {"format_version": 1, "coordinate_system": "EPSG:4326", "sites": sites}
    files = {
        "sites.json": json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
        "photos/datakeskus.png": _example_png(),
        "documents/datakeskus.pdf": _example_pdf("Example brochure"),
        "maps/kartta.pdf": _example_pdf("Example map"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
