"""Intake and referral pages in a real browser, as the coordinator uses them: the intake
queue, a screening rule added through the form, the response-time report, a referral
export checked and applied, and a partner token issued and revoked. Each page passes
axe (WCAG 2.1 A and AA) with no serious problem and fits a 390 px phone; screenshots
show how they look."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
EXPORT = (
    "Viite;Yritys;Maa;Toimiala;Investointi;Työpaikat;Yhteyshenkilö;Sähköposti\n"
    "IIF-B-1;Lumo Data Oy;FI;ict_data_centres;40 000 000;20;Liisa Lumo;liisa@lumo.example\n"
    "IIF-B-2;Arctic Fibre AB;Ruotsi;Forest bioeconomy;;;;\n"
).encode()


def _login(page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#email").fill("koordinaattori@invest-kainuu.example")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{live_server}/staff")
    page.get_by_role("link", name="In English").click()


def _problems(page, name: str, artifacts_dir: Path) -> list[str]:
    """Serious axe findings and sideways scrolling, at 1280 and at 390 px wide."""
    found = []
    for size in ({"width": 1280, "height": 900}, NARROW):
        page.set_viewport_size(size)
        # The shell makes a table that scrolls sideways focusable after a resize settles.
        page.wait_for_timeout(300)
        options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}}
        violations = Axe().run(page, options=options).response["violations"]
        found += [
            f"{size['width']}px {name}: {v['id']} {[n['target'] for n in v['nodes']]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        overflow = page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
        if overflow > 0:
            found.append(f"{size['width']}px {name}: scrolls {overflow}px sideways")
        page.screenshot(path=str(artifacts_dir / f"{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    return found


def test_intake_pages_and_a_rule_added_through_the_form(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server)
    problems: list[str] = []
    page.goto(f"{live_server}/intake")
    assert page.get_by_role("heading", level=1).count() == 1
    problems += _problems(page, "intake-queue", artifacts_dir)

    page.goto(f"{live_server}/intake/rules")
    form = page.locator("form[action='/intake/rules']")
    form.locator("input[name=name]").fill("Browser rule: data centres")
    form.locator("input[name=capex_min_eur]").fill("10000000")
    form.locator("select[name=priority]").select_option("high")
    form.locator("button[type=submit]").click()
    assert page.get_by_role("status").inner_text() == "The rule was added."
    assert "Browser rule: data centres" in page.locator("main").inner_text()
    problems += _problems(page, "intake-rules", artifacts_dir)

    page.goto(f"{live_server}/reports/response-times")
    problems += _problems(page, "response-times", artifacts_dir)
    assert problems == []


def test_a_referral_export_is_imported_and_a_partner_token_issued(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server)
    problems: list[str] = []
    page.get_by_role("link", name="Referrals", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import referrals"
    problems += _problems(page, "referral-import", artifacts_dir)

    page.get_by_label("Sent by").select_option(label="Business Finland")
    page.get_by_label("Referral export").set_input_files(
        files=[{"name": "iif-export.csv", "mimeType": "text/csv", "buffer": EXPORT}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/referrals/partners/*/imports/*")
    assert "New organisation and lead" in page.locator("#row-2").inner_text()
    problems += _problems(page, "referral-import-report", artifacts_dir)
    page.get_by_role("button", name="Apply the file").click()
    assert page.get_by_role("status").inner_text() == "The referrals were imported."
    problems += _problems(page, "referral-import-applied", artifacts_dir)

    page.goto(f"{live_server}/referrals/partner-tokens")
    page.get_by_label("Partner").select_option(label="Business Finland")
    page.get_by_label("Name of the token").fill("Business Finland CRM")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("code.token").inner_text()
    assert token.startswith("ikr_")
    problems += _problems(page, "partner-tokens", artifacts_dir)
    page.get_by_role("button", name="Revoke Business Finland CRM").click()
    with page.expect_navigation():
        page.locator("#confirm-dialog [data-dialog-confirm]").click()
    assert page.get_by_role("status").inner_text() == "The partner token was revoked."
    assert token not in page.content()
    assert problems == []
