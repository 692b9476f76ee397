"""Site packages over HTTP: dry run, apply, re-upload, hostile files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Industry, Municipality, Site, SiteAttachment
from app.domain.access import Role
from app.services import packages
from app.services import sites as site_service
from tests.domain.test_geo import KAJAANI, tm35fin_forward
from tests.domain.test_packages import (
    bilevel_png,
    billion_laughs_xlsx,
    make_zip,
    manifest_zip,
    png,
    site_json,
    xlsx,
)
from tests.factories import Factory
from tests.geography.test_distances import stored
from tests.sites.conftest import db_counts, stored_files

HEADER = ["external_ref", "kind", "name_fi", "municipality_code", "crs", "easting", "northing"]
EASTING, NORTHING = tm35fin_forward(*KAJAANI)


def table(*rows: list[Any]) -> bytes:
    return xlsx([HEADER, *rows])


def upload(
    client: TestClient, headers: dict[str, str], name: str, data: bytes, lang: str = "en"
) -> Any:
    return client.post(
        "/api/v1/site-packages",
        files={"file": (name, data, "application/octet-stream")},
        data={"lang": lang},
        headers=headers,
    )


def checked(client: TestClient, headers: dict[str, str], name: str, data: bytes) -> dict[str, Any]:
    response = upload(client, headers, name, data)
    assert response.status_code == 201, response.text
    return response.json()


def apply(client: TestClient, headers: dict[str, str], upload_id: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/site-packages/{upload_id}/apply", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_xlsx_in_tm35fin_dry_run_apply_and_idempotent_reupload(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    data = table(
        [
            "KAJ-1",
            "industrial_plot",
            "Kaupungintalon kortteli",
            "205",
            "EPSG:3067",
            EASTING,
            NORTHING,
        ],
        [
            "KAJ-2",
            "Toimitila",
            "Toimitila keskustassa",
            "Kajaani",
            "EPSG:3067",
            EASTING + 100,
            NORTHING,
        ],
    )
    report = checked(client, headers, "kohteet.xlsx", data)
    assert (report["status"], report["format"]) == ("checked", "xlsx")
    assert report["report"]["summary"] == {
        "create": 2,
        "update": 0,
        "revision": 0,
        "unchanged": 0,
        "error": 0,
    }
    assert db.scalar(select(Site).where(Site.external_ref == "KAJ-1")) is None  # dry run

    applied = apply(client, headers, report["id"])
    assert applied["status"] == "applied"
    site = db.scalar(select(Site).where(Site.external_ref == "KAJ-1"))
    assert site is not None
    # The Kajaani town-hall point, from TM35FIN by pyproj, within a metre of WGS84.
    assert site.latitude == pytest.approx(KAJAANI[0], abs=1e-5)
    assert site.longitude == pytest.approx(KAJAANI[1], abs=2e-5)
    assert (site.status, site.kind, site.version) == ("draft", "industrial_plot", 1)
    second = db.scalar(select(Site).where(Site.external_ref == "KAJ-2"))
    assert second is not None and second.kind == "premises"

    again = checked(client, headers, "kohteet.xlsx", data)
    assert again["report"]["summary"] == {
        "create": 0,
        "update": 0,
        "revision": 0,
        "unchanged": 2,
        "error": 0,
    }
    apply(client, headers, again["id"])
    db.refresh(site)
    assert site.version == 1
    assert len(list(db.scalars(select(Site).where(Site.municipality_code == "205")))) == 2

    renamed = table(
        [
            "KAJ-1",
            "industrial_plot",
            "Kaupungintalon kortteli II",
            "205",
            "EPSG:3067",
            EASTING,
            NORTHING,
        ],
    )
    changed = checked(client, headers, "kohteet.xlsx", renamed)
    [row] = changed["report"]["rows"]
    assert (row["action"], row["changed_fields"], row["site_id"]) == (
        "update",
        ["name_fi"],
        str(site.id),
    )
    apply(client, headers, changed["id"])
    db.refresh(site)
    assert (site.name_fi, site.version) == ("Kaupungintalon kortteli II", 2)


def test_rows_without_reference_match_by_name_on_reupload(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    data = xlsx([["kind", "name_fi", "municipality_code"], ["other", "Ranta-alue", "578"]])
    first = checked(client, headers, "a.xlsx", data)
    assert first["report"]["rows"][0]["warnings"][0]["code"] == "external_ref_missing"
    apply(client, headers, first["id"])
    spaced = xlsx([["kind", "name_fi", "municipality_code"], ["other", " ranta-ALUE ", "578"]])
    again = checked(client, headers, "a.xlsx", spaced)
    assert again["report"]["rows"][0]["action"] == "update"
    assert again["report"]["rows"][0]["changed_fields"] == ["name_fi"]
    duplicate = xlsx(
        [
            ["kind", "name_fi", "municipality_code"],
            ["other", "Uusi", "578"],
            ["other", "uusi", "578"],
        ]
    )
    refused = checked(client, headers, "a.xlsx", duplicate)
    assert refused["status"] == "invalid"
    assert [r["errors"][0]["code"] for r in refused["report"]["rows"]] == ["duplicate_name"] * 2


def test_example_zip_with_attachments(
    client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    report = checked(client, headers, "example.zip", packages.example_zip(db))
    assert report["format"] == "zip_json"
    rows = report["report"]["rows"]
    assert [(r["external_ref"], r["action"], r["attachments_added"]) for r in rows] == [
        ("EX-001", "create", 2),
        ("EX-002", "create", 1),
    ]
    apply(client, headers, report["id"])
    data_centre = db.scalar(select(Site).where(Site.external_ref == "EX-001"))
    assert data_centre is not None
    files = site_service.attachments_of(db, [data_centre.id])[data_centre.id]
    assert [(a.kind, a.content_type, a.title_fi, a.thumbnail_key is not None) for a in files] == [
        ("photo", "image/png", "Ilmakuva", True),
        ("document", "application/pdf", "Esite", False),
    ]
    assert len(stored_files(storage_dir)) == 4  # png, its thumbnail, brochure, map

    again = checked(client, headers, "example.zip", packages.example_zip(db))
    assert again["report"]["summary"]["unchanged"] == 2
    apply(client, headers, again["id"])
    assert len(list(db.scalars(select(SiteAttachment)))) == 3
    assert (
        client.post(f"/api/v1/site-packages/{again['id']}/apply", headers=headers).status_code
        == 409
    )


def test_contact_package_for_another_municipality_cannot_be_applied(
    client: TestClient, factory: Factory
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    data = table(["SOT-1", "other", "Sotkamon tontti", "765", None, None, None])
    report = checked(client, headers, "s.xlsx", data)
    assert report["status"] == "invalid"
    [error] = report["report"]["rows"][0]["errors"]
    assert (error["field"], error["code"]) == ("municipality_code", "unknown_municipality")
    refused = client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=headers)
    assert refused.status_code == 409
    _, other = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert client.get(f"/api/v1/site-packages/{report['id']}", headers=other).status_code == 404


def test_report_in_finnish(client: TestClient, factory: Factory) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    data = xlsx([["kind", "name_fi", "municipality_code", "area_ha"], ["other", "A", "205", "x"]])
    report = upload(client, headers, "k.xlsx", data, lang="fi").json()
    [error] = report["report"]["rows"][0]["errors"]
    assert error["reason"] == "Arvo ”x” ei ole luku."
    assert error["location"] == "k.xlsx, rivi 2, kenttä area_ha"


def test_formulas_are_stored_as_text(client: TestClient, factory: Factory, db: Session) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    formula = '=HYPERLINK("http://evil.example/","x")'
    data = xlsx(
        [["external_ref", "kind", "name_fi", "municipality_code"], ["F-1", "other", formula, "205"]]
    )
    report = checked(client, headers, "f.xlsx", data)
    assert report["report"]["rows"][0]["warnings"][0]["code"] == "formula_as_text"
    apply(client, headers, report["id"])
    site = db.scalar(select(Site).where(Site.external_ref == "F-1"))
    assert site is not None and site.name_fi == formula


def _nested() -> bytes:
    return manifest_zip([site_json()], **{"inner.zip": make_zip({"a.txt": b"a"})})


def _evil_path(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sites.json", json.dumps([site_json()]))
        archive.writestr(name, b"x")
    return buffer.getvalue()


HOSTILE = {
    "zip bomb": (
        "bomb.zip",
        lambda: make_zip({"sites.json": b"[]", "zeros.bin": bytes(10 * 1024 * 1024)}),
        "compression_ratio",
    ),
    "too many entries": (
        "many.zip",
        lambda: make_zip({f"f{i}.txt": b"x" for i in range(501)}),
        "too_many_entries",
    ),
    "dot-dot path": ("dots.zip", lambda: _evil_path("../../etc/passwd"), "unsafe_path"),
    "absolute path": ("abs.zip", lambda: _evil_path("/etc/passwd"), "unsafe_path"),
    "nested archive": ("nested.zip", _nested, "nested_archive"),
    "executable named xlsx": ("sites.xlsx", lambda: b"MZ\x90\x00" + bytes(200), "unsupported_type"),
    "xml bomb in xlsx": (
        "laughs.xlsx",
        lambda: billion_laughs_xlsx("xl/sharedStrings.xml"),
        "xml_entities",
    ),
    "empty file": ("empty.csv", lambda: b"", "empty_file"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packages_are_refused_and_nothing_is_stored(
    case: str, client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    name, build, code = HOSTILE[case]
    _, headers = factory.api_user(Role.COORDINATOR)
    before = db_counts(db)
    response = upload(client, headers, name, build())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert db_counts(db) == before
    assert stored_files(storage_dir) == []


def test_image_decompression_bomb_in_a_package_blocks_apply(
    client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    data = manifest_zip(
        [site_json(attachments=["pommi.png"])], **{"pommi.png": bilevel_png(20_000, 20_000)}
    )
    before = db_counts(db)
    report = checked(client, headers, "pommi.zip", data)
    assert report["status"] == "invalid"
    assert report["report"]["rows"][0]["errors"][0]["code"] == "image_too_large"
    assert (
        client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=headers).status_code
        == 409
    )
    after = db_counts(db)
    assert after["sites"] == before["sites"] and after["site_attachments"] == 0
    assert stored_files(storage_dir) == []


def test_oversized_upload_is_refused(client: TestClient, factory: Factory, db: Session) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    before = db_counts(db)
    big = b"kind;name_fi;municipality_code\n" + b"x" * (50 * 1024 * 1024 + 10)
    response = upload(client, headers, "big.csv", big)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"
    assert db_counts(db) == before


def test_failed_apply_leaves_database_and_storage_unchanged(
    client: TestClient,
    factory: Factory,
    db: Session,
    storage_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    report = checked(client, headers, "example.zip", packages.example_zip(db))
    before = db_counts(db)
    calls = {"n": 0}
    real = site_service.snapshot

    # The second site's version fails: after files were written and sites flushed.
    def failing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(site_service, "snapshot", failing)
    with pytest.raises(RuntimeError):
        client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=headers)
    assert db_counts(db) == before
    assert stored_files(storage_dir) == []
    monkeypatch.setattr(site_service, "snapshot", real)
    assert apply(client, headers, report["id"])["status"] == "applied"


def _plot(ref: str, name: str, offset: int = 0) -> list[Any]:
    return [ref, "industrial_plot", name, "205", "EPSG:3067", EASTING + offset, NORTHING]


def test_a_failure_in_a_late_batch_undoes_the_earlier_batches(
    client: TestClient, factory: Factory, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are applied two at a time here; the fifth row's site was archived after the
    dry run, so the apply fails in its third batch: the sites of the first two batches,
    already written in the transaction, are gone with it, and the report stays."""
    monkeypatch.setattr(packages, "BATCH", 2)
    _, headers = factory.api_user(Role.COORDINATOR)
    apply(client, headers, checked(client, headers, "old.xlsx", table(_plot("OLD", "Vanha")))["id"])
    rows = [_plot(f"NEW-{n}", f"Uusi {n}", 100 * n) for n in range(1, 5)]
    report = checked(client, headers, "late.xlsx", table(*rows, _plot("OLD", "Vanha, uusi nimi")))
    assert report["report"]["summary"] == {
        "create": 4,
        "update": 1,
        "revision": 0,
        "unchanged": 0,
        "error": 0,
    }
    old = db.scalars(select(Site).where(Site.external_ref == "OLD")).one()
    old.status = "archived"
    db.commit()
    before = db_counts(db)

    refused = client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=headers)

    assert refused.status_code == 409
    assert db_counts(db) == before
    assert db.scalars(select(Site.external_ref).where(Site.external_ref.like("NEW-%"))).all() == []
    kept = client.get(f"/api/v1/site-packages/{report['id']}", headers=headers).json()
    assert kept["status"] == "checked"
    assert [r["action"] for r in kept["report"]["rows"]] == ["create"] * 4 + ["update"]


