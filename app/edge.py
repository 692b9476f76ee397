"""The edge of the service: what every request must be before any route reads it.

One pure-ASGI middleware refuses, with a 4xx problem (or the HTML error page a browser
expects), whatever would otherwise reach a route, a query or PostgreSQL malformed:
- a body larger than the limit of its address: by `Content-Length` before a byte is read,
  and while it streams when the length is not declared (413, the limit in the message);
- a path or query string that is not UTF-8 once percent-decoded, or that holds control
  characters such as NUL (400);
- a JSON body that is not UTF-8 or is nested deeper than `MAX_JSON_DEPTH` (400);
- a URL-encoded form with invalid UTF-8 or control characters other than tab and line
  breaks (400).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import PROBLEM_JSON
from app.domain.inputs import control_character
from app.domain.packages import PackageLimits
from app.i18n import LANGUAGES
from app.services import clusters as clusters_service
from app.services import imports as imports_service

log = logging.getLogger(__name__)

KIB: Final = 1024
MIB: Final = 1024 * KIB
DEFAULT_BODY_LIMIT: Final = 1 * MIB
# Multipart framing and the form's other fields around an uploaded file.
UPLOAD_OVERHEAD: Final = 1 * MIB
INQUIRY_BODY_LIMIT: Final = 32 * KIB
MAX_JSON_DEPTH: Final = 32


@dataclass(frozen=True)
class BodyLimit:
    method: str
    pattern: re.Pattern[str]
    limit: int


def _limits() -> tuple[BodyLimit, ...]:
    package = PackageLimits()
    rules = [
        ("POST", r"/(api/v1/)?site-packages", package.max_upload_bytes + UPLOAD_OVERHEAD),
        ("POST", r"/(api/v1/)?sites/[^/]+/attachments", package.max_file_bytes + UPLOAD_OVERHEAD),
        (
            "PUT",
            r"/api/v1/clusters/[^/]+/agreements/[^/]+/document",
            clusters_service.DOCUMENT_MAX_BYTES + UPLOAD_OVERHEAD,
        ),
        ("POST", r"/api/v1/imports/[^/]+", imports_service.MAX_BYTES + UPLOAD_OVERHEAD),
        ("POST", r"/imports", imports_service.MAX_BYTES + UPLOAD_OVERHEAD),
        # Referral exports (CSV or XLSX), through the API or the staff page.
        (
            "POST",
            r"/(api/v1/referral-imports|referrals/imports)",
            imports_service.MAX_BYTES + UPLOAD_OVERHEAD,
        ),
        ("POST", rf"/({'|'.join(LANGUAGES)})/inquiry", INQUIRY_BODY_LIMIT),
    ]
    return tuple(BodyLimit(m, re.compile(p + r"/?\Z"), n) for m, p, n in rules)


BODY_LIMITS: Final = _limits()


def body_limit(method: str, path: str) -> int:
    """The largest body the address takes: uploads have their own, everything else 1 MiB."""
    for rule in BODY_LIMITS:
        if rule.method == method and rule.pattern.match(path):
            return rule.limit
    return DEFAULT_BODY_LIMIT


def human_size(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} bytes"


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class _BodyTooLarge(Exception):
    pass


def too_large(limit: int) -> Refused:
    return Refused(
        413,
        "Content too large",
        f"The request body is larger than the limit of {human_size(limit)} "
        f"({limit} bytes) for this address.",
    )


def _decoded(raw: bytes, what: str, *, plus_is_space: bool = False) -> str:
    if plus_is_space:
        raw = raw.replace(b"+", b" ")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "Bad request", f"The {what} is not valid UTF-8.") from None


def _check_text(text: str, what: str, *, multiline: bool = False) -> None:
    if (char := control_character(text, multiline=multiline)) is not None:
        raise Refused(
            400,
            "Bad request",
            f"The {what} contains a control character (U+{ord(char):04X}), "
            "which no field of this service accepts.",
        )


def check_target(scope: Scope) -> None:
    """The path and the query string: UTF-8, and no control characters once decoded."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    _check_text(_decoded(raw_path, "path"), "path")
    query: bytes = scope.get("query_string", b"")
    if query:
        for part in query.split(b"&"):
            _check_text(_decoded(part, "query string", plus_is_space=True), "query string")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def check_body(content_type: str, body: bytes) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "Bad request", "The JSON body is not valid UTF-8.") from None
        # Counting brackets is fast; walking the body byte by byte only when it could be deep.
        openers = body.count(b"[") + body.count(b"{")
        if openers > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
            raise Refused(
                400,
                "Bad request",
                f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.",
            )
    elif media == "application/x-www-form-urlencoded":
        for part in body.split(b"&"):
            _check_text(_decoded(part, "form", plus_is_space=True), "form", multiline=True)


# Renders a refusal: problem+json for API clients, an error page for browsers.
RefusalRenderer = Callable[[Request, int, str, str], Awaitable[Response] | Response]


def _checked_bodies(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("application/json", "application/x-www-form-urlencoded") or media.endswith(
        "+json"
    )


class EdgeGuard:
    """Pure ASGI, so a refused body is never read into memory."""

    def __init__(self, app: ASGIApp, *, render: RefusalRenderer | None = None) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope)
            limit = body_limit(scope["method"], scope["path"])
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            declared = headers.get(b"content-length")
            if declared is not None:
                if not declared.strip().isdigit():
                    raise Refused(400, "Bad request", "The Content-Length header is not a number.")
                if int(declared) > limit:
                    raise too_large(limit)
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if _checked_bodies(content_type) and scope["method"] not in ("GET", "HEAD"):
                # Small by the limit above: read, checked, then handed on as it came.
                body = await _read_body(receive, limit)
                check_body(content_type, body)
                receive = _replay(body, receive)
        except Refused as refused:
            await self._refuse(scope, receive, send, refused)
            return
        except _BodyTooLarge:
            await self._refuse(scope, receive, send, too_large(limit))
            return
        await self._stream(scope, receive, send, limit)

    async def _stream(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Counts the body as the route reads it; past the limit the route's answer is
        replaced by a 413 (frameworks wrap errors raised while a body is read)."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            exceeded = True
        except Exception:
            # Whatever a parser made of the interrupted body, the answer is the 413.
            if not (exceeded and not started):
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, too_large(limit))

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refused: Refused) -> None:
        log.info("refused %s %s: %s", scope["method"], scope["path"], refused.detail)
        response: Response | None = None
        if self.render is not None:
            try:
                result = self.render(
                    Request(scope, receive), refused.status, refused.title, refused.detail
                )
                response = await result if isinstance(result, Awaitable) else result
            except Exception:  # an error page that cannot render must not hide the refusal
                log.exception("error page failed for a refused request")
        if response is None:
            response = problem_response(scope, refused)
        await response(scope, receive, send)


def problem_response(scope: Scope, refused: Refused) -> Response:
    body = {
        "type": "about:blank",
        "title": refused.title,
        "status": refused.status,
        "detail": refused.detail,
        "instance": scope["path"],
    }
    return Response(json.dumps(body), status_code=refused.status, media_type=PROBLEM_JSON)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the connection's own messages (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class HeadAsGet:
    """Answers HEAD wherever GET is answered: FastAPI's routes take only the methods they
    declare, so a HEAD is routed as its GET and the body of the answer is dropped (its
    headers, Content-Length included, stay those of the GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
