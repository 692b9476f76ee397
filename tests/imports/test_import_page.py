"""The staff import page as a coordinator meets it: upload a CSV, read the dry-run report
row by row and field by field in words, apply the same file without uploading it again,
and never import it twice; other roles cannot reach it."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import Contact, ImportUpload, Lead, Organization
from app.domain.access import Role
from app.services.imports import purge_unapplied_imports
from app.settings import Settings
from tests.factories import Factory, csrf_from

ORGS_WITH_ERRORS = (
    "name;type;country;business_id\n"
    "Kainuu Steel Oy;company;FI;0116297-6\n"
    "Bad Id Oy;company;FI;0116297-5\n"
    ";company;FI;\n"
)
ORGS = (
    "name,type,country,business_id\n"
    "Kainuu Steel Oy,company,FI,0116297-6\n"
    "Arctic Games,company,SE,\n"
)


def _login(client: TestClient, factory: Factory, role: Role, **kwargs: str) -> None:
    factory.login(client, factory.user(role, **kwargs))


def _upload(client: TestClient, kind: str, text: str, name: str = "file.csv"):
    token = csrf_from(client.get("/imports").text)
    return client.post(
        "/imports",
        data={"csrf_token": token, "kind": kind},
        files={"file": (name, text.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )


def _orgs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Organization)) or 0


def _text(page: str) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\s+", " ", words).replace(" :", ":")


def test_dry_run_report_names_row_field_and_reason_in_words(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.COORDINATOR)
    before = _orgs(db)
    sent = _upload(client, "organizations", ORGS_WITH_ERRORS, "yritykset.csv")
    assert sent.status_code == 303
    report = client.get(sent.headers["location"])
    assert report.status_code == 200
    text = _text(report.text)
    assert "Import report: yritykset.csv" in text
    assert "3 rows" in text and "1 would be created" in text and "2 with errors" in text
    # Row 3: the business ID's check digit, named by field and column, in words.
    row3 = _text(report.text.split('id="row-3"')[1].split("</tr>")[0])
    assert "Business ID (column business_id): The check digit does not match" in row3
    row4 = _text(report.text.split('id="row-4"')[1].split("</tr>")[0])
    assert "Name (column name): Give the organisation's name." in row4
    # No internal codes in the page.
    for code in ("invalid_checksum", "required", "rows.3"):
        assert code not in text
    assert "Apply the file" not in text and "cannot be applied" in text
    assert _orgs(db) == before


def test_dry_run_in_finnish(client: TestClient, factory: Factory) -> None:
    _login(client, factory, Role.COORDINATOR)
    client.get("/lang/fi")
    sent = _upload(client, "organizations", ORGS_WITH_ERRORS)
    text = _text(client.get(sent.headers["location"]).text)
    assert "Y-tunnus (sarake business_id)" in text
    assert "3 riviä" in text or "3 rivi" in text


def test_upload_apply_and_apply_again_creates_nothing_twice(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.COORDINATOR)
    before = _orgs(db)
    sent = _upload(client, "organizations", ORGS)
    location = sent.headers["location"]
    report = client.get(location)
    assert "2 would be created" in _text(report.text)
    upload = db.scalar(select(ImportUpload))
    assert upload is not None and upload.status == "checked"
    # The file is kept server-side: the apply form carries no file, only the token.
    form = report.text.split(f'action="{location}/apply"')[1].split("</form>")[0]
    assert 'type="file"' not in form
    applied = client.post(
        f"{location}/apply", data={"csrf_token": csrf_from(report.text)}, follow_redirects=False
    )
    assert applied.status_code == 303
    done = client.get(applied.headers["location"])
    assert "The file was imported." in done.text and "Records created: 2" in _text(done.text)
    assert _orgs(db) == before + 2
    assert db.scalar(select(ImportUpload.content).where(ImportUpload.id == upload.id)) is None
    # The same upload again: refused, nothing new.
    again = client.post(f"{location}/apply", data={"csrf_token": csrf_from(done.text)})
    assert again.status_code == 409, again.text
    assert "already been imported" in again.text
    # The same file uploaded again: the report says so and it cannot be applied.
    second = _upload(client, "organizations", ORGS).headers["location"]
    page = client.get(second)
    assert "This same file was already imported" in page.text
    assert f'action="{second}/apply"' not in page.text
    refused = client.post(f"{second}/apply", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 409
    assert _orgs(db) == before + 2


def test_possible_duplicates_must_be_confirmed(
    client: TestClient, factory: Factory, db: Session
) -> None:
    factory.organization(name="Arctic Games")
    _login(client, factory, Role.COORDINATOR)
    before = _orgs(db)
    location = _upload(client, "organizations", "name,type\nArctic Games Oy,company\n").headers[
        "location"
    ]
    report = client.get(location)
    assert "The register already has Arctic Games" in report.text
    token = csrf_from(report.text)
    unconfirmed = client.post(f"{location}/apply", data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    assert "Confirm that you have checked the possible duplicates" in unconfirmed.text
    assert _orgs(db) == before
    confirmed = client.post(
        f"{location}/apply",
        data={"csrf_token": token, "confirm_duplicates": "yes"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    assert _orgs(db) == before + 1


def test_contacts_and_leads_import(client: TestClient, factory: Factory, db: Session) -> None:
    factory.organization(name="Kainuu Steel Oy", business_id="0116297-6")
    _login(client, factory, Role.COORDINATOR)
    contacts = (
        "full_name;organization_business_id;email;lawful_basis;source\n"
        "Liisa Laine;0116297-6;liisa@steel.example;legitimate_interest;fair\n"
    )
    location = _upload(client, "contacts", contacts).headers["location"]
    page = client.get(location)
    client.post(f"{location}/apply", data={"csrf_token": csrf_from(page.text)})
    contact = db.scalar(select(Contact).where(Contact.email == "liisa@steel.example"))
    assert contact is not None and contact.organization_id is not None
    leads = (
        "code_name;title;investment_type;source;organization_business_id\n"
        "Project Import;Steel mill;greenfield_fdi;own_prospecting;0116297-6\n"
        "Project Bad;Steel mill;no_such_type;own_prospecting;9999999-9\n"
    )
    location = _upload(client, "leads", leads).headers["location"]
    text = _text(client.get(location).text)
    assert "Type of investment (column investment_type)" in text
    assert "Business ID of the organisation (column organization_business_id)" in text
    assert db.scalar(select(Lead).where(Lead.code_name == "Project Import")) is None


def test_refused_files_store_nothing_and_say_why(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.COORDINATOR)
    token = csrf_from(client.get("/imports").text)
    missing = client.post("/imports", data={"csrf_token": token, "kind": "organizations"})
    assert missing.status_code == 422 and "Choose a CSV file to upload." in missing.text
    wrong_kind = _upload(client, "sites", ORGS)
    assert wrong_kind.status_code == 422
    assert "Choose organisations, contact persons or leads." in wrong_kind.text
    too_big = _upload(client, "organizations", "name,type\n" + "x" * (5 * 1024 * 1024 + 10))
    assert too_big.status_code == 422 and "larger than 5 MB" in too_big.text
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 0
    # A file with a wrong column is stored with its report (it cannot be applied).
    columns = _upload(client, "organizations", "nimi,type\nX,company\n")
    text = _text(client.get(columns.headers["location"]).text)
    assert "Column “nimi”: The file has a column this import does not know." in text
    assert "Column “name”: A required column is missing." in text


def test_templates_per_kind(client: TestClient, factory: Factory) -> None:
    _login(client, factory, Role.ADMIN)
    for kind, first in (
        ("organizations", "name"),
        ("contacts", "full_name"),
        ("leads", "code_name"),
    ):
        response = client.get(f"/imports/templates/{kind}.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.lstrip("\ufeff").split("\n")[0].split(",")[0] == first
    assert client.get("/imports/templates/sites.csv").status_code == 404


@pytest.mark.parametrize(
    ("role", "binding"),
    [
        (Role.MUNICIPAL_CONTACT, {"municipality": "205"}),
        (Role.FORUM_VIEWER, {}),
        (Role.PARTNER, {}),
    ],
)
def test_other_roles_cannot_reach_the_import_page(
    client: TestClient, factory: Factory, db: Session, role: Role, binding: dict[str, str]
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    location = _upload(client, "organizations", ORGS).headers["location"]
    client.cookies.clear()
    _login(client, factory, role, **binding)
    assert client.get("/imports").status_code == 403
    assert client.get(location).status_code == 403
    assert client.get("/imports/templates/organizations.csv").status_code == 403
    token = csrf_from(client.get("/account").text)
    assert client.post(location + "/apply", data={"csrf_token": token}).status_code == 403
    refused = client.post(
        "/imports",
        data={"csrf_token": token, "kind": "organizations"},
        files={"file": ("o.csv", ORGS.encode(), "text/csv")},
    )
    assert refused.status_code == 403
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 1
    nav = client.get("/account").text
    assert 'href="/imports"' not in nav


def test_unapplied_imports_are_purged(
    client: TestClient, factory: Factory, db: Session, settings: Settings
) -> None:
    _login(client, factory, Role.COORDINATOR)
    old = _upload(client, "organizations", ORGS).headers["location"].rsplit("/", 1)[1]
    _upload(client, "organizations", ORGS_WITH_ERRORS)
    then = utcnow() - timedelta(days=settings.import_upload_retention_days + 1)
    db.execute(update(ImportUpload).where(ImportUpload.id == old).values(created_at=then))
    db.commit()
    assert purge_unapplied_imports(db, settings) == 1
    assert purge_unapplied_imports(db, settings) == 0
    assert db.scalar(select(func.count()).select_from(ImportUpload)) == 1
