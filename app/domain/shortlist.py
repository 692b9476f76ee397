"""A site selector's shortlist: which sites a comparison link names, and how the sites
compare fact by fact (where they differ, and which value is best where that is
obvious). Plain Python: the portal's pages and the inquiry use it.

A shortlist lives in the browser and in a shareable URL (`/fi/compare?sites=a,b,c`),
never on the server: anyone holding the link sees the same comparison, without login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from app.i18n import N_

# More columns than this stop being a comparison on a laptop screen.
SHORTLIST_MAX: Final = 6
_SLUG: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")


@dataclass(frozen=True)
class Shortlist:
    """The sites a link names, in its order, each once; `unreadable` counts the parts
    that cannot be a site's slug, `over_limit` those beyond SHORTLIST_MAX."""

    slugs: tuple[str, ...] = ()
    unreadable: int = 0
    over_limit: int = 0

    @property
    def query(self) -> str:
        """The canonical query string ('' when empty): slugs need no escaping."""
        return "?sites=" + ",".join(self.slugs) if self.slugs else ""

    def without(self, slug: str) -> Shortlist:
        return Shortlist(tuple(s for s in self.slugs if s != slug))


def parse_shortlist(values: Iterable[str]) -> Shortlist:
    """The `sites` parameters of a URL or form (each may hold a comma-separated list;
    a form of checkboxes sends one per site). Anything else is counted, never an error:
    a shortened or hand-edited link still shows a page."""
    slugs: list[str] = []
    unreadable = over_limit = 0
    for value in values:
        for part in value.split(","):
            slug = part.strip()
            if not slug or slug in slugs:
                continue
            if not _SLUG.match(slug):
                unreadable += 1
            elif len(slugs) >= SHORTLIST_MAX:
                over_limit += 1
            else:
                slugs.append(slug)
    return Shortlist(tuple(slugs), unreadable, over_limit)


# --- the comparison ------------------------------------------------------------------------


class Better(StrEnum):
    """Which way a fact is obviously better; facts without one get no "best" mark."""

    MORE = "more"
    LESS = "less"


class Shown(StrEnum):
    """How a fact's value is written for the reader (see portal_templates/compare.html)."""

    MUNICIPALITY = "municipality"
    LABEL = "label"  # a code shown by its label of `label_kind`
    NUMBER = "number"  # with `unit`
    EUR = "eur"
    DATE = "date"
    YES_NO = "yes_no"
    INDUSTRIES = "industries"


@dataclass(frozen=True)
class Fact:
    attribute: str
    title: str  # marked with N_, translated when shown
    shown: Shown
    unit: str = ""
    label_kind: str = ""
    better: Better | None = None
    digits: int = 1


# The facts a site selector compares, in the order they read them.
FACTS: Final = (
    Fact("municipality_code", N_("Municipality"), Shown.MUNICIPALITY),
    Fact("kind", N_("Kind of site"), Shown.LABEL, label_kind="site_kind"),
    Fact("area_ha", N_("Area"), Shown.NUMBER, unit="ha"),
    Fact("zoning_status", N_("Zoning"), Shown.LABEL, label_kind="zoning_status"),
    Fact("tenure", N_("Offered for"), Shown.LABEL, label_kind="tenure"),
    Fact("price_eur", N_("Price"), Shown.EUR),
    Fact("available_from", N_("Available from"), Shown.DATE),
    Fact("grid_connection", N_("Grid connection"), Shown.YES_NO),
    Fact("available_power_mw", N_("Available power"), Shown.NUMBER, "MW", better=Better.MORE),
    Fact(
        "substation_110kv_km",
        N_("Distance to a 110 kV substation"),
        Shown.NUMBER,
        "km",
        better=Better.LESS,
    ),
    Fact(
        "water_m3_per_day",
        N_("Water"),
        Shown.NUMBER,
        "m³/d",
        better=Better.MORE,
        digits=0,
    ),
    Fact("district_heat", N_("District heat"), Shown.YES_NO),
    Fact("rail_siding", N_("Rail siding"), Shown.YES_NO),
    Fact("road_km", N_("Distance to a main road"), Shown.NUMBER, "km", better=Better.LESS),
    Fact("airport_km", N_("Distance to an airport"), Shown.NUMBER, "km", better=Better.LESS),
    Fact("fibre", N_("Fibre broadband"), Shown.YES_NO),
    Fact(
        "environmental_permit",
        N_("Environmental permit"),
        Shown.LABEL,
        label_kind="permit_status",
    ),
    Fact("industry_codes", N_("Suits"), Shown.INDUSTRIES),
)


@dataclass(frozen=True)
class Cell:
    value: Any
    best: bool


@dataclass(frozen=True)
class Row:
    fact: Fact
    cells: tuple[Cell, ...]
    differs: bool


def _comparable(value: Any) -> Any:
    return tuple(sorted(value)) if isinstance(value, list | tuple) else value


def compare_values(values: Sequence[Any], better: Better | None) -> tuple[bool, frozenset[int]]:
    """Whether the values differ (an unknown value differs from a known one), and the
    positions of the best value: only where the fact has an obvious direction, at least
    two sites state it, and not all of those are equal."""
    differs = len({_comparable(v) for v in values}) > 1
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if better is None or len(known) < 2 or len({v for _i, v in known}) < 2:
        return differs, frozenset()
    target = max(v for _i, v in known) if better is Better.MORE else min(v for _i, v in known)
    return differs, frozenset(i for i, v in known if v == target)


def compare(sites: Sequence[dict[str, Any]]) -> list[Row]:
    """One row per fact over the sites (each a mapping of fact attribute to value)."""
    rows = []
    for fact in FACTS:
        values = [site.get(fact.attribute) for site in sites]
        differs, best = compare_values(values, fact.better)
        cells = tuple(Cell(value, i in best) for i, value in enumerate(values))
        rows.append(Row(fact, cells, differs))
    return rows
