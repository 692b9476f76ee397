"""The public portal's use cases: what each page shows, its content version for
caching, and the inquiry that becomes a lead.

Visitors are anonymous. What they may see comes from the sites service's public
functions (`sites_public` in scope.py) and the targets service's aggregate-only
progress; an inquiry runs as the system actor through the pipeline's own rules.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import ScalarSelect, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    Contact,
    Industry,
    InvestmentTarget,
    Lead,
    LeadShare,
    Municipality,
    MunicipalityFacts,
    Organization,
    PortalRateCounter,
    ReferencePoint,
    ResponseCommitment,
    Site,
    Stage,
    User,
)
from app.db.models.region import Region as RegionRow  # `Region` here is the page data
from app.domain import notifications as notices
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.errors import DomainError, NotFound
from app.domain.geography import PointKind
from app.domain.leads import InvestmentType, LeadSource, Priority
from app.domain.organizations import (
    COUNTRY_CODES,
    LawfulBasis,
    MatchRule,
    clean_contact_fields,
    clean_organization_fields,
    default_retention,
)
from app.domain.portal import (
    CONFIRMATION_REFERENCE,
    INQUIRY_MESSAGE_ORIGIN,
    MAX_RADIUS_KM,
    NAME_WITHHELD,
    PAGE_SIZE,
    PRIVACY_NOTICE_VERSION,
    Inquiry,
    SiteSearch,
    clean_inquiry,
    inquiry_lead_title,
    inquiry_source,
)
from app.domain.region import RegionDefinition
from app.domain.shortlist import Shortlist
from app.i18n import (
    N_,
    babel_locale,
    country_name,
    format_eur,
    is_ui_language,
    label,
    localized,
    register_labels,
    translate,
)
from app.services import geography, intake, notifications
from app.services import region as region_service
from app.services import sites as site_service
from app.services.audit import redact
from app.services.leads import LeadLinks, add_lead, validate_new_lead
from app.services.mail import queue_email
from app.services.organizations import contact_duplicates, industry_codes, organization_duplicates
from app.services.targets import PublicProgress, public_progress
from app.settings import Settings

register_labels(
    "inquiry_timeline",
    {
        "within_6_months": N_("Within 6 months"),
        "6_to_12_months": N_("In 6–12 months"),
        "1_to_2_years": N_("In 1–2 years"),
        "later": N_("Later"),
        "open": N_("Not decided yet"),
    },
)


# --- reference data and caching --------------------------------------------------------


@dataclass(frozen=True)
class Region:
    # The region itself: its names, area and branding (app/domain/region.py).
    definition: RegionDefinition
    municipalities: list[Municipality]
    industries: list[Industry]
    # The working days the portal promises an answer in (see `answer_working_days`).
    answer_days: int
    # The active reference points (distances name them; town centres centre a search)
    # and the municipalities' key facts.
    points: list[ReferencePoint] = field(default_factory=list)
    facts: list[MunicipalityFacts] = field(default_factory=list)
    # Every industry's parent, inactive ones included: a search by a main industry
    # finds the sites of all its branches.
    industry_parents: dict[str, str | None] = field(default_factory=dict)

    # Site cards look a municipality and industries up by code, many per page.
    _municipality_by_code: dict[str, Municipality] = field(init=False, repr=False, compare=False)
    _industry_by_code: dict[str, Industry] = field(init=False, repr=False, compare=False)
    points_by_code: dict[str, ReferencePoint] = field(init=False, repr=False, compare=False)
    facts_by_municipality: dict[str, MunicipalityFacts] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_code = {m.code: m for m in self.municipalities}
        object.__setattr__(self, "_municipality_by_code", by_code)
        object.__setattr__(self, "_industry_by_code", {i.code: i for i in self.industries})
        object.__setattr__(self, "points_by_code", {p.code: p for p in self.points})
        by_municipality = {f.municipality_code: f for f in self.facts}
        object.__setattr__(self, "facts_by_municipality", by_municipality)

    def municipality(self, code: str | None) -> Municipality | None:
        return self._municipality_by_code.get(code) if code else None

    def industry(self, code: str | None) -> Industry | None:
        return self._industry_by_code.get(code) if code else None

    @property
    def towns(self) -> list[ReferencePoint]:
        return [p for p in self.points if p.kind == PointKind.TOWN_CENTRE.value]

    @property
    def town_codes(self) -> list[str]:
        """What a search's `near` may name: a town centre, or a municipality that has one."""
        return [t.code for t in self.towns] + [
            t.municipality_code for t in self.towns if t.municipality_code
        ]

    def town(self, near: str | None) -> ReferencePoint | None:
        return next((t for t in self.towns if near in (t.code, t.municipality_code)), None)

    def centre(self, search: SiteSearch) -> tuple[float, float, float] | None:
        """The search's circle (latitude, longitude, km), when it has a centre."""
        radius = float(search.radius_km or MAX_RADIUS_KM)
        town = self.town(search.near)
        if town is not None:
            return town.latitude, town.longitude, radius
        if search.lat is not None and search.lon is not None:
            return float(search.lat), float(search.lon), radius
        return None

    @property
    def main_industries(self) -> list[Industry]:
        return [i for i in self.industries if i.parent_code is None]

    def branches(self, code: str) -> list[Industry]:
        return [i for i in self.industries if i.parent_code == code]

    def branch_codes(self, code: str) -> tuple[str, ...]:
        return tuple(branch for branch, parent in self.industry_parents.items() if parent == code)


