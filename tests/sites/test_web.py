"""Staff pages for sites: list, create, edit, attach, upload, review, matching."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Site
from app.domain.access import Role
from app.services import packages
from tests.domain.test_packages import png
from tests.factories import Factory, csrf_from


def _login(client: TestClient, factory: Factory, role: Role, **kwargs: str) -> None:
    user = factory.user(role, **kwargs)
    factory.login(client, user)


def test_contact_creates_edits_and_submits_a_site(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.MUNICIPAL_CONTACT, municipality="205")
    page = client.get("/sites/new")
    assert page.status_code == 200
    form = {
        "csrf_token": csrf_from(page.text),
        "kind": "premises",
        "name_fi": "Kauppakadun toimitila",
        "municipality_code": "205",
        "area_ha": "0,5",
        "area_m2": "6000",
        "industry_codes": ["game_industry"],
    }
    refused = client.post("/sites/new", data=form)
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="area_m2-error"' in refused.text
    created = client.post("/sites/new", data={**form, "area_m2": "5000"}, follow_redirects=False)
    assert created.status_code == 303
    site = db.scalar(select(Site).where(Site.name_fi == "Kauppakadun toimitila"))
    assert site is not None and site.area_ha == 0.5
    detail = client.get(created.headers["location"])
    assert "The site was created." in detail.text
    token = csrf_from(detail.text)
    saved = client.post(
        f"/sites/{site.id}",
        data={**form, "csrf_token": token, "area_m2": "5000", "gas": "yes"},
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"/sites/{site.id}?done=saved"
    db.refresh(site)
    assert (site.gas, site.version) == (True, 2)
    attached = client.post(
        f"/sites/{site.id}/attachments",
        data={"csrf_token": token, "title_fi": "Julkisivu"},
        files={"file": ("x.png", png((50, 40)), "image/png")},
        follow_redirects=False,
    )
    assert attached.status_code == 303
    page = client.get(f"/sites/{site.id}")
    thumb = re.search(r'src="(/site-files/[^"]+/thumbnail)"', page.text)
    assert thumb and client.get(thumb.group(1)).headers["content-type"] == "image/jpeg"
    submitted = client.post(
        f"/sites/{site.id}/actions/submit", data={"csrf_token": token}, follow_redirects=False
    )
    assert submitted.status_code == 303
    db.refresh(site)
    assert site.status == "submitted"
    assert "Publish</button>" not in client.get(f"/sites/{site.id}").text


def test_coordinator_reviews_and_publishes(
    client: TestClient, factory: Factory, db: Session
) -> None:
    # The English page names the site in English.
    site = factory.site(status="submitted", name_fi="Jonossa", name_en="Jonossa oleva tontti")
    _login(client, factory, Role.COORDINATOR)
    queue = client.get("/review")
    assert "Jonossa oleva tontti" in queue.text
    token = csrf_from(queue.text)
    done = client.post(
        f"/sites/{site.id}/actions/publish", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.headers["location"] == "/review"
    db.refresh(site)
    assert site.status == "published"
    assert "Jonossa oleva tontti" not in client.get("/review").text


def test_contact_has_no_review_queue(client: TestClient, factory: Factory) -> None:
    _login(client, factory, Role.MUNICIPAL_CONTACT, municipality="205")
    assert client.get("/review").status_code == 403
    nav = client.get("/sites").text
    assert 'href="/sites"' in nav and 'href="/review"' not in nav


def test_package_upload_report_and_apply_in_finnish(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.COORDINATOR)
    client.get("/lang/fi")
    page = client.get("/site-packages")
    assert "Lataa mallitaulukko" in page.text
    token = csrf_from(page.text)
    refused = client.post(
        "/site-packages",
        data={"csrf_token": token},
        files={"file": ("virus.xlsx", b"MZ" + bytes(100), "application/octet-stream")},
    )
    assert refused.status_code == 422
    assert "Tiedostotyyppiä ei tueta" in refused.text
    uploaded = client.post(
        "/site-packages",
        data={"csrf_token": token},
        files={"file": ("esimerkki.zip", packages.example_zip(db), "application/zip")},
        follow_redirects=False,
    )
    report = client.get(uploaded.headers["location"])
    assert "Tallenna paketti" in report.text and "EX-001" in report.text
    applied = client.post(
        f"{uploaded.headers['location']}/apply",
        data={"csrf_token": csrf_from(report.text)},
        follow_redirects=False,
    )
    assert applied.status_code == 303
    assert db.scalar(select(Site).where(Site.external_ref == "EX-002")) is not None


def test_matching_page(client: TestClient, factory: Factory) -> None:
    factory.site(name_fi="Suuri tontti", name_en="Large plot", area_ha=50.0)
    lead = factory.lead(code_name="Project Kuusi", requirements={"min_area_ha": 10})
    _login(client, factory, Role.COORDINATOR)
    page = client.get(f"/leads/{lead.id}/matching-sites")
    assert page.status_code == 200
    assert "Project Kuusi" in page.text and "Large plot" in page.text
    assert "100 / 100" in page.text


@pytest.mark.parametrize(
    ("language", "area_message", "workflow_message"),
    [
        (
            "fi",
            "Pinta-alat eivät täsmää: 0.5 ha on 5000 m², mutta annettu 6000 m².",
            "Kohdetta, jonka tila on ”Luonnos”, ei voi avata uudelleen muokattavaksi.",
        ),
        (
            "en",
            "The areas do not match: 0.5 ha is 5000 m², but 6000 m² was given.",
            "A site in status “Draft” cannot be reopened for editing.",
        ),
    ],
)
def test_site_form_and_workflow_errors_in_the_users_language(
    client: TestClient,
    factory: Factory,
    db: Session,
    language: str,
    area_message: str,
    workflow_message: str,
) -> None:
    _login(client, factory, Role.MUNICIPAL_CONTACT, municipality="205", language=language)
    page = client.get("/sites/new")
    form = {
        "csrf_token": csrf_from(page.text),
        "kind": "premises",
        "name_fi": "Kielitesti",
        "municipality_code": "205",
        "area_ha": "0,5",
        "area_m2": "6000",
        "contact_email": "maija@",
    }
    refused = client.post("/sites/new", data=form)
    assert refused.status_code == 422
    assert area_message in refused.text
    email_message = {
        "fi": "Sähköpostiosoite ”maija@” ei ole kelvollinen.",
        "en": "The e-mail address ”maija@” is not valid.",
    }[language]
    assert email_message in refused.text
    created = client.post("/sites/new", data={**form, "area_m2": "5000", "contact_email": ""})
    site = db.scalar(select(Site).where(Site.name_fi == "Kielitesti"))
    assert created.status_code == 200 and site is not None
    reopened = client.post(
        f"/sites/{site.id}/actions/reopen", data={"csrf_token": form["csrf_token"]}
    )
    assert reopened.status_code == 422
    assert workflow_message in reopened.text


def test_package_report_page_names_the_encoding_of_the_table(
    client: TestClient, factory: Factory
) -> None:
    _login(client, factory, Role.COORDINATOR)
    client.get("/lang/fi")
    token = csrf_from(client.get("/site-packages").text)
    table = "kind;name_fi;municipality_code\nother;Pääty;205\n".encode("cp1252")
    uploaded = client.post(
        "/site-packages",
        data={"csrf_token": token},
        files={"file": ("vanha.csv", table, "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    report = client.get(uploaded.headers["location"])
    assert "Taulukon merkistö: Windows-1252" in report.text
    assert "Pääty" in report.text


def test_package_report_counts_the_updated_sites(client: TestClient, factory: Factory) -> None:
    """The summary shows how many sites a package updates, not a Python method (the
    report is a dict, whose `update` attribute used to win over its key)."""
    _login(client, factory, Role.COORDINATOR)
    token = csrf_from(client.get("/site-packages").text)

    def upload(area: str) -> str:
        table = (
            f"external_ref;kind;name_fi;municipality_code;area_ha\nKAJ-7;other;Pääty;205;{area}\n"
        )
        sent = client.post(
            "/site-packages",
            data={"csrf_token": token},
            files={"file": ("sites.csv", table.encode(), "text/csv")},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
        return str(sent.headers["location"])

    first = upload("2")
    applied = client.post(f"{first}/apply", data={"csrf_token": token}, follow_redirects=False)
    assert applied.status_code == 303
    report = client.get(upload("3")).text
    assert "built-in method" not in report and "<built-in" not in report
    stats = dict(
        (label.strip(), int(number))
        for number, label in re.findall(r'<span class="stat">(\d+)</span>\s*([^<]+)</li>', report)
    )
    assert stats == {"new": 0, "updated": 1, "unchanged": 0, "with errors": 0}
