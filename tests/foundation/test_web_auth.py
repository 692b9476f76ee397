"""Staff login, sessions, CSRF, logout and the language switch (lockout: in
test_login_throttling.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.domain.access import Role
from app.web.session import SESSION_COOKIE
from tests.factories import Factory, csrf_from


def _post_login(client: TestClient, email: str, password: str) -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": password},
        follow_redirects=False,
    )


def test_wrong_password_creates_no_session(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    response = _post_login(client, user.email, "wrong password!!")
    assert response.status_code == 401
    # Anonymous visitors get Finnish unless their browser asks otherwise.
    assert "Väärä sähköpostiosoite tai salasana" in response.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/login?next=/staff"


def test_login_shows_the_role_home_and_rotates_the_session(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    first = client.cookies[SESSION_COOKIE]
    home = client.get("/staff")
    assert home.status_code == 200
    assert f"Welcome, {user.full_name}" in home.text
    assert "Pipeline by stage" in home.text
    factory.login(client, user)
    assert client.cookies[SESSION_COOKIE] != first


def test_municipal_contact_home_shows_own_municipality(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.MUNICIPAL_CONTACT, municipality="765")
    factory.site(municipality="765", status="draft")
    factory.login(client, user)
    home = client.get("/staff")
    assert "You work for Sotkamo." in home.text
    # The home lists the municipality's own work: its never verified draft is one.
    assert "Sites to verify" in home.text and "Never verified" in home.text
    assert "Pipeline by stage" not in home.text


def test_session_cookie_is_httponly_and_samesite(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    response = _post_login(client, user.email, "correct horse battery staple")
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_form_post_without_csrf_token_is_rejected(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    client.get("/login")
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_csrf_token_of_another_browser_is_rejected(make_client, factory: Factory) -> None:
    user = factory.user()
    alice, mallory = make_client(), make_client()
    stolen = csrf_from(mallory.get("/login").text)
    alice.get("/login")
    response = alice.post(
        "/login",
        data={
            "csrf_token": stolen,
            "email": user.email,
            "password": "correct horse battery staple",
        },
    )
    assert response.status_code == 403


def test_logout_really_ends_the_session(make_client, factory: Factory) -> None:
    user = factory.user()
    browser = make_client()
    factory.login(browser, user)
    token = browser.cookies[SESSION_COOKIE]
    home = browser.get("/staff")
    browser.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    replay = make_client()
    replay.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/staff", follow_redirects=False).status_code == 303


def test_language_switch_is_remembered(client: TestClient, factory: Factory, db) -> None:
    user = factory.user(language="en")
    factory.login(client, user)
    assert "Pipeline by stage" in client.get("/staff").text
    client.get("/lang/fi?next=/staff")
    page = client.get("/staff")
    assert '<html lang="fi">' in page.text
    assert "Putkisto vaiheittain" in page.text
    db.refresh(user)
    assert user.language == "fi"


def test_login_page_follows_accept_language(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text


def test_next_parameter_cannot_redirect_off_site(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.text),
            "email": user.email,
            "next": "//evil.example/x",
            "password": "correct horse battery staple",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
