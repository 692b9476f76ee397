"""The fields of a site offering, defined once.

Every place that lists a site's fields derives the list from `SITE_FIELDS`: the API
schemas (app/api/sites.py), the staff edit form (app/web/sites.py), the columns of a
site package and its template (app/domain/packages/columns.py), the public facts that
feeds and posts carry (app/services/syndication.py) and the services' conversions
(app/services/sites.py). A field added here reaches all of them; `SiteDraft`
(app/domain/sites.py) holds the values and its rules check them.

Labels and help texts are English msgids, translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from app.domain.sites import Ownership, PermitStatus, SiteKind, Tenure, ZoningStatus
from app.i18n import N_


class FieldType(StrEnum):
    TEXT = "text"  # one line
    MULTILINE = "multiline"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"
    MUNICIPALITY = "municipality"
    COORDINATE = "coordinate"  # WGS84 degrees
    POLYGON = "polygon"
    CODES = "codes"  # key-industry codes


# The staff form's input for each type; None: the form has no input of this type.
_WIDGETS: Final[dict[FieldType, str]] = {
    FieldType.TEXT: "text",
    FieldType.MULTILINE: "textarea",
    FieldType.DECIMAL: "number",
    FieldType.INTEGER: "integer",
    FieldType.BOOLEAN: "bool",
    FieldType.DATE: "date",
    FieldType.CHOICE: "choice",
    FieldType.MUNICIPALITY: "municipality",
    FieldType.COORDINATE: "number",
}

# The staff form's sections, in the order a municipality fills them.
BASIC: Final = N_("Basic information")
LOCATION: Final = N_("Location and area")
TERMS: Final = N_("Terms")
INFRASTRUCTURE: Final = N_("Infrastructure")
CONTACT: Final = N_("Contact and verification")
SECTIONS: Final = (BASIC, LOCATION, TERMS, INFRASTRUCTURE, CONTACT)


@dataclass(frozen=True)
class SiteField:
    """One field: its API and package name, type, labels and where it appears."""

    name: str  # the API name, the package column and the `SiteDraft` attribute
    value_type: FieldType
    label: str  # msgid: the form's label and the heading wherever the field is listed
    help: str  # msgid: the package guide's explanation ({code}, {name}: the example municipality)
    # Other accepted package headers and manifest keys, normalised (see columns.py).
    aliases: tuple[str, ...] = ()
    example: object = None  # the template's example value ({name}: the example municipality)
    section: str | None = None  # the form section; None: edited outside the field list
    choices: type[StrEnum] | None = None
    labels: str | None = None  # the label kind of a choice's codes (app.i18n.LABELS)
    unit: str | None = None
    required: bool = False
    # The API schema's own length limit; the site rules check every text's length.
    schema_max_length: int | None = None
    fact: bool = False  # a public fact that feeds and posts carry

    @property
    def widget(self) -> str | None:
        return _WIDGETS.get(self.value_type) if self.section is not None else None


_T = FieldType
# fmt: off
# In the order of the package template's columns.
SITE_FIELDS: Final[tuple[SiteField, ...]] = (
    SiteField("external_ref", _T.TEXT, N_("Municipality's own reference"),
              N_("The municipality's own ID. Uploading the same ID again updates the site "
                 "instead of creating a new one."),
              ("tunnus", "kunnan_tunnus", "oma_tunnus", "id", "viite"), "EX-001", BASIC),
    SiteField("kind", _T.CHOICE, label=N_("Kind"), help=N_("Kind of site."),
              aliases=("tyyppi", "kohdetyyppi", "laji"), example="industrial_plot",
              section=BASIC, required=True, fact=True,
              choices=SiteKind, labels="site_kind"),
    SiteField("name_fi", _T.TEXT, N_("Name in Finnish"), N_("Name in Finnish."),
              ("nimi", "nimi_fi", "kohteen_nimi"), "Esimerkkitontti, {name}", BASIC,
              required=True, schema_max_length=200),
    SiteField("name_en", _T.TEXT, N_("Name in English"),
              N_("Name in English; the Finnish name is used when missing."),
              ("nimi_en", "englanninkielinen_nimi"), "Example plot, {name}", BASIC,
              schema_max_length=200),
    SiteField("description_fi", _T.MULTILINE, N_("Description in Finnish"),
              N_("Description in Finnish."), ("kuvaus", "kuvaus_fi"),
              "Asemakaavoitettu teollisuustontti hyvien yhteyksien varrella.", BASIC),
    SiteField("description_en", _T.MULTILINE, N_("Description in English"),
              N_("Description in English."), ("kuvaus_en",),
              "Zoned industrial plot with good connections.", BASIC),
    SiteField("municipality_code", _T.MUNICIPALITY, N_("Municipality"),
              N_("Municipality: Statistics Finland code (e.g. {code}) or name ({name})."),
              ("municipality", "kunta", "kuntakoodi", "kunnan_koodi", "kunnan_nimi"),
              "{code}", BASIC, required=True),
    SiteField("address", _T.TEXT, N_("Address"), N_("Street address."),
              ("osoite", "katuosoite"), "Esimerkkikatu 1, {name}", LOCATION, fact=True),
    SiteField("latitude", _T.COORDINATE, N_("Latitude (WGS84)"),
              N_("Latitude, WGS84 degrees (decimal comma or point)."),
              ("lat", "leveysaste", "leveys"), section=LOCATION),
    SiteField("longitude", _T.COORDINATE, N_("Longitude (WGS84)"),
              N_("Longitude, WGS84 degrees (decimal comma or point)."),
              ("lon", "lng", "pituusaste", "pituus"), section=LOCATION),
    SiteField("polygon", _T.POLYGON, N_("Boundary"),
              N_("Boundary as WKT (POLYGON((x y, ...))) or GeoJSON, in the same coordinate "
                 "system as the location."),
              ("aluerajaus", "rajaus", "alue", "geometry", "geometria", "wkt")),
    SiteField("area_ha", _T.DECIMAL, N_("Area (ha)"), N_("Area in hectares."),
              ("pinta_ala_ha", "ala_ha", "hehtaarit"), 2.5, LOCATION, unit="ha", fact=True),
    SiteField("area_m2", _T.DECIMAL, N_("Area (m²)"),
              N_("Area in square metres; must match the hectares (1 ha = 10,000 m²)."),
              ("pinta_ala_m2", "ala_m2", "neliometrit"), 25000, LOCATION, unit="m²", fact=True),
    SiteField("floor_area_m2", _T.DECIMAL, N_("Floor area (m²)"),
              N_("Floor area in square metres (premises)."),
              ("kerrosala_m2", "kerrosala", "huoneistoala_m2"), None, LOCATION, unit="m²",
              fact=True),
    SiteField("zoning_status", _T.CHOICE, label=N_("Zoning status"), help=N_("Zoning status."),
              aliases=("kaavatilanne", "kaava", "kaavoitus"), example="detailed_plan",
              section=LOCATION, fact=True,
              choices=ZoningStatus, labels="zoning_status"),
    SiteField("permitted_use", _T.TEXT, N_("Permitted use"), N_("Permitted use under the plan."),
              ("kayttotarkoitus", "kaavamerkinta"), "T (teollisuusrakennusten korttelialue)",
              LOCATION, fact=True),
    SiteField("ownership", _T.CHOICE, label=N_("Ownership"), help=N_("Ownership."),
              aliases=("omistus", "omistaja"), example="municipal", section=TERMS, fact=True,
              choices=Ownership, labels="ownership"),
    SiteField("tenure", _T.CHOICE, label=N_("Sale or lease"), help=N_("Sale or lease."),
              aliases=("luovutustapa", "myynti_vuokra", "myynti_tai_vuokraus"),
              example="sale_or_lease", section=TERMS, fact=True,
              choices=Tenure, labels="tenure"),
    SiteField("price_eur", _T.INTEGER, N_("Price (€)"), N_("Price in whole euros."),
              ("hinta", "hinta_eur", "hinta_euroa"), 50000, TERMS, unit="€", fact=True),
    SiteField("price_terms", _T.MULTILINE, N_("Price or lease terms"),
              N_("Price or lease terms in words."), ("hintaehdot", "ehdot", "hinnoittelu"),
              "Hinta neuvoteltavissa.", TERMS, fact=True),
    SiteField("available_from", _T.DATE, N_("Available from"),
              N_("Date from which the site is available."),
              ("saatavilla", "saatavilla_alkaen", "vapautuu"), date(2025, 1, 1), TERMS,
              fact=True),
    SiteField("grid_connection", _T.BOOLEAN, N_("Grid connection"),
              N_("Whether there is a grid connection."), ("sahkoliittyma", "verkkoliittyma"),
              "kyllä", INFRASTRUCTURE, fact=True),
    SiteField("available_power_mw", _T.DECIMAL, N_("Available power (MW)"),
              N_("Available electric power (MW)."),
              ("teho_mw", "sahkoteho_mw", "kaytettavissa_oleva_teho_mw", "power_mw"), 5,
              INFRASTRUCTURE, unit="MW", fact=True),
    SiteField("substation_110kv_km", _T.DECIMAL, N_("Distance to a 110 kV substation (km)"),
              N_("Distance to the nearest 110 kV substation (km)."),
              ("sahkoasema_110kv_km", "etaisyys_110kv_km"), 2.5, INFRASTRUCTURE, unit="km",
              fact=True),
    SiteField("substation_400kv_km", _T.DECIMAL, N_("Distance to a 400 kV substation (km)"),
              N_("Distance to the nearest 400 kV substation (km)."),
              ("sahkoasema_400kv_km", "etaisyys_400kv_km"), 30, INFRASTRUCTURE, unit="km",
              fact=True),
    SiteField("water_m3_per_day", _T.DECIMAL, N_("Water capacity (m³/day)"),
              N_("Water supply capacity (m³/day)."), ("vesi_m3_vrk", "vesi_m3_d", "water_m3_d"),
              200, INFRASTRUCTURE, unit="m³/d", fact=True),
    SiteField("wastewater_m3_per_day", _T.DECIMAL, N_("Wastewater capacity (m³/day)"),
              N_("Wastewater capacity (m³/day)."),
              ("jatevesi_m3_vrk", "jatevesi_m3_d", "wastewater_m3_d"), 150, INFRASTRUCTURE,
              unit="m³/d", fact=True),
    SiteField("district_heat", _T.BOOLEAN, N_("District heat"),
              N_("Whether district heat is available."), ("kaukolampo",), "kyllä",
              INFRASTRUCTURE, fact=True),
    SiteField("gas", _T.BOOLEAN, N_("Gas"), N_("Whether gas is available."),
              ("kaasu", "maakaasu"), "ei", INFRASTRUCTURE, fact=True),
    SiteField("rail_siding", _T.BOOLEAN, N_("Rail siding"), N_("Whether there is a rail siding."),
              ("raide", "raideyhteys", "pistoraide"), "kyllä", INFRASTRUCTURE, fact=True),
    SiteField("road_km", _T.DECIMAL, N_("Distance to a main road (km)"),
              N_("Distance to the nearest main road (km)."),
              ("main_road_km", "valtatie_km", "paatie_km", "etaisyys_paatielle_km"), 1.2,
              INFRASTRUCTURE, unit="km", fact=True),
    SiteField("airport_km", _T.DECIMAL, N_("Distance to the airport (km)"),
              N_("Distance to the airport (km)."), ("lentoasema_km", "lentokentta_km"), 8,
              INFRASTRUCTURE, unit="km", fact=True),
    SiteField("port_km", _T.DECIMAL, N_("Distance to a port (km)"),
              N_("Distance to the port (km)."), ("satama_km",), 190, INFRASTRUCTURE, unit="km",
              fact=True),
    SiteField("fibre", _T.BOOLEAN, N_("Fibre broadband"),
              N_("Whether fibre broadband is available."), ("valokuitu", "kuitu", "fiber"),
              "kyllä", INFRASTRUCTURE, fact=True),
    SiteField("environmental_permit", _T.CHOICE, label=N_("Environmental permit"),
              help=N_("Environmental permit status."), aliases=("ymparistolupa",),
              example="not_needed", section=INFRASTRUCTURE, fact=True,
              choices=PermitStatus, labels="permit_status"),
    SiteField("industry_codes", _T.CODES, N_("Key industries"),
              N_("Suitable key industries as codes or names, separated by semicolons."),
              ("industries", "toimialat", "avaintoimialat"), "metal_machinery; mining_chemicals"),
    SiteField("contact_name", _T.TEXT, N_("Contact person"), N_("Contact person's name."),
              ("yhteyshenkilo",), "Maija Esimerkki", CONTACT, fact=True),
    SiteField("contact_email", _T.TEXT, N_("Contact e-mail"), N_("Contact person's e-mail."),
              ("email", "sahkoposti", "yhteyshenkilon_sahkoposti"),
              "firstname.lastname@example.org", CONTACT, fact=True),
    SiteField("contact_phone", _T.TEXT, N_("Contact phone"),
              N_("Contact person's phone number."), ("phone", "puhelin", "puhelinnumero"),
              "+358 40 123 4567", CONTACT, fact=True),
    SiteField("last_verified_on", _T.DATE, N_("Last verified on"),
              N_("Date the data was last verified."),
              ("last_verified", "tarkistettu", "tarkistettu_pvm", "tiedot_tarkistettu"),
              date(2025, 1, 15), CONTACT, fact=True),
)
# fmt: on

FIELD_BY_NAME: Final = {field.name: field for field in SITE_FIELDS}
FACT_NAMES: Final = tuple(field.name for field in SITE_FIELDS if field.fact)


def fields_of_type(*types: FieldType) -> tuple[SiteField, ...]:
    return tuple(field for field in SITE_FIELDS if field.value_type in types)
