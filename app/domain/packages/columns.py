"""The columns of a site table and the keys of a manifest: the site's fields (from
app/domain/site_fields.py) and the package's own columns for coordinates in either
system and for attachments. Help texts are English msgids, translated in the guide."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from app.domain.site_fields import SITE_FIELDS, FieldType, SiteField
from app.i18n import N_


class PackageOnly(StrEnum):
    """Types of the columns that are no site field."""

    CRS = "crs"
    ATTACHMENTS = "attachments"


ColumnType = FieldType | PackageOnly


@dataclass(frozen=True)
class Column:
    name: str  # the SiteDraft field, or a package-only key (coordinates, attachments)
    value_type: ColumnType
    aliases: tuple[str, ...]  # normalised: lower case, ä/ö/å folded, "_" between words
    help: str  # msgid
    example: object = None  # value in the template's example row
    choices: type[StrEnum] | None = None
    required: bool = False


# fmt: off
# The package's own columns, by the site field they follow.
_PACKAGE_ONLY: Final[Mapping[str, tuple[Column, ...]]] = {
    "longitude": (
        Column("easting", FieldType.COORDINATE,
               ("e", "x", "ita", "itakoordinaatti", "ita_koordinaatti"),
               N_("Easting, ETRS-TM35FIN (metres). Give either latitude and longitude or "
                  "easting and northing.")),
        Column("northing", FieldType.COORDINATE,
               ("n", "y", "pohjoinen", "pohjoiskoordinaatti", "pohjois_koordinaatti"),
               N_("Northing, ETRS-TM35FIN (metres).")),
        Column("crs", PackageOnly.CRS,
               ("coordinate_system", "koordinaattijarjestelma", "koordinaatisto"),
               N_("EPSG:4326 (WGS84) or EPSG:3067 (ETRS-TM35FIN). Default: WGS84 for latitude "
                  "and longitude, ETRS-TM35FIN for easting and northing."), "EPSG:4326"),
    ),
    "last_verified_on": (
        Column("attachments", PackageOnly.ATTACHMENTS, ("liitteet", "tiedostot"),
               N_("ZIP packages only: paths of the attachments in the package separated by "
                  "semicolons; prefix photo:, document: or map: to set the kind (e.g. "
                  "map:maps/a.pdf).")),
    ),
}
# fmt: on


def package_columns(site_fields: Sequence[SiteField]) -> tuple[Column, ...]:
    """A column for each of `site_fields`, and the package's own ones beside them."""
    columns: list[Column] = []
    for site_field in site_fields:
        columns.append(
            Column(
                site_field.name,
                site_field.value_type,
                site_field.aliases,
                site_field.help,
                site_field.example,
                site_field.choices,
                site_field.required,
            )
        )
        columns.extend(_PACKAGE_ONLY.get(site_field.name, ()))
    return tuple(columns)


# Every column of a package, in the template's order: names, Finnish aliases, the
# guide and the example row all come from here.
COLUMNS: Final = package_columns(SITE_FIELDS)

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


COLUMN_BY_KEY: Final = _alias_table()
SPECIAL_TYPES: Final[frozenset[ColumnType]] = frozenset(
    {FieldType.COORDINATE, PackageOnly.CRS, FieldType.POLYGON, PackageOnly.ATTACHMENTS}
)
REQUIRED_COLUMNS: Final = tuple(c.name for c in COLUMNS if c.required)
