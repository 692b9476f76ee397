"""A CSV import uploaded on the staff pages, kept server-side until it is applied."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db.base import Base, UUIDPrimaryKey, utcnow


class ImportUpload(UUIDPrimaryKey, Base):
    """The file of a dry run, stored in the database (every instance shares it), so the
    same file is applied by id without being uploaded again. Its bytes go when it is
    applied; a file never applied is deleted after `import_upload_retention_days`."""

    __tablename__ = "import_uploads"

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # organizations, contacts, leads
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))  # checked, invalid, applied
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    applied_at: Mapped[datetime | None]
    # How many records applying it created.
    created_count: Mapped[int | None]
