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
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, NoReturn

import openpyxl
import yaml
from defusedxml import DefusedXmlException
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image

from app.domain.errors import FieldError, ValidationFailed
from app.domain.geo import TM35FIN, WGS84, CoordinateError, Crs, guess_crs, to_wgs84
from app.domain.inputs import parse_date
from app.domain.sites import (
    LABELS,
    Lang,
    Ownership,
    PermitStatus,
    SiteDraft,
    SiteKind,
    SiteRegion,
    Tenure,
    ZoningStatus,
    format_number,
    label,
    municipality_list,
    normalise_lang,
    shown,
    site_error,
    validate_site,
)
from app.domain.spreadsheets import append_row, typed_text
from app.domain.textfiles import UnknownEncoding, decode_text, extra_cells

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


# Reasons of the package checks. The site rules' reasons are not repeated here: a
# report renders them through the caller's `describe_site_error`, i.e. the shared
# form-error catalogue the staff forms use.
MESSAGES: Final[Mapping[str, Mapping[Lang, str]]] = {
    "location.file": {"fi": "{file}", "en": "{file}"},
    "location.row": {"fi": "rivi {row}", "en": "row {row}"},
    "location.site": {"fi": "kohde {row}", "en": "site {row}"},
    "location.field": {"fi": "kenttä {field}", "en": "field {field}"},
    "file_too_large": {
        "fi": "Tiedosto on liian suuri ({size}); suurin sallittu koko on {max}.",
        "en": "The file is too large ({size}); the maximum is {max}.",
    },
    "empty_file": {"fi": "Tiedosto on tyhjä.", "en": "The file is empty."},
    "unsupported_type": {
        "fi": "Tiedostotyyppiä ei tueta (sisällön perusteella {detected}). Lähetä ZIP-paketti, "
        "XLSX-taulukko tai CSV-tiedosto.",
        "en": "This file type is not supported (by its content: {detected}). Send a ZIP "
        "package, an XLSX spreadsheet or a CSV file.",
    },
    "not_utf8": {
        "fi": "{file} ei ole tekstiä UTF-8- eikä Windows-1252-merkistössä. Tallenna se "
        "UTF-8-muodossa (Excelissä: ”CSV UTF-8 (pilkuin erotettu)”).",
        "en": "{file} is not text in UTF-8 or Windows-1252. Save it as UTF-8 "
        "(in Excel: “CSV UTF-8 (Comma delimited)”).",
    },
    "too_many_cells": {
        "fi": "Rivillä on {count} solua, mutta otsikkorivillä vain {headers} saraketta: "
        "jossakin arvossa on ehkä lainausmerkitön puolipiste tai pilkku (esimerkiksi "
        "desimaalipilkku pilkuin erotetussa tiedostossa). Riviä ei luettu.",
        "en": "The row has {count} cells but the header row only {headers} columns: a value "
        "may contain an unquoted semicolon or comma (e.g. a decimal comma in a "
        "comma-separated file). The row was not read.",
    },
    "corrupt_archive": {
        "fi": "ZIP-tiedosto on vioittunut eikä sitä voi lukea.",
        "en": "The ZIP file is damaged and cannot be read.",
    },
    "too_many_entries": {
        "fi": "Paketissa on liikaa tiedostoja ({count}); enintään {max}.",
        "en": "The package contains too many files ({count}); the maximum is {max}.",
    },
    "unsafe_path": {
        "fi": "Paketissa on vaarallinen polku {path} (absoluuttinen polku, ”..” tai linkki). "
        "Paketti hylättiin.",
        "en": "The package contains an unsafe path {path} (absolute, “..” or a link). "
        "The package was refused.",
    },
    "encrypted_entry": {
        "fi": "Tiedosto {path} on salattu; salattuja tiedostoja ei hyväksytä.",
        "en": "{path} is encrypted; encrypted files are not accepted.",
    },
    "duplicate_entry": {
        "fi": "Paketissa on kaksi tiedostoa samalla nimellä {path}.",
        "en": "The package contains two files named {path}.",
    },
    "entry_too_large": {
        "fi": "Tiedosto {path} on purettuna liian suuri ({size}); enintään {max}.",
        "en": "{path} is too large when unpacked ({size}); the maximum is {max}.",
    },
    "unpacked_too_large": {
        "fi": "Paketti on purettuna liian suuri ({size}); enintään {max}.",
        "en": "The package is too large when unpacked ({size}); the maximum is {max}.",
    },
    "compression_ratio": {
        "fi": "{path} on pakattu epäilyttävän tiiviisti (suhde {ratio}:1, enintään {max}:1). "
        "Paketti hylättiin mahdollisena pakkauspommina.",
        "en": "{path} is compressed suspiciously tightly (ratio {ratio}:1, maximum {max}:1). "
        "The package was refused as a possible zip bomb.",
    },
    "nested_archive": {
        "fi": "Paketin sisällä on toinen arkisto ({path}); sisäkkäisiä paketteja ei hyväksytä.",
        "en": "The package contains another archive ({path}); nested archives are not accepted.",
    },
    "manifest_missing": {
        "fi": "Paketista puuttuu kuvaustiedosto: sites.json, sites.yaml tai datapackage.json.",
        "en": "The package has no manifest: sites.json, sites.yaml or datapackage.json.",
    },
    "multiple_manifests": {
        "fi": "Paketissa on useita kuvaustiedostoja ({files}); jätä vain yksi.",
        "en": "The package has several manifests ({files}); keep only one.",
    },
    "manifest_syntax": {
        "fi": "Tiedostoa {file} ei voi lukea: virhe rivillä {line}, sarakkeessa {column}.",
        "en": "{file} cannot be read: error at line {line}, column {column}.",
    },
    "manifest_structure": {
        "fi": "Tiedostossa {file} on oltava kohdeluettelo ”sites”.",
        "en": "{file} must contain a list of sites under “sites”.",
    },
    "yaml_aliases": {
        "fi": "YAML-viittauksia (& ja *) ei sallita tiedostossa {file}.",
        "en": "YAML anchors and aliases (& and *) are not allowed in {file}.",
    },
    "resource_missing": {
        "fi": "datapackage.json ei nimeä kohdeaineistoa, tai tiedostoa {path} ei ole paketissa.",
        "en": "datapackage.json names no site resource, or {path} is not in the package.",
    },
    "remote_resource": {
        "fi": "Verkko-osoitteita ({path}) ei haeta; liitä aineisto pakettiin.",
        "en": "Web addresses ({path}) are not fetched; include the data in the package.",
    },
    "xml_entities": {
        "fi": "Taulukossa on XML-entiteettimäärityksiä, joita ei turvallisuussyistä hyväksytä. "
        "Tallenna tiedosto uudelleen Excelissä.",
        "en": "The spreadsheet contains XML entity declarations, which are refused for "
        "security reasons. Save the file again in Excel.",
    },
    "xml_parser_unsafe": {
        "fi": "XLSX-tiedostoja ei voi nyt käsitellä turvallisesti (defusedxml ei ole käytössä). "
        "Lähetä tiedot CSV-muodossa.",
        "en": "XLSX files cannot be processed safely right now (defusedxml is not in use). "
        "Send the data as CSV.",
    },
    "xlsx_invalid": {
        "fi": "XLSX-taulukkoa ei voi lukea; tallenna se uudelleen Excelissä.",
        "en": "The XLSX spreadsheet cannot be read; save it again in Excel.",
    },
    "csv_malformed": {
        "fi": "Tiedostoa {file} ei voi lukea rivin {line} kohdalta.",
        "en": "{file} cannot be read at line {line}.",
    },
    "no_header": {
        "fi": "Taulukosta puuttuu otsikkorivi.",
        "en": "The table has no header row.",
    },
    "no_known_columns": {
        "fi": "Ensimmäisen rivin on oltava otsikkorivi, mutta yhtäkään sarakenimeä ei "
        "tunnistettu. Käytä mallitaulukon sarakkeita.",
        "en": "The first row must be the header row, but no column name was recognised. "
        "Use the columns of the template.",
    },
    "missing_columns": {
        "fi": "Pakollisia sarakkeita puuttuu: {columns}.",
        "en": "Required columns are missing: {columns}.",
    },
    "duplicate_column": {
        "fi": "Sarake {column} on annettu kahdesti ({headers}).",
        "en": "Column {column} is given twice ({headers}).",
    },
    "too_many_rows": {
        "fi": "Paketissa on liikaa kohteita; enintään {max}.",
        "en": "The package has too many sites; the maximum is {max}.",
    },
    "no_rows": {
        "fi": "Paketissa ei ole yhtään kohdetta.",
        "en": "The package contains no sites.",
    },
    "unknown_column": {
        "fi": "Tuntematon sarake tai kenttä {column} ohitettiin.",
        "en": "Unknown column or key {column} was ignored.",
    },
    "invalid_site_entry": {
        "fi": "Kohteen tietojen on oltava avain–arvo-pareja.",
        "en": "A site entry must be a mapping of keys to values.",
    },
    "invalid_value": {
        "fi": "Arvo {value} ei kelpaa tähän kenttään.",
        "en": "The value {value} is not valid for this field.",
    },
    "invalid_number": {"fi": "Arvo {value} ei ole luku.", "en": "{value} is not a number."},
    "invalid_integer": {
        "fi": "Arvo {value} ei ole kokonaisluku.",
        "en": "{value} is not a whole number.",
    },
    "invalid_boolean": {
        "fi": "Arvo {value} ei ole kyllä/ei-tieto (kyllä, ei, x, 1, 0).",
        "en": "{value} is not a yes/no value (yes, no, x, 1, 0).",
    },
    "invalid_date": {
        "fi": "Päivämäärä {value} ei kelpaa; käytä muotoa 31.12.2025 tai 2025-12-31.",
        "en": "{value} is not a valid date; use 2025-12-31 or 31.12.2025.",
    },
    "invalid_choice": {
        "fi": "Arvo {value} ei ole sallittu. Sallitut: {allowed}.",
        "en": "{value} is not allowed. Allowed: {allowed}.",
    },
    "invalid_crs": {
        "fi": "Koordinaattijärjestelmää {value} ei tueta; käytä EPSG:4326 (WGS84) tai "
        "EPSG:3067 (ETRS-TM35FIN).",
        "en": "Coordinate system {value} is not supported; use EPSG:4326 (WGS84) or "
        "EPSG:3067 (ETRS-TM35FIN).",
    },
    "invalid_coordinates": {
        "fi": "Koordinaatteja {x}, {y} ei voi muuntaa järjestelmästä {crs}.",
        "en": "The coordinates {x}, {y} cannot be converted from {crs}.",
    },
    "coordinates_interpreted": {
        "fi": "Leveys- ja pituusastesarakkeissa on ETRS-TM35FIN-koordinaatit (metrejä); "
        "ne muunnettiin WGS84-järjestelmään.",
        "en": "The latitude and longitude columns hold ETRS-TM35FIN coordinates (metres); "
        "they were converted to WGS84.",
    },
    "coordinates_reordered": {
        "fi": "Itä- ja pohjoiskoordinaatti olivat väärin päin; ne vaihdettiin.",
        "en": "Easting and northing were the wrong way round; they were swapped.",
    },
    "coordinates_disagree": {
        "fi": "WGS84- ja ETRS-TM35FIN-koordinaatit osoittavat eri paikkoihin "
        "({distance} m:n päähän toisistaan).",
        "en": "The WGS84 and ETRS-TM35FIN coordinates point to different places "
        "({distance} m apart).",
    },
    "invalid_polygon_format": {
        "fi": "Aluerajaus ei ole GeoJSON- eikä WKT-muotoinen monikulmio (POLYGON).",
        "en": "The boundary is not a GeoJSON or WKT polygon (POLYGON).",
    },
    "polygon_too_complex": {
        "fi": "Aluerajauksessa on liikaa pisteitä ({count}); enintään {max}.",
        "en": "The boundary has too many points ({count}); the maximum is {max}.",
    },
    "formula_as_text": {
        "fi": "Arvo alkaa =-merkillä; se luettiin tekstinä, kaavaa ei laskettu.",
        "en": "The value starts with “=”; it was read as text and not evaluated as a formula.",
    },
    "duplicate_external_ref": {
        "fi": "Tunnus {value} on paketissa useammin kuin kerran (kohteet {rows}).",
        "en": "The reference {value} appears more than once in the package (sites {rows}).",
    },
    "external_ref_missing": {
        "fi": "Kohteelta puuttuu kunnan oma tunnus (external_ref); uudelleen ladattaessa "
        "se tunnistetaan kunnan ja nimen perusteella, joten nimen muuttaminen luo uuden kohteen.",
        "en": "The site has no municipal reference (external_ref); on a later upload it is "
        "recognised by municipality and name, so renaming it will create a new site.",
    },
    "invalid_attachment_ref": {
        "fi": "Liiteviittaus {value} ei kelpaa.",
        "en": "The attachment reference {value} is not valid.",
    },
    "attachment_missing": {
        "fi": "Liitettä {path} ei löydy paketista.",
        "en": "The attachment {path} is not in the package.",
    },
    "attachment_type": {
        "fi": "Liite {path} ei sisältönsä perusteella ole JPEG-, PNG-, WebP- tai PDF-tiedosto "
        "(se on {detected}).",
        "en": "By its content, the attachment {path} is not a JPEG, PNG, WebP or PDF file "
        "(it is {detected}).",
    },
    "attachment_kind_mismatch": {
        "fi": "Liite {path} on merkitty valokuvaksi, mutta se ei ole kuva.",
        "en": "The attachment {path} is marked as a photo but is not an image.",
    },
    "image_invalid": {"fi": "Kuva {path} on vioittunut.", "en": "The image {path} is damaged."},
    "image_too_large": {
        "fi": "Kuva {path} on liian suuri: yli {max} megapikseliä.",
        "en": "The image {path} is too large: over {max} megapixels.",
    },
    "attachments_need_zip": {
        "fi": "Liitteet voi toimittaa vain ZIP-paketissa; taulukon liitesarake ohitettiin.",
        "en": "Attachments can only be delivered in a ZIP package; the attachments column "
        "was ignored.",
    },
    "site_archived": {
        "fi": "Kohde {value} on arkistoitu eikä sitä voi päivittää paketilla.",
        "en": "The site {value} is archived and cannot be updated by a package.",
    },
    "duplicate_name": {
        "fi": "Tunnuksettomia kohteita samalla nimellä {value} on paketissa useampi "
        "(kohteet {rows}); anna niille tunnukset (external_ref).",
        "en": "Several sites without a reference share the name {value} (sites {rows}); "
        "give them references (external_ref).",
    },
    "ambiguous_name": {
        "fi": "Kunnalla on jo useita tunnuksettomia kohteita nimellä {value}; anna kohteelle "
        "tunnus (external_ref), jotta oikea kohde päivittyy.",
        "en": "The municipality already has several sites without a reference named {value}; "
        "give the site a reference (external_ref) so the right one is updated.",
    },
    "unreferenced_file": {
        "fi": "Tiedostoa {path} ei mainita kuvaustiedostossa; se ohitettiin.",
        "en": "{path} is not named in the manifest; it was ignored.",
    },
}


