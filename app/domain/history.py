"""How a record's history reads: audit entries, stage moves and handoffs as sentences.

The audit log stores codes, ids and ISO dates ("stage_code: identified → qualified");
people read "Kaisa Virtanen moved the lead from Identified to Qualified". This module
holds the phrasing rules: which label a field has, what kind of value it holds (euros,
a date, a code with a label, a reference to another record, a secret), which fields
are bookkeeping nobody needs to read, and the sentence of each kind of change. Names
of referenced records are looked up by the caller (`Names`), which also decides what
the reader may see; values are formatted in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_datetime

from app.i18n import (
    HELSINKI,
    N_,
    babel_locale,
    country_name,
    format_day,
    format_eur,
    format_number,
    label,
)
from app.i18n import translate as _t

# What the reader sees in place of a referenced record they may not read.
HIDDEN_RECORD = N_("a record you cannot see")

# Columns that are bookkeeping (derived, technical or repeated by another sentence).
BOOKKEEPING = frozenset(
    {
        "id",
        "name_key",
        "stage_changed_at",
        "last_activity_at",
        "version",
        "sequence",
        "storage_key",
        "thumbnail_key",
        "sha256",
        "document_key",
        "document_content_type",
        "document_size_bytes",
        "reminder_sent_for",
        "stale_flagged_at",
        "public_changed_at",
        "merged_at",
        "invited_sequence",
        "width",
        "height",
        "content_type",
        "size_bytes",
        "sort_order",
        "slug",
        "polygon",
    }
)

# Parts of column names that hold secrets: the change is told, never the value.
_SECRET_PARTS = ("password", "secret", "token", "hash", "api_key")


def is_secret(name: str) -> bool:
    return any(part in name for part in _SECRET_PARTS)


# Field labels as they read inside a sentence ("changed the estimated capex").
FIELD_LABELS: dict[str, str] = {
    "name": N_("name"),
    "title": N_("title"),
    "description": N_("description"),
    "notes": N_("notes"),
    "type": N_("type"),
    "country": N_("country"),
    "business_id": N_("business ID"),
    "foreign_registry_id": N_("foreign registry ID"),
    "industry_code": N_("industry"),
    "nace_code": N_("NACE code"),
    "nace_version": N_("NACE version"),
    "website": N_("website"),
    "organization_id": N_("organisation"),
    "full_name": N_("name"),
    "role_title": N_("job title"),
    "email": N_("e-mail address"),
    "phone": N_("phone number"),
    "language": N_("language"),
    "lawful_basis": N_("lawful basis"),
    "source": N_("source"),
    "consent_text_version": N_("consent text version"),
    "consent_given_at": N_("consent date"),
    "retention_until": N_("retention date"),
    "erased_at": N_("erasure time"),
    "erasure_reason": N_("erasure reason"),
    "retention_reason": N_("retention reason"),
    "code_name": N_("code name"),
    "investment_type": N_("investment type"),
    "origin_country": N_("country of origin"),
    "capex_eur": N_("estimated capex"),
    "capex_basis": N_("basis of the capex"),
    "capex_status": N_("capex status"),
    "jobs": N_("jobs"),
    "jobs_basis": N_("basis of the jobs"),
    "stage_code": N_("stage"),
    "probability_override": N_("probability"),
    "probability_reason": N_("reason for the probability"),
    "expected_decision_on": N_("expected decision date"),
    "priority": N_("priority"),
    "owner_id": N_("owner"),
    "landing_municipality_code": N_("landing municipality"),
    "landed_on": N_("landing date"),
    "lost_reason_code": N_("reason for losing"),
    "lost_note": N_("note on losing"),
    "requirements": N_("requirement profile"),
    "confidentiality": N_("secrecy"),
    "confidentiality_basis": N_("basis of the secrecy"),
    "announced_on": N_("announcement date"),
    "merged_into_id": N_("lead it was merged into"),
    "leader_contact_id": N_("leader"),
    "leading_organization_id": N_("leading organisation"),
    "coordinator_id": N_("coordinator"),
    "founded_on": N_("founding date"),
    "role": N_("role"),
    "joined_on": N_("joining date"),
    "left_on": N_("leaving date"),
    "party_organization_id": N_("party"),
    "signed_on": N_("signing date"),
    "valid_until": N_("end of validity"),
    "document_filename": N_("document"),
    "held_on": N_("meeting date"),
    "minutes": N_("minutes"),
    "decisions": N_("decisions"),
    "note": N_("note"),
    "kind": N_("kind"),
    "location": N_("location"),
    "starts_at": N_("start"),
    "ends_at": N_("end"),
    "status": N_("status"),
    "confidential": N_("confidentiality"),
    "invited_by_id": N_("inviter"),
    "outcome_notes": N_("outcome"),
    "place": N_("place"),
    "site_id": N_("site"),
    "host_municipality_code": N_("host municipality"),
    "hosts": N_("hosts"),
    "contact_id": N_("contact person"),
    "user_id": N_("staff member"),
    "invitation": N_("invitation"),
    "invited_at": N_("invitation time"),
    "rsvp": N_("answer to the invitation"),
    "rsvp_at": N_("answer time"),
    "amount_eur": N_("amount"),
    "amount_jobs": N_("jobs target"),
    "period_start": N_("start of the period"),
    "period_end": N_("end of the period"),
    "scope": N_("scope"),
    "municipality_code": N_("municipality"),
    "created_by_id": N_("creator"),
    "closed_on": N_("closing date"),
    "shown_on_portal": N_("shown on the portal"),
    "external_ref": N_("external reference"),
    "name_fi": N_("name in Finnish"),
    "name_en": N_("name in English"),
    "description_fi": N_("description in Finnish"),
    "description_en": N_("description in English"),
    "address": N_("address"),
    "latitude": N_("latitude"),
    "longitude": N_("longitude"),
    "area_ha": N_("area (ha)"),
    "area_m2": N_("area (m²)"),
    "floor_area_m2": N_("floor area (m²)"),
    "zoning_status": N_("zoning"),
    "permitted_use": N_("permitted use"),
    "ownership": N_("ownership"),
    "tenure": N_("tenure"),
    "price_eur": N_("price"),
    "price_terms": N_("price terms"),
    "available_from": N_("available from"),
    "grid_connection": N_("grid connection"),
    "available_power_mw": N_("available power (MW)"),
    "substation_110kv_km": N_("distance to a 110 kV substation (km)"),
    "substation_400kv_km": N_("distance to a 400 kV substation (km)"),
    "water_m3_per_day": N_("water (m³/day)"),
    "wastewater_m3_per_day": N_("wastewater (m³/day)"),
    "district_heat": N_("district heat"),
    "gas": N_("gas"),
    "rail_siding": N_("rail siding"),
    "road_km": N_("distance to a main road (km)"),
    "airport_km": N_("distance to an airport (km)"),
    "port_km": N_("distance to a port (km)"),
    "fibre": N_("fibre broadband"),
    "environmental_permit": N_("environmental permit"),
    "contact_name": N_("contact name"),
    "contact_email": N_("contact e-mail"),
    "contact_phone": N_("contact phone"),
    "last_verified_on": N_("last verification date"),
    "submitted_at": N_("submission time"),
    "published_at": N_("publication time"),
    "review_comment": N_("review comment"),
    "expired_at": N_("expiry time"),
    "filename": N_("file name"),
    "title_fi": N_("title in Finnish"),
    "title_en": N_("title in English"),
    "message": N_("message"),
    "response_note": N_("reply"),
}

# The label kind (app.i18n.LABELS) of a coded column, by table and column.
LABEL_KINDS: dict[tuple[str, str], str] = {
    ("leads", "investment_type"): "investment_type",
    ("leads", "source"): "lead_source",
    ("leads", "capex_basis"): "amount_basis",
    ("leads", "jobs_basis"): "amount_basis",
    ("leads", "capex_status"): "capex_status",
    ("leads", "priority"): "priority",
    ("leads", "confidentiality"): "confidentiality",
    ("lead_shares", "status"): "share_status",
    ("organizations", "type"): "organization_type",
    ("contacts", "lawful_basis"): "lawful_basis",
    ("cluster_members", "role"): "member_role",
    ("events", "kind"): "event_kind",
    ("events", "status"): "event_status",
    ("event_participants", "role"): "participant_role",
    ("event_participants", "invitation"): "invitation",
    ("event_participants", "rsvp"): "rsvp",
    ("investment_targets", "scope"): "target_scope",
    ("sites", "kind"): "site_kind",
    ("sites", "status"): "site_status",
    ("sites", "zoning_status"): "zoning_status",
    ("sites", "ownership"): "ownership",
    ("sites", "tenure"): "tenure",
    ("sites", "environmental_permit"): "permit_status",
    ("site_attachments", "kind"): "attachment_kind",
    ("activities", "kind"): "activity_kind",
}

COUNTRY_FIELDS = frozenset({"country", "origin_country"})
LANGUAGE_FIELDS = frozenset({"language"})
# Free text shown in full up to this length, beyond it cut with an ellipsis.
TEXT_LIMIT = 160


def field_label(lang: str, name: str) -> str:
    return _t(lang, FIELD_LABELS.get(name, name.replace("_", " ")))


def language_name(lang: str, code: str | None) -> str:
    if not code:
        return "–"
    try:
        return Locale.parse(babel_locale(lang)).languages.get(code, code)
    except (ValueError, UnknownLocaleError):
        return code


# Looks up the name of a referenced record for the reader: (table, key) -> name, or None
# when the reader may not see that record.
Names = Callable[[str, str], str | None]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def _parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_value(
    lang: str, table: str, name: str, value: Any, references: dict[str, str], names: Names
) -> str:
    """One stored value as the reader reads it: labels for codes, names for ids,
    euros and dates in the reader's notation."""
    if value is None or value == "":
        return "–"
    if name in references:
        found = names(references[name], str(value))
        return found if found is not None else _t(lang, HIDDEN_RECORD)
    kind = LABEL_KINDS.get((table, name))
    if kind is not None:
        return label(lang, kind, str(value))
    if name in COUNTRY_FIELDS:
        return country_name(str(value), lang)
    if name in LANGUAGE_FIELDS:
        return language_name(lang, str(value))
    if isinstance(value, bool):
        return _t(lang, N_("yes")) if value else _t(lang, N_("no"))
    if name.endswith("_eur"):
        try:
            return format_eur(Decimal(str(value)), lang)
        except InvalidOperation:
            return str(value)
    if name.endswith(("_on", "_until", "_start", "_end", "_from")) and isinstance(value, str):
        try:
            return format_day(date.fromisoformat(value[:10]), lang)
        except ValueError:
            return value
    if name.endswith("_at") and isinstance(value, str):
        moment = _parse_datetime(value)
        if moment is not None:
            return format_datetime(
                moment, format="short", locale=babel_locale(lang), tzinfo=HELSINKI
            )
    if name == "probability_override" and isinstance(value, int):
        return f"{value} %"
    if isinstance(value, int | float):
        return format_number(value, lang, digits=2)
    if isinstance(value, dict | list):
        return ""
    return "“" + _short(str(value)) + "”"


