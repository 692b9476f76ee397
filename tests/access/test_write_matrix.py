"""Writes outside the actor's scope are refused, proven over the whole service: every
POST/PUT/PATCH/DELETE route of the application's own route table has an entry in WRITES,
which names the planted records (or body variants) to try it on, who may perform it on
each, and how to build a valid request.

For every route x role x record, the request runs inside a SAVEPOINT that is rolled back
afterwards, so the planted world is the same for the next one:

- a role in scope must succeed (2xx, or a 303 redirect from a staff form), which proves
  the request is valid, so the refusals below are real refusals;
- a role out of scope must be refused (401/403/404, or for staff pages a redirect to the
  login page for the anonymous) and change nothing: a fingerprint of every table's
  contents is the same after the request as before;
- a refusal must not reveal that a record the role may not see exists: it answers
  exactly like the same route with a missing id.

A route added later without an entry in WRITES makes the test fail, so the matrix
cannot fall behind the routes."""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image as PILImage
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from app.domain.portal import sign_started
from app.settings import Settings
from app.web import csrf
from app.web.session import SESSION_COOKIE
from tests.access.world import PASSWORD, ROLES, TODAY, World

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MISSING = str(uuid.uuid4())
ALL = frozenset(ROLES)
SIGNED_IN = ALL - {"anonymous"}
STAFF = frozenset({"admin", "coordinator"})
ADMIN = frozenset({"admin"})
MUNICIPAL_ROLE = {"205": "kajaani", "765": "sotkamo"}
# Rows the service touches on every authenticated request (last seen / last used) or
# on every public form (the rate counter): not part of what a refused write may change.
VOLATILE_TABLES = {"api_tokens", "user_sessions", "portal_rate_counters", "alembic_version"}
PRESESSION = "matrix-presession"


# --------------------------------------------------------------------------- the records


@dataclass(frozen=True)
class Rec:
    """What the policies need to know of a planted record (or of a body variant)."""

    municipality: str | None = None  # the role of the municipality it belongs to
    owner: str | None = None  # the role owning it (a lead, an API token)
    receivers: frozenset[str] = frozenset()  # roles it is shared with
    hosts: frozenset[str] = frozenset()  # roles of the municipalities hosting it
    # Roles that may know the record exists (and so may be told 403 rather than 404).
    visible: frozenset[str] = ALL
    # A path pairing records that do not belong together: refused to everyone.
    mismatch: bool = False
    # A published site: its municipality's edits wait for review (app/services/site_revisions.py).
    published: bool = False


def _leads_visible(*roles: str) -> frozenset[str]:
    # Leads are known only to those with need-to-know (the forum reads reports only).
    return STAFF | {*roles}


RECORDS: dict[str, Rec] = {
    "lead.secret": Rec(owner="coordinator", visible=_leads_visible()),
    "lead.sotkamo": Rec(
        owner="coordinator", receivers=frozenset({"sotkamo"}), visible=_leads_visible("sotkamo")
    ),
    "lead.partner": Rec(
        owner="coordinator", receivers=frozenset({"partner"}), visible=_leads_visible("partner")
    ),
    "lead.kajaani": Rec(owner="kajaani", visible=_leads_visible("kajaani")),
    "lead.offered": Rec(
        owner="coordinator", receivers=frozenset({"kajaani"}), visible=_leads_visible("kajaani")
    ),
    "share.kajaani": Rec(receivers=frozenset({"kajaani"}), visible=STAFF | {"kajaani"}),
    "share.partner": Rec(receivers=frozenset({"partner"}), visible=STAFF | {"partner"}),
    "site.sotkamo_draft": Rec(municipality="sotkamo", visible=STAFF | {"sotkamo"}),
    "site.sotkamo_public": Rec(municipality="sotkamo", published=True),
    "site.kajaani_public": Rec(municipality="kajaani", published=True),
    "upload.sotkamo": Rec(municipality="sotkamo", visible=STAFF | {"sotkamo"}),
    "import.organizations": Rec(visible=STAFF),
    "import.referrals": Rec(visible=STAFF),
    "target.sotkamo": Rec(municipality="sotkamo", visible=STAFF | {"sotkamo"}),
    "target.kajaani": Rec(municipality="kajaani", visible=STAFF | {"kajaani"}),
    "delivery.sotkamo": Rec(municipality="sotkamo", visible=STAFF | {"sotkamo"}),
    "event.visit": Rec(hosts=frozenset({"sotkamo"}), visible=STAFF | {"sotkamo"}),
    "event.fair": Rec(hosts=frozenset({"kajaani"})),
    "participant.visit_guest": Rec(hosts=frozenset({"sotkamo"}), visible=STAFF | {"sotkamo"}),
    "participant.fair_organiser": Rec(owner="coordinator", hosts=frozenset({"kajaani"})),
    # Tasks: author and assignee are the lead's owner.
    "task.secret": Rec(owner="coordinator", visible=STAFF),
    "task.kajaani": Rec(owner="kajaani", visible=STAFF | {"kajaani"}),
    "task.sotkamo": Rec(
        owner="coordinator", receivers=frozenset({"sotkamo"}), visible=STAFF | {"sotkamo"}
    ),
    "token.kajaani": Rec(owner="kajaani", visible=frozenset({"admin", "kajaani"})),
    # A notification is its recipient's alone: nobody else may know it exists.
    "notification.kajaani": Rec(owner="kajaani", visible=frozenset({"kajaani"})),
    "notification.coordinator": Rec(owner="coordinator", visible=frozenset({"coordinator"})),
    "token.coordinator": Rec(owner="coordinator", visible=frozenset({"admin", "coordinator"})),
    "cluster.no_partner": Rec(visible=ALL - {"partner"}),
    "cluster.partner_member": Rec(),
    # Body variants naming records out of some roles' scope ("sotkamo_draft": a site
    # Sotkamo has not published, the draft or the returned one, whichever is unlinked).
    "site.sotkamo_draft_to_205": Rec(visible=STAFF | {"sotkamo"}),
    "lead.kajaani+sotkamo_draft": Rec(visible=_leads_visible("kajaani")),
    "lead.kajaani+hidden site link": Rec(visible=STAFF),
    "event.fair+sotkamo_draft": Rec(visible=ALL),
    # Paths pairing a record with a child of another (Kajaani may see the parent only).
    "mismatch.kajaani_site+sotkamo_file": Rec(visible=STAFF, mismatch=True),
    "mismatch.fair+visit_stop": Rec(visible=STAFF, mismatch=True),
    "mismatch.fair+visit_guest": Rec(visible=STAFF, mismatch=True),
    "new lead": Rec(),
    "new lead+sotkamo_draft": Rec(visible=STAFF | {"sotkamo"}),
    "new lead+secret investor": Rec(visible=STAFF),
    "new lead+secret contact": Rec(visible=STAFF),
    "lead.kajaani+secret investor": Rec(visible=STAFF),
    "lead.kajaani+secret contact": Rec(visible=STAFF),
    "account.kajaani": Rec(municipality="kajaani", visible=STAFF | {"kajaani"}),
    "account.sotkamo": Rec(municipality="sotkamo", visible=STAFF | {"sotkamo"}),
    "mismatch.kajaani_account+sotkamo_issue": Rec(visible=STAFF, mismatch=True),
    "investor": Rec(visible=STAFF),
    "new.765": Rec(municipality="sotkamo"),
    "new.205": Rec(municipality="kajaani"),
    "rule": Rec(visible=STAFF),
}
NOTHING = Rec()


# --------------------------------------------------------------------------- the policies

Policy = Callable[[str, Rec], bool]


def staff_wide(role: str, rec: Rec) -> bool:
    """The regional team: the coordinator's register, settings, clusters, events."""
    return role in STAFF


def admin_only(role: str, rec: Rec) -> bool:
    return role == "admin"


def municipality(role: str, rec: Rec) -> bool:
    """The record's own municipality, and the regional team."""
    return role in STAFF or role == rec.municipality


def file_editor(role: str, rec: Rec) -> bool:
    """A published site's files keep their kind and titles unless the team changes them;
    a municipality removes and adds files of its published site for review instead."""
    return role in STAFF or (role == rec.municipality and not rec.published)


def municipal_staff(role: str, rec: Rec) -> bool:
    """Everyone who delivers sites: the regional team and every municipal contact."""
    return role in STAFF or role in MUNICIPAL_ROLE.values()


def lead_editor(role: str, rec: Rec) -> bool:
    """The lead's owner and the regional team."""
    return role in STAFF or role == rec.owner


def lead_worker(role: str, rec: Rec) -> bool:
    """Everyone with need-to-know of the lead: owner, team, those it is shared with."""
    return lead_editor(role, rec) or role in rec.receivers


def lead_creator(role: str, rec: Rec) -> bool:
    """Municipalities and partners bring leads too; the forum only reads aggregates."""
    return role in STAFF or role in ("kajaani", "sotkamo", "partner")


def lead_creator_seeing(role: str, rec: Rec) -> bool:
    """A new lead naming a record (a site, an investor): only by those who may see it."""
    return lead_creator(role, rec) and role in rec.visible


