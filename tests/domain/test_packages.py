"""Site packages: good ZIP/XLSX/CSV packages, hostile files, row- and field-level errors."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po
from defusedxml import EntitiesForbidden
from PIL import Image

import app.services.sites  # noqa: F401 - registers the site rules' messages
from app.domain.geo import TM35FIN, to_wgs84
from app.domain.packages import (
    COLUMNS,
    GUIDE_SHEET,
    MESSAGES,
    TEMPLATE_SHEET,
    AttachmentKind,
    ExampleMunicipality,
    PackageFormat,
    PackageLimits,
    PackageReport,
    Severity,
    build_example_zip,
    build_template_xlsx,
    normalise_key,
    parse_package,
)
from app.domain.sites import (
    SITE_REASONS,
    Ownership,
    PermitStatus,
    SiteKind,
    SiteRegion,
    Tenure,
    ZoningStatus,
    normalise_lang,
)
from app.i18n import field_error_message
from app.regions import DEFAULT_REGION_FILE
from app.services.region import load_region_file

ROOT = Path(__file__).resolve().parents[2]
KAINUU_FILE = load_region_file(DEFAULT_REGION_FILE)
KAINUU = SiteRegion.of(KAINUU_FILE)
# Codes with their names, as the sites service gives them: names are accepted too.
MUNICIPALITIES = {m.code: m.name["fi"] for m in KAINUU_FILE.municipalities}
INDUSTRIES = {
    i.code: i.name["fi"]
    for i in KAINUU_FILE.industries
    if i.code in {"ict_data_centres", "metal_machinery", "mining_chemicals", "tourism"}
}
TODAY = date(2025, 6, 15)
# The stored municipalities the downloads are made for: the examples lie in the first by
# code, at its centre.
DOWNLOADS_FOR = (
    ExampleMunicipality("765", "Sotkamo", (64.1313, 28.3903)),
    ExampleMunicipality("290", "Kuhmo", (64.1260, 29.5200)),
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def parse(
    name: str, data: bytes, lang: str = "en", limits: PackageLimits | None = None
) -> PackageReport:
    return parse_package(
        name,
        data,
        lang=lang,
        describe_site_error=partial(field_error_message, normalise_lang(lang)),
        limits=limits,
        valid_municipality_codes=MUNICIPALITIES,
        valid_industry_codes=INDUSTRIES,
        region=KAINUU,
        today=TODAY,
    )


def make_zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def bilevel_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG written by hand: tiny on disk however many pixels it has."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def codes(report: PackageReport) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.code) for i in report.issues()]


def fatal_code(report: PackageReport) -> str:
    assert report.rows == []
    assert not report.ok
    [issue] = report.fatal
    return issue.code


def site_json(**extra: object) -> dict[str, object]:
    return {
        "external_ref": "KAJ-1",
        "kind": "industrial_plot",
        "name_fi": "Tontti",
        "municipality_code": "205",
        "latitude": 64.2270,
        "longitude": 27.7285,
        **extra,
    }


def manifest_zip(sites: list[dict[str, object]], **files: bytes) -> bytes:
    content = {"sites.json": json.dumps({"sites": sites}).encode(), **files}
    return make_zip(content)


# --- downloads -------------------------------------------------------------------------


def test_example_zip_parses_cleanly_with_both_coordinate_systems() -> None:
    data = build_example_zip(DOWNLOADS_FOR)
    assert build_example_zip(DOWNLOADS_FOR) == data  # byte-identical downloads
    report = parse("example.zip", data)
    assert report.ok
    assert report.format == PackageFormat.ZIP_JSON
    assert report.issues() == []
    data_centre, plot = report.rows
    assert data_centre.draft is not None and plot.draft is not None
    assert (data_centre.index, data_centre.external_ref) == (1, "EX-001")
    assert data_centre.draft.kind == SiteKind.DATA_CENTRE
    assert data_centre.draft.municipality_code == "290"  # the first by code
    assert data_centre.draft.name_fi == "Esimerkki: datakeskustontti, Kuhmo"
    assert data_centre.draft.address == "Esimerkkikatu 1, Kuhmo"
    assert data_centre.draft.contact_email == "firstname.lastname@example.org"
    assert (data_centre.draft.latitude, data_centre.draft.longitude) == (64.126, 29.52)
    assert data_centre.draft.available_power_mw == Decimal(20)
    assert data_centre.draft.industry_codes == ("ict_data_centres",)
    assert data_centre.draft.last_verified_on == date(2025, 1, 15)
    assert [(a.name, a.content_type, a.kind, a.title) for a in data_centre.attachments] == [
        ("photos/datakeskus.png", "image/png", AttachmentKind.PHOTO, "Ilmakuva"),
        ("documents/datakeskus.pdf", "application/pdf", AttachmentKind.DOCUMENT, "Esite"),
    ]
    for attachment in data_centre.attachments:
        assert attachment.sha256 == hashlib.sha256(attachment.data).hexdigest()
    assert plot.draft.municipality_code == "290"  # given as the name "Kuhmo"
    # Given in ETRS-TM35FIN, 2 km east of the centre.
    assert plot.draft.latitude == pytest.approx(64.126, abs=0.01)
    assert plot.draft.longitude == pytest.approx(29.52 + 2 / 48.7, abs=0.01)
    assert [(a.name, a.kind) for a in plot.attachments] == [("maps/kartta.pdf", AttachmentKind.MAP)]


def test_examples_name_no_place_of_their_own() -> None:
    """Another region's downloads: its municipality, and no location when its centre
    is not known."""
    elsewhere = [ExampleMunicipality("905", "Vaasa")]
    with zipfile.ZipFile(io.BytesIO(build_example_zip(elsewhere))) as archive:
        manifest = archive.read("sites.json").decode()
    assert "Vaasa" in manifest and '"905"' in manifest
    assert not re.search(r"kajaani|sotkamo|kainuu", manifest, re.IGNORECASE)
    sites = json.loads(manifest)["sites"]
    assert all("latitude" not in site and "easting" not in site for site in sites)
    workbook = openpyxl.load_workbook(io.BytesIO(build_template_xlsx(elsewhere, INDUSTRIES)))
    texts = [
        str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
    ]
    assert not [text for text in texts if re.search(r"kajaani|sotkamo|kainuu", text, re.I)]
    assert "905 = Vaasa" in texts


def test_example_pdfs_have_a_correct_cross_reference_table() -> None:
    with zipfile.ZipFile(io.BytesIO(build_example_zip(DOWNLOADS_FOR))) as archive:
        pdf = archive.read("maps/kartta.pdf")
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    xref_at = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[xref_at:].startswith(b"xref\n0 6\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf)]
    assert [pdf[o:].split(b"\n", 1)[0] for o in offsets] == [b"%d 0 obj" % n for n in range(1, 6)]


def test_template_has_header_example_and_bilingual_guide() -> None:
    data = build_template_xlsx(DOWNLOADS_FOR, INDUSTRIES)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [TEMPLATE_SHEET, GUIDE_SHEET]
    sheet = workbook[TEMPLATE_SHEET]
    assert [c.value for c in sheet[1]] == [column.name for column in COLUMNS]
    guide = workbook[GUIDE_SHEET]
    guide_rows = {row[0]: row for row in guide.iter_rows(values_only=True) if row[0]}
    area = guide_rows["area_ha"]
    assert area[3] == "Pinta-ala hehtaareina."
    assert area[4] == "Area in hectares."
    assert "pinta_ala_ha" in area[6]
    assert guide_rows["kind"][1] == "kyllä / yes"
    assert "industrial_plot = Teollisuustontti / Industrial plot" in guide_rows["kind"][5]

    report = parse("pohja.xlsx", data)
    assert report.ok
    [row] = report.rows
    assert row.draft is not None
    assert (row.draft.name_fi, row.draft.municipality_code) == ("Esimerkkitontti, Kuhmo", "290")
    assert (row.draft.latitude, row.draft.longitude) == (64.126, 29.52)
    assert row.draft.area_ha == Decimal("2.5") and row.draft.area_m2 == Decimal(25000)
    assert row.draft.available_from == date(2025, 1, 1)
    assert row.draft.grid_connection is True and row.draft.gas is False
    assert row.draft.tenure == Tenure.SALE_OR_LEASE


def test_default_limits() -> None:
    mb = 1024 * 1024
    assert PackageLimits() == PackageLimits(
        max_upload_bytes=50 * mb,
        max_entries=500,
        max_unpacked_bytes=200 * mb,
        max_compression_ratio=100,
        max_rows=5000,
        max_image_pixels=40_000_000,
        max_file_bytes=20 * mb,
    )


# --- good packages ---------------------------------------------------------------------


def test_yaml_manifest_with_finnish_keys_and_values() -> None:
    manifest = """