@dataclass(frozen=True)
class Sentence:
    """One thing a person did, as the reader reads it."""

    at: datetime
    text: str
    kind: str = "change"
    # Extra lines under the sentence (a long note, the body of an activity).
    details: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


# --- sentences of a single change -------------------------------------------------------

CHANGED = N_("%(actor)s changed the %(field)s from %(old)s to %(new)s.")
SET = N_("%(actor)s set the %(field)s to %(new)s.")
CLEARED = N_("%(actor)s cleared the %(field)s (was %(old)s).")
CHANGED_WITHOUT_VALUES = N_("%(actor)s changed the %(field)s.")
CHILD_CHANGED = N_("%(actor)s changed the %(field)s of %(name)s from %(old)s to %(new)s.")
CHILD_CHANGED_WITHOUT_VALUES = N_("%(actor)s changed the %(field)s of %(name)s.")

CREATED: dict[str, str] = {
    "leads": N_("%(actor)s created the lead."),
    "organizations": N_("%(actor)s created the organisation."),
    "contacts": N_("%(actor)s created the contact person."),
    "clusters": N_("%(actor)s created the cluster."),
    "events": N_("%(actor)s created the event."),
    "investment_targets": N_("%(actor)s created the target."),
    "sites": N_("%(actor)s created the site."),
}
DELETED: dict[str, str] = {
    "leads": N_("%(actor)s deleted the lead."),
    "organizations": N_("%(actor)s deleted the organisation."),
    "contacts": N_("%(actor)s deleted the contact person."),
    "clusters": N_("%(actor)s deleted the cluster."),
    "events": N_("%(actor)s deleted the event."),
    "investment_targets": N_("%(actor)s deleted the target."),
    "sites": N_("%(actor)s deleted the site."),
}


