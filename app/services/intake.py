"""Intake of new leads: screening by the coordinator's rules, the response clock, the
first response, escalation before a deadline is missed, and the response-time report.

Every new lead passes `admit` (called by `app.services.leads.add_lead`, the one writer
of new leads: hand-entered leads, portal inquiries and referrals)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Industry,
    Lead,
    LeadIntake,
    LeadMunicipality,
    Municipality,
    ResponseCommitment,
    ScreeningRule,
    Stage,
    User,
)
from app.domain import intake as rules
from app.domain import notifications as notices
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.intake import HELSINKI, Clock, LeadFacts, OwnerAction, RuleReferences
from app.domain.leads import Priority, StageKind
from app.domain.organizations import COUNTRY_CODES
from app.i18n import N_, register_labels, translate
from app.services import notifications
from app.services.scope import leads_in_reports, leads_visible_to, require_lead_records
from app.services.targets import require_report_reader
from app.services.users import lead_owner_choices
from app.settings import Settings

register_labels(
    "owner_action",
    {
        OwnerAction.SUGGEST.value: N_("Suggest as owner"),
        OwnerAction.ASSIGN.value: N_("Assign as owner"),
    },
)
register_labels(
    "response_kind",
    {
        "call": N_("a call"),
        "email": N_("an e-mail"),
        "meeting": N_("a meeting"),
        rules.RESPONDED: N_("marked as answered"),
    },
)


# --- the rules and commitments (coordinator's data) ---------------------------------------


def list_rules(db: Session, actor: Actor) -> list[ScreeningRule]:
    require_staff_wide(actor)
    return _ordered_rules(db)


def _ordered_rules(db: Session) -> list[ScreeningRule]:
    return list(
        db.scalars(select(ScreeningRule).order_by(ScreeningRule.position, ScreeningRule.created_at))
    )


def _references(db: Session) -> RuleReferences:
    return RuleReferences(
        industry_codes=set(db.scalars(select(Industry.code))),
        country_codes=COUNTRY_CODES,
        municipality_codes=set(db.scalars(select(Municipality.code))),
        owner_ids={u.id for u in lead_owner_choices(db)},
    )


def _rule(db: Session, rule_id: uuid.UUID) -> ScreeningRule:
    rule = db.get(ScreeningRule, rule_id)
    if rule is None:
        raise NotFound("No such screening rule.")
    return rule


def get_rule(db: Session, actor: Actor, rule_id: uuid.UUID) -> ScreeningRule:
    require_staff_wide(actor)
    return _rule(db, rule_id)


def create_rule(db: Session, actor: Actor, values: dict[str, object]) -> ScreeningRule:
    require_staff_wide(actor)
    cleaned = rules.clean_rule_fields(values, _references(db), creating=True)
    bind_actor(db, actor)
    rule = ScreeningRule(**cleaned)
    db.add(rule)
    db.commit()
    return rule


def update_rule(
    db: Session, actor: Actor, rule_id: uuid.UUID, values: dict[str, object]
) -> ScreeningRule:
    require_staff_wide(actor)
    rule = _rule(db, rule_id)
    cleaned = rules.clean_rule_fields(values, _references(db), creating=False)
    low = cleaned.get("capex_min_eur", rule.capex_min_eur)
    high = cleaned.get("capex_max_eur", rule.capex_max_eur)
    if low is not None and high is not None and high < low:
        # A partial edit that crosses the band's other end.
        rules.clean_rule_fields(
            {"capex_min_eur": low, "capex_max_eur": high}, _references(db), creating=False
        )
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(rule, name, value)
    db.commit()
    return rule


def delete_rule(db: Session, actor: Actor, rule_id: uuid.UUID) -> None:
    """Leads it screened keep the rule's name (`lead_intakes.rule_name`)."""
    require_staff_wide(actor)
    rule = _rule(db, rule_id)
    bind_actor(db, actor)
    db.delete(rule)
    db.commit()


def commitments(db: Session) -> dict[str, int]:
    """Working days per priority (every lead worker may read them: the clock shows them)."""
    stored = {c.priority: c.working_days for c in db.scalars(select(ResponseCommitment))}
    return {p.value: stored.get(p.value, rules.DEFAULT_WORKING_DAYS[p.value]) for p in Priority}


def save_commitments(db: Session, actor: Actor, values: dict[str, object]) -> dict[str, int]:
    """New working days per priority; clocks already running keep theirs."""
    require_staff_wide(actor)
    cleaned = rules.clean_commitments(values)
    bind_actor(db, actor)
    for priority, days in cleaned.items():
        row = db.get(ResponseCommitment, priority)
        if row is None:
            db.add(ResponseCommitment(priority=priority, working_days=days))
        else:
            row.working_days = days
    db.commit()
    return cleaned


