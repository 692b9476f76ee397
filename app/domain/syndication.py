"""Syndication rules: event types, the retry schedule, which target addresses are
allowed, and what a target must say about itself. Plain Python, no framework."""

from __future__ import annotations

import base64
import ipaddress
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from app.domain.errors import FieldError, ValidationFailed


class TargetKind(StrEnum):
    WEBHOOK = "webhook"
    WORDPRESS = "wordpress"


class TargetStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # A newer change of the same site to the same target was queued before this one was
    # sent: only the newest state goes out, under its own webhook-id.
    SUPERSEDED = "superseded"


class EventType(StrEnum):
    SITE_PUBLISHED = "site.published"
    SITE_UPDATED = "site.updated"
    SITE_WITHDRAWN = "site.withdrawn"
    # The "send test event" action; goes only to the target it was sent for.
    PING = "ping"


# The sites area's public-change kinds, as syndication events.
EVENT_OF_CHANGE: Final[dict[str, EventType]] = {
    "published": EventType.SITE_PUBLISHED,
    "changed": EventType.SITE_UPDATED,
    "attachment": EventType.SITE_UPDATED,
    "withdrawn": EventType.SITE_WITHDRAWN,
    "archived": EventType.SITE_WITHDRAWN,
    "expired": EventType.SITE_WITHDRAWN,
}

# Waits after the 1st, 2nd, … failed attempt (the Standard Webhooks schedule: the first
# attempt goes at once); after the last failure the delivery has failed.
RETRY_SCHEDULE: Final = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS: Final = len(RETRY_SCHEDULE) + 1
# A Retry-After further away than this is not believed.
MAX_RETRY_AFTER: Final = timedelta(hours=24)
JITTER: Final = 0.1
EXCERPT_CHARS: Final = 500

_POST_TYPE = re.compile(r"^[a-z0-9_-]{1,40}$")
_ACCENT = re.compile(r"^#?([0-9a-fA-F]{6})$")


def retry_delay(
    attempt_count: int, retry_after: timedelta | None, rng: random.Random | None = None
) -> timedelta | None:
    """How long to wait after the `attempt_count`-th failed attempt; None: give up.
    The receiver's Retry-After is honoured as the earliest next attempt."""
    if attempt_count >= MAX_ATTEMPTS:
        return None
    base = RETRY_SCHEDULE[attempt_count - 1]
    spread = (rng or random).uniform(-JITTER, JITTER)
    delay = base * (1 + spread)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or an HTTP date (RFC 9110); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def address_blocked(address: str) -> bool:
    """Private, loopback, link-local and other non-public addresses (SSRF)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_problem(url: str, allow_private: bool) -> tuple[str, str] | None:
    """(reason, code) when a target URL may not be used, else None. Host names are
    checked again after DNS resolution, just before each request."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Not a valid URL.", "invalid_url"
    if parts.scheme not in ("http", "https"):
        return "Only http and https addresses are allowed.", "scheme"
    if not parts.hostname:
        return "The address has no host.", "invalid_url"
    if parts.username or parts.password:
        return "Put credentials in the target's fields, not in the address.", "credentials_in_url"
    if port == 0:
        return "Not a valid URL.", "invalid_url"
    host = parts.hostname
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            return "Private and local addresses are not allowed.", "private_address"
        try:
            if address_blocked(host):
                return "Private and local addresses are not allowed.", "private_address"
        except ValueError:
            pass  # a host name: resolved and checked when sending
    return None


@dataclass(frozen=True)
class TargetInput:
    name: str
    kind: str
    url: str
    municipality_code: str
    wp_username: str | None = None
    wp_password: str | None = None
    wp_post_type: str | None = None


def validate_target(
    target: TargetInput,
    *,
    municipalities: frozenset[str],
    allow_private: bool,
    has_password: bool,
) -> None:
    """Every problem at once. `has_password`: a WordPress password is already stored."""
    errors: list[FieldError] = []
    if not target.name.strip():
        errors.append(FieldError("name", "A name is required.", "required"))
    elif len(target.name) > 120:
        errors.append(FieldError("name", "At most 120 characters.", "too_long"))
    if target.kind not in {k.value for k in TargetKind}:
        errors.append(FieldError("kind", "Unknown target kind.", "invalid_choice"))
    if target.municipality_code not in municipalities:
        errors.append(FieldError("municipality_code", "Unknown municipality.", "invalid_choice"))
    if len(target.url) > 500:
        errors.append(FieldError("url", "At most 500 characters.", "too_long"))
    elif problem := url_problem(target.url, allow_private):
        errors.append(FieldError("url", *problem))
    if target.kind == TargetKind.WORDPRESS:
        if not (target.wp_username or "").strip():
            errors.append(FieldError("wp_username", "A WordPress user is required.", "required"))
        if not target.wp_password and not has_password:
            errors.append(
                FieldError("wp_password", "An application password is required.", "required")
            )
        if target.wp_post_type and not _POST_TYPE.match(target.wp_post_type):
            errors.append(
                FieldError(
                    "wp_post_type",
                    "The REST base of a post type: lower-case letters, digits, - and _.",
                    "invalid_format",
                )
            )
    if errors:
        raise ValidationFailed(errors=errors)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def parse_accent(value: str) -> str | None:
    """An accent colour for the embed as `#rrggbb`, or None when it is not one."""
    match = _ACCENT.match(value.strip())
    return f"#{match.group(1).lower()}" if match else None


def excerpt(text: str) -> str:
    return text[:EXCERPT_CHARS]


class Health(StrEnum):
    HEALTHY = "healthy"
    FAILING = "failing"
    PAUSED = "paused"
    DISABLED = "disabled"
    UNTRIED = "untried"


def target_health(
    status: str, failing_since: datetime | None, last_success_at: datetime | None
) -> Health:
    if status == TargetStatus.DISABLED:
        return Health.DISABLED
    if status == TargetStatus.PAUSED:
        return Health.PAUSED
    if failing_since is not None:
        return Health.FAILING
    return Health.HEALTHY if last_success_at is not None else Health.UNTRIED


def should_disable(failing_since: datetime, now: datetime, disable_after: timedelta) -> bool:
    return now - failing_since >= disable_after


def accent_ink(accent: str) -> str:
    """Black or white text on the accent colour, whichever has the higher contrast
    (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(accent[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