def receiver(role: str, rec: Rec) -> bool:
    return role in rec.receivers


def host(role: str, rec: Rec) -> bool:
    """The regional team and the municipalities hosting the event."""
    return role in STAFF or role in rec.hosts


def owner_or_admin(role: str, rec: Rec) -> bool:
    """A person's own credentials; the admin may revoke anyone's."""
    return role == "admin" or role == rec.owner


def staff_or_self(role: str, rec: Rec) -> bool:
    """A participant answers for themselves; the team for everyone."""
    return role in STAFF or role == rec.owner


def recipient(role: str, rec: Rec) -> bool:
    """The person a notification is addressed to, and nobody else (not the admin)."""
    return role == rec.owner


def signed_in(role: str, rec: Rec) -> bool:
    """Any signed-in user, on their own account."""
    return role != "anonymous"


def public(role: str, rec: Rec) -> bool:
    return True


def partner_token_only(role: str, rec: Rec) -> bool:
    """Only a partner organisation's token (no account of any role) sends referrals."""
    return False


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Ctx:
    world: World
    settings: Settings
    role: str
    data: Mapping[str, Any]
    missing: bool = False  # build the body with its out-of-scope reference missing

    def id(self, key: str) -> str:
        return self.world.named[key]

    def ref(self, key: str) -> str:
        """A record the body refers to: the one tried, or a missing one for comparison."""
        return MISSING if self.missing else self.world.named[key]

    def user(self, role: str) -> str:
        return self.world.named[f"user.{role}"]


Body = Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Target:
    """One planted record (by path parameters) or body variant to try a write on."""

    label: str  # a key of RECORDS
    params: Mapping[str, str] = field(default_factory=dict)  # path parameter -> named record
    data: Mapping[str, Any] = field(default_factory=dict)  # for the body builder
    # The out-of-scope record is named in the body (through Ctx.ref), not in the path:
    # refused like an invalid reference (422 too), and compared with a missing one.
    body_ref: bool = False

    @property
    def rec(self) -> Rec:
        return RECORDS.get(self.label, NOTHING)


@dataclass(frozen=True)
class WriteCase:
    policy: Policy
    body: Body
    targets: tuple[Target, ...] = (Target("none"),)
    # (role, target label) -> the hole the matrix found and that is not fixed yet.
    holes: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Whether a successful request changes a table outside VOLATILE_TABLES.
    changes: bool = True


def T(label: str, data: Mapping[str, Any] | None = None, **params: str) -> Target:
    """A target: a planted record named by path parameters, or a body variant."""
    return Target(label, params, data or {})


def R(label: str, data: Mapping[str, Any], **params: str) -> Target:
    """A target whose out-of-scope record is referred to in the body, or (with an empty
    body) by the path's last parameter: refused like an unknown reference."""
    return Target(label, params, data, body_ref=True)


def refs(ctx: Ctx) -> dict[str, Any]:
    """Body fields naming planted records: {"site_ids": "site.sotkamo_draft"} and so on."""
    return {k: [ctx.ref(v)] if k.endswith("_ids") else ctx.ref(v) for k, v in ctx.data.items()}


def new_lead(ctx: Ctx) -> dict[str, Any]:
    return NEW_LEAD | refs(ctx)


def lead_patch(ctx: Ctx) -> dict[str, Any]:
    return {"description": "Updated"} | refs(ctx)


def none(ctx: Ctx) -> dict[str, Any]:
    return {}


def js(value: dict[str, Any] | Callable[[Ctx], dict[str, Any]]) -> Body:
    return lambda ctx: {"json": value(ctx) if callable(value) else value}


def form(value: dict[str, Any] | Callable[[Ctx], dict[str, Any]]) -> Body:
    return lambda ctx: {"data": value(ctx) if callable(value) else value}


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (90, 30, 60)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def photo(ctx: Ctx) -> dict[str, Any]:
    return {"files": {"file": ("photo.png", PNG, "image/png")}, "data": {"kind": "photo"}}


def package(ctx: Ctx) -> dict[str, Any]:
    """A one-row spreadsheet of the role's own municipality (Sotkamo for the team)."""
    code = {"kajaani": "205"}.get(ctx.role, "765")
    rows = f"name_fi;municipality_code;kind;area_ha\nUusi tontti;{code};industrial_plot;2,5\n"
    return {"files": {"file": ("sites.csv", rows.encode(), "text/csv")}}


def agreement_document(ctx: Ctx) -> dict[str, Any]:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return {"files": {"file": ("agreement.pdf", pdf, "application/pdf")}}


def org_csv(ctx: Ctx) -> dict[str, Any]:
    return {
        "files": {"file": ("orgs.csv", b"name,type\nImported Oy,company\n", "text/csv")},
        "params": {"dry_run": "false"},
    }


def referral_export(ctx: Ctx) -> dict[str, Any]:
    rows = "viite;yritys;maa\nIIF-MATRIX-1;Matrix Compute AB;SE\n"
    return {
        "files": {"file": ("referrals.csv", rows.encode(), "text/csv")},
        "data": {"partner_id": ctx.id("org.iif")},
        "params": {"dry_run": "false"},
    }


def referral_form(ctx: Ctx) -> dict[str, Any]:
    """The staff referral import's upload: a one-row export from Invest in Finland."""
    rows = "viite;yritys;maa\nIIF-MATRIX-3;Form Compute AB;SE\n"
    return {
        "files": {"file": ("referrals.csv", rows.encode(), "text/csv")},
        "data": {"partner_id": ctx.id("org.iif")},
    }


def partner_token_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"organization_id": ctx.id("org.iif"), "name": "Matrix CRM"}}


def import_form(ctx: Ctx) -> dict[str, Any]:
    """The staff import page's upload: a one-row CSV of organisations."""
    return {
        "files": {"file": ("orgs.csv", b"name,type\nUploaded Oy,company\n", "text/csv")},
        "data": {"kind": "organizations"},
    }


INDUSTRY_FORM = {
    "name_fi": "Matkailu",
    "name_en": "Tourism",
    "description_en": "Arctic nature and resorts.",
    "active": "yes",
}
MUNICIPAL_CONTACT_FORM = {
    "contact_name": "Business Services",
    "contact_email": "business@municipality.example",
    "contact_phone": "+358 8 123 456",
    "website_url": "https://municipality.example/business",
}

POINT_FORM = {
    "code": "station-matrix",
    "kind": "railway_station",
    "name_fi": "Matriisin asema",
    "name_en": "Matrix station",
    "latitude": "64.2",
    "longitude": "27.7",
    "active": "yes",
}
FACTS_FORM = {"population": "12000", "workforce": "5000", "year": "2024", "source": "Test"}
REGION_FORM = {
    "name_fi": "Kainuu",
    "name_en": "Kainuu",
    "portal_name_fi": "Invest in Kainuu",
    "portal_name_en": "Invest in Kainuu",
    "council_name_fi": "Kainuun liitto",
    "council_name_en": "Regional Council of Kainuu",
    "primary_colour": "#00558c",
    "accent_colour": "#f2a900",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "public_domain": "invest.example.fi",
}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def moment(offset: int) -> str:
    return f"{day(offset)}T10:00:00+02:00"


def local(offset: int) -> str:
    return f"{day(offset)}T10:00"


def stop(ctx: Ctx, place: str) -> dict[str, str]:
    """A stop in the event's first hours, in a staff form's local (minute) time."""
    start = datetime.fromisoformat(ctx.id(ctx.data["start"])) + timedelta(minutes=1)
    local = start.astimezone(ZoneInfo("Europe/Helsinki"))
    return {
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": place,
    }


def inquiry(ctx: Ctx) -> dict[str, Any]:
    key = ctx.settings.secret_key.get_secret_value().encode()
    return {
        "data": {
            "full_name": "Anna Investor",
            "organization": "Nordic Compute AB",
            "country": "SE",
            "email": "anna@nordiccompute.example",
            "message": "We look for a plot with a grid connection.",
            "timeline": "1_to_2_years",
            "consent": "yes",
            "started": sign_started(key, int(time.time()) - 60),
        }
    }


def participant(ctx: Ctx) -> dict[str, Any]:
    # A host municipality names its own people as hosts; the team names the host's.
    person = ctx.role if ctx.role in ("kajaani", "sotkamo") else ctx.data["host"]
    return {"user_id": ctx.user(person), "role": "host"}


def follow_up(ctx: Ctx) -> dict[str, Any]:
    return {"lead_id": ctx.id(ctx.data["lead"]), "subject": "Send the offer", "due_on": day(7)}


def task(ctx: Ctx) -> dict[str, Any]:
    return {"subject": "Call back", "due_on": day(3), "lead_id": ctx.id(ctx.data["lead"])}


def new_target(ctx: Ctx) -> dict[str, Any]:
    return {
        "municipality_code": ctx.data["code"],
        "name": "Invest In page",
        "kind": "webhook",
        "url": "https://invest.example.com/hook",
    }


def new_account(ctx: Ctx) -> dict[str, Any]:
    return {
        "organization_name": "Local Works Oy",
        "kind": "local_company",
        "municipality_code": ctx.data["code"],
    }


