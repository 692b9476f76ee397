"""The demo data set lives in `app/demo`, apart from the production code: no service
imports it (the import cycle through a demo loader cannot come back), its code is the
same for every region, and the region's demo content is data that fits the region."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import app
import app.demo.data
from app.db.models import Industry, Lead, Municipality, Site, User
from app.demo import COORDINATOR_LOGIN, DEMO_PASSWORD, demo_domain, load_demo_data
from app.demo.data import DemoData, demo_file, read_demo_data
from app.regions import DEFAULT_REGION_FILE
from app.services.auth import verify_password
from app.services.region import load_region_file
from app.settings import Settings

APP_DIR = Path(app.__file__).resolve().parent
DEMO_DIR = APP_DIR / "demo"
KAINUU = load_region_file(DEFAULT_REGION_FILE)


def _imported_modules(path: Path) -> set[str]:
    """Every module the file imports, `from app import demo` included as `app.demo`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _imports_demo(path: Path) -> bool:
    return any(m == "app.demo" or m.startswith("app.demo.") for m in _imported_modules(path))


def test_no_service_imports_the_demo_package() -> None:
    services = sorted((APP_DIR / "services").rglob("*.py"))
    assert services
    assert [str(p.relative_to(APP_DIR)) for p in services if _imports_demo(p)] == []


def test_only_the_command_line_imports_the_demo_package() -> None:
    importers = [
        str(path.relative_to(APP_DIR))
        for path in sorted(APP_DIR.rglob("*.py"))
        if DEMO_DIR not in path.parents and _imports_demo(path)
    ]
    assert importers == ["cli.py"]


def _region_words(data: DemoData) -> set[str]:
    """Names of the region's places and companies as its demo content uses them."""
    words = {name.lower() for name in KAINUU.name.values()}
    words |= {event.location.lower() for event in data.events}
    for site in data.sites:
        words |= {site.name.fi.split()[0].lower(), site.name.en.split()[0].lower()}
    words |= {org.name.split()[0].lower() for org in data.organizations}
    words |= {cluster.name.split()[0].lower() for cluster in data.clusters}
    return words


def test_no_region_word_or_coordinate_in_the_demo_code() -> None:
    words = _region_words(read_demo_data(demo_file(KAINUU)))
    assert {"kainuu", "kajaani", "sotkamo", "renforsin"} <= words
    for path in sorted(DEMO_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8").lower()
        assert [w for w in words if w in text] == [], path.name
        # Finland lies between 59° and 71° north and 19° and 32° east.
        coordinates = [
            node.value
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Constant)
            and isinstance(node.value, float)
            and 19 <= node.value <= 71
        ]
        assert coordinates == [], path.name


def test_the_demo_content_names_only_the_stored_municipalities_and_industries(
    db: Session,
) -> None:
    data = read_demo_data(demo_file(KAINUU))
    assert data.sites and data.leads
    municipalities = set(db.scalars(select(Municipality.code)))
    industries = set(db.scalars(select(Industry.code)))
    named_municipalities = (
        {site.municipality for site in data.sites}
        | {lead.municipality for lead in data.leads}
        | {code for event in data.events for code in event.hosts}
        | {a.municipality for a in data.aftercare_accounts}
    )
    named_industries = (
        {code for site in data.sites for code in site.industries}
        | {lead.industry for lead in data.leads}
        | {code for cluster in data.clusters for code in cluster.industries}
        | {code for investor in data.capital_investors for code in investor.industries}
    )
    assert named_municipalities <= municipalities
    assert named_industries <= industries


def test_a_region_without_demo_content_gets_users_and_synthetic_leads(
    db: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.demo.data, "REGIONS_DIR", tmp_path)
    sites_before = db.scalar(select(func.count()).select_from(Site))
    report = load_demo_data(db, settings)
    domain = demo_domain(KAINUU)
    municipalities = list(db.scalars(select(Municipality)))
    for municipality in municipalities:
        contact = db.scalar(select(User).where(User.email == f"{municipality.slug}@{domain}"))
        assert contact is not None
        assert contact.municipality_code == municipality.code
    coordinator = db.scalar(select(User).where(User.email == f"{COORDINATOR_LOGIN}@{domain}"))
    assert coordinator is not None
    assert verify_password(DEMO_PASSWORD, coordinator.password_hash)
    assert report.added["leads"] >= 36
    spread = set(db.scalars(select(Lead.industry_code).where(Lead.owner_id == coordinator.id)))
    assert len(spread) > 5
    assert db.scalar(select(func.count()).select_from(Site)) == sites_before
    assert "sites" not in report.added
