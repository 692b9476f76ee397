"""The forum report in the staff UI: charts, tables, downloads, drill-down and snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import DbSession
from app.api.types import SafeDate
from app.db.models import InvestmentTarget, User
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.targets import Dimension, Figure
from app.i18n import N_, register_field_errors
from app.services import aftercare, report_documents, reports, targets
from app.services.auth import actor_for
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

# Form messages for closing a reporting period (services/reports.py).
register_field_errors(
    {
        ("required", "label"): N_("Name the reporting period."),
        ("too_long", "label"): N_("The name is too long."),
        ("in_future", "as_of"): N_("A period can be closed once it has ended."),
        "closed_already": N_("This period has already been closed for this target."),
    }
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.now(UTC).date()


def _chosen_target(
    db: DbSession, user: User, target_id: uuid.UUID | None, as_of: date
) -> InvestmentTarget:
    actor = actor_for(user)
    target = (
        targets.get_target(db, actor, target_id)
        if target_id
        else targets.target_for_report(db, actor, as_of)
    )
    if target is None:
        raise NotFound("No investment target has been set.")
    return target


def _drill_link(target_id: uuid.UUID, as_of: date) -> Callable[..., str]:
    def link(figure: str | None, dimension: str | None = None, value: str | None = None) -> str:
        query: dict[str, Any] = {"target_id": str(target_id), "as_of": as_of.isoformat()}
        if figure:
            query["figure"] = figure
        if dimension:
            query["dimension"] = dimension
            if value is not None:
                query["value"] = value
        return f"/reports/leads?{urlencode(query)}"

    return link


def _page(
    request: Request,
    db: DbSession,
    user: User,
    target_id: uuid.UUID | None,
    as_of: date | None,
    *,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = _today()
    as_of = as_of or today
    actor = actor_for(user)
    target = _chosen_target(db, user, target_id, as_of)
    report = reports.forum_report(db, actor, target.id, as_of=as_of, today=today)
    labels = report_documents.document_labels(db, request_language(request, user))
    snapshots, _total = reports.list_snapshots(db, actor, limit=50)
    all_targets, _count = targets.list_targets(db, actor, limit=200)
    query = urlencode({"target_id": str(target.id), "as_of": as_of.isoformat()})
    return render(
        request,
        "reports/index.html",
        {
            "report": report,
            "labels": labels,
            "charts": report_documents.report_charts(report, labels),
            "comparisons": report_documents.comparisons(report, labels),
            "investor_origin": aftercare.investor_origin(
                db, actor, target.id, as_of=as_of, today=today
            ),
            "signed": report_documents.signed,
            "figures": [*report_documents.PIPELINE_FIGURES, Figure.ANNOUNCED],
            "dimensions": list(Dimension),
            "drill": _drill_link(target.id, as_of),
            "targets": all_targets,
            "snapshots": snapshots,
            "query": query,
            "can_close": actor.sees_everything,
            "errors": errors or FormErrors(),
            "form": form or {"label": "", "as_of": as_of.isoformat()},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/reports", response_class=HTMLResponse)
def report_page(
    request: Request,
    db: DbSession,
    user: StaffUser,
    target_id: uuid.UUID | None = None,
    as_of: SafeDate | None = None,
) -> HTMLResponse:
    return _page(request, db, user, target_id, as_of)


@router.get("/reports/leads", response_class=HTMLResponse)
def drill_down_page(
    request: Request,
    db: DbSession,
    user: StaffUser,
    target_id: uuid.UUID,
    as_of: date,
    figure: Figure | None = None,
    dimension: Dimension | None = None,
    value: str | None = None,
    offset: int = 0,
) -> HTMLResponse:
    actor = actor_for(user)
    page = targets.lead_page(
        db,
        actor,
        target_id,
        as_of=as_of,
        today=_today(),
        figure=figure,
        dimension=dimension,
        value=value,
        limit=100,
        offset=max(offset, 0),
    )
    rows, total = page.rows, page.total
    # The leads with an amount that count in no figure, each with its reason: listed
    # with the whole list, and on their own with figure=excluded.
    excluded: list[targets.DrillRow] = []
    excluded_total = 0
    if figure is None:
        excluded_page = targets.lead_page(
            db,
            actor,
            target_id,
            as_of=as_of,
            today=_today(),
            figure=Figure.EXCLUDED,
            dimension=dimension,
            value=value,
            limit=100,
        )
        excluded, excluded_total = excluded_page.rows, excluded_page.total
    labels = report_documents.document_labels(db, request_language(request, user))
    return render(
        request,
        "reports/leads.html",
        {
            "rows": rows,
            "total": total,
            "excluded": rows if figure is Figure.EXCLUDED else excluded,
            "excluded_total": total if figure is Figure.EXCLUDED else excluded_total,
            "offset": max(offset, 0),
            "labels": labels,
            "target": targets.get_target(db, actor, target_id),
            "as_of": as_of,
            "figure": figure,
            "dimension": dimension,
            "value": value,
            "back": urlencode({"target_id": str(target_id), "as_of": as_of.isoformat()}),
            # Only people with need-to-know see organisations; the others see code names.
            "show_organisation": any(r.organization_name for r in rows),
        },
        user=user,
    )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/forum.{fmt}")
def forum_download(
    fmt: str,
    request: Request,
    db: DbSession,
    user: StaffUser,
    target_id: uuid.UUID | None = None,
    as_of: SafeDate | None = None,
) -> Response:
    if fmt not in ("pdf", "xlsx"):
        raise NotFound("No such format.")
    today = _today()
    as_of = as_of or today
    target = _chosen_target(db, user, target_id, as_of)
    report = reports.forum_report(db, actor_for(user), target.id, as_of=as_of, today=today)
    labels = report_documents.document_labels(db, request_language(request, user))
    name = f"forum-report-{as_of.isoformat()}.{fmt}"
    if fmt == "pdf":
        return _download(report_documents.render_pdf(report, labels), "application/pdf", name)
    return _download(report_documents.render_xlsx(report, labels), XLSX_TYPE, name)


@router.get("/reports/snapshots/{snapshot_id}.{fmt}")
def snapshot_download(snapshot_id: uuid.UUID, fmt: str, db: DbSession, user: StaffUser) -> Response:
    stored = reports.snapshot_file(db, actor_for(user), snapshot_id, fmt)
    response = _download(stored.content, stored.media_type, stored.filename)
    response.headers["ETag"] = f'"{stored.sha256}"'
    return response


@router.post("/reports/snapshots", dependencies=[CsrfChecked])
def close_period(
    request: Request,
    db: DbSession,
    user: StaffUser,
    target_id: Annotated[uuid.UUID, Form()],
    as_of: Annotated[date, Form()],
    label: Annotated[str, Form()] = "",
) -> Response:
    try:
        reports.close_period(
            db,
            actor_for(user),
            target_id,
            label=label,
            as_of=as_of,
            today=_today(),
            lang=request_language(request, user),
        )
    except (ValidationFailed, Conflict) as exc:
        errors = (
            FormErrors.of(exc)
            if isinstance(exc, ValidationFailed)
            else FormErrors.single("as_of", exc.detail, "closed_already")
        )
        return _page(
            request,
            db,
            user,
            target_id,
            None,
            errors=errors,
            form={"label": label, "as_of": as_of.isoformat()},
            status_code=422 if isinstance(exc, ValidationFailed) else 409,
        )
    query = urlencode({"target_id": str(target_id), "as_of": as_of.isoformat(), "closed": "1"})
    return RedirectResponse(f"/reports?{query}#snapshots", status_code=303)
