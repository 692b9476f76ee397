"""`invest-kainuu init-region FILE`: checking a region file, storing it, and reading the
stored region back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import cli
from app.db.models import Industry, Municipality, MunicipalityFacts, ReferencePoint, Region
from app.db.session import make_engine
from app.domain.errors import ValidationFailed
from app.domain.region import parse_region
from app.services.region import current_region, init_region, load_region_file
from app.settings import get_settings
from tests.factories import Factory
from tests.region.conftest import region_path

BROKEN = """
code: "15"
slug: broken
name: {fi: Rikki, en: Broken}
public_domain: invest.example.fi
branding:
  portal_name: {fi: Rikki, en: Broken}
  council_name: {fi: Liitto, en: Council}
  primary_colour: blue
area:
  bounding_box: {min_lat: 63, max_lat: 62, min_lon: 21, max_lon: 23}
municipalities:
  - {code: "905", slug: vaasa, name: {fi: Vaasa, sv: Vasa, en: Vaasa}}
  - {code: "9x5", slug: vasa, name: {fi: Vaasa, en: Vaasa}}
"""

REPEATED = (region_path("ostrobothnia").read_text(encoding="utf-8")).replace(
    "code: '499'", "code: '905'"
)


def test_both_shipped_files_are_valid() -> None:
    kainuu = load_region_file(region_path("kainuu"))
    ostrobothnia = load_region_file(region_path("ostrobothnia"))
    assert (kainuu.code, len(kainuu.municipalities)) == ("18", 8)
    assert (ostrobothnia.code, len(ostrobothnia.municipalities)) == ("15", 15)
    assert {"905", "499", "598", "287", "893", "545", "231", "399"} <= {
        m.code for m in ostrobothnia.municipalities
    }
    vaasa = next(m for m in ostrobothnia.municipalities if m.code == "905")
    assert (vaasa.name["fi"], vaasa.name["sv"]) == ("Vaasa", "Vasa")
    # Each region's town centres lie in its own area, and not in the other's.
    for here, there in ((kainuu, ostrobothnia), (ostrobothnia, kainuu)):
        for point in here.reference_points:
            if point.kind == "town_centre":
                assert here.area.contains(point.latitude, point.longitude), point.code
                assert not there.area.contains(point.latitude, point.longitude), point.code


def test_a_broken_file_is_refused_with_the_path_of_every_error() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_region(BROKEN)
    paths = {error.field for error in refused.value.errors}
    assert {
        "branding.primary_colour",
        "area.bounding_box",
        "municipalities.1.code",
        "municipalities.1.name",
    } <= paths


def test_references_within_the_file_are_checked_by_path() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_region(REPEATED)
    paths = {error.field for error in refused.value.errors}
    assert "municipalities.13.code" in paths  # Vaasa repeats the code 499 became
    # Mustasaari's town centre now names a municipality the file lacks.
    assert any(p.startswith("reference_points.") and p.endswith(".municipality") for p in paths)


def test_cli_reports_the_errors_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "region.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert cli.main(["init-region", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "branding.primary_colour:" in err and "municipalities.1.code:" in err
    assert cli.main(["init-region", str(tmp_path / "missing.yaml")]) == 2
    assert "Cannot read" in capsys.readouterr().err


def test_init_region_stores_ostrobothnia_over_kainuu(db: Session, factory: Factory) -> None:
    # A site in Kajaani keeps its municipality when the region changes.
    factory.site(municipality="205", status="draft")
    changes = init_region(db, region_path("ostrobothnia"))

    assert changes.added["municipalities"] == 15
    assert changes.kept == ["205 Kajaani"]
    assert "765 Sotkamo" in changes.removed
    assert "industry mining_chemicals" in changes.deactivated
    summary = changes.summary()
    assert summary.startswith("Region 15 Ostrobothnia stored.")
    assert "Kept, as records name them (no longer in the file): 205 Kajaani." in summary

    row = db.get(Region, 1)
    assert row is not None and (row.code, row.default_language) == ("15", "sv")
    region = current_region(db)
    assert region.display_name("sv") == "Österbotten"
    assert region.area.contains(63.096, 21.616)  # Vaasa
    assert not region.area.contains(64.227, 27.729)  # Kajaani
    vaasa = db.get(Municipality, "905")
    assert vaasa is not None and (vaasa.name("sv"), vaasa.region_code) == ("Vasa", "15")
    assert db.get(Municipality, "765") is None
    energy = db.get(Industry, "energy_technology")
    assert energy is not None and energy.name("sv") == "Energiteknologi"
    assert db.get(MunicipalityFacts, "905") is not None
    airport = db.get(ReferencePoint, "airport-vaasa")
    assert airport is not None and airport.name("sv") == "Vasa flygplats (VAA)"
    active_points = db.scalars(select(ReferencePoint.code).where(ReferencePoint.active))
    assert "airport-kajaani" not in set(active_points)


def test_init_region_again_updates_and_keeps_edits_it_does_not_name(db: Session) -> None:
    kajaani = db.get(Municipality, "205")
    assert kajaani is not None
    kajaani.contact_email = "yritys@example.fi"  # the file names no contact
    kajaani.name_en = "Old name"
    db.commit()
    changes = init_region(db, region_path("kainuu"))
    assert changes.added == {} and changes.updated["municipalities"] == 8
    assert changes.removed == changes.kept == changes.deactivated == []
    db.refresh(kajaani)
    assert (kajaani.name_en, kajaani.contact_email) == ("Kajaani", "yritys@example.fi")


def test_the_stored_region_is_read_again_after_a_change(db: Session) -> None:
    before = current_region(db)
    assert current_region(db) is before  # cached while the row is unchanged
    init_region(db, region_path("ostrobothnia"))
    assert current_region(db).code == "15"


def test_region_file_setting_chooses_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.services.region import default_region_file

    monkeypatch.setenv("REGION_FILE", str(region_path("ostrobothnia")))
    get_settings.cache_clear()
    try:
        assert default_region_file() == region_path("ostrobothnia")
    finally:
        get_settings.cache_clear()


def test_migrate_seeds_the_default_then_init_region_replaces_it(
    scratch_database: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", scratch_database)
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setenv("ENVIRONMENT", "development")
    get_settings.cache_clear()
    engine = make_engine(scratch_database)
    try:
        assert cli.main(["migrate"]) == 0
        with Session(engine) as db:
            assert current_region(db).code == "18"
        assert cli.main(["init-region", str(region_path("ostrobothnia"))]) == 0
        out = capsys.readouterr().out
        assert "Region 15 Ostrobothnia stored." in out and "15 municipalities" in out
        with Session(engine) as db:
            assert current_region(db).code == "15"
            codes = set(db.scalars(select(Municipality.code)))
        assert codes == {
            m.code for m in load_region_file(region_path("ostrobothnia")).municipalities
        }
        # Once a region is stored, `migrate` leaves it be.
        assert cli.main(["migrate"]) == 0
        with Session(engine) as db:
            assert current_region(db).code == "15"
    finally:
        engine.dispose()
        get_settings.cache_clear()
