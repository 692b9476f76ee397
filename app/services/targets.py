"""The target ledger: investment targets and their progress, aggregated in SQL.

The counting rules are described in `app/domain/targets.py`; `_classified` is their one
SQL form, shared by the totals, the splits and the drill-down, so the leads listed
behind a figure always add up to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    extract,
    func,
    join,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import (
    Industry,
    InvestmentTarget,
    Lead,
    LeadAmount,
    LeadStageChange,
    Municipality,
    Organization,
    Stage,
)
from app.domain.access import SYSTEM_ACTOR, Actor, Role, require_role, require_staff_wide
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.domain.leads import CapexStatus, StageKind
from app.domain.ledger import Exclusion, Measure
from app.domain.reports import end_of_day_utc
from app.domain.targets import (
    Dimension,
    Figure,
    Figures,
    GroupFigures,
    Progress,
    TargetInput,
    TargetScope,
    YearFigures,
    cumulate,
    validate_target,
)
from app.i18n import N_, register_field_errors
from app.services.ledger import AnnouncedVsRealised, announced_vs_realised
from app.services.scope import (
    investor_identity_public,
    leads_in_reports,
    leads_with_need_to_know,
)

REPORT_READERS = (Role.ADMIN, Role.COORDINATOR, Role.FORUM_VIEWER)


def require_report_reader(actor: Actor) -> None:
    require_role(actor, *REPORT_READERS)


# --- targets ---------------------------------------------------------------------------


def list_targets(
    db: Session, actor: Actor, *, limit: int = 50, offset: int = 0
) -> tuple[list[InvestmentTarget], int]:
    """Targets are the strategy's public goals: every signed-in user may read them."""
    total = db.scalar(select(func.count()).select_from(InvestmentTarget)) or 0
    rows = db.scalars(
        select(InvestmentTarget)
        .order_by(InvestmentTarget.period_start.desc(), InvestmentTarget.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def get_target(db: Session, actor: Actor, target_id: uuid.UUID) -> InvestmentTarget:
    target = db.get(InvestmentTarget, target_id)
    if target is None:
        raise NotFound("No such investment target.")
    return target


def _validated(db: Session, data: TargetInput) -> TargetInput:
    return validate_target(
        data,
        industry_codes=set(db.scalars(select(Industry.code))),
        municipality_codes=set(db.scalars(select(Municipality.code))),
    )


def check_target(db: Session, data: TargetInput) -> TargetInput:
    """The rules of a target against the reference data, without storing anything."""
    return _validated(db, data)


def create_target(db: Session, actor: Actor, data: TargetInput) -> InvestmentTarget:
    require_staff_wide(actor)
    clean = _validated(db, data)
    bind_actor(db, actor)
    target = InvestmentTarget(
        name=clean.name,
        amount_eur=clean.amount_eur,
        amount_jobs=clean.amount_jobs,
        period_start=clean.period_start,
        period_end=clean.period_end,
        scope=clean.scope.value,
        industry_code=clean.industry_code,
        municipality_code=clean.municipality_code,
        created_by_id=actor.user_id,
    )
    db.add(target)
    db.commit()
    return target


def update_target(
    db: Session, actor: Actor, target_id: uuid.UUID, changes: dict[str, Any]
) -> InvestmentTarget:
    require_staff_wide(actor)
    target = get_target(db, actor, target_id)
    if target.closed_on is not None:
        raise Conflict("This target period is closed; it is kept as it was reported.")
    merged = {
        "name": target.name,
        "amount_eur": target.amount_eur,
        "amount_jobs": target.amount_jobs,
        "period_start": target.period_start,
        "period_end": target.period_end,
        "scope": TargetScope(target.scope),
        "industry_code": target.industry_code,
        "municipality_code": target.municipality_code,
        **changes,
    }
    clean = _validated(db, TargetInput(**merged))
    bind_actor(db, actor)
    target.name = clean.name
    target.amount_eur = clean.amount_eur
    target.amount_jobs = clean.amount_jobs
    target.period_start = clean.period_start
    target.period_end = clean.period_end
    target.scope = clean.scope.value
    target.industry_code = clean.industry_code
    target.municipality_code = clean.municipality_code
    db.commit()
    return target


def close_target(
    db: Session, actor: Actor, target_id: uuid.UUID, *, today: date
) -> InvestmentTarget:
    """Close a target period once it has ended; a closed target is no longer edited."""
    require_staff_wide(actor)
    target = get_target(db, actor, target_id)
    if target.closed_on is not None:
        raise Conflict("This target period is closed already.")
    if today <= target.period_end:
        raise ValidationFailed(
            errors=[
                FieldError(
                    "closed_on",
                    "A target period can be closed once it has ended.",
                    "period_running",
                )
            ],
            detail="The target period has not ended.",
        )
    bind_actor(db, actor)
    target.closed_on = today
    db.commit()
    return target


def show_on_portal(db: Session, actor: Actor, target_id: uuid.UUID | None) -> None:
    """Choose the target the public home page shows; None: the running one."""
    require_staff_wide(actor)
    chosen = get_target(db, actor, target_id) if target_id is not None else None
    bind_actor(db, actor)
    for shown in db.scalars(
        select(InvestmentTarget).where(InvestmentTarget.shown_on_portal.is_(True))
    ):
        if shown is not chosen:
            shown.shown_on_portal = False
    # The old choice is cleared first: at most one row may be shown at any moment.
    db.flush()
    if chosen is not None:
        chosen.shown_on_portal = True
    db.commit()


def portal_target(db: Session, today: date) -> InvestmentTarget | None:
    """The target the public home page shows: the chosen one, else the one running
    today (the latest begun), else the latest ended — in one statement."""
    running = and_(InvestmentTarget.period_start <= today, InvestmentTarget.period_end >= today)
    return db.scalar(
        select(InvestmentTarget)
        .order_by(
            InvestmentTarget.shown_on_portal.desc(),
            case((running, 1), else_=0).desc(),
            case(
                (running, InvestmentTarget.period_start), else_=InvestmentTarget.period_end
            ).desc(),
            InvestmentTarget.id,
        )
        .limit(1)
    )


def target_for_report(db: Session, actor: Actor, as_of: date) -> InvestmentTarget | None:
    """The target a report defaults to: the one running on the date, else the latest."""
    running = db.scalar(
        select(InvestmentTarget)
        .where(InvestmentTarget.period_start <= as_of, InvestmentTarget.period_end >= as_of)
        .order_by(InvestmentTarget.period_start.desc(), InvestmentTarget.id)
        .limit(1)
    )
    if running is not None:
        return running
    return db.scalar(
        select(InvestmentTarget)
        .order_by(InvestmentTarget.period_end.desc(), InvestmentTarget.id)
        .limit(1)
    )


# --- the SQL form of the counting rules ------------------------------------------------


def last_visits_of_stages(
    moment: datetime,
) -> Select[uuid.UUID, str, datetime, datetime | None, int]:
    """Each lead's last visit of each stage begun before `moment`: (lead_id, stage_code,
    at, ended_at, spent_before), `spent_before` being the microseconds the lead had spent
    in the stage in its earlier visits of it (see `LeadStageChange`).

    `ended_at` is when the next visit began, NULL for the visit going on now. Every lead
    has its log from creation on, so the leads that existed at `moment` are exactly the
    leads with a visit here. Rows of all leads: callers apply visibility per lead."""
    return select(
        LeadStageChange.lead_id.label("lead_id"),
        LeadStageChange.to_stage.label("stage_code"),
        LeadStageChange.at.label("at"),
        LeadStageChange.ended_at.label("ended_at"),
        LeadStageChange.stage_spent_before.label("spent_before"),
    ).where(
        LeadStageChange.at < moment,
        or_(
            LeadStageChange.next_visit_of_stage_at.is_(None),
            LeadStageChange.next_visit_of_stage_at >= moment,
        ),
    )


def stages_at(moment: datetime) -> Subquery:
    """(lead_id, stage_code, reached_order) of every lead that existed at `moment`.

    The stage is that of the last visit begun before the moment: the one that had not
    ended before it (one per lead, as the visits tile time); `reached_order` is how far
    in the funnel the lead had come by then (see `LeadStageChange`)."""
    return (
        select(
            LeadStageChange.lead_id.label("lead_id"),
            LeadStageChange.to_stage.label("stage_code"),
            LeadStageChange.reached_order.label("reached_order"),
        )
        .where(
            LeadStageChange.at < moment,
            or_(LeadStageChange.ended_at.is_(None), LeadStageChange.ended_at >= moment),
        )
        .subquery()
    )


def tune_for_reports(db: Session) -> None:
    """Settings for the report statements, for the rest of the transaction (PostgreSQL).

    They sort and hash a few hundred thousand log rows: with the default 4 MB of work
    memory the sorts spill to disk, and JIT compilation costs more than it saves."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL work_mem = '64MB'"))
        db.execute(text("SET LOCAL jit = off"))


def attributed_municipality() -> ColumnElement[str | None]:
    """Where a lead counts: its landing municipality, else its only candidate, else none.

    A lead with several candidates is counted once, under no municipality, until it lands.
    The only candidate is the lead's `sole_candidate_code`, which triggers keep."""
    return func.coalesce(Lead.landing_municipality_code, Lead.sole_candidate_code)


def _moment(as_of: date, today: date) -> datetime | None:
    return None if as_of >= today else end_of_day_utc(as_of)


def amounts_at(moment: datetime, measure: str) -> Subquery:
    """(lead_id, kind, amount, basis, dated_on) of each lead's ledger row of `measure`
    valid at `moment`: recorded before it and not superseded by then (one per lead, as
    the rows of a measure tile time like the stage log's visits)."""
    return (
        select(
            LeadAmount.lead_id.label("lead_id"),
            LeadAmount.kind.label("kind"),
            LeadAmount.amount.label("amount"),
            LeadAmount.basis.label("basis"),
            LeadAmount.dated_on.label("dated_on"),
        )
        .where(
            LeadAmount.measure == measure,
            LeadAmount.recorded_at < moment,
            or_(LeadAmount.superseded_at.is_(None), LeadAmount.superseded_at >= moment),
        )
        .subquery()
    )


# The figures a lead counts in; any other value of the classification is an exclusion.
COUNTED_FIGURES = (Figure.REALISED.value, Figure.COMMITTED.value, Figure.WEIGHTED.value)


def classified(
    target: InvestmentTarget,
    as_of: date,
    today: date,
    actor: Actor,
) -> Select[Any]:
    """One row per lead with an amount at the as-of date: its figure (or "excluded" with
    the reason), amounts and splits. The rules are in app/domain/targets.py."""
    return counted_from(lead_rules(target, as_of, today, actor).subquery("rules"))


def lead_rules(
    target: InvestmentTarget,
    as_of: date,
    today: date,
    actor: Actor,
) -> Select[Any]:
    """One row per lead with an amount at the as-of date: which figure it counts in or
    why it is excluded (`counted_as`), its amounts, probability and splits.

    The figure, the reason, the amounts and the announced flag of `counted_from` all
    read `counted_as`; PostgreSQL evaluates it once per reference where the two are
    merged into one query, so `progress` materialises these rows first."""
    moment = _moment(as_of, today)
    # Today the stage is the lead's own column: no need to read it back from the log.
    at = None if moment is None else stages_at(moment)
    stage_code: Any = Lead.stage_code if at is None else at.c.stage_code
    kind = Stage.kind
    capex_then: Any
    basis: Any
    jobs_then: Any
    jobs_basis: Any
    if moment is None:
        capex_then, basis = Lead.capex_eur, Lead.capex_basis
        jobs_then, jobs_basis = Lead.jobs, Lead.jobs_basis
        status: Any = Lead.capex_status
        dated: ColumnElement[Any] = func.coalesce(Lead.landed_on, Lead.expected_decision_on)
        merged: ColumnElement[bool] = Lead.merged_at.is_not(None)
        capex_rows = jobs_rows = None
    else:
        capex_rows = amounts_at(moment, Measure.CAPEX.value)
        jobs_rows = amounts_at(moment, Measure.JOBS.value)
        capex_then, basis = capex_rows.c.amount, func.coalesce(capex_rows.c.basis, "estimated")
        jobs_then, jobs_basis = jobs_rows.c.amount, func.coalesce(jobs_rows.c.basis, "estimated")
        status = func.coalesce(capex_rows.c.kind, jobs_rows.c.kind)
        dated = func.coalesce(capex_rows.c.dated_on, jobs_rows.c.dated_on)
        merged = and_(Lead.merged_at.is_not(None), Lead.merged_at < moment)
    realised_until = min(target.period_end, as_of)
    in_period = dated.between(target.period_start, target.period_end)
    won = kind == StageKind.WON.value
    open_then = kind == StageKind.OPEN.value
    may_be_committed = or_(won, kind == StageKind.ON_HOLD.value, and_(open_then, Stage.decision))
    is_realised = and_(
        won,
        status == CapexStatus.REALISED.value,
        dated.between(target.period_start, realised_until),
    )
    # A landed lead that is not realised is committed (the landing rules make it so).
    committed_status = or_(
        status == CapexStatus.COMMITTED.value, and_(won, status != CapexStatus.REALISED.value)
    )
    is_committed = and_(committed_status, may_be_committed, in_period)
    # Every other open lead is pipeline: committed before a decision stage (data from
    # before the rules) counts weighted, never at 100 %.
    is_weighted = and_(open_then, ~and_(committed_status, may_be_committed), in_period)
    # The override belongs to the current stage; on a past date the stage default applies.
    probability = case(
        (
            and_(stage_code == Lead.stage_code, Lead.probability_override.is_not(None)),
            Lead.probability_override,
        ),
        else_=Stage.default_probability,
    )
    scope_reason: list[tuple[ColumnElement[bool], str]] = []
    industrial = target.scope == TargetScope.INDUSTRIAL.value
    if industrial:
        scope_reason.append(
            (~func.coalesce(Industry.counts_as_industrial, False), Exclusion.NOT_INDUSTRIAL.value)
        )
    if target.industry_code:
        scope_reason.append(
            (
                ~func.coalesce(
                    or_(
                        Industry.code == target.industry_code,
                        Industry.parent_code == target.industry_code,
                    ),
                    False,
                ),
                Exclusion.OTHER_INDUSTRY.value,
            )
        )
    municipality = attributed_municipality()
    if target.municipality_code:
        scope_reason.append(
            (
                ~func.coalesce(municipality == target.municipality_code, False),
                Exclusion.OTHER_MUNICIPALITY.value,
            )
        )
    # One flat CASE names the lead's column or the reason it is excluded; the figure,
    # the reason and the weighting are read from it, so PostgreSQL evaluates the rules
    # once per reference instead of nesting them in every column (most of the work).
    counted_as = case(
        (merged, Exclusion.DUPLICATE.value),
        *scope_reason,
        (kind == StageKind.LOST.value, Exclusion.LOST.value),
        (is_realised, Figure.REALISED.value),
        (is_committed, Figure.COMMITTED.value),
        (is_weighted, Figure.WEIGHTED.value),
        (kind == StageKind.ON_HOLD.value, Exclusion.ON_HOLD.value),
        (dated.is_(None), Exclusion.NO_DECISION_DATE.value),
        else_=Exclusion.OUTSIDE_PERIOD.value,
    )
    dimensions = (
        Lead.industry_code.label(Dimension.INDUSTRY.value),
        municipality.label(Dimension.MUNICIPALITY.value),
        Lead.investment_type.label(Dimension.INVESTMENT_TYPE.value),
        Lead.origin_country.label(Dimension.ORIGIN_COUNTRY.value),
    )
    query = (
        select(
            Lead.id.label("lead_id"),
            counted_as.label("counted_as"),
            probability.label("probability"),
            func.coalesce(capex_then, 0).label("capex_eur"),
            basis.label("basis"),
            func.coalesce(jobs_then, 0).label("jobs_full"),
            jobs_basis.label("jobs_basis"),
            (status == CapexStatus.ANNOUNCED.value).label("status_announced"),
            stage_code.label("stage_code"),
            won.label("landed"),
            cast(extract("year", dated), Integer).label("year"),
            *dimensions,
        )
        .select_from(Lead if at is None else join(Lead, at, at.c.lead_id == Lead.id))
        .join(Stage, Stage.code == stage_code)
    )
    if capex_rows is not None and jobs_rows is not None:
        query = query.outerjoin(capex_rows, capex_rows.c.lead_id == Lead.id).outerjoin(
            jobs_rows, jobs_rows.c.lead_id == Lead.id
        )
    if industrial or target.industry_code:
        query = query.outerjoin(Industry, Industry.code == Lead.industry_code)
    return query.where(
        or_(capex_then.is_not(None), jobs_then.is_not(None)), leads_in_reports(actor)
    )


def counted_from(rules: Subquery | CTE) -> Select[Any]:
    """The rows of `classified` from the rows of `lead_rules`: the figure (or "excluded"
    with the reason), the amounts weighted if the lead counts weighted."""
    counted = rules.c.counted_as.in_(COUNTED_FIGURES)
    weighting = rules.c.counted_as == Figure.WEIGHTED.value
    # Whole euros (jobs), half up per lead: (x × p + 50) div 100 for non-negative integers.
    amount = case(
        (weighting, (rules.c.capex_eur * rules.c.probability + 50) // 100),
        else_=rules.c.capex_eur,
    )
    jobs = case(
        (weighting, (rules.c.jobs_full * rules.c.probability + 50) // 100),
        else_=rules.c.jobs_full,
    )
    return select(
        rules.c.lead_id,
        case((counted, rules.c.counted_as), else_=Figure.EXCLUDED.value).label("figure"),
        case((counted, literal(None)), else_=rules.c.counted_as).label("reason"),
        amount.label("amount"),
        rules.c.capex_eur,
        rules.c.basis,
        jobs.label("jobs"),
        rules.c.jobs_full,
        rules.c.jobs_basis,
        rules.c.stage_code,
        rules.c.landed,
        and_(weighting, rules.c.status_announced).label("announced"),
        rules.c.year,
        *(rules.c[dimension.value] for dimension in Dimension),
    )


# The columns `_sums` reads.
_SUMMED = (
    "figure", "basis", "jobs_basis", "amount", "jobs", "announced", "capex_eur", "jobs_full",
    "landed",
)  # fmt: skip


def _sums(rows: Subquery | CTE) -> tuple[ColumnElement[Any], ...]:
    """Figure, bases, amount, leads, jobs, announced amount, announced leads and jobs,
    landed leads."""
    return (
        rows.c.figure,
        rows.c.basis,
        rows.c.jobs_basis,
        func.sum(rows.c.amount),
        func.count(),
        func.sum(rows.c.jobs),
        func.sum(case((rows.c.announced, rows.c.capex_eur), else_=0)),
        func.sum(case((rows.c.announced, 1), else_=0)),
        func.sum(case((rows.c.announced, rows.c.jobs_full), else_=0)),
        func.sum(case((rows.c.landed, 1), else_=0)),
    )


def _grouped_rows(db: Session, rules: Select[Any], groupings: tuple[str, ...]) -> list[Any]:
    """(grouping, key, figure, basis, jobs basis, amount, leads, jobs, announced amount,
    announced leads, announced jobs) rows. The excluded leads are summed for the first
    grouping only (the years, whose sum is the totals): the splits show counted figures.
    """
    if len(groupings) == 1:
        # The totals alone: one GROUP BY over the classified leads, excluded ones too.
        alone = counted_from(rules.subquery("rules")).subquery("counted")
        key = alone.c[groupings[0]]
        query = select(literal(groupings[0]), key, *_sums(alone)).group_by(
            key, alone.c.figure, alone.c.basis, alone.c.jobs_basis
        )
        return list(db.execute(query))
    # Classified once, read by both parts (PostgreSQL materialises a CTE read twice):
    # the counting CASE and the figures are evaluated once per lead, by the parallel
    # workers that read the leads, and only the columns summed are kept (narrow rows
    # aggregate faster: 100,000 leads' progress 300-365 -> 240-280 ms).
    counted = counted_from(rules.subquery("rules")).subquery("classified")
    rows = select(
        *(counted.c[name] for name in _SUMMED), *(counted.c[name] for name in groupings)
    ).cte("counted")
    keys = [rows.c[name] for name in groupings]
    is_excluded = rows.c.figure == Figure.EXCLUDED.value
    first = keys[0]
    if db.get_bind().dialect.name == "postgresql":
        # GROUPING SETS aggregate the counted leads in one pass for all groupings;
        # GROUPING(key) is 0 in the rows of the set that groups by that key.
        counted_sets = (
            select(*(func.grouping(key) for key in keys), *keys, *_sums(rows))
            .where(~is_excluded)
            .group_by(
                func.grouping_sets(
                    *(tuple_(key, rows.c.figure, rows.c.basis, rows.c.jobs_basis) for key in keys)
                )
            )
        )
        excluded = (
            select(
                *(literal(0 if n == 0 else 1) for n in range(len(keys))),
                first,
                *(literal(None) for _key in keys[1:]),
                *_sums(rows),
            )
            .where(is_excluded)
            .group_by(first, rows.c.figure, rows.c.basis, rows.c.jobs_basis)
        )
        result = []
        row: Any
        # Passing the classified rows between processes costs less than the rules take
        # to classify them: with the default cost PostgreSQL classified 100,000 leads
        # in one process. For this statement only.
        db.execute(text("SET LOCAL parallel_tuple_cost = 0.01"))
        grouped: list[Any] = list(db.execute(union_all(counted_sets, excluded)))
        db.execute(text("SET LOCAL parallel_tuple_cost = DEFAULT"))
        for row in grouped:
            position = list(row[: len(keys)]).index(0)
            result.append((groupings[position], row[len(keys) + position], *row[2 * len(keys) :]))
        return result
    # SQLite has no GROUPING SETS: one GROUP BY per grouping over the same rows.
    parts = [
        select(literal(name), cast(key, String), *_sums(rows))
        .where(literal(True) if n == 0 else ~is_excluded)
        .group_by(key, rows.c.figure, rows.c.basis, rows.c.jobs_basis)
        for n, (name, key) in enumerate(zip(groupings, keys, strict=True))
    ]
    return list(db.execute(union_all(*parts)))


def _aggregate(
    db: Session, rules: Select[Any], groupings: tuple[str, ...]
) -> tuple[dict[str, dict[str | None, Figures]], int]:
    """Sum the leads (`lead_rules`) per figure and basis for each grouping, in one
    statement; and count the counted leads that had landed (from the first grouping,
    which holds every lead)."""
    result: dict[str, dict[str | None, Figures]] = {name: {} for name in groupings}
    landed_leads = 0
    for row in _grouped_rows(db, rules, groupings):
        grouping, key, figure, basis, jobs_basis, amount, count, jobs, *announced = row
        announced_amount, announced_count, announced_jobs, landed = announced
        if grouping == groupings[0] and figure in COUNTED_FIGURES:
            landed_leads += int(landed or 0)
        groups = result[grouping]
        label = None if key is None else str(key)
        figures = groups.get(label, Figures()).add(
            Figure(figure), basis, int(amount or 0), count, int(jobs or 0), jobs_basis
        )
        if announced_count:
            figures = figures.add(
                Figure.ANNOUNCED,
                basis,
                int(announced_amount),
                int(announced_count),
                int(announced_jobs or 0),
                jobs_basis,
            )
        groups[label] = figures
    return result, landed_leads


def progress(
    db: Session,
    actor: Actor,
    target_id: uuid.UUID,
    *,
    as_of: date,
    today: date,
    group_by: tuple[Dimension, ...] = (),
) -> tuple[InvestmentTarget, Progress]:
    require_report_reader(actor)
    target = get_target(db, actor, target_id)
    tune_for_reports(db)
    grouped, landed_leads = _aggregate(
        db,
        lead_rules(target, as_of, today, actor),
        tuple(dict.fromkeys(("year", *(dimension.value for dimension in group_by)))),
    )
    by_year = {int(key or 0): figures for key, figures in grouped["year"].items()}
    totals = Figures()
    for figures in by_year.values():
        totals = totals + figures
    years: list[YearFigures] = cumulate(by_year, target.period_start.year, target.period_end.year)
    splits = {
        dimension: sorted(
            (GroupFigures(key, figures) for key, figures in grouped[dimension.value].items()),
            key=lambda group: (-group.figures.forecast.total, group.key or ""),
        )
        for dimension in group_by
    }
    # A target set in jobs only has no euro goal: its euro shares read as zero.
    return target, Progress(
        as_of,
        target.amount_eur or 0,
        totals,
        years,
        splits,
        target_jobs=target.amount_jobs,
        landed_leads=landed_leads,
    )


@dataclass(frozen=True)
class DrillRow:
    lead_id: uuid.UUID
    code_name: str
    # For actors with need-to-know of the lead, and for everyone once the lead's investor
    # is public on the report's date (announced by then); None otherwise.
    organization_name: str | None
    figure: Figure
    amount_eur: int
    capex_eur: int
    basis: str
    stage_code: str
    industry_code: str | None
    municipality_code: str | None
    investment_type: str
    origin_country: str | None
    # The investor was announced by the report's date: the forum may read the name.
    investor_public: bool = False
    # Jobs in this figure (weighted in the pipeline) and the lead's jobs.
    jobs: int = 0
    # Why the lead counts in no figure (figure "excluded"): app.domain.ledger.Exclusion.
    exclusion: str | None = None
    # From the amount ledger: the announced (else first estimated), committed and
    # realised capex, so the report can set what was announced beside what was realised.
    announced_capex_eur: int | None = None
    committed_capex_eur: int | None = None
    realised_capex_eur: int | None = None


def report_day(as_of: date, today: date) -> date:
    """The day whose announcements a report may name: its as-of date, but never a day
    that has not come yet (an announcement planned for the future is still secret)."""
    return min(as_of, today)


@dataclass(frozen=True)
class LeadPage:
    """A page of the leads behind a figure, with how many there are in all and how many
    of those had landed by the date."""

    rows: list[DrillRow]
    total: int
    landed: int


def lead_page(
    db: Session,
    actor: Actor,
    target_id: uuid.UUID,
    *,
    as_of: date,
    today: date,
    figure: Figure | None = None,
    dimension: Dimension | None = None,
    value: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LeadPage:
    """`drill_down` with the number of landed leads behind the figure, counted in the
    same statement as the total."""
    require_report_reader(actor)
    target = get_target(db, actor, target_id)
    tune_for_reports(db)
    filtered = _behind(target, as_of, today, actor, figure, dimension, value)
    # The total and the landed leads in one pass over the matching leads; the page is a
    # top-N sort of its own (the same sums as window functions on the page's statement
    # measured far slower on 100k leads).
    total, landed = db.execute(
        select(func.count(), func.sum(case((filtered.c.landed, 1), else_=0)))
    ).one()
    rows = _drill_rows(db, actor, filtered, as_of, today, figure, limit, offset)
    return LeadPage(rows, int(total), int(landed or 0))


def top_leads(
    db: Session, actor: Actor, target: InvestmentTarget, *, as_of: date, today: date, limit: int
) -> list[DrillRow]:
    """The counted leads with the largest amounts, without counting them (`progress`
    counts them: its forecast's leads and `landed_leads`)."""
    require_report_reader(actor)
    tune_for_reports(db)
    filtered = _behind(target, as_of, today, actor)
    return _drill_rows(db, actor, filtered, as_of, today, None, limit, 0)


def _behind(
    target: InvestmentTarget,
    as_of: date,
    today: date,
    actor: Actor,
    figure: Figure | None = None,
    dimension: Dimension | None = None,
    value: str | None = None,
) -> Subquery:
    """The classified leads behind a figure (every counted lead without one), in a
    group of a split (`dimension` = `value`) if given."""
    rows = classified(target, as_of, today, actor).subquery()
    query = select(rows).select_from(rows)
    if figure is Figure.ANNOUNCED:
        query = query.where(rows.c.announced)
    elif figure is not None:
        query = query.where(rows.c.figure == figure.value)
    else:
        # Every counted lead; the excluded ones are asked for with figure=excluded.
        query = query.where(rows.c.figure != Figure.EXCLUDED.value)
    if dimension is not None:
        column = rows.c[dimension.value]
        query = query.where(column.is_(None) if value is None else column == value)
    return query.subquery()


def _drill_rows(
    db: Session,
    actor: Actor,
    filtered: Subquery,
    as_of: date,
    today: date,
    figure: Figure | None,
    limit: int,
    offset: int,
) -> list[DrillRow]:
    """A page of `_behind`'s leads, largest amount first, with their code names, the
    investor's name where the actor may read it, and their amount ledgers."""
    public = investor_identity_public(report_day(as_of, today))
    named = case(
        (or_(leads_with_need_to_know(actor), public), Organization.name), else_=literal(None)
    )
    page = db.execute(
        select(
            filtered,
            Lead.code_name,
            named.label("organization_name"),
            public.label("investor_public"),
        )
        .join(Lead, Lead.id == filtered.c.lead_id)
        .outerjoin(Organization, Organization.id == Lead.organization_id)
        .order_by(filtered.c.amount.desc(), Lead.code_name, Lead.id)
        .limit(limit)
        .offset(offset)
    )
    page_rows = list(page)
    ledger_amounts = announced_vs_realised(db, [row.lead_id for row in page_rows])
    empty = AnnouncedVsRealised(None, None, None)
    return [
        DrillRow(
            lead_id=row.lead_id,
            code_name=row.code_name,
            organization_name=row.organization_name,
            figure=Figure.ANNOUNCED if figure is Figure.ANNOUNCED else Figure(row.figure),
            amount_eur=int(row.capex_eur if figure is Figure.ANNOUNCED else row.amount),
            capex_eur=int(row.capex_eur),
            basis=row.basis,
            stage_code=row.stage_code,
            industry_code=row.industry,
            municipality_code=row.municipality,
            investment_type=row.investment_type,
            origin_country=row.origin_country,
            investor_public=bool(row.investor_public),
            jobs=int(row.jobs_full if figure is Figure.ANNOUNCED else row.jobs),
            exclusion=row.reason,
            announced_capex_eur=ledger_amounts.get(row.lead_id, empty).announced_eur,
            committed_capex_eur=ledger_amounts.get(row.lead_id, empty).committed_eur,
            realised_capex_eur=ledger_amounts.get(row.lead_id, empty).realised_eur,
        )
        for row in page_rows
    ]


@dataclass(frozen=True)
class PublicProgress:
    """What the public may know of the region's progress: sums only, no lead, no name."""

    target_eur: int | None
    target_jobs: int | None
    period_start: date
    period_end: date
    realised_eur: int
    forecast_eur: int
    realised_percent: Decimal
    forecast_percent: Decimal
    # How much of each figure the investors have confirmed, and how much is our estimate.
    realised_confirmed_eur: int = 0
    realised_estimated_eur: int = 0
    forecast_confirmed_eur: int = 0
    forecast_estimated_eur: int = 0


def public_progress(db: Session, today: date) -> PublicProgress | None:
    """Progress toward the chosen (else running, else latest) target, aggregated over
    every lead."""
    target = portal_target(db, today)
    if target is None:
        return None
    _target, figures = progress(db, SYSTEM_ACTOR, target.id, as_of=today, today=today)
    realised, forecast = figures.totals.realised, figures.totals.forecast
    return PublicProgress(
        target_eur=target.amount_eur,
        target_jobs=target.amount_jobs,
        period_start=target.period_start,
        period_end=target.period_end,
        realised_eur=realised.total,
        forecast_eur=forecast.total,
        realised_percent=figures.realised_percent,
        forecast_percent=figures.forecast_percent,
        realised_confirmed_eur=realised.confirmed,
        realised_estimated_eur=realised.estimated,
        forecast_confirmed_eur=forecast.confirmed,
        forecast_estimated_eur=forecast.estimated,
    )


register_field_errors(
    {
        ("before_start", "period_end"): N_("The period must end after it starts."),
        "euros_or_jobs": N_("Set the target in euros, in jobs or in both."),
        ("must_be_positive", "amount_jobs"): N_("The number of jobs must be above zero."),
        ("too_large", "amount_jobs"): N_("The number of jobs is implausibly large."),
        ("too_large", "amount_eur"): N_("The amount is implausibly large."),
        "period_running": N_("A target period can be closed once it has ended."),
    }
)
