"""The portal promises an answer within the response commitment for normal priority, in
the reader's language, and a changed commitment shows at once, on cached pages too."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import intake
from app.services.auth import actor_for
from tests.factories import Factory


def test_the_pages_promise_the_normal_commitment(
    client: TestClient, db: Session, factory: Factory, publish: Any
) -> None:
    site = publish()
    coordinator = actor_for(factory.user())
    intake.save_commitments(db, coordinator, {"high": "1", "normal": "3", "low": "5"})
    page = client.get(f"/en/sites/{site.slug}")
    assert "answer within 3 working days." in page.text
    assert "two working days" not in page.text
    assert "3 arkipäivän kuluessa" in client.get(f"/fi/sites/{site.slug}").text
    assert "answers within 3 working days" in client.get("/en/inquiry").text
    assert "vastaa sinulle 3 arkipäivän kuluessa" in client.get("/fi/inquiry/thanks").text

    # The site page is cached by content version: the commitment is part of it.
    intake.save_commitments(db, coordinator, {"high": "1", "normal": "1", "low": "5"})
    assert "answer within 1 working day." in client.get(f"/en/sites/{site.slug}").text
    assert "answer you within 1 working day." in client.get("/en/inquiry/thanks").text
