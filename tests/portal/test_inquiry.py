"""The inquiry form: a good inquiry becomes a lead with its organisation, contact,
consent and share, and a notification in the outbox, in one go; bots, floods, bad
e-mail addresses and missing consent create nothing."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Activity,
    Contact,
    Lead,
    LeadContact,
    LeadMunicipality,
    LeadShare,
    LeadSite,
    Organization,
    OutboxEmail,
    PortalRateCounter,
)
from app.domain.access import Role
from app.domain.portal import sign_started
from app.settings import Settings
from tests.factories import Factory, csrf_from

GOOD = {
    "full_name": "Anna Investor",
    "organization": "Nordic Compute AB",
    "country": "SE",
    "email": "Anna@NordicCompute.example",
    "message": "We plan a 40 MW data centre and look for a plot with a grid connection.",
    "capex_eur": "120 000 000",
    "jobs": "45",
    "timeline": "1_to_2_years",
    "consent": "yes",
}


def _form(client: TestClient, lang: str = "en", site: str | None = None) -> dict[str, str]:
    page = client.get(f"/{lang}/inquiry" + (f"?site={site}" if site else ""))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    started = page.text.split('name="started" value="')[1].split('"')[0]
    return {"csrf_token": csrf_from(page.text), "started": started}


def _send(client: TestClient, values: dict[str, Any], lang: str = "en", **kwargs: Any):
    return client.post(f"/{lang}/inquiry", data=values, follow_redirects=False, **kwargs)


def _counts(db: Session) -> dict[str, int]:
    return {
        m.__tablename__: db.scalar(select(func.count()).select_from(m)) or 0
        for m in (Lead, Organization, Contact, LeadShare, OutboxEmail)
    }


def test_good_general_inquiry_creates_a_lead(
    client: TestClient, db: Session, factory: Factory
) -> None:
    coordinator = factory.user(Role.COORDINATOR, email="coordinator@kainuu.example")
    response = _send(client, {**_form(client), **GOOD})
    assert response.status_code == 303
    assert response.headers["location"] == "/en/inquiry/thanks"
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    assert (lead.stage_code, lead.investment_type, lead.origin_country) == (
        "identified",
        "greenfield_fdi",
        "SE",
    )
    assert (lead.capex_eur, lead.jobs) == (120_000_000, 45)
    # Neutral: the names live only in the linked organisation and contact.
    assert lead.title == "Portal inquiry: general"
    assert lead.description.startswith("We plan a 40 MW data centre")
    org = db.get(Organization, lead.organization_id)
    assert (org.name, org.country, org.type) == ("Nordic Compute AB", "SE", "company")
    contact = db.scalar(select(Contact).join(LeadContact).where(LeadContact.lead_id == lead.id))
    assert contact.email == "anna@nordiccompute.example"
    assert contact.lawful_basis == "consent"
    assert contact.source == "Invest in Kainuu portal inquiry"
    assert contact.consent_text_version == "portal-privacy-2026-01"
    assert contact.consent_given_at is not None
    assert contact.retention_until is not None
    assert contact.organization_id == org.id
    assert db.scalars(select(LeadShare).where(LeadShare.lead_id == lead.id)).all() == []
    mail = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == f"inquiry:{lead.id}"))
    assert mail.to_addresses == [coordinator.email]
    assert lead.code_name in mail.subject
    # The coordinator sees the new lead in the pipeline.
    _, headers = factory.api_user(Role.COORDINATOR)
    listed = client.get("/api/v1/leads?source=portal_inquiry", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [str(lead.id)]
    thanks = client.get("/en/inquiry/thanks")
    assert "your inquiry has been sent" in thanks.text


def test_inquiry_about_a_site_is_shared_with_its_municipality(
    client: TestClient, db: Session, factory: Factory, publish, settings: Settings
) -> None:
    settings.coordinator_email = "invest@kainuu.example"
    try:
        site = publish(slug="sotkamo-plot", municipality="765", industries=("mining_chemicals",))
        form = _form(client, "fi", site.slug)
        response = _send(client, {**form, **GOOD, "site": site.slug, "country": "FI"}, "fi")
    finally:
        settings.coordinator_email = None
    assert response.headers["location"] == "/fi/inquiry/thanks"
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead.investment_type == "capital_investment"
    assert lead.industry_code == "mining_chemicals"
    assert db.scalars(select(LeadSite.site_id).where(LeadSite.lead_id == lead.id)).all() == [
        site.id
    ]
    assert db.scalars(
        select(LeadMunicipality.municipality_code).where(LeadMunicipality.lead_id == lead.id)
    ).all() == ["765"]
    share = db.scalar(select(LeadShare).where(LeadShare.lead_id == lead.id))
    assert (share.municipality_code, share.status) == ("765", "pending")
    mail = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == f"inquiry:{lead.id}"))
    assert mail.to_addresses == ["invest@kainuu.example"]
    # The Sotkamo contact sees it; Kajaani's does not.
    _, sotkamo = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    _, kajaani = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert client.get(f"/api/v1/leads/{lead.id}", headers=sotkamo).status_code == 200
    assert client.get(f"/api/v1/leads/{lead.id}", headers=kajaani).status_code == 404


def test_same_organisation_and_email_are_reused(client: TestClient, db: Session) -> None:
    _send(client, {**_form(client), **GOOD})
    _send(client, {**_form(client), **GOOD, "organization": "Nordic Compute"})
    assert db.scalar(select(func.count()).select_from(Lead)) == 2
    assert db.scalar(select(func.count()).select_from(Organization)) == 1
    assert db.scalar(select(func.count()).select_from(Contact)) == 1


def test_honeypot_bot_is_thanked_and_creates_nothing(client: TestClient, db: Session) -> None:
    before = _counts(db)
    response = _send(client, {**_form(client), **GOOD, "website": "http://spam.example"})
    assert response.status_code == 303
    assert response.headers["location"] == "/en/inquiry/thanks"
    assert _counts(db) == before


def test_forged_or_missing_start_time_is_a_bot(client: TestClient, db: Session) -> None:
    before = _counts(db)
    form = _form(client)
    forged = f"{int(time.time()) - 3600}.{'0' * 32}"
    assert _send(client, {**form, **GOOD, "started": forged}).status_code == 303
    assert _send(client, {"csrf_token": form["csrf_token"], **GOOD}).status_code == 303
    assert _counts(db) == before


def test_too_fast_asks_again(client: TestClient, db: Session, settings: Settings) -> None:
    settings.portal_inquiry_min_seconds = 60
    before = _counts(db)
    response = _send(client, {**_form(client), **GOOD})
    assert response.status_code == 422
    assert "That was quick!" in response.text
    assert 'value="Anna Investor"' in response.text
    assert _counts(db) == before


def test_expired_form_asks_again(client: TestClient, db: Session, settings: Settings) -> None:
    key = settings.secret_key.get_secret_value().encode()
    old = sign_started(key, int(time.time()) - 25 * 3600)
    response = _send(client, {**_form(client), **GOOD, "started": old})
    assert response.status_code == 422
    assert "open for a long time" in response.text
    assert db.scalar(select(func.count()).select_from(Lead)) == 0


def test_bad_email_and_missing_consent_are_refused(client: TestClient, db: Session) -> None:
    before = _counts(db)
    values = {**_form(client), **GOOD, "email": "anna@", "consent": ""}
    response = _send(client, values)
    assert response.status_code == 422
    assert "Give a valid e-mail address" in response.text
    assert "accept the privacy notice" in response.text
    assert 'id="i-email" name="email"' in response.text and 'aria-invalid="true"' in response.text
    assert _counts(db) == before


def test_missing_fields_in_finnish(client: TestClient, db: Session) -> None:
    response = _send(client, {**_form(client, "fi"), "consent": "yes"}, "fi")
    assert response.status_code == 422
    assert "Kerro nimesi." in response.text
    assert db.scalar(select(func.count()).select_from(Lead)) == 0


def test_csrf_token_is_required(client: TestClient, db: Session) -> None:
    form = _form(client)
    response = _send(
        client,
        {**GOOD, "started": form["started"], "csrf_token": "forged"},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403
    assert "The form has expired" in response.text
    assert db.scalar(select(func.count()).select_from(Lead)) == 0


def test_flood_is_limited_per_client_in_the_database(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.portal_inquiry_limit = 3
    statuses = [_send(client, {**_form(client), **GOOD}).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    assert db.scalar(select(func.count()).select_from(Lead)) == 3
    # Only accepted inquiries are counted; the refused ones left nothing behind.
    counter = db.scalar(select(PortalRateCounter))
    assert counter.hits == 3
    assert "testclient" not in counter.bucket and len(counter.bucket) == 64


def test_oversized_body_is_refused(client: TestClient, db: Session) -> None:
    values = {**_form(client), **GOOD, "message": "x" * 40_000}
    response = _send(client, values, headers={"accept": "text/html"})
    assert response.status_code == 413
    assert db.scalar(select(func.count()).select_from(Lead)) == 0


def test_too_long_message_is_a_field_error(client: TestClient, db: Session) -> None:
    response = _send(client, {**_form(client), **GOOD, "message": "x" * 5001})
    assert response.status_code == 422
    assert "The text is too long." in response.text


def test_inquiry_form_in_both_languages(client: TestClient, publish) -> None:
    site = publish(slug="asked-about", name_en="Asked plot", name_fi="Kysytty tontti")
    en = client.get(f"/en/inquiry?site={site.slug}")
    assert "About the site Asked plot." in en.text
    assert 'href="/en/privacy/2026-01"' in en.text
    assert 'name="website"' in en.text and 'tabindex="-1"' in en.text
    fi = client.get(f"/fi/inquiry?site={site.slug}")
    assert "Kysytty tontti" in fi.text
    assert 'value="SE">Ruotsi</option>' in fi.text


def test_old_rate_counters_are_purged(db: Session, settings: Settings) -> None:
    from datetime import UTC, datetime, timedelta

    from app.services import portal

    now = datetime.now(UTC)
    portal.count_request(db, settings, "inquiry", "198.51.100.7", now - timedelta(days=3))
    portal.count_request(db, settings, "inquiry", "198.51.100.7", now)
    assert portal.purge_rate_counters(db, settings) == 1
    assert [c.window_start <= now for c in db.scalars(select(PortalRateCounter))] == [True]


# --- a lead from a portal inquiry names nobody -------------------------------------------


def test_an_inquiry_lead_names_neither_the_company_nor_the_person(
    client: TestClient, db: Session, factory: Factory, publish
) -> None:
    site = publish(slug="sotkamo-plot", municipality="765", industries=("mining_chemicals",))
    message = (
        "Nordic Compute AB plans a 40 MW data centre. Nordic Compute wants a plot; "
        "ask Anna Investor (anna@nordiccompute.example)."
    )
    form = _form(client, "en", site.slug)
    response = _send(client, {**form, **GOOD, "site": site.slug, "message": message})
    assert response.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    assert lead.title == "Portal inquiry: Sustainable mining and the chemical industry, Sotkamo"
    for field in (lead.title, lead.description or "", lead.code_name):
        for name in ("Nordic Compute", "Anna Investor", "anna@nordiccompute"):
            assert name.casefold() not in field.casefold(), (name, field)
    assert "[name withheld] plans a 40 MW data centre" in (lead.description or "")
    # The names live in the linked organisation and contact, the words with the person.
    contact = db.scalar(select(Contact).join(LeadContact).where(LeadContact.lead_id == lead.id))
    assert contact is not None and contact.full_name == "Anna Investor"
    note = db.scalar(select(Activity).where(Activity.contact_id == contact.id))
    assert note is not None and note.body == message
    # The municipality it is shared with reads the neutral lead, and the investor through
    # its link (need-to-know), never in the title.
    _, sotkamo = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    listed = client.get("/api/v1/leads", headers=sotkamo).json()["items"]
    assert [item["title"] for item in listed] == [lead.title]
    assert listed[0]["organization"]["name"] == "Nordic Compute AB"


# --- the form as an investor meets it: errors, the timer, the limit, the confirmation ----


def _started_in(html: str) -> str:
    return html.split('name="started" value="')[1].split('"')[0]


def test_correcting_a_mistake_does_not_restart_the_anti_bot_timer(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The form was opened a minute ago; the first send has a typo. The form that comes
    back keeps the original start, so the corrected form is accepted at once (it used
    to restart the timer and ask a third time: "That was quick!")."""
    settings.portal_inquiry_min_seconds = 30
    key = settings.secret_key.get_secret_value().encode()
    opened = sign_started(key, int(time.time()) - 60)
    form = {**_form(client), "started": opened}
    refused = _send(client, {**form, **GOOD, "email": "anna@"})
    assert refused.status_code == 422
    assert _started_in(refused.text) == opened
    corrected = _send(
        client,
        {
            **form,
            **GOOD,
            "started": _started_in(refused.text),
            "csrf_token": csrf_from(refused.text),
        },
    )
    assert corrected.status_code == 303, corrected.text
    assert db.scalar(select(func.count()).select_from(Lead)) == 1