@dataclass(frozen=True)
class ChildRule:
    """How the rows that belong to a record read in its history: which column points at
    the record, which names the row, and the sentences of adding and removing one."""

    table: str
    parent_columns: tuple[str, ...]
    # The first of these that holds a value other than the record's own id names the row.
    name_columns: tuple[str, ...]
    added: str
    removed: str


CHILDREN: dict[str, tuple[ChildRule, ...]] = {
    "leads": (
        ChildRule(
            "lead_municipalities",
            ("lead_id",),
            ("municipality_code",),
            N_("%(actor)s added %(name)s to the candidate municipalities."),
            N_("%(actor)s removed %(name)s from the candidate municipalities."),
        ),
        ChildRule(
            "lead_sites",
            ("lead_id",),
            ("site_id",),
            N_("%(actor)s added the site %(name)s to the candidates."),
            N_("%(actor)s removed the site %(name)s from the candidates."),
        ),
        ChildRule(
            "lead_contacts",
            ("lead_id",),
            ("contact_id",),
            N_("%(actor)s linked %(name)s to the lead."),
            N_("%(actor)s removed %(name)s from the lead."),
        ),
    ),
    "organizations": (
        ChildRule(
            "contacts",
            ("organization_id",),
            ("full_name",),
            N_("%(actor)s added the contact person %(name)s."),
            N_("%(actor)s removed the contact person %(name)s."),
        ),
    ),
    "clusters": (
        ChildRule(
            "cluster_members",
            ("cluster_id",),
            ("organization_id",),
            N_("%(actor)s added %(name)s to the members."),
            N_("%(actor)s removed %(name)s from the members."),
        ),
        ChildRule(
            "cluster_agreements",
            ("cluster_id",),
            ("title",),
            N_("%(actor)s recorded the agreement %(name)s."),
            N_("%(actor)s removed the agreement %(name)s."),
        ),
        ChildRule(
            "cluster_meetings",
            ("cluster_id",),
            ("title",),
            N_("%(actor)s recorded the meeting %(name)s."),
            N_("%(actor)s removed the meeting %(name)s."),
        ),
        ChildRule(
            "cluster_links",
            ("cluster_a_id", "cluster_b_id"),
            ("cluster_a_id", "cluster_b_id"),
            N_("%(actor)s linked the cluster with %(name)s."),
            N_("%(actor)s removed the link with %(name)s."),
        ),
    ),
    "events": (
        ChildRule(
            "event_itinerary_items",
            ("event_id",),
            ("place", "site_id"),
            N_("%(actor)s added %(name)s to the itinerary."),
            N_("%(actor)s removed %(name)s from the itinerary."),
        ),
        ChildRule(
            "event_participants",
            ("event_id",),
            ("contact_id", "user_id"),
            N_("%(actor)s added %(name)s to the participants."),
            N_("%(actor)s removed %(name)s from the participants."),
        ),
    ),
    "sites": (
        ChildRule(
            "site_attachments",
            ("site_id",),
            ("filename",),
            N_("%(actor)s added the file %(name)s."),
            N_("%(actor)s removed the file %(name)s."),
        ),
    ),
}