def new_investor(ctx: Ctx) -> dict[str, Any]:
    return {"organization_id": ctx.id("org.uninvested"), "ticket_min_eur": "1000000"}


def new_site(ctx: Ctx) -> dict[str, Any]:
    return {"municipality_code": ctx.data["code"], "kind": "industrial_plot", "name_fi": "Tontti"}


def site_form(ctx: Ctx) -> dict[str, Any]:
    code = {"site.kajaani_public": "205"}.get(ctx.data.get("site", ""), "765")
    return {
        "municipality_code": code,
        "kind": "industrial_plot",
        "name_fi": "Muutettu tontti",
        "latitude": "64.2",
        "longitude": "28.1",
        "area_ha": "5",
        "available_power_mw": "10",
        "last_verified_on": TODAY.isoformat(),
    }


NEW_LEAD = {
    "title": "New lead",
    "investment_type": "greenfield_fdi",
    "source": "own_prospecting",
    # A second lead of a known investor is a possible duplicate: confirmed past it here.
    "confirm_duplicate": True,
}
LEAD_FORM = {**NEW_LEAD, "code_name": "Project Matrix", "confirm_duplicate": "1"}

# Targets used by many routes.
LEADS = (
    T("lead.kajaani", lead_id="lead.kajaani"),
    T("lead.sotkamo", lead_id="lead.sotkamo"),
    T("lead.secret", lead_id="lead.secret"),
)
SITES = (
    T("site.sotkamo_draft", {"site": "site.sotkamo_draft"}, site_id="site.sotkamo_draft"),
    T("site.kajaani_public", {"site": "site.kajaani_public"}, site_id="site.kajaani_public"),
)
ATTACHMENTS = (
    T(
        "mismatch.kajaani_site+sotkamo_file",
        site_id="site.kajaani_public",
        attachment_id="attachment.sotkamo_draft",
    ),
    T(
        "site.sotkamo_draft",
        site_id="site.sotkamo_draft",
        attachment_id="attachment.sotkamo_draft",
    ),
    T(
        "site.kajaani_public",
        site_id="site.kajaani_public",
        attachment_id="attachment.kajaani_public",
    ),
)
SITE_ACTIONS = (
    T("site.sotkamo_draft", site_id="site.sotkamo_draft", action="=submit"),
    T("site.kajaani_public", site_id="site.kajaani_public", action="=withdraw"),
)
EVENTS = (
    T(
        "event.visit",
        {"host": "sotkamo", "lead": "lead.sotkamo", "start": "start.visit"},
        event_id="event.visit",
    ),
    T(
        "event.fair",
        {"host": "kajaani", "lead": "lead.kajaani", "start": "start.fair"},
        event_id="event.fair",
    ),
)
ITEMS = (
    T(
        "mismatch.fair+visit_stop",
        {"start": "start.visit"},
        event_id="event.fair",
        item_id="item.visit",
    ),
    T("event.visit", {"start": "start.visit"}, event_id="event.visit", item_id="item.visit"),
    T("event.fair", {"start": "start.fair"}, event_id="event.fair", item_id="item.fair"),
)
PARTICIPANTS = (
    T(
        "mismatch.fair+visit_guest",
        event_id="event.fair",
        participant_id="participant.visit_guest",
    ),
    T("participant.visit_guest", event_id="event.visit", participant_id="participant.visit_guest"),
    T(
        "participant.fair_organiser",
        event_id="event.fair",
        participant_id="participant.fair_organiser",
    ),
)
CLUSTERS = (
    T("cluster.partner_member", cluster_id="cluster.partner_member"),
    T("cluster.no_partner", cluster_id="cluster.no_partner"),
)
SHARES = (
    T("share.kajaani", share_id="share.kajaani"),
    T("share.partner", share_id="share.partner"),
)
TASKS = (
    T("task.kajaani", activity_id="task.kajaani"),
    T("task.sotkamo", activity_id="task.sotkamo"),
    T("task.secret", activity_id="task.secret"),
)
TOKENS = (
    T("token.kajaani", token_id="token.kajaani"),
    T("token.coordinator", token_id="token.coordinator"),
)
NOTIFICATIONS = (
    T("notification.kajaani", notification_id="notification.kajaani"),
    T("notification.coordinator", notification_id="notification.coordinator"),
)
CONTACT = (T("contact", contact_id="contact.guest"),)
ORG = (T("org", org_id="org.guest"),)
PUSH_TARGETS = (
    T("target.sotkamo", target_id="target.sotkamo"),
    T("target.kajaani", target_id="target.kajaani"),
)
# Sotkamo's target is active with a failed delivery, Kajaani's paused (each route tried
# where it changes something; the other municipality is the outsider).
SOTKAMO_ACTIVE = (T("target.sotkamo", target_id="target.sotkamo"),)
KAJAANI_PAUSED = (T("target.kajaani", target_id="target.kajaani"),)
# Only webhook targets have a signing secret: Kajaani's.
WEBHOOK_TARGET = (T("target.kajaani", target_id="target.kajaani"),)
NEW_IN = (T("new.765", {"code": "765"}), T("new.205", {"code": "205"}))
ACCOUNTS = (
    T("account.kajaani", account_id="account.kajaani"),
    T("account.sotkamo", account_id="account.sotkamo"),
)
ISSUES = (
    T(
        "mismatch.kajaani_account+sotkamo_issue",
        account_id="account.kajaani",
        issue_id="issue.sotkamo",
    ),
    T("account.kajaani", account_id="account.kajaani", issue_id="issue.kajaani"),
    T("account.sotkamo", account_id="account.sotkamo", issue_id="issue.sotkamo"),
)
INVESTOR = (T("investor", investor_id="investor"),)
TASK_ON = (
    T("lead.kajaani", {"lead": "lead.kajaani"}),
    T("lead.sotkamo", {"lead": "lead.sotkamo"}),
    T("lead.secret", {"lead": "lead.secret"}),
)
# Sites not yet linked to the lead (a link made twice changes nothing).
LEAD_SITE_LINKS = (
    T("lead.kajaani", lead_id="lead.kajaani", site_id="site.sotkamo_public"),
    T("lead.sotkamo", lead_id="lead.sotkamo", site_id="site.kajaani_public"),
    T("lead.secret", lead_id="lead.secret", site_id="site.sotkamo_public"),
)
LINKED_SITES = (
    T("lead.kajaani", lead_id="lead.kajaani", site_id="site.kajaani_public"),
    # A link the owner cannot see (another municipality's draft) is not theirs to remove.
    R("lead.kajaani+hidden site link", {}, lead_id="lead.kajaani", site_id="site.sotkamo_draft"),
    T("lead.sotkamo", lead_id="lead.sotkamo", site_id="site.sotkamo_public"),
    T("lead.secret", lead_id="lead.secret", site_id="site.kajaani_public"),
)

ACTIVITY = {"kind": "note", "subject": "Called them"}
TARGET_FORM = {
    "name": "Kainuu 2030–2033",
    "amount_eur": "1 500 000 000",
    "amount_jobs": "800",
    "period_start": "2030-01-01",
    "period_end": "2033-12-31",
    "scope": "industrial",
    "industry_code": "",
    "municipality_code": "",
}
CONTACT_IN = {
    "full_name": "New Person",
    "lawful_basis": "legitimate_interest",
    "source": "fair",
    "email": "new.person@example.com",
}
MEETING = {"held_on": day(-1), "title": "Quarterly meeting"}

OUTSIDERS = ("kajaani", "sotkamo", "partner")