def region(db: Session) -> Region:
    """The region, its municipalities and active key industries in display order, and
    the answer time the portal promises.
    The records are detached from the session, so that pages of the same content
    version may share them."""
    municipalities = list(db.scalars(select(Municipality).order_by(Municipality.name_fi)))
    industries = list(db.scalars(select(Industry).order_by(Industry.sort_order, Industry.code)))
    points = geography.active_points(db)
    facts = geography.all_facts(db)
    for record in (*municipalities, *industries, *points, *facts):
        db.expunge(record)
    return Region(
        region_service.current_region(db),
        municipalities,
        [i for i in industries if i.active],
        answer_working_days(db),
        points,
        facts,
        {i.code: i.parent_code for i in industries},
    )


def content_version(db: Session, *, with_progress: bool = False) -> str:
    """A fingerprint of everything public pages show, from one statement: it changes when
    a site's public content, the region, a municipality, an industry (or, for pages that show the
    target progress, a lead or target) changes."""
    parts: list[ScalarSelect[Any]] = [
        select(func.max(Site.public_changed_at)).scalar_subquery(),
        select(func.max(Municipality.updated_at)).scalar_subquery(),
        select(func.max(Industry.updated_at)).scalar_subquery(),
        # Distances and key facts shown on site and municipality pages.
        select(func.max(ReferencePoint.updated_at)).scalar_subquery(),
        select(func.max(MunicipalityFacts.updated_at)).scalar_subquery(),
        # The pages promise an answer within the normal priority's commitment.
        select(func.max(ResponseCommitment.updated_at)).scalar_subquery(),
        # The region's names and branding (the administrator's edits).
        select(func.max(RegionRow.updated_at)).scalar_subquery(),
    ]
    if with_progress:
        parts += [
            select(func.max(Lead.updated_at)).scalar_subquery(),
            select(func.max(InvestmentTarget.updated_at)).scalar_subquery(),
        ]
    row = db.execute(select(*parts)).one()
    return "|".join("" if value is None else str(value) for value in row)


def answer_working_days(db: Session) -> int:
    """The working days the portal promises an answer in: the commitment for an inquiry
    of normal priority (screening may raise it; the acknowledgement says the date)."""
    return intake.commitments(db)[Priority.NORMAL.value]


