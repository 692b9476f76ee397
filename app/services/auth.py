"""Authentication: passwords, staff sessions, API tokens, login throttling."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import and_, case, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import ApiToken, LoginThrottle, User, UserSession
from app.domain.access import Actor, Role, token_digest
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


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        role=Role(user.role),
        label=user.email,
        municipality_code=user.municipality_code,
        organization_id=user.organization_id,
    )


class LoginThrottled(DomainError):
    """Too many failed logins for the account or from the client's address."""

    title = "Too many failed logins"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed logins. Please try again later.")
        # Seconds until the lockout ends.
        self.retry_after = retry_after


@dataclass(frozen=True)
class FailureCounter:
    bucket: str
    max_failures: int


def failure_counters(
    settings: Settings, email: str, client: str
) -> tuple[FailureCounter, FailureCounter]:
    """The account's and the address's counters, under keyed hashes: the table never
    holds an e-mail or an IP address. Unknown e-mails are counted like real ones, so the
    answers tell nothing about which accounts exist."""
    key = settings.secret_key.get_secret_value().encode()

    def bucket(kind: str, value: str) -> str:
        return hmac.new(key, f"login-{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    return (
        FailureCounter(bucket("account", email), settings.login_max_failures),
        FailureCounter(bucket("address", client), settings.login_address_max_failures),
    )


def _locked_until(
    db: Session, counters: tuple[FailureCounter, ...], now: datetime
) -> datetime | None:
    return db.scalar(
        select(func.max(LoginThrottle.locked_until)).where(
            LoginThrottle.bucket.in_([c.bucket for c in counters]),
            LoginThrottle.locked_until > now,
        )
    )


def count_failure(
    db: Session, settings: Settings, counter: FailureCounter, now: datetime
) -> tuple[int, datetime | None]:
    """Count one failed login in a single upsert (concurrent failures are each counted,
    none lost to a read-modify-write race) and return the window's count and the end of
    the counter's lockout, if any. A window ends after its time, or when its lockout has
    run out."""
    window = timedelta(minutes=settings.login_window_minutes)
    lockout_end = now + timedelta(minutes=settings.login_lockout_minutes)
    existing = LoginThrottle.__table__.c
    timestamp = existing.window_started_at.type
    window_open = and_(
        existing.window_started_at > now - window,
        or_(existing.locked_until.is_(None), existing.locked_until > now),
    )
    failures = case((window_open, existing.failures + 1), else_=literal(1))
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(LoginThrottle)
        .values(
            bucket=counter.bucket,
            window_started_at=now,
            failures=1,
            locked_until=lockout_end if counter.max_failures <= 1 else None,
        )
        .on_conflict_do_update(
            index_elements=["bucket"],
            set_={
                "failures": failures,
                "window_started_at": case(
                    (window_open, existing.window_started_at), else_=literal(now, timestamp)
                ),
                "locked_until": case(
                    (failures >= counter.max_failures, literal(lockout_end, timestamp)),
                    (window_open, existing.locked_until),
                    else_=None,
                ),
            },
        )
        .returning(LoginThrottle.failures, LoginThrottle.locked_until)
    )
    row = db.execute(statement).one()
    return int(row.failures), row.locked_until


def _retry_after(locked_until: datetime, now: datetime) -> int:
    return max(1, math.ceil((locked_until - now).total_seconds()))


def authenticate(db: Session, settings: Settings, email: str, password: str, client: str) -> User:
    """Check credentials. Failures count against the account and the client's address
    (`client`); while either is locked, no password is even checked. Commits."""
    now = utcnow()
    email = email.strip().lower()
    counters = failure_counters(settings, email, client)
    if (locked_until := _locked_until(db, counters, now)) is not None:
        raise LoginThrottled(_retry_after(locked_until, now))
    user = db.scalar(select(User).where(User.email == email))
    if user is None or user.password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        valid = False
    else:
        valid = _hasher.verify(password, user.password_hash) and user.is_active
    if user is None or not valid:
        lockouts = [count_failure(db, settings, counter, now)[1] for counter in counters]
        db.commit()
        if locked := [until for until in lockouts if until is not None and until > now]:
            raise LoginThrottled(_retry_after(max(locked), now))
        raise LoginFailed("Wrong e-mail or password.")
    account, _address = counters
    # A success forgives the account's failures; the address's count stays, as other
    # accounts may be being guessed from it.
    db.execute(delete(LoginThrottle).where(LoginThrottle.bucket == account.bucket))
    user.last_login_at = now
    db.commit()
    return user


def purge_login_throttles(db: Session, settings: Settings) -> int:
    """Drop counters whose window and lockout both ended a day ago or more (scheduled)."""
    cutoff = utcnow() - timedelta(days=1)
    window = timedelta(minutes=settings.login_window_minutes)
    result = db.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < cutoff - window,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < cutoff),
        )
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def start_session(db: Session, settings: Settings, user: User) -> str:
    """A fresh random session token for every login (no fixation). Commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        UserSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_age_hours),
        )
    )
    db.commit()
    return token


def resolve_session(db: Session, token: str) -> tuple[UserSession, User] | None:
    # The session and its person in one statement: every staff page starts with it.
    row = db.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_digest(token))
    ).first()
    if row is None:
        return None
    session, user = row
    if session.expires_at <= utcnow() or not user.is_active:
        return None
    return session, user


def end_session(db: Session, token: str) -> None:
    db.execute(delete(UserSession).where(UserSession.token_hash == token_digest(token)))
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
        user_id=user.id,
        name=name,
        token_hash=token_digest(token),
        prefix=token[: len(TOKEN_PREFIX) + 4],
    )
    db.add(record)
    db.commit()
    return IssuedToken(token, record)


def resolve_token(db: Session, token: str) -> User | None:
    # Token and user in one round trip: this runs before every API call.
    found = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(token))
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
