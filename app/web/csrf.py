"""CSRF tokens for every server-rendered form.

The token is an HMAC of something bound to the browser: the staff session when logged
in, otherwise a random HttpOnly pre-session cookie. Nothing is stored server-side, so
any instance can verify a token another instance issued.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, Response

from app.settings import Settings
from app.web.session import SESSION_COOKIE

PRESESSION_COOKIE = "ik_presession"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


def current_binding(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)


def token_for(settings: Settings, binding: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def set_presession_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        PRESESSION_COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )


async def verify_csrf(request: Request, settings: Settings) -> None:
    """Refuse a state-changing form or fetch whose token does not match its browser."""
    binding = current_binding(request)
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    if not binding or not sent or not hmac.compare_digest(sent, token_for(settings, binding)):
        raise HTTPException(
            403,
            "The form has expired or its security token is missing. Reload the page and try again.",
        )
