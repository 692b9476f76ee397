"""A planted data set for the need-to-know matrix.

Every confidential value is a unique marker string, registered with the set of roles
entitled to read it. The matrix tests fetch every route as every role and search the
decoded responses for markers the role is not entitled to.

Roles: `anonymous`, `admin`, `coordinator`, `kajaani` (municipal contact of 205),
`sotkamo` (municipal contact of 765), `forum` (annual-forum viewer) and `partner`
(a partner organisation's user). The policy these sets encode is `docs/access.md`.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import (
    Activity,
    AftercareAccount,
    AftercareIssue,
    AftercareLead,
    AftercareVisit,
    CapitalInvestor,
    Cluster,
    ClusterAgreement,
    ClusterLead,
    ClusterLink,
    ClusterMeeting,
    ClusterMeetingAttendee,
    ClusterMember,
    Contact,
    Event,
    EventHost,
    EventItineraryItem,
    EventLead,
    EventParticipant,
    InvestmentTarget,
    Lead,
    LeadContact,
    LeadIntake,
    LeadMunicipality,
    LeadShare,
    LeadSite,
    Notification,
    Organization,
    OutboxEmail,
    ScreeningRule,
    Site,
    SyndicationTarget,
    User,
)
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.intake import deadline, new_reference
from app.domain.organizations import normalise_org_name
from app.services import auth, users
from app.services.auth import actor_for
from app.services.events import issue_feed_token
from app.services.imports import check_upload
from app.services.leads import record_stage_change
from app.services.packages import check_package
from app.services.reports import close_period
from app.services.site_revisions import propose_changes
from app.services.sites import add_attachment, record_change
from app.services.syndication import encrypt, send_test_event
from app.settings import Settings
from app.storage import storage_for
from tests.referrals.planting import plant_referrals

ROLES = ("anonymous", "admin", "coordinator", "kajaani", "sotkamo", "forum", "partner")
STAFF_WIDE = frozenset({"admin", "coordinator"})
PASSWORD = "correct horse battery staple"
TODAY = datetime.now(UTC).date()


@dataclass
class Marker:
    value: str
    what: str
    entitled: frozenset[str]


@dataclass
class RoleCredentials:
    user: User | None
    api_token: str | None = None
    api_token_id: str | None = None
    session_token: str | None = None
    calendar_token: str | None = None


@dataclass
class World:
    markers: list[Marker] = field(default_factory=list)
    roles: dict[str, RoleCredentials] = field(default_factory=dict)
    # Path-parameter values, by parameter name (and, where a name is ambiguous, by
    # the route's area: see `path_values` in the matrix test).
    ids: dict[str, list[str]] = field(default_factory=dict)
    # Planted records by name, for the write matrix ("lead.secret", "site.sotkamo_draft").
    named: dict[str, str] = field(default_factory=dict)

    def mark(self, what: str, *entitled: str) -> str:
        value = f"zq{secrets.token_hex(5)}"
        unknown = set(entitled) - set(ROLES)
        assert not unknown, unknown
        self.markers.append(Marker(value, what, frozenset(entitled)))
        return value

    def add_id(self, name: str, value: Any) -> None:
        self.ids.setdefault(name, []).append(str(value))

    def name(self, key: str, value: Any) -> None:
        assert key not in self.named, key
        self.named[key] = str(value)


def _user(db: Session, world: World, key: str, role: Role, **binding: Any) -> User:
    # The regional team's addresses are how everyone reaches it (invitations, handoffs);
    # a municipality's staff addresses stay with that municipality and the region.
    email_entitled = STAFF_WIDE | {key}
    if role in (Role.COORDINATOR, Role.ADMIN):
        email_entitled = frozenset(ROLES) - {"anonymous"}
    email = f"{world.mark(f'e-mail of the {key} user', *email_entitled)}@example.com"
    user = users.create_user(
        db,
        SYSTEM_ACTOR,
        email=email,
        full_name=f"{key.title()} User",
        role=role.value,
        password=PASSWORD,
        language="en",
        **binding,
    )
    world.roles[key] = RoleCredentials(user=user)
    return user


def _org(db: Session, name: str, **values: Any) -> Organization:
    org = Organization(
        name=name, name_key=normalise_org_name(name), type=values.pop("type", "company"), **values
    )
    db.add(org)
    db.flush()
    return org


def _contact(db: Session, world: World, org: Organization, label: str, *entitled: str) -> Contact:
    contact = Contact(
        organization_id=org.id,
        full_name=world.mark(f"name of {label}", *entitled),
        email=f"{world.mark(f'e-mail of {label}', *entitled)}@example.com",
        phone="+358401234567",
        role_title=world.mark(f"role title of {label}", *entitled),
        lawful_basis="legitimate_interest",
        source=world.mark(f"source of {label}", *entitled),
        notes=world.mark(f"notes on {label}", *entitled),
    )
    db.add(contact)
    db.flush()
    return contact


def _lead(
    db: Session,
    world: World,
    label: str,
    owner: User,
    entitled: tuple[str, ...],
    *,
    stage: str = "qualified",
) -> tuple[Lead, Organization, Contact]:
    """A lead whose investor, contact and every free-text field are markers."""
    org = _org(db, world.mark(f"investor of {label}", *entitled), country="SE")
    contact = _contact(db, world, org, f"contact of {label}", *entitled)
    bind_actor(db, actor_for(owner))
    lead = Lead(
        code_name=f"Project {label.title()} {secrets.token_hex(2)}",
        title=world.mark(f"title of {label}", *entitled),
        description=world.mark(f"description of {label}", *entitled),
        organization_id=org.id,
        industry_code="ict_data_centres",
        investment_type="greenfield_fdi",
        origin_country="SE",
        capex_eur=40_000_000,
        jobs=50,
        source="own_prospecting",
        stage_code=stage,
        probability_override=40,
        probability_reason=world.mark(f"probability reason of {label}", *entitled),
        owner_id=owner.id,
        requirements={"notes": world.mark(f"requirement profile of {label}", *entitled)},
    )
    db.add(lead)
    db.flush()
    record_stage_change(
        db,
        lead,
        stage,
        actor_for(owner),
        at=lead.created_at,
        note=world.mark(f"stage note of {label}", *entitled),
    )
    # Its response clock, running: the first answer may still be recorded.
    received = datetime.now(UTC)
    due = deadline(received, 2)
    db.add(
        LeadIntake(
            lead_id=lead.id,
            reference=new_reference(),
            received_at=received,
            priority=lead.priority,
            working_days=2,
            response_due_at=due.due_at,
            warn_at=due.warn_at,
        )
    )
    db.add(LeadContact(lead_id=lead.id, contact_id=contact.id, role="CEO"))
    db.add(
        Activity(
            kind="meeting",
            subject=world.mark(f"meeting subject on {label}", *entitled),
            body=world.mark(f"meeting notes on {label}", *entitled),
            lead_id=lead.id,
            created_by_id=owner.id,
        )
    )
    db.add(
        Activity(
            kind="task",
            subject=world.mark(f"task on {label}", *entitled),
            lead_id=lead.id,
            due_on=TODAY + timedelta(days=3),
            assignee_id=owner.id,
            created_by_id=owner.id,
        )
    )
    db.add(
        Activity(
            kind="note",
            subject=world.mark(f"note on the investor of {label}", *entitled),
            body=world.mark(f"note body on the investor of {label}", *entitled),
            organization_id=org.id,
            created_by_id=owner.id,
        )
    )
    db.flush()
    world.add_id("lead_id", lead.id)
    world.add_id("org_id", org.id)
    world.add_id("contact_id", contact.id)
    return lead, org, contact


def _site(
    db: Session,
    world: World,
    municipality: str,
    status: str,
    *,
    label: str,
    entitled: tuple[str, ...] | None,
    actor_user: User,
) -> Site:
    """A site; with `entitled`, its names and texts are markers (a draft, say)."""

    def text(what: str, public: str) -> str:
        return world.mark(f"{what} of {label}", *entitled) if entitled else public

    bind_actor(db, actor_for(actor_user))
    today = TODAY
    site = Site(
        slug=f"{label.replace(' ', '-')}-{secrets.token_hex(3)}",
        municipality_code=municipality,
        kind="industrial_plot",
        status=status,
        name_fi=text("Finnish name", f"Tontti {label}"),
        name_en=text("English name", f"Plot {label}"),
        description_fi=text("Finnish description", "Kuvaus"),
        description_en=text("English description", "Description"),
        address=text("address", "Teollisuustie 1"),
        latitude=64.2,
        longitude=28.1,
        area_ha=5.0,
        available_power_mw=10.0,
        last_verified_on=today,
        published_at=datetime.now(UTC) if status == "published" else None,
        public_changed_at=datetime.now(UTC) if status == "published" else None,
        created_by_id=actor_user.id,
    )
    if status == "returned":
        site.review_comment = world.mark(
            f"review comment on {label}", *(entitled or ("admin", "coordinator", "sotkamo"))
        )
    db.add(site)
    db.flush()
    version_comment = world.mark(
        f"version comment on {label}", *(STAFF_WIDE | {_municipality_role(municipality)})
    )
    record_change(
        db, actor_for(actor_user), site, "create", was_public=False, comment=version_comment
    )
    world.add_id("site_id", site.id)
    world.add_id("slug", site.slug)
    return site


def _png() -> bytes:
    image = PILImage.new("RGB", (8, 8), (30, 90, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _aftercare(db: Session, world: World, kajaani: User, sotkamo: User, kajaani_lead: Lead) -> None:
    """An aftercare account in Kajaani and one in Sotkamo, each with a visit, an open
    issue and a check-in task: their municipality's and the team's; and a capital
    investor of the coordinator's register."""
    bind_actor(db, SYSTEM_ACTOR)
    for key, owner, code in (("kajaani", kajaani, "205"), ("sotkamo", sotkamo, "765")):
        circle = ("admin", "coordinator", key)
        org = _org(db, world.mark(f"{key} aftercare company", *circle), country="FI")
        account = AftercareAccount(
            organization_id=org.id,
            kind="local_company",
            municipality_code=code,
            owner_id=owner.id,
            checkin_months=6,
            notes=world.mark(f"{key} account notes", *circle),
        )
        db.add(account)
        db.flush()
        visit = AftercareVisit(
            account_id=account.id,
            visited_on=TODAY - timedelta(days=20),
            notes=world.mark(f"{key} visit notes", *circle),
            recorded_by_id=owner.id,
        )
        issue = AftercareIssue(
            account_id=account.id,
            category="energy",
            title=world.mark(f"{key} issue title", *circle),
            description=world.mark(f"{key} issue description", *circle),
            owner_id=owner.id,
        )
        task = Activity(
            kind="task",
            subject=world.mark(f"{key} check-in task", *circle),
            organization_id=org.id,
            due_on=TODAY + timedelta(days=60),
            assignee_id=owner.id,
            created_by_id=owner.id,
            origin_type="aftercare_checkin",
            origin_id=str(account.id),
        )
        db.add_all([visit, issue, task])
        db.flush()
        world.add_id("account_id", account.id)
        world.add_id("issue_id", issue.id)
        world.name(f"account.{key}", account.id)
        world.name(f"issue.{key}", issue.id)
        if key == "kajaani":
            db.add(AftercareLead(lead_id=kajaani_lead.id, account_id=account.id))
    investor_org = _org(
        db, world.mark("capital investor's name", "admin", "coordinator"), type="investor"
    )
    investor = CapitalInvestor(
        organization_id=investor_org.id,
        industry_codes=["ict_data_centres"],
        ticket_min_eur=1_000_000,
        ticket_max_eur=100_000_000,
        notes=world.mark("capital investor notes", "admin", "coordinator"),
    )
    db.add(investor)
    db.flush()
    world.add_id("investor_id", investor.id)
    world.name("investor", investor.id)
    world.name("org.uninvested", _org(db, "Uninvested Oy").id)


