"""The staff UI's design system in a real browser, role by role: every page of a role's
navigation passes axe's WCAG 2.1 A and AA rules and never scrolls sideways, at a
desktop width and a phone width; the sidebar shows exactly the role's entries; the
narrow-screen menu works from the keyboard; the lead list refreshes its results with
htmx and keeps the address shareable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD
from app.i18n import translations
from app.web.navigation import groups_for

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# One demo login per role (app/demo/users.py).
LOGINS = {
    "admin": "admin@invest-kainuu.example",
    "coordinator": "koordinaattori@invest-kainuu.example",
    "municipal_contact": "kajaani@invest-kainuu.example",
    "partner": "kumppani@invest-kainuu.example",
    "forum_viewer": "foorumi@invest-kainuu.example",
}


@pytest.fixture
def wide_page(browser) -> Iterator[object]:
    """A page that fails the test if a script error or a CSP violation happens on it
    (htmx inserting a <style>, an inline handler, eval)."""
    context = browser.new_context(locale="en-GB", viewport=WIDE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert errors == []


def _login(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/staff")


def _wcag_violations(page) -> list[str]:
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in found]


def _horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the window (0: no sideways scroll)."""
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def _sidebar_paths(page) -> list[str]:
    return page.locator("#sidebar a.nav-link").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


def _check_page(page, live_server: str, path: str) -> list[str]:
    """Problems found on one page at the page's current width."""
    response = page.goto(f"{live_server}{path}")
    problems = []
    if response is None or response.status != 200:
        problems.append(f"{path}: HTTP {response.status if response else '?'}")
        return problems
    overflow = _horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{path}: scrolls {overflow}px sideways")
    problems += [f"{path}: {v}" for v in _wcag_violations(page)]
    return problems


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_of_a_role_is_accessible_and_fits_the_screen(
    wide_page, live_server: str, artifacts_dir: Path, role: str
) -> None:
    page = wide_page
    _login(page, live_server, LOGINS[role])
    lang = page.evaluate("document.documentElement.lang")
    groups = groups_for(role)

    # The sidebar: exactly the role's entries, under its translated group headings.
    expected_paths = [item.path for _group, items in groups for item in items]
    assert _sidebar_paths(page) == expected_paths
    headings = page.locator("#sidebar .nav-heading").all_inner_texts()
    gettext = translations(lang).gettext
    assert [h.strip().lower() for h in headings] == [
        gettext(group.label).lower() for group, _items in groups
    ]
    assert page.locator("#notifications-slot.topbar-slot").count() == 1

    problems: list[str] = []
    for path in [*expected_paths, "/account"]:
        page.set_viewport_size(WIDE)
        problems += [f"1280px {p}" for p in _check_page(page, live_server, path)]
        if path == "/staff":
            page.screenshot(path=str(artifacts_dir / f"ds-{role}-home.png"), full_page=True)
        page.set_viewport_size(NARROW)
        problems += [f"390px {p}" for p in _check_page(page, live_server, path)]
        if path == "/staff":
            page.screenshot(path=str(artifacts_dir / f"ds-{role}-home-narrow.png"), full_page=True)
    assert problems == [], "\n".join(problems)


