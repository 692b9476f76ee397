"""Rendering staff pages: every page gets the language, the user and a CSRF token."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.db.models import User
from app.i18n import N_, install_i18n
from app.settings import Settings
from app.web import csrf
from app.web.navigation import current_path, items_for
from app.web.session import request_language

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
install_i18n(templates.env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    binding = csrf.current_binding(request)
    new_presession = None
    if binding is None:
        binding = new_presession = secrets.token_urlsafe(32)
    nav = items_for(user.role) if user else []
    page_context = {
        "lang": request_language(request, user),
        "user": user,
        "csrf_token": csrf.token_for(settings, binding),
        "path": request.url.path,
        "nav": nav,
        "nav_current": current_path(nav, request.url.path),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, page_context, status_code=status_code)
    if new_presession:
        csrf.set_presession_cookie(response, settings, new_presession)
    return response


def error_page(request: Request, status: int, title: str, detail: str | None) -> HTMLResponse:
    """The page a person sees for a refused or failed request in the staff UI."""
    page_title = _ERROR_TITLES.get(status, N_("Something went wrong"))
    return render(
        request,
        "error.html",
        {"status": status, "title": page_title, "detail": detail},
        status_code=status,
    )


_ERROR_TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    410: N_("No longer available"),
    413: N_("The file is too large"),
    422: N_("Please check the form"),
    429: N_("Too many requests"),
}
