"""One-time messages ("Saved.") shown on the page a form's redirect lands on.

The message travels in a short-lived cookie set on the redirect, signed with the
SECRET_KEY so only this service can write it, and cleared by the page that shows it.
Nothing is kept in process memory, so any instance may render the page the redirect
leads to. The message is the English source text (marked with N_ where it is written)
and is translated when shown, in the reader's language.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Literal

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from app.settings import Settings

FLASH_COOKIE = "ik_flash"
# Long enough for the redirect to be followed, short enough never to surprise later.
MAX_AGE_SECONDS = 120
Tone = Literal["success", "info", "warning", "danger"]


@dataclass(frozen=True)
class Flash:
    # English source text, marked with N_; %(name)s placeholders are filled from params.
    message: str
    tone: Tone = "success"
    params: dict[str, str] = field(default_factory=dict)


def _signature(settings: Settings, payload: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"flash:" + payload.encode(), hashlib.sha256).hexdigest()


def set_flash(
    response: Response,
    settings: Settings,
    message: str,
    *,
    tone: Tone = "success",
    **params: str,
) -> None:
    """Carry `message` to the next page this browser renders."""
    body = {"m": message, "t": tone, "p": params, "e": int(time.time()) + MAX_AGE_SECONDS}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE,
        f"{payload}.{_signature(settings, payload)}",
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )


def redirect(
    request: Request, url: str, message: str, *, tone: Tone = "success", **params: str
) -> RedirectResponse:
    """A 303 to `url` whose page shows `message` once."""
    response = RedirectResponse(url, status_code=303)
    set_flash(response, request.app.state.settings, message, tone=tone, **params)
    return response


def read_flash(request: Request, settings: Settings) -> Flash | None:
    """The message waiting for this browser, if its cookie is genuine and fresh."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, signature = raw.rsplit(".", 1)
    if not hmac.compare_digest(signature, _signature(settings, payload)):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        message, tone, params, expires = body["m"], body["t"], body["p"], body["e"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(message, str) or not isinstance(params, dict) or expires < time.time():
        return None
    if tone not in ("success", "info", "warning", "danger"):
        tone = "info"
    return Flash(message, tone, {str(k): str(v) for k, v in params.items()})


def clear_flash(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        FLASH_COOKIE, path="/", secure=settings.is_production, httponly=True, samesite="lax"
    )
