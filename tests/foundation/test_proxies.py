"""TRUSTED_PROXIES: the client's address and scheme come from X-Forwarded-For and
X-Forwarded-Proto only when the direct peer is a trusted proxy; the rightmost hop that is
not a trusted proxy is the client. Login throttling counts that address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.main import create_app
from app.settings import Settings
from tests.conftest import serve_sessions_from
from tests.factories import PASSWORD, Factory, csrf_from

PROXY = ("10.1.2.3", 50000)
STRANGER = ("203.0.113.9", 50000)


def _app(settings: Settings, db: Session, **changes: object) -> FastAPI:
    app = create_app(settings.model_copy(update=changes))

    @app.get("/_peer")
    def peer(request: Request) -> dict[str, str | None]:
        return {
            "client": request.client.host if request.client else None,
            "scheme": request.url.scheme,
        }

    def _test_db() -> Iterator[Session]:
        yield db

    serve_sessions_from(app, _test_db)
    return app


def _peer(app: FastAPI, via: tuple[str, int], **headers: str) -> dict[str, str]:
    forwarded = {name.replace("_", "-"): value for name, value in headers.items()}
    answer: dict[str, str] = TestClient(app, client=via).get("/_peer", headers=forwarded).json()
    return answer


@pytest.fixture
def behind_proxy(settings: Settings, db: Session) -> Iterator[FastAPI]:
    app = _app(
        settings,
        db,
        trusted_proxies=("10.0.0.0/8", "192.0.2.1"),
        login_address_max_failures=3,
    )
    yield app
    app.state.engine.dispose()


def test_the_setting_takes_addresses_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1,2001:db8::/32")
    assert Settings().trusted_proxies == ("10.0.0.0/8", "192.0.2.1", "2001:db8::/32")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1,proxy.internal")
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        Settings()


def test_a_trusted_proxy_names_the_client_and_the_scheme(behind_proxy: FastAPI) -> None:
    seen = _peer(behind_proxy, PROXY, x_forwarded_for="198.51.100.7", x_forwarded_proto="https")
    assert seen == {"client": "198.51.100.7", "scheme": "https"}


def test_the_client_is_the_rightmost_hop_that_is_not_a_trusted_proxy(
    behind_proxy: FastAPI,
) -> None:
    # The client may have sent a forged first entry; the proxies' own entries are skipped.
    seen = _peer(behind_proxy, PROXY, x_forwarded_for="1.2.3.4, 198.51.100.7, 10.0.0.9")
    assert seen["client"] == "198.51.100.7"
    seen = _peer(behind_proxy, ("192.0.2.1", 443), x_forwarded_for="198.51.100.8")
    assert seen["client"] == "198.51.100.8"


def test_an_untrusted_peer_cannot_claim_another_address(behind_proxy: FastAPI) -> None:
    seen = _peer(behind_proxy, STRANGER, x_forwarded_for="198.51.100.7", x_forwarded_proto="https")
    assert seen == {"client": "203.0.113.9", "scheme": "http"}


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    settings: Settings, db: Session
) -> None:
    app = _app(settings, db)
    seen = _peer(app, ("127.0.0.1", 50000), x_forwarded_for="198.51.100.7")
    assert seen["client"] == "127.0.0.1"
    app.state.engine.dispose()


def _fail_login(client: TestClient, email: str, forwarded_for: str | None = None) -> int:
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": "not it"},
        headers=headers,
        follow_redirects=False,
    ).status_code


def test_login_throttling_counts_the_forwarded_client(
    behind_proxy: FastAPI, factory: Factory
) -> None:
    proxy = TestClient(behind_proxy, client=PROXY)
    answers = [_fail_login(proxy, f"guess{n}@example.com", "198.51.100.7") for n in range(3)]
    assert answers == [401, 401, 429]
    # Another client behind the same proxy is not locked out with the first.
    user = factory.user()
    page = proxy.get("/login")
    login = proxy.post(
        "/login",
        data={"csrf_token": csrf_from(page.text), "email": user.email, "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.8"},
        follow_redirects=False,
    )
    assert login.status_code == 303


def test_a_spoofed_forwarded_for_does_not_escape_the_throttle(behind_proxy: FastAPI) -> None:
    stranger = TestClient(behind_proxy, client=STRANGER)
    answers = [_fail_login(stranger, f"guess{n}@example.com", f"198.51.100.{n}") for n in range(4)]
    assert answers == [401, 401, 429, 429]
