"""Matching sites to a requirement profile."""

from __future__ import annotations

from decimal import Decimal

from app.domain.matching import (
    WEIGHTS,
    Outcome,
    RequirementProfile,
    rank_sites,
    score_site,
)
from app.domain.sites import SiteDraft, SiteKind, ZoningStatus

PROFILE = RequirementProfile(
    min_area_ha=Decimal(2),
    max_area_ha=Decimal(10),
    min_power_mw=Decimal(10),
    needs_water=Decimal(100),
    needs_rail=True,
    zoning=frozenset({ZoningStatus.DETAILED_PLAN}),
    industry_code="ict_data_centres",
    preferred_municipality_codes=frozenset({"205"}),
)


def site(**changes: object) -> SiteDraft:
    values: dict[str, object] = {
        "kind": SiteKind.DATA_CENTRE,
        "name_fi": "Renforsin Ranta",
        "municipality_code": "205",
        "area_ha": Decimal(5),
        "available_power_mw": Decimal(20),
        "water_m3_per_day": Decimal(500),
        "rail_siding": True,
        "zoning_status": ZoningStatus.DETAILED_PLAN,
        "industry_codes": ("ict_data_centres",),
    }
    values.update(changes)
    return SiteDraft(**values)  # type: ignore[arg-type]


def outcomes(profile: RequirementProfile, draft: SiteDraft) -> dict[str, Outcome]:
    return {c.criterion: c.outcome for c in score_site(profile, draft).criteria}


def test_perfect_site_scores_100_with_every_criterion_met() -> None:
    result = score_site(PROFILE, site())
    assert result.score == 100
    assert outcomes(PROFILE, site()) == dict.fromkeys(
        ("area", "power", "water", "zoning", "industry", "rail", "municipality"), Outcome.MET
    )
    assert [c.weight for c in result.criteria] == [25, 25, 15, 15, 15, 10, 10]


def test_weights_add_up_to_115_so_scores_are_shares_not_sums() -> None:
    assert sum(WEIGHTS.values()) == 115


def test_missed_power_costs_its_weight_share() -> None:
    result = score_site(PROFILE, site(available_power_mw=Decimal(5)))
    # 90 of 115 weight met: 78.26 -> 78
    assert result.score == 78
    assert result.by_outcome(Outcome.MISSED) == ("power",)
    power = next(c for c in result.criteria if c.criterion == "power")
    assert power.explanation("fi") == "Tehoa 5 MW; tarve vähintään 10 MW."
    assert power.explanation("en") == "Power 5 MW; needed: at least 10 MW."


def test_unknown_data_never_counts_as_met() -> None:
    sparse = SiteDraft(kind=SiteKind.OTHER, name_fi="Tyhjä", municipality_code="765")
    result = score_site(PROFILE, sparse)
    assert result.by_outcome(Outcome.UNKNOWN) == (
        "area",
        "power",
        "water",
        "zoning",
        "industry",
        "rail",
    )
    assert result.by_outcome(Outcome.MISSED) == ("municipality",)
    assert result.by_outcome(Outcome.MET) == ()
    assert result.score == 0
    area = result.criteria[0]
    assert area.explanation("fi") == "Pinta-ala ei ole tiedossa (tarve 2–10 ha)."
    assert area.explanation("en") == "The area is not known (needed: 2–10 ha)."


def test_area_bounds_and_square_metres_fallback() -> None:
    assert outcomes(PROFILE, site(area_ha=Decimal(12)))["area"] == Outcome.MISSED
    assert outcomes(PROFILE, site(area_ha=Decimal(1)))["area"] == Outcome.MISSED
    assert outcomes(PROFILE, site(area_ha=Decimal(10)))["area"] == Outcome.MET
    from_m2 = site(area_ha=None, area_m2=Decimal(30_000))
    assert outcomes(PROFILE, from_m2)["area"] == Outcome.MET
    only_min = RequirementProfile(min_area_ha=Decimal("1.5"))
    [area] = score_site(only_min, site(area_ha=Decimal(1))).criteria
    assert area.explanation("fi") == "Pinta-ala 1 ha; tarve vähintään 1,5 ha."
    only_max = RequirementProfile(max_area_ha=Decimal(3))
    [area] = score_site(only_max, site(area_ha=Decimal(1))).criteria
    assert (area.outcome, area.explanation("en")) == (
        Outcome.MET,
        "Area 1 ha; needed: at most 3 ha.",
    )


def test_water_as_flag_or_minimum() -> None:
    any_water = RequirementProfile(needs_water=True)
    assert outcomes(any_water, site(water_m3_per_day=Decimal(1))) == {"water": Outcome.MET}
    assert outcomes(any_water, site(water_m3_per_day=Decimal(0))) == {"water": Outcome.MISSED}
    assert outcomes(any_water, site(water_m3_per_day=None)) == {"water": Outcome.UNKNOWN}
    assert outcomes(PROFILE, site(water_m3_per_day=Decimal(99)))["water"] == Outcome.MISSED
    assert score_site(RequirementProfile(needs_water=False), site()).criteria == ()


def test_rail_zoning_industry_and_municipality() -> None:
    sotkamo_site = site(
        rail_siding=False,
        zoning_status=ZoningStatus.MASTER_PLAN,
        industry_codes=("tourism",),
        municipality_code="765",
    )
    result = score_site(PROFILE, sotkamo_site)
    assert result.by_outcome(Outcome.MISSED) == ("zoning", "industry", "rail", "municipality")
    assert result.score == 57  # area 25 + power 25 + water 15 = 65 of 115
    zoning = next(c for c in result.criteria if c.criterion == "zoning")
    assert zoning.explanation("fi") == (
        "Kaavatilanne: yleiskaava; hyväksytään: asemakaava voimassa."
    )
    municipality = result.criteria[-1]
    assert municipality.explanation("en") == (
        "The municipality 765 is not among the preferred (205)."
    )
    names = {"205": "Kajaani", "765": "Sotkamo"}
    named = score_site(PROFILE, sotkamo_site, names).criteria[-1]
    assert named.explanation("en") == (
        "The municipality 765 Sotkamo is not among the preferred (205 Kajaani)."
    )
    unknown_rail = score_site(RequirementProfile(needs_rail=True), site(rail_siding=None))
    assert unknown_rail.by_outcome(Outcome.UNKNOWN) == ("rail",)


def test_empty_profile_scores_zero_with_no_criteria() -> None:
    result = score_site(RequirementProfile(), site())
    assert (result.score, result.criteria) == (0, ())


def test_rank_sites_by_score_then_name_keeping_keys() -> None:
    sites = [
        ("b", site(name_fi="Öljytie", available_power_mw=Decimal(1))),
        ("a", site(name_fi="aapa")),
        ("c", site(name_fi="Kallio", available_power_mw=Decimal(1))),
        ("d", site(name_fi="Bertta")),
    ]
    ranked = rank_sites(PROFILE, sites)
    assert [(key, result.score) for key, _site, result in ranked] == [
        ("a", 100),
        ("d", 100),
        ("c", 78),
        ("b", 78),
    ]
    assert ranked[0][1] is sites[1][1]
