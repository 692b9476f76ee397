"""Matching sites to a lead's requirement profile, with a transparent score.

Every criterion the profile sets is checked on its own and reported as met, missed or
unknown with its weight and a sentence in Finnish and English; the score is the share
of the set criteria's weight that is met. Missing site data never counts as met, so a
sparsely filled site cannot outrank a well documented one by omission.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from app.domain.sites import (
    M2_PER_HA,
    SiteDraft,
    ZoningStatus,
    format_number,
    label,
    municipality_list,
)

K = TypeVar("K", bound=Hashable)


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class RequirementProfile:
    """What a lead needs. None or empty means "no requirement".

    `needs_water` is a minimum capacity in m³/day, or True for "some water supply".
    """

    min_area_ha: Decimal | None = None
    max_area_ha: Decimal | None = None
    min_power_mw: Decimal | None = None
    needs_water: Decimal | bool | None = None
    needs_rail: bool = False
    zoning: frozenset[ZoningStatus] = frozenset()
    industry_code: str | None = None
    preferred_municipality_codes: frozenset[str] = frozenset()


# Relative importance of each criterion; only the criteria a profile sets count.
WEIGHTS: Final[Mapping[str, int]] = {
    "area": 25,
    "power": 25,
    "water": 15,
    "zoning": 15,
    "industry": 15,
    "rail": 10,
    "municipality": 10,
}


@dataclass(frozen=True)
class CriterionResult:
    criterion: str  # a key of WEIGHTS
    outcome: Outcome
    weight: int
    explanation_fi: str
    explanation_en: str

    def explanation(self, lang: str) -> str:
        return self.explanation_fi if lang.lower().startswith("fi") else self.explanation_en


@dataclass(frozen=True)
class MatchResult:
    score: int  # 0-100: met weight / weight of the criteria the profile sets
    criteria: tuple[CriterionResult, ...]

    def by_outcome(self, outcome: Outcome) -> tuple[str, ...]:
        return tuple(c.criterion for c in self.criteria if c.outcome == outcome)


def _n(value: Decimal, lang: str) -> str:
    return format_number(value, lang)


def _result(criterion: str, outcome: Outcome, fi: str, en: str) -> CriterionResult:
    return CriterionResult(criterion, outcome, WEIGHTS[criterion], fi, en)


def _site_area_ha(site: SiteDraft) -> Decimal | None:
    if site.area_ha is not None:
        return site.area_ha
    return site.area_m2 / M2_PER_HA if site.area_m2 is not None else None


def _wanted_area(low: Decimal | None, high: Decimal | None, lang: str) -> str:
    fi = lang == "fi"
    if low is not None and high is not None:
        return f"{_n(low, lang)}–{_n(high, lang)} ha"
    if low is not None:
        return f"{'vähintään' if fi else 'at least'} {_n(low, lang)} ha"
    assert high is not None
    return f"{'enintään' if fi else 'at most'} {_n(high, lang)} ha"


def _area(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    low, high = profile.min_area_ha, profile.max_area_ha
    if low is None and high is None:
        return None
    wanted_fi, wanted_en = _wanted_area(low, high, "fi"), _wanted_area(low, high, "en")
    area = _site_area_ha(site)
    if area is None:
        return _result(
            "area",
            Outcome.UNKNOWN,
            f"Pinta-ala ei ole tiedossa (tarve {wanted_fi}).",
            f"The area is not known (needed: {wanted_en}).",
        )
    met = (low is None or area >= low) and (high is None or area <= high)
    return _result(
        "area",
        Outcome.MET if met else Outcome.MISSED,
        f"Pinta-ala {_n(area, 'fi')} ha; tarve {wanted_fi}.",
        f"Area {_n(area, 'en')} ha; needed: {wanted_en}.",
    )


def _power(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    need = profile.min_power_mw
    if need is None:
        return None
    have = site.available_power_mw
    if have is None:
        return _result(
            "power",
            Outcome.UNKNOWN,
            f"Käytettävissä oleva teho ei ole tiedossa (tarve {_n(need, 'fi')} MW).",
            f"The available power is not known (needed: {_n(need, 'en')} MW).",
        )
    return _result(
        "power",
        Outcome.MET if have >= need else Outcome.MISSED,
        f"Tehoa {_n(have, 'fi')} MW; tarve vähintään {_n(need, 'fi')} MW.",
        f"Power {_n(have, 'en')} MW; needed: at least {_n(need, 'en')} MW.",
    )


def _water(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    need = profile.needs_water
    if need is None or need is False:
        return None
    minimum = Decimal(0) if need is True else need
    wanted_fi = "vesihuolto" if need is True else f"vähintään {_n(minimum, 'fi')} m³/vrk"
    wanted_en = "a water supply" if need is True else f"at least {_n(minimum, 'en')} m³/day"
    have = site.water_m3_per_day
    if have is None:
        return _result(
            "water",
            Outcome.UNKNOWN,
            f"Vesihuollon kapasiteetti ei ole tiedossa (tarve {wanted_fi}).",
            f"The water capacity is not known (needed: {wanted_en}).",
        )
    # True means "some supply": a capacity of zero does not count.
    met = have > 0 and have >= minimum
    return _result(
        "water",
        Outcome.MET if met else Outcome.MISSED,
        f"Vettä {_n(have, 'fi')} m³/vrk; tarve {wanted_fi}.",
        f"Water {_n(have, 'en')} m³/day; needed: {wanted_en}.",
    )


def _rail(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    if not profile.needs_rail:
        return None
    if site.rail_siding is None:
        return _result(
            "rail",
            Outcome.UNKNOWN,
            "Raideyhteys ei ole tiedossa.",
            "Whether there is a rail siding is not known.",
        )
    if site.rail_siding:
        return _result("rail", Outcome.MET, "Raideyhteys on.", "There is a rail siding.")
    return _result("rail", Outcome.MISSED, "Raideyhteyttä ei ole.", "There is no rail siding.")


def _zoning(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    if not profile.zoning:
        return None
    ordered = sorted(profile.zoning, key=list(ZoningStatus).index)
    wanted_fi = ", ".join(label(status, "fi").lower() for status in ordered)
    wanted_en = ", ".join(label(status, "en").lower() for status in ordered)
    status = site.zoning_status
    if status is None:
        return _result(
            "zoning",
            Outcome.UNKNOWN,
            f"Kaavatilanne ei ole tiedossa (hyväksytään: {wanted_fi}).",
            f"The zoning status is not known (accepted: {wanted_en}).",
        )
    return _result(
        "zoning",
        Outcome.MET if status in profile.zoning else Outcome.MISSED,
        f"Kaavatilanne: {label(status, 'fi').lower()}; hyväksytään: {wanted_fi}.",
        f"Zoning: {label(status, 'en').lower()}; accepted: {wanted_en}.",
    )


def _industry(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    code = profile.industry_code
    if code is None:
        return None
    if not site.industry_codes:
        return _result(
            "industry",
            Outcome.UNKNOWN,
            "Kohteelle ei ole merkitty soveltuvia toimialoja.",
            "No suitable industries are recorded for the site.",
        )
    if code in site.industry_codes:
        return _result(
            "industry",
            Outcome.MET,
            f"Kohde soveltuu toimialalle {code}.",
            f"The site suits the industry {code}.",
        )
    return _result(
        "industry",
        Outcome.MISSED,
        f"Kohdetta ei ole merkitty toimialalle {code}.",
        f"The site is not recorded as suitable for the industry {code}.",
    )


def _municipality(
    profile: RequirementProfile, site: SiteDraft, names: Mapping[str, str]
) -> CriterionResult | None:
    if not profile.preferred_municipality_codes:
        return None
    met = site.municipality_code in profile.preferred_municipality_codes
    name = municipality_list([site.municipality_code], names)
    wanted = municipality_list(profile.preferred_municipality_codes, names)
    if met:
        return _result(
            "municipality",
            Outcome.MET,
            f"Kunta {name} on toivottu.",
            f"The municipality {name} is preferred.",
        )
    return _result(
        "municipality",
        Outcome.MISSED,
        f"Kunta {name} ei ole toivottujen joukossa ({wanted}).",
        f"The municipality {name} is not among the preferred ({wanted}).",
    )


# The municipality is checked last, with the region's names (see `score_site`).
_CHECKS: Final = (_area, _power, _water, _zoning, _industry, _rail)


def score_site(
    profile: RequirementProfile,
    site: SiteDraft,
    municipality_names: Mapping[str, str] | None = None,
) -> MatchResult:
    """The site's score for the profile: 0 when the profile sets no criteria.
    `municipality_names` (codes to names) name the municipalities in explanations."""
    found = [check(profile, site) for check in _CHECKS]
    found.append(_municipality(profile, site, municipality_names or {}))
    criteria = tuple(result for result in found if result is not None)
    total = sum(c.weight for c in criteria)
    met = sum(c.weight for c in criteria if c.outcome == Outcome.MET)
    # Integer half-up rounding, so equal inputs never round differently.
    score = (200 * met + total) // (2 * total) if total else 0
    return MatchResult(score=score, criteria=criteria)


def rank_sites(
    profile: RequirementProfile,
    sites: Iterable[tuple[K, SiteDraft]],
    municipality_names: Mapping[str, str] | None = None,
) -> list[tuple[K, SiteDraft, MatchResult]]:
    """(key, site, result) for each (key, site), best score first, then by Finnish name.

    The key is the caller's handle on the site (its id), returned as given.
    """
    ranked = [(key, site, score_site(profile, site, municipality_names)) for key, site in sites]
    ranked.sort(key=lambda item: (-item[2].score, item[1].name_fi.casefold()))
    return ranked
