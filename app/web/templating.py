"""Rendering staff pages: every page gets the language, the region, the user, a CSRF
token, the role's navigation and the one-time message (flash) waiting for it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import object_session

from app.db.models import User
from app.domain.errors import FieldError, ValidationFailed
from app.i18n import DEFAULT_LANGUAGE, N_, field_error_message, install_i18n, translations
from app.services.auth import actor_for
from app.services.notifications import unread_count
from app.settings import Settings
from app.web import csrf
from app.web.assets import static_url
from app.web.branding import branding_css_url, request_region
from app.web.flash import FLASH_COOKIE, Flash, clear_flash, read_flash
from app.web.navigation import current_path, groups_for, items_for
from app.web.session import request_language

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
install_i18n(templates.env)


class FormErrors(Mapping[str, list[FieldError]]):
    """A form's refused fields, by field name, in the order the rules reported them.

    Templates test a field with `errors.capex_eur` (a list, empty when fine) and show
    the messages, translated by code, with `field_errors(errors, "capex_eur")` beside
    the input and `error_summary(errors)` above the form.
    """

    def __init__(self, errors: Iterable[FieldError] = ()) -> None:
        self.all = list(errors)
        self._by_field: dict[str, list[FieldError]] = {}
        for error in self.all:
            self._by_field.setdefault(error.field, []).append(error)

    @classmethod
    def of(cls, failed: ValidationFailed) -> FormErrors:
        return cls(failed.errors)

    @classmethod
    def single(cls, field_name: str, reason: str, code: str) -> FormErrors:
        return cls([FieldError(field_name, reason, code)])

    def __getitem__(self, name: str) -> list[FieldError]:
        return self._by_field.get(name, [])

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_field)

    def __len__(self) -> int:
        return len(self._by_field)

    def __contains__(self, name: object) -> bool:
        return name in self._by_field


def _as_errors(errors: FormErrors | Iterable[FieldError] | None) -> FormErrors:
    if isinstance(errors, FormErrors):
        return errors
    return FormErrors(errors or ())


@pass_context
def _field_errors(
    context: Context, errors: FormErrors | Iterable[FieldError] | None, name: str
) -> Markup:
    lang = context.get("lang", DEFAULT_LANGUAGE)
    return Markup("").join(
        Markup('<p class="error field-error" id="{}-error">{}</p>').format(
            name, field_error_message(lang, error)
        )
        for error in _as_errors(errors)[name]
    )


@pass_context
def _error_summary(context: Context, errors: FormErrors | Iterable[FieldError] | None) -> Markup:
    found = _as_errors(errors)
    if not found:
        return Markup("")
    lang = context.get("lang", DEFAULT_LANGUAGE)
    items = Markup("").join(
        Markup('<li><a href="#{}">{}</a></li>').format(
            error.field, field_error_message(lang, error)
        )
        for error in found.all
    )
    heading = escape(translations(lang).gettext("Please correct the following:"))
    return Markup(
        '<div class="error" role="alert" id="form-errors"><p>{}</p><ul>{}</ul></div>'
    ).format(heading, items)


@pass_context
def _error_text(context: Context, error: FieldError) -> str:
    return field_error_message(context.get("lang", DEFAULT_LANGUAGE), error)


# A page draws the same few icons again and again.
@lru_cache(maxsize=256)
def _icon(name: str, extra_class: str = "") -> Markup:
    """An icon of /static/icons.svg, hidden from assistive technology (its text is
    always written beside it)."""
    return Markup(
        '<svg class="icon{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>'
    ).format(f" {extra_class}" if extra_class else "", static_url("icons.svg"), name)


templates.env.globals.update(
    field_errors=_field_errors,
    error_summary=_error_summary,
    error_text=_error_text,
    icon=_icon,
    static_url=static_url,
    branding_css_url=branding_css_url,
)


def is_fragment_request(request: Request) -> bool:
    """An htmx request for part of a page. htmx's own history restore asks for the whole
    page (HX-History-Restore-Request), so it gets the whole page."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _unread_notifications(user: User | None) -> int | None:
    """The bell's number for a signed-in person, counted in the request's own session
    (the one that loaded the user)."""
    db = object_session(user) if user is not None else None
    if user is None or db is None:
        return None
    try:
        return unread_count(db, actor_for(user))
    except SQLAlchemyError:
        # A page shown after a failed statement (an error page) goes without the number.
        return None


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
    fragment = is_fragment_request(request)
    # A whole page shows the waiting message and clears it; a fragment leaves it be.
    pending_flash = FLASH_COOKIE in request.cookies and not fragment
    flashes: list[Flash] = []
    if pending_flash and (found := read_flash(request, settings)) is not None:
        flashes.append(found)
    page_context = {
        "lang": request_language(request, user),
        "region": request_region(request),
        "user": user,
        "csrf_token": csrf.token_for(settings, binding),
        "path": request.url.path,
        "nav": nav,
        "nav_groups": groups_for(user.role) if user else [],
        "nav_current": current_path(nav, request.url.path),
        "flashes": flashes,
        "fragment": fragment,
        "notifications_unread": _unread_notifications(user),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, page_context, status_code=status_code)
    if new_presession:
        csrf.set_presession_cookie(response, settings, new_presession)
    if pending_flash:
        clear_flash(response, settings)
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