def visible_fields(changes: dict[str, list[Any]]) -> list[str]:
    return [name for name in changes if name not in BOOKKEEPING]


def change_sentences(
    lang: str,
    *,
    table: str,
    action: str,
    actor: str,
    changes: dict[str, list[Any]],
    references: dict[str, str],
    names: Names,
    record_type: str,
    child: ChildRule | None = None,
    child_name: str | None = None,
    skip: frozenset[str] = frozenset(),
    hide_values: frozenset[str] = frozenset(),
) -> list[str]:
    """The sentences of one audit entry. `references` maps the table's foreign-key
    columns to the tables they point at; `hide_values` names fields whose values the
    reader may not see (the change is still told)."""
    if child is not None:
        name = child_name or _t(lang, HIDDEN_RECORD)
        if action == "create":
            return [_t(lang, child.added, actor=actor, name=name)]
        if action == "delete":
            return [_t(lang, child.removed, actor=actor, name=name)]
    elif action == "create":
        return [
            _t(
                lang,
                CREATED.get(record_type, CHANGED_WITHOUT_VALUES),
                actor=actor,
                field=field_label(lang, record_type),
            )
        ]
    elif action == "delete":
        return [
            _t(
                lang,
                DELETED.get(record_type, CHANGED_WITHOUT_VALUES),
                actor=actor,
                field=field_label(lang, record_type),
            )
        ]
    sentences = []
    for name in visible_fields(changes):
        if name in skip:
            continue
        old, new = (changes[name] + [None, None])[:2]
        params: dict[str, Any] = {"actor": actor, "field": field_label(lang, name)}
        if child is not None:
            params["name"] = child_name or _t(lang, HIDDEN_RECORD)
        quiet = is_secret(name) or name in hide_values or isinstance(old or new, dict | list)
        if quiet:
            message = CHILD_CHANGED_WITHOUT_VALUES if child else CHANGED_WITHOUT_VALUES
            sentences.append(_t(lang, message, **params))
            continue
        params["old"] = format_value(lang, table, name, old, references, names)
        params["new"] = format_value(lang, table, name, new, references, names)
        if child is not None:
            message = CHILD_CHANGED
        elif old is None or old == "":
            message = SET
        elif new is None or new == "":
            message = CLEARED
        else:
            message = CHANGED
        sentences.append(_t(lang, message, **params))
    return sentences


