"""The region's demo content, read from `app/regions/<slug>/demo.yaml` beside its
region.yaml: named organisations, leads, sites, clusters, events… A region without the
file still gets the region-neutral demo users and synthetic leads."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from app.domain.events import EventKind, EventStatus
from app.domain.region import RegionDefinition
from app.regions import REGIONS_DIR


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Data):
    fi: str
    en: str


class DemoOrganization(_Data):
    name: str
    type: str
    country: str
    industry: str | None = None
    website: str | None = None


class DemoLead(_Data):
    code_name: str
    title: str
    organization: str
    industry: str
    investment_type: str
    country: str
    capex_eur: int
    jobs: int
    stage: str
    municipality: str
    source: str
    landed_on: date | None = None
    # The investor made the project public: the lead is no longer confidential.
    announced_on: date | None = None


class DemoPhoto(_Data):
    colour: tuple[int, int, int]
    title: Texts


class DemoSite(_Data):
    municipality: str
    ref: str
    kind: str
    name: Texts
    location: tuple[float, float]  # WGS84 latitude, longitude
    area_ha: float
    power_mw: float
    rail_siding: bool
    district_heat: bool
    airport_km: float
    industries: list[str]
    status: str
    boundary: dict[str, Any] | None = None  # GeoJSON
    photo: DemoPhoto | None = None


class DemoLeadShare(_Data):
    municipality: str
    message: str


class DemoClusterMeeting(_Data):
    title: str
    minutes: str
    decisions: str


class DemoCluster(_Data):
    name: str
    description: str
    industries: list[str]
    founded_years_ago: int
    founded_month: int = Field(ge=1, le=12)
    members: list[str] = Field(min_length=1)  # organisation names, the leading one first
    lead_industries: list[str] = []
    meeting: DemoClusterMeeting | None = None


class DemoClusterLink(_Data):
    clusters: tuple[str, str]
    note: str


class DemoEvent(_Data):
    kind: EventKind
    title: str
    status: EventStatus
    days_from_now: int
    location: str
    hosts: list[str] = []
    confidential: bool = False


class DemoSyndicationTarget(_Data):
    municipality: str
    name: str
    url: str


class DemoScreeningRule(_Data):
    name: str
    industries: list[str] = []
    municipalities: list[str] = []
    owner_municipality: str
    owner_action: str


class DemoAftercareAccount(_Data):
    organization: str
    kind: str
    municipality: str
    checkin_months: int
    notes: str
    lead: str | None = None


class DemoCapitalInvestor(_Data):
    name: str
    industries: list[str] = []
    ticket_eur: tuple[int, int]
    stages: list[str]
    countries: list[str]


class DemoData(_Data):
    organizations: list[DemoOrganization] = []
    leads: list[DemoLead] = []
    sites: list[DemoSite] = []
    revised_site: str | None = None
    lead_share: DemoLeadShare | None = None
    clusters: list[DemoCluster] = []
    cluster_links: list[DemoClusterLink] = []
    events: list[DemoEvent] = []
    syndication_target: DemoSyndicationTarget | None = None
    screening_rules: list[DemoScreeningRule] = []
    aftercare_accounts: list[DemoAftercareAccount] = []
    capital_investors: list[DemoCapitalInvestor] = []


def demo_file(region: RegionDefinition) -> Path:
    return REGIONS_DIR / region.slug / "demo.yaml"


def read_demo_data(path: Path) -> DemoData:
    """The demo content of the file, or none when the region has no such file."""
    if not path.is_file():
        return DemoData()
    return DemoData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
