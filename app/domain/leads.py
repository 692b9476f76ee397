"""Business rules of the investment-lead pipeline (no framework, no database)."""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import INT32_MAX, INT64_MAX, parse_date
from app.i18n import N_


class InvestmentType(StrEnum):
    GREENFIELD_FDI = "greenfield_fdi"
    EXPANSION = "expansion"
    BROWNFIELD = "brownfield"
    BUSINESS_TRANSFER = "business_transfer"
    CAPITAL_INVESTMENT = "capital_investment"


class LeadSource(StrEnum):
    PORTAL_INQUIRY = "portal_inquiry"
    INVEST_IN_FINLAND = "invest_in_finland"
    PARTNER = "partner"
    EVENT = "event"
    OWN_PROSPECTING = "own_prospecting"


class CapexStatus(StrEnum):
    """How far the investment amount has come: announced < committed < realised."""

    ESTIMATE = "estimate"
    ANNOUNCED = "announced"
    COMMITTED = "committed"
    REALISED = "realised"


class AmountBasis(StrEnum):
    """Whose figure an amount is: ours (modelled), the investor's own, or a public source
    (a press release, a stock-exchange notice). The figures sum "estimated" apart from
    the rest: a confirmed or published amount is not our projection."""

    ESTIMATED = "estimated"
    CONFIRMED = "confirmed"
    PUBLIC = "public"


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    ON_HOLD = "on_hold"


# The stages of the funnel: a lead that entered one has reached every funnel stage before it.
FUNNEL_KINDS = (StageKind.OPEN.value, StageKind.WON.value)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Confidentiality(StrEnum):
    """How secret a lead's record is, with the legal basis that makes it so.

    confidential — the default: a business secret of the investor (Act on the Openness
        of Government Activities 621/1999, section 24(1)(20)); read only with need-to-know.
    internal — not a business secret, but unfinished preparatory work of the authority
        (621/1999, sections 5(3) and 6), not published; read only with need-to-know.
    public — the project is public knowledge; it needs the date it was announced.

    The class marks the whole record (negotiations, notes, amounts). Whether the
    investor's name may be shown beside the code name is a separate question, answered by
    the announcement date alone (`investor_identity_public`)."""

    CONFIDENTIAL = "confidential"
    INTERNAL = "internal"
    PUBLIC = "public"


# The legal basis a class has unless the lead gives its own; English is the source
# language (the staff UI shows these through the "confidentiality_basis" labels).
DEFAULT_CONFIDENTIALITY_BASIS: dict[Confidentiality, str] = {
    Confidentiality.CONFIDENTIAL: N_(
        "Business secret: Act on the Openness of Government Activities (621/1999), "
        "section 24(1)(20)"
    ),
    Confidentiality.INTERNAL: N_(
        "Preparatory material not yet public: Act on the Openness of Government "
        "Activities (621/1999), sections 5(3) and 6"
    ),
    Confidentiality.PUBLIC: N_("Public: the investor has announced the project"),
}
CONFIDENTIALITY_BASIS_LIMIT = 1000


def confidentiality_basis(confidentiality: str, custom_basis: str | None) -> str:
    """The legal basis of a lead's class: its own text, else the class default."""
    if custom_basis:
        return custom_basis
    return DEFAULT_CONFIDENTIALITY_BASIS[Confidentiality(confidentiality)]


def investor_identity_public(announced_on: date | None, day: date) -> bool:
    """Whether the investor's name may be shown beside the code name on `day`: from the
    day the project was announced on, never before (and never without that date)."""
    return announced_on is not None and announced_on <= day


def check_secrecy(confidentiality: str, announced_on: date | None) -> list[FieldError]:
    """A public lead says when it became public."""
    if confidentiality == Confidentiality.PUBLIC.value and announced_on is None:
        return [
            FieldError("announced_on", "A public lead needs the date it was announced.", "required")
        ]
    return []


@dataclass(frozen=True)
class StageDefinition:
    """One pipeline stage. Stages are editable data; `code` is the stable key."""

    code: str
    name_fi: str
    name_en: str
    default_probability: int | None
    kind: StageKind
    sort_order: int
    # A decision stage: from it on the amount may be "committed" (app/domain/ledger.py).
    decision: bool = False

    def __post_init__(self) -> None:
        # On hold is the only stage that drops out of the weighted pipeline.
        if (self.default_probability is None) != (self.kind is StageKind.ON_HOLD):
            raise ValueError("exactly the on-hold stage has no default probability")
        if self.default_probability is not None and not 0 <= self.default_probability <= 100:
            raise ValueError("default probability must be between 0 and 100")


