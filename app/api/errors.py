"""RFC 9457 problem details for every error the JSON API returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

PROBLEM_JSON = "application/problem+json"

_STATUS_OF: dict[type[DomainError], int] = {
    ValidationFailed: 422,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"field": e.field, "reason": e.reason, "code": e.code} for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS_OF:
            return _STATUS_OF[cls]
    return 400


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "capex_eur") -> "capex_eur"; ("query", "limit") -> "limit"
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "path")
        else list(map(str, loc))
    )
    return ".".join(parts) or str(loc[0] if loc else "")


# Renders an error for people (the staff UI and the portal) instead of problem+json.
HtmlErrorPage = Callable[[Request, int, str, str | None], Response]

_TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    410: "Gone",
    413: "Content too large",
    429: "Too many requests",
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def install_problem_handlers(app: FastAPI, html_error_page: HtmlErrorPage | None = None) -> None:
    """Problem details for API clients; an HTML page for browsers outside /api/."""

    def respond(
        request: Request,
        status: int,
        title: str,
        detail: str | None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if html_error_page is not None and _wants_html(request):
            return html_error_page(request, status, title, detail)
        return problem(
            status, title, detail, errors=errors, instance=request.url.path, headers=headers
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        return respond(request, _status_for(exc), exc.title, exc.detail, errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            FieldError(
                _field_path(tuple(e.get("loc", ()))),
                e.get("msg", "invalid"),
                e.get("type", "invalid"),
            )
            for e in exc.errors()
        ]
        return respond(request, 422, "Invalid input", "The request does not validate.", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        title = _TITLES.get(exc.status_code, "Error")
        return respond(
            request, exc.status_code, title, detail, headers=getattr(exc, "headers", None)
        )