# --- sentences of the lead's own log ----------------------------------------------------

STAGE_MOVED = N_("%(actor)s moved the lead from %(from_stage)s to %(to_stage)s.")
STAGE_MOVED_WITH_NOTE = N_(
    "%(actor)s moved the lead from %(from_stage)s to %(to_stage)s: '%(note)s'"
)
STAGE_OPENED = N_("%(actor)s opened the lead in %(to_stage)s.")
STAGE_OPENED_WITH_NOTE = N_("%(actor)s opened the lead in %(to_stage)s: '%(note)s'")
MERGED_STAGE = N_("(in the merged lead %(code_name)s)")
SHARED = N_("%(actor)s shared the lead with %(receiver)s.")
SHARED_WITH_MESSAGE = N_("%(actor)s shared the lead with %(receiver)s: '%(text)s'")
SHARE_ANSWERS: dict[str, str] = {
    "accepted": N_("%(actor)s accepted the lead for %(receiver)s."),
    "declined": N_("%(actor)s declined the lead for %(receiver)s."),
}
SHARE_ANSWERS_WITH_NOTE: dict[str, str] = {
    "accepted": N_("%(actor)s accepted the lead for %(receiver)s: '%(note)s'"),
    "declined": N_("%(actor)s declined the lead for %(receiver)s: '%(note)s'"),
}
ACTIVITY_LOGGED: dict[str, str] = {
    "note": N_("%(actor)s wrote a note: %(subject)s"),
    "call": N_("%(actor)s logged a call: %(subject)s"),
    "meeting": N_("%(actor)s logged a meeting: %(subject)s"),
    "email": N_("%(actor)s logged an e-mail: %(subject)s"),
}
TASK_ADDED = N_("%(actor)s added a task for %(assignee)s, due %(due)s: %(subject)s")


def stage_sentence(
    lang: str, actor: str, from_stage: str | None, to_stage: str, note: str | None
) -> str:
    params = {"actor": actor, "from_stage": from_stage, "to_stage": to_stage, "note": note}
    if from_stage is None:
        return _t(lang, STAGE_OPENED_WITH_NOTE if note else STAGE_OPENED, **params)
    return _t(lang, STAGE_MOVED_WITH_NOTE if note else STAGE_MOVED, **params)


def share_sentence(lang: str, actor: str, receiver: str, message: str | None) -> str:
    params = {"actor": actor, "receiver": receiver, "text": message}
    return _t(lang, SHARED_WITH_MESSAGE if message else SHARED, **params)


def share_answer_sentence(
    lang: str, actor: str, receiver: str, status: str, note: str | None
) -> str:
    table = SHARE_ANSWERS_WITH_NOTE if note else SHARE_ANSWERS
    message = table.get(status, SHARE_ANSWERS["accepted"])
    return _t(lang, message, actor=actor, receiver=receiver, note=note)


def activity_sentence(
    lang: str,
    actor: str,
    kind: str,
    subject: str,
    *,
    assignee: str | None = None,
    due: str | None = None,
) -> str:
    if due is not None:
        return _t(
            lang, TASK_ADDED, actor=actor, assignee=assignee or actor, due=due, subject=subject
        )
    message = ACTIVITY_LOGGED.get(kind, ACTIVITY_LOGGED["note"])
    return _t(lang, message, actor=actor, subject=subject)