WRITES: dict[tuple[str, str], WriteCase] = {
    # ------------------------------------------------------------------ accounts
    ("POST", "/login"): WriteCase(
        public,
        form(lambda ctx: {"email": ctx.world.roles["forum"].user.email, "password": PASSWORD}),
    ),
    ("POST", "/logout"): WriteCase(public, none, changes=False),  # sessions are volatile
    ("POST", "/account/language"): WriteCase(signed_in, form({"language": "fi"})),
    ("POST", "/account/password"): WriteCase(
        signed_in,
        form({"current_password": PASSWORD, "new_password": "a longer, newer passphrase 2026"}),
    ),
    ("POST", "/account/tokens"): WriteCase(signed_in, form({"name": "laptop"})),
    ("POST", "/account/notifications"): WriteCase(
        signed_in, form({"notification_email": "digest"})
    ),
    # ------------------------------------------------------------------ notifications
    ("POST", "/notifications/{notification_id}/open"): WriteCase(
        recipient, form({}), NOTIFICATIONS
    ),
    ("POST", "/api/v1/notifications/{notification_id}/read"): WriteCase(
        recipient, none, NOTIFICATIONS
    ),
    # Everyone may mark their own as read; the forum and the admin have none unread.
    ("POST", "/notifications/read-all"): WriteCase(signed_in, form({}), changes=False),
    ("POST", "/api/v1/notifications/read-all"): WriteCase(signed_in, none, changes=False),
    ("POST", "/account/tokens/{token_id}/revoke"): WriteCase(owner_or_admin, none, TOKENS),
    ("POST", "/api/v1/tokens/{token_id}/revoke"): WriteCase(owner_or_admin, none, TOKENS),
    ("POST", "/api/v1/users"): WriteCase(
        admin_only,
        js({"email": "new.user@example.com", "full_name": "New User", "role": "forum_viewer"}),
    ),
    ("POST", "/admin/users"): WriteCase(
        admin_only,
        form(
            {
                "email": "new.user@example.com",
                "full_name": "New User",
                "role": "forum_viewer",
                "password": "a long enough password 2026",
            }
        ),
    ),
    # The region's names, colours, languages and domain.
    ("POST", "/admin/region"): WriteCase(admin_only, form(REGION_FORM)),
    ("POST", "/admin/users/{user_id}/erase"): WriteCase(
        admin_only, form({"reason": "Left the service"}), (T("user", user_id="user.former"),)
    ),
    ("POST", "/api/v1/privacy/users/{user_id}/erasure"): WriteCase(
        admin_only, js({"reason": "Left the service"}), (T("user", user_id="user.former"),)
    ),
    ("POST", "/admin/users/{user_id}/active"): WriteCase(
        admin_only, form({"active": "false"}), (T("user", user_id="user.kajaani"),)
    ),
    ("POST", "/api/v1/calendar/feed"): WriteCase(signed_in, none),
    ("DELETE", "/api/v1/calendar/feed"): WriteCase(signed_in, none),
    ("POST", "/events/calendar/feed"): WriteCase(signed_in, none),
    ("POST", "/events/calendar/feed/revoke"): WriteCase(signed_in, none),
    # ------------------------------------------------------------------ the public portal
    ("POST", "/en/inquiry"): WriteCase(public, inquiry),
    ("POST", "/fi/inquiry"): WriteCase(public, inquiry),
    ("POST", "/sv/inquiry"): WriteCase(public, inquiry),
    # ------------------------------------------------------------------ sites (API)
    ("POST", "/api/v1/sites"): WriteCase(municipality, js(new_site), NEW_IN),
    ("PATCH", "/api/v1/sites/{site_id}"): WriteCase(
        municipality,
        js(lambda ctx: ctx.data.get("patch", {"description_en": "Updated"})),
        (
            *SITES,
            # Moving a site into another municipality takes both: only the team.
            T(
                "site.sotkamo_draft_to_205",
                {"patch": {"municipality_code": "205"}},
                site_id="site.sotkamo_draft",
            ),
        ),
    ),
    ("POST", "/api/v1/sites/{site_id}/verify"): WriteCase(municipality, none, SITES),
    ("POST", "/api/v1/sites/{site_id}/{action}"): WriteCase(
        municipality,
        js({"comment": "Ready"}),
        (
            *SITE_ACTIONS,
            T("site.sotkamo_publish", site_id="site.sotkamo_draft", action="=publish"),
        ),
    ),
    ("POST", "/api/v1/sites/{site_id}/attachments"): WriteCase(municipality, photo, SITES),
    ("PATCH", "/api/v1/sites/{site_id}/attachments/{attachment_id}"): WriteCase(
        file_editor, js({"title_en": "Renamed"}), ATTACHMENTS
    ),
    # Kajaani's published site has a pending revision (tests/access/world.py).
    ("POST", "/api/v1/sites/{site_id}/revision/approve"): WriteCase(
        staff_wide, none, (T("site.kajaani_public", site_id="site.kajaani_public"),)
    ),
    ("POST", "/api/v1/sites/{site_id}/revision/return"): WriteCase(
        staff_wide,
        js({"comment": "Please check the area."}),
        (T("site.kajaani_public", site_id="site.kajaani_public"),),
    ),
    ("DELETE", "/api/v1/sites/{site_id}/revision"): WriteCase(
        municipality, none, (T("site.kajaani_public", site_id="site.kajaani_public"),)
    ),
    ("DELETE", "/api/v1/sites/{site_id}/attachments/{attachment_id}"): WriteCase(
        municipality, none, ATTACHMENTS
    ),
    ("POST", "/api/v1/site-packages"): WriteCase(municipal_staff, package),
    ("POST", "/api/v1/site-packages/{upload_id}/apply"): WriteCase(
        municipality, none, (T("upload.sotkamo", upload_id="upload.sotkamo"),)
    ),
    # ------------------------------------------------------------------ sites (staff pages)
    ("POST", "/sites/new"): WriteCase(municipality, form(new_site), NEW_IN),
    ("POST", "/sites/{site_id}"): WriteCase(municipality, form(site_form), SITES),
    ("POST", "/sites/{site_id}/verify"): WriteCase(municipality, none, SITES),
    ("POST", "/sites/{site_id}/actions/{action}"): WriteCase(
        municipality,
        form({"comment": "Ready"}),
        (
            *SITE_ACTIONS,
            T("site.sotkamo_publish", site_id="site.sotkamo_draft", action="=publish"),
        ),
    ),
    ("POST", "/sites/{site_id}/attachments"): WriteCase(municipality, photo, SITES),
    ("POST", "/sites/{site_id}/attachments/{attachment_id}/delete"): WriteCase(
        municipality, none, ATTACHMENTS
    ),
    ("POST", "/sites/{site_id}/revision/approve"): WriteCase(
        staff_wide, none, (T("site.kajaani_public", site_id="site.kajaani_public"),)
    ),
    ("POST", "/sites/{site_id}/revision/return"): WriteCase(
        staff_wide,
        form({"comment": "Please check the area."}),
        (T("site.kajaani_public", site_id="site.kajaani_public"),),
    ),
    ("POST", "/sites/{site_id}/revision/discard"): WriteCase(
        municipality, none, (T("site.kajaani_public", site_id="site.kajaani_public"),)
    ),
    ("POST", "/site-packages"): WriteCase(municipal_staff, package),
    ("POST", "/site-packages/{upload_id}/apply"): WriteCase(
        municipality, none, (T("upload.sotkamo", upload_id="upload.sotkamo"),)
    ),
    # ------------------------------------------------------------------ CSV import (staff pages)
    ("POST", "/imports"): WriteCase(staff_wide, import_form),
    ("POST", "/imports/{import_id}/apply"): WriteCase(
        staff_wide, none, (T("import.organizations", import_id="import.organizations"),)
    ),
    # ------------------------------------------------------------------ reference data
    ("POST", "/reference/industries/{code}"): WriteCase(
        staff_wide, form(INDUSTRY_FORM), (T("industry", code="=tourism"),)
    ),
    # A municipality's portal contact: the team, and that municipality's own contacts.
    ("POST", "/reference/municipalities/{code}"): WriteCase(
        municipality,
        form(MUNICIPAL_CONTACT_FORM),
        (T("new.765", code="=765"), T("new.205", code="=205")),
    ),
    # The reference points the portal's distances are measured to, and the key facts.
    ("POST", "/reference/points"): WriteCase(staff_wide, form(POINT_FORM)),
    ("POST", "/reference/points/{code}"): WriteCase(
        staff_wide, form(POINT_FORM | {"code": ""}), (T("point", code="=airport-kajaani"),)
    ),
    ("POST", "/reference/facts/{code}"): WriteCase(
        staff_wide, form(FACTS_FORM), (T("new.765", code="=765"), T("new.205", code="=205"))
    ),
    # ------------------------------------------------------------------ leads (API)
    ("POST", "/api/v1/leads"): WriteCase(
        lead_creator_seeing,
        js(new_lead),
        (
            T("new lead"),
            R("new lead+sotkamo_draft", {"site_ids": "site.sotkamo_draft"}),
            R("new lead+secret investor", {"organization_id": "org.secret_investor"}),
            R("new lead+secret contact", {"contact_ids": "contact.secret"}),
        ),
    ),
    ("PATCH", "/api/v1/leads/{lead_id}"): WriteCase(
        lead_editor,
        js(lead_patch),
        (
            *LEADS,
            R(
                "lead.kajaani+sotkamo_draft",
                {"site_ids": "site.sotkamo_returned"},
                lead_id="lead.kajaani",
            ),
            R(
                "lead.kajaani+secret investor",
                {"organization_id": "org.secret_investor"},
                lead_id="lead.kajaani",
            ),
            R(
                "lead.kajaani+secret contact",
                {"contact_ids": "contact.secret"},
                lead_id="lead.kajaani",
            ),
        ),
    ),
    ("POST", "/api/v1/leads/{lead_id}/activities"): WriteCase(lead_worker, js(ACTIVITY), LEADS),
    ("PUT", "/api/v1/leads/{lead_id}/contacts/{contact_id}"): WriteCase(
        staff_wide,
        js({"role": "CFO"}),
        (
            T("lead.kajaani", lead_id="lead.kajaani", contact_id="contact.guest"),
            T("lead.secret", lead_id="lead.secret", contact_id="contact.guest"),
        ),
    ),
    ("DELETE", "/api/v1/leads/{lead_id}/contacts/{contact_id}"): WriteCase(
        staff_wide,
        none,
        (T("lead.secret", lead_id="lead.secret", contact_id="contact.secret"),),
    ),
    ("PUT", "/api/v1/leads/{lead_id}/probability"): WriteCase(
        lead_editor, js({"probability": 55, "reason": "Board approved"}), LEADS
    ),
    ("POST", "/api/v1/leads/{lead_id}/shares"): WriteCase(
        lead_editor, js({"municipality_code": "290", "message": "For you"}), LEADS
    ),
    ("PUT", "/api/v1/leads/{lead_id}/sites/{site_id}"): WriteCase(
        lead_editor,
        none,
        (
            *LEAD_SITE_LINKS,
            R(
                "lead.kajaani+sotkamo_draft",
                {},
                lead_id="lead.kajaani",
                site_id="site.sotkamo_returned",
            ),
        ),
    ),
    ("DELETE", "/api/v1/leads/{lead_id}/sites/{site_id}"): WriteCase(
        lead_editor, none, LINKED_SITES
    ),
    ("POST", "/api/v1/leads/{lead_id}/stage"): WriteCase(
        lead_editor, js({"to_stage": "site_search"}), LEADS
    ),
    ("POST", "/api/v1/shares/{share_id}/response"): WriteCase(
        receiver, js({"accept": True, "note": "Thanks"}), SHARES
    ),
    ("POST", "/api/v1/lost-reasons"): WriteCase(
        staff_wide, js({"code": "matrix_reason", "name_fi": "Syy", "name_en": "Reason"})
    ),
    ("PATCH", "/api/v1/lost-reasons/{code}"): WriteCase(
        staff_wide, js({"name_en": "Renamed"}), (T("reason", code="=chose_other_country"),)
    ),
    ("PATCH", "/api/v1/stages/{code}"): WriteCase(
        staff_wide, js({"name_en": "Qualified lead"}), (T("stage", code="=qualified"),)
    ),
    # ------------------------------------------------------------------ leads (staff pages)
    ("POST", "/leads/new"): WriteCase(
        lead_creator_seeing,
        form(lambda ctx: LEAD_FORM | refs(ctx)),
        (
            T("new lead"),
            R("new lead+secret investor", {"organization_id": "org.secret_investor"}),
        ),
    ),
    ("POST", "/leads/{lead_id}/merge"): WriteCase(
        staff_wide,
        form(lambda ctx: {"duplicate_id": ctx.id("lead.lost")}),
        (T("lead.secret", lead_id="lead.secret"), T("lead.kajaani", lead_id="lead.kajaani")),
    ),
    ("POST", "/api/v1/leads/{lead_id}/merge"): WriteCase(
        staff_wide,
        js(lambda ctx: {"duplicate_id": ctx.id("lead.lost")}),
        (T("lead.secret", lead_id="lead.secret"), T("lead.kajaani", lead_id="lead.kajaani")),
    ),
    ("POST", "/leads/{lead_id}/edit"): WriteCase(
        lead_editor,
        # The form ignores the investor field of anyone but the team (not tried here).
        form(LEAD_FORM),
        LEADS,
    ),
    ("POST", "/leads/{lead_id}/activities"): WriteCase(lead_worker, form(ACTIVITY), LEADS),
    ("POST", "/leads/{lead_id}/contacts"): WriteCase(
        staff_wide,
        form(lambda ctx: {"contact_id": ctx.id("contact.guest"), "role": "CFO"}),
        LEADS,
    ),
    ("POST", "/leads/{lead_id}/contacts/{contact_id}/remove"): WriteCase(
        staff_wide,
        none,
        (T("lead.secret", lead_id="lead.secret", contact_id="contact.secret"),),
    ),
    ("POST", "/leads/{lead_id}/move"): WriteCase(
        lead_editor, form({"to_stage": "site_search"}), LEADS
    ),
    ("POST", "/leads/{lead_id}/probability"): WriteCase(
        lead_editor, form({"probability": "55", "reason": "Board approved"}), LEADS
    ),
    ("POST", "/leads/{lead_id}/shares"): WriteCase(
        lead_editor, form({"receiver": "municipality:290", "message": "For you"}), LEADS
    ),
    ("POST", "/leads/{lead_id}/sites"): WriteCase(
        lead_editor,
        form(lambda ctx: {"site_id": ctx.ref(ctx.data.get("site", "site.kajaani_public"))}),
        (
            R(
                "lead.kajaani+sotkamo_draft",
                {"site": "site.sotkamo_returned"},
                lead_id="lead.kajaani",
            ),
            T("lead.kajaani", {"site": "site.sotkamo_public"}, lead_id="lead.kajaani"),
            T("lead.sotkamo", lead_id="lead.sotkamo"),
            T("lead.offered", lead_id="lead.offered"),
        ),
    ),
    ("POST", "/leads/{lead_id}/sites/{site_id}/remove"): WriteCase(lead_editor, none, LINKED_SITES),
    ("POST", "/shares/{share_id}/respond"): WriteCase(
        receiver, form({"decision": "accept", "note": "Thanks"}), SHARES
    ),
    # ------------------------------------------------------------------ intake
    ("POST", "/api/v1/screening-rules"): WriteCase(staff_wide, js({"name": "Big ones"})),
    ("PATCH", "/api/v1/screening-rules/{rule_id}"): WriteCase(
        staff_wide, js({"name": "Renamed"}), (T("rule", rule_id="rule"),)
    ),
    ("DELETE", "/api/v1/screening-rules/{rule_id}"): WriteCase(
        staff_wide, none, (T("rule", rule_id="rule"),)
    ),
    ("PUT", "/api/v1/response-commitments"): WriteCase(
        staff_wide, js({"low": 5, "normal": 3, "high": 1})
    ),
    ("POST", "/api/v1/leads/{lead_id}/responded"): WriteCase(lead_worker, none, LEADS),
    ("POST", "/intake/rules"): WriteCase(staff_wide, form({"name": "Big ones"})),
    ("POST", "/intake/rules/{rule_id}"): WriteCase(
        staff_wide, form({"name": "Renamed", "active": "1"}), (T("rule", rule_id="rule"),)
    ),
    ("POST", "/intake/rules/{rule_id}/delete"): WriteCase(
        staff_wide, none, (T("rule", rule_id="rule"),)
    ),
    ("POST", "/intake/commitments"): WriteCase(
        staff_wide, form({"low": "5", "normal": "3", "high": "1"})
    ),
    ("POST", "/leads/{lead_id}/responded"): WriteCase(lead_worker, none, LEADS),
    ("POST", "/pipeline/lost-reasons"): WriteCase(
        staff_wide, form({"name_fi": "Syy", "name_en": "Reason"})
    ),
    ("POST", "/pipeline/lost-reasons/{code}"): WriteCase(
        staff_wide,
        form({"name_fi": "Valitsi toisen maan", "name_en": "Renamed", "active": "1"}),
        (T("reason", code="=chose_other_country"),),
    ),
    ("POST", "/pipeline/stages/{code}"): WriteCase(
        staff_wide,
        form(
            {
                "name_fi": "Kvalifioitu",
                "name_en": "Qualified lead",
                "sort_order": "30",
                "default_probability": "25",
                "active": "1",
            }
        ),
        (T("stage", code="=qualified"),),
    ),
    # ------------------------------------------------------------------ activities and tasks
    ("PATCH", "/api/v1/activities/{activity_id}"): WriteCase(
        lead_editor, js({"subject": "Changed"}), TASKS
    ),
    ("POST", "/activities/{activity_id}/done"): WriteCase(lead_editor, none, TASKS),
    ("POST", "/api/v1/tasks"): WriteCase(lead_worker, js(task), TASK_ON),
    # ------------------------------------------------------------------ the CRM register
    ("POST", "/api/v1/organizations"): WriteCase(
        staff_wide, js({"name": "New Company Oy", "type": "company"})
    ),
    ("PATCH", "/api/v1/organizations/{org_id}"): WriteCase(
        staff_wide, js({"website": "https://example.com"}), ORG
    ),
    ("POST", "/api/v1/organizations/{org_id}/activities"): WriteCase(staff_wide, js(ACTIVITY), ORG),
    ("POST", "/api/v1/organizations/{org_id}/merge"): WriteCase(
        staff_wide, js(lambda ctx: {"merge_id": ctx.id("org.member_no_partner")}), ORG
    ),
    ("POST", "/api/v1/contacts"): WriteCase(staff_wide, js(CONTACT_IN)),
    ("PATCH", "/api/v1/contacts/{contact_id}"): WriteCase(
        staff_wide, js({"role_title": "CTO"}), CONTACT
    ),
    ("POST", "/api/v1/contacts/{contact_id}/activities"): WriteCase(
        staff_wide, js(ACTIVITY), CONTACT
    ),
    ("POST", "/api/v1/contacts/{contact_id}/merge"): WriteCase(
        staff_wide, js(lambda ctx: {"merge_id": ctx.id("contact.secret")}), CONTACT
    ),
    ("POST", "/api/v1/privacy/contacts/{contact_id}/erasure"): WriteCase(
        staff_wide, js({"reason": "Asked to be forgotten"}), CONTACT
    ),
    ("POST", "/api/v1/privacy/contacts/{contact_id}/retention"): WriteCase(
        staff_wide, js({"reason": "Ongoing negotiation"}), CONTACT
    ),
    # ------------------------------------------------------------------ referrals
    ("POST", "/api/v1/referrals"): WriteCase(
        partner_token_only,
        js({"referral_id": "IIF-MATRIX-2", "company": "Matrix Compute AB", "country": "SE"}),
    ),
    ("POST", "/api/v1/partner-tokens"): WriteCase(
        staff_wide, js(lambda ctx: {"organization_id": ctx.id("org.iif"), "name": "IiF CRM"})
    ),
    ("POST", "/api/v1/partner-tokens/{partner_token_id}/revoke"): WriteCase(
        staff_wide, none, (T("partner_token", partner_token_id="partner_token.iif"),)
    ),
    ("POST", "/api/v1/referral-imports"): WriteCase(staff_wide, referral_export),
    ("POST", "/referrals/imports"): WriteCase(staff_wide, referral_form),
    ("POST", "/referrals/partners/{partner_id}/imports/{import_id}/apply"): WriteCase(
        staff_wide,
        none,
        (T("import.referrals", partner_id="org.iif", import_id="import.referrals"),),
    ),
    ("POST", "/referrals/partner-tokens"): WriteCase(staff_wide, partner_token_form),
    ("POST", "/referrals/partner-tokens/{token_id}/revoke"): WriteCase(
        staff_wide, none, (T("partner_token", token_id="partner_token.iif"),)
    ),
    ("POST", "/api/v1/imports/{kind}"): WriteCase(
        staff_wide, org_csv, (T("organizations", kind="=organizations"),)
    ),
    ("POST", "/organizations"): WriteCase(
        staff_wide, form({"name": "New Company Oy", "type": "company"})
    ),
    ("POST", "/organizations/{org_id}/contacts"): WriteCase(staff_wide, form(CONTACT_IN), ORG),
    ("POST", "/organizations/{org_id}/activities"): WriteCase(staff_wide, form(ACTIVITY), ORG),
    ("POST", "/organizations/{org_id}/merge"): WriteCase(
        staff_wide, form(lambda ctx: {"merge_id": ctx.id("org.member_no_partner")}), ORG
    ),
    ("POST", "/contacts/{contact_id}/edit"): WriteCase(
        staff_wide, form({**CONTACT_IN, "role_title": "CTO"}), CONTACT
    ),
    ("POST", "/contacts/{contact_id}/merge"): WriteCase(
        staff_wide, form(lambda ctx: {"merge_id": ctx.id("contact.secret")}), CONTACT
    ),
    ("POST", "/contacts/{contact_id}/erase"): WriteCase(
        staff_wide, form({"reason": "Asked to be forgotten"}), CONTACT
    ),
    ("POST", "/contacts/{contact_id}/retention"): WriteCase(
        staff_wide, form({"reason": "Ongoing negotiation"}), CONTACT
    ),
    # ------------------------------------------------------------------ aftercare
    ("POST", "/api/v1/aftercare/accounts"): WriteCase(municipality, js(new_account), NEW_IN),
    ("PATCH", "/api/v1/aftercare/accounts/{account_id}"): WriteCase(
        municipality, js({"notes": "Updated", "checkin_months": 12}), ACCOUNTS
    ),
    ("POST", "/api/v1/aftercare/accounts/{account_id}/visits"): WriteCase(
        municipality, js({"visited_on": day(-1), "notes": "Visited"}), ACCOUNTS
    ),
    ("POST", "/api/v1/aftercare/accounts/{account_id}/issues"): WriteCase(
        municipality, js({"category": "workforce", "title": "Welders"}), ACCOUNTS
    ),
    ("PATCH", "/api/v1/aftercare/accounts/{account_id}/issues/{issue_id}"): WriteCase(
        municipality, js({"status": "resolved", "resolution": "Done"}), ISSUES
    ),
    ("POST", "/api/v1/aftercare/accounts/{account_id}/expansions"): WriteCase(
        municipality, js({"capex_eur": 5_000_000}), ACCOUNTS
    ),
    ("POST", "/api/v1/capital-investors"): WriteCase(
        staff_wide, js(lambda ctx: {**new_investor(ctx), "ticket_min_eur": 1_000_000})
    ),
    ("PATCH", "/api/v1/capital-investors/{investor_id}"): WriteCase(
        staff_wide, js({"notes": "Updated"}), INVESTOR
    ),
    ("POST", "/aftercare"): WriteCase(municipality, form(new_account), NEW_IN),
    ("POST", "/aftercare/{account_id}"): WriteCase(
        municipality, form({"kind": "existing_investor", "checkin_months": "12"}), ACCOUNTS
    ),
    ("POST", "/aftercare/{account_id}/visits"): WriteCase(
        municipality, form({"visited_on": day(-1), "visit_notes": "Visited"}), ACCOUNTS
    ),
    ("POST", "/aftercare/{account_id}/issues"): WriteCase(
        municipality, form({"category": "energy", "title": "Grid connection"}), ACCOUNTS
    ),
    ("POST", "/aftercare/{account_id}/issues/{issue_id}"): WriteCase(
        municipality, form({"status": "resolved"}), ISSUES
    ),
    ("POST", "/aftercare/{account_id}/expansions"): WriteCase(
        municipality, form({"title": "Second line"}), ACCOUNTS
    ),
    ("POST", "/capital-investors"): WriteCase(staff_wide, form(new_investor)),
    ("POST", "/capital-investors/{investor_id}"): WriteCase(
        staff_wide, form({"ticket_max_eur": "90000000", "active": "true"}), INVESTOR
    ),
    # ------------------------------------------------------------------ clusters
    ("POST", "/api/v1/clusters"): WriteCase(
        staff_wide, js({"name": "Battery cluster", "industry_codes": ["mining_chemicals"]})
    ),
    ("PATCH", "/api/v1/clusters/{cluster_id}"): WriteCase(
        staff_wide, js({"description": "Updated"}), CLUSTERS
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/members"): WriteCase(
        staff_wide,
        js(
            lambda ctx: {
                "organization_id": ctx.id("org.guest"),
                "role": "member",
                "joined_on": day(0),
            }
        ),
        CLUSTERS,
    ),
    ("PATCH", "/api/v1/clusters/{cluster_id}/members/{member_id}"): WriteCase(
        staff_wide,
        js({"left_on": day(0)}),
        (T("cluster.no_partner", cluster_id="cluster.no_partner", member_id="member.no_partner"),),
    ),
    ("DELETE", "/api/v1/clusters/{cluster_id}/members/{member_id}"): WriteCase(
        staff_wide,
        none,
        (T("cluster.no_partner", cluster_id="cluster.no_partner", member_id="member.no_partner"),),
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/agreements"): WriteCase(
        staff_wide,
        js(
            lambda ctx: {
                "party_organization_id": ctx.id("org.guest"),
                "title": "Commitment",
                "signed_on": day(0),
            }
        ),
        CLUSTERS,
    ),
    ("PATCH", "/api/v1/clusters/{cluster_id}/agreements/{agreement_id}"): WriteCase(
        staff_wide,
        js({"title": "Renamed"}),
        (
            T(
                "cluster.no_partner",
                cluster_id="cluster.no_partner",
                agreement_id="agreement.no_partner",
            ),
        ),
    ),
    ("PUT", "/api/v1/clusters/{cluster_id}/agreements/{agreement_id}/document"): WriteCase(
        staff_wide,
        agreement_document,
        (
            T(
                "cluster.no_partner",
                cluster_id="cluster.no_partner",
                agreement_id="agreement.no_partner",
            ),
        ),
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/leads"): WriteCase(
        staff_wide, js(lambda ctx: {"lead_id": ctx.id("lead.kajaani")}), CLUSTERS
    ),
    ("DELETE", "/api/v1/clusters/{cluster_id}/leads/{lead_id}"): WriteCase(
        staff_wide,
        none,
        (T("cluster.no_partner", cluster_id="cluster.no_partner", lead_id="lead.secret"),),
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/links"): WriteCase(
        staff_wide,
        js(lambda ctx: {"cluster_id": ctx.id(ctx.data["other"]), "note": "Ties"}),
        (
            T(
                "cluster.partner_member",
                {"other": "cluster.third"},
                cluster_id="cluster.partner_member",
            ),
        ),
    ),
    ("DELETE", "/api/v1/clusters/{cluster_id}/links/{link_id}"): WriteCase(
        staff_wide,
        none,
        (T("cluster.no_partner", cluster_id="cluster.no_partner", link_id="link"),),
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/meetings"): WriteCase(
        staff_wide, js(MEETING), CLUSTERS
    ),
    ("PATCH", "/api/v1/clusters/{cluster_id}/meetings/{meeting_id}"): WriteCase(
        staff_wide,
        js({"title": "Renamed"}),
        (
            T(
                "cluster.no_partner",
                cluster_id="cluster.no_partner",
                meeting_id="meeting.no_partner",
            ),
        ),
    ),
    ("POST", "/api/v1/clusters/{cluster_id}/meetings/{meeting_id}/follow-ups"): WriteCase(
        staff_wide,
        js(
            lambda ctx: {
                "subject": "Send the minutes",
                "due_on": day(7),
                "lead_id": ctx.id("lead.secret"),
            }
        ),
        (
            T(
                "cluster.no_partner",
                cluster_id="cluster.no_partner",
                meeting_id="meeting.no_partner",
            ),
        ),
    ),
    ("POST", "/clusters"): WriteCase(
        staff_wide, form({"name": "Battery cluster", "industry_codes": "mining_chemicals"})
    ),
    ("POST", "/clusters/{cluster_id}/members"): WriteCase(
        staff_wide,
        form(
            lambda ctx: {
                "organization_id": ctx.id("org.guest"),
                "role": "member",
                "joined_on": day(0),
            }
        ),
        CLUSTERS,
    ),
    ("POST", "/clusters/{cluster_id}/agreements"): WriteCase(
        staff_wide,
        form(
            lambda ctx: {
                "party_organization_id": ctx.id("org.guest"),
                "title": "Commitment",
                "signed_on": day(0),
            }
        ),
        CLUSTERS,
    ),
    ("POST", "/clusters/{cluster_id}/meetings"): WriteCase(staff_wide, form(MEETING), CLUSTERS),
    ("POST", "/clusters/{cluster_id}/leads"): WriteCase(
        staff_wide, form(lambda ctx: {"lead_id": ctx.id("lead.kajaani")}), CLUSTERS
    ),
    ("POST", "/clusters/{cluster_id}/links"): WriteCase(
        staff_wide,
        form(lambda ctx: {"cluster_id": ctx.id(ctx.data["other"]), "note": "Ties"}),
        (
            T(
                "cluster.partner_member",
                {"other": "cluster.third"},
                cluster_id="cluster.partner_member",
            ),
        ),
    ),
    # ------------------------------------------------------------------ events
    ("POST", "/api/v1/events"): WriteCase(
        staff_wide,
        js(
            {
                "kind": "investor_visit",
                "title": "Visit",
                "starts_at": moment(30),
                "ends_at": moment(31),
                "host_municipality_codes": ["765"],
            }
        ),
    ),
    ("PATCH", "/api/v1/events/{event_id}"): WriteCase(
        staff_wide, js({"location": "Vuokatti"}), EVENTS
    ),
    ("POST", "/api/v1/events/{event_id}/status"): WriteCase(
        staff_wide, js({"status": "confirmed"}), EVENTS
    ),
    ("PUT", "/api/v1/events/{event_id}/outcome"): WriteCase(
        staff_wide, js({"outcome_notes": "Went well"}), EVENTS
    ),
    ("POST", "/api/v1/events/{event_id}/invite"): WriteCase(staff_wide, none, EVENTS),
    ("POST", "/api/v1/events/{event_id}/itinerary"): WriteCase(
        host,
        js(
            lambda ctx: (
                {"starts_at": ctx.id(ctx.data["start"]), "place": "Town hall"}
                | ({"site_id": ctx.ref(ctx.data["site"])} if "site" in ctx.data else {})
            )
        ),
        (
            *EVENTS,
            # A host shows the visitors its own sites, not another's drafts.
            R(
                "event.fair+sotkamo_draft",
                {"start": "start.fair", "site": "site.sotkamo_draft"},
                event_id="event.fair",
            ),
        ),
    ),
    ("PATCH", "/api/v1/events/{event_id}/itinerary/{item_id}"): WriteCase(
        host, js({"place": "Moved"}), ITEMS
    ),
    ("DELETE", "/api/v1/events/{event_id}/itinerary/{item_id}"): WriteCase(host, none, ITEMS),
    ("POST", "/api/v1/events/{event_id}/participants"): WriteCase(host, js(participant), EVENTS),
    ("PATCH", "/api/v1/events/{event_id}/participants/{participant_id}"): WriteCase(
        staff_or_self,
        js({"rsvp": "accepted"}),
        PARTICIPANTS,
    ),
    ("DELETE", "/api/v1/events/{event_id}/participants/{participant_id}"): WriteCase(
        staff_or_self, none, PARTICIPANTS
    ),
    ("POST", "/api/v1/events/{event_id}/follow-ups"): WriteCase(host, js(follow_up), EVENTS),
    ("POST", "/events"): WriteCase(
        staff_wide,
        form(
            {
                "kind": "investor_visit",
                "title": "Visit",
                "starts_at": local(30),
                "ends_at": local(31),
                "hosts": "765",
            }
        ),
    ),
    ("POST", "/events/{event_id}/status"): WriteCase(
        staff_wide, form({"status": "confirmed"}), EVENTS
    ),
    ("POST", "/events/{event_id}/outcome"): WriteCase(
        staff_wide, form({"outcome_notes": "Went well"}), EVENTS
    ),
    ("POST", "/events/{event_id}/invite"): WriteCase(staff_wide, none, EVENTS),
    ("POST", "/events/{event_id}/itinerary"): WriteCase(
        host, form(lambda ctx: stop(ctx, "Town hall")), EVENTS
    ),
    ("POST", "/events/{event_id}/itinerary/{item_id}"): WriteCase(
        host, form(lambda ctx: stop(ctx, "Moved")), ITEMS
    ),
    ("POST", "/events/{event_id}/participants"): WriteCase(host, form(participant), EVENTS),
    ("POST", "/events/{event_id}/participants/{participant_id}"): WriteCase(
        staff_or_self, form({"rsvp": "accepted"}), PARTICIPANTS
    ),
    ("POST", "/events/{event_id}/follow-ups"): WriteCase(host, form(follow_up), EVENTS),
    # ------------------------------------------------------------------ syndication
    ("POST", "/api/v1/syndication/targets"): WriteCase(municipality, js(new_target), NEW_IN),
    ("PATCH", "/api/v1/syndication/targets/{target_id}"): WriteCase(
        municipality, js({"name": "Renamed"}), PUSH_TARGETS
    ),
    ("POST", "/api/v1/syndication/targets/{target_id}/pause"): WriteCase(
        municipality, none, SOTKAMO_ACTIVE
    ),
    ("POST", "/api/v1/syndication/targets/{target_id}/resume"): WriteCase(
        municipality, none, KAJAANI_PAUSED
    ),
    ("POST", "/api/v1/syndication/targets/{target_id}/rotate-secret"): WriteCase(
        municipality, none, WEBHOOK_TARGET
    ),
    ("POST", "/api/v1/syndication/targets/{target_id}/test"): WriteCase(
        municipality, none, PUSH_TARGETS
    ),
    ("POST", "/api/v1/syndication/targets/{target_id}/redeliver-failed"): WriteCase(
        municipality, js({"since": moment(-30)}), SOTKAMO_ACTIVE
    ),
    ("POST", "/api/v1/syndication/deliveries/{delivery_id}/redeliver"): WriteCase(
        municipality, none, (T("delivery.sotkamo", delivery_id="delivery.sotkamo"),)
    ),
    ("POST", "/syndication/targets"): WriteCase(municipality, form(new_target), NEW_IN),
    ("POST", "/syndication/targets/{target_id}"): WriteCase(
        municipality,
        form({"name": "Renamed", "url": "https://invest.example.com/hook", "language": "fi"}),
        PUSH_TARGETS,
    ),
    ("POST", "/syndication/targets/{target_id}/pause"): WriteCase(
        municipality, none, SOTKAMO_ACTIVE
    ),
    ("POST", "/syndication/targets/{target_id}/resume"): WriteCase(
        municipality, none, KAJAANI_PAUSED
    ),
    ("POST", "/syndication/targets/{target_id}/rotate-secret"): WriteCase(
        municipality, none, WEBHOOK_TARGET
    ),
    ("POST", "/syndication/targets/{target_id}/reveal-secret"): WriteCase(
        municipality, none, WEBHOOK_TARGET, changes=False
    ),
    ("POST", "/syndication/targets/{target_id}/test"): WriteCase(municipality, none, PUSH_TARGETS),
    ("POST", "/syndication/targets/{target_id}/redeliver-failed"): WriteCase(
        municipality, form({"since": day(-30)}), SOTKAMO_ACTIVE
    ),
    ("POST", "/syndication/deliveries/{delivery_id}/redeliver"): WriteCase(
        municipality, none, (T("delivery.sotkamo", delivery_id="delivery.sotkamo"),)
    ),
    # ------------------------------------------------------------------ targets and reports
    ("POST", "/api/v1/targets"): WriteCase(
        staff_wide,
        js(
            {
                "name": "Next period",
                "amount_eur": 1_000_000_000,
                "period_start": "2026-01-01",
                "period_end": "2029-12-31",
                "scope": "industrial",
            }
        ),
    ),
    ("PATCH", "/api/v1/targets/{target_id}"): WriteCase(
        staff_wide, js({"name": "Renamed"}), (T("target", target_id="investment_target"),)
    ),
    ("POST", "/api/v1/targets/{target_id}/close"): WriteCase(
        staff_wide, none, (T("target", target_id="investment_target"),)
    ),
    ("POST", "/targets"): WriteCase(staff_wide, form(TARGET_FORM)),
    ("POST", "/targets/{target_id}"): WriteCase(
        staff_wide,
        form(TARGET_FORM | {"name": "Renamed", "period_start": "2022-01-01"}),
        (T("target", target_id="investment_target"),),
    ),
    ("POST", "/targets/{target_id}/close"): WriteCase(
        staff_wide, form({}), (T("target", target_id="investment_target"),)
    ),
    ("POST", "/targets/portal"): WriteCase(
        staff_wide, form(lambda ctx: {"target_id": ctx.id("investment_target")})
    ),
    ("POST", "/api/v1/reports/snapshots"): WriteCase(
        staff_wide,
        js(
            lambda ctx: {
                "target_id": ctx.id("investment_target"),
                "label": "Forum 2024",
                "as_of": "2024-12-31",
            }
        ),
    ),
    ("POST", "/reports/snapshots"): WriteCase(
        staff_wide,
        form(
            lambda ctx: {
                "target_id": ctx.id("investment_target"),
                "label": "Forum 2024",
                "as_of": "2024-12-31",
            }
        ),
    ),
}


