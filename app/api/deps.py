"""Request-scoped dependencies: settings, the database session, the calling actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from app.domain.access import Actor
from app.services.auth import actor_for, resolve_token
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _session_for(request: Request, factory: sessionmaker[Session]) -> Iterator[Session]:
    db = factory()
    request.state.db = db
    try:
        yield db
    finally:
        db.close()


def get_db(request: Request) -> Iterator[Session]:
    """One session per request. Services commit; nothing is committed after the response.
    Kept on the request too, for what page helpers read outside the route's arguments
    (the region a page renders for)."""
    yield from _session_for(request, request.app.state.session_factory)


def get_reading_db(request: Request) -> Iterator[Session]:
    """A session for a route that only reads (see `make_reading_session_factory`), kept
    on the request like `get_db`'s."""
    yield from _session_for(request, request.app.state.reading_session_factory)


DbSession = Annotated[Session, Depends(get_db)]
ReadingDbSession = Annotated[Session, Depends(get_reading_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def get_api_actor(request: Request, db: DbSession) -> Actor:
    """API clients authenticate with `Authorization: Bearer <token>`."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "A bearer token is required.", headers=_UNAUTHORIZED_HEADERS)
    user = resolve_token(db, token.strip())
    if user is None:
        raise HTTPException(
            401, "The token is unknown, expired or revoked.", headers=_UNAUTHORIZED_HEADERS
        )
    return actor_for(user)


ApiActor = Annotated[Actor, Depends(get_api_actor)]
