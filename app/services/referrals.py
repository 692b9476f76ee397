"""Invest in Finland / Team Finland referrals: partner tokens, referrals by API and by a
referral export (CSV or XLSX), deduplicated against the register, and the outcome told
back to the partner."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from babel import Locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Contact,
    ImportUpload,
    Industry,
    Lead,
    LeadContact,
    LostReason,
    Organization,
    PartnerToken,
    Referral,
    Stage,
)
from app.domain import notifications as notices
from app.domain import referrals as rules
from app.domain.access import SYSTEM_ACTOR, Actor, require_staff_wide, token_digest
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.leads import INITIAL_STAGE_CODE, InvestmentType, LeadSource, StageKind
from app.domain.organizations import (
    COUNTRY_CODES,
    LawfulBasis,
    clean_contact_fields,
    clean_organization_fields,
    normalise_org_name,
)
from app.i18n import N_, register_field_errors
from app.services import imports, leads, notifications, organizations
from app.services.auth import LAST_USED_RESOLUTION

TOKEN_PREFIX = "ikr_"  # noqa: S105  (a visible marker, not a secret)
KIND = "referrals"


# --- partner tokens ---------------------------------------------------------------------


def partner_choices(db: Session) -> list[Organization]:
    """The organisations that may refer leads: partner agencies and public funders."""
    return leads.share_receiver_choices(db)


def _partner(db: Session, organization_id: uuid.UUID, field_name: str) -> Organization:
    org = db.get(Organization, organization_id)
    if org is None or org.type not in leads.SHARE_RECEIVER_TYPES:
        raise ValidationFailed.single(
            field_name, "Choose a partner agency or public funder.", "unknown_partner"
        )
    return org


@dataclass(frozen=True)
class IssuedPartnerToken:
    token: str
    record: PartnerToken


def issue_partner_token(
    db: Session, actor: Actor, organization_id: uuid.UUID, name: str
) -> IssuedPartnerToken:
    """A new token for a partner organisation; its value is returned once, only its hash
    is stored."""
    require_staff_wide(actor)
    org = _partner(db, organization_id, "organization_id")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.single("name", "must be 1 to 100 characters", "length")
    bind_actor(db, actor)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = PartnerToken(
        organization_id=org.id,
        name=name,
        token_hash=token_digest(token),
        prefix=token[: len(TOKEN_PREFIX) + 4],
        created_by_id=actor.user_id,
    )
    db.add(record)
    db.commit()
    return IssuedPartnerToken(token, record)


def list_partner_tokens(db: Session, actor: Actor) -> list[tuple[PartnerToken, Organization]]:
    require_staff_wide(actor)
    rows = db.execute(
        select(PartnerToken, Organization)
        .join(Organization, Organization.id == PartnerToken.organization_id)
        .order_by(Organization.name, PartnerToken.created_at.desc(), PartnerToken.id)
    )
    return [(token, org) for token, org in rows]


def revoke_partner_token(db: Session, actor: Actor, token_id: uuid.UUID) -> PartnerToken:
    require_staff_wide(actor)
    record = db.get(PartnerToken, token_id)
    if record is None:
        raise NotFound("No such partner token.")
    if record.revoked_at is None:
        bind_actor(db, actor)
        record.revoked_at = utcnow()
        db.commit()
    return record


@dataclass(frozen=True)
class Partner:
    """The partner organisation a request came from, by its token."""

    organization_id: uuid.UUID
    name: str
    token_prefix: str

    @property
    def actor(self) -> Actor:
        # Referrals are written by the system on the partner's behalf, like a portal
        # inquiry; the audit log names the token.
        return replace(SYSTEM_ACTOR, label=f"partner token {self.token_prefix}")


def resolve_partner_token(db: Session, token: str) -> Partner | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = db.execute(
        select(PartnerToken, Organization)
        .join(Organization, Organization.id == PartnerToken.organization_id)
        .where(PartnerToken.token_hash == token_digest(token))
    ).first()
    if found is None:
        return None
    record, org = found
    if record.revoked_at is not None:
        return None
    now = utcnow()
    # Recorded at most every few minutes: a write per call would cost every request.
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        record.last_used_at = now
        db.commit()
    return Partner(org.id, org.name, record.prefix)


# --- checking and deduplicating a referral ---------------------------------------------


def referral_refs(db: Session) -> rules.ReferralRefs:
    """Country names in Finnish and English (Babel), industries by code and name."""
    country_names: dict[str, str] = {}
    for lang in ("en", "fi"):
        for code, name in Locale.parse(lang).territories.items():
            if code in COUNTRY_CODES:
                country_names[name.casefold()] = code
    industry_names: dict[str, str] = {}
    for industry in db.scalars(select(Industry)):
        for name in (industry.code, industry.name_en, industry.name_fi):
            industry_names[name.casefold()] = industry.code
    return rules.ReferralRefs(COUNTRY_CODES, country_names, industry_names)


_CONTACT_FIELDS = {"full_name": "contact_name", "email": "contact_email", "phone": "contact_phone"}


@dataclass
class _Plan:
    """What a referral will do, found before anything is written."""

    referral: rules.Referral
    existing: Referral | None = None
    organization: Organization | None = None
    lead: Lead | None = None
    contact: Contact | None = None
    new_contact: dict[str, object] | None = None
    notes: list[FieldError] = field(default_factory=list)


def _matching_organization(
    db: Session, referral: rules.Referral
) -> tuple[Organization, str] | None:
    """The stored organisation the referral names: the same business ID, else the same
    normalised name in the same country (or one with no country recorded)."""
    if referral.business_id:
        org = db.scalar(
            select(Organization).where(Organization.business_id == referral.business_id)
        )
        if org is not None:
            return org, "business_id"
    candidates = db.scalars(
        select(Organization)
        .where(Organization.name_key == normalise_org_name(referral.company))
        .order_by(Organization.created_at, Organization.id)
    )
    for org in candidates:
        if org.country in (None, referral.country):
            return org, "name"
    return None


def _open_lead(db: Session, organization_id: uuid.UUID, industry_code: str) -> Lead | None:
    """An open lead of the organisation in the same industry (the oldest)."""
    return db.scalar(
        select(Lead)
        .join(Stage, Stage.code == Lead.stage_code)
        .where(
            Lead.organization_id == organization_id,
            Lead.industry_code == industry_code,
            Lead.merged_into_id.is_(None),
            Stage.kind == StageKind.OPEN.value,
        )
        .order_by(Lead.created_at, Lead.id)
        .limit(1)
    )


def _plan(db: Session, partner_id: uuid.UUID, referral: rules.Referral) -> _Plan:
    """Deduplicate against the register; raises `ValidationFailed` for a bad contact."""
    plan = _Plan(referral)
    plan.existing = db.scalar(
        select(Referral).where(
            Referral.partner_organization_id == partner_id,
            Referral.referral_id == referral.referral_id,
        )
    )
    if plan.existing is not None:
        plan.notes.append(
            FieldError(
                "referral_id",
                "This referral was received before: its lead is kept, nothing new is created.",
                "referral_repeated",
            )
        )
        return plan
    if (match := _matching_organization(db, referral)) is not None:
        plan.organization, rule = match
        plan.notes.append(
            FieldError(
                "company",
                f"Linked to the organisation {plan.organization.name} already in the register.",
                f"organization_linked_by_{rule}",
                {"name": plan.organization.name},
            )
        )
        if referral.industry_code:
            plan.lead = _open_lead(db, plan.organization.id, referral.industry_code)
        if plan.lead is not None:
            plan.notes.append(
                FieldError(
                    "industry",
                    f"Linked to the open lead {plan.lead.code_name} of the same organisation "
                    "and industry: no new lead.",
                    "lead_linked",
                    {"code_name": plan.lead.code_name},
                )
            )
    if referral.contact_name:
        values = {
            "full_name": referral.contact_name,
            "email": referral.contact_email,
            "phone": referral.contact_phone,
            "lawful_basis": LawfulBasis.LEGITIMATE_INTEREST.value,
            "source": f"Invest in Finland referral {referral.referral_id}"[:200],
        }
        try:
            cleaned = clean_contact_fields(values, creating=True, today=utcnow().date())
        except ValidationFailed as failed:
            raise ValidationFailed(
                errors=[
                    replace(e, field=_CONTACT_FIELDS.get(e.field, e.field)) for e in failed.errors
                ],
                detail="The referral is not valid.",
            ) from None
        for contact, _rule in organizations.contact_duplicates(
            db, cleaned.get("email"), None, None
        ):
            if contact.erased_at is None:
                plan.contact = contact
                plan.notes.append(
                    FieldError(
                        "contact_email",
                        "Linked to the contact with this e-mail already in the register.",
                        "contact_linked",
                    )
                )
                break
        else:
            plan.new_contact = cleaned
    return plan


@dataclass(frozen=True)
class Received:
    referral: Referral
    lead: Lead | None
    # Whether the referral is new (False: the partner sent it before).
    created: bool


def _lead_values(db: Session, referral: rules.Referral) -> dict[str, object]:
    industry = db.get(Industry, referral.industry_code) if referral.industry_code else None
    lines = [referral.project_description or "", "", "— Referred by Invest in Finland"]
    lines.append(f"Referral: {referral.referral_id}")
    if referral.timeline:
        lines.append(f"Timeline: {referral.timeline}")
    return {
        "title": rules.referral_lead_title(industry.name_en if industry else None),
        "description": "\n".join(lines).strip(),
        # A Finnish company's new plant is domestic capital; the coordinator refines it.
        "investment_type": (
            InvestmentType.CAPITAL_INVESTMENT
            if referral.country == "FI"
            else InvestmentType.GREENFIELD_FDI
        ).value,
        "origin_country": referral.country,
        "industry_code": referral.industry_code,
        "capex_eur": referral.capex_eur,
        "jobs": referral.jobs,
        "source": LeadSource.INVEST_IN_FINLAND.value,
    }


def _apply(
    db: Session,
    actor: Actor,
    partner_id: uuid.UUID,
    plan: _Plan,
    via: str,
    new_organizations: dict[str, Organization],
) -> Received:
    """Write one planned referral; no commit. `new_organizations` keeps the organisations
    created earlier in the same file, so two rows of one company make one."""
    referral = plan.referral
    now = utcnow()
    if plan.existing is not None:
        plan.existing.times_received += 1
        plan.existing.last_received_at = now
        plan.existing.timeline = referral.timeline
        lead = db.get(Lead, plan.existing.lead_id) if plan.existing.lead_id else None
        return Received(plan.existing, lead, created=False)
    org = plan.organization
    key = referral.business_id or f"{normalise_org_name(referral.company)}|{referral.country}"
    if org is None:
        org = new_organizations.get(key)
    if org is None:
        org = Organization(
            **clean_organization_fields(
                {
                    "name": referral.company,
                    "type": "company",
                    "country": referral.country,
                    "business_id": referral.business_id,
                },
                organizations.industry_codes(db),
                creating=True,
            )
        )
        db.add(org)
        db.flush()
        new_organizations[key] = org
    contact = plan.contact
    if contact is None and plan.new_contact is not None:
        contact = Contact(**plan.new_contact, organization_id=org.id)
        db.add(contact)
        db.flush()
    lead = plan.lead
    if lead is None:
        links = leads.LeadLinks(organization_id=org.id, contact_ids=[contact.id] if contact else [])
        cleaned = leads.validate_new_lead(db, actor, _lead_values(db, referral), links)
        lead = leads.add_lead(db, actor, cleaned, links)
    elif contact is not None and not db.get(LeadContact, (lead.id, contact.id)):
        db.add(LeadContact(lead_id=lead.id, contact_id=contact.id))
    record = Referral(
        partner_organization_id=partner_id,
        referral_id=referral.referral_id,
        lead_id=lead.id,
        received_via=via,
        last_received_at=now,
        timeline=referral.timeline,
    )
    db.add(record)
    db.flush()
    partner = db.get(Organization, partner_id)
    notifications.notify(
        db,
        notices.referral_arrived(
            actor_id=actor.user_id,
            lead_id=lead.id,
            partner=partner.name if partner else "–",
            referral_id=referral.referral_id,
        ),
    )
    return Received(record, lead, created=True)


def submit_referral(db: Session, partner: Partner, values: Mapping[str, object]) -> Received:
    """A referral from the partner's API call: a new lead, or — for a referral id the
    partner sent before — the same one again. Commits."""
    referral = rules.clean_referral(values, referral_refs(db))
    actor = partner.actor
    for attempt in range(2):
        plan = _plan(db, partner.organization_id, referral)
        bind_actor(db, actor)
        try:
            received = _apply(db, actor, partner.organization_id, plan, "api", {})
            db.commit()
            return received
        except IntegrityError:
            # The same referral sent twice at once: the other request stored it first.
            db.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


# --- the outcome told back --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    referral_id: str
    status: rules.ReferralStatus
    received_at: datetime
    last_changed_at: datetime
    lost_reason_code: str | None = None
    lost_reason: str | None = None


def referral_outcome(db: Session, partner: Partner, referral_id: str) -> Outcome:
    """What became of one of the partner's own referrals; another partner's, or one never
    sent, is not found alike."""
    record = db.scalar(
        select(Referral).where(
            Referral.partner_organization_id == partner.organization_id,
            Referral.referral_id == referral_id,
        )
    )
    if record is None:
        raise NotFound("No such referral.")
    return _outcome(db, record)


def _outcome(db: Session, record: Referral) -> Outcome:
    lead = db.get(Lead, record.lead_id) if record.lead_id else None
    # A duplicate merged into another lead: the surviving lead's outcome is the referral's.
    if lead is not None and lead.merged_into_id is not None:
        lead = db.get(Lead, lead.merged_into_id)
    stage = db.get(Stage, lead.stage_code) if lead is not None else None
    status = rules.referral_status(
        stage.code if stage else None,
        StageKind(stage.kind) if stage else None,
        INITIAL_STAGE_CODE,
    )
    changed = max(record.created_at, lead.stage_changed_at) if lead else record.updated_at
    reason = None
    if status is rules.ReferralStatus.LOST and lead is not None and lead.lost_reason_code:
        reason = db.get(LostReason, lead.lost_reason_code)
    return Outcome(
        referral_id=record.referral_id,
        status=status,
        received_at=record.created_at,
        last_changed_at=changed,
        lost_reason_code=reason.code if reason else None,
        lost_reason=reason.name_en if reason else None,
    )


@dataclass(frozen=True)
class ReferralRow:
    """A referral as the staff pages list it."""

    referral: Referral
    partner: str
    lead: Lead | None
    outcome: Outcome


def recent_referrals(db: Session, actor: Actor, limit: int = 50) -> list[ReferralRow]:
    require_staff_wide(actor)
    rows = db.execute(
        select(Referral, Organization.name)
        .join(Organization, Organization.id == Referral.partner_organization_id)
        .order_by(Referral.last_received_at.desc(), Referral.id)
        .limit(limit)
    )
    return [
        ReferralRow(
            record,
            partner,
            db.get(Lead, record.lead_id) if record.lead_id else None,
            _outcome(db, record),
        )
        for record, partner in rows
    ]


def referrals_of_lead(db: Session, actor: Actor, lead_id: uuid.UUID) -> list[tuple[str, str]]:
    """(partner, referral id) of each referral that brought a lead the actor may read."""
    leads.require_need_to_know(db, actor, lead_id)
    rows = db.execute(
        select(Organization.name, Referral.referral_id)
        .join(Organization, Organization.id == Referral.partner_organization_id)
        .where(Referral.lead_id == lead_id)
        .order_by(Referral.created_at)
    )
    return [(partner, referral_id) for partner, referral_id in rows]


# --- a referral export: CSV or XLSX ----------------------------------------------------


def _file_rows(filename: str, content: bytes) -> tuple[list[dict[str, str]], list[FieldError]]:
    """The rows of a referral export by field, or the problems with the file."""
    if len(content) > imports.MAX_BYTES:
        return [], [FieldError("file", "The file is larger than 5 MB.", "too_large")]
    if rules.is_xlsx(filename, content):
        try:
            table = rules.xlsx_rows(content)
        except rules.UnreadableFile as unreadable:
            return [], [FieldError("file", "The workbook cannot be read.", unreadable.code)]
        if not table:
            return [], [FieldError("file", "The file is empty.", "empty")]
        header, body = table[0], table[1:]
        cells = [dict(zip(header, row, strict=False)) for row in body if any(row)]
    else:
        parsed = imports.read_csv(content)
        if parsed.errors:
            return [], parsed.errors
        cells = parsed.rows
        header = list(parsed.rows[0]) if parsed.rows else []
    if len(cells) > rules.MAX_ROWS:
        return [], [
            FieldError(
                "file", "The file has too many rows.", "too_many_rows", {"limit": rules.MAX_ROWS}
            )
        ]
    names, errors = rules.map_headings([str(h) for h in header])
    if errors:
        return [], errors
    by_heading = dict(zip(header, names, strict=True))
    rows = [
        {name: value for heading, value in row.items() if (name := by_heading.get(heading))}
        for row in cells
    ]
    if not rows:
        return [], [FieldError("file", "The file has no rows.", "empty")]
    return rows, []


def run_referral_import(
    db: Session,
    actor: Actor,
    partner_id: uuid.UUID,
    filename: str,
    content: bytes,
    *,
    dry_run: bool,
    commit: bool = True,
) -> imports.ImportReport:
    """Check every row of a referral export (the report says per row what it would
    create or link to); unless a dry run, write every row or, on any error, none."""
    require_staff_wide(actor)
    _partner(db, partner_id, "partner_id")
    rows, file_errors = _file_rows(filename, content)
    report = imports.ImportReport(kind=KIND, dry_run=dry_run, rows=[], file_errors=file_errors)
    if file_errors:
        if dry_run:
            return report
        raise ValidationFailed(errors=report.all_errors(), detail="Nothing was imported.")
    refs = referral_refs(db)
    plans: list[_Plan | None] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        line = imports.RowReport(row=number, label=row.get("referral_id") or "")
        plan = None
        try:
            referral = rules.clean_referral(row, refs)
            line.label = f"{referral.referral_id}: {referral.company}"
            plan = _plan(db, partner_id, referral)
            line.warnings = plan.notes
            if referral.referral_id in seen:
                line.errors.append(
                    FieldError(
                        "referral_id",
                        f"The same referral is already on row {seen[referral.referral_id]}.",
                        "duplicate_in_file",
                        {"row": seen[referral.referral_id]},
                    )
                )
            seen.setdefault(referral.referral_id, number)
        except ValidationFailed as failed:
            line.errors += failed.errors
        report.rows.append(line)
        plans.append(plan)
    if dry_run:
        return report
    if report.invalid:
        raise ValidationFailed(
            errors=report.all_errors(),
            detail=f"Nothing was imported: {report.invalid} row(s) have errors.",
        )
    bind_actor(db, actor)
    created: dict[str, Organization] = {}
    for plan in plans:
        assert plan is not None
        _apply(db, actor, partner_id, plan, "file", created)
    if commit:
        db.commit()
    else:
        db.flush()
    report.applied = True
    return report


# --- the staff page: a referral export checked, kept, then applied by id ----------------


class RowLink:
    """What a checked row of a referral export links to."""

    NEW = "new"  # a new organisation and a new lead
    ORGANIZATION = "organization"  # an organisation in the register, a new lead
    LEAD = "lead"  # an open lead of that organisation: no new lead
    REPEAT = "repeat"  # a referral received before: nothing new


def row_link(row: imports.RowReport) -> str | None:
    """What a row would link to, from its dry-run notes; None for a row with errors."""
    if row.errors:
        return None
    codes = {note.code for note in row.warnings}
    if "referral_repeated" in codes:
        return RowLink.REPEAT
    if "lead_linked" in codes:
        return RowLink.LEAD
    if any(code.startswith("organization_linked") for code in codes):
        return RowLink.ORGANIZATION
    return RowLink.NEW


def _runner(db: Session, actor: Actor, partner_id: uuid.UUID) -> imports.Runner:
    return lambda content, filename, dry_run, commit: run_referral_import(
        db, actor, partner_id, filename, content, dry_run=dry_run, commit=commit
    )


def check_referral_upload(
    db: Session, actor: Actor, partner_id: uuid.UUID, filename: str, content: bytes
) -> ImportUpload:
    """The staff page's dry run: the file is kept (like the register's imports) to be
    applied by id; the partner is checked first, so a wrong one keeps nothing."""
    return imports.check_upload(
        db, actor, KIND, filename, content, run=_runner(db, actor, partner_id)
    )


def get_referral_upload(
    db: Session, actor: Actor, upload_id: uuid.UUID, partner_id: uuid.UUID
) -> imports.CheckedImport:
    return imports.get_upload(
        db, actor, upload_id, kinds=(KIND,), run=_runner(db, actor, partner_id)
    )


def apply_referral_upload(
    db: Session, actor: Actor, upload_id: uuid.UUID, partner_id: uuid.UUID
) -> ImportUpload:
    return imports.apply_upload(
        db, actor, upload_id, kinds=(KIND,), run=_runner(db, actor, partner_id)
    )


def list_referral_uploads(db: Session, actor: Actor) -> list[ImportUpload]:
    return imports.list_uploads(db, actor, kinds=(KIND,))


register_field_errors(
    {
        "unknown_partner": N_("Choose a partner agency or public funder."),
        "twice": N_("The file has this column twice."),
        ("duplicate_in_file", "referral_id"): N_("The same referral appears twice in the file."),
        ("unknown", "country"): N_("Give a country as a two-letter code (e.g. SE) or its name."),
        ("unknown", "industry"): N_("Give a key industry by its code or name."),
        "control_character": N_("The text holds a control character."),
        "xlsx_invalid": N_("The workbook cannot be read; save it again as XLSX or CSV."),
        "xml_parser_unsafe": N_("XLSX files cannot be read safely right now; upload CSV."),
        "referral_repeated": N_(
            "This referral was received before: its lead is kept, nothing new is created."
        ),
        "organization_linked_by_business_id": N_(
            "Linked to %(name)s, already in the register with this business ID."
        ),
        "organization_linked_by_name": N_(
            "Linked to %(name)s, already in the register with this name and country."
        ),
        "lead_linked": N_(
            "Linked to the open lead %(code_name)s of the same organisation and industry: "
            "no new lead."
        ),
        "contact_linked": N_("Linked to the contact with this e-mail already in the register."),
    }
)
