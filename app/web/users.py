"""My account (language, password, API tokens) and the administrator's user list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import DbSession
from app.db.models import User
from app.domain.access import Role, require_role
from app.domain.errors import DomainError, ValidationFailed
from app.domain.notifications import EMAIL_PREFERENCE_LABELS
from app.i18n import N_, register_field_errors
from app.services import auth, notifications, organizations, privacy, reference, users
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import LANG_COOKIE
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# Form messages for the account and user-administration rules (services/users.py, auth.py).
register_field_errors(
    {
        "wrong_password": N_("The password is not correct."),
        "self": N_("You cannot deactivate yourself."),
        ("invalid", "language"): N_("Choose a language."),
        ("unknown", "municipality_code"): N_("Unknown municipality."),
        ("binding", "municipality_code"): N_(
            "Only a municipal contact is bound to a municipality, and always to one."
        ),
        ("binding", "organization_id"): N_(
            "Only a partner is bound to an organisation, and always to one."
        ),
        "unknown_role": N_("Choose a role."),
        ("too_short", "password"): N_("At least %(limit)s characters."),
        ("length", "name"): N_("Give a name of 1 to 100 characters."),
    }
)


def _account(
    request: Request, db: DbSession, user: User, *, status_code: int = 200, **context: object
) -> HTMLResponse:
    return render(
        request,
        "users/account.html",
        {
            "tokens": users.tokens_of(db, user),
            "email_preferences": EMAIL_PREFERENCE_LABELS,
            **context,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    return _account(request, db, user)


@router.post("/account/password", dependencies=[CsrfChecked])
def change_password(
    request: Request,
    db: DbSession,
    user: StaffUser,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        users.change_password(db, user, current_password, new_password)
    except ValidationFailed as exc:
        return _account(request, db, user, status_code=422, password_errors=exc.errors)
    # The current session ended with the others: log in again with the new password.
    return flash.redirect(
        request, "/login", N_("Your password was changed. Log in with the new password.")
    )


@router.post("/account/language", dependencies=[CsrfChecked])
def change_language(
    request: Request, db: DbSession, user: StaffUser, language: Annotated[str, Form()]
) -> Response:
    users.set_language(db, user, language)
    response = flash.redirect(request, "/account", N_("The language was saved."))
    response.set_cookie(LANG_COOKIE, user.language, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/account/notifications", dependencies=[CsrfChecked])
def change_notification_email(
    request: Request,
    db: DbSession,
    user: StaffUser,
    notification_email: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        notifications.set_email_preference(db, user, notification_email)
    except ValidationFailed as exc:
        return _account(request, db, user, status_code=422, notification_errors=exc.errors)
    return _account(request, db, user, notifications_saved=True)


@router.post("/account/tokens", dependencies=[CsrfChecked])
def create_token(
    request: Request, db: DbSession, user: StaffUser, name: Annotated[str, Form(max_length=200)]
) -> Response:
    try:
        issued = auth.issue_token(db, user, name)
    except ValidationFailed as exc:
        return _account(request, db, user, status_code=422, token_errors=exc.errors)
    return _account(request, db, user, new_token=issued.token)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(request: Request, token_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    auth.revoke_token(db, actor_for(user), token_id)
    return flash.redirect(request, "/account", N_("The token was revoked."))


def _admin_page(
    request: Request, db: DbSession, user: User, *, status_code: int = 200, **context: object
) -> HTMLResponse:
    actor = actor_for(user)
    # Coordinators may list users (to pick owners), but managing them is the admin's.
    require_role(actor, Role.ADMIN)
    return render(
        request,
        "users/admin.html",
        {
            "users": users.list_users(db, actor),
            "roles": [r.value for r in Role],
            "municipalities": reference.municipality_choices(db),
            "organizations": organizations.organization_choices(db),
            **context,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    return _admin_page(request, db, user)


@router.post("/admin/users", dependencies=[CsrfChecked])
def admin_create_user(
    request: Request,
    db: DbSession,
    user: StaffUser,
    email: Annotated[str, Form(max_length=254)],
    full_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=200)] = "",
    municipality_code: Annotated[str, Form()] = "",
    organization_id: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fi",
) -> Response:
    form = {
        "email": email,
        "full_name": full_name,
        "role": role,
        "municipality_code": municipality_code,
        "organization_id": organization_id,
    }
    try:
        org_id = uuid.UUID(organization_id) if organization_id else None
        users.create_user(
            db,
            actor_for(user),
            email=email,
            full_name=full_name,
            role=role,
            password=password or None,
            municipality_code=municipality_code or None,
            organization_id=org_id,
            language=language,
        )
    except ValueError:
        return _admin_page(
            request,
            db,
            user,
            status_code=422,
            form=form,
            errors=[ValidationFailed.single("organization_id", "unknown").errors[0]],
        )
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else None
        return _admin_page(
            request,
            db,
            user,
            status_code=422,
            form=form,
            errors=errors,
            error=None if errors else exc.detail,
        )
    return flash.redirect(request, "/admin/users", N_("The user was added."))


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked])
def admin_set_active(
    request: Request,
    user_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    active: Annotated[str, Form()],
) -> Response:
    users.set_active(db, actor_for(user), user_id, active == "true")
    message = N_("The user was activated.") if active == "true" else N_("The user was deactivated.")
    return flash.redirect(request, "/admin/users", message)


@router.post("/admin/users/{user_id}/erase", dependencies=[CsrfChecked])
def admin_erase_user(
    request: Request,
    user_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Erase a deactivated former staff member's personal data (see privacy.erase_user)."""
    try:
        privacy.erase_user(db, actor_for(user), user_id, reason)
    except ValidationFailed:
        db.rollback()
        return _admin_page(request, db, user, status_code=422, erase_refused=user_id)
    return flash.redirect(
        request, "/admin/users", N_("The former staff member's personal data were erased.")
    )