# --- pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePage:
    region: Region
    featured: list[site_service.SiteCard]
    site_total: int
    sites_by_municipality: dict[str, int]
    sites_by_industry: dict[str, int]
    progress: PublicProgress | None


def _filters(
    search: SiteSearch,
    *,
    limit: int = PAGE_SIZE,
    reg: Region | None = None,
    today: date | None = None,
) -> site_service.PublicSiteFilters:
    """The sites service's filters of a search; `reg` resolves a town centre, `today`
    is the day "available now" means."""
    return site_service.PublicSiteFilters(
        municipality_code=search.municipality,
        industry_code=search.industry,
        industry_branches=(
            reg.branch_codes(search.industry) if reg is not None and search.industry else None
        ),
        kind=search.kind,
        min_area_ha=search.min_area_ha,
        max_area_ha=search.max_area_ha,
        min_power_mw=search.min_power_mw,
        rail_siding=search.rail,
        zoning_status=search.zoning,
        q=search.q,
        available_on=today if search.available else None,
        near=reg.centre(search) if reg is not None else None,
        sort=search.sort,
        limit=limit,
        offset=search.offset,
    )


def _industry_total(counts: Mapping[str, int], reg: Region, code: str) -> int:
    """Sites of an industry and its branches (a site may count under two branches)."""
    return counts.get(code, 0) + sum(counts.get(b.code, 0) for b in reg.branches(code))


def home_page(db: Session, settings: Settings, reg: Region, today: date) -> HomePage:
    featured, total = site_service.public_site_cards(
        db, settings, site_service.PublicSiteFilters(limit=6), today=today
    )
    by_municipality, by_industry = site_service.public_site_counts(db, settings, today=today)
    by_main = {i.code: _industry_total(by_industry, reg, i.code) for i in reg.main_industries}
    return HomePage(reg, featured, total, by_municipality, by_main, public_progress(db, today))


@dataclass(frozen=True)
class SearchPage:
    region: Region
    search: SiteSearch
    sites: list[site_service.SiteCard]
    total: int
    points: list[site_service.PublicSitePoint]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


# Up to this many results the map shows them all; beyond, the sites of the page shown.
MAP_POINTS_MAX = 100


def _page_points(rows: list[site_service.SiteCard]) -> list[site_service.PublicSitePoint]:
    return [
        site_service.PublicSitePoint(
            p.site.slug, p.site.name_fi, p.site.name_en, p.site.latitude, p.site.longitude
        )
        for p in rows
        if p.site.latitude is not None and p.site.longitude is not None
    ]


def _map_points(
    db: Session,
    settings: Settings,
    search: SiteSearch,
    rows: list[site_service.SiteCard],
    total: int,
    today: date,
    reg: Region | None = None,
) -> list[site_service.PublicSitePoint]:
    if total > MAP_POINTS_MAX or total == len(rows):
        return _page_points(rows)
    return site_service.public_site_points(
        db,
        settings,
        _filters(search, reg=reg, today=today),
        limit=MAP_POINTS_MAX,
        today=today,
    )


def search_page(
    db: Session, settings: Settings, reg: Region, search: SiteSearch, today: date
) -> SearchPage:
    """A page of search results; `reg` is the region the search was parsed against."""
    filters = _filters(search, reg=reg, today=today)
    rows, total = site_service.public_site_cards(db, settings, filters, today=today)
    return SearchPage(
        reg, search, rows, total, _map_points(db, settings, search, rows, total, today, reg)
    )


@dataclass(frozen=True)
class SitePage:
    region: Region
    public: site_service.PublicSite
    municipality: Municipality


def site_page(db: Session, settings: Settings, reg: Region, slug: str, today: date) -> SitePage:
    """A site on the portal; `NotFound` when the slug was never public."""
    public = site_service.public_site(db, settings, slug, today=today)
    municipality = reg.municipality(public.site.municipality_code)
    if municipality is None:  # a foreign key guarantees it; keeps the type honest
        raise NotFound("No such municipality.")
    return SitePage(reg, public, municipality)


