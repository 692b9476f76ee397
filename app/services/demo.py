"""The demo data set: Kainuu as it looks on first start. Loading it twice changes nothing.

Named companies and projects follow public facts of the Kainuu investment strategy;
everything else, including every person, is invented. Development only.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.fi import ytunnus

from app.db.audit import bind_actor
from app.db.models import (
    Contact,
    Lead,
    LeadMunicipality,
    Municipality,
    Organization,
    ScreeningRule,
    Site,
    SiteIndustry,
    Stage,
    User,
)
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.errors import PermissionDenied
from app.domain.leads import CODE_NAME_WORDS, DEFAULT_STAGES, StageKind
from app.domain.organizations import COUNTRY_CODES, normalise_org_name
from app.domain.portal import clean_inquiry
from app.regions import DEFAULT_REGION_FILE
from app.services import (
    activities,
    aftercare,
    clusters,
    events,
    portal,
    site_revisions,
    sites,
    syndication,
    targets,
)
from app.services.auth import actor_for, hash_password
from app.services.leads import record_stage_change
from app.services.ledger import record_amounts
from app.services.reference import ensure_reference_data
from app.services.region import load_region_file
from app.settings import Settings

DEMO_PASSWORD = "kainuu-demo-2026"  # noqa: S105  (development demo data only)
DEMO_DOMAIN = "invest-kainuu.example"
COORDINATOR_EMAIL = f"koordinaattori@{DEMO_DOMAIN}"

# The demo data is set in the default region: its sites' coordinates lie there.
MUNICIPALITIES = load_region_file(DEFAULT_REGION_FILE).municipalities


@dataclass
class DemoReport:
    added: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1

    def summary(self) -> str:
        added = ", ".join(f"{n} {k}" for k, n in sorted(self.added.items())) or "nothing new"
        lines = [f"Demo data loaded ({added}).", "", f"Demo logins (password: {DEMO_PASSWORD}):"]
        lines += [f"  {role:<18} {email}" for role, email in self.logins]
        return "\n".join(lines)


def _business_id(seed: int) -> str:
    """A checksum-valid business ID in a range kept for demo organisations."""
    base = 9_100_000 + seed * 10
    while True:  # some bases have no valid check digit (remainder 1); take the next
        for digit in range(10):
            if ytunnus.is_valid(f"{base:07d}{digit}"):
                return f"{base:07d}-{digit}"
        base += 1


def _users(db: Session, report: DemoReport, partner_org: Organization) -> dict[str, User]:
    wanted: list[tuple[Role, str, str, str | None, uuid.UUID | None]] = [
        (Role.ADMIN, f"admin@{DEMO_DOMAIN}", "Ylläpitäjä Demo", None, None),
        (Role.COORDINATOR, COORDINATOR_EMAIL, "Kaisa Koordinaattori", None, None),
        (Role.FORUM_VIEWER, f"foorumi@{DEMO_DOMAIN}", "Foorumi Katselija", None, None),
        (Role.PARTNER, f"kumppani@{DEMO_DOMAIN}", "Paula Partner", None, partner_org.id),
    ]
    wanted += [
        (
            Role.MUNICIPAL_CONTACT,
            f"{m.slug}@{DEMO_DOMAIN}",
            f"{m.name['fi']} yhteyshenkilö",
            m.code,
            None,
        )
        for m in MUNICIPALITIES
    ]
    found: dict[str, User] = {}
    password_hash = hash_password(DEMO_PASSWORD)
    for role, email, name, municipality, org_id in wanted:
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                full_name=name,
                role=role.value,
                password_hash=password_hash,
                municipality_code=municipality,
                organization_id=org_id,
            )
            db.add(user)
            report.count("users")
        found[email] = user
        report.logins.append(
            (role.value if not municipality else f"{role.value} {municipality}", email)
        )
    db.flush()
    return found


def _organization(db: Session, report: DemoReport, name: str, **values: object) -> Organization:
    key = normalise_org_name(name)
    org = db.scalar(select(Organization).where(Organization.name_key == key))
    if org is None:
        org = Organization(name=name, name_key=key, **values)
        db.add(org)
        db.flush()
        report.count("organisations")
    return org


# (code name, title, organisation, industry, type, country, capex €, jobs, stage,
#  municipality, source, landed_on)
# Projects that are public knowledge (the investors announced them; approximate demo
# dates): the investor's name may show beside the code name in reports from then on.
ANNOUNCED_LEADS = {
    "Project Kelo": date(2020, 6, 1),  # KaiCell Fibers' biorefinery in Paltamo
    "Project Akku": date(2019, 10, 1),  # Terrafame's battery-chemicals plant in Sotkamo
}

NAMED_LEADS = [
    (
        "Project Kelo",
        "Biorefinery in Paltamo (KaiCell Fibers)",
        "KaiCell Fibers Oy",
        "forest_bioeconomy",
        "greenfield_fdi",
        "FI",
        900_000_000,
        150,
        "negotiation",
        "578",
        "own_prospecting",
        None,
    ),
    (
        "Project Akku",
        "Battery-chemicals plant in Sotkamo (Terrafame)",
        "Terrafame Oy",
        "mining_chemicals",
        "expansion",
        "FI",
        240_000_000,
        200,
        "landed",
        "765",
        "own_prospecting",
        date(2022, 6, 30),
    ),
    (
        "Project Hopea",
        "Silver mine expansion in Sotkamo",
        "Sotkamo Silver AB",
        "mining_chemicals",
        "expansion",
        "SE",
        35_000_000,
        40,
        "landed",
        "765",
        "partner",
        date(2023, 3, 15),
    ),
    (
        "Project Lumi",
        "Supercomputing and AI data centre expansion in Kajaani",
        "CSC – Tieteen tietotekniikan keskus Oy",
        "ict_data_centres",
        "expansion",
        "FI",
        60_000_000,
        30,
        "decision_pending",
        "205",
        "partner",
        None,
    ),
]

SYNTHETIC_INDUSTRIES = [
    "forest_bioeconomy",
    "renewable_energy",
    "food",
    "bio_innovations",
    "tourism",
    "metal_machinery",
    "ict_data_centres",
    "measurement_technology",
    "game_industry",
    "defence_dual_use",
    "mining_chemicals",
]
SYNTHETIC_COUNTRIES = ["DE", "SE", "NO", "US", "JP", "NL", "FR", "KR", "GB", "FI", "DK", "CA"]
SYNTHETIC_TYPES = [
    "greenfield_fdi",
    "expansion",
    "brownfield",
    "business_transfer",
    "capital_investment",
]
SYNTHETIC_SOURCES = ["portal_inquiry", "invest_in_finland", "partner", "event", "own_prospecting"]


def _stage_path(target: str) -> list[str]:
    """The stages a lead walked through to reach `target`, in order."""
    open_codes = [s.code for s in DEFAULT_STAGES if s.kind is StageKind.OPEN]
    if target in open_codes:
        return open_codes[: open_codes.index(target) + 1]
    if target == "landed":
        return [*open_codes, "landed"]
    return [*open_codes[:3], target]


def _add_lead(
    db: Session,
    report: DemoReport,
    *,
    code_name: str,
    created: datetime,
    stage: str,
    owner: User,
    municipality: str,
    **values: object,
) -> None:
    if db.scalar(select(Lead.id).where(Lead.code_name == code_name)) is not None:
        return
    path = _stage_path(stage)
    lead = Lead(
        code_name=code_name, stage_code=path[0], owner_id=owner.id, created_at=created, **values
    )
    if stage == "landed":
        lead.landing_municipality_code = municipality
    db.add(lead)
    db.flush()
    db.add(LeadMunicipality(lead_id=lead.id, municipality_code=municipality))
    step = timedelta(days=21)
    for i, code in enumerate(path):
        record_stage_change(db, lead, code, actor_for(owner), at=created + i * step)
    lead.last_activity_at = lead.stage_changed_at
    record_amounts(db, lead, actor_for(owner), at=created)
    report.count("leads")


def _leads(db: Session, report: DemoReport, owner: User, orgs: dict[str, Organization]) -> None:
    for (
        code_name,
        title,
        org_name,
        industry,
        inv_type,
        country,
        capex,
        jobs,
        stage,
        muni,
        source,
        landed_on,
    ) in NAMED_LEADS:
        _add_lead(
            db,
            report,
            code_name=code_name,
            title=title,
            organization_id=orgs[org_name].id,
            industry_code=industry,
            investment_type=inv_type,
            origin_country=country,
            capex_eur=capex,
            capex_basis="confirmed" if landed_on else "estimated",
            capex_status="realised"
            if landed_on
            else ("announced" if code_name in ANNOUNCED_LEADS else "estimate"),
            announced_on=ANNOUNCED_LEADS.get(code_name),
            confidentiality="public" if code_name in ANNOUNCED_LEADS else "confidential",
            jobs=jobs,
            source=source,
            stage=stage,
            municipality=muni,
            owner=owner,
            landed_on=landed_on,
            created=datetime(2021, 9, 1, 9, tzinfo=UTC),
            expected_decision_on=None if landed_on else date(2026, 6, 30),
        )
    for code_name, announced_on in ANNOUNCED_LEADS.items():
        lead = db.scalar(select(Lead).where(Lead.code_name == code_name))
        if lead is not None and lead.announced_on is None:
            lead.confidentiality, lead.announced_on = "public", announced_on
    rng = random.Random(2022)  # noqa: S311  (fixed seed: the same demo set everywhere)
    stages = [s.code for s in DEFAULT_STAGES]
    words = [w for w in CODE_NAME_WORDS if f"Project {w}" not in {n[0] for n in NAMED_LEADS}]
    for i in range(36):
        stage = stages[i % len(stages)]
        industry = SYNTHETIC_INDUSTRIES[i % len(SYNTHETIC_INDUSTRIES)]
        municipality = MUNICIPALITIES[i % len(MUNICIPALITIES)].code
        capex = rng.choice([2, 5, 8, 12, 20, 35, 50, 80, 120]) * 1_000_000
        created = datetime(2022, 1, 10, 9, tzinfo=UTC) + timedelta(days=29 * i)
        landed_on = (created + timedelta(days=200)).date() if stage == "landed" else None
        _add_lead(
            db,
            report,
            code_name=f"Project {words[i]}",
            title=f"{industry.replace('_', ' ').capitalize()} investment #{i + 1}",
            organization_id=orgs[f"Demo Investor {i % 12 + 1}"].id,
            industry_code=industry,
            investment_type=SYNTHETIC_TYPES[i % len(SYNTHETIC_TYPES)],
            origin_country=SYNTHETIC_COUNTRIES[i % len(SYNTHETIC_COUNTRIES)],
            capex_eur=capex,
            capex_status="realised" if landed_on else "estimate",
            jobs=rng.randint(5, 120),
            source=SYNTHETIC_SOURCES[i % len(SYNTHETIC_SOURCES)],
            stage=stage,
            municipality=municipality,
            owner=owner,
            landed_on=landed_on,
            created=created,
            lost_reason_code="chose_other_country" if stage == "lost" else None,
            expected_decision_on=None if landed_on else date(2026, 1 + i % 12, 1),
        )


# (municipality, external ref, kind, name fi, name en, lat, lon, area ha, power MW,
#  rail, industries, status)
DEMO_SITES = [
    (
        "205",
        "KAJ-RR-01",
        "data_centre",
        "Renforsin Rannan datakeskustontti",
        "Renforsin Ranta data-centre plot",
        64.2180,
        27.6890,
        12.0,
        60.0,
        False,
        ["ict_data_centres"],
        "published",
    ),
    (
        "205",
        "KAJ-RR-02",
        "industrial_plot",
        "Renforsin Rannan teollisuustontti",
        "Renforsin Ranta industrial plot",
        64.2155,
        27.6950,
        6.5,
        10.0,
        True,
        ["metal_machinery", "measurement_technology"],
        "published",
    ),
    (
        "205",
        "KAJ-KK-03",
        "premises",
        "Kajaanin keskustan toimitila",
        "Kajaani city-centre premises",
        64.2270,
        27.7285,
        0.4,
        0.5,
        False,
        ["game_industry", "measurement_technology"],
        "published",
    ),
    (
        "578",
        "PAL-MI-01",
        "industrial_plot",
        "Mieslahden teollisuusalue",
        "Mieslahti industrial area",
        64.3950,
        27.8900,
        80.0,
        120.0,
        True,
        ["forest_bioeconomy", "bio_innovations"],
        "published",
    ),
    (
        "765",
        "SOT-TV-01",
        "industrial_plot",
        "Talvivaaran teollisuusalue",
        "Talvivaara industrial area",
        63.9780,
        28.0300,
        40.0,
        50.0,
        True,
        ["mining_chemicals"],
        "published",
    ),
    (
        "765",
        "SOT-VU-02",
        "tourism",
        "Vuokatin matkailukeskuksen tontti",
        "Vuokatti resort plot",
        64.1400,
        28.2800,
        3.2,
        2.0,
        False,
        ["tourism"],
        "published",
    ),
    (
        "290",
        "KUH-TE-01",
        "industrial_plot",
        "Kuhmon teollisuuskylä",
        "Kuhmo industrial village",
        64.1250,
        29.5200,
        9.0,
        8.0,
        False,
        ["forest_bioeconomy", "metal_machinery"],
        "published",
    ),
    (
        "777",
        "SUO-AM-01",
        "industrial_plot",
        "Ämmänsaaren teollisuusalue",
        "Ämmänsaari industrial area",
        64.8860,
        28.9070,
        15.0,
        12.0,
        False,
        ["food", "metal_machinery"],
        "published",
    ),
    (
        "777",
        "SUO-TU-02",
        "energy",
        "Suomussalmen tuulivoima-alue",
        "Suomussalmi wind-power area",
        64.9500,
        28.6500,
        900.0,
        200.0,
        False,
        ["renewable_energy"],
        "submitted",
    ),
    (
        "105",
        "HYR-UK-01",
        "tourism",
        "Ukkohallan matkailualue",
        "Ukkohalla tourism area",
        64.6000,
        28.1300,
        5.0,
        1.5,
        False,
        ["tourism"],
        "published",
    ),
    (
        "105",
        "HYR-TE-02",
        "industrial_plot",
        "Hyrynsalmen teollisuustontti",
        "Hyrynsalmi industrial plot",
        64.6760,
        28.4940,
        4.0,
        5.0,
        True,
        ["forest_bioeconomy"],
        "draft",
    ),
    (
        "620",
        "PUO-TE-01",
        "industrial_plot",
        "Puolangan teollisuusalue",
        "Puolanka industrial area",
        64.8680,
        27.6700,
        7.5,
        6.0,
        False,
        ["food", "bio_innovations"],
        "published",
    ),
    (
        "697",
        "RIS-TE-01",
        "industrial_plot",
        "Ristijärven yritysalue",
        "Ristijärvi business area",
        64.5060,
        28.2140,
        3.0,
        2.5,
        False,
        ["metal_machinery"],
        "published",
    ),
    (
        "578",
        "PAL-KI-02",
        "energy",
        "Paltamon aurinkovoimala-alue",
        "Paltamo solar-power area",
        64.4060,
        27.8330,
        60.0,
        40.0,
        False,
        ["renewable_energy"],
        "draft",
    ),
]


def _municipal_contacts(db: Session, users: dict[str, User]) -> None:
    """Each municipality's portal contact: its demo contact person, with a title and a
    made-up phone number."""
    for seed in MUNICIPALITIES:
        municipality = db.get(Municipality, seed.code)
        if municipality is None or municipality.contact_name:
            continue
        person = users[f"{seed.slug}@{DEMO_DOMAIN}"]
        municipality.contact_name = person.full_name
        municipality.contact_title_fi = "Elinkeinoasiamies"
        municipality.contact_title_en = "Business development manager"
        municipality.contact_email = person.email
        municipality.contact_phone = f"+358 40 012 0{seed.code}"


# Boundaries of demo sites (GeoJSON, WGS84): Renforsin Ranta's 12 ha as a rectangle.
DEMO_BOUNDARIES = {
    "KAJ-RR-01": {
        "type": "Polygon",
        "coordinates": [
            [
                [27.6854, 64.2165],
                [27.6926, 64.2165],
                [27.6926, 64.2196],
                [27.6854, 64.2196],
                [27.6854, 64.2165],
            ]
        ],
    }
}


def _sites(db: Session, report: DemoReport, users: dict[str, User]) -> None:
    slugs = {m.code: m.slug for m in MUNICIPALITIES}
    today = datetime.now(UTC).date()
    for (
        muni,
        ref,
        kind,
        name_fi,
        name_en,
        lat,
        lon,
        area_ha,
        power,
        rail,
        industries,
        status,
    ) in DEMO_SITES:
        if (
            db.scalar(
                select(Site.id).where(Site.municipality_code == muni, Site.external_ref == ref)
            )
            is not None
        ):
            continue
        contact = users[f"{slugs[muni]}@{DEMO_DOMAIN}"]
        site = Site(
            slug=f"{slugs[muni]}-{ref.lower()}",
            municipality_code=muni,
            external_ref=ref,
            kind=kind,
            status=status,
            name_fi=name_fi,
            name_en=name_en,
            description_fi=f"{name_fi}: asemakaavoitettu alue hyvien yhteyksien päässä.",
            description_en=f"{name_en}: zoned land with good connections.",
            latitude=lat,
            longitude=lon,
            polygon=DEMO_BOUNDARIES.get(ref),
            area_ha=area_ha,
            area_m2=area_ha * 10_000,
            zoning_status="detailed_plan",
            ownership="municipal",
            tenure="sale_or_lease",
            grid_connection=True,
            available_power_mw=power,
            rail_siding=rail,
            fibre=True,
            water_m3_per_day=area_ha * 20,
            district_heat=muni in ("205", "765", "290"),
            airport_km=8.0 if muni == "205" else 60.0,
            road_km=1.5,
            contact_name=contact.full_name,
            contact_email=contact.email,
            last_verified_on=today - timedelta(days=30),
            published_at=datetime.now(UTC) if status == "published" else None,
            created_by_id=contact.id,
        )
        db.add(site)
        db.flush()
        for code in industries:
            db.add(SiteIndustry(site_id=site.id, industry_code=code))
        report.count("sites")


def load_demo_data(db: Session, settings: Settings) -> DemoReport:
    if settings.is_production:
        raise PermissionDenied("Demo data is for development and test databases only.")
    ensure_reference_data(db)
    bind_actor(db, SYSTEM_ACTOR)
    report = DemoReport()
    orgs: dict[str, Organization] = {}
    orgs["Business Finland"] = _organization(
        db, report, "Business Finland", type="partner_agency", country="FI"
    )
    orgs["KaiCell Fibers Oy"] = _organization(
        db,
        report,
        "KaiCell Fibers Oy",
        type="company",
        country="FI",
        industry_code="forest_bioeconomy",
        website="https://www.kaicellfibers.fi",
    )
    orgs["Terrafame Oy"] = _organization(
        db,
        report,
        "Terrafame Oy",
        type="company",
        country="FI",
        industry_code="mining_chemicals",
        website="https://www.terrafame.com",
    )
    orgs["Sotkamo Silver AB"] = _organization(
        db,
        report,
        "Sotkamo Silver AB",
        type="company",
        country="SE",
        industry_code="mining_chemicals",
    )
    orgs["CSC – Tieteen tietotekniikan keskus Oy"] = _organization(
        db,
        report,
        "CSC – Tieteen tietotekniikan keskus Oy",
        type="research_education",
        country="FI",
        industry_code="ict_data_centres",
        website="https://www.csc.fi",
    )
    for i in range(1, 13):
        country = SYNTHETIC_COUNTRIES[i - 1]
        orgs[f"Demo Investor {i}"] = _organization(
            db,
            report,
            f"Demo Investor {i}",
            type="investor" if i % 3 == 0 else "company",
            country=country,
            business_id=_business_id(i) if country == "FI" else None,
            foreign_registry_id=None if country == "FI" else f"DEMO-{country}-{i:04d}",
        )
    users = _users(db, report, orgs["Business Finland"])
    if (
        db.scalar(select(Contact.id).where(Contact.email == f"anna.esimerkki@{DEMO_DOMAIN}"))
        is None
    ):
        db.add(
            Contact(
                organization_id=orgs["Demo Investor 1"].id,
                full_name="Anna Esimerkki",
                email=f"anna.esimerkki@{DEMO_DOMAIN}",
                role_title="Head of Expansion",
                language="en",
                lawful_basis="legitimate_interest",
                source="Demo data",
                retention_until=date(2030, 12, 31),
            )
        )
        report.count("contacts")
    if db.scalar(select(Stage.code).limit(1)) is None:
        raise RuntimeError("reference data missing: run `invest-kainuu migrate` first")
    _leads(db, report, users[COORDINATOR_EMAIL], orgs)
    _municipal_contacts(db, users)
    _sites(db, report, users)
    db.flush()
    for loader in DEMO_EXTENSIONS:
        loader(db, report, settings)
    db.commit()
    return report


def _intake(db: Session, report: DemoReport, settings: Settings) -> None:
    """Screening rules, and portal inquiries whose response clocks show each state."""
    if db.scalar(select(ScreeningRule.id).limit(1)) is not None:
        return
    kajaani = db.scalar(select(User).where(User.email == f"kajaani@{DEMO_DOMAIN}"))
    coordinator = db.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
    db.add_all(
        [
            ScreeningRule(
                name="Large industrial projects",
                position=1,
                capex_min_eur=50_000_000,
                industrial_only=True,
                priority="high",
                owner_id=coordinator.id if coordinator else None,
                owner_action="assign",
            ),
            ScreeningRule(
                name="Data centres in Kajaani",
                position=2,
                industry_codes=["ict_data_centres"],
                municipality_codes=["205"],
                owner_id=kajaani.id if kajaani else None,
                owner_action="suggest",
            ),
        ]
    )
    db.flush()
    report.count("screening rules")
    report.count("screening rules")
    now = datetime.now(UTC)
    for hours, name, country, capex in (
        (100, "Fjord Metals AS", "NO", "80 000 000"),
        (20, "Baltic Foods OÜ", "EE", "4 000 000"),
        (1, "Rhein Compute GmbH", "DE", "150 000 000"),
    ):
        inquiry = clean_inquiry(
            {
                "full_name": "Demo Investor",
                "organization": name,
                "country": country,
                "email": f"inquiry.{country.lower()}@{DEMO_DOMAIN}",
                "message": "We are looking for a site in Kainuu and would like to talk.",
                "capex_eur": capex,
                "consent": "yes",
            },
            COUNTRY_CODES,
            "en",
        )
        portal.submit_inquiry(db, settings, inquiry, now=now - timedelta(hours=hours))
        report.count("leads")


# Business areas add their demo records here; each loader must skip what already exists.
DEMO_EXTENSIONS: list[Callable[[Session, DemoReport, Settings], None]] = [
    sites.load_demo,
    site_revisions.load_demo,
    activities.load_demo,
    targets.load_demo,
    clusters.load_demo,
    events.load_demo,
    syndication.load_demo,
    _intake,
    aftercare.load_demo,
]
