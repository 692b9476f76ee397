"""Staff login, logout and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import AppSettings, DbSession
from app.i18n import LANGUAGES, translate
from app.services import auth, users
from app.web import csrf
from app.web.deps import CsrfChecked
from app.web.session import (
    LANG_COOKIE,
    SESSION_COOKIE,
    STAFF_HOME,
    current_user,
    request_language,
    safe_next,
)
from app.web.templating import render

router = APIRouter(include_in_schema=False)

ONE_YEAR = 365 * 24 * 3600


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = STAFF_HOME) -> Response:
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = STAFF_HOME,
) -> Response:
    lang = request_language(request)
    client = request.client.host if request.client else "unknown"
    try:
        user = auth.authenticate(db, settings, email, password, client)
    except auth.LoginFailed:
        return _login_refused(request, next, email, translate(lang, "Wrong e-mail or password."))
    except auth.LoginThrottled as throttled:
        minutes = math.ceil(throttled.retry_after / 60)
        message = translate(
            lang,
            "Too many failed logins. Try again in %(minutes)s min.",
            minutes=minutes,
        )
        response = _login_refused(request, next, email, message, status_code=429)
        response.headers["Retry-After"] = str(throttled.retry_after)
        return response
    token = auth.start_session(db, settings, user)
    response = RedirectResponse(safe_next(next), status_code=303)
    # A new session token at every login, and the pre-login cookie is dropped: no fixation.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        max_age=settings.session_max_age_hours * 3600,
        path="/",
    )
    response.delete_cookie(csrf.PRESESSION_COOKIE, path="/")
    response.set_cookie(LANG_COOKIE, user.language, max_age=ONE_YEAR, samesite="lax", path="/")
    return response


def _login_refused(
    request: Request, next: str, email: str, error: str, *, status_code: int = 401
) -> Response:
    context = {"next": safe_next(next), "email": email, "error": error}
    return render(request, "login.html", context, status_code=status_code)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, db: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, db: DbSession, next: str = STAFF_HOME) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="lax", path="/")
        user = current_user(request, db)
        if user is not None:
            users.set_language(db, user, lang)
    return response