def gone_site(db: Session, settings: Settings, slug: str, today: date) -> Site | None:
    """The site behind a slug that has left the portal, for a 410 page."""
    return site_service.former_public_site(db, settings, slug, today=today)


@dataclass(frozen=True)
class MunicipalityPage:
    region: Region
    municipality: Municipality
    sites: list[site_service.SiteCard]
    total: int
    points: list[site_service.PublicSitePoint]


def municipality_page(
    db: Session, settings: Settings, reg: Region, code: str, today: date
) -> MunicipalityPage:
    municipality = reg.municipality(code)
    if municipality is None:
        raise NotFound("No such municipality.")
    search = SiteSearch(municipality=code)
    rows, total = site_service.public_site_cards(
        db, settings, _filters(search, limit=50), today=today
    )
    points = _map_points(db, settings, search, rows, total, today)
    return MunicipalityPage(reg, municipality, rows, total, points)


@dataclass(frozen=True)
class IndustryPage:
    region: Region
    industry: Industry
    sites: list[site_service.SiteCard]
    total: int


def industry_page(
    db: Session, settings: Settings, reg: Region, code: str, today: date
) -> IndustryPage:
    industry = reg.industry(code)
    if industry is None:
        raise NotFound("No such key industry.")
    search = SiteSearch(industry=code)
    rows, total = site_service.public_site_cards(
        db, settings, _filters(search, limit=50, reg=reg), today=today
    )
    return IndustryPage(reg, industry, rows, total)


@dataclass(frozen=True)
class SitemapData:
    municipality_codes: list[str]
    industry_codes: list[str]
    sites: list[tuple[str, datetime | None]]


def sitemap(db: Session, settings: Settings, reg: Region, today: date) -> SitemapData:
    return SitemapData(
        [m.code for m in reg.municipalities],
        [i.code for i in reg.industries],
        site_service.public_site_index(db, settings, today=today),
    )


@dataclass(frozen=True)
class RegionalTeam:
    """The regional investment team's contact on every site page (settings)."""

    name: str | None
    email: str | None
    phone: str | None


def regional_team(settings: Settings) -> RegionalTeam:
    return RegionalTeam(
        settings.coordinator_name, settings.coordinator_email, settings.coordinator_phone
    )


def inquiry_sites(
    db: Session, settings: Settings, shortlist: Shortlist, today: date
) -> list[site_service.PublicSite]:
    """The sites an inquiry is about (one site, or a shortlist), those on the portal."""
    return site_service.public_sites_by_slug(db, settings, shortlist.slugs, today=today)


# --- rate limiting -----------------------------------------------------------------------


def _bucket(settings: Settings, scope: str, client: str) -> str:
    """A keyed hash of the client address: counters never store an IP address."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"{scope}:{client}".encode(), hashlib.sha256).hexdigest()


def _window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The fixed window `now` falls in: its start and its end."""
    window = settings.portal_inquiry_window_minutes * 60
    start = datetime.fromtimestamp(int(now.timestamp()) // window * window, UTC)
    return start, start + timedelta(seconds=window)


def count_request(
    db: Session,
    settings: Settings,
    scope: str,
    client: str,
    now: datetime,
    *,
    commit: bool = True,
) -> int:
    """Count one request of `client` in the current fixed window and return the window's
    count so far. With `commit=False` the count belongs to the caller's transaction (and
    its row stays locked until then, so concurrent requests are counted one by one)."""
    start, _end = _window(settings, now)
    values = {"bucket": _bucket(settings, scope, client), "window_start": start, "hits": 1}
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(PortalRateCounter)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": PortalRateCounter.hits + 1},
        )
        .returning(PortalRateCounter.hits)
    )
    hits = int(db.execute(statement).scalar_one())
    if commit:
        db.commit()
    return hits


