"""The staff UI's shell over HTTP: the sidebar each role gets and that every entry in it
opens, the one-time (flash) messages, the lead list's htmx fragment, and that no staff
page needs what the Content-Security-Policy forbids (inline script or style, eval)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from fastapi import Response
from fastapi.testclient import TestClient

from app.domain.access import Role
from app.settings import Settings
from app.web import flash
from app.web.assets import static_url
from app.web.navigation import NAVIGATION_GROUPS, groups_for, items_for
from tests.factories import Factory, csrf_from

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"
EVERY_PATH = [item.path for group in NAVIGATION_GROUPS for item in group.items]


# Pages a role may open although its sidebar leaves them out (the sidebar shows the
# forum only its reports, and sites only to those who work on them).
READABLE_BEYOND_THE_SIDEBAR = {
    Role.FORUM_VIEWER: ("/sites", "/clusters", "/events"),
    Role.PARTNER: ("/sites",),
}


def _sidebar(html: str) -> list[str]:
    nav = html.split('<nav id="sidebar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)" class="nav-link"', nav)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_entries_and_each_opens(
    client: TestClient, factory: Factory, role: Role
) -> None:
    factory.login(client, factory.user(role))
    home = client.get("/staff")
    mine = [item.path for _group, items in groups_for(role) for item in items]
    assert _sidebar(home.text) == mine
    for group, _items in groups_for(role):
        assert f'id="nav-{group.key}">{group.label}</span>' in home.text
    assert 'id="notifications-slot"><a class="notification-bell" href="/notifications"' in home.text
    assert 'href="/account"' in home.text and 'action="/logout"' in home.text
    for path in [*mine, "/account"]:
        assert client.get(path).status_code == 200, path
    # An entry left out is one the role may not open, except the pages listed below.
    for path in EVERY_PATH:
        if path not in mine and path not in READABLE_BEYOND_THE_SIDEBAR.get(role, ()):
            assert client.get(path).status_code in (403, 404), path


def test_the_current_page_is_marked_in_the_sidebar(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    board = client.get("/leads/board").text
    assert '<a href="/leads/board" class="nav-link" aria-current="page">' in board
    assert '<a href="/leads" class="nav-link">' in board
    assert [i.path for i in items_for(Role.FORUM_VIEWER)] == [
        "/staff",
        "/reports",
        "/reports/response-times",
        "/account",
    ]


# ---------------------------------------------------------------- flash messages


def test_a_saved_form_says_so_once_on_the_page_it_lands_on(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    token = csrf_from(client.get("/account").text)
    saved = client.post(
        "/account/language", data={"csrf_token": token, "language": "en"}, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/account")
    set_cookie = saved.headers["set-cookie"]
    assert flash.FLASH_COOKIE in set_cookie and "HttpOnly" in set_cookie
    assert "The language was saved." not in set_cookie  # signed, not a readable text

    # An htmx fragment does not use it up; the next whole page shows it, and clears it.
    fragment = client.get("/leads", headers={"HX-Request": "true"})
    assert "The language was saved." not in fragment.text
    page = client.get("/account")
    assert '<p role="status">The language was saved.</p>' in page.text
    assert f'{flash.FLASH_COOKIE}=""' in page.headers["set-cookie"]
    assert "The language was saved." not in client.get("/account").text


def test_the_message_is_shown_in_the_readers_language(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    token = csrf_from(client.get("/account").text)
    client.post(
        "/account/language",
        data={"csrf_token": token, "language": "fi"},
        follow_redirects=False,
    )
    assert "Kieli tallennettiin." in client.get("/account").text


def _flash_cookie(settings: Settings, message: str) -> str:
    """The value of the cookie a redirect would set for `message`."""
    response = Response()
    flash.set_flash(response, settings, message)
    return response.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def test_a_forged_or_stale_message_is_ignored(
    client: TestClient, factory: Factory, settings: Settings
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    genuine = _flash_cookie(settings, "Saved.")
    payload, signature = genuine.rsplit(".", 1)
    forged = [
        f"{payload}.{'0' * len(signature)}",  # the text without its signature
        _flash_cookie(Settings(environment="test", secret_key="k" * 48), "Saved."),
        "not-a-flash",
    ]
    for value in forged:
        client.cookies.set(flash.FLASH_COOKIE, value)
        page = client.get("/account")
        assert 'class="flash' not in page.text, value
        assert f'{flash.FLASH_COOKIE}=""' in page.headers["set-cookie"]

    # Past its lifetime a genuine message is ignored too.
    real_time = time.time
    try:
        flash.time.time = lambda: real_time() - 2 * flash.MAX_AGE_SECONDS  # type: ignore[attr-defined]
        stale = _flash_cookie(settings, "Saved.")
    finally:
        flash.time.time = real_time  # type: ignore[attr-defined]
    client.cookies.set(flash.FLASH_COOKIE, stale)
    assert 'class="flash' not in client.get("/account").text

    client.cookies.set(flash.FLASH_COOKIE, genuine)
    assert '<p role="status">Saved.</p>' in client.get("/account").text


def test_existing_notices_use_the_flash(client: TestClient, factory: Factory) -> None:
    """The pipeline settings, targets, syndication and account notices no longer ride in
    the address (where a reload or a shared link repeated them)."""
    factory.login(client, factory.user(Role.COORDINATOR))
    token = csrf_from(client.get("/pipeline").text)
    saved = client.post(
        "/pipeline/lost-reasons",
        data={"csrf_token": token, "name_fi": "Hinta", "name_en": "Price"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "?" not in saved.headers["location"]
    assert "The lost reason was added." in client.get(saved.headers["location"]).text


# ---------------------------------------------------------------- htmx


def test_htmx_request_for_the_lead_list_gets_only_the_results(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.lead(owner=user, code_name="Project Fragment", stage="qualified")
    factory.login(client, user)

    whole = client.get("/leads?stage=qualified")
    assert whole.text.lstrip().lower().startswith("<!doctype html>")
    assert 'id="lead-results"' in whole.text and 'hx-push-url="true"' in whole.text
    assert whole.headers["vary"] == "HX-Request"

    part = client.get("/leads?stage=qualified&sort=code_name", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert part.headers["vary"] == "HX-Request"
    text = part.text
    assert "<html" not in text and "<body" not in text and 'id="sidebar"' not in text
    assert 'id="lead-results"' not in text  # the region's content, swapped into it
    assert re.search(r'<table class="data" id="lead-table">', text)
    assert "Project Fragment" in text
    # The header now sorted by, and the sort menu sent along out of band.
    assert 'aria-sort="ascending"><a class="sort" id="sort-code_name"' in text
    assert re.search(r'<select id="f-sort" name="sort" hx-swap-oob="true">', text)
    assert re.search(r'<option value="code_name" selected>', text)
    # Links in it are shareable addresses of the whole page.
    assert 'href="/leads?stage=qualified&amp;sort=-code_name"' in text

    # htmx restoring history asks for the whole page.
    restore = client.get(
        "/leads?stage=qualified",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert 'id="sidebar"' in restore.text


def test_htmx_is_vendored_and_configured_for_the_csp(client: TestClient, factory: Factory) -> None:
    script = STATIC / "htmx" / "htmx.min.js"
    version = (STATIC / "htmx" / "VERSION").read_text()
    pinned = re.search(
        r'VERSION="\$\{1:-([0-9.]+)\}"',
        (Path(__file__).resolve().parents[2] / "scripts" / "vendor_htmx.sh").read_text(),
    )
    assert pinned and version.startswith(f"htmx.org@{pinned.group(1)} ")
    assert f'version:"{pinned.group(1)}"' in script.read_text()
    assert (STATIC / "htmx" / "LICENSE").read_text().strip()

    factory.login(client, factory.user(Role.COORDINATOR))
    page = client.get("/leads")
    assert f'<script src="{static_url("htmx/htmx.min.js")}" defer></script>' in page.text
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page.text)
    assert config
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False
    assert settings["historyCacheSize"] == 0  # no lead data in localStorage
    csp = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


# ---------------------------------------------------------------- CSP


# Not staff pages: the PDF's print template (WeasyPrint, never served as HTML) and the
# embeddable listing (its own CSP).
NOT_STAFF_PAGES = {
    "reports/print.html",
    "syndication/embed.html",
    "syndication/wordpress_post.html",
}


def test_no_staff_template_needs_inline_script_or_style() -> None:
    checked = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in NOT_STAFF_PAGES:
            continue
        text = path.read_text()
        checked += 1
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), name
        assert "<style" not in text, name
        assert not re.search(r"\sstyle=", text), name
        assert not re.search(r"\son[a-z]+=", text), name
        assert "hx-on" not in text and "javascript:" not in text, name
    assert checked > 40
