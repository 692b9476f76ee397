"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.db.migrations import migration_state

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive; says nothing about the database."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "The database does not answer or is not migrated to head"}},
)
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is at the code's migration head."""
    state = migration_state(request.app.state.engine)
    body = {"status": "ok" if state.ready else "unavailable", **state.as_dict()}
    return JSONResponse(body, status_code=200 if state.ready else 503)
