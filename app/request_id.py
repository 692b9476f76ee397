"""The request id: one per HTTP request (or scheduled job run), carried by a context
variable into the log lines, the audit log and the outbound syndication deliveries."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

HEADER: Final = "X-Request-ID"
MAX_LENGTH: Final = 64
# What a proxy or client may hand in: ids that are safe in a log line, a header and a
# column of this size. Anything else is replaced by a fresh id.
_ACCEPTED: Final = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}\Z")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted(incoming: str | None) -> str | None:
    """The incoming id if it is one this service can pass on unchanged."""
    if incoming is not None and _ACCEPTED.match(incoming):
        return incoming
    return None


def current_request_id() -> str | None:
    return _current.get()


@contextmanager
def bound_request_id(request_id: str | None) -> Iterator[str | None]:
    """Make `request_id` the current one for the code inside (this thread or task)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)
