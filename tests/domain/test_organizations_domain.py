"""Rules of organisations and contacts."""

from __future__ import annotations

import uuid

import pytest
from stdnum.fi import ytunnus

from app.domain.errors import ValidationFailed
from app.domain.organizations import (
    COUNTRY_CODES,
    ClassificationVersion,
    ContactKey,
    DuplicateCandidate,
    DuplicateMatch,
    LawfulBasis,
    MatchRule,
    OrganizationType,
    OrgKey,
    find_contact_duplicates,
    find_duplicates,
    normalise_email,
    normalise_org_name,
    validate_business_id,
    validate_country,
)

# Real, checksum-valid business IDs (Nokia Oyj, Kone Oyj, UPM-Kymmene Oyj).
NOKIA = "0112038-9"
KONE = "1927400-1"
UPM = "1041090-0"


def single_error(exc: ValidationFailed) -> tuple[str, str]:
    assert len(exc.errors) == 1
    return exc.errors[0].field, exc.errors[0].code


def test_enum_values() -> None:
    assert [t.value for t in OrganizationType] == [
        "company",
        "investor",
        "public_funder",
        "partner_agency",
        "research_education",
        "municipality",
    ]
    assert [b.value for b in LawfulBasis] == ["legitimate_interest", "consent", "public_task"]
    assert [v.value for v in ClassificationVersion] == ["TOL2008", "TOL2025"]


# --- Business ID ------------------------------------------------------------------------------


def test_fixture_ids_are_valid() -> None:
    assert all(ytunnus.is_valid(bid) for bid in (NOKIA, KONE, UPM))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (NOKIA, NOKIA),
        ("01120389", NOKIA),
        ("  0112038 - 9 ", NOKIA),
        ("FI01120389", NOKIA),  # VAT number form
        (KONE, KONE),
    ],
)
def test_business_id_is_formatted(raw: str, expected: str) -> None:
    assert validate_business_id(raw) == expected


def test_business_id_wrong_check_digit() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_business_id("0112038-8")
    assert single_error(caught.value) == ("business_id", "invalid_checksum")
    assert "check digit" in caught.value.errors[0].reason


@pytest.mark.parametrize("raw", ["112038-9", "01120389-1", "O112038-9", "abc"])
def test_business_id_bad_format(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_business_id(raw)
    assert single_error(caught.value) == ("business_id", "invalid_format")


def test_business_id_blank() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_business_id("   ")
    assert single_error(caught.value) == ("business_id", "required")


# --- Names and e-mail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("KaiCell Fibers Oy", "Kaicell fibers"),
        ("Terrafame Oy", "TERRAFAME"),
        ("Sotkamo Silver AB (publ)", "Sotkamo Silver"),
        ("Oy Karl Fazer Ab", "Karl Fazer"),
        ("Kajaanin Vesi-Oy", "kajaanin   vesi"),
        ("Nordic Data Centers Ltd.", "Nordic Data Centers Limited"),
        ("Acme & Co. GmbH", "ACME"),
        ("Polska Firma Sp. z o.o.", "Polska Firma"),
        ("Kainuun Kauppa Ky", "Kainuun Kauppa Kommandiittiyhtiö"),
        ("McDonald’s Oy", "McDonalds"),
        ("Ka\u0308rka\u0308s Oy", "Kärkäs"),  # decomposed ä from a copy-paste
    ],
)
def test_names_that_are_the_same_organisation(left: str, right: str) -> None:
    assert normalise_org_name(left) == normalise_org_name(right)


def test_normalised_name_value() -> None:
    assert normalise_org_name("  KaiCell   Fibers Oy ") == "kaicell fibers"
    assert normalise_org_name("Äänekosken Energia Oyj") == "äänekosken energia"


def test_finnish_letters_are_kept() -> None:
    assert normalise_org_name("Sää Oy") != normalise_org_name("Saa Oy")
    assert normalise_org_name("Kööpenhamina Ab") == "kööpenhamina"


def test_legal_form_inside_a_name_is_kept() -> None:
    assert normalise_org_name("Nordic Ab Holding Oy") == "nordic ab holding"
    assert normalise_org_name("Kainuun Osuuskunta Palvelut Oy") == "kainuun osuuskunta palvelut"


def test_a_name_that_is_only_a_legal_form_is_not_emptied() -> None:
    assert normalise_org_name("AS") == "as"
    assert normalise_org_name("Oy Ab") == "oy"


def test_normalise_email() -> None:
    assert normalise_email("  Matti.Meikalainen@Kainuunliitto.FI \n") == (
        "matti.meikalainen@kainuunliitto.fi"
    )


# --- Duplicate organisations ------------------------------------------------------------------

ID_A, ID_B, ID_C, ID_D = (uuid.UUID(int=n) for n in range(1, 5))


def test_duplicate_by_business_id_in_any_format() -> None:
    existing = [OrgKey(ID_A, "Nokia Corporation", "FI01120389"), OrgKey(ID_B, "Kone", KONE)]
    matches = find_duplicates(DuplicateCandidate("Nokia Oyj", NOKIA), existing)
    assert matches == [DuplicateMatch(ID_A, MatchRule.BUSINESS_ID)]