class TooManyRequests(DomainError):
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        # Seconds until the client's window ends and it may send again.
        self.retry_after = retry_after


def _take_inquiry_slot(db: Session, settings: Settings, client: str, now: datetime) -> None:
    """Count an accepted inquiry in the caller's transaction; refuse it (and undo the
    count) when the client's window is full. Only accepted inquiries count: a form sent
    back with errors, too fast or by a bot uses up nothing."""
    if count_request(db, settings, "inquiry", client, now, commit=False) > (
        settings.portal_inquiry_limit
    ):
        db.rollback()
        _start, end = _window(settings, now)
        raise TooManyRequests(
            "Too many inquiries from your address. Please try again later.",
            retry_after=max(1, math.ceil((end - now).total_seconds())),
        )


def purge_rate_counters(db: Session, settings: Settings) -> int:
    """Drop counters of windows that ended more than a day ago (scheduled)."""
    cutoff = (
        utcnow() - timedelta(minutes=settings.portal_inquiry_window_minutes) - timedelta(days=1)
    )
    result = db.execute(delete(PortalRateCounter).where(PortalRateCounter.window_start < cutoff))
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


# --- the inquiry -------------------------------------------------------------------------


def validate_inquiry(values: Mapping[str, str], lang: str) -> Inquiry:
    return clean_inquiry(values, COUNTRY_CODES, lang)


def _organization(db: Session, inquiry: Inquiry) -> Organization:
    """The stored organisation with the same normalised name, else a new one."""
    for org, rule in organization_duplicates(db, inquiry.organization, None):
        if rule is MatchRule.NAME:
            return org
    cleaned = clean_organization_fields(
        {"name": inquiry.organization, "type": "company", "country": inquiry.country},
        industry_codes(db),
        creating=True,
    )
    org = Organization(**cleaned)
    db.add(org)
    db.flush()
    return org


def _contact(db: Session, inquiry: Inquiry, org: Organization, now: datetime) -> Contact:
    """The person, with their consent to this notice version; an earlier contact with
    the same e-mail is reused and its consent renewed."""
    today = now.date()
    consent = {
        "lawful_basis": LawfulBasis.CONSENT.value,
        "consent_text_version": f"portal-privacy-{PRIVACY_NOTICE_VERSION}",
        "consent_given_at": now,
    }
    for contact, rule in contact_duplicates(db, inquiry.email, None, None):
        if rule is MatchRule.EMAIL and contact.erased_at is None:
            for name, value in consent.items():
                setattr(contact, name, value)
            contact.retention_until = max(
                contact.retention_until or today, default_retention(today)
            )
            if contact.organization_id is None:
                contact.organization_id = org.id
            return contact
    cleaned = clean_contact_fields(
        {
            "full_name": inquiry.full_name,
            "email": inquiry.email,
            "language": inquiry.language,
            "source": inquiry_source(region_service.current_region(db).portal_name("en")),
            **consent,
        },
        creating=True,
        today=today,
    )
    contact = Contact(**cleaned, organization_id=org.id)
    db.add(contact)
    db.flush()
    return contact


LEGAL_FORMS = ("oy", "oyj", "ab", "abp", "as", "asa", "ltd", "plc", "gmbh", "ag", "inc", "llc")


def _names_in(inquiry: Inquiry) -> list[str]:
    """What names the sender and the investor: withheld from the lead's own fields. The
    company also without its legal form ("Nordic Compute AB" and "Nordic Compute")."""
    names = [inquiry.organization, inquiry.full_name, inquiry.email]
    words = inquiry.organization.replace(",", " ").split()
    if len(words) > 1 and words[-1].rstrip(".").casefold() in LEGAL_FORMS:
        names.append(" ".join(words[:-1]))
    return names