# --- admitting a new lead -----------------------------------------------------------------


def _as_rule(row: ScreeningRule) -> rules.Rule:
    return rules.Rule(
        id=row.id,
        name=row.name,
        active=row.active,
        capex_min_eur=row.capex_min_eur,
        capex_max_eur=row.capex_max_eur,
        industry_codes=row.industry_codes,
        industrial_only=row.industrial_only,
        countries=row.countries,
        sources=row.sources,
        municipality_codes=row.municipality_codes,
        priority=row.priority,
        owner_id=row.owner_id,
        owner_action=row.owner_action,
    )


def _facts(db: Session, lead: Lead, municipality_codes: Iterable[str]) -> LeadFacts:
    industry = db.get(Industry, lead.industry_code) if lead.industry_code else None
    family = (
        frozenset(c for c in (industry.code, industry.parent_code) if c)
        if industry
        else frozenset()
    )
    return LeadFacts(
        capex_eur=lead.capex_eur,
        industry_code=lead.industry_code,
        industry_family=family,
        industrial=bool(industry and industry.counts_as_industrial),
        country=lead.origin_country,
        source=lead.source,
        municipality_codes=frozenset(municipality_codes),
    )


def _active_owner(db: Session, user_id: uuid.UUID | None) -> User | None:
    """The rule's owner while they may still own leads (an account may close later)."""
    return next((u for u in lead_owner_choices(db) if u.id == user_id), None) if user_id else None


def admit(
    db: Session,
    actor: Actor,
    lead: Lead,
    municipality_codes: Iterable[str],
    *,
    owner_chosen: bool,
    now: datetime,
) -> LeadIntake:
    """Screen a new, flushed lead and start its response clock; no commit.

    The first matching rule sets the priority and suggests or assigns its owner. An
    assignment replaces the default owner only when nobody chose one and the lead comes
    from the system (the portal, a referral) or the regional team: a municipal contact
    keeps the lead they entered, with the rule's owner as a suggestion."""
    matched = rules.first_match(
        (_as_rule(r) for r in _ordered_rules(db)), _facts(db, lead, municipality_codes)
    )
    effects: dict[str, str] = {}
    suggested: uuid.UUID | None = None
    if matched is not None:
        if matched.priority is not None:
            lead.priority = matched.priority
            effects["priority"] = matched.priority
        owner = _active_owner(db, matched.owner_id)
        may_assign = actor.user_id is None or actor.sees_everything
        if owner is not None and owner.id != lead.owner_id:
            if matched.owner_action == OwnerAction.ASSIGN and may_assign and not owner_chosen:
                lead.owner_id = owner.id
                effects["owner"] = OwnerAction.ASSIGN.value
                notifications.notify(
                    db,
                    notices.lead_assigned(
                        actor_id=actor.user_id,
                        lead_id=lead.id,
                        owner_id=owner.id,
                        from_inquiry=lead.source == "portal_inquiry",
                    ),
                )
            else:
                suggested = owner.id
                effects["owner"] = OwnerAction.SUGGEST.value
    days = None if lead.source in rules.SOURCES_WITHOUT_CLOCK else commitments(db)[lead.priority]
    due = rules.deadline(now, days) if days is not None else None
    intake = LeadIntake(
        lead_id=lead.id,
        reference=rules.new_reference(set(db.scalars(select(LeadIntake.reference)))),
        rule_id=matched.id if matched else None,
        rule_name=matched.name if matched else None,
        suggested_owner_id=suggested,
        effects=effects,
        received_at=now,
        priority=lead.priority,
        working_days=days,
        response_due_at=due.due_at if due else None,
        warn_at=due.warn_at if due else None,
    )
    db.add(intake)
    db.flush()
    return intake


# --- the first response -------------------------------------------------------------------


def record_response(
    db: Session, lead_id: uuid.UUID, *, by: uuid.UUID | None, kind: str, at: datetime
) -> bool:
    """Stop the lead's clock at its first answer (a call, e-mail or meeting logged on
    it, or marked by hand); later ones change nothing. No commit."""
    if kind not in rules.RESPONSE_ACTIVITY_KINDS and kind != rules.RESPONDED:
        return False
    intake = db.get(LeadIntake, lead_id)
    if intake is None or intake.first_response_at is not None:
        return False
    # An answer logged afterwards counts when it happened, but never before arrival.
    intake.first_response_at = min(max(at, intake.received_at), utcnow())
    intake.first_response_by_id = by
    intake.first_response_kind = kind
    return True


