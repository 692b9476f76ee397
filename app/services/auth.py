"""Authentication: passwords, staff sessions, API tokens, login throttling."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import ApiToken, User, UserSession
from app.domain.access import Actor, Role
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.settings import Settings

_hasher = PasswordHash.recommended()
# Verified against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=5)
TOKEN_PREFIX = "ikt_"  # noqa: S105  (a visible marker, not a secret)


class LoginFailed(DomainError):
    """Wrong e-mail, wrong password, locked or inactive: deliberately indistinguishable."""

    title = "Login failed"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.single(
            "password",
            f"must be at least {MIN_PASSWORD_LENGTH} characters",
            "too_short",
            {"limit": MIN_PASSWORD_LENGTH},
        )
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return bool(_hasher.verify(password, password_hash))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        role=Role(user.role),
        label=user.email,
        municipality_code=user.municipality_code,
        organization_id=user.organization_id,
    )


def authenticate(db: Session, settings: Settings, email: str, password: str) -> User:
    """Check credentials; count failures and lock the account after too many. Commits."""
    now = utcnow()
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        raise LoginFailed("Wrong e-mail or password.")
    if user.locked_until is not None and user.locked_until > now:
        _hasher.verify(password, _DUMMY_HASH)
        raise LoginFailed("Wrong e-mail or password.")
    if not _hasher.verify(password, user.password_hash) or not user.is_active:
        user.failed_login_count += 1
        if user.failed_login_count >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_login_count = 0
        db.commit()
        raise LoginFailed("Wrong e-mail or password.")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    db.commit()
    return user


def start_session(db: Session, settings: Settings, user: User) -> str:
    """A fresh random session token for every login (no fixation). Commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        UserSession(
            token_hash=_sha256(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_age_hours),
        )
    )
    db.commit()
    return token


def resolve_session(db: Session, token: str) -> tuple[UserSession, User] | None:
    session = db.get(UserSession, _sha256(token))
    if session is None or session.expires_at <= utcnow():
        return None
    user = db.get(User, session.user_id)
    if user is None or not user.is_active:
        return None
    return session, user


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))
    db.commit()


def purge_expired_sessions(db: Session, now: datetime | None = None) -> int:
    result = db.execute(delete(UserSession).where(UserSession.expires_at <= (now or utcnow())))
    db.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def issue_token(db: Session, user: User, name: str) -> IssuedToken:
    """A new API token; the plain value is returned once and only its hash stored."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed.single("name", "must be 1 to 100 characters", "length")
    bind_actor(db, actor_for(user))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id, name=name, token_hash=_sha256(token), prefix=token[: len(TOKEN_PREFIX) + 4]
    )
    db.add(record)
    db.commit()
    return IssuedToken(token, record)


def resolve_token(db: Session, token: str) -> User | None:
    # Token and user in one round trip: this runs before every API call.
    found = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _sha256(token))
    ).first()
    now = utcnow()
    if found is None:
        return None
    record, user = found
    if record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if not user.is_active:
        return None
    # Recorded at most every few minutes: a write per API call would cost every request.
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        record.last_used_at = now
        db.commit()
    return user


def revoke_token(db: Session, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    record = db.get(ApiToken, token_id)
    # Someone else's token answers exactly like a missing one: no existence leak.
    if record is None or (record.user_id != actor.user_id and actor.role is not Role.ADMIN):
        raise NotFound("No such API token.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.commit()
    return record
