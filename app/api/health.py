"""Liveness and readiness probes, and the Prometheus metrics."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import DbSession
from app.api.errors import problem
from app.db.base import utcnow
from app.db.migrations import migration_state
from app.metrics import exposition
from app.services.operations import component_states
from app.settings import Settings

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive; says nothing about the database."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "The database does not answer or is not migrated to head, or the "
            "scheduler or the syndication worker has stopped reporting"
        }
    },
)
def readyz(request: Request, db: DbSession) -> JSONResponse:
    """Ready when the database answers, its schema is at the code's migration head, and
    the background processes that have reported (or must, with
    `READYZ_REQUIRE_WORKERS`) did so within `HEARTBEAT_STALE_SECONDS`."""
    state = migration_state(request.app.state.engine)
    body: dict[str, object] = {**state.as_dict()}
    ready = state.ready
    if ready:
        try:
            components = component_states(db, request.app.state.settings, utcnow())
        except SQLAlchemyError:
            components = []
            ready = False
            body["database"] = "unreachable"
        body["workers"] = {c.component: c.as_dict() for c in components}
        reasons = [c.problem for c in components if c.problem]
        if reasons:
            ready = False
            body["reasons"] = reasons
    body = {"status": "ok" if ready else "unavailable", **body}
    return JSONResponse(body, status_code=200 if ready else 503)


def _metrics_refusal(request: Request, settings: Settings) -> Response | None:
    """With `METRICS_TOKEN` set, only its bearers read the metrics (401 otherwise);
    without it, only clients on this host that came through no proxy (404 otherwise,
    as if there were nothing here)."""
    if settings.metrics_token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.metrics_token.get_secret_value().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected):
            return None
        return problem(
            401,
            "Unauthorized",
            "The metrics need the bearer token of METRICS_TOKEN.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    forwarded = "forwarded" in request.headers or "x-forwarded-for" in request.headers
    if _is_loopback(request.client.host if request.client else None) and not forwarded:
        return None
    return problem(404, "Not found", instance=request.url.path)


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, db: DbSession) -> Response:
    """The Prometheus text format; see `app.metrics`."""
    refusal = _metrics_refusal(request, request.app.state.settings)
    if refusal is not None:
        return refusal
    return Response(exposition(db), media_type=CONTENT_TYPE_LATEST)
