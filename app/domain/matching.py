"""Matching sites to a lead's requirement profile, with a transparent score.

Every criterion the profile sets is checked on its own and reported as met, missed or
unknown with its weight and a sentence, translated when shown; the score is the share
of the set criteria's weight that is met. Missing site data never counts as met, so a
sparsely filled site cannot outrank a well documented one by omission.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar, Union

from babel.numbers import format_decimal

from app.domain.sites import M2_PER_HA, SiteDraft, ZoningStatus, municipality_list
from app.i18n import N_, babel_locale, label, translate

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


# A value in an explanation: a number (shown in the reader's notation), a zoning status
# or several (shown as their labels), a nested phrase, or text shown as given.
PhraseValue = Union[Decimal, ZoningStatus, tuple[ZoningStatus, ...], "Phrase", str]


@dataclass(frozen=True)
class Phrase:
    """A sentence, or part of one, to translate when shown: an English msgid marked with
    N_ (translations in the leads catalogs) and the values of its placeholders."""

    message: str
    values: Mapping[str, PhraseValue] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        shown = {name: _shown(value, lang) for name, value in self.values.items()}
        return translate(lang, self.message, **shown)


def _shown(value: PhraseValue, lang: str) -> str:
    if isinstance(value, Phrase):
        return value.render(lang)
    if isinstance(value, ZoningStatus):
        return label(lang, "zoning_status", value.value).lower()
    if isinstance(value, tuple):
        return ", ".join(_shown(status, lang) for status in value)
    if isinstance(value, Decimal):
        return format_decimal(value, locale=babel_locale(lang))
    return value


@dataclass(frozen=True)
class CriterionResult:
    criterion: str  # a key of WEIGHTS
    outcome: Outcome
    weight: int
    reason: Phrase

    def explanation(self, lang: str) -> str:
        return self.reason.render(lang)


@dataclass(frozen=True)
class MatchResult:
    score: int  # 0-100: met weight / weight of the criteria the profile sets
    criteria: tuple[CriterionResult, ...]

    def by_outcome(self, outcome: Outcome) -> tuple[str, ...]:
        return tuple(c.criterion for c in self.criteria if c.outcome == outcome)


def _result(
    criterion: str, outcome: Outcome, message: str, **values: PhraseValue
) -> CriterionResult:
    return CriterionResult(criterion, outcome, WEIGHTS[criterion], Phrase(message, values))


def _site_area_ha(site: SiteDraft) -> Decimal | None:
    if site.area_ha is not None:
        return site.area_ha
    return site.area_m2 / M2_PER_HA if site.area_m2 is not None else None


def _wanted_area(low: Decimal | None, high: Decimal | None) -> Phrase:
    if low is not None and high is not None:
        return Phrase(N_("%(low)s–%(high)s ha"), {"low": low, "high": high})
    if low is not None:
        return Phrase(N_("at least %(amount)s ha"), {"amount": low})
    assert high is not None
    return Phrase(N_("at most %(amount)s ha"), {"amount": high})


def _area(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    low, high = profile.min_area_ha, profile.max_area_ha
    if low is None and high is None:
        return None
    wanted = _wanted_area(low, high)
    area = _site_area_ha(site)
    if area is None:
        return _result(
            "area",
            Outcome.UNKNOWN,
            N_("The area is not known (needed: %(wanted)s)."),
            wanted=wanted,
        )
    met = (low is None or area >= low) and (high is None or area <= high)
    return _result(
        "area",
        Outcome.MET if met else Outcome.MISSED,
        N_("Area %(area)s ha; needed: %(wanted)s."),
        area=area,
        wanted=wanted,
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
            N_("The available power is not known (needed: %(need)s MW)."),
            need=need,
        )
    return _result(
        "power",
        Outcome.MET if have >= need else Outcome.MISSED,
        N_("Power %(have)s MW; needed: at least %(need)s MW."),
        have=have,
        need=need,
    )


def _water(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    need = profile.needs_water
    if need is None or need is False:
        return None
    minimum = Decimal(0) if need is True else need
    wanted = (
        Phrase(N_("a water supply"))
        if need is True
        else Phrase(N_("at least %(amount)s m³/day"), {"amount": minimum})
    )
    have = site.water_m3_per_day
    if have is None:
        return _result(
            "water",
            Outcome.UNKNOWN,
            N_("The water capacity is not known (needed: %(wanted)s)."),
            wanted=wanted,
        )
    # True means "some supply": a capacity of zero does not count.
    met = have > 0 and have >= minimum
    return _result(
        "water",
        Outcome.MET if met else Outcome.MISSED,
        N_("Water %(have)s m³/day; needed: %(wanted)s."),
        have=have,
        wanted=wanted,
    )


def _rail(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    if not profile.needs_rail:
        return None
    if site.rail_siding is None:
        return _result("rail", Outcome.UNKNOWN, N_("Whether there is a rail siding is not known."))
    if site.rail_siding:
        return _result("rail", Outcome.MET, N_("There is a rail siding."))
    return _result("rail", Outcome.MISSED, N_("There is no rail siding."))


def _zoning(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    if not profile.zoning:
        return None
    accepted = tuple(sorted(profile.zoning, key=list(ZoningStatus).index))
    status = site.zoning_status
    if status is None:
        return _result(
            "zoning",
            Outcome.UNKNOWN,
            N_("The zoning status is not known (accepted: %(accepted)s)."),
            accepted=accepted,
        )
    return _result(
        "zoning",
        Outcome.MET if status in profile.zoning else Outcome.MISSED,
        N_("Zoning: %(zoning)s; accepted: %(accepted)s."),
        zoning=status,
        accepted=accepted,
    )


def _industry(profile: RequirementProfile, site: SiteDraft) -> CriterionResult | None:
    code = profile.industry_code
    if code is None:
        return None
    if not site.industry_codes:
        return _result(
            "industry",
            Outcome.UNKNOWN,
            N_("No suitable industries are recorded for the site."),
        )
    if code in site.industry_codes:
        return _result(
            "industry", Outcome.MET, N_("The site suits the industry %(industry)s."), industry=code
        )
    return _result(
        "industry",
        Outcome.MISSED,
        N_("The site is not recorded as suitable for the industry %(industry)s."),
        industry=code,
    )


def _municipality(
    profile: RequirementProfile, site: SiteDraft, names: Mapping[str, str]
) -> CriterionResult | None:
    if not profile.preferred_municipality_codes:
        return None
    met = site.municipality_code in profile.preferred_municipality_codes
    name = municipality_list([site.municipality_code], names)
    if met:
        return _result(
            "municipality",
            Outcome.MET,
            N_("The municipality %(municipality)s is preferred."),
            municipality=name,
        )
    return _result(
        "municipality",
        Outcome.MISSED,
        N_("The municipality %(municipality)s is not among the preferred (%(preferred)s)."),
        municipality=name,
        preferred=municipality_list(profile.preferred_municipality_codes, names),
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