def mark_responded(db: Session, actor: Actor, lead_id: uuid.UUID) -> LeadIntake:
    """Whoever works the lead (may log its activities) records that the investor was
    answered some other way."""
    require_lead_records(actor)
    lead = db.scalar(select(Lead).where(Lead.id == lead_id, leads_visible_to(actor)))
    intake = db.get(LeadIntake, lead_id) if lead is not None else None
    if intake is None:
        raise NotFound("No such lead.")
    if intake.response_due_at is None:
        raise Conflict("This lead has no response clock.")
    if intake.first_response_at is not None:
        raise Conflict("The investor has already been answered.")
    bind_actor(db, actor)
    record_response(db, lead_id, by=actor.user_id, kind=rules.RESPONDED, at=utcnow())
    db.commit()
    return intake


# --- what the pages show ------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeView:
    intake: LeadIntake
    clock: Clock | None
    suggested_owner: User | None
    responder: User | None


def clock_of(intake: LeadIntake, now: datetime) -> Clock | None:
    if intake.response_due_at is None or intake.warn_at is None:
        return None
    return rules.clock(
        due_at=intake.response_due_at,
        warn_at=intake.warn_at,
        first_response_at=intake.first_response_at,
        now=now,
    )


def intake_view(db: Session, actor: Actor, lead_id: uuid.UUID, now: datetime) -> IntakeView | None:
    """The intake of a lead the actor has need-to-know of (else None)."""
    if db.scalar(select(Lead.id).where(Lead.id == lead_id, leads_visible_to(actor))) is None:
        return None
    intake = db.get(LeadIntake, lead_id)
    if intake is None:
        return None
    return IntakeView(
        intake=intake,
        clock=clock_of(intake, now),
        suggested_owner=db.get(User, intake.suggested_owner_id)
        if intake.suggested_owner_id
        else None,
        responder=db.get(User, intake.first_response_by_id)
        if intake.first_response_by_id
        else None,
    )


@dataclass(frozen=True)
class QueueRow:
    lead: Lead
    intake: LeadIntake
    clock: Clock
    owner_name: str | None


def _waiting() -> list[object]:
    """Leads whose clock runs: unanswered, still open, not merged into another."""
    return [
        LeadIntake.first_response_at.is_(None),
        LeadIntake.response_due_at.is_not(None),
        Lead.merged_into_id.is_(None),
        Stage.kind == StageKind.OPEN.value,
    ]


def queue(db: Session, actor: Actor, now: datetime) -> list[QueueRow]:
    """The coordinator's intake queue: new leads not yet answered, the nearest
    deadline first."""
    require_staff_wide(actor)
    rows = db.execute(
        select(Lead, LeadIntake, User.full_name)
        .join(LeadIntake, LeadIntake.lead_id == Lead.id)
        .join(Stage, Stage.code == Lead.stage_code)
        .outerjoin(User, User.id == Lead.owner_id)
        .where(*_waiting())  # type: ignore[arg-type]
        .order_by(LeadIntake.response_due_at, LeadIntake.received_at)
    ).all()
    return [
        QueueRow(lead, intake, clock, owner)
        for lead, intake, owner in rows
        if (clock := clock_of(intake, now)) is not None
    ]


# --- escalation (scheduled) ---------------------------------------------------------------


