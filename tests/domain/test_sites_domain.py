"""Site rules: validation, the publishing workflow and freshness."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

import app.services.sites  # noqa: F401 - registers the site rules' messages
from app.domain.errors import FieldError, PermissionDenied, ValidationFailed
from app.domain.sites import (
    SITE_TRANSITIONS,
    Freshness,
    Ownership,
    PermitStatus,
    SiteDraft,
    SiteKind,
    SiteRegion,
    SiteStatus,
    Tenure,
    ZoningStatus,
    add_months,
    freshness,
    next_status,
    polygon_geojson,
    validate_site,
)
from app.i18n import field_error_message
from app.regions import DEFAULT_REGION_FILE
from app.services.region import load_region_file

MUNICIPALITIES = {"105", "205", "290", "578", "620", "697", "765", "777"}
KAINUU = SiteRegion.of(load_region_file(DEFAULT_REGION_FILE))
INDUSTRIES = {"ict_data_centres", "metal_machinery", "mining_chemicals", "tourism"}
TODAY = date(2025, 6, 15)


def test_enum_values_are_unchanged() -> None:
    assert [k.value for k in SiteKind] == [
        "industrial_plot",
        "premises",
        "data_centre",
        "energy",
        "tourism",
        "other",
    ]
    assert [z.value for z in ZoningStatus] == [
        "detailed_plan",
        "detailed_plan_in_preparation",
        "master_plan",
        "none",
    ]
    assert [o.value for o in Ownership] == ["municipal", "private", "state"]
    assert [t.value for t in Tenure] == ["sale", "lease", "sale_or_lease"]
    assert [p.value for p in PermitStatus] == ["not_needed", "not_started", "pending", "granted"]
    assert [s.value for s in SiteStatus] == [
        "draft",
        "submitted",
        "published",
        "returned",
        "withdrawn",
        "archived",
    ]


def full_site() -> SiteDraft:
    return SiteDraft(
        kind=SiteKind.DATA_CENTRE,
        name_fi="Datakeskustontti",
        name_en="Data-centre plot",
        municipality_code="205",
        latitude=64.227,
        longitude=27.7285,
        # About 145 m by 167 m: the stated 2.5 ha.
        polygon=(
            (
                (27.727, 64.226),
                (27.730, 64.226),
                (27.730, 64.2275),
                (27.727, 64.2275),
                (27.727, 64.226),
            ),
        ),
        area_ha=Decimal("2.5"),
        area_m2=Decimal("25000"),
        available_power_mw=Decimal("20"),
        substation_110kv_km=Decimal("1.5"),
        water_m3_per_day=Decimal("500"),
        price_eur=50_000,
        contact_email="maija.esimerkki@kajaani.fi",
        contact_phone="+358 40 123 4567",
        industry_codes=("ict_data_centres",),
        external_ref="KAJ-1",
        last_verified_on=date(2025, 6, 1),
    )


def errors_of(draft: SiteDraft) -> list[tuple[str, str]]:
    return [
        (e.field, e.code)
        for e in validate_site(draft, MUNICIPALITIES, INDUSTRIES, region=KAINUU, today=TODAY)
    ]


def test_a_complete_site_is_valid() -> None:
    assert errors_of(full_site()) == []


def test_minimal_site_needs_only_kind_name_and_municipality() -> None:
    draft = SiteDraft(kind=SiteKind.OTHER, name_fi="Tontti", municipality_code="765")
    assert errors_of(draft) == []
    assert draft.display_name("en") == "Tontti"  # falls back to the Finnish name
    assert full_site().display_name("en") == "Data-centre plot"


def test_blank_name_and_municipality_are_required_in_both_languages() -> None:
    draft = SiteDraft(kind=SiteKind.OTHER, name_fi="  ", municipality_code="")
    errors = validate_site(draft, MUNICIPALITIES, INDUSTRIES, region=KAINUU, today=TODAY)
    assert errors == [
        FieldError("name_fi", "This field is required.", "required"),
        FieldError("municipality_code", "This field is required.", "required"),
    ]
    assert [field_error_message("fi", e) for e in errors] == ["Tämä kenttä on pakollinen."] * 2
    assert [field_error_message("en", e) for e in errors] == ["This field is required."] * 2


def test_unknown_municipality_and_industry() -> None:
    draft = replace(full_site(), municipality_code="091", industry_codes=("ict_data_centres", "x"))
    named = {"205": "Kajaani", "765": "Sotkamo"}
    errors = validate_site(draft, named, INDUSTRIES, region=KAINUU, today=TODAY)
    assert errors == [
        FieldError(
            "municipality_code",
            "Unknown or not permitted municipality ”091”. Allowed: 205 Kajaani, 765 Sotkamo.",
            "unknown_municipality",
        ),
        FieldError("industry_codes", "Unknown industry code ”x”.", "unknown_industry"),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("area_ha", Decimal("-0.1")),
        ("area_m2", Decimal("-1")),
        ("floor_area_m2", Decimal("-5")),
        ("available_power_mw", Decimal("-1")),
        ("available_power_mw", Decimal("2000")),
        ("substation_110kv_km", Decimal("1000")),
        ("substation_400kv_km", Decimal("-0.5")),
        ("road_km", Decimal("1000")),
        ("airport_km", Decimal("-1")),
        ("port_km", Decimal("5000")),
        ("water_m3_per_day", Decimal("-1")),
        ("wastewater_m3_per_day", Decimal("-1")),
        ("price_eur", -1),
    ],
)
def test_numbers_out_of_range(field: str, value: object) -> None:
    # Without the other area, so a bad area is not also an area mismatch.
    draft = replace(full_site(), **{"area_ha": None, "area_m2": None, field: value})  # type: ignore[arg-type]
    assert errors_of(draft) == [(field, "out_of_range")]


def test_out_of_range_reason_in_both_languages() -> None:
    draft = replace(full_site(), available_power_mw=Decimal("2500.5"))
    [error] = validate_site(draft, MUNICIPALITIES, INDUSTRIES, region=KAINUU, today=TODAY)
    assert error.params == {"value": "2500.5", "min": "0", "max": "2000", "unit": "MW"}
    assert error.reason == "The value 2500.5 must be at least 0 and below 2000 MW."
    assert field_error_message("fi", error) == "Arvon 2500.5 on oltava vähintään 0 ja alle 2000 MW."


def test_power_just_below_limit_and_zero_distance_are_valid() -> None:
    draft = replace(full_site(), available_power_mw=Decimal("1999.9"), road_km=Decimal(0))
    assert errors_of(draft) == []


@pytest.mark.parametrize(
    ("ha", "m2", "ok"),
    [
        ("2.5", "25000", True),
        ("2.5", "25240", True),  # within 1 %
        ("2.5", "24760", True),
        ("2.5", "25300", False),
        ("2.5", "2500", False),  # a typical ha/m² mix-up
    ],
)
def test_hectares_and_square_metres_must_agree(ha: str, m2: str, ok: bool) -> None:
    draft = replace(full_site(), area_ha=Decimal(ha), area_m2=Decimal(m2))
    assert errors_of(draft) == ([] if ok else [("area_m2", "area_mismatch")])


def test_area_mismatch_reason() -> None:
    draft = replace(full_site(), area_ha=Decimal("2.5"), area_m2=Decimal("2500"))
    [error] = validate_site(draft, MUNICIPALITIES, INDUSTRIES, region=KAINUU, today=TODAY)
    assert error.reason == "The areas do not match: 2.5 ha is 25000 m², but 2500 m² was given."


@pytest.mark.parametrize("email", ["maija", "maija@kajaani", "a b@kajaani.fi", "@kajaani.fi"])
def test_invalid_email(email: str) -> None:
    assert errors_of(replace(full_site(), contact_email=email)) == [
        ("contact_email", "invalid_email")
    ]


@pytest.mark.parametrize("phone", ["abc", "12", "+358 40 abc 4567"])
def test_invalid_phone(phone: str) -> None:
    assert errors_of(replace(full_site(), contact_phone=phone)) == [
        ("contact_phone", "invalid_phone")
    ]


def test_location_must_be_in_kainuu() -> None:
    helsinki = replace(full_site(), latitude=60.1699, longitude=24.9384, polygon=None)
    assert errors_of(helsinki) == [("latitude", "outside_region")]
    swapped = replace(full_site(), latitude=27.7285, longitude=64.227, polygon=None)
    assert errors_of(swapped) == [("latitude", "coordinates_swapped")]
    [error] = validate_site(swapped, MUNICIPALITIES, INDUSTRIES, region=KAINUU, today=TODAY)
    assert field_error_message("fi", error) == (
        "Sijainti 27.7285, 64.227 ei ole alueella Kainuu; leveys- ja pituusaste ovat "
        "ilmeisesti väärin päin."
    )


def test_half_a_location_is_incomplete() -> None:
    assert errors_of(replace(full_site(), longitude=None)) == [("longitude", "incomplete_location")]
    assert errors_of(replace(full_site(), latitude=None)) == [("latitude", "incomplete_location")]


def test_polygon_must_be_closed_and_inside_kainuu() -> None:
    open_ring = ((27.72, 64.22), (27.74, 64.22), (27.74, 64.23), (27.72, 64.23))
    assert errors_of(replace(full_site(), polygon=(open_ring,))) == [("polygon", "invalid_polygon")]
    far = ((24.9, 60.1), (24.95, 60.1), (24.95, 60.2), (24.9, 60.1))
    assert errors_of(replace(full_site(), polygon=(far,))) == [
        ("polygon", "polygon_outside_region")
    ]


def test_polygon_as_geojson_keeps_longitude_first() -> None:
    ring = ((27.72, 64.22), (27.74, 64.22), (27.74, 64.23), (27.72, 64.22))
    assert polygon_geojson((ring,)) == {
        "type": "Polygon",
        "coordinates": [[[27.72, 64.22], [27.74, 64.22], [27.74, 64.23], [27.72, 64.22]]],
    }


def test_last_verified_cannot_be_in_the_future() -> None:
    assert errors_of(replace(full_site(), last_verified_on=date(2025, 6, 16))) == [
        ("last_verified_on", "in_future")
    ]
    assert errors_of(replace(full_site(), last_verified_on=TODAY)) == []


def test_text_limits_and_control_characters() -> None:
    assert errors_of(replace(full_site(), name_fi="x" * 201)) == [("name_fi", "too_long")]
    assert errors_of(replace(full_site(), name_fi="a\nb")) == [("name_fi", "invalid_text")]
    assert errors_of(replace(full_site(), address="Katu\x001")) == [("address", "invalid_text")]
    assert errors_of(replace(full_site(), description_fi="Rivi 1\nRivi 2")) == []
    [error] = validate_site(
        replace(full_site(), external_ref="r" * 81),
        MUNICIPALITIES,
        INDUSTRIES,
        region=KAINUU,
        today=TODAY,
    )
    assert (error.field, error.reason) == ("external_ref", "At most 80 characters (now 81).")
    assert field_error_message("en", error) == "At most 80 characters."


# --- workflow ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "action", "coordinator", "expected"),
    [
        (SiteStatus.DRAFT, "submit", False, SiteStatus.SUBMITTED),
        (SiteStatus.RETURNED, "submit", False, SiteStatus.SUBMITTED),
        (SiteStatus.DRAFT, "submit", True, SiteStatus.SUBMITTED),
        (SiteStatus.SUBMITTED, "publish", True, SiteStatus.PUBLISHED),
        (SiteStatus.DRAFT, "publish", True, SiteStatus.PUBLISHED),
        (SiteStatus.PUBLISHED, "withdraw", False, SiteStatus.WITHDRAWN),
        (SiteStatus.PUBLISHED, "withdraw", True, SiteStatus.WITHDRAWN),
        (SiteStatus.WITHDRAWN, "reopen", False, SiteStatus.DRAFT),
        (SiteStatus.PUBLISHED, "archive", False, SiteStatus.ARCHIVED),
        (SiteStatus.DRAFT, "archive", True, SiteStatus.ARCHIVED),
    ],
)
def test_allowed_transitions(
    current: SiteStatus, action: str, coordinator: bool, expected: SiteStatus
) -> None:
    assert next_status(current, action, coordinator) == expected


def test_archive_from_every_status_but_archived() -> None:
    assert set(SITE_TRANSITIONS["archive"]) == set(SiteStatus) - {SiteStatus.ARCHIVED}


def test_return_needs_coordinator_and_a_comment() -> None:
    assert (
        next_status(SiteStatus.SUBMITTED, "return", True, comment="Lisää kuvat")
        == SiteStatus.RETURNED
    )
    with pytest.raises(ValidationFailed) as failed:
        next_status(SiteStatus.SUBMITTED, "return", True, comment="  ")
    assert failed.value.errors == [FieldError("comment", "This field is required.", "required")]
    with pytest.raises(PermissionDenied):
        next_status(SiteStatus.SUBMITTED, "return", False, comment="x")


@pytest.mark.parametrize("current", [SiteStatus.SUBMITTED, SiteStatus.DRAFT])
def test_municipal_contact_cannot_publish(current: SiteStatus) -> None:
    with pytest.raises(PermissionDenied) as denied:
        next_status(current, "publish", False)
    assert denied.value.detail == "Only the Regional Council's coordinator can do this."


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (SiteStatus.PUBLISHED, "submit"),
        (SiteStatus.SUBMITTED, "submit"),
        (SiteStatus.RETURNED, "publish"),
        (SiteStatus.ARCHIVED, "publish"),
        (SiteStatus.DRAFT, "return"),
        (SiteStatus.DRAFT, "withdraw"),
        (SiteStatus.ARCHIVED, "archive"),
        (SiteStatus.PUBLISHED, "reopen"),
        (SiteStatus.ARCHIVED, "reopen"),
    ],
)
def test_invalid_transitions(current: SiteStatus, action: str) -> None:
    with pytest.raises(ValidationFailed) as failed:
        next_status(current, action, True)
    [error] = failed.value.errors
    assert (error.field, error.code) == ("status", "invalid_transition")


def test_invalid_transition_reason_in_both_languages() -> None:
    with pytest.raises(ValidationFailed) as failed:
        next_status(SiteStatus.ARCHIVED, "publish", True)
    [error] = failed.value.errors
    assert (error.code, error.params) == (
        "invalid_transition",
        {"site_status": "archived", "site_transition": "publish"},
    )
    assert field_error_message("en", error) == "A site in status “Archived” cannot be published."
    assert field_error_message("fi", error) == (
        "Kohdetta, jonka tila on ”Arkistoitu”, ei voi julkaista."
    )


def test_unknown_action() -> None:
    with pytest.raises(ValidationFailed) as failed:
        next_status(SiteStatus.DRAFT, "delete", True)
    assert [(e.field, e.code) for e in failed.value.errors] == [("action", "unknown_action")]


# --- freshness ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verified", "today", "expected"),
    [
        (date(2025, 1, 15), date(2025, 7, 14), Freshness.FRESH),
        (date(2025, 1, 15), date(2025, 7, 15), Freshness.STALE),
        (date(2025, 1, 15), date(2025, 10, 14), Freshness.STALE),
        (date(2025, 1, 15), date(2025, 10, 15), Freshness.EXPIRED),
        (None, date(2025, 1, 1), Freshness.EXPIRED),
        (date(2024, 8, 31), date(2025, 2, 27), Freshness.FRESH),
        (date(2024, 8, 31), date(2025, 2, 28), Freshness.STALE),  # clamped month end
    ],
)
def test_freshness(verified: date | None, today: date, expected: Freshness) -> None:
    assert freshness(verified, today, flag_after_months=6, hide_after_months=9) == expected


def test_freshness_needs_consistent_periods() -> None:
    with pytest.raises(ValueError):
        freshness(date(2025, 1, 1), date(2025, 2, 1), flag_after_months=12, hide_after_months=6)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2024, 12, 15), 12) == date(2025, 12, 15)
