"""The outermost middleware: a request id for every request, the access log line and
the request metrics."""

from __future__ import annotations

import logging
import time
from typing import Final

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import UNMATCHED, observe_request
from app.request_id import HEADER, accepted, bound_request_id, new_request_id

access_log = logging.getLogger("invest_kainuu.access")

# Asked every few seconds by orchestrators and Prometheus: logged only at DEBUG.
PROBES: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_HEADER_KEY: Final = HEADER.lower().encode()
# Anything else is counted as OTHER: a client must not create series at will.
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RouteTemplates:
    """The full path template of the route that answered ("/api/v1/leads/{lead_id}").

    The router leaves the matched route object in the scope; a route included under a
    prefix knows only its own part of the path, so the full templates come from the
    application's route table, indexed once. A page the render cache answered before
    routing is matched against the table here."""

    def __init__(self) -> None:
        self._table: list[RouteContext] = []
        self._by_route: dict[int, list[RouteContext]] = {}

    def of(self, scope: Scope) -> str:
        if not self._table:
            self._table = list(iter_route_contexts(scope["app"].routes))
            for context in self._table:
                self._by_route.setdefault(id(context.original_route), []).append(context)
        route = scope.get("route")
        path: str = scope["path"]
        if route is None:
            candidates = [c for c in self._table if c.methods and scope["method"] in c.methods]
        else:
            candidates = self._by_route.get(id(route), [])
            if len(candidates) == 1:
                return str(candidates[0].path)
        for context in candidates:
            regex = getattr(context, "path_regex", None)
            if regex is not None and regex.match(path):
                return str(context.path)
        return UNMATCHED


class RequestObserver:
    """Accepts a well-formed incoming `X-Request-ID` (else makes one), makes it current
    for the request, returns it on the answer, then logs and counts the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == _HEADER_KEY),
            None,
        )
        request_id = accepted(incoming) or new_request_id()
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER_KEY
                ]
                headers.append((_HEADER_KEY, request_id.encode()))
                message["headers"] = headers
            await send(message)

        with bound_request_id(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                method: str = scope["method"]
                observe_request(
                    self.templates.of(scope),
                    method if method in METHODS else "OTHER",
                    status,
                    seconds,
                )
                path: str = scope["path"]
                access_log.log(
                    logging.DEBUG if path in PROBES else logging.INFO,
                    "%s %s %s %.1f ms",
                    method,
                    path,
                    status,
                    seconds * 1000,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
