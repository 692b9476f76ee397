"""Dependencies of staff pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.deps import DbSession, get_settings
from app.db.models import User
from app.settings import Settings
from app.web import csrf
from app.web.session import require_user


def staff_user(request: Request, db: DbSession) -> User:
    return require_user(request, db)


async def checked_csrf(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> None:
    await csrf.verify_csrf(request, settings)


StaffUser = Annotated[User, Depends(staff_user)]
CsrfChecked = Depends(checked_csrf)