def test_duplicate_by_name_when_an_id_is_missing() -> None:
    existing = [
        OrgKey(ID_A, "KaiCell Fibers Oy", None),
        OrgKey(ID_B, "Terrafame Oy", UPM),
        OrgKey(ID_C, "Sotkamo Silver AB"),
    ]
    assert find_duplicates(DuplicateCandidate("Kaicell fibers"), existing) == [
        DuplicateMatch(ID_A, MatchRule.NAME)
    ]
    assert find_duplicates(DuplicateCandidate("TERRAFAME", None), existing) == [
        DuplicateMatch(ID_B, MatchRule.NAME)
    ]
    assert find_duplicates(DuplicateCandidate("KaiCell Fibers", KONE), existing) == [
        DuplicateMatch(ID_A, MatchRule.NAME)
    ]


def test_same_name_with_different_business_ids_is_not_a_duplicate() -> None:
    existing = [OrgKey(ID_A, "Nordic Mining Oy", UPM)]
    assert find_duplicates(DuplicateCandidate("Nordic Mining AS", KONE), existing) == []


def test_business_id_matches_come_first_and_each_org_once() -> None:
    existing = [
        OrgKey(ID_A, "Kone Elevators", None),  # name differs: no match
        OrgKey(ID_B, "KONE Oyj", None),
        OrgKey(ID_C, "Kone Oyj", KONE),  # both rules hold: reported once, by ID
        OrgKey(ID_D, "Something Else", "1927400 1"),
    ]
    assert find_duplicates(DuplicateCandidate("Kone", KONE), existing) == [
        DuplicateMatch(ID_C, MatchRule.BUSINESS_ID),
        DuplicateMatch(ID_D, MatchRule.BUSINESS_ID),
        DuplicateMatch(ID_B, MatchRule.NAME),
    ]


def test_editing_an_org_does_not_match_itself() -> None:
    existing = [OrgKey(ID_A, "Kone Oyj", KONE), OrgKey(ID_B, "Kone", None)]
    candidate = DuplicateCandidate("Kone Oyj", KONE, id=ID_A)
    assert find_duplicates(candidate, existing) == [DuplicateMatch(ID_B, MatchRule.NAME)]


def test_no_duplicates() -> None:
    existing = [OrgKey(ID_A, "UPM-Kymmene Oyj", UPM)]
    assert find_duplicates(DuplicateCandidate("Kone Oyj", KONE), existing) == []
    assert find_duplicates(DuplicateCandidate("Kone Oyj", KONE), []) == []


def test_punctuation_only_names_never_match() -> None:
    existing = [OrgKey(ID_A, "---")]
    assert find_duplicates(DuplicateCandidate("..."), existing) == []


def test_match_rule_values() -> None:
    assert [r.value for r in MatchRule] == ["business_id", "name", "email"]


# --- Duplicate contacts -----------------------------------------------------------------------


def test_contact_duplicates_by_email() -> None:
    existing = [
        ContactKey(ID_A, "Anna.Investor@Example.com"),
        ContactKey(ID_B, "someone@example.com"),
        ContactKey(ID_C, None),
        ContactKey(ID_D, " anna.investor@example.com "),
    ]
    assert find_contact_duplicates("anna.investor@EXAMPLE.com", existing) == [
        DuplicateMatch(ID_A, MatchRule.EMAIL),
        DuplicateMatch(ID_D, MatchRule.EMAIL),
    ]
    assert find_contact_duplicates("anna.investor@example.com", existing, exclude_id=ID_A) == [
        DuplicateMatch(ID_D, MatchRule.EMAIL)
    ]


def test_contact_without_email_has_no_duplicates() -> None:
    existing = [ContactKey(ID_A, None), ContactKey(ID_B, "")]
    assert find_contact_duplicates(None, existing) == []
    assert find_contact_duplicates("   ", existing) == []


# --- Country ----------------------------------------------------------------------------------


def test_country_codes_are_iso_3166_1() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"FI", "SE", "NO", "DE", "US", "CN", "JP", "AX", "GB"} <= COUNTRY_CODES
    assert not {"EU", "UN", "ZZ", "XK", "EZ", "QO"} & COUNTRY_CODES
    assert all(len(code) == 2 and code.isupper() for code in COUNTRY_CODES)


@pytest.mark.parametrize(("raw", "expected"), [("fi", "FI"), (" De ", "DE"), ("AX", "AX")])
def test_valid_country(raw: str, expected: str) -> None:
    assert validate_country(raw) == expected


@pytest.mark.parametrize("raw", ["", "FIN", "UK", "EU", "zz", "F1"])
def test_invalid_country(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_country(raw)
    assert single_error(caught.value) == ("country_code", "unknown_country")


def test_invalid_country_names_the_given_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_country("XX", field_name="origin_country")
    assert single_error(caught.value) == ("origin_country", "unknown_country")
