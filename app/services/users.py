"""Staff accounts: creating them and binding them to a municipality or organisation."""

from __future__ import annotations

import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import ApiToken, Municipality, Organization, User, UserSession
from app.domain.access import Actor, Role, require_role, validate_role_binding
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.i18n import LANGUAGES, N_, is_ui_language, register_field_errors
from app.services.auth import hash_password, verify_password


def normalise_email(value: str, field: str = "email") -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.single(field, str(exc), "invalid_email") from exc


def create_user(
    db: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: str,
    password: str | None,
    municipality_code: str | None = None,
    organization_id: uuid.UUID | None = None,
    language: str = "fi",
) -> User:
    require_role(actor, Role.ADMIN)
    errors: list[FieldError] = []
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationFailed.single(
            "role", f"must be one of: {', '.join(r.value for r in Role)}", "unknown_role"
        ) from None
    normalised = normalise_email(email)
    if problem := validate_role_binding(role_value, municipality_code, organization_id):
        field = "municipality_code" if "municipal" in problem else "organization_id"
        errors.append(FieldError(field, problem, "binding"))
    if municipality_code and db.get(Municipality, municipality_code) is None:
        errors.append(FieldError("municipality_code", "unknown municipality code", "unknown"))
    if organization_id and db.get(Organization, organization_id) is None:
        errors.append(FieldError("organization_id", "unknown organisation", "unknown"))
    if not is_ui_language(language):
        errors.append(FieldError("language", f"must be one of {', '.join(LANGUAGES)}", "invalid"))
    if errors:
        raise ValidationFailed(errors=errors)
    if db.scalar(select(User.id).where(User.email == normalised)) is not None:
        raise Conflict(f"A user with e-mail {normalised} already exists.")
    bind_actor(db, actor)
    user = User(
        email=normalised,
        full_name=full_name.strip(),
        role=role_value.value,
        password_hash=hash_password(password) if password else None,
        municipality_code=municipality_code,
        organization_id=organization_id,
        language=language,
    )
    db.add(user)
    db.commit()
    return user


def get_user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with e-mail {email}.")
    return user


def list_users(db: Session, actor: Actor) -> list[User]:
    require_role(actor, Role.ADMIN, Role.COORDINATOR)
    return list(db.scalars(select(User).order_by(User.email)))


def change_password(db: Session, user: User, current: str, new: str) -> None:
    """A user changes their own password; every other session of theirs ends."""
    if user.password_hash is None or not verify_password(current, user.password_hash):
        raise ValidationFailed.single("current_password", "is not correct", "wrong_password")
    bind_actor(db, Actor(user.id, Role(user.role), user.email))
    user.password_hash = hash_password(new)
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.commit()


def set_active(db: Session, actor: Actor, user_id: uuid.UUID, active: bool) -> User:
    """Deactivating an account ends its sessions; its tokens stop working at once."""
    require_role(actor, Role.ADMIN)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor.user_id and not active:
        raise ValidationFailed.single("is_active", "you cannot deactivate yourself", "self")
    if active and user.erased_at is not None:
        raise Conflict("The account's data has been erased; create a new account.")
    bind_actor(db, actor)
    user.is_active = active
    if not active:
        db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.commit()
    return user


def tokens_of(db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def set_language(db: Session, user: User, language: str) -> None:
    if is_ui_language(language) and user.language != language:
        bind_actor(db, Actor(user.id, Role(user.role), user.email))
        user.language = language
        db.commit()


register_field_errors(
    {
        "binding": N_(
            "A municipal contact needs a municipality and a partner an organisation; "
            "other roles need neither."
        )
    }
)


def lead_owner_choices(db: Session) -> list[User]:
    """Active staff who can own a lead, by name."""
    return list(
        db.scalars(
            select(User)
            .where(
                User.is_active,
                User.role.in_(
                    [Role.ADMIN.value, Role.COORDINATOR.value, Role.MUNICIPAL_CONTACT.value]
                ),
            )
            .order_by(User.full_name)
        )
    )