def escalate(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Tell the coordinators and the owner when less than one working day is left to
    answer a new lead, and again when the deadline has passed: once per lead each."""
    now = now or utcnow()
    rows = db.execute(
        select(Lead, LeadIntake)
        .join(LeadIntake, LeadIntake.lead_id == Lead.id)
        .join(Stage, Stage.code == Lead.stage_code)
        .where(
            *_waiting(),  # type: ignore[arg-type]
            or_(
                and_(LeadIntake.warned_at.is_(None), LeadIntake.warn_at <= now),
                and_(LeadIntake.overdue_notified_at.is_(None), LeadIntake.response_due_at <= now),
            ),
        )
        .with_for_update(of=LeadIntake, skip_locked=True)
    ).all()
    sent = 0
    for lead, intake in rows:
        assert intake.response_due_at is not None
        overdue = intake.response_due_at <= now
        if overdue and intake.overdue_notified_at is None:
            notifications.notify(
                db, notices.response_clock(lead_id=lead.id, owner_id=lead.owner_id, overdue=True)
            )
            intake.overdue_notified_at = now
            # A warning after the deadline says nothing new.
            intake.warned_at = intake.warned_at or now
            sent += 1
        elif not overdue and intake.warned_at is None:
            notifications.notify(
                db, notices.response_clock(lead_id=lead.id, owner_id=lead.owner_id, overdue=False)
            )
            intake.warned_at = now
            sent += 1
    db.commit()
    return sent


# --- the acknowledgement ------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledgement:
    reference: str
    # Whom the investor hears from: the assigned owner, else the regional team (None).
    answerer: str | None
    due_day: date | None


def acknowledgement(db: Session, lead: Lead) -> Acknowledgement | None:
    intake = db.get(LeadIntake, lead.id)
    if intake is None:
        return None
    owner = _active_owner(db, lead.owner_id)
    due_day = intake.warn_at.astimezone(HELSINKI).date() if intake.warn_at else None
    return Acknowledgement(intake.reference, owner.full_name if owner else None, due_day)


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseFigures:
    key: str | None  # a municipality code, an owner's name; None: none set
    label: str
    received: int  # leads with a clock that arrived in the period
    met: int  # answered by the deadline
    late: int  # answered after it
    missed: int  # unanswered, deadline passed
    pending: int  # unanswered, deadline still ahead
    median_hours: Decimal | None  # to the first answer, of those answered

    @property
    def met_share(self) -> Decimal | None:
        """Of the clocks decided (met, late or missed), the share met, in percent."""
        decided = self.met + self.late + self.missed
        if not decided:
            return None
        return (Decimal(100 * self.met) / decided).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ResponseReport:
    start: date
    end: date
    total: ResponseFigures
    by_municipality: list[ResponseFigures]
    by_owner: list[ResponseFigures]


@dataclass(frozen=True)
class _Answered:
    state: str
    seconds: int | None


def _figures(key: str | None, label: str, items: list[_Answered]) -> ResponseFigures:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.state] += 1
    seconds = sorted(i.seconds for i in items if i.seconds is not None)
    middle = rules.median(seconds)
    return ResponseFigures(
        key=key,
        label=label,
        received=len(items),
        met=counts["met"],
        late=counts["late"],
        missed=counts["missed"],
        pending=counts["pending"],
        median_hours=None if middle is None else (middle / 3600).quantize(Decimal("0.1")),
    )


def response_report(
    db: Session, actor: Actor, *, start: date, end: date, lang: str, now: datetime | None = None
) -> ResponseReport:
    """Response times of the leads that arrived from `start` to `end` (Finnish days):
    the share answered by the deadline and the median time to the first answer, in all,
    per candidate municipality and per owner. Counts only; no investor is named."""
    require_report_reader(actor)
    if end < start:
        raise ValidationFailed.single("end", "The period ends before it starts.", "before_start")
    now = now or utcnow()
    since = datetime.combine(start, datetime.min.time(), tzinfo=HELSINKI)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=HELSINKI)
    rows = db.execute(
        select(Lead.id, Lead.owner_id, LeadIntake)
        .join(LeadIntake, LeadIntake.lead_id == Lead.id)
        .where(
            LeadIntake.received_at >= since,
            LeadIntake.received_at < until,
            LeadIntake.response_due_at.is_not(None),
            Lead.merged_into_id.is_(None),
            leads_in_reports(actor),
        )
    ).all()
    lead_ids = [row[0] for row in rows]
    places: dict[uuid.UUID, list[str | None]] = defaultdict(list)
    for lead_id, municipality_code in db.execute(
        select(LeadMunicipality.lead_id, LeadMunicipality.municipality_code).where(
            LeadMunicipality.lead_id.in_(lead_ids)
        )
    ):
        places[lead_id].append(municipality_code)
    names = {m.code: m.name(lang) for m in db.scalars(select(Municipality))}
    owners = {
        u.id: u.full_name
        for u in db.scalars(select(User).where(User.id.in_({r[1] for r in rows if r[1]})))
    }
    everything: list[_Answered] = []
    per_place: dict[str | None, list[_Answered]] = defaultdict(list)
    per_owner: dict[uuid.UUID | None, list[_Answered]] = defaultdict(list)
    for lead_id, owner_id, intake in rows:
        item = _answered(intake, now)
        everything.append(item)
        for place in places.get(lead_id) or [None]:
            per_place[place].append(item)
        per_owner[owner_id].append(item)
    none = translate(lang, N_("Not set"))
    by_municipality = sorted(
        (
            _figures(place, names.get(place, place) if place else none, items)
            for place, items in per_place.items()
        ),
        key=lambda f: (f.key is None, f.label),
    )
    by_owner = sorted(
        (
            _figures(str(o) if o else None, owners.get(o, none) if o else none, items)
            for o, items in per_owner.items()
        ),
        key=lambda f: (f.key is None, f.label),
    )
    total = _figures(None, translate(lang, N_("All new leads")), everything)
    return ResponseReport(start, end, total, by_municipality, by_owner)


def _answered(intake: LeadIntake, now: datetime) -> _Answered:
    assert intake.response_due_at is not None
    if intake.first_response_at is not None:
        seconds = int((intake.first_response_at - intake.received_at).total_seconds())
        met = intake.first_response_at < intake.response_due_at
        return _Answered("met" if met else "late", seconds)
    return _Answered("missed" if now >= intake.response_due_at else "pending", None)
