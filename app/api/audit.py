"""The audit trail of one record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.api.deps import ApiActor, DbSession
from app.api.types import TextPath
from app.db.models import AuditEntry
from app.services.audit import audit_trail

router = APIRouter(tags=["audit"])


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]


@router.get("/audit/{entity_type}/{entity_id}", response_model=list[AuditEntryOut])
def record_audit_trail(
    entity_type: TextPath, entity_id: TextPath, db: DbSession, actor: ApiActor
) -> list[AuditEntry]:
    """Every create, update and delete of one record, oldest first."""
    return audit_trail(db, actor, entity_type, entity_id)