INITIAL_STAGE_CODE = "identified"

DEFAULT_STAGES: tuple[StageDefinition, ...] = (
    StageDefinition("identified", "Tunnistettu", "Identified", 5, StageKind.OPEN, 10),
    StageDefinition("contacted", "Kontaktoitu", "Contacted", 10, StageKind.OPEN, 20),
    StageDefinition("qualified", "Kvalifioitu", "Qualified", 25, StageKind.OPEN, 30),
    StageDefinition(
        "site_search", "Tarjous / sijaintihaku", "Proposal / site search", 40, StageKind.OPEN, 40
    ),
    StageDefinition("site_visit", "Vierailu", "Site visit", 55, StageKind.OPEN, 50),
    StageDefinition(
        "negotiation", "Neuvottelu", "Negotiation", 75, StageKind.OPEN, 60, decision=True
    ),
    StageDefinition(
        "decision_pending",
        "Päätös odottaa",
        "Decision pending",
        90,
        StageKind.OPEN,
        70,
        decision=True,
    ),
    StageDefinition("landed", "Toteutunut", "Landed", 100, StageKind.WON, 80),
    StageDefinition("lost", "Menetetty", "Lost", 0, StageKind.LOST, 90),
    StageDefinition("on_hold", "Pidossa", "On hold", None, StageKind.ON_HOLD, 100),
)


class LostReason(NamedTuple):
    code: str
    name_fi: str
    name_en: str


DEFAULT_LOST_REASONS: tuple[LostReason, ...] = (
    LostReason("chose_other_country", "Valitsi toisen maan", "Chose another country"),
    LostReason(
        "chose_other_region", "Valitsi toisen alueen Suomessa", "Chose another region in Finland"
    ),
    LostReason("project_cancelled", "Hanke peruttiin", "Project cancelled"),
    LostReason("financing_failed", "Rahoitus ei toteutunut", "Financing failed"),
    LostReason("no_suitable_site", "Ei sopivaa sijaintia", "No suitable site"),
    LostReason("permits_timeline", "Luvat tai aikataulu", "Permits or timeline"),
    LostReason(
        "energy_grid_capacity", "Energia tai sähköverkon kapasiteetti", "Energy or grid capacity"
    ),
    LostReason("labour_availability", "Työvoiman saatavuus", "Labour availability"),
    LostReason("no_response", "Ei vastausta", "No response"),
    LostReason("other", "Muu syy", "Other"),
)


@dataclass(frozen=True)
class LeadState:
    """What the pipeline rules need to know about a lead."""

    stage_code: str
    capex_eur: Decimal | None = None
    capex_status: CapexStatus = CapexStatus.ESTIMATE
    probability_override: int | None = None
    probability_reason: str | None = None
    landing_municipality_code: str | None = None
    landed_on: date | None = None
    lost_reason_code: str | None = None
    candidate_municipality_codes: tuple[str, ...] = ()


@dataclass
class TransitionRequest:
    """A user's request to move a lead to another stage, with the outcome fields."""

    to_stage: str
    note: str | None = None
    landing_municipality_code: str | None = None
    realised_capex_eur: Decimal | None = None
    capex_status: CapexStatus | None = None
    landed_on: date | None = None
    lost_reason_code: str | None = None
    # Jobs realised at landing (optional); the ledger keeps the earlier figure beside it.
    realised_jobs: int | None = None


@dataclass(frozen=True)
class TransitionPlan:
    """What to write: the lead's new state, which of its fields changed, and the log entry."""

    from_stage: str
    to_stage: str
    note: str | None
    new_state: LeadState
    changed_fields: tuple[str, ...]

    def changes(self) -> dict[str, object]:
        return {name: getattr(self.new_state, name) for name in self.changed_fields}


LANDING_CAPEX_STATUSES = frozenset({CapexStatus.COMMITTED, CapexStatus.REALISED})
# A landing is recorded when it happens; a little slack lets a signing be entered ahead.
LANDED_ON_MAX_AHEAD = timedelta(days=31)


