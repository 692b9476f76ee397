"""Stored secrets survive a key change: the keyring (SECRET_KEY + SECRET_KEY_PREVIOUS),
`invest-kainuu rotate-secrets`, and a worker that skips only the target whose secret
no key opens, while its staff page says what to do."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import InvalidToken
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app import cli
from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import SyndicationDelivery, SyndicationTarget
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR, Role
from app.services.secrets import decrypt, encrypt, encrypted_columns, rotate_secrets
from app.services.syndication import deliver_due
from app.settings import Settings, get_settings
from tests.factories import Factory
from tests.syndication.conftest import People, Receiver, add_webhook, publish_site

NEW_KEY = "the-new-secret-key-after-the-change-0123456789"
STRANGER_KEY = "a-key-nobody-has-any-more-000000000000000000000"


def _with_keys(settings: Settings, current: str, *previous: str) -> Settings:
    return settings.model_copy(
        update={
            "secret_key": SecretStr(current),
            "secret_key_previous": SecretStr(",".join(previous)) if previous else None,
        }
    )


def test_the_keyring_decrypts_under_a_previous_key_and_encrypts_under_the_current(
    settings: Settings,
) -> None:
    old = settings.secret_key.get_secret_value()
    token = encrypt(settings, "whsec_abc")
    changed = _with_keys(settings, NEW_KEY, "unrelated-former-key-000000000000000000", old)
    assert decrypt(changed, token) == "whsec_abc"
    assert decrypt(_with_keys(settings, NEW_KEY), encrypt(changed, "x")) == "x"
    with pytest.raises(InvalidToken):
        decrypt(_with_keys(settings, NEW_KEY), token)


def test_every_secret_column_is_rotated() -> None:
    names = {f"{c.table.name}.{c.name}" for c in encrypted_columns()}
    assert names >= {
        "syndication_targets.secret_encrypted",
        "syndication_targets.previous_secret_encrypted",
        "syndication_targets.wp_password_encrypted",
    }


def test_a_key_change_loses_no_delivery_and_rotation_frees_the_old_key(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    old = worker_settings.secret_key.get_secret_value()
    # SECRET_KEY changed, the former value kept in SECRET_KEY_PREVIOUS: still delivered.
    changed = _with_keys(worker_settings, NEW_KEY, old)
    publish_site(client, people)
    assert deliver_due(db, changed) == 1
    Webhook(target["secret"]).verify(receiver.requests[0].body, receiver.requests[0].headers)

    report = rotate_secrets(db, changed)
    assert (report.rotated, report.unreadable) == (1, [])
    assert rotate_secrets(db, changed).rotated == 0  # already under the current key
    # Now the former key can go.
    only_new = _with_keys(worker_settings, NEW_KEY)
    stored = db.get(SyndicationTarget, uuid.UUID(target["id"]))
    assert stored is not None and stored.secret_encrypted is not None
    assert decrypt(only_new, stored.secret_encrypted) == target["secret"]


def test_an_undecryptable_secret_skips_only_that_target_and_its_page_says_what_to_do(
    client: TestClient,
    db: Session,
    people: People,
    factory: Factory,
    worker_settings: Settings,
) -> None:
    good_receiver, bad_receiver = Receiver(), Receiver()
    try:
        good = add_webhook(client, people.contact, good_receiver.url, name="Kajaani")
        bad = add_webhook(client, people.contact, bad_receiver.url, name="Kajaani (old)")
        stored = db.get(SyndicationTarget, uuid.UUID(bad["id"]))
        assert stored is not None
        bind_actor(db, SYSTEM_ACTOR)
        stored.secret_encrypted = encrypt(_with_keys(worker_settings, STRANGER_KEY), "whsec_x")
        db.commit()

        publish_site(client, people)
        # The undecryptable target's delivery is first in line: it must not hold up the
        # other one, even one claim at a time.
        first_in_line = db.scalars(
            select(SyndicationDelivery).where(SyndicationDelivery.target_id == uuid.UUID(bad["id"]))
        ).one()
        first_in_line.next_attempt_at = utcnow() - timedelta(minutes=1)
        db.commit()
        assert deliver_due(db, worker_settings, limit=1) == 1
        assert len(good_receiver.requests) == 1 and bad_receiver.requests == []

        shown = client.get(
            f"/api/v1/syndication/targets/{bad['id']}", headers=people.contact
        ).json()
        assert shown["status"] == "disabled"
        assert "cannot be decrypted" in shown["disabled_reason"]
        assert "re-enter it or rotate keys" in shown["disabled_reason"]
        pending = db.scalars(
            select(SyndicationDelivery).where(SyndicationDelivery.target_id == uuid.UUID(bad["id"]))
        ).one()
        assert pending.status == "pending"
        assert pending.last_error is not None and "cannot be decrypted" in pending.last_error

        # The other target goes on receiving.
        publish_site(client, people, name_fi="Toinen tontti")
        assert deliver_due(db, worker_settings) == 1
        assert len(good_receiver.requests) == 2

        # The staff page of the target says what to do.
        user = factory.user(Role.MUNICIPAL_CONTACT, municipality="205", language="fi")
        factory.login(client, user)
        page = client.get(f"/syndication/targets/{bad['id']}")
        assert page.status_code == 200
        assert 'id="secret-unreadable"' in page.text
        assert "invest-kainuu rotate-secrets" in page.text
        assert "Kohteen tallennettua salaisuutta ei voi purkaa" in page.text
        assert "reveal-secret" not in page.text
        fine = client.get(f"/syndication/targets/{good['id']}")
        assert 'id="secret-unreadable"' not in fine.text

        # Rotating the secret and resuming sends what was held, signed with the new one.
        rotated = client.post(
            f"/api/v1/syndication/targets/{bad['id']}/rotate-secret", headers=people.contact
        )
        assert rotated.status_code == 200, rotated.text
        resumed = client.post(
            f"/api/v1/syndication/targets/{bad['id']}/resume", headers=people.contact
        )
        assert resumed.json()["status"] == "active"
        assert deliver_due(db, worker_settings) == 2
        first = bad_receiver.requests[0]
        Webhook(rotated.json()["secret"]).verify(first.body, first.headers)
    finally:
        good_receiver.close()
        bad_receiver.close()


@pytest.fixture
def cli_database(scratch_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", scratch_database)
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setenv("ENVIRONMENT", "development")
    get_settings.cache_clear()
    engine = make_engine(scratch_database)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_rotate_secrets_command(
    cli_database, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    old = "the-old-secret-key-before-the-change-0123456789"
    assert cli.main(["migrate"]) == 0
    before = _with_keys(settings, old)
    with make_session_factory(cli_database)() as db:
        bind_actor(db, SYSTEM_ACTOR)
        webhook = SyndicationTarget(
            municipality_code="205",
            name="Kajaani",
            kind="webhook",
            url="https://kajaani.example/hook",
            secret_encrypted=encrypt(before, "whsec_current"),
            previous_secret_encrypted=encrypt(before, "whsec_previous"),
        )
        wordpress = SyndicationTarget(
            municipality_code="765",
            name="Sotkamo",
            kind="wordpress",
            url="https://sotkamo.example",
            wp_username="syndication",
            wp_password_encrypted=encrypt(before, "abcd efgh"),
        )
        lost = SyndicationTarget(
            municipality_code="290",
            name="Kuhmo",
            kind="webhook",
            url="https://kuhmo.example/hook",
            secret_encrypted=encrypt(_with_keys(settings, STRANGER_KEY), "whsec_lost"),
        )
        db.add_all([webhook, wordpress, lost])
        db.commit()
        ids = webhook.id, wordpress.id, lost.id

    monkeypatch.setenv("SECRET_KEY", NEW_KEY)
    monkeypatch.setenv("SECRET_KEY_PREVIOUS", old)
    get_settings.cache_clear()
    capsys.readouterr()
    assert cli.main(["rotate-secrets"]) == 1  # one secret no key opens: reported
    out = capsys.readouterr().out
    assert "3 secrets re-encrypted under the current key" in out
    assert f"syndication_targets {ids[2]} secret_encrypted" in out
    assert "SECRET_KEY_PREVIOUS" in out

    only_new = _with_keys(settings, NEW_KEY)
    with make_session_factory(cli_database)() as db:
        webhook_row = db.get(SyndicationTarget, ids[0])
        wordpress_row = db.get(SyndicationTarget, ids[1])
        assert webhook_row is not None and wordpress_row is not None
        assert decrypt(only_new, webhook_row.secret_encrypted or "") == "whsec_current"
        assert decrypt(only_new, webhook_row.previous_secret_encrypted or "") == "whsec_previous"
        assert decrypt(only_new, wordpress_row.wp_password_encrypted or "") == "abcd efgh"

    monkeypatch.delenv("SECRET_KEY_PREVIOUS")
    get_settings.cache_clear()
    assert cli.main(["rotate-secrets"]) == 1
    assert "0 secrets re-encrypted under the current key; 3 already were" in (
        capsys.readouterr().out
    )
