"""The public portal's own state: rate-limit counters for its forms.

Counters live in the database, not in process memory, so every web instance counts
the same requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class PortalRateCounter(Base):
    """How many requests one client (a keyed hash of its IP, never the IP itself) made
    to one form in one fixed time window."""

    __tablename__ = "portal_rate_counters"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(default=0)
