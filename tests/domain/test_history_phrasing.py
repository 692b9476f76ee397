"""The phrasing rules of a record's history, without a database."""

from __future__ import annotations

import uuid

from app.domain.history import change_sentences, stage_sentence


def _names(table: str, key: str) -> str | None:
    return {("organizations", "known"): "Nordic Fibre Oy"}.get((table, key))


def test_secrets_are_told_without_their_values() -> None:
    [sentence] = change_sentences(
        "en",
        table="users",
        action="update",
        actor="Kaisa Virtanen",
        changes={"password_hash": ["$argon2$old", "$argon2$new"]},
        references={},
        names=_names,
        record_type="users",
    )
    assert sentence == "Kaisa Virtanen changed the password hash."
    assert "argon2" not in sentence


def test_a_reference_reads_as_a_name_or_as_a_record_the_reader_cannot_see() -> None:
    hidden = str(uuid.uuid4())
    [sentence] = change_sentences(
        "en",
        table="leads",
        action="update",
        actor="Kaisa Virtanen",
        changes={"organization_id": ["known", hidden]},
        references={"organization_id": "organizations"},
        names=_names,
        record_type="leads",
    )
    assert sentence == (
        "Kaisa Virtanen changed the organisation from Nordic Fibre Oy to a record you cannot see."
    )
    assert hidden not in sentence


def test_codes_read_as_labels_countries_and_days_in_the_readers_language() -> None:
    changes = {
        "investment_type": ["greenfield_fdi", "expansion"],
        "origin_country": ["SE", "NO"],
        "expected_decision_on": ["2026-11-30", "2027-01-15"],
        "last_activity_at": ["2026-11-01T10:00:00+00:00", "2026-11-30T10:00:00+00:00"],
    }
    english = change_sentences(
        "en",
        table="leads",
        action="update",
        actor="Kaisa",
        changes=changes,
        references={},
        names=_names,
        record_type="leads",
    )
    assert english == [
        "Kaisa changed the investment type from Greenfield FDI to Expansion in the region.",
        "Kaisa changed the country of origin from Sweden to Norway.",
        "Kaisa changed the expected decision date from 30 Nov 2026 to 15 Jan 2027.",
    ]
    finnish = change_sentences(
        "fi",
        table="leads",
        action="update",
        actor="Kaisa",
        changes=changes,
        references={},
        names=_names,
        record_type="leads",
    )
    assert finnish[1] == "Kaisa muutti kohdan ”lähtömaa”: Ruotsi → Norja."
    assert finnish[2] == "Kaisa muutti kohdan ”odotettu päätöspäivä”: 30.11.2026 → 15.1.2027."


def test_a_stage_move_quotes_its_note() -> None:
    assert (
        stage_sentence("en", "Kaisa Virtanen", "Contacted", "Qualified", "site visit agreed")
        == "Kaisa Virtanen moved the lead from Contacted to Qualified: 'site visit agreed'"
    )
    assert stage_sentence("en", "Kaisa", None, "Identified", None) == (
        "Kaisa opened the lead in Identified."
    )
