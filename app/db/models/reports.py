"""Forum report snapshots: what was reported when a reporting period was closed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Audited, Base, UUIDPrimaryKey, utcnow


class ReportSnapshot(Audited, UUIDPrimaryKey, Base):
    """The rendered report files of a closed period, stored byte for byte.

    Never updated: next year's forum compares against what was reported, not against
    data that has changed since."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("target_id", "as_of"),)
    # The files are kept whole here; the audit log records the digests instead.
    __audit_exclude__ = frozenset({"pdf", "xlsx", "figures_json"})

    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("investment_targets.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    as_of: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    figures_json: Mapped[bytes] = mapped_column(LargeBinary)
    figures_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)
    xlsx_sha256: Mapped[str] = mapped_column(String(64))


class SnapshotIsImmutable(Exception):
    """Raised when code tries to change or delete a stored snapshot."""


@event.listens_for(ReportSnapshot, "before_update")
def _refuse_update(*_args: object) -> None:
    raise SnapshotIsImmutable("report snapshots are never changed")


@event.listens_for(ReportSnapshot, "before_delete")
def _refuse_delete(*_args: object) -> None:
    raise SnapshotIsImmutable("report snapshots are never deleted")