def message(code: str, lang: str, **params: object) -> str:
    return MESSAGES[code][normalise_lang(lang)].format(**params)


# --- columns -----------------------------------------------------------------------


class ColumnType(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"
    MUNICIPALITY = "municipality"
    CODES = "codes"
    COORDINATE = "coordinate"
    CRS = "crs"
    POLYGON = "polygon"
    ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class Column:
    name: str  # the SiteDraft field, or a package-only key (coordinates, attachments)
    value_type: ColumnType
    aliases: tuple[str, ...]  # normalised: lower case, ä/ö/å folded, "_" between words
    help_fi: str
    help_en: str
    example: object = None  # value in the template's example row
    choices: type[StrEnum] | None = None
    required: bool = False


_T = ColumnType
# fmt: off
# The single table of package columns and manifest keys: names, Finnish aliases, the
# template's guide and example row all come from here.
COLUMNS: Final[tuple[Column, ...]] = (
    Column("external_ref", _T.TEXT, ("tunnus", "kunnan_tunnus", "oma_tunnus", "id", "viite"),
           "Kunnan oma tunnus. Sama tunnus uudelleen ladattaessa päivittää kohteen eikä luo uutta.",
           "The municipality's own ID. Uploading the same ID again updates the site instead of "
           "creating a new one.", "KAJ-EX-001"),
    Column("kind", _T.CHOICE, ("tyyppi", "kohdetyyppi", "laji"),
           "Kohteen tyyppi.", "Kind of site.", "industrial_plot", SiteKind, required=True),
    Column("name_fi", _T.TEXT, ("nimi", "nimi_fi", "kohteen_nimi"),
           "Nimi suomeksi.", "Name in Finnish.", "Esimerkkitontti, Kajaani", required=True),
    Column("name_en", _T.TEXT, ("nimi_en", "englanninkielinen_nimi"),
           "Nimi englanniksi; jos puuttuu, käytetään suomenkielistä.",
           "Name in English; the Finnish name is used when missing.",
           "Example plot, Kajaani"),
    Column("description_fi", _T.TEXT, ("kuvaus", "kuvaus_fi"),
           "Kuvaus suomeksi.", "Description in Finnish.",
           "Asemakaavoitettu teollisuustontti hyvien yhteyksien varrella."),
    Column("description_en", _T.TEXT, ("kuvaus_en",),
           "Kuvaus englanniksi.", "Description in English.",
           "Zoned industrial plot with good connections."),
    Column("municipality_code", _T.MUNICIPALITY,
           ("municipality", "kunta", "kuntakoodi", "kunnan_koodi", "kunnan_nimi"),
           "Kunta: Tilastokeskuksen kuntakoodi (esim. 205) tai nimi (Kajaani).",
           "Municipality: Statistics Finland code (e.g. 205) or name (Kajaani).", "205",
           required=True),
    Column("address", _T.TEXT, ("osoite", "katuosoite"),
           "Katuosoite.", "Street address.", "Esimerkkikatu 1, 87100 Kajaani"),
    Column("latitude", _T.COORDINATE, ("lat", "leveysaste", "leveys"),
           "Leveysaste, WGS84 (esim. 64,2270).", "Latitude, WGS84 (e.g. 64.2270).", 64.2270),
    Column("longitude", _T.COORDINATE, ("lon", "lng", "pituusaste", "pituus"),
           "Pituusaste, WGS84 (esim. 27,7285).", "Longitude, WGS84 (e.g. 27.7285).", 27.7285),
    Column("easting", _T.COORDINATE,
           ("e", "x", "ita", "itakoordinaatti", "ita_koordinaatti"),
           "Itäkoordinaatti, ETRS-TM35FIN (metriä). Anna joko leveys- ja pituusaste tai itä- "
           "ja pohjoiskoordinaatti.",
           "Easting, ETRS-TM35FIN (metres). Give either latitude and longitude or easting and "
           "northing."),
    Column("northing", _T.COORDINATE,
           ("n", "y", "pohjoinen", "pohjoiskoordinaatti", "pohjois_koordinaatti"),
           "Pohjoiskoordinaatti, ETRS-TM35FIN (metriä).", "Northing, ETRS-TM35FIN (metres)."),
    Column("crs", _T.CRS, ("coordinate_system", "koordinaattijarjestelma", "koordinaatisto"),
           "EPSG:4326 (WGS84) tai EPSG:3067 (ETRS-TM35FIN). Oletus: WGS84 leveys- ja "
           "pituusasteelle, ETRS-TM35FIN itä- ja pohjoiskoordinaatille.",
           "EPSG:4326 (WGS84) or EPSG:3067 (ETRS-TM35FIN). Default: WGS84 for latitude and "
           "longitude, ETRS-TM35FIN for easting and northing.", "EPSG:4326"),
    Column("polygon", _T.POLYGON,
           ("aluerajaus", "rajaus", "alue", "geometry", "geometria", "wkt"),
           "Alueen rajaus WKT- (POLYGON((x y, ...))) tai GeoJSON-muodossa, samassa "
           "koordinaattijärjestelmässä kuin sijainti.",
           "Boundary as WKT (POLYGON((x y, ...))) or GeoJSON, in the same coordinate system "
           "as the location."),
    Column("area_ha", _T.DECIMAL, ("pinta_ala_ha", "ala_ha", "hehtaarit"),
           "Pinta-ala hehtaareina.", "Area in hectares.", 2.5),
    Column("area_m2", _T.DECIMAL, ("pinta_ala_m2", "ala_m2", "neliometrit"),
           "Pinta-ala neliömetreinä; täsmättävä hehtaarien kanssa (1 ha = 10 000 m²).",
           "Area in square metres; must match the hectares (1 ha = 10,000 m²).", 25000),
    Column("floor_area_m2", _T.DECIMAL, ("kerrosala_m2", "kerrosala", "huoneistoala_m2"),
           "Kerrosala neliömetreinä (toimitilat).", "Floor area in square metres (premises)."),
    Column("zoning_status", _T.CHOICE, ("kaavatilanne", "kaava", "kaavoitus"),
           "Kaavatilanne.", "Zoning status.", "detailed_plan", ZoningStatus),
    Column("permitted_use", _T.TEXT, ("kayttotarkoitus", "kaavamerkinta"),
           "Kaavan mukainen käyttötarkoitus.", "Permitted use under the plan.",
           "T (teollisuusrakennusten korttelialue)"),
    Column("ownership", _T.CHOICE, ("omistus", "omistaja"),
           "Omistaja.", "Ownership.", "municipal", Ownership),
    Column("tenure", _T.CHOICE, ("luovutustapa", "myynti_vuokra", "myynti_tai_vuokraus"),
           "Myynti vai vuokraus.", "Sale or lease.", "sale_or_lease", Tenure),
    Column("price_eur", _T.INTEGER, ("hinta", "hinta_eur", "hinta_euroa"),
           "Hinta kokonaisina euroina.", "Price in whole euros.", 50000),
    Column("price_terms", _T.TEXT, ("hintaehdot", "ehdot", "hinnoittelu"),
           "Hinta- tai vuokraehdot sanallisesti.", "Price or lease terms in words.",
           "Hinta neuvoteltavissa."),
    Column("available_from", _T.DATE, ("saatavilla", "saatavilla_alkaen", "vapautuu"),
           "Päivä, josta alkaen kohde on saatavilla.", "Date from which the site is available.",
           date(2025, 1, 1)),
    Column("grid_connection", _T.BOOLEAN, ("sahkoliittyma", "verkkoliittyma"),
           "Onko sähköverkkoliittymä.", "Whether there is a grid connection.", "kyllä"),
    Column("available_power_mw", _T.DECIMAL,
           ("teho_mw", "sahkoteho_mw", "kaytettavissa_oleva_teho_mw", "power_mw"),
           "Käytettävissä oleva sähköteho (MW).", "Available electric power (MW).", 5),
    Column("substation_110kv_km", _T.DECIMAL, ("sahkoasema_110kv_km", "etaisyys_110kv_km"),
           "Etäisyys lähimmälle 110 kV:n sähköasemalle (km).",
           "Distance to the nearest 110 kV substation (km).", 2.5),
    Column("substation_400kv_km", _T.DECIMAL, ("sahkoasema_400kv_km", "etaisyys_400kv_km"),
           "Etäisyys lähimmälle 400 kV:n sähköasemalle (km).",
           "Distance to the nearest 400 kV substation (km).", 30),
    Column("water_m3_per_day", _T.DECIMAL, ("vesi_m3_vrk", "vesi_m3_d", "water_m3_d"),
           "Vesihuollon kapasiteetti (m³/vrk).", "Water supply capacity (m³/day).", 200),
    Column("wastewater_m3_per_day", _T.DECIMAL,
           ("jatevesi_m3_vrk", "jatevesi_m3_d", "wastewater_m3_d"),
           "Jätevesikapasiteetti (m³/vrk).", "Wastewater capacity (m³/day).", 150),
    Column("district_heat", _T.BOOLEAN, ("kaukolampo",),
           "Onko kaukolämpö.", "Whether district heat is available.", "kyllä"),
    Column("gas", _T.BOOLEAN, ("kaasu", "maakaasu"),
           "Onko kaasuliittymä.", "Whether gas is available.", "ei"),
    Column("rail_siding", _T.BOOLEAN, ("raide", "raideyhteys", "pistoraide"),
           "Onko pistoraide tai raideyhteys.", "Whether there is a rail siding.", "kyllä"),
    Column("road_km", _T.DECIMAL,
           ("main_road_km", "valtatie_km", "paatie_km", "etaisyys_paatielle_km"),
           "Etäisyys lähimmälle päätielle (km).", "Distance to the nearest main road (km).", 1.2),
    Column("airport_km", _T.DECIMAL, ("lentoasema_km", "lentokentta_km"),
           "Etäisyys lentoasemalle (km).", "Distance to the airport (km).", 8),
    Column("port_km", _T.DECIMAL, ("satama_km",),
           "Etäisyys satamaan (km).", "Distance to the port (km).", 190),
    Column("fibre", _T.BOOLEAN, ("valokuitu", "kuitu", "fiber"),
           "Onko valokuituyhteys.", "Whether fibre broadband is available.", "kyllä"),
    Column("environmental_permit", _T.CHOICE, ("ymparistolupa",),
           "Ympäristöluvan tilanne.", "Environmental permit status.", "not_needed",
           PermitStatus),
    Column("industry_codes", _T.CODES, ("industries", "toimialat", "avaintoimialat"),
           "Soveltuvat avaintoimialat koodeina tai niminä puolipisteellä erotettuina.",
           "Suitable key industries as codes or names, separated by semicolons.",
           "metal_machinery; mining_chemicals"),
    Column("contact_name", _T.TEXT, ("yhteyshenkilo",),
           "Yhteyshenkilön nimi.", "Contact person's name.", "Maija Esimerkki"),
    Column("contact_email", _T.TEXT, ("email", "sahkoposti", "yhteyshenkilon_sahkoposti"),
           "Yhteyshenkilön sähköposti.", "Contact person's e-mail.", "maija.esimerkki@kajaani.fi"),
    Column("contact_phone", _T.TEXT, ("phone", "puhelin", "puhelinnumero"),
           "Yhteyshenkilön puhelinnumero.", "Contact person's phone number.", "+358 40 123 4567"),
    Column("last_verified_on", _T.DATE,
           ("last_verified", "tarkistettu", "tarkistettu_pvm", "tiedot_tarkistettu"),
           "Päivä, jona tiedot on viimeksi tarkistettu.", "Date the data was last verified.",
           date(2025, 1, 15)),
    Column("attachments", _T.ATTACHMENTS, ("liitteet", "tiedostot"),
           "Vain ZIP-paketissa: liitteiden polut paketissa puolipisteellä erotettuina; tyypin "
           "voi antaa etuliitteellä kuva:, asiakirja: tai kartta: (esim. kartta:kartat/a.pdf).",
           "ZIP packages only: paths of the attachments in the package separated by semicolons; "
           "prefix photo:, document: or map: to set the kind (e.g. map:maps/a.pdf)."),
)
# fmt: on

_FOLD: Final = str.maketrans({"ä": "a", "ö": "o", "å": "a", "²": "2", "³": "3"})


def normalise_key(text: str) -> str:
    """Header or key as matched: "Pinta-ala (ha)" -> "pinta_ala_ha"."""
    folded = unicodedata.normalize("NFC", text).strip().casefold().translate(_FOLD)
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _alias_table() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in COLUMNS:
        for key in (column.name, *column.aliases):
            if table.setdefault(key, column) is not column:
                raise ValueError(f"column alias {key!r} is used twice")
    return table


_COLUMN_BY_KEY: Final = _alias_table()
# Columns read by their own step rather than one value per draft field.
_SPECIAL_TYPES: Final = frozenset(
    {ColumnType.COORDINATE, ColumnType.CRS, ColumnType.POLYGON, ColumnType.ATTACHMENTS}
)
_REQUIRED_COLUMNS: Final = tuple(c.name for c in COLUMNS if c.required)

# Extra spellings of choice values beyond their codes and their fi/en labels.
_CHOICE_ALIASES: Final[Mapping[str, StrEnum]] = {
    "tontti": SiteKind.INDUSTRIAL_PLOT,
    "teollisuus": SiteKind.INDUSTRIAL_PLOT,
    "teollisuusalue": SiteKind.INDUSTRIAL_PLOT,
    "rakennus": SiteKind.PREMISES,
    "toimitilat": SiteKind.PREMISES,
    "datakeskus": SiteKind.DATA_CENTRE,
    "data_center": SiteKind.DATA_CENTRE,
    "energia": SiteKind.ENERGY,
    "uusiutuva_energia": SiteKind.ENERGY,
    "matkailu": SiteKind.TOURISM,
    "asemakaava": ZoningStatus.DETAILED_PLAN,
    "asemakaava_vireilla": ZoningStatus.DETAILED_PLAN_IN_PREPARATION,
    "ei": ZoningStatus.NONE,
    "kaupunki": Ownership.MUNICIPAL,
    "kunnan": Ownership.MUNICIPAL,
    "kaupungin": Ownership.MUNICIPAL,
    "valtion": Ownership.STATE,
    "vuokra": Tenure.LEASE,
    "myynti_vuokra": Tenure.SALE_OR_LEASE,
    "haettu": PermitStatus.PENDING,
}


def _choice_table(enum: type[StrEnum]) -> dict[str, StrEnum]:
    table: dict[str, StrEnum] = {}
    for member in enum:
        fi, en = LABELS[member]
        for key in (member.value, fi, en):
            table[normalise_key(key)] = member
    for key, member in _CHOICE_ALIASES.items():
        if isinstance(member, enum):
            table[key] = member
    return table


_CHOICES: Final[Mapping[type[StrEnum], Mapping[str, StrEnum]]] = {
    enum: _choice_table(enum) for enum in (SiteKind, ZoningStatus, Ownership, Tenure, PermitStatus)
}


def _name_keys(valid: Collection[str]) -> dict[str, str]:
    """Codes by their normalised names, where `valid` maps the region's codes to names."""
    if not isinstance(valid, Mapping):
        return {}
    return {normalise_key(name): code for code, name in valid.items()}


_BOOLEANS: Final = {
    **dict.fromkeys(("yes", "kylla", "k", "true", "tosi", "1", "x"), True),
    **dict.fromkeys(("no", "ei", "e", "false", "epatosi", "0"), False),
}
_CRS_KEYS: Final[Mapping[str, Crs]] = {
    **dict.fromkeys(("epsg_4326", "4326", "wgs84", "wgs_84"), WGS84),
    **dict.fromkeys(
        ("epsg_3067", "3067", "etrs_tm35fin", "tm35fin", "etrs89_tm35fin", "euref_fin_tm35fin"),
        TM35FIN,
    ),
}
_ATTACHMENT_KINDS: Final = {
    **dict.fromkeys(("photo", "kuva", "valokuva"), AttachmentKind.PHOTO),
    **dict.fromkeys(("document", "asiakirja", "dokumentti"), AttachmentKind.DOCUMENT),
    **dict.fromkeys(("map", "kartta"), AttachmentKind.MAP),
}

MANIFEST_NAMES: Final = ("sites.json", "sites.yaml", "sites.yml", "datapackage.json")
TEMPLATE_SHEET: Final = "Kohteet - Sites"
GUIDE_SHEET: Final = "Ohje - Guide"  # Excel forbids "/" in sheet names
_MAX_COLUMNS: Final = 128
_MAX_BLANK_ROWS: Final = 1000  # a run this long ends the table (formatted, empty rows)
_MAX_POLYGON_POINTS: Final = 10_000
_RATIO_FLOOR: Final = MB  # below this, tight compression cannot hurt
_COORDINATE_TOLERANCE_M: Final = 100.0
_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_FI_DATE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE: Final = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?")
_LIST_SEPARATORS: Final = re.compile(r"[;\n|]")
_JUNK_NAMES: Final = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_IMAGE_FORMATS: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

ZIP_MAGIC: Final = b"PK\x03\x04"
# Archive signatures refused inside a package: (offset, magic, name).
_ARCHIVE_MAGIC: Final = (
    (0, b"PK\x03\x04", "ZIP"),
    (0, b"PK\x05\x06", "ZIP"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "RAR"),
    (0, b"BZh", "bzip2"),
    (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (257, b"ustar", "tar"),
)
_OTHER_MAGIC: Final = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 / OLE2"),
    (b"MZ", "Windows executable"),
    (b"\x7fELF", "ELF executable"),
)


def sniff_content_type(data: bytes) -> str | None:
    """The accepted attachment type of `data` by its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _archive_kind(data: bytes) -> str | None:
    return next(
        (name for offset, magic, name in _ARCHIVE_MAGIC if data[offset:].startswith(magic)), None
    )


def describe_content(data: bytes) -> str:
    """What `data` is by content, for messages ("ZIP", "PNG", "text", "binary")."""
    found = _archive_kind(data) or next((n for m, n in _OTHER_MAGIC if data.startswith(m)), None)
    if found:
        return found
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if b"\x00" in data[:8192]:
        return "binary"
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still UTF-8 text.
        if exc.start < 8188:
            return "text (not UTF-8)"
    return "text"


# --- internal errors and context ------------------------------------------------


class _Refused(Exception):
    """The whole package is refused."""

    def __init__(self, code: str, file: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code, self.file = code, file
        self.params: dict[str, Any] = params


class _Invalid(Exception):
    """One value is refused."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = params


def _refuse(code: str, file: str | None = None, **params: object) -> NoReturn:
    raise _Refused(code, file, **params)


def _size(size: int, lang: str) -> str:
    if size < MB:
        return f"{-(-size // 1024)} kB"
    return f"{format_number(round(Decimal(size) / MB, 1), lang)} MB"


@dataclass
class _Context:
    filename: str
    lang: Lang
    describe_site_error: Callable[[FieldError], str]
    limits: PackageLimits
    municipalities: Collection[str]
    industries: Collection[str]
    region: SiteRegion
    today: date | None
    warnings: list[PackageIssue] = field(default_factory=list)
    warned: set[tuple[str, str]] = field(default_factory=set)
    encoding: str | None = None

    def decode(self, file: str, data: bytes) -> str:
        """A CSV table's text, in whichever accepted encoding it was saved."""
        try:
            decoded = decode_text(data)
        except UnknownEncoding:
            _refuse("not_utf8", file=file)
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
        parts = [message("location.file", self.lang, file=file)]
        if sheet_row is not None:
            parts.append(message("location.row", self.lang, row=sheet_row))
        elif row is not None:
            parts.append(message("location.site", self.lang, row=row))
        if field_name:
            parts.append(message("location.field", self.lang, field=field_name))
        if reason is None and code not in MESSAGES:
            # A site rule's code ("required", "unknown_municipality", …); its params are texts.
            texts = {name: str(value) for name, value in params.items()}
            reason = self.describe_site_error(site_error(field_name or "", code, **texts))
        return PackageIssue(
            code=code,
            reason=reason or message(code, self.lang, file=file, **params),
            location=", ".join(parts),
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


# --- entry point ---------------------------------------------------------------------


def parse_package(
    filename: str,
    data: bytes,
    *,
    lang: str,
    describe_site_error: Callable[[FieldError], str],
    limits: PackageLimits | None = None,
    valid_municipality_codes: Collection[str],
    valid_industry_codes: Collection[str],
    region: SiteRegion,
    today: date | None = None,
) -> PackageReport:
    """Read and validate a site package; never raises for anything in `data`.

    Pass the uploader's own municipality as `valid_municipality_codes` to keep a
    municipal contact within their municipality. `today` is for the "not in the
    future" checks and defaults to the current date in Finland. `describe_site_error`
    gives the reason of a site rule's error in the uploader's language.
    """
    stream = PackageStream.open(
        filename,
        lang=lang,
        describe_site_error=describe_site_error,
        limits=limits,
        valid_municipality_codes=valid_municipality_codes,
        valid_industry_codes=valid_industry_codes,
        region=region,
        today=today,
    )
    report = PackageReport(filename=filename)
    try:
        rows = list(stream.read(data))
        report.format, report.rows = stream.format, rows
    except PackageRefused as refused:
        report.fatal.append(refused.issue)
    report.warnings = stream.warnings
    report.encoding = stream.encoding
    _flag_duplicate_refs(stream, report.rows)
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

    def __init__(self, ctx: _Context) -> None:
        self._ctx = ctx
        self.format: PackageFormat | None = None

    @classmethod
    def open(
        cls,
        filename: str,
        *,
        lang: str,
        describe_site_error: Callable[[FieldError], str],
        limits: PackageLimits | None = None,
        valid_municipality_codes: Collection[str],
        valid_industry_codes: Collection[str],
        region: SiteRegion,
        today: date | None = None,
    ) -> PackageStream:
        """A reader with the arguments of `parse_package`."""
        return cls(
            _Context(
                filename=filename,
                lang=normalise_lang(lang),
                describe_site_error=describe_site_error,
                limits=limits or PackageLimits(),
                municipalities=valid_municipality_codes,
                industries=valid_industry_codes,
                region=region,
                today=today,
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
                _refuse("no_rows")
        except _Refused as refused:
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


def _parse(ctx: _Context, data: bytes) -> tuple[PackageFormat, Iterator[RowResult]]:
    limits = ctx.limits
    if len(data) > limits.max_upload_bytes:
        _refuse(
            "file_too_large",
            size=_size(len(data), ctx.lang),
            max=_size(limits.max_upload_bytes, ctx.lang),
        )
    if not data:
        _refuse("empty_file")
    if data.startswith(ZIP_MAGIC):
        archive = _Archive(ctx, data)
        if archive.kind == "xlsx":
            return PackageFormat.XLSX, _table_sites(ctx, ctx.filename, _xlsx_rows(ctx, data), None)
        if archive.kind != "package":
            _refuse("unsupported_type", detected=archive.kind)
        return _manifest_package(ctx, archive)
    detected = describe_content(data)
    if detected not in ("text", "text (not UTF-8)"):
        _refuse("unsupported_type", detected=detected)
    text = ctx.decode(ctx.filename, data)
    return PackageFormat.CSV, _table_sites(ctx, ctx.filename, _csv_rows(ctx.filename, text), None)


# --- ZIP archives ----------------------------------------------------------------------


def _unsafe_name(name: str) -> bool:
    path = name.replace("\\", "/")
    return (
        path.startswith("/")
        or re.match(r"[A-Za-z]:", path) is not None
        or "\x00" in path
        or ".." in path.split("/")
    )


def _is_junk(name: str) -> bool:
    """Operating-system clutter that zipping a folder adds (macOS, Windows)."""
    base = posixpath.basename(name)
    return name.startswith("__MACOSX/") or base in _JUNK_NAMES or base.startswith("._")


class _Archive:
    """A ZIP whose every entry has passed the safety checks; nothing is unpacked before."""

    def __init__(self, ctx: _Context, data: bytes) -> None:
        self.ctx = ctx
        limits = ctx.limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            _refuse("corrupt_archive")
        if len(infos) > limits.max_entries:
            _refuse("too_many_entries", count=len(infos), max=limits.max_entries)
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = unicodedata.normalize("NFC", info.filename)
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if _unsafe_name(name) or is_link:
                _refuse("unsafe_path", path=shown(name))
            if info.flag_bits & 0x1:
                _refuse("encrypted_entry", path=shown(name))
            if name in self.entries:
                _refuse("duplicate_entry", path=shown(name))
            if info.file_size > limits.max_file_bytes:
                _refuse(
                    "entry_too_large",
                    path=shown(name),
                    size=_size(info.file_size, ctx.lang),
                    max=_size(limits.max_file_bytes, ctx.lang),
                )
            # zipfile never returns more than the declared size, so the declared sizes
            # bound what unpacking can produce.
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
                _refuse(
                    "compression_ratio",
                    path=shown(name),
                    ratio=int(ratio),
                    max=limits.max_compression_ratio,
                )
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                _refuse(
                    "unpacked_too_large",
                    size=_size(sum(i.file_size for i in infos), ctx.lang),
                    max=_size(limits.max_unpacked_bytes, ctx.lang),
                )
            if not info.is_dir():
                self.entries[name] = info
        overall = total / len(data)
        if total > _RATIO_FLOOR and overall > limits.max_compression_ratio:
            _refuse(
                "compression_ratio",
                path=shown(ctx.filename),
                ratio=int(overall),
                max=limits.max_compression_ratio,
            )
        self.referenced: set[str] = set()
        self._cache: dict[str, bytes] = {}
        self.kind = self._kind()

    def _kind(self) -> str:
        names = self.entries.keys()
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "Excel binary workbook (.xlsb)"
        if "mimetype" in names and self.read("mimetype").startswith(b"application/vnd.oasis"):
            return "OpenDocument"
        return "package"

    def read(self, name: str) -> bytes:
        if name not in self._cache:
            try:
                with self.zip.open(self.entries[name]) as entry:
                    self._cache[name] = entry.read()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                _refuse("corrupt_archive")
        return self._cache[name]

    def refuse_nested(self) -> None:
        for name, info in self.entries.items():
            if _is_junk(name):
                continue
            try:
                with self.zip.open(info) as entry:
                    head = entry.read(512)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                _refuse("corrupt_archive")
            if _archive_kind(head):
                _refuse("nested_archive", path=shown(name))

    def manifest(self) -> str:
        candidates = [
            name
            for name in self.entries
            if posixpath.basename(name) in MANIFEST_NAMES and name.count("/") <= 1
        ]
        # A folder zipped as a whole puts everything under one top-level directory.
        at_root = [name for name in candidates if "/" not in name]
        chosen = at_root or candidates
        if not chosen:
            _refuse("manifest_missing")
        if len(chosen) > 1:
            _refuse("multiple_manifests", files=", ".join(sorted(chosen)))
        return chosen[0]

    def resolve(self, base: str, reference: str) -> str | None:
        """The entry a manifest's relative reference names; None if it is unsafe."""
        reference = unicodedata.normalize("NFC", reference.strip()).replace("\\", "/")
        if not reference or _unsafe_name(reference):
            return None
        return posixpath.normpath(posixpath.join(base, reference))


# --- tables: XLSX and CSV --------------------------------------------------------------


def _xlsx_rows(ctx: _Context, data: bytes) -> Iterator[tuple[int, Sequence[object]]]:
    # openpyxl parses through defusedxml when it is installed (entities raise); refuse
    # rather than parse with the plain expat parser if that was switched off.
    if not openpyxl.DEFUSEDXML:
        _refuse("xml_parser_unsafe")
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as exc:
        _refuse("xml_entities" if _from_defusedxml(exc) else "xlsx_invalid")
    try:
        sheets = [
            sheet
            for sheet in workbook.worksheets
            if not normalise_key(sheet.title).startswith(("ohje", "guide"))
        ]
        if not sheets:
            _refuse("no_header")
        # values_only with data_only=False: a formula cell yields its formula text.
        rows = sheets[0].iter_rows(values_only=True, max_col=_MAX_COLUMNS)
        for number, cells in enumerate(rows, start=1):
            yield number, [_cell_value(cell) for cell in cells]
    except _Refused:
        raise
    except Exception as exc:
        _refuse("xml_entities" if _from_defusedxml(exc) else "xlsx_invalid")
    finally:
        workbook.close()


def _from_defusedxml(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML; openpyxl re-raises it wrapped in ValueError."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return typed_text(value)
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    # Array and data-table formulas arrive as objects carrying the formula text.
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def _csv_rows(
    file: str, text: str, delimiter: str | None = None
) -> Iterator[tuple[int, Sequence[object]]]:
    first_line = text.split("\n", 1)[0]
    # Finnish Excel writes ";" (the comma is the decimal separator).
    chosen = delimiter or max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [typed_text(cell) for cell in cells]
    except csv.Error:
        _refuse("csv_malformed", file=file, line=reader.line_num)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table_sites(
    ctx: _Context,
    file: str,
    rows: Iterator[tuple[int, Sequence[object]]],
    archive: _Archive | None,
    *,
    base: str = "",
    default_crs: Crs | None = None,
) -> Iterator[RowResult]:
    leading = itertools.islice(rows, _MAX_BLANK_ROWS)
    header = next(((n, cells) for n, cells in leading if not all(map(_blank, cells))), None)
    if header is None:
        _refuse("no_header", file=file)
    positions = _header_positions(ctx, file, header[1])
    # The header's width: up to its last named column.
    width = max(i for i, cell in enumerate(header[1]) if not _blank(cell)) + 1
    reader = _SiteReader(ctx, file, archive, base, default_crs, from_table=True)
    count = 0
    blank_run = 0
    for number, cells in rows:
        values = {
            name: cells[i] for i, name in positions if i < len(cells) and not _blank(cells[i])
        }
        beyond = extra_cells(tuple(cells), width)
        if not values and not beyond:
            blank_run += 1
            if blank_run >= _MAX_BLANK_ROWS:
                break
            continue
        blank_run = 0
        if count >= ctx.limits.max_rows:
            _refuse("too_many_rows", file=file, max=ctx.limits.max_rows)
        if beyond:
            # Never cut silently: the row is refused as a whole and says why (its values
            # are not where their columns say, so nothing else of it is checked).
            last = max(i for i, cell in enumerate(cells) if not _blank(cell)) + 1
            row = RowResult(
                index=count + 1, external_ref=None, draft=None, file=file, sheet_row=number
            )
            row.errors.append(
                ctx.issue(
                    "too_many_cells",
                    file=file,
                    row=row.index,
                    sheet_row=number,
                    count=last,
                    headers=width,
                ),
            )
        else:
            row = reader.read(count + 1, values, sheet_row=number)
        count += 1
        yield row


def _header_positions(ctx: _Context, file: str, cells: Sequence[object]) -> list[tuple[int, str]]:
    positions: list[tuple[int, str]] = []
    headers: dict[str, str] = {}
    for i, cell in enumerate(cells):
        if _blank(cell):
            continue
        text = str(cell).strip()
        column = _COLUMN_BY_KEY.get(normalise_key(text))
        if column is None:
            ctx.warn_once("unknown_column", text, file=file, column=shown(text))
            continue
        if column.name in headers:
            _refuse(
                "duplicate_column",
                file=file,
                column=column.name,
                headers=f"{shown(headers[column.name])}, {shown(text)}",
            )
        headers[column.name] = text
        positions.append((i, column.name))
    if not positions:
        _refuse("no_known_columns", file=file)
    missing = [name for name in _REQUIRED_COLUMNS if name not in headers]
    if missing:
        _refuse("missing_columns", file=file, columns=", ".join(missing))
    return positions


# --- ZIP packages with a manifest ---------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases: they are how YAML "billion laughs" work."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _Refused("yaml_aliases")
        return super().compose_node(parent, index)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(name)  # NaN and Infinity are not numbers of a site


def _load_document(name: str, raw: bytes) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse("not_utf8", file=name)
    try:
        if name.endswith(".json"):
            return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
    except _Refused as refused:
        raise _Refused(refused.code, name) from None
    except json.JSONDecodeError as exc:
        _refuse("manifest_syntax", file=name, line=exc.lineno, column=exc.colno)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else ("?", "?")
        _refuse("manifest_syntax", file=name, line=line, column=column)
    except (yaml.YAMLError, ValueError, RecursionError):
        _refuse("manifest_syntax", file=name, line="?", column="?")


def _manifest_package(
    ctx: _Context, archive: _Archive
) -> tuple[PackageFormat, Iterator[RowResult]]:
    archive.refuse_nested()
    name = archive.manifest()
    archive.referenced.add(name)
    base = posixpath.dirname(name)
    document = _load_document(name, archive.read(name))
    if posixpath.basename(name) == "datapackage.json":
        package_format = PackageFormat.ZIP_DATAPACKAGE
        results = _datapackage_sites(ctx, archive, name, base, document)
    else:
        package_format = (
            PackageFormat.ZIP_JSON if name.endswith(".json") else PackageFormat.ZIP_YAML
        )
        sites, default_crs = _manifest_sites(name, document)
        results = _object_sites(ctx, archive, name, base, sites, default_crs)
    return package_format, _then_unreferenced(ctx, archive, results)


def _then_unreferenced(
    ctx: _Context, archive: _Archive, rows: Iterator[RowResult]
) -> Iterator[RowResult]:
    """The rows, then a warning for each file no site named (known once all are read)."""
    yield from rows
    for entry in archive.entries:
        if entry not in archive.referenced and not _is_junk(entry):
            ctx.warnings.append(
                ctx.issue(
                    "unreferenced_file", severity=Severity.WARNING, file=entry, path=shown(entry)
                )
            )


def _manifest_crs(file: str, document: Mapping[str, object]) -> Crs | None:
    raw = document.get("coordinate_system", document.get("crs"))
    if raw is None:
        return None
    try:
        return _crs(raw)
    except _Invalid as invalid:
        raise _Refused(invalid.code, file, **invalid.params) from None


def _manifest_sites(file: str, document: object) -> tuple[list[object], Crs | None]:
    if isinstance(document, list):
        return document, None
    if isinstance(document, dict):
        sites = document.get("sites", document.get("kohteet"))
        if isinstance(sites, list):
            return sites, _manifest_crs(file, document)
    _refuse("manifest_structure", file=file)


def _object_sites(
    ctx: _Context,
    archive: _Archive | None,
    file: str,
    base: str,
    sites: Sequence[object],
    default_crs: Crs | None,
) -> Iterator[RowResult]:
    if len(sites) > ctx.limits.max_rows:
        _refuse("too_many_rows", file=file, max=ctx.limits.max_rows)
    reader = _SiteReader(ctx, file, archive, base, default_crs, from_table=False)
    for index, entry in enumerate(sites, start=1):
        if not isinstance(entry, dict):
            row = RowResult(index=index, external_ref=None, draft=None, file=file)
            row.errors.append(ctx.issue("invalid_site_entry", file=file, row=index))
            yield row
            continue
        values: dict[str, object] = {}
        keys: dict[str, str] = {}
        duplicate: tuple[str, str, str] | None = None
        for key, value in entry.items():
            column = _COLUMN_BY_KEY.get(normalise_key(str(key)))
            if column is None:
                ctx.warn_once("unknown_column", str(key), file=file, column=shown(key))
            elif column.name in keys:
                duplicate = (column.name, keys[column.name], str(key))
            elif not _blank(value):
                keys[column.name] = str(key)
                values[column.name] = value
        row = reader.read(index, values)
        if duplicate:
            column_name, first, second = duplicate
            row.errors.append(
                ctx.issue(
                    "duplicate_column",
                    file=file,
                    row=index,
                    field_name=column_name,
                    column=column_name,
                    headers=f"{shown(first)}, {shown(second)}",
                )
            )
            row.draft = None
        yield row


def _datapackage_sites(
    ctx: _Context, archive: _Archive, file: str, base: str, document: object
) -> Iterator[RowResult]:
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(resources, list) or not resources:
        _refuse("resource_missing", file=file, path=shown("sites"))
    # The resource named "sites", else the only or first one.
    resource = next(
        (r for r in resources if isinstance(r, dict) and r.get("name") == "sites"), resources[0]
    )
    if not isinstance(resource, dict):
        _refuse("resource_missing", file=file, path=shown("sites"))
    default_crs = _manifest_crs(file, resource) or _manifest_crs(file, document)
    inline = resource.get("data")
    if isinstance(inline, list) and inline and all(isinstance(r, list) for r in inline):
        return _table_sites(
            ctx, file, enumerate(inline, start=1), archive, base=base, default_crs=default_crs
        )
    if isinstance(inline, list):
        return _object_sites(ctx, archive, file, base, inline, default_crs)
    path = resource.get("path")
    if isinstance(path, list) and len(path) == 1:
        path = path[0]
    if not isinstance(path, str):
        _refuse("resource_missing", file=file, path=shown(path))
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", path):
        _refuse("remote_resource", file=file, path=shown(path))
    name = archive.resolve(base, path)
    if name is None:
        _refuse("unsafe_path", file=file, path=shown(path))
    if name not in archive.entries:
        _refuse("resource_missing", file=file, path=shown(path))
    archive.referenced.add(name)
    text = ctx.decode(name, archive.read(name))
    dialect = resource.get("dialect")
    delimiter = dialect.get("delimiter") if isinstance(dialect, dict) else None
    if not (isinstance(delimiter, str) and len(delimiter) == 1):
        delimiter = None
    rows = _csv_rows(name, text, delimiter)
    return _table_sites(ctx, name, rows, archive, base=base, default_crs=default_crs)


# --- values ------------------------------------------------------------------------------


def _text(raw: object) -> str | None:
    if isinstance(raw, bool | list | dict):
        raise _Invalid("invalid_value", value=shown(raw))
    if isinstance(raw, float | Decimal):
        # A spreadsheet stores 12345 typed into a text column as the number 12345.0.
        value = _decimal(raw)
        raw = int(value) if value == value.to_integral_value() else value
    if isinstance(raw, date):
        raw = raw.isoformat()
    return str(raw).strip() or None


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _Invalid("invalid_number", value=shown(raw))
    if isinstance(raw, str):
        # Finnish style: decimal comma, spaces (also no-break ones) between thousands.
        text = re.sub(r"[\s\u00a0\u202f]", "", raw).replace("\u2212", "-")
        if "," in text and "." in text:
            raise _Invalid("invalid_number", value=shown(raw))
        text = text.replace(",", ".")
        if not _NUMBER.fullmatch(text):
            raise _Invalid("invalid_number", value=shown(raw))
        value = Decimal(text)
    else:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    # Finite and of a sane size: NaN, infinities and 1e300 are no site's numbers.
    if not value.is_finite() or abs(value.adjusted()) > 15:
        raise _Invalid("invalid_number", value=shown(raw))
    return value


def _integer(raw: object) -> int:
    value = _decimal(raw)
    if value != value.to_integral_value():
        raise _Invalid("invalid_integer", value=shown(raw))
    return int(value)


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    key = None
    if isinstance(raw, str):
        key = normalise_key(raw)
    elif isinstance(raw, int | float | Decimal):
        key = str(raw).removesuffix(".0")
    if key not in _BOOLEANS:
        raise _Invalid("invalid_boolean", value=shown(raw))
    return _BOOLEANS[key]


def _date(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        finnish, iso = _FI_DATE.fullmatch(text), _ISO_DATE.fullmatch(text)
        try:
            if finnish:
                day, month, year = (int(part) for part in finnish.groups())
                return parse_date(date(year, month, day).isoformat())
            if iso:
                return parse_date(iso.group(1))
        except ValueError:
            pass
    raise _Invalid("invalid_date", value=shown(raw))


def _choice(raw: object, enum: type[StrEnum], lang: Lang) -> StrEnum:
    member = _CHOICES[enum].get(normalise_key(str(raw))) if isinstance(raw, str) else None
    if member is None:
        allowed = ", ".join(f"{m.value} ({label(m, lang)})" for m in enum)
        raise _Invalid("invalid_choice", value=shown(raw), allowed=allowed)
    return member


def _municipality(raw: object, valid: Collection[str]) -> str:
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        raw = _text(raw)  # 205 or 205.0 from a spreadsheet
    if isinstance(raw, str):
        text = raw.strip()
        if text.isdigit():
            return text.zfill(3)
        code = _name_keys(valid).get(normalise_key(text))
        if code is not None:
            return code
    raise _Invalid("unknown_municipality", value=shown(raw), allowed=municipality_list(valid))


def _codes(raw: object, valid: Collection[str]) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(str(raw))
    codes: list[str] = []
    for item in items:
        text = _text(item)
        if text is None:
            continue
        # Names of the key industries are accepted as well as their codes.
        code = _name_keys(valid).get(normalise_key(text), text)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _crs(raw: object) -> Crs:
    crs = _CRS_KEYS.get(normalise_key(str(raw))) if isinstance(raw, str | int) else None
    if crs is None:
        raise _Invalid("invalid_crs", value=shown(raw))
    return crs


def _polygon_points(raw: object) -> list[list[tuple[float, float]]]:
    """Rings of (x, y) in the source CRS from GeoJSON (object, array or text) or WKT."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[{":
            try:
                raw = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                raise _Invalid("invalid_polygon_format") from None
        else:
            match = re.fullmatch(r"(?i)POLYGON\s*\((.*)\)", text, flags=re.DOTALL)
            if not match:
                raise _Invalid("invalid_polygon_format")
            raw = [
                [pair.split() for pair in ring.split(",")]
                for ring in re.findall(r"\(([^()]*)\)", match.group(1))
            ]
    if isinstance(raw, dict):
        if raw.get("type") != "Polygon":
            raise _Invalid("invalid_polygon_format")
        raw = raw.get("coordinates")
    if not isinstance(raw, list) or not raw:
        raise _Invalid("invalid_polygon_format")
    rings: list[list[tuple[float, float]]] = []
    for ring in raw:
        if not isinstance(ring, list):
            raise _Invalid("invalid_polygon_format")
        points: list[tuple[float, float]] = []
        for point in ring:
            if not isinstance(point, list | tuple) or len(point) != 2:
                raise _Invalid("invalid_polygon_format")
            try:
                x, y = (float(_decimal(value)) for value in point)
            except _Invalid:
                raise _Invalid("invalid_polygon_format") from None
            points.append((x, y))
        rings.append(points)
    count = sum(map(len, rings))
    if count > _MAX_POLYGON_POINTS:
        raise _Invalid("polygon_too_complex", count=count, max=_MAX_POLYGON_POINTS)
    return rings


@dataclass(frozen=True)
class _AttachmentRef:
    path: str
    kind: AttachmentKind | None
    title: str | None


def _attachment_refs(raw: object) -> list[_AttachmentRef]:
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(str(raw))
    refs: list[_AttachmentRef] = []
    for item in items:
        if isinstance(item, dict):
            path = item.get("file", item.get("path", item.get("tiedosto")))
            kind_raw = item.get("kind", item.get("tyyppi"))
            title = item.get("title", item.get("otsikko"))
            kind = _ATTACHMENT_KINDS.get(normalise_key(str(kind_raw))) if kind_raw else None
            if not isinstance(path, str) or (kind_raw and kind is None):
                raise _Invalid("invalid_attachment_ref", value=shown(item))
            refs.append(_AttachmentRef(path, kind, _text(title) if title is not None else None))
        elif isinstance(item, str):
            prefix, _, rest = item.partition(":")
            kind = _ATTACHMENT_KINDS.get(normalise_key(prefix)) if rest else None
            path = (rest if kind else item).strip()
            if path:
                refs.append(_AttachmentRef(path, kind, None))
        else:
            raise _Invalid("invalid_attachment_ref", value=shown(item))
    return refs


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate metres between two WGS84 (lat, lon) points a few km apart at most."""
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def _check_image(data: bytes, content_type: str, limits: PackageLimits, path: str) -> None:
    too_large = _Invalid(
        "image_too_large", path=shown(path), max=limits.max_image_pixels // 1_000_000
    )
    try:
        # Image.open reads only the header; Pillow's own MAX_IMAGE_PIXELS check raises
        # DecompressionBombError for the very largest, our limit is checked before any
        # decoding (verify() checks the structure without decoding pixels).
        with Image.open(io.BytesIO(data), formats=[_IMAGE_FORMATS[content_type]]) as image:
            width, height = image.size
            if width * height > limits.max_image_pixels:
                raise too_large
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except _Invalid:
        raise
    except Exception:
        raise _Invalid("image_invalid", path=shown(path)) from None


def check_attachment(
    name: str, data: bytes, *, lang: str, limits: PackageLimits | None = None
) -> str:
    """The content type of one uploaded attachment, decided by its content, after the
    same checks a package's attachments pass. Raises ValidationFailed (field "file")."""
    limits = limits or PackageLimits()
    language = normalise_lang(lang)

    def refuse(code: str, **params: object) -> NoReturn:
        raise ValidationFailed.single("file", message(code, language, **params), code)

    if not data:
        refuse("empty_file")
    if len(data) > limits.max_file_bytes:
        refuse(
            "file_too_large",
            size=_size(len(data), language),
            max=_size(limits.max_file_bytes, language),
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        refuse("attachment_type", path=shown(name), detected=describe_content(data))
    if content_type in _IMAGE_FORMATS:
        try:
            _check_image(data, content_type, limits, name)
        except _Invalid as invalid:
            refuse(invalid.code, **invalid.params)
    return content_type


# --- one site --------------------------------------------------------------------------


_Report = Callable[..., None]


class _SiteReader:
    """Turns one site's raw values (keys already mapped to column names) into a row."""

    def __init__(
        self,
        ctx: _Context,
        file: str,
        archive: _Archive | None,
        base: str,
        default_crs: Crs | None,
        *,
        from_table: bool,
    ) -> None:
        self.ctx, self.file, self.archive, self.base = ctx, file, archive, base
        self.default_crs, self.from_table = default_crs, from_table
        self._loaded: dict[str, PackageAttachment | _Invalid] = {}

    def _parse(self, column: Column, raw: object) -> object:
        match column.value_type:
            case ColumnType.TEXT:
                return _text(raw)
            case ColumnType.DECIMAL:
                return _decimal(raw)
            case ColumnType.INTEGER:
                return _integer(raw)
            case ColumnType.BOOLEAN:
                return _boolean(raw)
            case ColumnType.DATE:
                return _date(raw)
            case ColumnType.CHOICE:
                assert column.choices is not None
                return _choice(raw, column.choices, self.ctx.lang)
            case ColumnType.MUNICIPALITY:
                return _municipality(raw, self.ctx.municipalities)
            case ColumnType.CODES:
                return _codes(raw, self.ctx.industries)
        raise AssertionError(column.value_type)  # the other types are read by their own steps

    def read(
        self, index: int, values: Mapping[str, object], sheet_row: int | None = None
    ) -> RowResult:
        ctx = self.ctx
        row = RowResult(
            index=index, external_ref=None, draft=None, file=self.file, sheet_row=sheet_row
        )

        def report(
            field_name: str,
            code: str,
            severity: Severity = Severity.ERROR,
            *,
            reason: str | None = None,
            **params: object,
        ) -> None:
            issue = ctx.issue(
                code,
                severity=severity,
                file=self.file,
                row=index,
                sheet_row=sheet_row,
                field_name=field_name,
                reason=reason,
                **params,
            )
            (row.errors if severity == Severity.ERROR else row.warnings).append(issue)

        parsed: dict[str, Any] = {}
        for column in COLUMNS:
            raw = values.get(column.name)
            if raw is None:
                continue
            if self.from_table and isinstance(raw, str) and raw.lstrip().startswith("="):
                # Kept as typed: nothing in a package is ever evaluated.
                report(column.name, "formula_as_text", Severity.WARNING)
            if column.value_type in _SPECIAL_TYPES:
                continue
            try:
                parsed[column.name] = self._parse(column, raw)
            except _Invalid as invalid:
                report(column.name, invalid.code, **invalid.params)
        if "kind" not in values:
            report("kind", "required")

        crs = self.default_crs
        renamed: dict[str, str] = {}
        try:
            if "crs" in values:
                crs = _crs(values["crs"])
        except _Invalid as invalid:
            report("crs", invalid.code, **invalid.params)
        else:
            renamed = self._location(values, crs, parsed, report)
            self._polygon(values.get("polygon"), crs, parsed, report)
        if "attachments" in values:
            if self.archive is None:
                ctx.warn_once("attachments_need_zip", "", file=self.file)
            else:
                row.attachments = self._attach(self.archive, values["attachments"], report)

        errored = {issue.field for issue in row.errors}
        draft = SiteDraft(
            **{"kind": SiteKind.OTHER, "name_fi": "", "municipality_code": "", **parsed}
        )
        for error in validate_site(
            draft, ctx.municipalities, ctx.industries, region=ctx.region, today=ctx.today
        ):
            target = renamed.get(error.field, error.field)
            if target not in errored:
                report(target, error.code, reason=ctx.describe_site_error(error))
        row.external_ref = draft.external_ref
        if draft.external_ref is None:
            report("external_ref", "external_ref_missing", Severity.WARNING)
        row.draft = None if row.errors else draft
        return row

    def _location(
        self,
        values: Mapping[str, object],
        crs: Crs | None,
        parsed: dict[str, Any],
        report: _Report,
    ) -> dict[str, str]:
        """Sets the WGS84 latitude and longitude; returns the fields to name in errors
        about them when they came from easting and northing."""
        numbers: dict[str, float] = {}
        failed = False
        for name in ("latitude", "longitude", "easting", "northing"):
            if name in values:
                try:
                    numbers[name] = float(_decimal(values[name]))
                except _Invalid as invalid:
                    report(name, invalid.code, **invalid.params)
                    failed = True
        if failed:
            return {}
        from_lat_lon = from_east_north = None
        geographic = self._pair(numbers, "latitude", "longitude", report)
        if geographic is not None:
            lat, lon = geographic
            if crs == TM35FIN or (crs is None and guess_crs(lat, lon) == TM35FIN):
                if crs is None:
                    report("latitude", "coordinates_interpreted", Severity.WARNING)
                # Whatever the column names, a TM35FIN northing is the larger number.
                from_lat_lon = self._convert(min(lat, lon), max(lat, lon), TM35FIN, report)
            else:
                from_lat_lon = self._convert(lon, lat, WGS84, report)
        projected = self._pair(numbers, "easting", "northing", report)
        if projected is not None:
            easting, northing = projected
            crs = crs or TM35FIN
            if crs == TM35FIN and easting > northing:
                report("easting", "coordinates_reordered", Severity.WARNING)
                easting, northing = northing, easting
            from_east_north = self._convert(easting, northing, crs, report, "easting")
        if from_lat_lon is not None and from_east_north is not None:
            distance = _distance_m(from_lat_lon, from_east_north)
            if distance > _COORDINATE_TOLERANCE_M:
                report("latitude", "coordinates_disagree", distance=round(distance))
                return {}
        chosen = from_lat_lon or from_east_north
        if chosen is not None:
            parsed["latitude"], parsed["longitude"] = chosen
        if from_lat_lon is None and from_east_north is not None:
            return {"latitude": "northing", "longitude": "easting"}
        return {}

    @staticmethod
    def _pair(
        numbers: Mapping[str, float], first: str, second: str, report: _Report
    ) -> tuple[float, float] | None:
        if first in numbers and second in numbers:
            return numbers[first], numbers[second]
        if first in numbers or second in numbers:
            report(second if first in numbers else first, "incomplete_location")
        return None

    @staticmethod
    def _convert(
        x: float, y: float, crs: Crs, report: _Report, field_name: str = "latitude"
    ) -> tuple[float, float] | None:
        try:
            return to_wgs84(x, y, crs)
        except CoordinateError:
            report(field_name, "invalid_coordinates", x=x, y=y, crs=crs)
            return None

    def _polygon(
        self, raw: object, crs: Crs | None, parsed: dict[str, Any], report: _Report
    ) -> None:
        if raw is None:
            return
        try:
            rings = _polygon_points(raw)
        except _Invalid as invalid:
            report("polygon", invalid.code, **invalid.params)
            return
        first = next((ring[0] for ring in rings if ring), (0.0, 0.0))
        crs = crs or guess_crs(*first) or WGS84
        converted: list[tuple[tuple[float, float], ...]] = []
        for ring in rings:
            points: list[tuple[float, float]] = []
            for x, y in ring:
                point = self._convert(x, y, crs, report, "polygon")
                if point is None:
                    return
                points.append((point[1], point[0]))
            converted.append(tuple(points))
        parsed["polygon"] = tuple(converted)

    def _attach(self, archive: _Archive, raw: object, report: _Report) -> list[PackageAttachment]:
        try:
            refs = _attachment_refs(raw)
        except _Invalid as invalid:
            report("attachments", invalid.code, **invalid.params)
            return []
        attachments: list[PackageAttachment] = []
        for ref in refs:
            name = archive.resolve(self.base, ref.path)
            if name is None:
                report("attachments", "invalid_attachment_ref", value=shown(ref.path))
                continue
            if name not in archive.entries:
                report("attachments", "attachment_missing", path=shown(ref.path))
                continue
            archive.referenced.add(name)
            loaded = self._load(archive, name, ref.path)
            if isinstance(loaded, _Invalid):
                report("attachments", loaded.code, **loaded.params)
                continue
            is_image = loaded.content_type.startswith("image/")
            if ref.kind == AttachmentKind.PHOTO and not is_image:
                report("attachments", "attachment_kind_mismatch", path=shown(ref.path))
                continue
            default_kind = AttachmentKind.PHOTO if is_image else AttachmentKind.DOCUMENT
            attachments.append(replace(loaded, kind=ref.kind or default_kind, title=ref.title))
        return attachments

    def _load(self, archive: _Archive, name: str, shown_path: str) -> PackageAttachment | _Invalid:
        """The checked attachment (kind not yet decided), once per file per package."""
        if name not in self._loaded:
            data = archive.read(name)
            content_type = sniff_content_type(data)
            result: PackageAttachment | _Invalid
            if content_type is None:
                result = _Invalid(
                    "attachment_type", path=shown(shown_path), detected=describe_content(data)
                )
            else:
                try:
                    if content_type in _IMAGE_FORMATS:
                        _check_image(data, content_type, self.ctx.limits, shown_path)
                    result = PackageAttachment(
                        name=posixpath.relpath(name, self.base or "."),
                        content_type=content_type,
                        data=data,
                        kind=AttachmentKind.DOCUMENT,
                        sha256=hashlib.sha256(data).hexdigest(),
                    )
                except _Invalid as invalid:
                    result = invalid
            self._loaded[name] = result
        return self._loaded[name]


def _flag_duplicate_refs(stream: PackageStream, rows: Sequence[RowResult]) -> None:
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


# --- downloads: template spreadsheet and example package ----------------------------

_TYPE_HELP: Final[Mapping[ColumnType, tuple[str, str]]] = {
    ColumnType.TEXT: ("Teksti", "Text"),
    ColumnType.DECIMAL: ("Luku (desimaalipilkku tai -piste)", "Number (decimal comma or point)"),
    ColumnType.INTEGER: ("Kokonaisluku", "Whole number"),
    ColumnType.BOOLEAN: ("Kyllä/ei", "Yes/no"),
    ColumnType.DATE: ("Päivämäärä 31.12.2025 tai 2025-12-31", "Date 2025-12-31 or 31.12.2025"),
    ColumnType.CHOICE: ("Yksi sallituista arvoista", "One of the allowed values"),
    ColumnType.MUNICIPALITY: ("Kuntakoodi tai nimi", "Municipality code or name"),
    ColumnType.CODES: ("Luettelo, erottimena ;", "List separated by ;"),
    ColumnType.COORDINATE: ("Luku", "Number"),
    ColumnType.CRS: ("EPSG-koodi", "EPSG code"),
    ColumnType.POLYGON: ("WKT tai GeoJSON", "WKT or GeoJSON"),
    ColumnType.ATTACHMENTS: ("Luettelo polkuja, erottimena ;", "List of paths separated by ;"),
}

_GUIDE_INTRO: Final = (
    "Täytä yksi kohde riviä kohden välilehdelle ”Kohteet - Sites”; älä muuta otsikkoriviä. "
    "Esimerkkirivin voi korvata. Tyhjä solu tarkoittaa, ettei tietoa ole.",
    "Fill in one site per row on the sheet “Kohteet - Sites”; keep the header row. Replace "
    "the example row. An empty cell means the information is not known.",
    "Kaavoja ei lasketa: =-merkillä alkava arvo luetaan tekstinä. / Formulas are not "
    "evaluated: a value starting with = is read as text.",
)


def _allowed_values(
    column: Column, municipalities: Mapping[str, str], industries: Mapping[str, str]
) -> str:
    if column.choices is not None:
        return "; ".join(
            f"{member.value} = {LABELS[member][0]} / {LABELS[member][1]}"
            for member in column.choices
        )
    if column.value_type == ColumnType.MUNICIPALITY:
        return "; ".join(f"{code} = {name}" for code, name in municipalities.items())
    if column.value_type == ColumnType.CODES:
        return "; ".join(f"{code} = {name}" for code, name in industries.items())
    if column.value_type == ColumnType.BOOLEAN:
        return "kyllä / ei, yes / no, x, 1 / 0"
    if column.value_type == ColumnType.CRS:
        return "EPSG:4326 (WGS84); EPSG:3067 (ETRS-TM35FIN)"
    return ""


def build_template_xlsx(municipalities: Mapping[str, str], industries: Mapping[str, str]) -> bytes:
    """The downloadable spreadsheet: header row, one example row for a Kajaani plot,
    drop-down lists for the choices, and a bilingual guide sheet listing the region's
    `municipalities` and `industries` (codes to names)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    append_row(sheet, [column.name for column in COLUMNS])
    append_row(sheet, [column.example for column in COLUMNS])
    sheet.freeze_panes = "A2"
    for position, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(position)
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        sheet.cell(row=1, column=position).font = Font(bold=True)
        if column.value_type == ColumnType.DATE:
            sheet.cell(row=2, column=position).number_format = "d.m.yyyy"
        options = (
            [member.value for member in column.choices]
            if column.choices is not None
            else ["kyllä", "ei"]
            if column.value_type == ColumnType.BOOLEAN
            else None
        )
        if options:
            validation = DataValidation(
                type="list", formula1=f'"{",".join(options)}"', allow_blank=True
            )
            validation.add(f"{letter}2:{letter}{PackageLimits().max_rows + 1}")
            sheet.add_data_validation(validation)

    guide = workbook.create_sheet(GUIDE_SHEET)
    for line in _GUIDE_INTRO:
        append_row(guide, [line])
    append_row(guide, [])
    append_row(
        guide,
        [
            "Sarake / Column",
            "Pakollinen / Required",
            "Muoto / Format",
            "Ohje",
            "Guide",
            "Sallitut arvot / Allowed values",
            "Muut hyväksytyt otsikot / Other accepted headers",
        ],
    )
    header_row = guide.max_row
    for column in COLUMNS:
        fi, en = _TYPE_HELP[column.value_type]
        append_row(
            guide,
            [
                column.name,
                "kyllä / yes" if column.required else "",
                f"{fi} / {en}",
                column.help_fi,
                column.help_en,
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


EXAMPLE_SITES: Final[tuple[Mapping[str, object], ...]] = (
    {
        "external_ref": "KAJ-EX-001",
        "kind": "data_centre",
        "name_fi": "Esimerkki: datakeskustontti, Kajaani",
        "name_en": "Example: data-centre plot, Kajaani",
        "description_fi": "Asemakaavoitettu tontti datakeskukselle, 110 kV:n sähköasema lähellä.",
        "description_en": "Zoned plot for a data centre, close to a 110 kV substation.",
        "municipality_code": "205",
        "address": "Esimerkkikatu 1, 87100 Kajaani",
        "latitude": 64.2270,
        "longitude": 27.7285,
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
        "contact_email": "maija.esimerkki@kajaani.fi",
        "last_verified_on": "2025-01-15",
        "attachments": [
            {"file": "photos/kajaani-datakeskus.png", "kind": "photo", "title": "Ilmakuva"},
            {"file": "documents/kajaani-datakeskus.pdf", "kind": "document", "title": "Esite"},
        ],
    },
    {
        "external_ref": "SOT-EX-001",
        "kind": "industrial_plot",
        "name_fi": "Esimerkki: teollisuustontti, Sotkamo",
        "name_en": "Example: industrial plot, Sotkamo",
        "municipality_code": "Sotkamo",
        "crs": "EPSG:3067",
        "easting": 567668,
        "northing": 7112239,
        "area_ha": 1.2,
        "zoning_status": "detailed_plan",
        "ownership": "municipal",
        "tenure": "sale",
        "price_eur": 30000,
        "rail_siding": True,
        "available_power_mw": 2,
        "industry_codes": ["metal_machinery", "mining_chemicals"],
        "last_verified_on": "2025-01-15",
        "attachments": ["map:maps/sotkamo-kartta.pdf"],
    },
)


def build_example_zip() -> bytes:
    """The downloadable example package: sites.json with two sites (one in WGS84, one
    in ETRS-TM35FIN), a photo, a brochure and a map. Byte-identical on every call."""
    manifest = {"format_version": 1, "coordinate_system": "EPSG:4326", "sites": EXAMPLE_SITES}
    files = {
        "sites.json": json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
        "photos/kajaani-datakeskus.png": _example_png(),
        "documents/kajaani-datakeskus.pdf": _example_pdf("Example brochure: Kajaani"),
        "maps/sotkamo-kartta.pdf": _example_pdf("Example map: Sotkamo"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
