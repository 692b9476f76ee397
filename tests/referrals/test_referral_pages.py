"""The referral staff pages as the coordinator meets them: a referral export checked on
the page (what each row links to) and applied, the partners' tokens issued once, listed
and revoked, the referral on the lead page, and the coordinators told of each referral
once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead, Notification, Referral
from app.domain.access import Role
from tests.factories import Factory, csrf_from
from tests.referrals.conftest import REFERRAL, Partners
from tests.referrals.test_referral_imports import CSV


def _referral_notices(db: Session) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.kind == "referral_arrived")))


def test_the_coordinator_checks_and_applies_a_referral_export(
    client: TestClient, db: Session, factory: Factory, partners: Partners
) -> None:
    known = factory.organization("Nordic Compute AB", country="SE")
    open_lead = factory.lead(organization_id=known.id, industry_code="ict_data_centres")
    other_coordinator = factory.user(Role.COORDINATOR)
    importer = factory.user(Role.COORDINATOR)
    factory.login(client, importer)
    page = client.get("/referrals/imports")
    assert page.status_code == 200 and "Invest in Finland" in page.text

    missing = client.post(
        "/referrals/imports",
        data={"csrf_token": csrf_from(page.text), "partner_id": ""},
        files={"file": ("referrals.csv", b"")},
    )
    assert missing.status_code == 422
    assert "Choose the partner that sent the file." in missing.text

    sent = client.post(
        "/referrals/imports",
        data={"csrf_token": csrf_from(page.text), "partner_id": str(partners.iif.id)},
        files={"file": ("referrals.csv", CSV.encode())},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    report = client.get(sent.headers["location"])
    assert report.status_code == 200
    rows = {
        number: cells
        for number, cells in re.findall(r'<tr id="row-(\d+)">(.*?)</tr>', report.text, re.S)
    }
    assert "New organisation and lead" in rows["2"]
    assert "Joins an existing lead" in rows["3"] and open_lead.code_name in rows["3"]
    assert "New organisation and lead" in rows["4"]
    # Nothing is written by the check.
    assert db.scalar(select(func.count()).select_from(Referral)) == 0

    apply_url = re.search(r'action="(/referrals/partners/[^"]+/apply)"', report.text)
    assert apply_url
    applied = client.post(
        apply_url.group(1),
        data={"csrf_token": csrf_from(report.text)},
        follow_redirects=False,
    )
    assert applied.status_code == 303
    done = client.get(applied.headers["location"])
    assert "The referrals were imported." in done.text
    assert db.scalar(select(func.count()).select_from(Referral)) == 3
    # Each new referral told every other coordinator once; not the one who imported it.
    notices = _referral_notices(db)
    assert importer.id not in {n.recipient_id for n in notices}
    assert sum(1 for n in notices if n.recipient_id == other_coordinator.id) == 3

    # The same file cannot be applied twice: its report now says it was imported.
    again = client.post(
        "/referrals/imports",
        data={"csrf_token": csrf_from(page.text), "partner_id": str(partners.iif.id)},
        files={"file": ("referrals.csv", CSV.encode())},
        follow_redirects=False,
    )
    second = client.get(again.headers["location"])
    assert "Received before: nothing new" in second.text
    assert "cannot be applied again" in second.text


def test_a_row_with_errors_is_named_in_finnish_and_stops_the_apply(
    client: TestClient, factory: Factory, partners: Partners
) -> None:
    coordinator = factory.user(Role.COORDINATOR, language="fi")
    factory.login(client, coordinator)
    page = client.get("/referrals/imports")
    bad = "Viite;Yritys;Maa;Sähköposti;Yhteyshenkilö\nIIF-9;Firma Oy;Atlantis;x@;Liisa\n"
    sent = client.post(
        "/referrals/imports",
        data={"csrf_token": csrf_from(page.text), "partner_id": str(partners.iif.id)},
        files={"file": ("viitteet.csv", bad.encode())},
    )
    assert sent.status_code == 200
    assert "Tuo ohjauksia" in sent.text
    assert "Anna maa kaksikirjaimisena koodina" in sent.text
    assert "Maa" in sent.text and "country" not in re.sub(r"<[^>]+>", "", sent.text)
    assert "/apply" not in sent.text


def test_partner_tokens_are_shown_once_listed_and_revoked(
    client: TestClient, db: Session, factory: Factory, partners: Partners
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    page = client.get("/referrals/partner-tokens")
    assert page.status_code == 200
    refused = client.post(
        "/referrals/partner-tokens",
        data={"csrf_token": csrf_from(page.text), "organization_id": "", "name": "CRM"},
    )
    assert refused.status_code == 422

    issued = client.post(
        "/referrals/partner-tokens",
        data={
            "csrf_token": csrf_from(page.text),
            "organization_id": str(partners.iif.id),
            "name": "IiF CRM",
        },
    )
    assert issued.status_code == 200
    token = re.search(r'<code class="token">(ikr_[^<]+)</code>', issued.text)
    assert token
    value = token.group(1)
    # The value is shown on that answer only; the list shows its first characters.
    listed = client.get("/referrals/partner-tokens")
    assert value not in listed.text and value[:8] in listed.text and "Never" in listed.text

    headers = {"Authorization": f"Bearer {value}"}
    assert client.post("/api/v1/referrals", json=REFERRAL, headers=headers).status_code == 201
    revoke = re.search(r'action="(/referrals/partner-tokens/[^"]+/revoke)"', listed.text)
    assert revoke
    revoked = client.post(
        revoke.group(1), data={"csrf_token": csrf_from(listed.text)}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert "Revoked" in client.get("/referrals/partner-tokens").text
    answer = client.get(f"/api/v1/referrals/{REFERRAL['referral_id']}", headers=headers)
    assert answer.status_code == 401


def test_only_the_regional_team_reaches_the_referral_pages(
    client: TestClient, factory: Factory
) -> None:
    for role in (Role.MUNICIPAL_CONTACT, Role.FORUM_VIEWER, Role.PARTNER):
        client.cookies.clear()
        factory.login(client, factory.user(role))
        for path in ("/referrals/imports", "/referrals/partner-tokens"):
            assert client.get(path).status_code == 403, (role, path)


def test_a_referral_shows_on_its_lead_and_tells_the_coordinators_once(
    client: TestClient, db: Session, factory: Factory, partners: Partners
) -> None:
    coordinators = [factory.user(Role.COORDINATOR) for _ in range(2)]
    headers = partners.token(partners.iif)
    first = client.post("/api/v1/referrals", json=REFERRAL, headers=headers)
    assert first.status_code == 201
    assert client.post("/api/v1/referrals", json=REFERRAL, headers=headers).status_code == 200
    notices = _referral_notices(db)
    # The partners fixture's coordinator and the two made here: one notice each.
    assert len(notices) == 3
    assert {c.id for c in coordinators} <= {n.recipient_id for n in notices}

    lead = db.scalar(select(Lead).join(Referral, Referral.lead_id == Lead.id))
    assert lead is not None
    factory.login(client, coordinators[0])
    page = client.get(f"/leads/{lead.id}")
    assert "Referred by Invest in Finland" in page.text
    assert "Referral ID IIF-2026-0042" in page.text
    inbox = client.get("/notifications")
    assert f"Invest in Finland referred lead {lead.code_name}" in inbox.text

    # A municipal contact the lead is not shared with does not reach it.
    client.cookies.clear()
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT, municipality="765"))
    assert client.get(f"/leads/{lead.id}").status_code in (403, 404)