def plan_transition(
    state: LeadState,
    request: TransitionRequest,
    stages: Mapping[str, StageDefinition],
    lost_reason_codes: Collection[str],
    valid_municipality_codes: Collection[str],
    *,
    today: date | None = None,
) -> TransitionPlan:
    """Check a stage change against the pipeline rules and work out what it changes.

    Raises `ValidationFailed` listing every problem at once."""
    today = today or datetime.now(UTC).date()
    errors: list[FieldError] = []
    current = stages.get(state.stage_code)
    target = stages.get(request.to_stage)
    note = (request.note or "").strip() or None

    if target is None:
        errors.append(FieldError("to_stage", "Unknown stage.", "unknown_stage"))
    else:
        if target.code == state.stage_code:
            errors.append(FieldError("to_stage", "The lead is already in this stage.", "unchanged"))
        if target.kind is StageKind.WON:
            errors += _check_landing(request, valid_municipality_codes, today)
        else:
            errors += _refuse_landing_fields(request)
        if target.kind is StageKind.LOST:
            errors += _check_lost_reason(request.lost_reason_code, lost_reason_codes)
        elif request.lost_reason_code is not None:
            errors.append(
                FieldError("lost_reason_code", "Only a lost lead has a lost reason.", "not_allowed")
            )
    # Reopening a closed lead rewrites the results, so it must be explained.
    leaving_closed = (
        current is not None
        and current.kind in (StageKind.WON, StageKind.LOST)
        and request.to_stage != state.stage_code
    )
    if leaving_closed and note is None:
        errors.append(FieldError("note", "Explain why a closed lead is reopened.", "required"))
    if errors or target is None:
        raise ValidationFailed(errors=errors, detail="The stage change is not allowed.")

    landed = target.kind is StageKind.WON
    landing_status = request.capex_status if landed else None
    new_state = replace(
        state,
        stage_code=target.code,
        # The stage default returns on every stage change.
        probability_override=None,
        probability_reason=None,
        landing_municipality_code=request.landing_municipality_code if landed else None,
        landed_on=request.landed_on if landed else None,
        capex_eur=request.realised_capex_eur if landed else state.capex_eur,
        capex_status=landing_status or state.capex_status,
        lost_reason_code=request.lost_reason_code if target.kind is StageKind.LOST else None,
    )
    changed = tuple(
        f.name for f in fields(LeadState) if getattr(new_state, f.name) != getattr(state, f.name)
    )
    return TransitionPlan(state.stage_code, target.code, note, new_state, changed)