def _description(inquiry: Inquiry, sites: Sequence[Site], portal_name: str) -> str:
    """The message, with the investor's and the sender's names withheld (the original is
    kept on the contact, in the coordinator's register)."""
    message = redact(inquiry.message, _names_in(inquiry), NAME_WITHHELD) or ""
    lines = [message, "", f"— Sent through the {portal_name} portal"]
    for site in sites:
        lines.append(f"Site: {site.name_fi} ({site.slug})")
    # Stored once for every reader: the labels, not the codes, of the choices made.
    if inquiry.timeline:
        lines.append(f"Timeline: {label('en', 'inquiry_timeline', inquiry.timeline)}")
    language = Locale.parse("en").languages.get(inquiry.language, inquiry.language)
    lines.append(f"Language: {language}")
    return "\n".join(lines)


def _coordinator_addresses(db: Session, settings: Settings) -> list[str]:
    if settings.coordinator_email:
        return [settings.coordinator_email]
    query = (
        select(User.email)
        .where(User.role == Role.COORDINATOR.value, User.is_active)
        .order_by(User.email)
    )
    return list(db.scalars(query))


def submit_inquiry(
    db: Session,
    settings: Settings,
    inquiry: Inquiry,
    *,
    sites: Sequence[site_service.PublicSite] = (),
    client: str | None = None,
    now: datetime | None = None,
) -> Lead:
    """The inquiry becomes a new lead (stage identified, source portal inquiry) with its
    organisation and contact, the sites it is about (one, or a shortlist) as candidate
    sites, shared with each of their municipalities; the coordinator is notified and the
    investor gets a confirmation — all in one transaction, as the system actor. With
    `client`, the inquiry counts against that client's rate limit (`TooManyRequests`
    when the window is full: nothing is stored)."""
    now = now or utcnow()
    if client is not None:
        _take_inquiry_slot(db, settings, client, now)
    # Stored texts are written in English, for every reader of the record alike.
    portal_name = region_service.current_region(db).portal_name("en")
    about = [item.site for item in sites]
    municipality_codes = list(dict.fromkeys(site.municipality_code for site in about))
    # A Finnish investor's new plant is domestic capital; the coordinator refines it.
    kind = (
        InvestmentType.CAPITAL_INVESTMENT
        if inquiry.country == "FI"
        else InvestmentType.GREENFIELD_FDI
    )
    # The industry only when every site suits that one alone.
    suited = {tuple(item.industry_codes) for item in sites}
    single = len(suited) == 1 and len(next(iter(suited))) == 1
    industry_code = next(iter(suited))[0] if single else None
    industry = db.get(Industry, industry_code) if industry_code else None
    municipality = db.get(Municipality, municipality_codes[0]) if municipality_codes else None
    values: dict[str, object] = {
        # Neutral: what and where, never who (see inquiry_lead_title).
        "title": inquiry_lead_title(
            industry.name_en if industry else None,
            municipality.name_fi if municipality and len(municipality_codes) == 1 else None,
        ),
        "description": _description(inquiry, about, portal_name),
        "investment_type": kind.value,
        "origin_country": inquiry.country,
        "capex_eur": inquiry.capex_eur,
        "jobs": inquiry.jobs,
        "source": LeadSource.PORTAL_INQUIRY.value,
        "municipality_codes": municipality_codes,
    }
    if industry_code is not None:
        values["industry_code"] = industry_code
    bind_actor(db, SYSTEM_ACTOR)
    org = _organization(db, inquiry)
    contact = _contact(db, inquiry, org, now)
    links = LeadLinks(
        organization_id=org.id,
        contact_ids=[contact.id],
        site_ids=[site.id for site in about],
    )
    cleaned = validate_new_lead(db, SYSTEM_ACTOR, values, links)
    lead = add_lead(db, SYSTEM_ACTOR, cleaned, links, now=now)
    # The sender's own words, names and all, stay with the person in the CRM register
    # (erased with them); the lead carries them with the names withheld.
    db.add(
        Activity(
            kind="note",
            subject="Portal inquiry message",
            body=inquiry.message,
            contact_id=contact.id,
            occurred_at=now,
            origin_type=INQUIRY_MESSAGE_ORIGIN,
            origin_id=str(lead.id),
        )
    )
    recipients = _coordinator_addresses(db, settings)
    notifications.notify(
        db, notices.inquiry_arrived(lead_id=lead.id, already_emailed=frozenset(recipients))
    )
    for code in municipality_codes:
        names = ", ".join(site.name_fi for site in about if site.municipality_code == code)
        share = LeadShare(
            lead_id=lead.id,
            municipality_code=code,
            message=f"Inquiry from the {portal_name} portal about {names}.",
        )
        db.add(share)
        db.flush()
        notifications.notify(
            db,
            notices.lead_shared(
                actor_id=None,
                lead_id=lead.id,
                share_id=share.id,
                municipality_code=code,
                organization_id=None,
                message=None,
            ),
        )
    if recipients:
        queue_inquiry_notice(db, settings, lead, inquiry, about, recipients)
    queue_inquiry_confirmation(db, settings, lead, inquiry, about)
    db.commit()
    return lead


