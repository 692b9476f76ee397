"""RFC 9457 problem details for every error the JSON API returns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

log = logging.getLogger(__name__)

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
    400: "Bad request",
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


Responder = Callable[..., Response]


def make_responder(html_error_page: HtmlErrorPage | None = None) -> Responder:
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

    return respond


def refusal_renderer(html_error_page: HtmlErrorPage | None = None) -> Responder:
    """For requests refused at the edge (app/edge.py): the same choice of problem or page.
    A page shows its own translated text for the status, not the English detail."""
    respond = make_responder(html_error_page)

    def render(request: Request, status: int, title: str, detail: str) -> Response:
        if html_error_page is not None and _wants_html(request):
            return html_error_page(request, status, title, None)
        return respond(request, status, title, detail)

    return render


def install_problem_handlers(app: FastAPI, html_error_page: HtmlErrorPage | None = None) -> None:
    """Problem details for API clients; an HTML page for browsers outside /api/."""
    respond = make_responder(html_error_page)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # The last net under the shared input types (app/api/types.py) and the edge checks
        # (app/edge.py): a value PostgreSQL refuses as data (class 22: out of range, NUL in
        # text, an impossible date) is the client's input, so a 422 and not a crash. Logged,
        # because each one names an input that a type should have refused earlier.
        log.warning(
            "database refused a value on %s %s: %s", request.method, request.url.path, exc.orig
        )
        return respond(
            request,
            422,
            "Invalid input",
            "A value in the request is outside what the service can store.",
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
