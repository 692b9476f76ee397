"""Reference data of the region: municipalities, key industries, the strategy target.

These are seeds, not code paths: once stored, the coordinator edits them as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MunicipalitySeed:
    code: str
    slug: str
    name_fi: str
    name_sv: str
    name_en: str
    website_url: str


# Statistics Finland codes; all eight belong to region 18 (Kainuu).
MUNICIPALITIES: tuple[MunicipalitySeed, ...] = (
    MunicipalitySeed(
        "105", "hyrynsalmi", "Hyrynsalmi", "Hyrynsalmi", "Hyrynsalmi", "https://www.hyrynsalmi.fi"
    ),
    MunicipalitySeed("205", "kajaani", "Kajaani", "Kajana", "Kajaani", "https://www.kajaani.fi"),
    MunicipalitySeed("290", "kuhmo", "Kuhmo", "Kuhmo", "Kuhmo", "https://www.kuhmo.fi"),
    MunicipalitySeed("578", "paltamo", "Paltamo", "Paldamo", "Paltamo", "https://www.paltamo.fi"),
    MunicipalitySeed(
        "620", "puolanka", "Puolanka", "Puolango", "Puolanka", "https://www.puolanka.fi"
    ),
    MunicipalitySeed(
        "697", "ristijarvi", "Ristijärvi", "Ristijärvi", "Ristijärvi", "https://www.ristijarvi.fi"
    ),
    MunicipalitySeed("765", "sotkamo", "Sotkamo", "Sotkamo", "Sotkamo", "https://www.sotkamo.fi"),
    MunicipalitySeed(
        "777",
        "suomussalmi",
        "Suomussalmi",
        "Suomussalmi",
        "Suomussalmi",
        "https://www.suomussalmi.fi",
    ),
)


@dataclass(frozen=True)
class IndustrySeed:
    code: str
    parent_code: str | None
    name_fi: str
    name_en: str
    nace_codes: tuple[str, ...]
    counts_as_industrial: bool = True


# The key industries of the Kainuu investment strategy 2022–2025 (and the Kajaani
# 2027–2031 programme for defence), mapped to TOL 2008 / NACE Rev. 2 divisions.
KEY_INDUSTRIES: tuple[IndustrySeed, ...] = (
    IndustrySeed(
        "mining_chemicals",
        None,
        "Kestävä kaivosteollisuus ja kemianteollisuus",
        "Sustainable mining and the chemical industry",
        ("05", "07", "08", "09", "20", "24"),
    ),
    IndustrySeed("bioeconomy", None, "Biotalous", "Bioeconomy", ()),
    IndustrySeed(
        "forest_bioeconomy", "bioeconomy", "Metsäbiotalous", "Forest bioeconomy", ("02", "16", "17")
    ),
    IndustrySeed(
        "renewable_energy",
        "bioeconomy",
        "Uusiutuva energia (tuuli, metsäenergia)",
        "Renewable energy (wind, forest energy)",
        ("35",),
    ),
    IndustrySeed(
        "food",
        "bioeconomy",
        "Ruoka (maatalous, luonnontuotteet, kala)",
        "Food (agriculture, natural products, fish)",
        ("01", "03", "10", "11"),
    ),
    IndustrySeed(
        "bio_innovations",
        "bioeconomy",
        "Biotalouden uudet innovaatiot",
        "New bioeconomy innovations",
        ("72",),
    ),
    # Tourism is a key industry but not industrial investment (the strategy's €1.2bn goal).
    IndustrySeed("tourism", None, "Matkailu", "Tourism", ("55", "56", "79", "93"), False),
    IndustrySeed("technology", None, "Teknologiateollisuus", "Technology industry", ()),
    IndustrySeed(
        "metal_machinery",
        "technology",
        "Metalli- ja konepajateollisuus",
        "Metal and machinery",
        ("24", "25", "28", "29", "30", "33"),
    ),
    IndustrySeed(
        "ict_data_centres",
        "technology",
        "ICT ja datakeskukset",
        "ICT and data centres",
        ("61", "62", "63"),
    ),
    IndustrySeed(
        "measurement_technology",
        "technology",
        "Mittaustekniikka",
        "Measurement technology",
        ("26", "27", "71"),
    ),
    IndustrySeed("game_industry", "technology", "Peliala", "Game industry", ("58", "62")),
    IndustrySeed(
        "defence_dual_use",
        None,
        "Puolustus- ja kaksikäyttöteknologia",
        "Defence and dual-use technology",
        ("25", "30", "84"),
    ),
)


@dataclass(frozen=True)
class TargetSeed:
    name: str
    amount_eur: int
    period_start: date
    period_end: date
    scope: str


STRATEGY_TARGET = TargetSeed(
    name="Kainuun investointistrategia 2022–2025: teollisuusinvestoinnit",
    amount_eur=1_200_000_000,
    period_start=date(2022, 1, 1),
    period_end=date(2025, 12, 31),
    scope="industrial",
)