coordinate_system: EPSG:4326
kohteet:
  - tunnus: PAL-7
    tyyppi: teollisuustontti
    nimi: Mieslahden tontti
    kunta: Paltamo
    leveysaste: "64,406"
    pituusaste: 27.833
    pinta_ala_ha: "2,5"
    kaavatilanne: asemakaava
    omistus: kunta
    luovutustapa: vuokra
    hinta: 12 000
    raide: kyllä
    kaukolampo: ei
    tarkistettu: 1.3.2025
    saatavilla: 2025-04-01
    ymparistolupa: vireillä
    toimialat: Metalli- ja konepajateollisuus; mining_chemicals
    liitteet:
      - kuvat/tontti.png
"""
    report = parse(
        "paltamo.zip", make_zip({"sites.yaml": manifest.encode(), "kuvat/tontti.png": png()})
    )
    assert report.format == PackageFormat.ZIP_YAML
    assert report.ok, report.issues()
    [row] = report.rows
    draft = row.draft
    assert draft is not None
    assert (draft.kind, draft.name_fi, draft.municipality_code) == (
        SiteKind.INDUSTRIAL_PLOT,
        "Mieslahden tontti",
        "578",
    )
    assert (draft.latitude, draft.longitude) == (64.406, 27.833)
    assert draft.area_ha == Decimal("2.5")
    assert draft.zoning_status == ZoningStatus.DETAILED_PLAN
    assert draft.ownership == Ownership.MUNICIPAL
    assert draft.tenure == Tenure.LEASE
    assert draft.price_eur == 12000
    assert (draft.rail_siding, draft.district_heat) == (True, False)
    assert draft.last_verified_on == date(2025, 3, 1)
    assert draft.available_from == date(2025, 4, 1)
    assert draft.environmental_permit == PermitStatus.PENDING
    assert draft.industry_codes == ("metal_machinery", "mining_chemicals")
    assert [(a.name, a.kind) for a in row.attachments] == [
        ("kuvat/tontti.png", AttachmentKind.PHOTO)
    ]


def test_manifest_inside_a_single_folder_and_os_clutter_are_accepted() -> None:
    data = make_zip(
        {
            "tontit/sites.json": json.dumps([site_json(attachments=["a.png"])]).encode(),
            "tontit/a.png": png(),
            "__MACOSX/tontit/._a.png": b"\x00\x05\x16\x07",
            "tontit/.DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    report = parse("tontit.zip", data)
    assert report.ok
    assert report.warnings == []
    assert [a.name for a in report.rows[0].attachments] == ["a.png"]


def test_datapackage_with_csv_resource() -> None:
    datapackage = {
        "name": "kajaani-sites",
        "coordinate_system": "EPSG:3067",
        "resources": [
            {"name": "sites", "path": "data/sites.csv", "dialect": {"delimiter": ";"}},
        ],
    }
    table = (
        "tunnus;tyyppi;nimi;kunta;itä;pohjoinen;Pinta-ala (ha);Teho (MW);liitteet\n"
        "K-1;datakeskus;Datakeskustontti;205;535342,568;7122512,134;4,0;20;kuvat/a.png| esite.pdf\n"
    )
    data = make_zip(
        {
            "datapackage.json": json.dumps(datapackage).encode(),
            "data/sites.csv": table.encode(),
            "kuvat/a.png": png(),
            "esite.pdf": PDF,
        }
    )
    report = parse("kajaani.zip", data)
    assert report.format == PackageFormat.ZIP_DATAPACKAGE
    assert report.ok, report.issues()
    [row] = report.rows
    assert row.draft is not None
    assert (row.draft.latitude, row.draft.longitude) == (64.227, 27.7285)
    assert row.draft.available_power_mw == Decimal(20)
    assert row.sheet_row == 2
    assert [(a.name, a.kind) for a in row.attachments] == [
        ("kuvat/a.png", AttachmentKind.PHOTO),
        ("esite.pdf", AttachmentKind.DOCUMENT),
    ]


def test_datapackage_with_inline_data_as_objects_and_as_rows() -> None:
    objects = {"resources": [{"name": "sites", "data": [site_json()]}]}
    report = parse("a.zip", make_zip({"datapackage.json": json.dumps(objects).encode()}))
    assert report.ok and report.rows[0].draft is not None
    rows = {
        "resources": [
            {
                "name": "sites",
                "data": [
                    ["external_ref", "kind", "name_fi", "municipality_code"],
                    ["K-2", "premises", "Halli", "Kuhmo"],
                ],
            }
        ]
    }
    report = parse("b.zip", make_zip({"datapackage.json": json.dumps(rows).encode()}))
    assert report.ok
    assert report.rows[0].draft is not None
    assert report.rows[0].draft.municipality_code == "290"


def test_datapackage_never_fetches_remote_resources() -> None:
    remote = {"resources": [{"name": "sites", "path": "https://example.org/sites.csv"}]}
    report = parse("r.zip", make_zip({"datapackage.json": json.dumps(remote).encode()}))
    assert fatal_code(report) == "remote_resource"


def test_xlsx_with_finnish_headers_and_typed_cells() -> None:
    data = xlsx(
        [
            ["Tunnus", "Tyyppi", "Nimi", "Kunta", "Leveysaste", "Pituusaste", "Pinta-ala (ha)",
             "Teho (MW)", "Raide", "Tarkistettu", "Hinta"],
            ["S-1", "Matkailukohde", "Vuokatin rinne", 765, 64.14, 28.28, 12.5, 3, "x",
             datetime(2025, 5, 2), 150000],  # noqa: DTZ001 (Excel has no time zones)
            [None] * 11,
            ["S-2", "energy", "Tuulipuisto", "Suomussalmi", 64.886, 28.907, "7,25", "1 200", "ei",
             "2.5.2025", "200000"],
        ]
    )  # fmt: skip
    report = parse("sotkamo.xlsx", data)
    assert report.format == PackageFormat.XLSX
    assert report.ok, report.issues()
    first, second = report.rows
    assert first.draft is not None and second.draft is not None
    assert (first.index, first.sheet_row, second.index, second.sheet_row) == (1, 2, 2, 4)
    assert first.draft.kind == SiteKind.TOURISM
    assert first.draft.municipality_code == "765"
    assert first.draft.area_ha == Decimal("12.5")
    assert first.draft.available_power_mw == Decimal(3)
    assert first.draft.rail_siding is True
    assert first.draft.last_verified_on == date(2025, 5, 2)
    assert first.draft.price_eur == 150000
    assert second.draft.municipality_code == "777"
    assert second.draft.area_ha == Decimal("7.25")
    assert second.draft.available_power_mw == Decimal(1200)
    assert second.draft.rail_siding is False
    assert second.draft.last_verified_on == date(2025, 5, 2)


def test_csv_with_bom_semicolons_and_decimal_commas() -> None:
    table = (
        "\ufeffexternal_ref;kind;name_fi;name_en;municipality_code;latitude;longitude;area_m2\n"
        'H-1;industrial_plot;"Tontti; iso";Plot;105;64,676;28,494;"12 000"\n'
    )
    report = parse("hyrynsalmi.csv", table.encode())
    assert report.format == PackageFormat.CSV
    assert report.ok, report.issues()
    draft = report.rows[0].draft
    assert draft is not None
    assert (draft.name_fi, draft.name_en, draft.municipality_code) == ("Tontti; iso", "Plot", "105")
    assert draft.area_m2 == Decimal(12000)
    assert (draft.latitude, draft.longitude) == (64.676, 28.494)


def test_comma_separated_csv() -> None:
    table = "external_ref,kind,name_fi,municipality_code,area_ha\nR-1,other,Alue,Ristijärvi,1.5\n"
    report = parse("r.csv", table.encode())
    assert report.ok
    assert report.rows[0].draft is not None
    assert report.rows[0].draft.municipality_code == "697"
    assert report.rows[0].draft.area_ha == Decimal("1.5")


FINNISH_EXCEL = (
    "tunnus;tyyppi;nimi;kunta;Pinta-ala (ha);Teho (MW)\n"
    "K-1;teollisuustontti;Pääteollisuusalue Öljymäki;Kajaani;4,5;12,5\n"
    "K-2;muu;Ämmänsaaren työpaja €;Suomussalmi;0,75;\n"
)


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (FINNISH_EXCEL.encode("cp1252"), "Windows-1252"),
        (FINNISH_EXCEL.replace(" €", "").encode("latin-1"), "Windows-1252"),
        (FINNISH_EXCEL.encode("utf-8"), "UTF-8"),
        (FINNISH_EXCEL.encode("utf-8-sig"), "UTF-8 (BOM)"),
        (FINNISH_EXCEL.replace("\n", "\r\n").encode("cp1252"), "Windows-1252"),
    ],
    ids=["windows-1252", "latin-1", "utf-8", "utf-8-bom", "windows-1252-crlf"],
)
def test_csv_from_finnish_excel_is_read_in_its_encoding_and_reports_it(
    encoded: bytes, encoding: str
) -> None:
    report = parse("kajaani.csv", encoded, lang="fi")
    assert report.ok, report.issues()
    assert report.encoding == encoding
    first, second = (row.draft for row in report.rows)
    assert first is not None and second is not None
    assert first.name_fi == "Pääteollisuusalue Öljymäki"
    assert (first.area_ha, first.available_power_mw) == (Decimal("4.5"), Decimal("12.5"))
    assert second.municipality_code == "777"
    assert second.name_fi.startswith("Ämmänsaaren työpaja")


def test_a_utf8_package_reports_utf8_and_an_xlsx_no_encoding() -> None:
    assert parse("r.csv", b"kind;name_fi;municipality_code\nother;A;205\n").encoding == "UTF-8"
    sheet = xlsx([["kind", "name_fi", "municipality_code"], ["other", "A", "205"]])
    assert parse("r.xlsx", sheet).encoding is None


def test_a_csv_resource_of_a_zip_package_may_be_windows_1252() -> None:
    datapackage = {"resources": [{"name": "sites", "path": "sites.csv"}]}
    package = make_zip(
        {
            "datapackage.json": json.dumps(datapackage).encode(),
            "sites.csv": FINNISH_EXCEL.encode("cp1252"),
        }
    )
    report = parse("paketti.zip", package)
    assert report.ok, report.issues()
    assert report.encoding == "Windows-1252"
    assert report.rows[0].draft is not None
    assert report.rows[0].draft.name_fi == "Pääteollisuusalue Öljymäki"


def test_text_in_no_accepted_encoding_is_refused_with_advice() -> None:
    noise = bytes(range(0x80, 0x100)) * 40
    report = parse("vanha.csv", b"kind;name_fi\n" + noise, lang="fi")
    assert fatal_code(report) == "not_utf8"
    assert report.fatal[0].reason == (
        "vanha.csv ei ole tekstiä UTF-8- eikä Windows-1252-merkistössä. Tallenna se "
        "UTF-8-muodossa (Excelissä: ”CSV UTF-8 (pilkuin erotettu)”)."
    )


def test_a_row_with_more_cells_than_headers_is_an_error_on_that_row() -> None:
    table = (
        "external_ref,kind,name_fi,municipality_code,area_ha\n"
        "R-1,other,Alue,Ristijärvi,1.5\n"
        "R-2,other,Halli,Kuhmo,2,5\n"  # a decimal comma in a comma-separated file
        "R-3,other,Piha,Kuhmo,3.0,,\n"  # empty trailing cells are harmless
    )
    report = parse("r.csv", table.encode(), lang="en")
    assert not report.ok
    first, second, third = report.rows
    assert first.draft is not None and not first.errors
    assert third.draft is not None and not third.errors
    assert second.draft is None
    [error] = second.errors
    assert (error.sheet_row, error.row) == (3, 2)
    assert error.reason.startswith("The row has 6 cells but the header row only 5 columns")
    assert error.location == "r.csv, row 3"


def test_cells_beyond_the_header_alone_are_not_a_blank_row() -> None:
    table = "kind;name_fi;municipality_code\nother;A;205\n;;;stray value\n"
    report = parse("r.csv", table.encode())
    assert [e.code for row in report.rows for e in row.errors] == ["too_many_cells"]


# --- coordinates -----------------------------------------------------------------------

HEADER = "external_ref;kind;name_fi;municipality_code"


def test_tm35fin_easting_northing_are_converted() -> None:
    table = f"{HEADER};easting;northing;crs\nK-1;other;A;205;535342.568;7122512.134;EPSG:3067\n"
    report = parse("k.csv", table.encode())
    assert report.ok
    draft = report.rows[0].draft
    assert draft is not None
    assert (draft.latitude, draft.longitude) == to_wgs84(535342.568, 7122512.134, TM35FIN)
    assert (draft.latitude, draft.longitude) == (64.227, 27.7285)


def test_swapped_easting_and_northing_are_put_in_order_with_a_warning() -> None:
    table = f"{HEADER};x;y\nK-1;other;A;205;7122512.134;535342.568\n"
    report = parse("k.csv", table.encode())
    assert report.ok
    row = report.rows[0]
    assert row.draft is not None and (row.draft.latitude, row.draft.longitude) == (64.227, 27.7285)
    assert [(w.field, w.code, w.severity) for w in row.warnings] == [
        ("easting", "coordinates_reordered", Severity.WARNING)
    ]


def test_metres_in_latitude_longitude_columns_are_recognised() -> None:
    table = f"{HEADER};latitude;longitude\nK-1;other;A;205;7122512.134;535342.568\n"
    report = parse("k.csv", table.encode())
    row = report.rows[0]
    assert row.draft is not None and (row.draft.latitude, row.draft.longitude) == (64.227, 27.7285)
    assert [w.code for w in row.warnings] == ["coordinates_interpreted"]


def test_both_coordinate_pairs_must_agree() -> None:
    header = f"{HEADER};latitude;longitude;easting;northing\n"
    agreeing = f"{header}K;other;A;205;64.227;27.7285;535343;7122512\n"
    assert parse("k.csv", agreeing.encode()).ok
    disagreeing = f"{header}K;other;A;205;64.227;27.7285;535343;7123512\n"
    report = parse("k.csv", disagreeing.encode())
    assert codes(report) == [(1, "latitude", "coordinates_disagree")]
    # 1000 grid metres are 999 m on the ground here (TM35FIN scale factor).
    assert report.rows[0].errors[0].reason == (
        "The WGS84 and ETRS-TM35FIN coordinates point to different places (999 m apart)."
    )


def test_tm35fin_point_outside_kainuu_is_reported_on_the_metre_fields() -> None:
    helsinki = f"{HEADER};easting;northing\nK;other;A;205;385800;6672000\n"
    report = parse("k.csv", helsinki.encode())
    assert codes(report) == [(1, "northing", "outside_region")]


def test_incomplete_and_unknown_coordinate_systems() -> None:
    table = f"{HEADER};latitude;crs\nK;other;A;205;64.2;EPSG:4326\nL;other;B;205;64.2;EPSG:2393\n"
    report = parse("k.csv", table.encode())
    assert codes(report) == [(1, "longitude", "incomplete_location"), (2, "crs", "invalid_crs")]


def test_polygon_in_tm35fin_wkt_is_converted_to_wgs84_lon_lat() -> None:
    e, n = 535342.568, 7122512.134
    wkt = f"POLYGON(({e} {n}, {e + 100} {n}, {e + 100} {n + 100}, {e} {n}))"
    table = f'{HEADER};easting;northing;polygon\nK;other;A;205;{e};{n};"{wkt}"\n'
    report = parse("k.csv", table.encode())
    assert report.ok, report.issues()
    draft = report.rows[0].draft
    assert draft is not None and draft.polygon is not None
    [ring] = draft.polygon
    assert len(ring) == 4 and ring[0] == ring[-1] == (27.7285, 64.227)


def test_geojson_polygon_in_a_manifest() -> None:
    ring = [[27.72, 64.22], [27.74, 64.22], [27.74, 64.23], [27.72, 64.22]]
    data = manifest_zip([site_json(polygon={"type": "Polygon", "coordinates": [ring]})])
    report = parse("p.zip", data)
    assert report.ok
    assert report.rows[0].draft is not None
    assert report.rows[0].draft.polygon == (tuple(tuple(p) for p in ring),)
    bad = parse("p.zip", manifest_zip([site_json(polygon={"type": "Point"})]))
    assert codes(bad) == [(1, "polygon", "invalid_polygon_format")]


# --- row- and field-level errors ------------------------------------------------------

BAD_CSV = (
    "external_ref;kind;name_fi;municipality_code;area_ha;available_from;rail_siding;contact_email\n"
    "R1;teollisuustontti;Hyvä;Kajaani;2,5;1.3.2025;kyllä;a@kajaani.fi\n"
    "R2;castle;Huono;Helsinki;kaksi;31.2.2025;ehkä;bad\n"
).encode()


def test_every_bad_field_is_reported_with_its_location() -> None:
    report = parse("sites.csv", BAD_CSV)
    assert not report.ok and report.fatal == []
    good, bad = report.rows
    assert good.draft is not None and good.errors == []
    assert bad.draft is None
    assert [(e.row, e.sheet_row, e.field, e.code) for e in bad.errors] == [
        (2, 3, "kind", "invalid_choice"),
        (2, 3, "municipality_code", "unknown_municipality"),
        (2, 3, "area_ha", "invalid_number"),
        (2, 3, "available_from", "invalid_date"),
        (2, 3, "rail_siding", "invalid_boolean"),
        (2, 3, "contact_email", "invalid_email"),
    ]
    assert bad.errors[2].path == "rows.2.area_ha"


def test_reasons_and_locations_in_english() -> None:
    errors = parse("sites.csv", BAD_CSV, lang="en").rows[1].errors
    assert errors[2].location == "sites.csv, row 3, field area_ha"
    assert errors[2].reason == "”kaksi” is not a number."
    assert errors[3].reason == "”31.2.2025” is not a valid date; use 2025-12-31 or 31.12.2025."
    assert errors[4].reason == "”ehkä” is not a yes/no value (yes, no, x, 1, 0)."
    assert errors[0].reason.startswith(
        "”castle” is not allowed. Allowed: industrial_plot (Industrial plot), premises (Premises)"
    )
    assert errors[1].reason == (
        "Unknown or not permitted municipality ”Helsinki”. Allowed: 105 Hyrynsalmi, "
        "205 Kajaani, 290 Kuhmo, 578 Paltamo, 620 Puolanka, 697 Ristijärvi, 765 Sotkamo, "
        "777 Suomussalmi."
    )
    assert errors[5].reason == "The e-mail address ”bad” is not valid."


def test_reasons_and_locations_in_finnish() -> None:
    errors = parse("sites.csv", BAD_CSV, lang="fi").rows[1].errors
    assert errors[2].location == "sites.csv, rivi 3, kenttä area_ha"
    assert errors[2].reason == "Arvo ”kaksi” ei ole luku."
    assert (
        errors[3].reason
        == "Päivämäärä ”31.2.2025” ei kelpaa; käytä muotoa 31.12.2025 tai 2025-12-31."
    )
    assert errors[4].reason == "Arvo ”ehkä” ei ole kyllä/ei-tieto (kyllä, ei, x, 1, 0)."
    assert errors[0].reason.startswith(
        "Arvo ”castle” ei ole sallittu. Sallitut: industrial_plot (Teollisuustontti)"
    )
    assert errors[5].reason == "Sähköpostiosoite ”bad” ei ole kelvollinen."


def test_only_the_uploaders_municipality_is_allowed() -> None:
    report = parse_package(
        "k.csv",
        f"{HEADER}\nK;other;A;765\n".encode(),
        lang="en",
        describe_site_error=partial(field_error_message, "en"),
        valid_municipality_codes={"205"},
        valid_industry_codes=INDUSTRIES,
        region=KAINUU,
    )
    assert codes(report) == [(1, "municipality_code", "unknown_municipality")]


def test_rules_of_validate_site_apply_to_rows() -> None:
    table = (
        f"{HEADER};area_ha;area_m2;available_power_mw;last_verified_on;industry_codes\n"
        "K;other;A;205;2.5;2500;2500;2025-07-01;ict_data_centres|beer\n"
    )
    report = parse("k.csv", table.encode())
    assert codes(report) == [
        (1, "industry_codes", "unknown_industry"),
        (1, "available_power_mw", "out_of_range"),
        (1, "area_m2", "area_mismatch"),
        (1, "last_verified_on", "in_future"),
    ]


def test_missing_kind_and_name_in_a_manifest() -> None:
    report = parse("m.zip", manifest_zip([{"external_ref": "X", "municipality_code": "205"}]))
    assert codes(report) == [(1, "kind", "required"), (1, "name_fi", "required")]


def test_duplicate_external_ref_flags_both_rows() -> None:
    table = f"{HEADER}\nK-1;other;A;205\nK-2;other;B;205\nK-1;other;C;205\n"
    report = parse("k.csv", table.encode())
    assert codes(report) == [
        (1, "external_ref", "duplicate_external_ref"),
        (3, "external_ref", "duplicate_external_ref"),
    ]
    assert report.rows[0].errors[0].reason == (
        "The reference ”K-1” appears more than once in the package (sites 2, 4)."
    )
    assert report.rows[0].draft is None and report.rows[1].draft is not None


def test_missing_external_ref_is_a_warning() -> None:
    report = parse("k.csv", b"kind;name_fi;municipality_code\nother;A;205\n")
    assert report.ok
    assert [(w.field, w.code) for w in report.rows[0].warnings] == [
        ("external_ref", "external_ref_missing")
    ]


def test_missing_attachment_is_an_error_and_unnamed_file_a_warning() -> None:
    data = manifest_zip(
        [site_json(attachments=["kuvat/puuttuu.jpg"])], **{"extra/muistio.pdf": PDF}
    )
    report = parse("m.zip", data, lang="fi")
    assert [(e.field, e.code, e.reason) for e in report.rows[0].errors] == [
        ("attachments", "attachment_missing", "Liitettä ”kuvat/puuttuu.jpg” ei löydy paketista.")
    ]
    assert [(w.file, w.code, w.severity) for w in report.warnings] == [
        ("extra/muistio.pdf", "unreferenced_file", Severity.WARNING)
    ]


def test_jpeg_and_webp_photos_are_sniffed_and_verified() -> None:
    photos = {}
    for name, image_format in (("a.bin", "JPEG"), ("b.bin", "WEBP")):
        buffer = io.BytesIO()
        Image.new("RGB", (12, 8), (200, 30, 30)).save(buffer, format=image_format)
        photos[name] = buffer.getvalue()
    data = manifest_zip([site_json(attachments=["a.bin", "b.bin"])], **photos)
    report = parse("m.zip", data)
    assert report.ok
    assert [(a.name, a.content_type, a.kind) for a in report.rows[0].attachments] == [
        ("a.bin", "image/jpeg", AttachmentKind.PHOTO),
        ("b.bin", "image/webp", AttachmentKind.PHOTO),
    ]


def test_pdf_marked_as_photo_is_refused() -> None:
    data = manifest_zip(
        [site_json(attachments=[{"file": "a.pdf", "kind": "photo"}])], **{"a.pdf": PDF}
    )
    assert codes(parse("m.zip", data)) == [(1, "attachments", "attachment_kind_mismatch")]


def test_attachments_in_a_plain_table_are_ignored_with_a_warning() -> None:
    report = parse("k.csv", f"{HEADER};attachments\nK;other;A;205;a.png\n".encode())
    assert report.ok
    assert [w.code for w in report.warnings] == ["attachments_need_zip"]


def test_unknown_columns_warn_and_required_columns_are_enforced() -> None:
    report = parse("k.csv", f"{HEADER};lempiväri\nK;other;A;205;sininen\n".encode())
    assert report.ok
    assert [(w.code, w.reason) for w in report.warnings] == [
        ("unknown_column", "Unknown column or key ”lempiväri” was ignored.")
    ]
    report = parse("k.csv", b"external_ref;name_fi\nK;A\n")
    assert fatal_code(report) == "missing_columns"
    assert report.fatal[0].reason == "Required columns are missing: kind, municipality_code."
    assert fatal_code(parse("k.csv", b"foo;bar\n1;2\n")) == "no_known_columns"
    assert fatal_code(parse("k.csv", b"nimi;name_fi;kind;kunta\nA;B;other;205\n")) == (
        "duplicate_column"
    )


def test_limits_on_rows_and_empty_packages() -> None:
    table = f"{HEADER}\nA;other;A;205\nB;other;B;205\nC;other;C;205\n".encode()
    report = parse("k.csv", table, limits=PackageLimits(max_rows=2))
    assert fatal_code(report) == "too_many_rows"
    assert report.fatal[0].reason == "The package has too many sites; the maximum is 2."
    assert fatal_code(parse("k.csv", f"{HEADER}\n;;;\n".encode())) == "no_rows"
    assert fatal_code(parse("k.csv", b"")) == "empty_file"


def test_manifest_problems() -> None:
    assert fatal_code(parse("m.zip", make_zip({"readme.txt": b"hi"}))) == "manifest_missing"
    both = make_zip({"sites.json": b"[]", "sites.yaml": b"[]"})
    assert fatal_code(parse("m.zip", both)) == "multiple_manifests"
    broken = parse("m.zip", make_zip({"sites.json": b'{"sites": [\n  {"kind": }\n]}'}))
    assert fatal_code(broken) == "manifest_syntax"
    assert broken.fatal[0].reason == "sites.json cannot be read: error at line 2, column 12."
    assert fatal_code(parse("m.zip", make_zip({"sites.json": b'{"kohde": 1}'}))) == (
        "manifest_structure"
    )
    report = parse("m.zip", make_zip({"sites.json": b'{"sites": ["x"]}'}))
    assert codes(report) == [(1, None, "invalid_site_entry")]


def test_yaml_aliases_are_refused() -> None:
    laughs = b'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nsites: [*b]\n'
    report = parse("m.zip", make_zip({"sites.yaml": laughs}))
    assert fatal_code(report) == "yaml_aliases"
    assert report.fatal[0].file == "sites.yaml"


# --- hostile files ------------------------------------------------------------------------


def test_oversized_upload_is_refused_before_anything_else() -> None:
    report = parse("big.csv", b"x" * 2048, lang="fi", limits=PackageLimits(max_upload_bytes=1024))
    assert fatal_code(report) == "file_too_large"
    assert report.fatal[0].reason == "Tiedosto on liian suuri (2 kB); suurin sallittu koko on 1 kB."
    big = parse("big.zip", b"PK\x03\x04" + bytes(60 * 1024 * 1024))
    assert fatal_code(big) == "file_too_large"
    assert big.fatal[0].reason == "The file is too large (60 MB); the maximum is 50 MB."


def test_too_many_entries() -> None:
    files = {f"f{i}.txt": b"x" for i in range(6)}
    report = parse("m.zip", make_zip(files), limits=PackageLimits(max_entries=5))
    assert fatal_code(report) == "too_many_entries"
    assert report.fatal[0].reason == "The package contains too many files (6); the maximum is 5."


def test_zip_bomb_by_compression_ratio() -> None:
    bomb = make_zip({"sites.json": b"[]", "zeros.bin": bytes(10 * 1024 * 1024)})
    assert len(bomb) < 100_000
    report = parse("bomb.zip", bomb)
    assert fatal_code(report) == "compression_ratio"
    assert "”zeros.bin” is compressed suspiciously tightly" in report.fatal[0].reason


def test_unpacked_size_and_single_file_limits() -> None:
    data = make_zip({"a.bin": b"a" * 3000, "b.bin": b"b" * 3000}, zipfile.ZIP_STORED)
    report = parse("m.zip", data, limits=PackageLimits(max_unpacked_bytes=5000))
    assert fatal_code(report) == "unpacked_too_large"
    report = parse("m.zip", data, limits=PackageLimits(max_file_bytes=2000))
    assert fatal_code(report) == "entry_too_large"


@pytest.mark.parametrize(
    "name",
    ["../evil.json", "kuvat/../../evil.png", "/etc/passwd", "C:/Windows/evil.dll", "a\\..\\evil"],
)
def test_paths_escaping_the_package_are_refused(name: str) -> None:
    report = parse("m.zip", make_zip({"sites.json": b"[]", name: b"x"}), lang="fi")
    assert fatal_code(report) == "unsafe_path"
    assert report.fatal[0].reason.startswith("Paketissa on vaarallinen polku")


def test_symlink_entries_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sites.json", b"[]")
        link = zipfile.ZipInfo("kuva.png")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    assert fatal_code(parse("m.zip", buffer.getvalue())) == "unsafe_path"


def test_encrypted_and_duplicate_entries_are_refused() -> None:
    data = bytearray(make_zip({"sites.json": b"[]", "secret.pdf": PDF}))
    # zipfile cannot encrypt; set the "encrypted" bit in the central directory record.
    record = data.rindex(b"secret.pdf") - 46  # the name follows a 46-byte header
    assert data[record : record + 4] == b"PK\x01\x02"
    data[record + 8] |= 0x1
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("secret.pdf").flag_bits & 0x1
    assert fatal_code(parse("m.zip", bytes(data))) == "encrypted_entry"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("sites.json", b"[]")
        archive.writestr("sites.json", b"[1]")
    assert fatal_code(parse("m.zip", buffer.getvalue())) == "duplicate_entry"


def test_nested_archives_are_refused_by_content() -> None:
    inner = make_zip({"sites.json": b"[]"})
    report = parse("m.zip", make_zip({"sites.json": b"[]", "kuvat/kuva.jpg": inner}))
    assert fatal_code(report) == "nested_archive"
    assert report.fatal[0].reason == (
        "The package contains another archive (”kuvat/kuva.jpg”); nested archives are not accepted."
    )
    gz = make_zip({"sites.json": b"[]", "data.bin": b"\x1f\x8b\x08\x00" + bytes(20)})
    assert fatal_code(parse("m.zip", gz)) == "nested_archive"


def test_a_jpg_that_is_really_text_is_refused() -> None:
    data = manifest_zip([site_json(attachments=["kuva.jpg"])], **{"kuva.jpg": b"hello, world\n"})
    report = parse("m.zip", data)
    assert codes(report) == [(1, "attachments", "attachment_type")]
    assert report.rows[0].errors[0].reason == (
        "By its content, the attachment ”kuva.jpg” is not a JPEG, PNG, WebP or PDF file "
        "(it is text)."
    )


def test_damaged_image_is_refused() -> None:
    broken = png()[:40]
    data = manifest_zip([site_json(attachments=["a.png"])], **{"a.png": broken})
    assert codes(parse("m.zip", data)) == [(1, "attachments", "image_invalid")]


def test_png_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = bilevel_png(20_000, 20_000)  # 400 megapixels
    assert len(bomb) < 200_000
    data = manifest_zip([site_json(attachments=["pommi.png"])], **{"pommi.png": bomb})
    report = parse("m.zip", data, lang="fi")
    assert [(e.field, e.code, e.reason) for e in report.rows[0].errors] == [
        ("attachments", "image_too_large", "Kuva ”pommi.png” on liian suuri: yli 40 megapikseliä.")
    ]


def test_image_over_our_pixel_limit_but_under_pillows_is_refused() -> None:
    large = bilevel_png(8000, 6000)  # 48 megapixels: below Pillow's own warning threshold
    data = manifest_zip([site_json(attachments=["iso.png"])], **{"iso.png": large})
    assert codes(parse("m.zip", data)) == [(1, "attachments", "image_too_large")]
    assert parse("m.zip", data, limits=PackageLimits(max_image_pixels=50_000_000)).ok


LAUGHS_DTD = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
SHARED_STRINGS_TYPE = (
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def billion_laughs_xlsx(part: str) -> bytes:
    """A real workbook with a billion-laughs entity in its shared strings (which
    openpyxl 3.1 does not write itself, so the part is added) or in the sheet."""
    source = xlsx([["kind", "name_fi", "municipality_code"], ["other", "nimi", "205"]])
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(source)) as original:
        for name in original.namelist():
            files[name] = original.read(name)
    if part == "xl/sharedStrings.xml":
        files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
            + SHARED_STRINGS_TYPE
            + b'" /></Types>',
        )
        files[part] = LAUGHS_DTD + (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
        )
    else:
        body = files[part].split(b"?>", 1)[-1].replace(b"<t>nimi</t>", b"<t>&lol9;</t>")
        files[part] = LAUGHS_DTD + body
    return make_zip(files)


XML_PARTS = ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize("part", XML_PARTS)
def test_openpyxl_parses_xlsx_through_defusedxml(part: str) -> None:
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(ValueError, match="Unable to read workbook") as raised:
        openpyxl.load_workbook(io.BytesIO(billion_laughs_xlsx(part)), read_only=True)
    # openpyxl wraps the parser's refusal; the refusal itself comes from defusedxml.
    assert isinstance(raised.value.__cause__, EntitiesForbidden)
    assert raised.value.__cause__.name == "lol"


@pytest.mark.parametrize("part", XML_PARTS)
def test_xlsx_with_billion_laughs_is_refused(part: str) -> None:
    report = parse("pommi.xlsx", billion_laughs_xlsx(part), lang="fi")
    assert fatal_code(report) == "xml_entities"
    assert report.fatal[0].reason.startswith("Taulukossa on XML-entiteettimäärityksiä")


def test_xlsx_is_refused_when_defusedxml_is_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    data = xlsx([["kind", "name_fi", "municipality_code"], ["other", "nimi", "205"]])
    assert fatal_code(parse("k.xlsx", data)) == "xml_parser_unsafe"


def test_formulas_stay_literal_text_and_are_never_evaluated() -> None:
    formula = '=HYPERLINK("http://evil.example/","Klikkaa")'
    data = xlsx(
        [
            ["external_ref", "kind", "name_fi", "municipality_code", "area_ha"],
            ["K-1", "other", formula, "205", None],
            ["K-2", "other", "Nimi", "205", "=1+1"],
        ]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # it really is a formula cell
        assert b"<f>HYPERLINK(" in archive.read("xl/worksheets/sheet1.xml")
    report = parse("k.xlsx", data)
    first, second = report.rows
    assert first.draft is not None
    assert first.draft.name_fi == formula
    assert [(w.field, w.code) for w in first.warnings] == [("name_fi", "formula_as_text")]
    assert second.draft is None
    assert [(e.field, e.code) for e in second.errors] == [("area_ha", "invalid_number")]
    csv_report = parse("k.csv", f"{HEADER}\nK;other;=cmd|'/c calc'!A1;205\n".encode())
    assert csv_report.rows[0].draft is not None
    assert csv_report.rows[0].draft.name_fi == "=cmd|'/c calc'!A1"


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (PDF, "PDF"),
        (png(), "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel 97-2003 / OLE2"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "gzip"),
        (b"MZ\x90\x00" + bytes(60), "Windows executable"),
        (bytes(range(256)), "binary"),
    ],
)
def test_other_file_types_are_refused_by_content(content: bytes, detected: str) -> None:
    report = parse("sites.csv", content)  # the name says CSV; the content decides
    assert fatal_code(report) == "unsupported_type"
    assert f"(by its content: {detected})" in report.fatal[0].reason


def test_xlsb_and_damaged_archives_are_refused() -> None:
    xlsb = make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"})
    assert fatal_code(parse("k.xlsb", xlsb)) == "unsupported_type"
    assert fatal_code(parse("k.zip", b"PK\x03\x04garbage")) == "corrupt_archive"
    fake_xlsx = make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<nope"})
    assert fatal_code(parse("k.xlsx", fake_xlsx)) == "xlsx_invalid"


# --- catalogue and columns ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_package_texts_are_translated(lang: str) -> None:
    from app.domain.packages.template import _FILL_IN, _FORMULAS, _GUIDE_HEADINGS, _TYPE_HELP

    texts = {
        *MESSAGES.values(),
        *(column.help for column in COLUMNS),
        *_TYPE_HELP.values(),
        *(heading for heading in _GUIDE_HEADINGS if heading),
        _FILL_IN,
        _FORMULAS,
    }
    path = ROOT / "app" / "locale" / lang / "LC_MESSAGES" / "packages.po"
    with path.open("rb") as po_file:
        catalog = {message.id: message.string for message in read_po(po_file) if message.id}
    assert sorted(text for text in texts if not catalog.get(text)) == []
    for text in texts:  # the same placeholders, filled after translation
        assert set(re.findall(r"{\w+}", catalog[text])) == set(re.findall(r"{\w+}", text))


def test_package_catalogue_has_no_site_rule_texts() -> None:
    # The site rules' reasons come from the shared form-error catalogue only.
    assert set(MESSAGES).isdisjoint(SITE_REASONS)


def test_header_normalisation_and_aliases() -> None:
    assert normalise_key(" Pinta-ala (ha) ") == "pinta_ala_ha"
    assert normalise_key("Käyttötarkoitus") == "kayttotarkoitus"
    assert normalise_key("Vesi m³/vrk") == "vesi_m3_vrk"
    keys = [key for column in COLUMNS for key in (column.name, *column.aliases)]
    assert len(keys) == len(set(keys))  # one meaning per header
    assert all(normalise_key(key) == key for key in keys)  # stored as they are matched