# --------------------------------------------------------------------------- the machinery


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method in WRITE_METHODS:
                routes.add((method, route.path))
    return sorted(routes, key=lambda r: (r[1], r[0]))


def _param_value(world: World, value: str) -> str:
    return value[1:] if value.startswith("=") else world.named[value]


def _url(path: str, target: Target, world: World, *, missing: bool = False) -> str:
    names = re.findall(r"{([^}:]+)(?::[^}]*)?}", path)
    url = path
    for index, name in enumerate(names):
        assert name in target.params, f"{path}: target {target.label} has no {{{name}}}"
        raw = target.params[name]
        value = _param_value(world, raw)
        # Where the path pairs a parent with a child, only the child goes missing.
        child_only = target.rec.mismatch or (target.body_ref and not target.data)
        if missing and child_only and index < len(names) - 1:
            pass
        elif missing and not raw.startswith("="):
            value = MISSING
        elif missing and name == "code":
            value = f"{value}-missing"
        url = re.sub(r"{" + name + r"(?::[^}]*)?}", value, url)
    return url


def fingerprint(connection: Connection, tables: list[str]) -> dict[str, str]:
    """The contents of every table, hashed: one round trip."""
    parts = ", ".join(
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {name} t)"
        for name in tables
    )
    row = connection.execute(text(f"SELECT {parts}")).one()
    return dict(zip(tables, row, strict=True))