def _check_landing(
    request: TransitionRequest, valid_municipality_codes: Collection[str], today: date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if request.landing_municipality_code is None:
        errors.append(
            FieldError(
                "landing_municipality_code", "Choose where the investment landed.", "required"
            )
        )
    elif request.landing_municipality_code not in valid_municipality_codes:
        errors.append(FieldError("landing_municipality_code", "Unknown municipality.", "unknown"))

    amount = request.realised_capex_eur
    if amount is None:
        errors.append(FieldError("realised_capex_eur", "Give the realised amount.", "required"))
    elif not amount.is_finite() or amount <= 0:
        errors.append(
            FieldError("realised_capex_eur", "The amount must be above zero.", "must_be_positive")
        )

    if request.capex_status is None:
        errors.append(FieldError("capex_status", "Say how certain the amount is.", "required"))
    elif request.capex_status not in LANDING_CAPEX_STATUSES:
        errors.append(
            FieldError(
                "capex_status", "A landed investment is committed or realised.", "invalid_choice"
            )
        )

    if request.realised_jobs is not None and request.realised_jobs < 0:
        errors.append(
            FieldError("realised_jobs", "The number cannot be negative.", "must_not_be_negative")
        )
    if request.landed_on is None:
        errors.append(FieldError("landed_on", "Give the date the investment landed.", "required"))
    elif request.landed_on > today + LANDED_ON_MAX_AHEAD:
        errors.append(
            FieldError("landed_on", "The date is too far in the future.", "too_far_in_future")
        )
    return errors


def _refuse_landing_fields(request: TransitionRequest) -> list[FieldError]:
    # Refusing beats silently dropping what the user typed.
    given = {
        "landing_municipality_code": request.landing_municipality_code,
        "realised_capex_eur": request.realised_capex_eur,
        "capex_status": request.capex_status,
        "landed_on": request.landed_on,
        "realised_jobs": request.realised_jobs,
    }
    return [
        FieldError(name, "Only a landed lead has landing details.", "not_allowed")
        for name, value in given.items()
        if value is not None
    ]


# An imported landed lead's capex is its landed amount: its errors are the capex column's.
_IMPORTED_LANDING_COLUMNS = {"realised_capex_eur": "capex_eur", "realised_jobs": "jobs"}


def clean_imported_landing(
    values: Mapping[str, object],
    *,
    landed: bool,
    municipality_codes: Collection[str],
    today: date,
) -> dict[str, Any]:
    """The landing details of a lead imported from a spreadsheet, checked as a move to
    a won stage is: a landed row names the municipality and the day it landed, and its
    capex (committed or realised) is the landed amount; any other row has none."""
    parse = ParseErrors()
    capex = parse.whole_number(values, "capex_eur")
    status = parse.choice(values, "capex_status", [c.value for c in CapexStatus])
    request = TransitionRequest(
        to_stage="",
        landing_municipality_code=str(values.get("landing_municipality_code") or "").strip()
        or None,
        landed_on=parse.day(values, "landed_on"),
        realised_capex_eur=Decimal(capex) if capex is not None else None,
        capex_status=CapexStatus(status) if status else None,
    )
    if landed:
        errors = _check_landing(request, municipality_codes, today)
    else:
        errors = _refuse_landing_fields(
            replace(request, realised_capex_eur=None, capex_status=None)
        )
    unreadable = {e.field for e in parse.errors}
    parse.errors += [
        FieldError(_IMPORTED_LANDING_COLUMNS.get(e.field, e.field), e.reason, e.code, e.params)
        for e in errors
        if _IMPORTED_LANDING_COLUMNS.get(e.field, e.field) not in unreadable
    ]
    parse.raise_if_any("The lead is not valid.")
    if not landed:
        return {}
    return {
        "landing_municipality_code": request.landing_municipality_code,
        "landed_on": request.landed_on,
    }


def _check_lost_reason(code: str | None, lost_reason_codes: Collection[str]) -> list[FieldError]:
    if code is None:
        return [FieldError("lost_reason_code", "Choose why the lead was lost.", "required")]
    if code not in lost_reason_codes:
        return [FieldError("lost_reason_code", "Unknown lost reason.", "unknown")]
    return []


def effective_probability(state: LeadState, stages: Mapping[str, StageDefinition]) -> int | None:
    """The probability used for the weighted pipeline; None means not counted (on hold)."""
    stage = stages[state.stage_code]
    return probability_in_stage(stage.kind, stage.default_probability, state.probability_override)


def probability_in_stage(
    kind: StageKind, default_probability: int | None, override: int | None
) -> int | None:
    """A lead's probability from its stage's kind and default and its own override."""
    if kind is StageKind.ON_HOLD:
        return None
    # A closed lead's outcome is known, so an override only applies while it is open.
    if kind is StageKind.OPEN and override is not None:
        return override
    return default_probability


def validate_probability_override(
    value: int | None, reason: str | None
) -> tuple[int | None, str | None]:
    """Check a manual probability and its reason; return them cleaned.

    Clearing the override (None) also clears the reason."""
    if value is None:
        return None, None
    errors: list[FieldError] = []
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        errors.append(
            FieldError("probability", "Give a whole number from 0 to 100.", "out_of_range")
        )
    cleaned_reason = (reason or "").strip() or None
    if cleaned_reason is None:
        errors.append(
            FieldError("probability_reason", "Explain why the default is overridden.", "required")
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The probability is not valid.")
    return value, cleaned_reason


def weighted_value(capex_eur: Decimal | None, probability: int | None) -> Decimal:
    """capex × probability / 100 in whole euros, rounded half up; 0 when either is unknown."""
    if capex_eur is None or probability is None:
        return Decimal(0)
    return (capex_eur * probability / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)


class StageLogEntry(NamedTuple):
    """One stage change; the first entry of a lead has no `from_stage`."""

    from_stage: str | None
    to_stage: str
    at: datetime


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime given where a timezone-aware one is required")


def _chronological(log: Sequence[StageLogEntry]) -> list[StageLogEntry]:
    for entry in log:
        _require_aware(entry.at)
    return sorted(log, key=lambda entry: entry.at)


def time_in_stages(log: Sequence[StageLogEntry], now: datetime) -> dict[str, timedelta]:
    """Total time spent in each stage, repeated visits summed; the current stage runs to `now`."""
    _require_aware(now)
    entries = _chronological(log)
    totals: dict[str, timedelta] = {}
    for index, entry in enumerate(entries):
        end = entries[index + 1].at if index + 1 < len(entries) else now
        # Clock skew between servers must not produce negative durations.
        spent = max(end - entry.at, timedelta(0))
        totals[entry.to_stage] = totals.get(entry.to_stage, timedelta(0)) + spent
    return totals


def stage_at(log: Sequence[StageLogEntry], moment: datetime) -> str | None:
    """The stage a lead was in at `moment`; None before the lead existed."""
    _require_aware(moment)
    stage: str | None = None
    for entry in _chronological(log):
        if entry.at > moment:
            break
        stage = entry.to_stage
    return stage


CODE_NAME_PREFIX = "Project"
# Neutral words only: a code name must not hint at the investor, industry or place.
CODE_NAME_WORDS: tuple[str, ...] = (
    "Aurora", "Borealis", "Taiga", "Kuura", "Revontuli", "Lumi", "Kelo", "Tunturi",
    "Kaamos", "Ruska", "Hanki", "Routa", "Kide", "Usva", "Tähti", "Kajo", "Sarastus",
    "Polaris", "Vega", "Sirius", "Orion", "Lyra", "Cygnus", "Cassiopeia", "Andromeda",
    "Perseus", "Draco", "Pegasus", "Altair", "Deneb", "Capella", "Arcturus", "Rigel",
    "Aldebaran", "Antares", "Spica", "Castor", "Pollux", "Procyon", "Regulus", "Mira",
    "Nova", "Zenith", "Equinox", "Solstice", "Comet", "Meteor", "Nebula", "Eclipse",
    "Horizon", "Glacier", "Fjord", "Tundra", "Boreal", "Juniper", "Lingonberry",
    "Cloudberry", "Heather", "Lichen", "Fern", "Willow", "Alder", "Aspen", "Rowan",
    "Lynx", "Wolverine", "Reindeer", "Swan", "Crane", "Osprey", "Ptarmigan", "Otter",
    "Beaver", "Grayling", "Kataja", "Mänty", "Koivu", "Pihlaja", "Haapa", "Tervas",
    "Kanerva", "Sammal", "Jäkälä", "Lähde", "Koski", "Virta", "Lampi", "Saari", "Vaara",
    "Harju", "Korpi", "Erämaa", "Otava", "Ilves", "Joutsen", "Kurki", "Hirvi",
    "Majava", "Saukko", "Taimen", "Harjus", "Siika", "Muikku", "Kaira", "Tuuli", "Sade",
    "Halla", "Helle", "Kipinä", "Kuutamo", "Pilvi", "Sointu", "Frost", "Bellatrix",
    "Mizar", "Alcor", "Fomalhaut", "Canopus", "Carina", "Vela",
)  # fmt: skip


def _code_name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def generate_code_name(taken: Collection[str], rng: random.Random | None = None) -> str:
    """A free "Project <Word>" code name; "Project <Word> <n>" once every word is used."""
    rng = rng or random.SystemRandom()
    taken_keys = {_code_name_key(name) for name in taken}
    suffix = ""
    number = 1
    while True:
        free = [
            name
            for word in CODE_NAME_WORDS
            if _code_name_key(name := f"{CODE_NAME_PREFIX} {word}{suffix}") not in taken_keys
        ]
        if free:
            return rng.choice(free)
        number += 1
        suffix = f" {number}"


class ParseErrors:
    """Collects field errors while coercing form, CSV or JSON input to typed values."""

    def __init__(self, prefix: str = "") -> None:
        self.errors: list[FieldError] = []
        self.prefix = prefix

    def add(
        self, name: str, reason: str, code: str, params: Mapping[str, str | int] | None = None
    ) -> None:
        self.errors.append(FieldError(f"{self.prefix}{name}", reason, code, params or {}))

    def text(
        self, values: Mapping[str, object], name: str, limit: int, *, required: bool = False
    ) -> str | None:
        raw = values.get(name)
        text = str(raw).strip() if raw is not None else ""
        if not text:
            if required:
                self.add(name, "This field is required.", "required")
            return None
        if len(text) > limit:
            self.add(name, f"At most {limit} characters.", "too_long", {"limit": limit})
            return None
        return text

    def whole_number(
        self, values: Mapping[str, object], name: str, *, maximum: int = INT64_MAX
    ) -> int | None:
        """A non-negative whole number that fits its column (`maximum`: 64 bits, or 32)."""
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            self.add(name, "Give a whole number.", "not_a_number")
            return None
        if isinstance(raw, int):
            number = raw
        else:
            try:
                number = int(str(raw).strip().replace(" ", "").replace("\u00a0", ""))
            except ValueError:
                self.add(name, "Give a whole number.", "not_a_number")
                return None
        if number < 0:
            self.add(name, "The number cannot be negative.", "must_not_be_negative")
            return None
        if number > maximum:
            self.add(name, "The number is too large.", "too_large", {"limit": maximum})
            return None
        return number

    def decimal_number(self, values: Mapping[str, object], name: str) -> float | None:
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            self.add(name, "Give a number.", "not_a_number")
            return None
        try:
            number = float(str(raw).strip().replace(",", "."))
        except ValueError:
            self.add(name, "Give a number.", "not_a_number")
            return None
        if number != number or number in (float("inf"), float("-inf")) or number < 0:
            self.add(name, "Give a number of zero or more.", "must_not_be_negative")
            return None
        return number

    def day(self, values: Mapping[str, object], name: str) -> date | None:
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        try:
            return parse_date(str(raw).strip())
        except ValueError:
            self.add(name, "Give a date as YYYY-MM-DD.", "invalid_date")
            return None

    def choice(
        self,
        values: Mapping[str, object],
        name: str,
        allowed: Collection[str],
        *,
        required: bool = False,
    ) -> str | None:
        raw = values.get(name)
        text = str(raw).strip() if raw is not None else ""
        if not text:
            if required:
                self.add(name, "This field is required.", "required")
            return None
        if text not in allowed:
            choices = ", ".join(sorted(allowed))
            self.add(name, f"Choose one of: {choices}.", "invalid_choice", {"choices": choices})
            return None
        return text

    def flag(self, values: Mapping[str, object], name: str) -> bool | None:
        raw = values.get(name)
        if raw is None or isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("", "none"):
            return None
        if text in ("1", "true", "yes", "on", "kyllä", "k"):
            return True
        if text in ("0", "false", "no", "off", "ei", "e"):
            return False
        self.add(name, "Give yes or no.", "not_a_boolean")
        return None

    def codes(self, values: Mapping[str, object], name: str, allowed: Collection[str]) -> list[str]:
        raw = values.get(name)
        if raw is None:
            return []
        items = raw.split(";") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            self.add(name, "Give a list of codes.", "not_a_list")
            return []
        cleaned = list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
        unknown = [code for code in cleaned if code not in allowed]
        if unknown:
            codes = ", ".join(unknown)
            self.add(name, f"Unknown code(s): {codes}.", "unknown", {"codes": codes})
            return []
        return cleaned

    def raise_if_any(self, detail: str) -> None:
        if self.errors:
            raise ValidationFailed(errors=list(self.errors), detail=detail)


# Stages the pipeline rules themselves need: new leads start in the initial stage and
# transitions land in the won, lost and on-hold stages.
_STRUCTURAL_KINDS = (StageKind.WON, StageKind.LOST, StageKind.ON_HOLD)
MAX_SORT_ORDER = 10_000


def clean_stage_settings(
    values: Mapping[str, object],
    *,
    code: str,
    kind: StageKind,
    leads_in_stage: int,
    committed_in_stage: int = 0,
) -> dict[str, object]:
    """Check a coordinator's changes to a stage; only the keys given are returned.

    The kind is fixed. On hold alone has no probability, every other stage has one from
    0 to 100. Leads without an override follow a changed default, because a lead's
    probability is derived from its stage when read."""
    parse = ParseErrors()
    out: dict[str, object] = {}
    for name in ("name_fi", "name_en"):
        if name in values:
            out[name] = parse.text(values, name, 80, required=True)
    if "default_probability" in values:
        raw = values["default_probability"]
        if kind is StageKind.ON_HOLD:
            if raw is not None and str(raw).strip():
                parse.add("default_probability", "On hold has no probability.", "not_allowed")
            out["default_probability"] = None
        else:
            out["default_probability"] = _percentage(parse, raw, "default_probability")
    if "sort_order" in values:
        order = parse.whole_number(values, "sort_order")
        if order is None or order > MAX_SORT_ORDER:
            if not any(e.field == "sort_order" for e in parse.errors):
                parse.add(
                    "sort_order",
                    f"Give a whole number from 0 to {MAX_SORT_ORDER}.",
                    "out_of_range",
                    {"limit": MAX_SORT_ORDER},
                )
        else:
            out["sort_order"] = order
    if "active" in values:
        active = parse.flag(values, "active")
        if active is False and (kind in _STRUCTURAL_KINDS or code == INITIAL_STAGE_CODE):
            parse.add("active", "The pipeline rules need this stage.", "required_stage")
        elif active is False and leads_in_stage:
            parse.add(
                "active",
                f"Move the {leads_in_stage} leads in this stage first.",
                "in_use",
                {"count": leads_in_stage},
            )
        out["active"] = bool(active)
    if "decision" in values:
        # From a decision stage on an amount may be committed (app/domain/ledger.py).
        decision = bool(parse.flag(values, "decision"))
        if decision and kind is not StageKind.OPEN:
            parse.add("decision", "Only an open stage is a decision stage.", "not_allowed")
        elif not decision and committed_in_stage and kind is StageKind.OPEN:
            parse.add(
                "decision",
                f"{committed_in_stage} leads in this stage have a committed amount.",
                "in_use",
                {"count": committed_in_stage},
            )
        out["decision"] = decision
    parse.raise_if_any("The stage is not valid.")
    return out


def _percentage(parse: ParseErrors, raw: object, name: str) -> int | None:
    reason = "Give a whole number from 0 to 100."
    if raw is None or isinstance(raw, bool):
        parse.add(name, reason, "out_of_range")
        return None
    try:
        number = int(str(raw).strip())
    except ValueError:
        parse.add(name, reason, "out_of_range")
        return None
    if not 0 <= number <= 100:
        parse.add(name, reason, "out_of_range")
        return None
    return number


LOST_REASON_CODE_PATTERN = re.compile(r"^[a-z0-9_]{2,40}$")


def clean_lost_reason(
    values: Mapping[str, object], *, creating: bool, taken_codes: Collection[str] = ()
) -> dict[str, object]:
    """Check a new lost reason (code and both names) or changes to one (names, active).

    A reason is never deleted: closed leads keep pointing at it, so it is deactivated."""
    parse = ParseErrors()
    out: dict[str, object] = {}
    if creating:
        code = parse.text(values, "code", 40, required=True)
        if code is not None and not LOST_REASON_CODE_PATTERN.match(code):
            parse.add("code", "Use 2–40 lower-case letters, digits or _.", "invalid")
        elif code is not None and code in taken_codes:
            parse.add("code", "This code is already in use.", "duplicate")
        out["code"] = code
    for name in ("name_fi", "name_en"):
        if creating or name in values:
            out[name] = parse.text(values, name, 120, required=True)
    if not creating and "active" in values:
        out["active"] = bool(parse.flag(values, "active"))
    parse.raise_if_any("The lost reason is not valid.")
    return out


def lost_reason_code(name_en: str, taken: Collection[str]) -> str:
    """A stable code made of an English name: "Chose another country" ->
    "chose_another_country", with a number added while the code is taken."""
    base = re.sub(r"[^a-z0-9]+", "_", name_en.casefold()).strip("_")[:36] or "reason"
    base = base if len(base) >= 2 else f"{base}_reason"
    code, number = base, 1
    while code in taken:
        number += 1
        code = f"{base}_{number}"
    return code


REQUIREMENT_KEYS = (
    "min_area_ha",
    "max_area_ha",
    "min_power_mw",
    "water_m3_per_day",
    "needs_rail",
    "zoning_statuses",
    "municipality_codes",
)


def validate_requirements(
    raw: Mapping[str, object] | None,
    zoning_statuses: Collection[str],
    municipality_codes: Collection[str],
) -> dict[str, object]:
    """Check a lead's requirement profile (matched against sites by the sites area) and
    return it with empty entries dropped. Field names are "requirements.<key>"."""
    if not raw:
        return {}
    parse = ParseErrors("requirements.")
    for key in raw:
        if key not in REQUIREMENT_KEYS:
            parse.add(key, "Unknown requirement.", "unknown_field")
    profile: dict[str, object] = {
        "min_area_ha": parse.decimal_number(raw, "min_area_ha"),
        "max_area_ha": parse.decimal_number(raw, "max_area_ha"),
        "min_power_mw": parse.decimal_number(raw, "min_power_mw"),
        "water_m3_per_day": parse.decimal_number(raw, "water_m3_per_day"),
        "needs_rail": parse.flag(raw, "needs_rail"),
        "zoning_statuses": parse.codes(raw, "zoning_statuses", zoning_statuses),
        "municipality_codes": parse.codes(raw, "municipality_codes", municipality_codes),
    }
    low, high = profile["min_area_ha"], profile["max_area_ha"]
    if isinstance(low, float) and isinstance(high, float) and low > high:
        parse.add("max_area_ha", "The maximum area is below the minimum.", "below_minimum")
    parse.raise_if_any("The requirement profile is not valid.")
    return {key: value for key, value in profile.items() if value not in (None, [])}


@dataclass(frozen=True)
class LeadReferences:
    """The codes a lead may refer to, read from the database by the service."""

    industry_codes: Collection[str]
    municipality_codes: Collection[str]
    open_stage_codes: Collection[str]
    country_codes: Collection[str]
    zoning_statuses: Collection[str]
    # Won stages a new lead may start in: only an import of leads already landed.
    won_stage_codes: Collection[str] = ()


def clean_lead_fields(
    values: Mapping[str, object], refs: LeadReferences, *, creating: bool
) -> dict[str, object]:
    """Check the editable fields of a lead (all errors at once) and return them typed.

    Only the keys present in `values` are returned when editing; stage changes go
    through `plan_transition`, never through here."""
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("code_name"):
        out["code_name"] = parse.text(values, "code_name", 80)
    if present("title"):
        out["title"] = parse.text(values, "title", 200, required=True)
    if present("description"):
        out["description"] = parse.text(values, "description", 20_000)
    if present("industry_code"):
        out["industry_code"] = parse.choice(values, "industry_code", refs.industry_codes)
    if present("investment_type"):
        out["investment_type"] = parse.choice(
            values, "investment_type", [t.value for t in InvestmentType], required=True
        )
    if present("origin_country"):
        raw_country = values.get("origin_country")
        country = str(raw_country).strip().upper() if raw_country else ""
        if country and country not in refs.country_codes:
            parse.add("origin_country", "Give a two-letter ISO country code, e.g. FI.", "unknown")
        out["origin_country"] = country or None
    for amount, basis in (("capex_eur", "capex_basis"), ("jobs", "jobs_basis")):
        if present(amount):
            limit = INT32_MAX if amount == "jobs" else INT64_MAX
            out[amount] = parse.whole_number(values, amount, maximum=limit)
        if present(basis):
            out[basis] = parse.choice(values, basis, [b.value for b in AmountBasis]) or (
                AmountBasis.ESTIMATED.value
            )
    if present("capex_status"):
        out["capex_status"] = parse.choice(
            values, "capex_status", [s.value for s in CapexStatus]
        ) or (CapexStatus.ESTIMATE.value)
    if present("source"):
        out["source"] = parse.choice(values, "source", [s.value for s in LeadSource], required=True)
    if present("expected_decision_on"):
        out["expected_decision_on"] = parse.day(values, "expected_decision_on")
    if present("priority"):
        out["priority"] = parse.choice(values, "priority", [p.value for p in Priority]) or (
            Priority.NORMAL.value
        )
    if present("municipality_codes"):
        out["municipality_codes"] = parse.codes(
            values, "municipality_codes", refs.municipality_codes
        )
    if present("confidentiality"):
        out["confidentiality"] = parse.choice(
            values, "confidentiality", [c.value for c in Confidentiality]
        ) or (Confidentiality.CONFIDENTIAL.value)
    if present("confidentiality_basis"):
        # Empty: the class's default basis applies.
        out["confidentiality_basis"] = parse.text(
            values, "confidentiality_basis", CONFIDENTIALITY_BASIS_LIMIT
        )
    if present("announced_on"):
        out["announced_on"] = parse.day(values, "announced_on")
    if creating:
        out["stage_code"] = parse.choice(
            values, "stage_code", [*refs.open_stage_codes, *refs.won_stage_codes]
        ) or (INITIAL_STAGE_CODE)
    if present("requirements"):
        raw_requirements = values.get("requirements")
        if raw_requirements is not None and not isinstance(raw_requirements, Mapping):
            parse.add("requirements", "Give the requirement profile as an object.", "invalid")
        else:
            try:
                out["requirements"] = validate_requirements(
                    raw_requirements, refs.zoning_statuses, refs.municipality_codes
                )
            except ValidationFailed as failed:
                parse.errors += failed.errors
    parse.raise_if_any("The lead is not valid.")
    return out