def world_key(user: User) -> str:
    """The matrix's name of a planted user (their e-mail starts with a marker)."""
    return user.full_name.split()[0].lower()


def _municipality_role(code: str) -> str:
    return {"205": "kajaani", "765": "sotkamo"}[code]


def build_world(db: Session, settings: Settings) -> World:
    world = World()
    world.roles["anonymous"] = RoleCredentials(user=None)
    bind_actor(db, SYSTEM_ACTOR)
    partner_org = _org(db, "Partner Organisation Oy", type="partner")
    admin = _user(db, world, "admin", Role.ADMIN)
    coordinator = _user(db, world, "coordinator", Role.COORDINATOR)
    kajaani = _user(db, world, "kajaani", Role.MUNICIPAL_CONTACT, municipality_code="205")
    sotkamo = _user(db, world, "sotkamo", Role.MUNICIPAL_CONTACT, municipality_code="765")
    _user(db, world, "forum", Role.FORUM_VIEWER)
    partner = _user(db, world, "partner", Role.PARTNER, organization_id=partner_org.id)
    for user in (admin, coordinator, kajaani, sotkamo, partner):
        world.add_id("user_id", user.id)
    world.add_id("org_id", partner_org.id)

    # Leads: one per circle of need-to-know.
    secret_lead, secret_investor, secret_contact = _lead(
        db, world, "secret lead", coordinator, ("admin", "coordinator")
    )
    sotkamo_lead, _, _ = _lead(
        db, world, "lead shared with sotkamo", coordinator, ("admin", "coordinator", "sotkamo")
    )
    partner_lead, _, _ = _lead(
        db, world, "lead shared with the partner", coordinator, ("admin", "coordinator", "partner")
    )
    kajaani_lead, _, _ = _lead(
        db, world, "kajaani's own lead", kajaani, ("admin", "coordinator", "kajaani")
    )
    lost_lead, _, _ = _lead(db, world, "lost lead", coordinator, ("admin", "coordinator"))
    lost_lead.lost_note = world.mark("lost note", "admin", "coordinator")
    db.add(LeadMunicipality(lead_id=secret_lead.id, municipality_code="205"))
    db.add(LeadMunicipality(lead_id=sotkamo_lead.id, municipality_code="765"))
    bind_actor(db, actor_for(coordinator))
    sotkamo_share = LeadShare(
        lead_id=sotkamo_lead.id,
        municipality_code="765",
        message=world.mark("handoff message to sotkamo", "admin", "coordinator", "sotkamo"),
        status="accepted",
        shared_by_id=coordinator.id,
        responded_by_id=sotkamo.id,
        responded_at=datetime.now(UTC),
        response_note=world.mark("sotkamo's answer", "admin", "coordinator", "sotkamo"),
    )
    partner_share = LeadShare(
        lead_id=partner_lead.id,
        organization_id=partner_org.id,
        message=world.mark("handoff message to the partner", "admin", "coordinator", "partner"),
        status="pending",
        shared_by_id=coordinator.id,
    )
    db.add_all([sotkamo_share, partner_share])
    db.flush()
    world.add_id("share_id", sotkamo_share.id)
    world.add_id("share_id", partner_share.id)

    # Sites: Sotkamo's internal work (a draft, a returned site) and public sites.
    sotkamo_draft = _site(
        db,
        world,
        "765",
        "draft",
        label="sotkamo draft",
        entitled=("admin", "coordinator", "sotkamo"),
        actor_user=sotkamo,
    )
    sotkamo_returned = _site(
        db,
        world,
        "765",
        "returned",
        label="sotkamo returned",
        entitled=("admin", "coordinator", "sotkamo"),
        actor_user=sotkamo,
    )
    sotkamo_public = _site(
        db, world, "765", "published", label="sotkamo public", entitled=None, actor_user=sotkamo
    )
    kajaani_public = _site(
        db, world, "205", "published", label="kajaani public", entitled=None, actor_user=kajaani
    )
    storage = storage_for(settings)
    private_file = add_attachment(
        db,
        actor_for(sotkamo),
        storage,
        sotkamo_draft.id,
        filename=f"{world.mark('draft document name', 'admin', 'coordinator', 'sotkamo')}.pdf",
        data=b"%PDF-1.4\n"
        + world.mark("draft document text", "admin", "coordinator", "sotkamo").encode()
        + b"\n%%EOF\n",
        title_en=world.mark("draft document title", "admin", "coordinator", "sotkamo"),
    )
    # On the portal: a file the municipality adds to its published site waits for review.
    public_photo = add_attachment(
        db, actor_for(coordinator), storage, kajaani_public.id, filename="plot.png", data=_png()
    )
    world.add_id("attachment_id", private_file.id)
    world.add_id("attachment_id", public_photo.id)
    # Kajaani proposes a change of its published site: the proposal (text and a new
    # file) is Kajaani's and the team's until approved, never the portal's or Sotkamo's.
    revision_people = ("admin", "coordinator", "kajaani")
    propose_changes(
        db,
        actor_for(kajaani),
        kajaani_public.id,
        {"description_en": world.mark("proposed description of kajaani public", *revision_people)},
    )
    pending_file = add_attachment(
        db,
        actor_for(kajaani),
        storage,
        kajaani_public.id,
        filename=f"{world.mark('proposed file name', *revision_people)}.pdf",
        data=b"%PDF-1.4\n"
        + world.mark("proposed file text", *revision_people).encode()
        + b"\n%%EOF\n",
        title_fi=world.mark("proposed file title", *revision_people),
    )
    world.add_id("attachment_id", pending_file.id)
    db.add(LeadSite(lead_id=secret_lead.id, site_id=kajaani_public.id))
    db.add(LeadSite(lead_id=sotkamo_lead.id, site_id=sotkamo_public.id))
    # A lead a municipality has need-to-know of must not reveal another's draft.
    db.add(LeadSite(lead_id=kajaani_lead.id, site_id=sotkamo_draft.id))
    db.add(LeadSite(lead_id=kajaani_lead.id, site_id=kajaani_public.id))
    for code in ("205", "765"):
        world.add_id("municipality_code", code)

    package_site = world.mark("package row", "admin", "coordinator", "sotkamo")
    upload = check_package(
        db,
        actor_for(sotkamo),
        filename=f"{world.mark('package file name', 'admin', 'coordinator', 'sotkamo')}.csv",
        data=(
            f"name_fi;municipality_code;kind;area_ha\n{package_site};765;industrial_plot;3,5\n"
        ).encode(),
    )
    world.add_id("upload_id", upload.id)

    # A CSV import checked by the coordinator, kept for applying: the team's only.
    imported = check_upload(
        db,
        actor_for(coordinator),
        "organizations",
        f"{world.mark('import file name', 'admin', 'coordinator')}.csv",
        b"name,type\nMatrix Import Oy,company\n",
    )
    world.add_id("import_id", imported.id)

    # Events: a confidential visit hosted by Sotkamo, with a guest from the investor.
    bind_actor(db, actor_for(coordinator))
    visit_circle = ("admin", "coordinator", "sotkamo")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    visit = Event(
        kind="investor_visit",
        title=world.mark("title of the confidential visit", *visit_circle),
        description=world.mark("description of the confidential visit", *visit_circle),
        location=world.mark("location of the confidential visit", *visit_circle),
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        confidential=True,
        invited_by_id=coordinator.id,
        outcome_notes=world.mark("outcome of the confidential visit", *visit_circle),
    )
    db.add(visit)
    db.flush()
    db.add(EventHost(event_id=visit.id, municipality_code="765"))
    item = EventItineraryItem(
        event_id=visit.id,
        starts_at=start,
        place=world.mark("itinerary place", *visit_circle),
        host_municipality_code="765",
        hosts=world.mark("itinerary hosts", *visit_circle),
        description=world.mark("itinerary description", *visit_circle),
    )
    guest_org = _org(db, world.mark("visiting organisation", *visit_circle))
    guest = _contact(db, world, guest_org, "the visit's guest", *visit_circle)
    participant = EventParticipant(event_id=visit.id, contact_id=guest.id, role="guest")
    db.add_all([item, participant, EventLead(event_id=visit.id, lead_id=sotkamo_lead.id)])
    db.flush()
    world.add_id("event_id", visit.id)
    world.name("start.visit", start.isoformat())
    world.add_id("item_id", item.id)
    world.add_id("participant_id", participant.id)
    world.add_id("contact_id", guest.id)

    # Clusters: the partner's organisation is a member of one, not of the other.
    clusters_by_member = {
        "partner member": ("admin", "coordinator", "kajaani", "sotkamo", "partner"),
        "no partner": ("admin", "coordinator", "kajaani", "sotkamo"),
    }
    cluster_by_label: dict[str, Cluster] = {}
    for label, circle in clusters_by_member.items():
        cluster = Cluster(
            name=f"Cluster {label} {secrets.token_hex(2)}",
            description="Regional cooperation",
            coordinator_id=coordinator.id,
        )
        db.add(cluster)
        db.flush()
        if "partner" in circle:
            db.add(
                ClusterMember(
                    cluster_id=cluster.id,
                    organization_id=partner_org.id,
                    role="member",
                    joined_on=TODAY,
                )
            )
        member_org = _org(db, f"Member of {label} {secrets.token_hex(2)}")
        member = ClusterMember(
            cluster_id=cluster.id,
            organization_id=member_org.id,
            role="member",
            joined_on=TODAY,
        )
        agreement = ClusterAgreement(
            cluster_id=cluster.id,
            party_organization_id=member_org.id,
            title=f"Commitment {label}",
            signed_on=TODAY,
        )
        meeting = ClusterMeeting(
            cluster_id=cluster.id,
            held_on=TODAY,
            title=f"Meeting of {label}",
            minutes=world.mark(f"minutes of the {label} cluster", *circle),
            decisions=world.mark(f"decisions of the {label} cluster", *circle),
            created_by_id=coordinator.id,
        )
        db.add_all([member, agreement, meeting])
        db.flush()
        attendee_contact = _contact(
            db, world, member_org, f"attendee of the {label} cluster", *circle
        )
        db.add(ClusterMeetingAttendee(meeting_id=meeting.id, contact_id=attendee_contact.id))
        db.add(ClusterLead(cluster_id=cluster.id, lead_id=secret_lead.id))
        cluster_by_label[label] = cluster
        key = label.replace(" ", "_")
        world.name(f"cluster.{key}", cluster.id)
        world.name(f"member.{key}", member.id)
        world.name(f"agreement.{key}", agreement.id)
        world.name(f"meeting.{key}", meeting.id)
        world.name(f"org.member_{key}", member_org.id)
        world.add_id("cluster_id", cluster.id)
        world.add_id("member_id", member.id)
        world.add_id("agreement_id", agreement.id)
        world.add_id("meeting_id", meeting.id)
        world.add_id("org_id", member_org.id)
        world.add_id("contact_id", attendee_contact.id)

    # For the write matrix: a link between the clusters, a share still waiting for
    # Kajaani's answer, and a public event hosted by Kajaani with a stop and an organiser.
    third = Cluster(name="Cluster tourism", coordinator_id=coordinator.id)
    db.add(third)
    db.flush()
    world.name("cluster.third", third.id)
    first, second = sorted((c.id for c in cluster_by_label.values()), key=str)
    link = ClusterLink(cluster_a_id=first, cluster_b_id=second, note="Cross-industry")
    db.add(link)
    db.flush()
    world.add_id("link_id", link.id)
    world.name("link", link.id)
    offered_lead, _, _ = _lead(
        db, world, "lead offered to kajaani", coordinator, ("admin", "coordinator", "kajaani")
    )
    bind_actor(db, actor_for(coordinator))
    kajaani_share = LeadShare(
        lead_id=offered_lead.id,
        municipality_code="205",
        message=world.mark("handoff message to kajaani", "admin", "coordinator", "kajaani"),
        status="pending",
        shared_by_id=coordinator.id,
    )
    db.add(kajaani_share)
    db.flush()
    world.add_id("share_id", kajaani_share.id)
    fair_start = start + timedelta(days=20)
    fair = Event(
        kind="other",
        title="Kajaani business day",
        starts_at=fair_start,
        ends_at=fair_start + timedelta(hours=4),
        confidential=False,
        invited_by_id=coordinator.id,
    )
    db.add(fair)
    db.flush()
    fair_stop = EventItineraryItem(
        event_id=fair.id, starts_at=fair_start, place="Kajaani", host_municipality_code="205"
    )
    fair_host = EventParticipant(event_id=fair.id, user_id=coordinator.id, role="organiser")
    db.add_all(
        [
            EventHost(event_id=fair.id, municipality_code="205"),
            EventLead(event_id=fair.id, lead_id=kajaani_lead.id),
            fair_stop,
            fair_host,
        ]
    )
    db.flush()
    world.add_id("event_id", fair.id)
    world.name("start.fair", fair_start.isoformat())
    world.add_id("item_id", fair_stop.id)
    world.add_id("participant_id", fair_host.id)
    # Notifications: each person's own, with a note only its recipient may read; one
    # about a lead its recipient is not entitled to, which must not show at all.
    planted_notices = {
        "kajaani": Notification(
            recipient_id=kajaani.id,
            kind="lead_shared",
            actor_id=coordinator.id,
            lead_id=offered_lead.id,
            share_id=kajaani_share.id,
            params={"note": world.mark("note of kajaani's notification", "kajaani")},
        ),
        "sotkamo": Notification(
            recipient_id=sotkamo.id,
            kind="site_returned",
            actor_id=coordinator.id,
            site_id=sotkamo_returned.id,
            params={"note": world.mark("note of sotkamo's notification", "sotkamo")},
        ),
        "partner": Notification(
            recipient_id=partner.id,
            kind="lead_shared",
            actor_id=coordinator.id,
            lead_id=partner_lead.id,
            share_id=partner_share.id,
            params={"note": world.mark("note of the partner's notification", "partner")},
        ),
        "coordinator": Notification(
            recipient_id=coordinator.id,
            kind="share_accepted",
            actor_id=sotkamo.id,
            lead_id=sotkamo_lead.id,
            share_id=sotkamo_share.id,
            params={"note": world.mark("note of the coordinator's notification", "coordinator")},
        ),
        "kajaani_unentitled": Notification(
            recipient_id=kajaani.id,
            kind="lead_stale",
            lead_id=secret_lead.id,
            params={"days": 30, "note": world.mark("note on a lead kajaani may not read")},
        ),
    }
    db.add_all(planted_notices.values())
    db.flush()
    for key, notice in planted_notices.items():
        world.add_id("notification_id", notice.id)
        world.name(f"notification.{key}", notice.id)

    named = {
        "lead.secret": secret_lead.id,
        "org.secret_investor": secret_investor.id,
        "lead.sotkamo": sotkamo_lead.id,
        "lead.partner": partner_lead.id,
        "lead.kajaani": kajaani_lead.id,
        "lead.lost": lost_lead.id,
        "lead.offered": offered_lead.id,
        "contact.secret": secret_contact.id,
        "contact.guest": guest.id,
        "org.partner": partner_org.id,
        "org.guest": guest_org.id,
        "share.sotkamo": sotkamo_share.id,
        "share.partner": partner_share.id,
        "share.kajaani": kajaani_share.id,
        "site.sotkamo_draft": sotkamo_draft.id,
        "site.sotkamo_returned": sotkamo_returned.id,
        "site.sotkamo_public": sotkamo_public.id,
        "site.kajaani_public": kajaani_public.id,
        "attachment.sotkamo_draft": private_file.id,
        "attachment.kajaani_public": public_photo.id,
        "upload.sotkamo": upload.id,
        "import.organizations": imported.id,
        "event.visit": visit.id,
        "event.fair": fair.id,
        "item.visit": item.id,
        "item.fair": fair_stop.id,
        "participant.visit_guest": participant.id,
        "participant.fair_organiser": fair_host.id,
    }
    for key, value in named.items():
        world.name(key, value)
    for user in (admin, coordinator, kajaani, sotkamo, partner):
        world.name(f"user.{world_key(user)}", user.id)
    # A former staff member, deactivated: the one account whose data may be erased.
    former = users.create_user(
        db,
        SYSTEM_ACTOR,
        email="former.contact@example.com",
        full_name="Former Contact",
        role=Role.MUNICIPAL_CONTACT.value,
        password=PASSWORD,
        municipality_code="205",
    )
    former.is_active = False
    db.commit()
    world.name("user.former", former.id)
    for key, lead in (
        ("secret", secret_lead),
        ("kajaani", kajaani_lead),
        ("sotkamo", sotkamo_lead),
    ):
        task = db.scalars(
            select(Activity.id).where(Activity.lead_id == lead.id, Activity.kind == "task")
        ).one()
        world.name(f"task.{key}", task)

    _aftercare(db, world, kajaani, sotkamo, kajaani_lead)

    # Syndication: Sotkamo's push target and its secrets.
    target_circle = ("admin", "coordinator", "sotkamo")
    target = SyndicationTarget(
        municipality_code="765",
        name=world.mark("push target name", *target_circle),
        kind="wordpress",
        url=f"https://{world.mark('push target host', *target_circle)}.example.com/",
        secret_encrypted=encrypt(settings, f"whsec_{world.mark('webhook secret', *target_circle)}"),
        wp_username=world.mark("WordPress user", *target_circle),
        wp_password_encrypted=encrypt(settings, world.mark("WordPress password")),
    )
    db.add(target)
    db.flush()
    world.add_id("syndication_target_id", target.id)
    world.name("target.sotkamo", target.id)
    delivery = send_test_event(db, actor_for(coordinator), target.id)
    delivery.last_error = world.mark("receiver's error", *target_circle)
    delivery.status = "failed"
    kajaani_circle = ("admin", "coordinator", "kajaani")
    kajaani_target = SyndicationTarget(
        municipality_code="205",
        name=world.mark("kajaani's push target name", *kajaani_circle),
        kind="webhook",
        status="paused",
        url=f"https://{world.mark('kajaani push target host', *kajaani_circle)}.example.com/",
        secret_encrypted=encrypt(
            settings, f"whsec_{world.mark('kajaani webhook secret', *kajaani_circle)}"
        ),
    )
    db.add(kajaani_target)
    db.flush()
    world.add_id("syndication_target_id", kajaani_target.id)
    world.name("target.kajaani", kajaani_target.id)
    db.commit()
    world.add_id("delivery_id", delivery.id)
    world.name("delivery.sotkamo", delivery.id)

    # Mail: no page lists the outbox; mail to a person is part of their data export.
    db.add(
        OutboxEmail(
            to_addresses=[secret_contact.email or ""],
            subject=world.mark("queued mail subject", *STAFF_WIDE),
            body_text=world.mark("queued mail body", *STAFF_WIDE),
        )
    )
    db.commit()

    for key, creds in world.roles.items():
        if creds.user is None:
            continue
        issued = auth.issue_token(db, creds.user, "matrix")
        creds.api_token, creds.api_token_id = issued.token, str(issued.record.id)
        world.name(f"token.{key}", issued.record.id)
        creds.session_token = auth.start_session(db, settings, creds.user)
        creds.calendar_token = issue_feed_token(db, actor_for(creds.user), settings)
        if key != "partner":
            world.add_id("token", creds.calendar_token)
    db.commit()
    target_id = db.scalars(select(InvestmentTarget.id)).first()
    if target_id is None:
        investment_target = InvestmentTarget(
            name="Industrial investment 2022-2025",
            amount_eur=1_200_000_000,
            period_start=date(2022, 1, 1),
            period_end=date(2025, 12, 31),
        )
        db.add(investment_target)
        db.commit()
        target_id = investment_target.id
    rule = ScreeningRule(
        name="Planted rule",
        sources=["portal_inquiry"],
        priority="high",
        owner_id=coordinator.id,
        owner_action="suggest",
    )
    db.add(rule)
    db.commit()
    world.add_id("rule_id", rule.id)
    world.name("rule", rule.id)
    world.add_id("investment_target_id", target_id)
    world.name("investment_target", target_id)
    snapshot = close_period(
        db,
        actor_for(coordinator),
        target_id,
        label="Forum 2025",
        as_of=date(2025, 12, 31),
        today=TODAY,
        lang="en",
    )
    world.add_id("snapshot_id", snapshot.id)
    world.name("snapshot", snapshot.id)
    plant_referrals(db, world, secret_lead, coordinator)
    for entity_type, name in (
        ("leads", "lead_id"),
        ("sites", "site_id"),
        ("organizations", "org_id"),
        ("contacts", "contact_id"),
        ("events", "event_id"),
        ("clusters", "cluster_id"),
        ("investment_targets", "investment_target_id"),
    ):
        for value in world.ids[name]:
            world.add_id("entity", f"{entity_type}/{value}")
    return world
