"""Who is logged in to the staff UI, and in which language they read it."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from app.db.models import User
from app.i18n import UiLanguage, is_ui_language, negotiate_language
from app.services.auth import resolve_session

# The staff UI's home; "/" belongs to the public portal.
STAFF_HOME = "/staff"
SESSION_COOKIE = "ik_session"
LANG_COOKIE = "ik_lang"


class LoginRequired(Exception):
    """Raised by staff pages for anonymous visitors; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_user(request: Request, db: Session) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    resolved = resolve_session(db, token)
    return resolved[1] if resolved else None


def require_user(request: Request, db: Session) -> User:
    user = current_user(request, db)
    if user is None:
        raise LoginRequired(request.url.path)
    return user


def request_language(request: Request, user: User | None = None) -> UiLanguage:
    chosen = request.cookies.get(LANG_COOKIE)
    if is_ui_language(chosen):
        return chosen
    if user is not None and is_ui_language(user.language):
        return user.language
    return negotiate_language(request.headers.get("accept-language"))


def safe_next(path: str | None) -> str:
    """Only same-site relative paths, so /login?next= cannot redirect elsewhere."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return STAFF_HOME
    return path
