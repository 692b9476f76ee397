"""The calling user, staff accounts and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.types import Text
from app.db.models import ApiToken, User
from app.domain.access import Role
from app.i18n import UiLanguage
from app.services import auth, users

router = APIRouter(tags=["users"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    municipality_code: str | None
    organization_id: uuid.UUID | None
    language: str
    is_active: bool


class UserIn(BaseModel):
    email: Text = Field(max_length=254)
    full_name: Text = Field(min_length=1, max_length=200)
    role: Role
    password: Text | None = Field(default=None, max_length=200)
    municipality_code: Text | None = None
    organization_id: uuid.UUID | None = None
    language: UiLanguage = "fi"


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("/me", response_model=UserOut)
def me(db: DbSession, actor: ApiActor) -> User:
    return users.get_user_by_email(db, actor.label)


@router.get("/users", response_model=list[UserOut])
def list_users(db: DbSession, actor: ApiActor) -> list[User]:
    return users.list_users(db, actor)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, db: DbSession, actor: ApiActor) -> User:
    return users.create_user(db, actor, **body.model_dump())


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def revoke_token(token_id: uuid.UUID, db: DbSession, actor: ApiActor) -> ApiToken:
    return auth.revoke_token(db, actor, token_id)