def test_report_rows_are_paged_and_repeats_across_batches_are_errors(
    client: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packages, "BATCH", 2)
    _, headers = factory.api_user(Role.COORDINATOR)
    data = table(
        _plot("KAJ-1", "Eka"),
        _plot("KAJ-2", "Toka", 100),
        ["", "industrial_plot", "Nimetön  tontti", "205"],
        _plot("KAJ-1", "Eka uudestaan", 200),
        ["", "other", "nimetön tontti", "Kajaani"],
    )
    report = checked(client, headers, "toistot.xlsx", data)
    assert report["status"] == "invalid"
    assert report["report"]["summary"]["error"] == 4
    codes = [[e["code"] for e in r["errors"]] for r in report["report"]["rows"]]
    assert codes == [
        ["duplicate_external_ref"],
        [],
        ["duplicate_name"],
        ["duplicate_external_ref"],
        ["duplicate_name"],
    ]
    assert "(sites 2, 5)" in report["report"]["rows"][0]["errors"][0]["reason"]

    page = client.get(
        f"/api/v1/site-packages/{report['id']}", params={"offset": 3, "limit": 1}, headers=headers
    ).json()["report"]
    assert (page["rows_total"], page["rows_offset"]) == (5, 3)
    assert [(r["index"], r["sheet_row"], r["external_ref"]) for r in page["rows"]] == [
        (4, 5, "KAJ-1")
    ]