@dataclass
class Matrix:
    world: World
    settings: Settings
    connection: Connection
    clients: dict[str, TestClient]
    tables: list[str]
    baseline: dict[str, str]
    requests: int = 0

    def send(
        self,
        method: str,
        url: str,
        role: str,
        body: dict[str, Any],
        *,
        staff_page: bool,
        check: bool = True,
    ) -> tuple[Response, list[str]]:
        """The request in a SAVEPOINT rolled back afterwards; the tables it changed."""
        client = self.clients[role]
        creds = self.world.roles[role]
        client.cookies.clear()
        binding = creds.session_token or PRESESSION
        if creds.session_token:
            client.cookies.set(SESSION_COOKIE, creds.session_token)
        else:
            client.cookies.set(csrf.PRESESSION_COOKIE, PRESESSION)
        headers = {}
        if staff_page:
            headers[csrf.HEADER] = csrf.token_for(self.settings, binding)
        nested = self.connection.begin_nested()
        try:
            response = client.request(method, url, headers=headers, follow_redirects=False, **body)
            self.requests += 1
            after = fingerprint(self.connection, self.tables) if check else self.baseline
        finally:
            nested.rollback()
        return response, [t for t in self.tables if after[t] != self.baseline[t]]


def _refused(response: Response, role: str, *, body_ref: bool = False) -> bool:
    if response.status_code in (401, 403, 404) or (body_ref and response.status_code == 422):
        return True
    location = response.headers.get("location", "")
    return response.status_code == 303 and role == "anonymous" and location.startswith("/login")


