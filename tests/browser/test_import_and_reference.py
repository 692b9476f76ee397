"""The staff import page and the reference-data pages in a real browser: upload a CSV,
read the report, apply it; a refused reference form. axe finds no serious problem, and
screenshots show how the pages look."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

WITH_ERRORS = (
    b"name;type;country;business_id\n"
    b"Kainuu Battery Oy;company;FI;0116297-6\n"
    b"Typo Oy;company;FI;0116297-5\n"
    b";company;SE;\n"
)
GOOD = b"name,type,country\nBrowser Imports Oy,company,FI\nNordic Import AB,company,SE\n"


def _login(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/staff")


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def _upload(page, name: str, content: bytes) -> None:
    page.get_by_label("Organisations").check()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/imports/*")


def test_import_page_report_and_apply(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.get_by_role("link", name="Import", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import from a spreadsheet"
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "import-page.png"), full_page=True)

    _upload(page, "companies.csv", WITH_ERRORS)
    row = page.locator("#row-3")
    assert "Business ID (column business_id): The check digit does not match" in " ".join(
        row.inner_text().split()
    ).replace(" :", ":")
    assert "cannot be applied" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Apply the file").count() == 0
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "import-report-errors.png"), full_page=True)

    page.get_by_role("link", name="Import from a spreadsheet").click()
    _upload(page, "good.csv", GOOD)
    assert "2 would be created" in " ".join(page.locator(".import-summary").inner_text().split())
    page.get_by_role("button", name="Apply the file").click()
    assert page.get_by_role("status").inner_text() == "The file was imported."
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "import-applied.png"), full_page=True)


def test_reference_industry_form_refused_inline(
    page, live_server: str, artifacts_dir: Path
) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.get_by_role("link", name="Key industries").click()
    assert _serious(page) == []
    page.get_by_role("link", name="Matkailu").click()
    page.get_by_label("Name in English *").fill("")
    page.get_by_role("button", name="Save").click()
    assert "Give the name in English." in page.get_by_role("alert").inner_text()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "reference-industry-refused.png"), full_page=True)
    page.get_by_label("Name in English *").fill("Tourism")
    page.get_by_label("Description in English").fill("Arctic nature, resorts and events.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The key industry was saved."
    page.goto(f"{live_server}/reference/municipalities/765")
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "reference-municipality.png"), full_page=True)


def test_reference_points_and_key_facts_pages(page, live_server: str, artifacts_dir: Path) -> None:
    _login(page, live_server, "koordinaattori@invest-kainuu.example")
    page.get_by_role("link", name="In English").click()
    page.get_by_role("link", name="Reference points").click()
    assert page.get_by_role("link", name="Kajaani Airport (KAJ)").is_visible()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "reference-points.png"), full_page=True)

    page.get_by_role("link", name="Add a reference point").click()
    page.get_by_label("Code *").fill("Port of Kotka")
    page.get_by_label("Latitude *").fill("sixty")
    page.get_by_role("button", name="Add").click()
    alert = page.get_by_role("alert").inner_text()
    for message in ("Letters a–z", "Choose a kind of place.", "Give a number in decimal degrees."):
        assert message in alert, message
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "reference-point-refused.png"), full_page=True)
    # Far from Kainuu: no site's nearest port changes for the other browser tests.
    page.get_by_label("Code *").fill("port-kotka")
    page.get_by_label("Kind of place *").select_option(label="Port")
    page.get_by_label("Name in Finnish *").fill("Kotkan satama")
    page.get_by_label("Name in English *").fill("Port of Kotka")
    page.get_by_label("Latitude *").fill("60.4667")
    page.get_by_label("Longitude *").fill("26.9458")
    page.get_by_role("button", name="Add").click()
    assert "was added" in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Port of Kotka"
    assert _serious(page) == []

    page.get_by_role("link", name="Key facts", exact=True).click()
    page.get_by_role("link", name="Sotkamo").click()
    page.get_by_label("Year").fill("18")
    page.get_by_role("button", name="Save").click()
    assert "Give a year." in page.get_by_role("alert").inner_text()
    assert _serious(page) == []
    page.screenshot(path=str(artifacts_dir / "reference-facts-refused.png"), full_page=True)
    page.get_by_label("Year").fill("2024")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "The key facts were saved."
    page.get_by_role("link", name="Key facts", exact=True).first.click()
    assert _serious(page) == []
