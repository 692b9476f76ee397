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
    application's route table, indexed once by route object."""

    def __init__(self) -> None:
        self._index: dict[int, list[RouteContext]] | None = None

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._index is None:
            self._index = {}
            for context in iter_route_contexts(scope["app"].routes):
                self._index.setdefault(id(context.original_route), []).append(context)
        contexts = self._index.get(id(route), [])
        if len(contexts) > 1:  # one route object included under several prefixes
            path: str = scope["path"]
            contexts = [c for c in contexts if c.path_regex.match(path)] or contexts
        template = contexts[0].path if contexts else getattr(route, "path", None)
        return template if isinstance(template, str) and template else UNMATCHED


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