def _succeeded(response: Response) -> bool:
    return 200 <= response.status_code < 300 or response.status_code == 303


def _describe(response: Response) -> str:
    detail = response.text[:300].replace("\n", " ")
    if response.headers.get("content-type", "").startswith("text/html"):
        found = re.search(r"<title>(.*?)</title>", response.text, re.S)
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]{1,160})<', response.text)
        detail = f"{found.group(1).strip() if found else ''} {errors[:3]}"
    location = response.headers.get("location")
    return f"{response.status_code}{' -> ' + location if location else ''} {detail}"


@pytest.fixture(scope="module")
def matrix(
    matrix_clients: dict[str, TestClient],
    world_connection: tuple[Session, World],
    settings: Settings,
) -> Iterator[Matrix]:
    session, world = world_connection
    connection = session.connection()
    names = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).scalars()
    tables = [name for name in names if name not in VOLATILE_TABLES]
    yield Matrix(
        world, settings, connection, matrix_clients, tables, fingerprint(connection, tables)
    )


def test_every_write_route_has_an_entry_in_the_matrix(app: FastAPI) -> None:
    missing = [f"{m} {p}" for m, p in write_routes(app) if (m, p) not in WRITES]
    stale = [f"{m} {p}" for m, p in WRITES if (m, p) not in set(write_routes(app))]
    assert not missing, (
        "These write routes have no entry in WRITES (tests/access/test_write_matrix.py): "
        "add one naming who may perform them on which planted record, and a valid "
        "request:\n" + "\n".join(missing)
    )
    assert not stale, "WRITES names routes that no longer exist:\n" + "\n".join(stale)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "write_route" in metafunc.fixturenames:
        routes = sorted(WRITES, key=lambda r: (r[1], r[0]))
        metafunc.parametrize("write_route", routes, ids=[f"{m} {p}" for m, p in routes])