INQUIRY_NOTICE_SUBJECT = N_("New portal inquiry: %(code_name)s")
INQUIRY_GENERAL = N_("a general inquiry")
INQUIRY_NOTICE_BODY = N_(
    "A new inquiry came in through the %(portal)s portal.\n\n"
    "Lead: %(code_name)s (stage: %(stage)s)\n"
    "Organisation: %(organization)s (%(country)s)\n"
    "About: %(about)s\n\n"
    "Open the lead: %(link)s"
)


def queue_inquiry_notice(
    db: Session,
    settings: Settings,
    lead: Lead,
    inquiry: Inquiry,
    sites: Sequence[Site],
    recipients: list[str],
) -> None:
    # One message in the language of the recipients, or in both when it is not known
    # (the shared mailbox) or they differ.
    known: dict[str, str] = {
        email: lang
        for email, lang in db.execute(
            select(User.email, User.language).where(User.email.in_(recipients))
        )
    }
    spoken = {known[r] for r in recipients if r in known}
    languages = sorted(spoken) if len(known) == len(set(recipients)) and len(spoken) == 1 else []
    languages = languages or ["fi", "en"]
    stage = db.get(Stage, lead.stage_code)
    region = region_service.current_region(db)

    def text(lang: str) -> str:
        names = [(site.name_en or site.name_fi) if lang == "en" else site.name_fi for site in sites]
        about = ", ".join(names) or translate(lang, INQUIRY_GENERAL)
        return translate(
            lang,
            INQUIRY_NOTICE_BODY,
            portal=region.portal_name(lang),
            code_name=lead.code_name,
            stage=localized(stage, "name", lang) if stage else "–",
            organization=inquiry.organization,
            country=country_name(inquiry.country, lang),
            about=about,
            link=f"{settings.base_url}/leads/{lead.id}",
        )

    subject = " / ".join(
        translate(lang, INQUIRY_NOTICE_SUBJECT, code_name=lead.code_name) for lang in languages
    )
    body = "\n\n---\n\n".join(text(lang) for lang in languages)
    queue_email(
        db,
        to=recipients,
        subject=subject,
        body_text=body,
        reference=f"inquiry:{lead.id}",
    )


def _quoted(text: str) -> list[str]:
    """The sender's own words as a plain-text quote: control characters (other than
    line breaks and tabs) dropped, each line marked with "> "."""
    clean = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return [f"> {line}".rstrip() for line in clean.splitlines()] or [">"]


