"""Outbound HTTP to receivers outside: the address check that keeps requests off
private networks, and exchanges bounded by one wall-clock deadline (connect, send and
every byte of the answer, headers included)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

import httpcore
import httpx

from app.domain.syndication import address_blocked
from app.settings import Settings

USER_AGENT: Final = "InvestPortal-Syndication/1.0"


class BlockedAddress(Exception):
    """The target's host resolves to an address outbound requests may not reach."""


def check_resolved(url: str, settings: Settings) -> None:
    if settings.syndication_private_allowed:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise BlockedAddress(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        if address_blocked(str(info[4][0])):
            raise BlockedAddress(f"{host} resolves to a private or local address")


# The wall-clock deadline of the exchange running in this thread (time.monotonic()).
_DEADLINE: ContextVar[float | None] = ContextVar("syndication_deadline", default=None)


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` for one socket operation, shortened to what is left of the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write ends by the deadline of the whole exchange:
    a receiver trickling its status line and headers a byte at a time would otherwise
    renew the read timeout with every byte, before there is a response to cut short."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _time_left(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool of deadline-bound sockets. httpx has no
    public way yet to give its transport an httpcore network backend (encode/httpx#3749),
    so the pool it built is replaced by an equal one with that backend."""

    def __init__(self, limits: httpx.Limits) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


_CLIENTS_LOCK = threading.Lock()


def shared_client(timeout: float) -> httpx.Client:
    """One client per process and timeout, shared by the worker threads: creating a
    client (its TLS context) costs tens of milliseconds of CPU. Under a lock, because
    the first attempts start side by side: without it each of them built its own, and
    a worker's first deliveries waited hundreds of milliseconds for the GIL."""
    with _CLIENTS_LOCK:
        return _client(timeout)


@lru_cache(maxsize=4)
def _client(timeout: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=False,  # a redirect could lead past the address check
        headers={"user-agent": USER_AGENT},
        transport=_DeadlineTransport(
            httpx.Limits(max_connections=200, max_keepalive_connections=50)
        ),
    )


class DeadlineExceeded(httpx.TimeoutException):
    """The whole exchange (connect, send, every byte of the answer) took too long."""


@dataclass
class Exchange:
    """HTTP requests under one wall-clock deadline for the whole attempt: a receiver
    that trickles its answer a byte at a time cannot hold a delivery slot past it
    (a per-read timeout alone would wait for as long as bytes keep coming)."""

    client: httpx.Client
    deadline: float
    per_request: float
    # Sent with every request of the exchange (the `X-Request-ID` of a delivery).
    headers: Mapping[str, str] = field(default_factory=dict)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("deadline exceeded")
        return left

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        limit = min(self.remaining(), self.per_request)
        stop = time.monotonic() + limit
        timeout = httpx.Timeout(limit, connect=min(limit, 5.0))
        bound = _DEADLINE.set(stop)  # every socket operation of this request ends by then
        try:
            return self._exchange(method, url, timeout, stop, **kwargs)
        finally:
            _DEADLINE.reset(bound)

    def _exchange(
        self, method: str, url: str, timeout: httpx.Timeout, stop: float, **kwargs: Any
    ) -> httpx.Response:
        if self.headers:
            kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
        with self.client.stream(method, url, timeout=timeout, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            # No chunk size: each piece as it arrives (a chunk size would wait for that
            # many bytes, and the deadline would be checked only then).
            for chunk in response.iter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > stop:
                    raise DeadlineExceeded("answer not complete within the deadline")
                if size > MAX_ANSWER_BYTES:
                    break  # enough to judge the answer; the rest is not read
            # Rebuilt from what was read: decoding of a compressed answer included.
            raw = b"".join(chunks)
        out = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=raw,
            request=response.request,
        )
        if time.monotonic() > stop:
            raise DeadlineExceeded("answer not complete within the deadline")
        return out

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


MAX_ANSWER_BYTES: Final = 1_000_000