def test_writes_stay_in_scope(write_route: tuple[str, str], matrix: Matrix) -> None:
    method, path = write_route
    case = WRITES[write_route]
    staff_page = not path.startswith("/api/")
    problems: list[str] = []
    known: list[str] = []
    has_ids = "{" in path
    for target in case.targets:
        url = _url(path, target, matrix.world)
        missing_url = _url(path, target, matrix.world, missing=True) if has_ids else None
        for role in ROLES:
            ctx = Ctx(matrix.world, matrix.settings, role, target.data)
            allowed = case.policy(role, target.rec) and not target.rec.mismatch
            response, changed = matrix.send(
                method, url, role, case.body(ctx), staff_page=staff_page
            )
            what = f"{role} {method} {url} [{target.label}]"
            found: str | None = None
            if allowed:
                if not _succeeded(response):
                    found = f"{what}: in scope but not done: {_describe(response)}"
                elif case.changes and not changed:
                    found = f"{what}: in scope, answered {_describe(response)}, changed nothing"
            elif not _refused(response, role, body_ref=target.body_ref):
                found = f"{what}: out of scope but answered {_describe(response)}"
            elif changed:
                found = f"{what}: refused ({response.status_code}) but changed {changed}"
            elif (missing_url or target.body_ref) and role not in target.rec.visible | {
                "anonymous"
            }:
                gone = replace(ctx, missing=True)
                missing, _ = matrix.send(
                    method,
                    url if target.body_ref and target.data else str(missing_url),
                    role,
                    case.body(gone),
                    staff_page=staff_page,
                    check=False,
                )
                if missing.status_code != response.status_code:
                    found = (
                        f"{what}: refused with {response.status_code}, a missing record with "
                        f"{missing.status_code}: the refusal reveals the record exists"
                    )
            hole = case.holes.get((role, target.label))
            if found and hole:
                known.append(f"{found} (known hole: {hole})")
            elif found:
                problems.append(found)
            elif hole:
                problems.append(f"{what}: the known hole '{hole}' is fixed; drop it from WRITES")
    assert not problems, "\n".join(problems)
    if known:
        pytest.xfail("\n".join(known))


def test_staff_forms_without_a_csrf_token_are_refused(matrix: Matrix) -> None:
    """Every staff form, sent by the coordinator without its token, is refused with 403
    and changes nothing (the portal's inquiry and login included)."""
    problems = []
    for (method, path), case in sorted(WRITES.items(), key=lambda item: item[0][1]):
        if path.startswith("/api/"):
            continue
        target = case.targets[0]
        url = _url(path, target, matrix.world)
        ctx = Ctx(matrix.world, matrix.settings, "coordinator", target.data)
        response, changed = matrix.send(
            method, url, "coordinator", case.body(ctx), staff_page=False
        )
        if response.status_code != 403 or changed:
            problems.append(f"{method} {url}: {response.status_code}, changed {changed}")
    assert not problems, "\n".join(problems)


def test_the_matrix_size(matrix: Matrix) -> None:
    """Routes x roles x planted records tried (a sanity floor, and the number to quote)."""
    cells = sum(len(case.targets) for case in WRITES.values()) * len(ROLES)
    assert len(WRITES) >= 140 and cells >= 1500, (len(WRITES), cells)
