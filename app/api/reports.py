"""Pipeline reports, the forum report files and closed-period snapshots."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.openapi import file_responses
from app.api.pagination import Page, PageParamsDep
from app.api.types import SafeDate, Text
from app.domain.errors import NotFound
from app.services import report_documents, reports, targets
from app.web.session import request_language

router = APIRouter(tags=["reports"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.now(UTC).date()


class FunnelRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    stage_code: str
    kind: str
    leads: int
    capex_eur: int
    reached: int | None
    conversion_percent: Decimal | None
    median_days: Decimal | None


class CountRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str | None
    leads: int
    capex_eur: int


class MonthRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    year: int
    month: int
    by_source: dict[str, int]
    total: int


class YearRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    year: int
    window_end: date
    new_leads: int
    landed_leads: int
    realised_eur: int
    lost_leads: int
    activity: int


class PipelineReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    as_of: date
    funnel: list[FunnelRowOut]
    new_by_month: list[MonthRowOut]
    sources: list[str]
    lost_by_reason: list[CountRowOut]
    activity_by_owner: list[CountRowOut]
    activity_by_municipality: list[CountRowOut]
    year_over_year: list[YearRowOut]
    visits_by_municipality: list[CountRowOut] = Field(
        description="Held visits per host municipality this year (`leads` holds the count)"
    )


class SnapshotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    target_id: uuid.UUID
    target_name: str
    label: str
    as_of: date
    created_at: datetime
    figures_sha256: str
    pdf_sha256: str
    xlsx_sha256: str


class SnapshotIn(BaseModel):
    target_id: uuid.UUID
    label: Text = Field(max_length=200)
    as_of: SafeDate


@router.get("/reports/pipeline", response_model=PipelineReportOut)
def pipeline(db: DbSession, actor: ApiActor, as_of: SafeDate | None = None) -> PipelineReportOut:
    report = reports.pipeline_report(db, actor, as_of=as_of or _today(), today=_today())
    return PipelineReportOut.model_validate(report)


@router.get(
    "/reports/forum.{fmt}",
    response_class=Response,
    responses=file_responses("application/pdf", XLSX_TYPE, "application/json"),
)
def forum_file(
    fmt: str,
    request: Request,
    db: DbSession,
    actor: ApiActor,
    target_id: uuid.UUID | None = None,
    as_of: SafeDate | None = None,
) -> Response:
    """The forum report now (or as of a date) as `pdf`, `xlsx` or `json`."""
    today = _today()
    as_of = as_of or today
    targets.require_report_reader(actor)
    target = (
        targets.get_target(db, actor, target_id)
        if target_id
        else targets.target_for_report(db, actor, as_of)
    )
    if target is None or fmt not in ("pdf", "xlsx", "json"):
        raise NotFound("No such report.")
    report = reports.forum_report(db, actor, target.id, as_of=as_of, today=today)
    if fmt == "json":
        return Response(reports.report_json_bytes(report), media_type="application/json")
    labels = report_documents.document_labels(db, request_language(request))
    name = f"forum-report-{as_of.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "pdf":
        return Response(
            report_documents.render_pdf(report, labels),
            media_type="application/pdf",
            headers=headers,
        )
    return Response(
        report_documents.render_xlsx(report, labels), media_type=XLSX_TYPE, headers=headers
    )


@router.get("/reports/snapshots", response_model=Page[SnapshotOut])
def list_snapshots(db: DbSession, actor: ApiActor, page: PageParamsDep) -> Page[SnapshotOut]:
    rows, total = reports.list_snapshots(db, actor, limit=page.limit, offset=page.offset)
    return Page[SnapshotOut](
        items=[SnapshotOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/reports/snapshots", response_model=SnapshotOut, status_code=201)
def close_period(body: SnapshotIn, request: Request, db: DbSession, actor: ApiActor) -> SnapshotOut:
    """Close a reporting period: the report as of `as_of` is rendered and kept for good."""
    info = reports.close_period(
        db,
        actor,
        body.target_id,
        label=body.label,
        as_of=body.as_of,
        today=_today(),
        lang=request_language(request),
    )
    return SnapshotOut.model_validate(info)


@router.get(
    "/reports/snapshots/{snapshot_id}.{fmt}",
    response_class=Response,
    responses=file_responses("application/pdf", XLSX_TYPE, "application/json"),
)
def snapshot_file(snapshot_id: uuid.UUID, fmt: str, db: DbSession, actor: ApiActor) -> Response:
    """The stored bytes, exactly as they were when the period was closed."""
    stored = reports.snapshot_file(db, actor, snapshot_id, fmt)
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{stored.filename}"',
            "ETag": f'"{stored.sha256}"',
        },
    )
