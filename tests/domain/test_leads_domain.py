"""Rules of the investment-lead pipeline."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.domain.errors import ValidationFailed
from app.domain.leads import (
    CODE_NAME_WORDS,
    DEFAULT_LOST_REASONS,
    DEFAULT_STAGES,
    INITIAL_STAGE_CODE,
    AmountBasis,
    CapexStatus,
    InvestmentType,
    LeadSource,
    LeadState,
    Priority,
    StageDefinition,
    StageKind,
    StageLogEntry,
    TransitionPlan,
    TransitionRequest,
    effective_probability,
    generate_code_name,
    plan_transition,
    stage_at,
    time_in_stages,
    validate_probability_override,
    weighted_value,
)

STAGES = {stage.code: stage for stage in DEFAULT_STAGES}
LOST_REASONS = [reason.code for reason in DEFAULT_LOST_REASONS]
MUNICIPALITIES = ["105", "205", "290", "578", "620", "697", "765", "777"]
TODAY = date(2025, 6, 16)


def plan(state: LeadState, request: TransitionRequest) -> TransitionPlan:
    return plan_transition(state, request, STAGES, LOST_REASONS, MUNICIPALITIES, today=TODAY)


def errors_of(state: LeadState, request: TransitionRequest) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        plan(state, request)
    return {(error.field, error.code) for error in caught.value.errors}


def landing(**overrides: object) -> TransitionRequest:
    values: dict[str, object] = {
        "to_stage": "landed",
        "landing_municipality_code": "578",
        "realised_capex_eur": Decimal("900000000"),
        "capex_status": CapexStatus.COMMITTED,
        "landed_on": date(2025, 6, 2),
    }
    values.update(overrides)
    return TransitionRequest(**values)  # type: ignore[arg-type]


# --- Existing enums keep their stored values -------------------------------------------


def test_enum_values_are_stable() -> None:
    assert [k.value for k in StageKind] == ["open", "won", "lost", "on_hold"]
    assert [s.value for s in CapexStatus] == ["estimate", "announced", "committed", "realised"]
    assert [t.value for t in InvestmentType] == [
        "greenfield_fdi",
        "expansion",
        "brownfield",
        "business_transfer",
        "capital_investment",
    ]
    assert [s.value for s in LeadSource] == [
        "portal_inquiry",
        "invest_in_finland",
        "partner",
        "event",
        "own_prospecting",
    ]
    assert [b.value for b in AmountBasis] == ["estimated", "confirmed", "public"]
    assert [p.value for p in Priority] == ["low", "normal", "high"]


# --- Default stages and lost reasons ----------------------------------------------------


def test_default_stages_in_order_with_probabilities_and_kinds() -> None:
    assert [(s.code, s.default_probability, s.kind) for s in DEFAULT_STAGES] == [
        ("identified", 5, StageKind.OPEN),
        ("contacted", 10, StageKind.OPEN),
        ("qualified", 25, StageKind.OPEN),
        ("site_search", 40, StageKind.OPEN),
        ("site_visit", 55, StageKind.OPEN),
        ("negotiation", 75, StageKind.OPEN),
        ("decision_pending", 90, StageKind.OPEN),
        ("landed", 100, StageKind.WON),
        ("lost", 0, StageKind.LOST),
        ("on_hold", None, StageKind.ON_HOLD),
    ]
    orders = [s.sort_order for s in DEFAULT_STAGES]
    assert orders == sorted(orders)
    assert len(set(orders)) == len(orders)
    assert INITIAL_STAGE_CODE == "identified"


def test_default_stage_names() -> None:
    assert STAGES["site_search"].name_en == "Proposal / site search"
    assert STAGES["site_search"].name_fi == "Tarjous / sijaintihaku"
    assert STAGES["landed"].name_fi == "Toteutunut"
    assert STAGES["on_hold"].name_fi == "Pidossa"
    assert all(s.name_fi and s.name_en for s in DEFAULT_STAGES)


def test_stage_definition_rejects_inconsistent_probability() -> None:
    with pytest.raises(ValueError, match="on-hold"):
        StageDefinition("paused", "Tauko", "Paused", 50, StageKind.ON_HOLD, 1)
    with pytest.raises(ValueError, match="on-hold"):
        StageDefinition("open", "Auki", "Open", None, StageKind.OPEN, 1)
    with pytest.raises(ValueError, match="between 0 and 100"):
        StageDefinition("open", "Auki", "Open", 101, StageKind.OPEN, 1)


def test_default_lost_reasons() -> None:
    codes = [reason.code for reason in DEFAULT_LOST_REASONS]
    assert codes == [
        "chose_other_country",
        "chose_other_region",
        "project_cancelled",
        "financing_failed",
        "no_suitable_site",
        "permits_timeline",
        "energy_grid_capacity",
        "labour_availability",
        "no_response",
        "other",
    ]
    code, name_fi, name_en = DEFAULT_LOST_REASONS[0]
    assert (code, name_fi, name_en) == (
        "chose_other_country",
        "Valitsi toisen maan",
        "Chose another country",
    )
    assert all(reason.name_fi and reason.name_en for reason in DEFAULT_LOST_REASONS)


# --- plan_transition: ordinary moves ------------------------------------------------------


def test_open_move_clears_probability_override_and_logs_from_to() -> None:
    state = LeadState(
        stage_code="qualified",
        capex_eur=Decimal("240000000"),
        probability_override=60,
        probability_reason="Board approved the budget",
    )
    result = plan(state, TransitionRequest(to_stage="site_visit", note="  Visit booked  "))
    assert (result.from_stage, result.to_stage) == ("qualified", "site_visit")
    assert result.note == "Visit booked"
    assert result.changed_fields == ("stage_code", "probability_override", "probability_reason")
    assert result.changes() == {
        "stage_code": "site_visit",
        "probability_override": None,
        "probability_reason": None,
    }
    assert result.new_state.capex_eur == Decimal("240000000")


def test_blank_note_becomes_none_and_unset_override_is_not_a_change() -> None:
    result = plan(LeadState(stage_code="identified"), TransitionRequest("contacted", note="  "))
    assert result.note is None
    assert result.changes() == {"stage_code": "contacted"}


def test_open_to_on_hold_is_allowed_without_note() -> None:
    result = plan(LeadState(stage_code="negotiation"), TransitionRequest("on_hold"))
    assert result.changes() == {"stage_code": "on_hold"}


def test_on_hold_back_to_open_needs_no_note() -> None:
    result = plan(LeadState(stage_code="on_hold"), TransitionRequest("qualified"))
    assert result.changes() == {"stage_code": "qualified"}


def test_unknown_stage() -> None:
    assert errors_of(LeadState(stage_code="qualified"), TransitionRequest("won_big")) == {
        ("to_stage", "unknown_stage")
    }


def test_same_stage_is_unchanged() -> None:
    assert errors_of(LeadState(stage_code="qualified"), TransitionRequest("qualified")) == {
        ("to_stage", "unchanged")
    }


def test_error_detail_and_reason_texts_are_present() -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan(LeadState(stage_code="qualified"), TransitionRequest("nope"))
    assert caught.value.detail == "The stage change is not allowed."
    assert caught.value.errors[0].reason == "Unknown stage."


# --- plan_transition: landing ---------------------------------------------------------------


def test_landing_sets_outcome_fields() -> None:
    state = LeadState(
        stage_code="decision_pending",
        capex_eur=Decimal("850000000"),
        capex_status=CapexStatus.ANNOUNCED,
        probability_override=95,
        probability_reason="Permit granted",
        candidate_municipality_codes=("578", "205"),
    )
    result = plan(state, landing())
    assert result.to_stage == "landed"
    assert result.changes() == {
        "stage_code": "landed",
        "capex_eur": Decimal("900000000"),
        "capex_status": CapexStatus.COMMITTED,
        "probability_override": None,
        "probability_reason": None,
        "landing_municipality_code": "578",
        "landed_on": date(2025, 6, 2),
    }
    assert result.new_state.candidate_municipality_codes == ("578", "205")


def test_landing_with_realised_status() -> None:
    result = plan(LeadState(stage_code="negotiation"), landing(capex_status=CapexStatus.REALISED))
    assert result.new_state.capex_status is CapexStatus.REALISED


def test_landing_without_details_reports_every_missing_field_at_once() -> None:
    assert errors_of(LeadState(stage_code="negotiation"), TransitionRequest("landed")) == {
        ("landing_municipality_code", "required"),
        ("realised_capex_eur", "required"),
        ("capex_status", "required"),
        ("landed_on", "required"),
    }


def test_landing_with_bad_details_reports_each() -> None:
    request = landing(
        landing_municipality_code="091",  # Helsinki is not in Kainuu
        realised_capex_eur=Decimal(0),
        capex_status=CapexStatus.ANNOUNCED,
        landed_on=TODAY + timedelta(days=32),
    )
    assert errors_of(LeadState(stage_code="negotiation"), request) == {
        ("landing_municipality_code", "unknown"),
        ("realised_capex_eur", "must_be_positive"),
        ("capex_status", "invalid_choice"),
        ("landed_on", "too_far_in_future"),
    }


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_landing_amount_must_be_a_positive_number(amount: Decimal) -> None:
    assert errors_of(LeadState(stage_code="negotiation"), landing(realised_capex_eur=amount)) == {
        ("realised_capex_eur", "must_be_positive")
    }


def test_landing_estimate_status_is_refused() -> None:
    assert errors_of(
        LeadState(stage_code="negotiation"), landing(capex_status=CapexStatus.ESTIMATE)
    ) == {("capex_status", "invalid_choice")}


def test_landing_date_may_be_a_month_ahead_or_in_the_past() -> None:
    state = LeadState(stage_code="negotiation")
    assert plan(state, landing(landed_on=TODAY + timedelta(days=31))).new_state.landed_on == (
        date(2025, 7, 17)
    )
    assert plan(state, landing(landed_on=date(2012, 1, 1))).new_state.landed_on == date(2012, 1, 1)


def test_today_defaults_to_the_current_date() -> None:
    state = LeadState(stage_code="negotiation")
    far = datetime.now(UTC).date() + timedelta(days=400)
    with pytest.raises(ValidationFailed) as caught:
        plan_transition(state, landing(landed_on=far), STAGES, LOST_REASONS, MUNICIPALITIES)
    assert [(e.field, e.code) for e in caught.value.errors] == [("landed_on", "too_far_in_future")]


def test_landing_fields_are_refused_on_other_stages() -> None:
    request = landing(to_stage="site_visit")
    assert errors_of(LeadState(stage_code="qualified"), request) == {
        ("landing_municipality_code", "not_allowed"),
        ("realised_capex_eur", "not_allowed"),
        ("capex_status", "not_allowed"),
        ("landed_on", "not_allowed"),
    }


# --- plan_transition: losing --------------------------------------------------------------


def test_losing_records_the_reason() -> None:
    result = plan(
        LeadState(stage_code="site_visit", probability_override=70, probability_reason="x"),
        TransitionRequest("lost", lost_reason_code="energy_grid_capacity"),
    )
    assert result.changes() == {
        "stage_code": "lost",
        "probability_override": None,
        "probability_reason": None,
        "lost_reason_code": "energy_grid_capacity",
    }


def test_losing_needs_a_known_reason() -> None:
    state = LeadState(stage_code="site_visit")
    assert errors_of(state, TransitionRequest("lost")) == {("lost_reason_code", "required")}
    assert errors_of(state, TransitionRequest("lost", lost_reason_code="bad_luck")) == {
        ("lost_reason_code", "unknown")
    }


def test_lost_reason_is_refused_on_other_stages() -> None:
    request = TransitionRequest("contacted", lost_reason_code="no_response")
    assert errors_of(LeadState(stage_code="identified"), request) == {
        ("lost_reason_code", "not_allowed")
    }


# --- plan_transition: reopening -----------------------------------------------------------


LANDED = LeadState(
    stage_code="landed",
    capex_eur=Decimal("240000000"),
    capex_status=CapexStatus.REALISED,
    landing_municipality_code="765",
    landed_on=date(2024, 3, 1),
)
LOST = LeadState(stage_code="lost", lost_reason_code="financing_failed")


@pytest.mark.parametrize("state", [LANDED, LOST], ids=["landed", "lost"])
def test_reopening_needs_a_note(state: LeadState) -> None:
    assert errors_of(state, TransitionRequest("negotiation")) == {("note", "required")}
    assert errors_of(state, TransitionRequest("negotiation", note="   ")) == {("note", "required")}


def test_reopening_landed_clears_landing_but_keeps_amount() -> None:
    result = plan(LANDED, TransitionRequest("negotiation", note="Investor paused the build"))
    assert result.from_stage == "landed"
    assert result.note == "Investor paused the build"
    assert result.changes() == {
        "stage_code": "negotiation",
        "landing_municipality_code": None,
        "landed_on": None,
    }
    assert result.new_state.capex_eur == Decimal("240000000")


def test_reopening_lost_clears_lost_reason() -> None:
    result = plan(LOST, TransitionRequest("qualified", note="New financier found"))
    assert result.changes() == {"stage_code": "qualified", "lost_reason_code": None}


def test_lost_straight_to_landed_needs_note_and_swaps_outcome() -> None:
    assert errors_of(LOST, landing()) == {("note", "required")}
    result = plan(LOST, landing(note="Came back and signed"))
    assert result.new_state.lost_reason_code is None
    assert result.new_state.landing_municipality_code == "578"
    assert "lost_reason_code" in result.changed_fields


def test_landed_to_lost_clears_landing_and_sets_reason() -> None:
    result = plan(
        LANDED, TransitionRequest("lost", note="Plant cancelled", lost_reason_code="other")
    )
    assert result.changes() == {
        "stage_code": "lost",
        "landing_municipality_code": None,
        "landed_on": None,
        "lost_reason_code": "other",
    }


def test_all_errors_are_collected_together() -> None:
    request = TransitionRequest(
        "lost", landed_on=date(2025, 1, 1), lost_reason_code="meteor_strike"
    )
    assert errors_of(LANDED, request) == {
        ("note", "required"),
        ("landed_on", "not_allowed"),
        ("lost_reason_code", "unknown"),
    }


def test_unknown_target_from_closed_stage_reports_both() -> None:
    assert errors_of(LOST, TransitionRequest("limbo")) == {
        ("to_stage", "unknown_stage"),
        ("note", "required"),
    }


def test_staying_in_a_closed_stage_is_unchanged_not_a_reopening() -> None:
    assert errors_of(LOST, TransitionRequest("lost", lost_reason_code="other")) == {
        ("to_stage", "unchanged")
    }


def test_current_stage_missing_from_definitions_is_treated_as_open() -> None:
    result = plan(LeadState(stage_code="retired_stage"), TransitionRequest("qualified"))
    assert result.from_stage == "retired_stage"
    assert result.to_stage == "qualified"


# --- Probability ------------------------------------------------------------------------------


def test_effective_probability_uses_stage_default() -> None:
    assert effective_probability(LeadState(stage_code="site_visit"), STAGES) == 55
    assert effective_probability(LeadState(stage_code="landed"), STAGES) == 100
    assert effective_probability(LeadState(stage_code="lost"), STAGES) == 0


def test_effective_probability_prefers_override_on_open_stages() -> None:
    state = LeadState(stage_code="site_visit", probability_override=0)
    assert effective_probability(state, STAGES) == 0


def test_effective_probability_ignores_override_on_closed_stages() -> None:
    assert effective_probability(LeadState("landed", probability_override=40), STAGES) == 100
    assert effective_probability(LeadState("lost", probability_override=40), STAGES) == 0


def test_on_hold_is_not_counted_even_with_override() -> None:
    assert effective_probability(LeadState("on_hold"), STAGES) is None
    assert effective_probability(LeadState("on_hold", probability_override=50), STAGES) is None


def test_probability_override_valid_values() -> None:
    assert validate_probability_override(0, "Investor said no for now") == (
        0,
        "Investor said no for now",
    )
    assert validate_probability_override(100, "  Signed  ") == (100, "Signed")


def test_clearing_override_clears_reason() -> None:
    assert validate_probability_override(None, "old reason") == (None, None)


def probability_errors(value: object, reason: str | None) -> set[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_probability_override(value, reason)  # type: ignore[arg-type]
    return {(error.field, error.code) for error in caught.value.errors}


@pytest.mark.parametrize("value", [-1, 101, 50.5, True])
def test_probability_override_must_be_integer_0_to_100(value: object) -> None:
    assert probability_errors(value, "reason") == {("probability", "out_of_range")}


def test_probability_override_needs_reason() -> None:
    assert probability_errors(70, None) == {("probability_reason", "required")}
    assert probability_errors(70, "  ") == {("probability_reason", "required")}


def test_probability_override_reports_both_errors() -> None:
    assert probability_errors(150, "") == {
        ("probability", "out_of_range"),
        ("probability_reason", "required"),
    }


# --- Weighted value --------------------------------------------------------------------------


def test_weighted_value_exact() -> None:
    assert weighted_value(Decimal("900000000"), 75) == Decimal("675000000")
    assert weighted_value(Decimal("240000000"), 5) == Decimal("12000000")


def test_weighted_value_rounds_half_up_to_whole_euros() -> None:
    assert weighted_value(Decimal("50"), 1) == Decimal("1")  # 0.50 → 1
    assert weighted_value(Decimal("49"), 1) == Decimal("0")  # 0.49 → 0
    assert weighted_value(Decimal("150"), 1) == Decimal("2")  # 1.50 → 2, not banker's 2
    assert weighted_value(Decimal("250"), 1) == Decimal("3")  # 2.50 → 3, banker's gives 2
    assert weighted_value(Decimal("1234.56"), 55) == Decimal("679")  # 679.008
    assert weighted_value(Decimal("250"), 1).as_tuple().exponent == 0


def test_weighted_value_zero_when_unknown() -> None:
    assert weighted_value(None, 50) == Decimal(0)
    assert weighted_value(Decimal("1000"), None) == Decimal(0)
    assert weighted_value(Decimal("1000"), 0) == Decimal(0)


# --- Time in stage ---------------------------------------------------------------------------

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
LOG = [
    StageLogEntry(None, "identified", T0),
    StageLogEntry("identified", "qualified", T0 + timedelta(days=3)),
    StageLogEntry("qualified", "on_hold", T0 + timedelta(days=10)),
    StageLogEntry("on_hold", "qualified", T0 + timedelta(days=40)),
    StageLogEntry("qualified", "site_visit", T0 + timedelta(days=45, hours=6)),
]


def test_time_in_stages_sums_visits_and_counts_current_to_now() -> None:
    now = T0 + timedelta(days=50)
    assert time_in_stages(LOG, now) == {
        "identified": timedelta(days=3),
        "qualified": timedelta(days=12, hours=6),
        "on_hold": timedelta(days=30),
        "site_visit": timedelta(days=4, hours=18),
    }


def test_time_in_stages_order_of_log_does_not_matter() -> None:
    now = T0 + timedelta(days=50)
    assert time_in_stages(list(reversed(LOG)), now) == time_in_stages(LOG, now)


def test_time_in_stages_mixed_offsets() -> None:
    helsinki_summer = timezone(timedelta(hours=3))
    log = [
        StageLogEntry(None, "identified", datetime(2025, 6, 1, 12, 0, tzinfo=helsinki_summer)),
        StageLogEntry("identified", "contacted", datetime(2025, 6, 1, 10, 0, tzinfo=UTC)),
    ]
    now = datetime(2025, 6, 1, 11, 30, tzinfo=UTC)
    assert time_in_stages(log, now) == {
        "identified": timedelta(hours=1),
        "contacted": timedelta(hours=1, minutes=30),
    }


def test_time_in_stages_empty_and_skewed_clock() -> None:
    assert time_in_stages([], T0) == {}
    assert time_in_stages(LOG[:1], T0 - timedelta(minutes=1)) == {"identified": timedelta(0)}


def test_time_in_stages_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        time_in_stages(LOG, datetime(2025, 3, 1))  # noqa: DTZ001
    naive_log = [StageLogEntry(None, "identified", datetime(2025, 1, 1))]  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        time_in_stages(naive_log, T0)


def test_stage_at() -> None:
    assert stage_at(LOG, T0 - timedelta(seconds=1)) is None
    assert stage_at(LOG, T0) == "identified"
    assert stage_at(LOG, T0 + timedelta(days=3) - timedelta(microseconds=1)) == "identified"
    assert stage_at(LOG, T0 + timedelta(days=3)) == "qualified"
    assert stage_at(LOG, T0 + timedelta(days=20)) == "on_hold"
    assert stage_at(LOG, T0 + timedelta(days=41)) == "qualified"
    assert stage_at(LOG, T0 + timedelta(days=400)) == "site_visit"
    assert stage_at([], T0) is None


def test_stage_at_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        stage_at(LOG, datetime(2025, 3, 1))  # noqa: DTZ001


# --- Code names -------------------------------------------------------------------------------


def test_code_name_word_list() -> None:
    assert len(CODE_NAME_WORDS) >= 100
    assert len({word.casefold() for word in CODE_NAME_WORDS}) == len(CODE_NAME_WORDS)
    assert {"Aurora", "Borealis", "Taiga", "Kuura", "Revontuli", "Lumi", "Kelo"} <= set(
        CODE_NAME_WORDS
    )
    assert all(word.isalpha() for word in CODE_NAME_WORDS)


def test_code_name_format_and_determinism_with_seed() -> None:
    first = generate_code_name([], random.Random(7))
    assert first == generate_code_name([], random.Random(7))
    prefix, word = first.split(" ")
    assert prefix == "Project"
    assert word in CODE_NAME_WORDS


def test_code_name_without_rng() -> None:
    assert generate_code_name([]).removeprefix("Project ") in CODE_NAME_WORDS


def test_code_name_avoids_taken_names_case_insensitively() -> None:
    free_word = CODE_NAME_WORDS[17]
    taken = [f"project  {word.upper()}" for word in CODE_NAME_WORDS if word != free_word]
    for seed in range(5):
        assert generate_code_name(taken, random.Random(seed)) == f"Project {free_word}"


def test_code_name_appends_number_when_words_run_out() -> None:
    taken = [f"Project {word}" for word in CODE_NAME_WORDS]
    name = generate_code_name(taken, random.Random(1))
    assert name.startswith("Project ")
    assert name.endswith(" 2")
    assert name.removeprefix("Project ").removesuffix(" 2") in CODE_NAME_WORDS


def test_code_name_counts_up_past_taken_numbers() -> None:
    taken = [f"Project {word}" for word in CODE_NAME_WORDS]
    taken += [f"PROJECT {word} 2" for word in CODE_NAME_WORDS]
    taken += [f"Project {word} 3" for word in CODE_NAME_WORDS if word != "Aurora"]
    assert generate_code_name(taken, random.Random(3)) == "Project Aurora 3"
