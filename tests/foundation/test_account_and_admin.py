"""My account (tokens, password) and the administrator's user management, as pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.domain.access import Role
from app.web.session import SESSION_COOKIE
from tests.factories import PASSWORD, Factory, csrf_from

HTML = {"Accept": "text/html"}


def test_token_created_in_the_ui_is_shown_once_and_can_be_revoked(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT, municipality="578"))
    page = client.get("/account")
    created = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "Paltamo CMS"}
    )
    token = re.search(r'<code class="token">(ikt_[^<]+)</code>', created.text).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["municipality_code"] == "578"
    again = client.get("/account")
    assert token not in again.text
    assert "Paltamo CMS" in again.text
    token_id = re.search(r'action="/account/tokens/([0-9a-f-]+)/revoke"', again.text).group(1)
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(again.text)})
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_name_is_required(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user())
    page = client.get("/account")
    response = client.post(
        "/account/tokens", data={"csrf_token": csrf_from(page.text), "name": "   "}
    )
    assert response.status_code == 422
    assert "Give a name of 1 to 100 characters." in response.text


def test_password_change_checks_the_current_one_and_ends_sessions(
    make_client, factory: Factory
) -> None:
    user = factory.user()
    laptop, phone = make_client(), make_client()
    factory.login(laptop, user)
    factory.login(phone, user)
    page = laptop.get("/account")
    wrong = laptop.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current_password": "nope nope nope",
            "new_password": "a brand new passphrase",
        },
    )
    assert wrong.status_code == 422
    assert "is not correct" in wrong.text
    changed = laptop.post(
        "/account/password",
        follow_redirects=False,
        data={
            "csrf_token": csrf_from(page.text),
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
        },
    )
    assert changed.headers["location"] == "/login"
    assert phone.get("/staff", follow_redirects=False).status_code == 303
    factory.login(make_client(), user, password="a brand new passphrase")


def test_only_admins_see_user_management(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    page = client.get("/admin/users", headers=HTML)
    assert page.status_code == 403
    assert "Your role does not allow this" in page.text
    assert 'href="/admin/users"' not in client.get("/staff").text


def test_admin_adds_a_municipal_contact_and_sees_binding_errors(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.ADMIN))
    page = client.get("/admin/users")
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_from(page.text),
            "email": "kuhmo.contact@example.com",
            "full_name": "Kuhmo Contact",
            "role": "municipal_contact",
        },
    )
    assert bad.status_code == 422
    assert "municipality_code" in bad.text
    assert "kuhmo.contact@example.com" in bad.text  # the form keeps what was typed
    good = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_from(page.text),
            "email": "kuhmo.contact@example.com",
            "full_name": "Kuhmo Contact",
            "role": "municipal_contact",
            "municipality_code": "290",
            "password": "long enough password",
        },
    )
    assert good.status_code == 200
    assert "kuhmo.contact@example.com" in good.text


def test_deactivating_a_user_ends_their_session_and_tokens(
    make_client, client: TestClient, factory: Factory
) -> None:
    target = factory.user(Role.PARTNER)
    headers = factory.token(target)
    victim_browser = make_client()
    factory.login(victim_browser, target)
    factory.login(client, factory.user(Role.ADMIN))
    page = client.get("/admin/users")
    client.post(
        f"/admin/users/{target.id}/active",
        data={"csrf_token": csrf_from(page.text), "active": "false"},
    )
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert SESSION_COOKIE in victim_browser.cookies
    assert victim_browser.get("/staff", follow_redirects=False).status_code == 303


def test_browsers_get_pages_and_api_clients_get_problems(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user())
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/no/such", headers=HTML)
    assert api.headers["content-type"] == "application/problem+json"
