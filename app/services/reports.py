"""Pipeline analytics, the forum report and its immutable snapshots.

Every figure is a GROUP BY in the database; Python only arranges the grouped rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Interval,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import UTCDateTime, utcnow
from app.db.models import (
    Activity,
    InvestmentTarget,
    Lead,
    LeadStageChange,
    ReportSnapshot,
    Stage,
    User,
)
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import Conflict, NotFound
from app.domain.leads import FUNNEL_KINDS, CapexStatus, StageKind
from app.domain.reports import (
    MONTHS_OF_NEW_LEADS,
    CountRow,
    FunnelRow,
    MonthRow,
    PipelineReport,
    YearRow,
    conversion_percent,
    days,
    end_of_day_utc,
    months_back,
    reached_per_stage,
    start_of_day_utc,
    validate_snapshot,
    year_to_date_windows,
)
from app.domain.targets import Dimension, Figure, Figures, Progress, jobs_figures
from app.services import events, report_documents, targets
from app.services.scope import lead_rows_in_reports, leads_in_reports
from app.services.targets import (
    DrillRow,
    attributed_municipality,
    require_report_reader,
)

# Just above one half: f·n rounds up to floor(n/2) + 1 while 10^-9·n stays under 1/2.
MIDDLE_ABOVE = 0.5 + 1e-9
# The forum documents list this many of the leads behind the figures, largest first
# (the drill-down lists them all): what the documents cost does not grow with the leads.
DOCUMENT_LEAD_LIMIT = 50


def _utc(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _time_in_stage(db: Session, visits: Subquery, end: ColumnElement[Any]) -> Any:
    """The time a lead had spent in a stage by `end` of its last visit of the stage (the
    earlier visits' time is stored with it): an interval on PostgreSQL, which orders by
    length; seconds on SQLite."""
    if db.get_bind().dialect.name == "postgresql":
        this_visit = end - visits.c.at
        earlier = visits.c.spent_before * literal_column("INTERVAL '1 microsecond'")
        # Most leads visit a stage once: no interval arithmetic for them.
        return type_coerce(
            case((visits.c.spent_before == 0, this_visit), else_=this_visit + earlier),
            Interval,
        )
    this_visit = (func.julianday(end) - func.julianday(visits.c.at)) * 86_400
    return this_visit + visits.c.spent_before / 1_000_000.0


@dataclass(frozen=True)
class _StageFigures:
    """What the stage log says on a date: leads (and amounts) per stage, how many leads
    had reached each funnel stage, the median seconds spent per stage, lost per reason."""

    in_stage: dict[str, tuple[int, int]]
    reached: dict[str, int]
    median_seconds: dict[str, float]
    lost: list[CountRow]


def _medians(db: Session, spent: Subquery, stage_codes: list[str]) -> Select[Any]:
    """("median", stage, NULL, 0, NULL, median seconds) per stage of the (stage_code, spent)
    rows: the middle value, or the mean of the two middle values of an even count, each
    taken as a float of seconds."""
    if db.get_bind().dialect.name == "postgresql":
        # Both middle values from one sort: percentile_disc(f) is the value of rank
        # ceil(f·n), so 0.5 gives rank ceil(n/2) and MIDDLE_ABOVE rank floor(n/2) + 1 —
        # the ranks SQLite picks below — for any count under 5·10^8. The intervals are
        # sorted as a fixed moment plus each (a timestamp, in the same order: they hold
        # no months), which compares in a fraction of an interval's time (414k visits:
        # ~120 -> ~95 ms); only the two middles are turned back into seconds.
        base: ColumnElement[datetime] = literal_column("TIMESTAMP '2000-01-01'", DateTime)
        middle_values = type_coerce(
            func.percentile_disc(array((0.5, MIDDLE_ABOVE))).within_group(base + spent.c.spent),
            ARRAY(DateTime),
        ).label("middles")
        # One aggregate per stage, not one grouped by stage: PostgreSQL cannot share an
        # ordered-set aggregate among parallel workers, but it can hand whole stages to
        # them (a parallel append; 100k leads: ~100 -> ~65 ms).
        middles = union_all(
            *(
                select(literal(code).label("stage_code"), middle_values).where(
                    spent.c.stage_code == code
                )
                for code in stage_codes
            )
        ).subquery()
        lower, upper = (
            cast(func.extract("epoch", middles.c.middles[rank] - base), Float) for rank in (1, 2)
        )
        return select(
            literal("median"),
            middles.c.stage_code,
            cast(null(), String),
            literal(0),
            cast(null(), BigInteger),
            (lower + upper) / 2,
        )
    # Ranked as floats, the value the median is taken of.
    seconds = cast(spent.c.spent, Float)
    ranked = select(
        spent.c.stage_code,
        seconds.label("seconds"),
        func.row_number().over(partition_by=spent.c.stage_code, order_by=seconds).label("rn"),
        func.count().over(partition_by=spent.c.stage_code).label("n"),
    ).subquery()
    return (
        select(literal("median"), ranked.c.stage_code, cast(null(), String), literal(0))
        .add_columns(cast(null(), BigInteger))
        .add_columns(func.avg(ranked.c.seconds))
        .where(ranked.c.rn.in_(((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)))
        .group_by(ranked.c.stage_code)
    )


def _stage_figures(
    db: Session, actor: Actor, as_of: date, today: date, stages: list[Stage]
) -> _StageFigures:
    """All figures of the stage log in one statement, from the visits begun before the
    end of the date, each with its stored end and summary of the log before it."""
    moment = end_of_day_utc(as_of)
    now = min(moment, utcnow())
    visits = targets.last_visits_of_stages(moment).subquery("visits")
    visible = lead_rows_in_reports(actor, visits.c.lead_id)
    no_reason = cast(null(), String)
    no_amount = cast(null(), BigInteger)
    no_seconds = cast(null(), Float)
    going_on = targets.stages_at(moment)

    # The visit going on at the moment (one row per lead) records the furthest funnel
    # stage its lead had reached: the leads are counted per furthest stage here, and
    # `reached_per_stage` sums them over the stages.
    no_furthest = cast(null(), Integer)
    furthest = going_on.c.reached_order

    # On the date: the current stage from today on, else the visit going on at its end;
    # per stage and lost reason, which gives both the funnel and the lost leads. As of a
    # past date that visit is read here anyway: per furthest stage too, in the same
    # scan (from today on, a statement of its own counts them).
    in_stage = select(literal("in_stage"))
    per_furthest: list[Select[Any]] = []
    if as_of >= today:
        stage_code: Any = Lead.stage_code
        reached: Any = no_furthest
        per_furthest.append(
            select(literal("furthest"), no_reason, no_reason)
            .add_columns(func.count(), no_amount, no_seconds, furthest)
            .where(furthest.is_not(None), lead_rows_in_reports(actor, going_on.c.lead_id))
            .group_by(furthest)
        )
    else:
        stage_code, reached = going_on.c.stage_code, furthest
        in_stage = in_stage.select_from(going_on).join(Lead, Lead.id == going_on.c.lead_id)
    in_stage = (
        in_stage.add_columns(
            stage_code,
            Lead.lost_reason_code,
            func.count(),
            func.sum(Lead.capex_eur),
            no_seconds,
            reached,
        )
        .where(leads_in_reports(actor))
        .group_by(stage_code, Lead.lost_reason_code, reached)
    )

    # A visit counts until it ended, or until the report date if it had not by then;
    # a lead's time in a stage is its last visit's plus the earlier ones' stored with it.
    visit_end = case(
        (or_(visits.c.ended_at.is_(None), visits.c.ended_at > now), _utc(now)),
        else_=visits.c.ended_at,
    )
    spent = (
        select(visits.c.stage_code, _time_in_stage(db, visits, visit_end).label("spent"))
        .where(visible)
        .subquery()
    )

    lost_stages = {stage.code for stage in stages if stage.kind == StageKind.LOST.value}
    figures = _StageFigures({}, {}, {}, [])
    lost: dict[str | None, tuple[int, int]] = {}
    leads_by_furthest: dict[int, int] = {}
    medians = _medians(db, spent, [stage.code for stage in stages]).add_columns(no_furthest)
    rows: list[Any] = list(db.execute(union_all(in_stage, *per_furthest, medians)))
    for part, key, reason, count, capex, seconds, reached_order in rows:
        if part == "median":
            figures.median_seconds[key] = seconds
            continue
        if reached_order is not None:
            leads_by_furthest[reached_order] = leads_by_furthest.get(reached_order, 0) + count
        if part == "in_stage":
            figures.in_stage[key] = _plus(figures.in_stage.get(key), count, capex)
            if key in lost_stages:
                lost[reason] = _plus(lost.get(reason), count, capex)
    figures.reached.update(
        reached_per_stage(
            leads_by_furthest,
            {stage.code: stage.sort_order for stage in stages if stage.kind in FUNNEL_KINDS},
        )
    )
    figures.lost.extend(CountRow(reason, *sums) for reason, sums in lost.items())
    figures.lost.sort(key=lambda row: (-row.leads, row.key or ""))
    return figures


def _plus(sums: tuple[int, int] | None, count: int, capex: int | None) -> tuple[int, int]:
    """(leads, amount) with one more group of leads added."""
    leads, amount = sums or (0, 0)
    return leads + count, amount + int(capex or 0)


def _funnel(stages: list[Stage], logged: _StageFigures) -> list[FunnelRow]:
    funnel_codes = [s.code for s in stages if s.kind in FUNNEL_KINDS]
    reached = logged.reached
    rows = []
    for stage in stages:
        count, capex = logged.in_stage.get(stage.code, (0, 0))
        reached_here: int | None = None
        conversion: Decimal | None = None
        if stage.code in funnel_codes:
            reached_here = reached.get(stage.code, 0)
            position = funnel_codes.index(stage.code)
            if position + 1 < len(funnel_codes):
                conversion = conversion_percent(
                    reached.get(funnel_codes[position + 1], 0), reached_here
                )
        rows.append(
            FunnelRow(
                stage_code=stage.code,
                kind=stage.kind,
                leads=count,
                capex_eur=capex,
                reached=reached_here,
                conversion_percent=conversion,
                median_days=days(logged.median_seconds.get(stage.code)),
            )
        )
    return rows


def _period_key(column: Any, periods: list[tuple[Any, datetime, datetime]]) -> ColumnElement[Any]:
    """Which of the (key, start, end) periods a timestamp falls in, else NULL."""
    return case(
        *((and_(column >= start, column < end), literal(key)) for key, start, end in periods),
        else_=None,
    )


def _new_by_month(db: Session, actor: Actor, as_of: date) -> tuple[list[MonthRow], list[str]]:
    months = months_back(as_of, MONTHS_OF_NEW_LEADS)
    periods = []
    for year, month in months:
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        end = min(start_of_day_utc(following), end_of_day_utc(as_of))
        periods.append((year * 100 + month, start_of_day_utc(date(year, month, 1)), end))
    key = _period_key(Lead.created_at, periods)
    counts: dict[int, dict[str, int]] = {}
    for month_key, source, n in db.execute(
        select(key, Lead.source, func.count())
        .where(
            # The bounds of the whole series, so the index on creation time narrows the scan.
            Lead.created_at >= periods[0][1],
            Lead.created_at < periods[-1][2],
            key.is_not(None),
            leads_in_reports(actor),
        )
        .group_by(key, Lead.source)
    ):
        counts.setdefault(int(month_key), {})[source] = n
    sources = sorted({source for by_source in counts.values() for source in by_source})
    return [
        MonthRow(year, month, counts.get(year * 100 + month, {})) for year, month in months
    ], sources


def _stage_change_events() -> Select[uuid.UUID | None, datetime]:
    return select(LeadStageChange.lead_id.label("lead_id"), LeadStageChange.at.label("at"))


def _logged_activity_events() -> Select[uuid.UUID | None, datetime]:
    return select(Activity.lead_id.label("lead_id"), Activity.created_at.label("at")).where(
        Activity.lead_id.is_not(None)
    )


# Every kind of work on a lead, as (lead_id, at) rows: stage changes and logged
# notes, calls, meetings, e-mails and tasks.
ACTIVITY_SOURCES: list[Callable[[], Select[uuid.UUID | None, datetime]]] = [
    _stage_change_events,
    _logged_activity_events,
]


def _activity(
    db: Session, actor: Actor, start: datetime, end: datetime
) -> tuple[list[CountRow], list[CountRow]]:
    """Work on leads between the dates by owner and by municipality, in one statement."""
    events = union_all(*(source() for source in ACTIVITY_SOURCES)).subquery()
    # Each event is joined to its lead and counted per owner and municipality together,
    # a plain GROUP BY that the parallel workers aggregate (a few hundred rows leave
    # them, not one per event); the two splits are sums of those counts. (Counting per
    # lead first left PostgreSQL guessing 200 leads, which it then looked up one by
    # one: a UNION has no statistics to estimate its groups from.)
    municipality = attributed_municipality()
    worked = (
        select(Lead.owner_id, municipality.label("municipality"), func.count().label("n"))
        .select_from(events)
        .join(Lead, Lead.id == events.c.lead_id)
        .where(events.c.at >= start, events.c.at < end, leads_in_reports(actor))
        .group_by(Lead.owner_id, municipality)
        .subquery()
    )
    by_owner: dict[str | None, int] = {}
    by_municipality: dict[str | None, int] = {}
    for owner, place, n in db.execute(
        select(User.full_name, worked.c.municipality, worked.c.n).select_from(
            worked.outerjoin(User, User.id == worked.c.owner_id)
        )
    ):
        by_owner[owner] = by_owner.get(owner, 0) + int(n)
        by_municipality[place] = by_municipality.get(place, 0) + int(n)
    owners, municipalities = (
        sorted(
            (CountRow(key, n) for key, n in counts.items()),
            key=lambda row: (-row.leads, row.key or ""),
        )
        for counts in (by_owner, by_municipality)
    )
    return owners, municipalities


def _year_over_year(db: Session, actor: Actor, as_of: date) -> list[YearRow]:
    windows = year_to_date_windows(as_of)
    periods = [(w.year, start_of_day_utc(w.start), end_of_day_utc(w.end)) for w in windows]

    def grouped(query: Select[Any]) -> dict[int, tuple[Any, ...]]:
        return {int(row[0]): tuple(row[1:]) for row in db.execute(query) if row[0] is not None}

    # Rows outside every window have no key and are dropped: the outer bounds of the
    # windows only let the indexes on the times narrow the scans.
    first, last = periods[0][1], periods[-1][2]
    created = _period_key(Lead.created_at, periods)
    new = grouped(
        select(created, func.count())
        .where(Lead.created_at >= first, Lead.created_at < last, leads_in_reports(actor))
        .group_by(created)
    )
    landed_year = case(
        *((Lead.landed_on.between(w.start, w.end), literal(w.year)) for w in windows),
        else_=None,
    )
    realised = case((Lead.capex_status == CapexStatus.REALISED.value, Lead.capex_eur), else_=0)
    landed = grouped(
        select(landed_year, func.count(), func.sum(realised))
        .join(Stage, Stage.code == Lead.stage_code)
        .where(Stage.kind == StageKind.WON.value, leads_in_reports(actor))
        .group_by(landed_year)
    )
    lost_at = _period_key(LeadStageChange.at, periods)
    lost = grouped(
        select(lost_at, func.count(func.distinct(LeadStageChange.lead_id)))
        .join(Stage, Stage.code == LeadStageChange.to_stage)
        .where(
            LeadStageChange.at >= first,
            LeadStageChange.at < last,
            Stage.kind == StageKind.LOST.value,
            lead_rows_in_reports(actor, LeadStageChange.lead_id.expression),
        )
        .group_by(lost_at)
    )
    events = union_all(*(source() for source in ACTIVITY_SOURCES)).subquery()
    event_year = _period_key(events.c.at, periods)
    activity = grouped(
        select(event_year, func.count())
        .select_from(events)
        .where(
            events.c.at >= first,
            events.c.at < last,
            lead_rows_in_reports(actor, events.c.lead_id),
        )
        .group_by(event_year)
    )
    return [
        YearRow(
            year=w.year,
            window_end=w.end,
            new_leads=new.get(w.year, (0,))[0],
            landed_leads=landed.get(w.year, (0, 0))[0],
            realised_eur=int(landed.get(w.year, (0, 0))[1] or 0),
            lost_leads=lost.get(w.year, (0,))[0],
            activity=activity.get(w.year, (0,))[0],
        )
        for w in windows
    ]


def pipeline_report(db: Session, actor: Actor, *, as_of: date, today: date) -> PipelineReport:
    require_report_reader(actor)
    year_start = start_of_day_utc(date(as_of.year, 1, 1))
    year_end = end_of_day_utc(as_of)
    targets.tune_for_reports(db)
    stages = list(db.scalars(select(Stage).order_by(Stage.sort_order, Stage.code)))
    logged = _stage_figures(db, actor, as_of, today, stages)
    new_by_month, sources = _new_by_month(db, actor, as_of)
    by_owner, by_municipality = _activity(db, actor, year_start, year_end)
    return PipelineReport(
        as_of=as_of,
        funnel=_funnel(stages, logged),
        new_by_month=new_by_month,
        sources=sources,
        lost_by_reason=logged.lost,
        activity_by_owner=by_owner,
        activity_by_municipality=by_municipality,
        year_over_year=_year_over_year(db, actor, as_of),
        visits_by_municipality=[
            CountRow(row.municipality_code, row.visits)
            for row in events.visits_by_municipality(db, actor, year_start, year_end)
        ],
    )


# --- the forum report ------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCounts:
    """How many of the leads counted toward a target have landed and how many are still
    being worked on; excluded leads are in neither."""

    landed: int
    active: int


@dataclass(frozen=True)
class Headline:
    """The executive summary's tiles: the few numbers the forum remembers."""

    target_eur: int | None
    target_jobs: int | None
    realised_eur: int
    forecast_eur: int
    forecast_confirmed_eur: int
    forecast_estimated_eur: int
    gap_to_forecast_eur: int | None
    realised_percent: Decimal | None
    forecast_percent: Decimal | None
    jobs_secured: int
    jobs_forecast: int
    projects_landed: int
    projects_active: int
    visits_hosted: int


def headline(
    target: InvestmentTarget, progress: Progress, counted: ProjectCounts, pipeline: PipelineReport
) -> Headline:
    totals = progress.totals
    jobs = jobs_figures(totals)
    has_eur = target.amount_eur is not None
    return Headline(
        target_eur=target.amount_eur,
        target_jobs=target.amount_jobs,
        realised_eur=totals.realised.total,
        forecast_eur=totals.forecast.total,
        forecast_confirmed_eur=totals.forecast.confirmed,
        forecast_estimated_eur=totals.forecast.estimated,
        gap_to_forecast_eur=progress.gap_to_forecast if has_eur else None,
        realised_percent=progress.realised_percent if has_eur else None,
        forecast_percent=progress.forecast_percent if has_eur else None,
        jobs_secured=jobs.realised.total + jobs.committed.total,
        jobs_forecast=jobs.forecast.total,
        projects_landed=counted.landed,
        projects_active=counted.active,
        visits_hosted=sum(row.leads for row in pipeline.visits_by_municipality),
    )


def headline_json(h: Headline) -> dict[str, Any]:
    return {k: _plain(v) for k, v in h.__dict__.items()}


def _headline_from_json(figures: dict[str, Any]) -> Headline:
    """The tiles as they were reported: stored with the snapshot, or for snapshots
    closed before the tiles existed, rebuilt from the totals they did store (the
    figures they never held stay unknown)."""
    stored: dict[str, Any] | None = figures.get("headline")
    if stored:
        values: dict[str, Any] = {
            key: (Decimal(value) if key.endswith("_percent") and value is not None else value)
            for key, value in stored.items()
            if key in Headline.__dataclass_fields__
        }
        return Headline(**values)
    totals = figures["totals"]
    target_eur = figures["target"].get("amount_eur")
    return Headline(
        target_eur=target_eur,
        target_jobs=figures["target"].get("amount_jobs"),
        realised_eur=totals["realised"]["total"],
        forecast_eur=totals["forecast"]["total"],
        forecast_confirmed_eur=totals["forecast"]["confirmed"],
        forecast_estimated_eur=totals["forecast"]["estimated"],
        gap_to_forecast_eur=figures.get("gap_to_forecast_eur"),
        realised_percent=Decimal(figures["realised_percent"]),
        forecast_percent=Decimal(figures["forecast_percent"]),
        jobs_secured=0,
        jobs_forecast=0,
        projects_landed=0,
        projects_active=0,
        visits_hosted=sum(r["visits"] for r in figures["pipeline"]["visits_by_municipality"]),
    )


@dataclass(frozen=True)
class PreviousReport:
    """The closed period the report compares with, its figures as reported then."""

    label: str
    as_of: date
    target_name: str
    headline: Headline
    # Tiles that snapshot did not record (closed before they existed).
    unknown: frozenset[str]


_UNRECORDED = frozenset({"jobs_secured", "jobs_forecast", "projects_landed", "projects_active"})


def previous_snapshot(db: Session, as_of: date) -> PreviousReport | None:
    """The latest period closed before the date, read from its stored figures — never
    recomputed, so the comparison holds what the forum was shown then."""
    row = db.execute(
        select(ReportSnapshot.label, ReportSnapshot.as_of, ReportSnapshot.figures_json)
        .where(ReportSnapshot.as_of < as_of)
        .order_by(ReportSnapshot.as_of.desc(), ReportSnapshot.created_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    label, closed_as_of, content = row
    figures = json.loads(bytes(content))
    return PreviousReport(
        label=label,
        as_of=closed_as_of,
        target_name=figures["target"]["name"],
        headline=_headline_from_json(figures),
        unknown=frozenset() if figures.get("headline") else _UNRECORDED,
    )


@dataclass(frozen=True)
class ForumReport:
    """Everything the forum sees: aggregates and code names; an investor's name only once
    announced by the report's date."""

    target: InvestmentTarget
    progress: Progress
    pipeline: PipelineReport
    leads: list[DrillRow]
    leads_total: int
    generated_at: datetime
    headline: Headline | None = None
    jobs: Figures | None = None
    previous: PreviousReport | None = None

    @property
    def names_investors(self) -> bool:
        """Whether any listed lead's investor is public by the report's date."""
        return any(row.organization_name for row in self.leads)


def forum_report(
    db: Session, actor: Actor, target_id: uuid.UUID, *, as_of: date, today: date
) -> ForumReport:
    target, progress = targets.progress(
        db, actor, target_id, as_of=as_of, today=today, group_by=tuple(Dimension)
    )
    top = targets.top_leads(db, actor, target, as_of=as_of, today=today, limit=DOCUMENT_LEAD_LIMIT)
    # The documents go to the forum: they name a lead by its code name, and its investor
    # only once announced by the report's date (whoever renders them).
    anonymous = [
        row if row.investor_public else replace(row, organization_name=None) for row in top
    ]
    pipeline = pipeline_report(db, actor, as_of=as_of, today=today)
    counted_leads = progress.totals.forecast.leads
    counted = ProjectCounts(
        landed=progress.landed_leads, active=counted_leads - progress.landed_leads
    )
    return ForumReport(
        target=target,
        progress=progress,
        pipeline=pipeline,
        leads=anonymous,
        leads_total=counted_leads,
        generated_at=utcnow(),
        headline=headline(target, progress, counted, pipeline),
        jobs=jobs_figures(progress.totals),
        previous=previous_snapshot(db, as_of),
    )


def _amount_json(amount: Any) -> dict[str, int]:
    return {
        "total": amount.total,
        "estimated": amount.estimated,
        "confirmed": amount.confirmed,
        "leads": amount.leads,
        "jobs": amount.jobs,
        "jobs_estimated": amount.jobs_estimated,
        "jobs_confirmed": amount.jobs_confirmed,
    }


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        **{figure.value: _amount_json(getattr(figures, figure.value)) for figure in Figure},
        "forecast": _amount_json(figures.forecast),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Figure):
        return str(value)
    return value


def report_json(report: ForumReport) -> dict[str, Any]:
    """The figures of a forum report as plain JSON (euros as integers, shares as strings)."""
    p = report.progress
    t = report.target
    return {
        "target": {
            "id": str(t.id),
            "name": t.name,
            "amount_eur": t.amount_eur,
            "amount_jobs": t.amount_jobs,
            "period_start": t.period_start.isoformat(),
            "period_end": t.period_end.isoformat(),
            "scope": t.scope,
            "industry_code": t.industry_code,
            "municipality_code": t.municipality_code,
        },
        "as_of": p.as_of.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "totals": figures_json(p.totals),
        "headline": headline_json(report.headline) if report.headline else None,
        "jobs": figures_json(report.jobs) if report.jobs else None,
        "gap_to_forecast_eur": p.gap_to_forecast,
        "gap_to_realised_eur": p.gap_to_realised,
        "target_jobs": p.target_jobs,
        "gap_to_forecast_jobs": p.jobs_gap_to_forecast,
        "gap_to_realised_jobs": p.jobs_gap_to_realised,
        "realised_percent": str(p.realised_percent),
        "forecast_percent": str(p.forecast_percent),
        "years": [
            {
                "year": y.year,
                "figures": figures_json(y.figures),
                "cumulative": figures_json(y.cumulative),
            }
            for y in p.years
        ],
        "splits": {
            dimension.value: [{"key": g.key, "figures": figures_json(g.figures)} for g in groups]
            for dimension, groups in p.splits.items()
        },
        "pipeline": {
            "funnel": [
                {k: _plain(v) for k, v in r.__dict__.items()} for r in report.pipeline.funnel
            ],
            "new_by_month": [
                {"year": m.year, "month": m.month, "by_source": m.by_source, "total": m.total}
                for m in report.pipeline.new_by_month
            ],
            "lost_by_reason": [r.__dict__ for r in report.pipeline.lost_by_reason],
            "activity_by_owner": [r.__dict__ for r in report.pipeline.activity_by_owner],
            "activity_by_municipality": [
                r.__dict__ for r in report.pipeline.activity_by_municipality
            ],
            "year_over_year": [
                {k: _plain(v) for k, v in r.__dict__.items()}
                for r in report.pipeline.year_over_year
            ],
            "visits_by_municipality": [
                {"key": r.key, "visits": r.leads} for r in report.pipeline.visits_by_municipality
            ],
        },
        "leads": [
            {
                k: _plain(v)
                for k, v in row.__dict__.items()
                if k not in ("lead_id", "investor_public")
            }
            for row in report.leads
        ],
        "leads_total": report.leads_total,
    }


def report_json_bytes(report: ForumReport) -> bytes:
    return json.dumps(report_json(report), ensure_ascii=False, indent=2, sort_keys=True).encode()


# --- snapshots -------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    id: uuid.UUID
    target_id: uuid.UUID
    target_name: str
    label: str
    as_of: date
    created_at: datetime
    figures_sha256: str
    pdf_sha256: str
    xlsx_sha256: str


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def close_period(
    db: Session,
    actor: Actor,
    target_id: uuid.UUID,
    *,
    label: str,
    as_of: date,
    today: date,
    lang: str,
) -> SnapshotInfo:
    """Render the forum report as of the period's end and keep the bytes for good."""
    require_staff_wide(actor)
    clean_label = validate_snapshot(label, as_of, today)
    existing = db.scalar(
        select(ReportSnapshot.id).where(
            ReportSnapshot.target_id == target_id, ReportSnapshot.as_of == as_of
        )
    )
    if existing is not None:
        raise Conflict("This period has already been closed for this target.")
    report = forum_report(db, actor, target_id, as_of=as_of, today=today)
    figures = report_json_bytes(report)
    labels = report_documents.document_labels(db, lang)
    pdf = report_documents.render_pdf(report, labels)
    xlsx = report_documents.render_xlsx(report, labels)
    bind_actor(db, actor)
    snapshot = ReportSnapshot(
        target_id=target_id,
        label=clean_label,
        as_of=as_of,
        created_by_id=actor.user_id,
        figures_json=figures,
        figures_sha256=_digest(figures),
        pdf=pdf,
        pdf_sha256=_digest(pdf),
        xlsx=xlsx,
        xlsx_sha256=_digest(xlsx),
    )
    db.add(snapshot)
    try:
        db.commit()
    except IntegrityError as exc:  # closed at the same moment by someone else
        db.rollback()
        raise Conflict("This period has already been closed for this target.") from exc
    return SnapshotInfo(
        snapshot.id,
        snapshot.target_id,
        report.target.name,
        snapshot.label,
        snapshot.as_of,
        snapshot.created_at,
        snapshot.figures_sha256,
        snapshot.pdf_sha256,
        snapshot.xlsx_sha256,
    )


def list_snapshots(
    db: Session, actor: Actor, *, limit: int = 50, offset: int = 0
) -> tuple[list[SnapshotInfo], int]:
    require_report_reader(actor)
    total = db.scalar(select(func.count()).select_from(ReportSnapshot)) or 0
    # The files stay in the database until someone downloads one.
    rows = db.execute(
        select(
            ReportSnapshot.id,
            ReportSnapshot.target_id,
            InvestmentTarget.name,
            ReportSnapshot.label,
            ReportSnapshot.as_of,
            ReportSnapshot.created_at,
            ReportSnapshot.figures_sha256,
            ReportSnapshot.pdf_sha256,
            ReportSnapshot.xlsx_sha256,
        )
        .join(InvestmentTarget, InvestmentTarget.id == ReportSnapshot.target_id)
        .order_by(ReportSnapshot.as_of.desc(), ReportSnapshot.created_at.desc(), ReportSnapshot.id)
        .limit(limit)
        .offset(offset)
    )
    return [SnapshotInfo(*row) for row in rows], total


SNAPSHOT_FORMATS = {
    "pdf": ("pdf", "pdf_sha256", "application/pdf"),
    "xlsx": (
        "xlsx",
        "xlsx_sha256",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "json": ("figures_json", "figures_sha256", "application/json"),
}


@dataclass(frozen=True)
class StoredFile:
    content: bytes
    sha256: str
    media_type: str
    filename: str


def snapshot_file(db: Session, actor: Actor, snapshot_id: uuid.UUID, fmt: str) -> StoredFile:
    require_report_reader(actor)
    if fmt not in SNAPSHOT_FORMATS:
        raise NotFound("No such snapshot file.")
    column, digest_column, media_type = SNAPSHOT_FORMATS[fmt]
    row = db.execute(
        select(
            getattr(ReportSnapshot, column),
            getattr(ReportSnapshot, digest_column),
            ReportSnapshot.as_of,
        ).where(ReportSnapshot.id == snapshot_id)
    ).first()
    if row is None:
        raise NotFound("No such snapshot.")
    content, digest, as_of = row
    return StoredFile(bytes(content), digest, media_type, f"forum-report-{as_of.isoformat()}.{fmt}")