def confirmation_text(
    settings: Settings,
    region: RegionDefinition,
    inquiry: Inquiry,
    sites: Sequence[Site],
    ack: intake.Acknowledgement | None,
) -> tuple[str, str]:
    """The investor's acknowledgement in the language of the portal they used: their
    reference, what happens next, whom they hear from (the owner screening assigned, else
    the regional team) and by when, and a copy of what they sent. Plain text (the outbox
    sends plain text), labels in words, no internal codes."""
    lang = inquiry.language if is_ui_language(inquiry.language) else "en"

    def t(message: str, **values: object) -> str:
        return translate(lang, message, **values)

    portal_name = region.portal_name(lang)

    country = Locale.parse(lang).territories.get(inquiry.country, inquiry.country)
    portal = f"{settings.base_url}/{lang}"
    lines = [
        t(N_("Hello %(name)s,"), name=inquiry.full_name),
        "",
        t(N_("Thank you for your inquiry to %(portal)s. We have received it."), portal=portal_name),
    ]
    if ack is not None:
        lines += [t(N_("Your reference: %(reference)s"), reference=ack.reference)]
    lines += [
        "",
        t(N_("What happens next")),
        t(
            N_(
                "The investment team of %(council)s reads your inquiry. "
                "Where your plans concern a particular municipality, we bring in its contact "
                "person – confidentially."
            ),
            council=region.council_name(lang),
        ),
    ]
    if ack is not None and ack.due_day is not None:
        lines.append(
            t(
                N_("You will get an answer by e-mail by %(date)s at the latest."),
                date=format_date(ack.due_day, format="full", locale=babel_locale(lang)),
            )
        )
    if ack is not None and ack.answerer is not None:
        lines += [
            "",
            t(N_("Who answers: %(name)s, %(portal)s."), name=ack.answerer, portal=portal_name),
        ]
    elif settings.coordinator_email:
        lines += [
            "",
            t(
                N_("Who answers: the %(portal)s regional team, %(email)s."),
                portal=portal_name,
                email=settings.coordinator_email,
            ),
        ]
    else:
        lines += ["", t(N_("Who answers: the %(portal)s regional team."), portal=portal_name)]
    lines += ["", t(N_("A copy of what you sent")), ""]
    copy = [
        (N_("Your name"), inquiry.full_name),
        (N_("Organisation"), inquiry.organization),
        (N_("E-mail"), inquiry.email),
        (N_("Country"), country),
    ]
    for site in sites:
        name = (site.name_en or site.name_fi) if lang == "en" else site.name_fi
        copy.append((N_("Site"), f"{name} ({portal}/sites/{site.slug})"))
    if inquiry.capex_eur is not None:
        copy.append((N_("Planned investment (EUR)"), format_eur(inquiry.capex_eur, lang)))
    if inquiry.jobs is not None:
        copy.append((N_("Jobs"), format_decimal(inquiry.jobs, locale=babel_locale(lang))))
    if inquiry.timeline:
        copy.append((N_("Timeline"), label(lang, "inquiry_timeline", inquiry.timeline)))
    lines += [f"{t(title)}: {value}" for title, value in copy]
    lines += ["", t(N_("Your plans and questions")) + ":", *_quoted(inquiry.message), ""]
    lines += [
        "—",
        t(
            N_(
                "You received this message because this address was given in an inquiry on "
                "the %(portal)s portal. If it was not you, you need not do anything."
            ),
            portal=portal_name,
        ),
        t(N_("How we handle your data: %(url)s"), url=f"{portal}/privacy/{PRIVACY_NOTICE_VERSION}"),
    ]
    subject = t(N_("Thank you for your inquiry – %(portal)s"), portal=portal_name)
    return subject, "\n".join(lines)


def queue_inquiry_confirmation(
    db: Session, settings: Settings, lead: Lead, inquiry: Inquiry, sites: Sequence[Site]
) -> None:
    """Queue the investor's confirmation in the caller's transaction."""
    subject, body = confirmation_text(
        settings,
        region_service.current_region(db),
        inquiry,
        sites,
        intake.acknowledgement(db, lead),
    )
    queue_email(
        db,
        to=[inquiry.email],
        subject=subject,
        body_text=body,
        reference=CONFIRMATION_REFERENCE.format(lead_id=lead.id),
    )