def test_template_and_example_downloads(client: TestClient, db: Session) -> None:
    template = client.get("/api/v1/site-packages/template.xlsx")
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert template.content.startswith(b"PK\x03\x04")
    example = client.get("/api/v1/site-packages/example.zip")
    assert example.headers["content-type"] == "application/zip"
    assert example.content == packages.example_zip(db)
    # The examples lie in the first stored municipality by code, at its town centre.
    with zipfile.ZipFile(io.BytesIO(example.content)) as archive:
        first = json.loads(archive.read("sites.json"))["sites"][0]
    code = min(db.scalars(select(Municipality.code)))
    assert first["municipality_code"] == code
    assert "latitude" in first
    assert first["contact_email"] == "firstname.lastname@example.org"


def test_png_attachment_via_package_keeps_bytes(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    photo = png((40, 30))
    data = manifest_zip([site_json(attachments=["kuva.png"])], **{"kuva.png": photo})
    apply(client, headers, checked(client, headers, "p.zip", data)["id"])
    attachment = db.scalar(select(SiteAttachment))
    assert attachment is not None
    content = client.get(
        f"/api/v1/sites/{attachment.site_id}/attachments/{attachment.id}/content", headers=headers
    )
    assert (content.headers["content-type"], content.content) == ("image/png", photo)


def test_a_windows_1252_csv_from_finnish_excel_is_checked_and_applied(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    csv_file = (
        "tunnus;tyyppi;nimi;kunta;Pinta-ala (ha);Teho (MW)\r\n"
        "KAJ-W1;teollisuustontti;Pääteollisuusalue Öljymäki;Kajaani;4,5;12,5\r\n"
    ).encode("cp1252")
    report = checked(client, headers, "kajaani.csv", csv_file)
    assert report["format"] == "csv"
    assert report["report"]["encoding"] == "Windows-1252"
    assert report["status"] == "checked", report["report"]
    apply(client, headers, report["id"])
    site = db.scalar(select(Site).where(Site.external_ref == "KAJ-W1"))
    assert site is not None and site.name_fi == "Pääteollisuusalue Öljymäki"
    assert float(site.area_ha or 0) == 4.5


def test_a_csv_row_with_more_cells_than_headers_fails_the_dry_run_on_that_row(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    csv_file = (
        b"external_ref,kind,name_fi,municipality_code,area_ha\n"
        b"KAJ-C1,other,Alue,205,1.5\n"
        b"KAJ-C2,other,Halli,205,2,5\n"
    )
    report = checked(client, headers, "kajaani.csv", csv_file)
    assert report["status"] == "invalid"
    rows = report["report"]["rows"]
    assert [[e["code"] for e in r["errors"]] for r in rows] == [[], ["too_many_cells"]]
    assert rows[1]["sheet_row"] == 3
    refused = client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=headers)
    assert refused.status_code in (409, 422)
    assert db.scalar(select(Site).where(Site.external_ref == "KAJ-C1")) is None


@pytest.mark.parametrize("named", ["kajaani", "Kajana", "KAJAANI", "205"])
def test_a_package_names_the_municipality_by_slug_or_in_any_language(
    client: TestClient, factory: Factory, named: str
) -> None:
    """The municipality column takes its code, its slug or its name in Finnish, Swedish
    or English, as the stored municipalities give them."""
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    data = table(["NAMED-1", "industrial_plot", "Tontti", named, "EPSG:3067", EASTING, NORTHING])
    report = checked(client, headers, "kohteet.xlsx", data)
    assert report["report"]["summary"]["error"] == 0, report["report"]
    assert report["report"]["summary"]["create"] == 1


def test_a_package_names_key_industries_in_any_language(
    client: TestClient, factory: Factory, db: Session
) -> None:
    """Suitable industries by code or by name in Finnish, Swedish or English."""
    industry = db.scalars(select(Industry).where(Industry.name_sv.is_not(None))).first()
    assert industry is not None and industry.name_sv
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    header = [*HEADER, "industry_codes"]
    for n, named in enumerate((industry.code, industry.name_sv, industry.name_en.upper())):
        row = [f"IND-{n}", "industrial_plot", "Tontti", "205", "EPSG:3067", EASTING, NORTHING]
        report = checked(client, headers, "kohteet.xlsx", xlsx([header, [*row, named]]))
        assert report["report"]["summary"]["error"] == 0, (named, report["report"])


def test_a_package_gives_new_sites_their_distances_and_moved_sites_new_ones(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    placed = ["KAJ-D", "industrial_plot", "Keskustan tontti", "205", "EPSG:3067"]
    apply(
        client,
        headers,
        checked(client, headers, "a.xlsx", table([*placed, EASTING, NORTHING]))["id"],
    )
    site = db.scalar(select(Site).where(Site.external_ref == "KAJ-D"))
    assert site is not None
    # The Kajaani town hall: the town centre is where it stands.
    assert stored(db, str(site.id))["town_centre"] == ("centre-kajaani", 0)
    assert len(stored(db, str(site.id))) == 7

    # 40 km east, the nearest town centre is no longer the one it stands on.
    moved = table([*placed, EASTING + 40_000, NORTHING])
    apply(client, headers, checked(client, headers, "b.xlsx", moved)["id"])
    _, metres = stored(db, str(site.id))["town_centre"]
    assert metres > 5_000
    assert len(stored(db, str(site.id))) == 7