def _first_link(page, live_server: str, path: str, pattern: str) -> str | None:
    page.goto(f"{live_server}{path}")
    hrefs = page.locator("main a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return next((h for h in hrefs if re.fullmatch(pattern, h)), None)


def test_detail_and_form_pages_are_accessible_and_fit_the_screen(
    wide_page, live_server: str, artifacts_dir: Path
) -> None:
    """The pages behind the navigation: a record of each kind, and the forms."""
    page = wide_page
    _login(page, live_server, LOGINS["coordinator"])
    uuid = "[0-9a-f-]{36}"
    found = [
        _first_link(page, live_server, "/leads", f"/leads/{uuid}"),
        _first_link(page, live_server, "/organizations", f"/organizations/{uuid}"),
        _first_link(page, live_server, "/sites", f"/sites/{uuid}"),
        _first_link(page, live_server, "/clusters", f"/clusters/{uuid}"),
        _first_link(page, live_server, "/events?past=1", f"/events/{uuid}"),
        _first_link(page, live_server, "/targets", f"/targets/{uuid}"),
        _first_link(page, live_server, "/syndication", f"/syndication/targets/{uuid}"),
        _first_link(
            page, live_server, "/syndication/deliveries", f"/syndication/deliveries/{uuid}"
        ),
        _first_link(page, live_server, "/reports", r"/reports/leads\?.+"),
    ]
    lead = found[0]
    assert lead is not None and all(found[:7]), found
    contact = _first_link(page, live_server, found[1], f"/contacts/{uuid}")
    pages = [p for p in found if p] + [
        "/leads/new",
        f"{lead}/edit",
        f"{lead}/move?to_stage=landed",
        f"{lead}/matching-sites",
        "/sites/new",
        "/site-packages",
        "/events/calendar",
        "/syndication/deliveries",
        "/no-such-page",
    ]
    if contact:
        pages += [contact, f"{contact}/edit", f"{contact}/merge", f"{contact}/erase"]
    problems: list[str] = []
    for path in pages:
        for size in (WIDE, NARROW):
            page.set_viewport_size(size)
            response = page.goto(f"{live_server}{path}")
            assert response is not None
            expected = 404 if path == "/no-such-page" else 200
            if response.status != expected:
                problems.append(f"{path}: HTTP {response.status}")
                continue
            if (overflow := _horizontal_overflow(page)) > 0:
                problems.append(f"{size['width']}px {path}: scrolls {overflow}px sideways")
            problems += [f"{size['width']}px {path}: {v}" for v in _wcag_violations(page)]
    assert problems == [], "\n".join(problems)

    page.set_viewport_size(WIDE)
    page.goto(f"{live_server}/leads/board")
    page.screenshot(path=str(artifacts_dir / "ds-board.png"), full_page=True)
    page.goto(f"{live_server}{lead}")
    page.screenshot(path=str(artifacts_dir / "ds-lead.png"), full_page=True)
    page.set_viewport_size(NARROW)
    page.goto(f"{live_server}/leads/board")
    assert _horizontal_overflow(page) == 0
    # The board scrolls inside itself instead.
    board = page.locator(".board")
    assert board.evaluate("b => b.scrollWidth > b.clientWidth")
    page.screenshot(path=str(artifacts_dir / "ds-board-narrow.png"), full_page=True)
    page.goto(f"{live_server}{lead}")
    page.screenshot(path=str(artifacts_dir / "ds-lead-narrow.png"), full_page=True)


def test_narrow_screen_menu_opens_and_closes_with_the_keyboard(
    browser, live_server: str, artifacts_dir: Path
) -> None:
    context = browser.new_context(locale="en-GB", viewport=NARROW)
    page = context.new_page()
    try:
        _login(page, live_server, LOGINS["municipal_contact"])
        sidebar = page.locator("#sidebar")
        toggle = page.locator("button.nav-toggle")
        assert toggle.is_visible() and not sidebar.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"

        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert sidebar.is_visible()
        # Focus moves into the menu, on the current page's entry.
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/staff"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('#sidebar') !== null")
        assert _wcag_violations(page) == []
        page.screenshot(path=str(artifacts_dir / "ds-menu-open-narrow.png"), full_page=True)

        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not sidebar.is_visible()
        assert page.evaluate("document.activeElement.classList.contains('nav-toggle')")

        # Space opens it too, and a link in it goes where it says.
        page.keyboard.press(" ")
        assert sidebar.is_visible()
        sidebar.locator("a[href='/sites']").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/sites")
        assert not page.locator("#sidebar").is_visible()

        # The user menu (My account, Log out) opens from the keyboard as well.
        summary = page.locator("details.user-menu > summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator(".menu-panel a[href='/account']").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator(".menu-panel a[href='/account']").is_visible()
    finally:
        context.close()


def test_lead_list_filters_sorts_and_pages_without_reloading(
    wide_page, live_server: str, artifacts_dir: Path
) -> None:
    page = wide_page
    _login(page, live_server, LOGINS["coordinator"])
    page.goto(f"{live_server}/leads")
    # A marker that a full page load would wipe out.
    page.evaluate("window.__stillHere = true")
    rows = page.locator("#lead-results tbody tr")
    all_rows = rows.count()

    with page.expect_response(
        lambda r: "/leads?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.locator("#f-stage").select_option("landed")
    page.wait_for_url(re.compile(r"/leads\?.*stage=landed"))
    page.wait_for_function("!document.querySelector('#lead-results.htmx-request')")
    assert 0 < rows.count() < all_rows
    assert page.evaluate("window.__stillHere === true")
    landed_url = page.url

    # Sorting from a column header: the header says how the list is sorted, the sort
    # menu follows, and the address keeps the filter.
    header = page.locator("th[aria-sort]", has=page.locator("#sort-code_name"))
    with page.expect_response(lambda r: "sort=code_name" in r.url):
        page.locator("#sort-code_name").click()
    page.wait_for_url(re.compile(r"stage=landed.*sort=code_name|sort=code_name.*stage=landed"))
    page.wait_for_function(
        "document.querySelector('#sort-code_name').closest('th')"
        ".getAttribute('aria-sort') === 'ascending'"
    )
    assert header.get_attribute("aria-sort") == "ascending"
    assert page.locator("#f-sort").input_value() == "code_name"
    names = page.locator("#lead-results tbody th").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    assert page.evaluate("window.__stillHere === true")
    assert page.locator("#live-status").inner_text() != ""
    assert _wcag_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "ds-leads-filtered.png"), full_page=True)

    # The address is shareable: opened afresh it shows the same list.
    page.goto(page.url)
    assert page.locator("#f-stage").input_value() == "landed"
    assert page.locator("#lead-results tbody th").all_inner_texts() == names

    # Back returns to the list as it was before sorting.
    page.go_back()
    page.wait_for_url(landed_url)
    assert page.locator("#f-stage").input_value() == "landed"


def test_a_destructive_action_asks_in_a_dialog_and_the_result_is_flashed(
    wide_page, live_server: str, artifacts_dir: Path
) -> None:
    page = wide_page
    _login(page, live_server, LOGINS["partner"])
    page.goto(f"{live_server}/account")
    page.locator("#token-name").fill("Dialog test")
    page.locator("form[action='/account/tokens'] button[type=submit]").click()
    page.wait_for_load_state()
    revoke = page.locator("form[action$='/revoke'] button[type=submit]").first
    dialog = page.locator("dialog#confirm-dialog")

    # Escape (or Cancel) leaves everything as it was.
    before = page.url
    revoke.click()
    assert dialog.is_visible()
    assert "Dialog test" in dialog.inner_text()
    assert _wcag_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "ds-confirm-dialog.png"))
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.url == before
    assert page.evaluate("document.activeElement.closest('form[action$=\"/revoke\"]') !== null")

    # Confirmed, the form is sent and the page it lands on says what happened, once.
    revoke.click()
    with page.expect_navigation():
        dialog.locator("[data-dialog-confirm]").click()
    status = page.locator(".flash [role=status]")
    assert status.inner_text() in ("The token was revoked.", "API-avain peruttiin.")
    assert page.locator(".flash-close").is_visible()
    page.locator(".flash-close").click()
    assert page.locator(".flash").count() == 0
    page.reload()
    assert page.locator(".flash").count() == 0