def test_a_too_fast_form_keeps_its_start_and_an_expired_one_gets_a_new_one(
    client: TestClient, settings: Settings
) -> None:
    settings.portal_inquiry_min_seconds = 60
    key = settings.secret_key.get_secret_value().encode()
    form = {**_form(client), "started": sign_started(key, int(time.time()) - 10)}
    quick = _send(client, {**form, **GOOD})
    assert quick.status_code == 422
    assert _started_in(quick.text) == form["started"]
    old = sign_started(key, int(time.time()) - 25 * 3600)
    expired = _send(client, {**form, **GOOD, "started": old})
    assert expired.status_code == 422
    assert _started_in(expired.text) != old


def test_rejected_attempts_do_not_use_up_the_limit(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.portal_inquiry_limit = 2
    for _ in range(4):
        assert _send(client, {**_form(client), **GOOD, "consent": ""}).status_code == 422
    assert db.scalar(select(PortalRateCounter)) is None
    assert _send(client, {**_form(client), **GOOD}).status_code == 303
    assert _send(client, {**_form(client), **GOOD}).status_code == 303
    assert db.scalar(select(PortalRateCounter)).hits == 2


def test_the_429_page_keeps_what_was_typed_and_says_when_to_try_again(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.portal_inquiry_limit = 1
    assert _send(client, {**_form(client, "fi"), **GOOD}, "fi").status_code == 303
    message = "Toinen viesti: <b>tarvitsemme</b> 10 ha & raideyhteyden."
    form = _form(client, "fi")
    limited = _send(client, {**form, **GOOD, "message": message}, "fi")
    assert limited.status_code == 429
    retry = int(limited.headers["retry-after"])
    assert 0 < retry <= settings.portal_inquiry_window_minutes * 60
    minutes = -(-retry // 60)
    assert f"lähetä se uudelleen noin {minutes} min kuluttua" in limited.text
    assert (
        "Toinen viesti: &lt;b&gt;tarvitsemme&lt;/b&gt; 10 ha &amp; raideyhteyden." in limited.text
    )
    assert 'value="Anna Investor"' in limited.text and 'value="SE" selected' in limited.text
    assert _started_in(limited.text) == form["started"]
    assert limited.headers["cache-control"] == "no-store"
    assert db.scalar(select(func.count()).select_from(Lead)) == 1
    assert db.scalar(select(PortalRateCounter)).hits == 1


def _confirmation(db: Session, lead: Lead) -> OutboxEmail:
    mail = db.scalar(
        select(OutboxEmail).where(OutboxEmail.reference == f"inquiry-confirmation:{lead.id}")
    )
    assert mail is not None
    return mail


def test_the_investor_gets_a_confirmation_in_english(
    client: TestClient, db: Session, factory: Factory, settings: Settings
) -> None:
    factory.user(Role.COORDINATOR, email="coordinator@kainuu.example")
    settings.coordinator_email = "invest@kainuu.example"
    try:
        message = "Line one <script>alert(1)</script>\nLine two"
        sent = _send(client, {**_form(client), **GOOD, "message": message})
    finally:
        settings.coordinator_email = None
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    mail = _confirmation(db, lead)
    assert mail.to_addresses == ["anna@nordiccompute.example"]
    assert mail.subject == "Thank you for your inquiry – Invest in Kainuu"
    body = mail.body_text
    assert body.startswith("Hello Anna Investor,")
    assert "You will get an answer by e-mail by " in body and "invest@kainuu.example" in body
    assert "Organisation: Nordic Compute AB" in body
    assert "Country: Sweden" in body
    assert "Planned investment (EUR): €120,000,000" in body
    assert "Timeline: In 1–2 years" in body
    assert "> Line one <script>alert(1)</script>\n> Line two" in body
    # No internal codes: not the lead's code name, the stage or the stored codes.
    for code in (lead.code_name, "identified", "1_to_2_years", "portal_inquiry", str(lead.id)):
        assert code not in body and code not in mail.subject
    # The coordinator's notice is a separate message.
    notice = db.scalar(select(OutboxEmail).where(OutboxEmail.reference == f"inquiry:{lead.id}"))
    assert notice is not None and notice.to_addresses == ["invest@kainuu.example"]


def test_the_confirmation_is_in_finnish_from_the_finnish_portal(
    client: TestClient, db: Session, publish
) -> None:
    site = publish(slug="kysytty", name_fi="Kysytty tontti", name_en="Asked plot")
    sent = _send(client, {**_form(client, "fi", site.slug), **GOOD, "site": site.slug}, "fi")
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    mail = _confirmation(db, lead)
    assert mail.subject == "Kiitos yhteydenotostasi – Invest in Kainuu"
    body = mail.body_text
    assert body.startswith("Hei Anna Investor,")
    assert "Maa: Ruotsi" in body
    assert "Kysytty tontti" in body and "/fi/sites/kysytty" in body
    assert "Aikajana: 1–2 vuoden kuluttua" in body
    assert "/fi/privacy/2026-01" in body


def test_nothing_is_mailed_for_a_refused_inquiry(client: TestClient, db: Session) -> None:
    assert _send(client, {**_form(client), **GOOD, "email": "anna@"}).status_code == 422
    assert db.scalar(select(func.count()).select_from(OutboxEmail)) == 0
