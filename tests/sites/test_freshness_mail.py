"""The daily freshness job tells each municipality's contacts, once, which of its
sites it flagged for verification or took off the portal."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import OutboxEmail
from app.domain.access import Role
from app.services import sites as site_service
from app.settings import Settings
from tests.factories import Factory

BASE = "http://testserver"


def _outbox(db: Session) -> list[tuple[list[str], str, str, str | None]]:
    rows = db.scalars(select(OutboxEmail).order_by(OutboxEmail.reference))
    return [(m.to_addresses, m.subject, m.body_text, m.reference) for m in rows]


def _flagged(lang_fi: bool, municipality: str, months: int, lines: list[str]) -> str:
    if lang_fi:
        head = (
            f"Näiden kohteiden ({municipality}) tietoja ei ole tarkistettu {months} "
            "kuukauteen. Tarkista tiedot ja merkitse kohteet tarkistetuiksi:"
        )
    else:
        head = (
            f"These sites of {municipality} have not been verified for {months} months. "
            "Please check their details and mark them verified:"
        )
    return "\n".join([head, *lines])


def _hidden(lang_fi: bool, municipality: str, months: int, lines: list[str]) -> str:
    if lang_fi:
        head = (
            f"Näiden kohteiden ({municipality}) tietoja ei ole tarkistettu {months} "
            "kuukauteen, joten ne poistettiin portaalista. Kohde palaa portaaliin, kun se "
            "merkitään tarkistetuksi:"
        )
    else:
        head = (
            f"These sites of {municipality} have not been verified for {months} months "
            "and were taken off the public portal. Verifying a site brings it back:"
        )
    return "\n".join([head, *lines])


def test_one_bilingual_message_per_municipality_and_only_for_news(
    factory: Factory, db: Session, settings: Settings
) -> None:
    settings = settings.model_copy(update={"base_url": BASE})
    factory.user(Role.MUNICIPAL_CONTACT, municipality="205", email="b.contact@kajaani.example")
    factory.user(Role.MUNICIPAL_CONTACT, municipality="205", email="a.contact@kajaani.example")
    gone = factory.user(Role.MUNICIPAL_CONTACT, municipality="205", email="gone@kajaani.example")
    gone.is_active = False
    factory.user(Role.COORDINATOR, email="coordinator@kainuu.example")
    factory.user(Role.MUNICIPAL_CONTACT, municipality="765", email="contact@sotkamo.example")
    factory.site(last_verified_on=date(2026, 1, 10))  # fresh
    stale = factory.site(
        name_fi="Renforsin tontti", name_en="Renfors plot", last_verified_on=date(2025, 1, 10)
    )
    old = factory.site(name_fi="Vanha halli", name_en="", last_verified_on=date(2024, 6, 1))
    draft = factory.site(
        status="draft", name_fi="Luonnos", name_en="Draft", last_verified_on=date(2024, 6, 1)
    )
    sotkamo = factory.site(
        municipality="765",
        name_fi="Vuokatin tontti",
        name_en="Vuokatti plot",
        last_verified_on=date(2025, 1, 10),
    )
    factory.site(municipality="105", last_verified_on=date(2025, 1, 10))  # nobody to tell
    db.commit()

    assert site_service.flag_stale_sites(db, settings, date(2026, 2, 1)) == {
        "flagged": 5,
        "expired": 2,
    }
    kajaani_lines = [
        f"- Luonnos: {BASE}/sites/{draft.id}",
        f"- Renforsin tontti: {BASE}/sites/{stale.id}",
    ]
    kajaani_en = [
        f"- Draft: {BASE}/sites/{draft.id}",
        f"- Renfors plot: {BASE}/sites/{stale.id}",
    ]
    hidden_fi = [f"- Vanha halli: {BASE}/sites/{old.id}"]
    assert _outbox(db) == [
        (
            ["a.contact@kajaani.example", "b.contact@kajaani.example"],
            "Kohteiden tiedot tarkistettava: Kajaani / Sites of Kajaani need verification",
            "\n\n".join(
                [
                    _flagged(True, "Kajaani", 12, kajaani_lines),
                    _hidden(True, "Kajaani", 18, hidden_fi),
                ]
            )
            + "\n\n---\n\n"
            + "\n\n".join(
                [
                    _flagged(False, "Kajaani", 12, kajaani_en),
                    _hidden(False, "Kajaani", 18, hidden_fi),  # no English name: the Finnish
                ]
            ),
            "site-freshness:205:2026-02-01",
        ),
        (
            ["contact@sotkamo.example"],
            "Kohteiden tiedot tarkistettava: Sotkamo / Sites of Sotkamo need verification",
            _flagged(True, "Sotkamo", 12, [f"- Vuokatin tontti: {BASE}/sites/{sotkamo.id}"])
            + "\n\n---\n\n"
            + _flagged(False, "Sotkamo", 12, [f"- Vuokatti plot: {BASE}/sites/{sotkamo.id}"]),
            "site-freshness:765:2026-02-01",
        ),
    ]

    # The same day again: nothing new, nothing sent.
    assert site_service.flag_stale_sites(db, settings, date(2026, 2, 1)) == {
        "flagged": 0,
        "expired": 0,
    }
    assert len(_outbox(db)) == 2

    # Half a year later the flagged sites leave the portal: only that is news.
    site_service.flag_stale_sites(db, settings, date(2026, 8, 1))
    later = [m for m in _outbox(db) if m[3] and m[3].endswith("2026-08-01")]
    assert [(m[0], m[3]) for m in later] == [
        (
            ["a.contact@kajaani.example", "b.contact@kajaani.example"],
            "site-freshness:205:2026-08-01",
        ),
        (["contact@sotkamo.example"], "site-freshness:765:2026-08-01"),
    ]
    assert later[0][2] == (
        _hidden(True, "Kajaani", 18, [f"- Renforsin tontti: {BASE}/sites/{stale.id}"])
        + "\n\n---\n\n"
        + _hidden(False, "Kajaani", 18, [f"- Renfors plot: {BASE}/sites/{stale.id}"])
    )


def test_a_municipality_without_contacts_is_reported_to_the_coordinator(
    factory: Factory, db: Session, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"base_url": BASE, "coordinator_email": "coordinator@kainuu.example"}
    )
    site = factory.site(
        municipality="105",
        name_fi="Hyrynsalmen halli",
        name_en="Hyrynsalmi hall",
        last_verified_on=date(2025, 1, 10),
    )
    site_service.flag_stale_sites(db, settings, date(2026, 2, 1))
    assert [(m[0], m[1], m[3]) for m in _outbox(db)] == [
        (
            ["coordinator@kainuu.example"],
            "Kohteiden tiedot tarkistettava: Hyrynsalmi / Sites of Hyrynsalmi need verification",
            "site-freshness:105:2026-02-01",
        )
    ]
    assert f"- Hyrynsalmi hall: {BASE}/sites/{site.id}" in _outbox(db)[0][2]
