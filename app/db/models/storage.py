"""Uploaded files kept in the database, for STORAGE_BACKEND=database (app/storage.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import Base, utcnow


class StoredFile(Base):
    """One stored file under its storage key. Not audited: the records that refer to a
    key (attachments, agreements) are."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
