"""The OpenAPI document tells the truth: every operation lists the problem+json errors it
can answer with, and the media types of what it returns.

Which errors an operation can give follows from how it is built, so the document is
derived from the routes rather than written by hand per route:
- 400: anything the edge refuses (app/edge.py): a malformed path, query or body;
- 401 and 403: every operation that needs a bearer token (the `ApiActor` dependency);
  the services refuse a role or a record out of scope with 403;
- 404: every operation with a path parameter (the record does not exist or is not yours);
- 409: every operation that changes something (a stale state, a duplicate, a workflow
  step that does not apply);
- 413: every operation with a request body, with its own size limit;
- 422: every operation that takes input (FastAPI's validation and the domain rules),
  with the problem's shape instead of FastAPI's default.
Downloads declare their own media types on the route (`file_responses`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.deps import get_api_actor
from app.api.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason", "code"],
                "properties": {
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}

_DESCRIPTIONS = {
    400: "Malformed request: control characters or invalid UTF-8 in the path, query or "
    "body, or JSON nested too deeply",
    401: "No bearer token, or an unknown, expired or revoked one",
    403: "Your role or scope does not allow this",
    404: "No such record, or not one you may see",
    409: "Conflicts with the record's current state",
    413: "The request body is larger than this operation's limit",
    422: "The input does not validate; `errors` names each field and reason",
}

_MUTATING = {"post", "put", "patch", "delete"}
API_PREFIX = "/api/v1"


def file_responses(*media_types: str, description: str = "The file") -> dict[int | str, Any]:
    """`responses=` for a route that answers with a file of one of these media types."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": description,
            "content": {media: ({} if media.endswith("json") else binary) for media in media_types},
        }
    }


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(inner.routes)
        elif (children := getattr(route, "routes", None)) is not None:
            yield from _api_routes(children)


def _needs_token(dependant: Dependant) -> bool:
    return any(dep.call is get_api_actor or _needs_token(dep) for dep in dependant.dependencies)


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": _DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _refers_to_records(value: Any, schemas: dict[str, Any], depth: int = 0) -> bool:
    """Whether a parameter or body schema holds a record id (a UUID), resolving $refs."""
    if depth > 12:
        return False
    if isinstance(value, dict):
        if value.get("format") == "uuid":
            return True
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = schemas.get(ref.rsplit("/", 1)[-1], {})
            return _refers_to_records(target, schemas, depth + 1)
        return any(_refers_to_records(v, schemas, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to_records(v, schemas, depth + 1) for v in value)
    return False


def errors_for(
    method: str,
    path: str,
    operation: dict[str, Any],
    *,
    token: bool,
    schemas: dict[str, Any] | None = None,
) -> list[int]:
    statuses = [400]
    if token:
        statuses += [401, 403]
    inputs = [operation.get("parameters", []), operation.get("requestBody", {})]
    if "{" in path or _refers_to_records(inputs, schemas or {}):
        statuses.append(404)
    if method in _MUTATING:
        statuses.append(409)
    if "requestBody" in operation:
        statuses.append(413)
    if operation.get("parameters") or "requestBody" in operation or method in _MUTATING:
        statuses.append(422)
    return statuses


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    # Routers are included under /api/v1, and the routes keep their own (shorter) paths.
    needs_token = {
        (method.lower(), route.path): _needs_token(route.dependant)
        for route in _api_routes(app.router.routes)
        if route.include_in_schema
        for method in route.methods or ()
    }
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    # FastAPI's own 422 shapes are never sent: the handler answers with a Problem.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`invest-kainuu create-token EMAIL`)",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            own_path = path.removeprefix(API_PREFIX)
            token = needs_token.get((method, own_path), False)
            if token:
                operation["security"] = [{"bearer": []}]
            responses = operation.setdefault("responses", {})
            if not path.startswith(API_PREFIX):
                continue
            declared = [int(code) for code in responses if code.isdigit() and int(code) >= 400]
            found = errors_for(method, path, operation, token=token, schemas=schemas)
            for status in sorted({*found, *declared}):
                problem = _problem(status)
                # A route's own words for an error it declares are kept.
                problem["description"] = responses.get(str(status), {}).get(
                    "description", problem["description"]
                )
                responses[str(status)] = problem
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
