"""Rules of cluster groups: fields, member roles, agreement validity and links."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.leads import ParseErrors


class MemberRole(StrEnum):
    LEADING = "leading"
    MEMBER = "member"
    RESEARCH = "research"
    PUBLIC = "public"
    FUNDER = "funder"


class AgreementState(StrEnum):
    VALID = "valid"
    OPEN_ENDED = "open_ended"
    EXPIRING = "expiring"
    EXPIRED = "expired"


def agreement_state(valid_until: date | None, today: date, warning_days: int) -> AgreementState:
    """Expiring: ends within the warning window (inclusive), so renewal can start in time."""
    if valid_until is None:
        return AgreementState.OPEN_ENDED
    if valid_until < today:
        return AgreementState.EXPIRED
    if valid_until <= today + timedelta(days=warning_days):
        return AgreementState.EXPIRING
    return AgreementState.VALID


def clean_cluster_fields(
    values: Mapping[str, object], *, creating: bool, industry_codes: Collection[str]
) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("name"):
        out["name"] = parse.text(values, "name", 200, required=True)
    if present("description"):
        out["description"] = parse.text(values, "description", 20_000)
    if present("founded_on"):
        out["founded_on"] = parse.day(values, "founded_on")
    if present("industry_codes"):
        codes = parse.codes(values, "industry_codes", industry_codes)
        if creating and not codes and "industry_codes" not in {e.field for e in parse.errors}:
            parse.add("industry_codes", "Name at least one key industry.", "required")
        out["industry_codes"] = codes
    parse.raise_if_any("The cluster is not valid.")
    return out


def clean_member_fields(values: Mapping[str, object], *, creating: bool) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}
    if creating or "role" in values:
        out["role"] = parse.choice(values, "role", [r.value for r in MemberRole], required=True)
    if creating or "joined_on" in values:
        out["joined_on"] = parse.day(values, "joined_on")
        if out["joined_on"] is None and "joined_on" not in {e.field for e in parse.errors}:
            parse.add("joined_on", "Give the date the organisation joined.", "required")
    if "left_on" in values:
        out["left_on"] = parse.day(values, "left_on")
    joined, left = out.get("joined_on"), out.get("left_on")
    if joined and left and left < joined:
        parse.add("left_on", "An organisation cannot leave before it joined.", "before_joined")
    parse.raise_if_any("The member is not valid.")
    return out


def clean_agreement_fields(
    values: Mapping[str, object], *, creating: bool, current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`current` holds the stored dates when editing, so the order is checked on the
    combination that will be saved."""
    parse = ParseErrors()
    out: dict[str, Any] = {}
    if creating or "title" in values:
        out["title"] = parse.text(values, "title", 200, required=True)
    if creating or "signed_on" in values:
        out["signed_on"] = parse.day(values, "signed_on")
        if out["signed_on"] is None and "signed_on" not in {e.field for e in parse.errors}:
            parse.add("signed_on", "Give the date the agreement was signed.", "required")
    if creating or "valid_until" in values:
        out["valid_until"] = parse.day(values, "valid_until")
    merged = {**(current or {}), **out}
    signed, until = merged.get("signed_on"), merged.get("valid_until")
    if signed and until and until < signed:
        parse.add("valid_until", "The agreement cannot end before it was signed.", "before_signed")
    parse.raise_if_any("The agreement is not valid.")
    return out


def clean_meeting_fields(values: Mapping[str, object], *, creating: bool) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}
    if creating or "title" in values:
        out["title"] = parse.text(values, "title", 200, required=True)
    if creating or "held_on" in values:
        out["held_on"] = parse.day(values, "held_on")
        if out["held_on"] is None and "held_on" not in {e.field for e in parse.errors}:
            parse.add("held_on", "Give the date of the meeting.", "required")
    for name in ("minutes", "decisions"):
        if creating or name in values:
            out[name] = parse.text(values, name, 50_000)
    parse.raise_if_any("The meeting is not valid.")
    return out


def link_pair(first: uuid.UUID, second: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A link is stored once, lower id first, whichever cluster it was made from."""
    if first == second:
        raise ValidationFailed.single(
            "cluster_id", "A cluster cannot be linked to itself.", "self_link"
        )
    return (first, second) if first < second else (second, first)
