"""The shape of the visibility clauses, which decides how PostgreSQL costs them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from app.db.models import Lead
from app.domain.access import Actor, Role
from app.services.notifications import visible_to
from app.services.scope import leads_with_need_to_know

CONTACT = Actor(uuid.uuid4(), Role.MUNICIPAL_CONTACT, "contact", municipality_code="205")


def _sql(clause: object) -> str:
    return " ".join(str(clause.compile(dialect=postgresql.dialect())).split())  # type: ignore[attr-defined]


def test_shared_leads_are_one_uncorrelated_lookup() -> None:
    """A correlated EXISTS under the OR of need-to-know is costed as one probe per lead:
    on 100,000 leads PostgreSQL then JIT-compiled a municipal contact's lead list, which
    took most of its 0.7 s. An IN over the shares is costed as the one hash it is."""
    sql = _sql(select(Lead.id).where(leads_with_need_to_know(CONTACT)))
    assert "EXISTS" not in sql
    assert "leads.id IN (SELECT lead_shares.lead_id FROM lead_shares WHERE" in sql


def test_the_bell_checks_each_notification_by_its_key() -> None:
    """The bell (every staff page) looks up each of the reader's few notifications'
    records, not every record the reader may see."""
    sql = _sql(visible_to(CONTACT))
    assert sql.count("EXISTS (SELECT") == 3
    assert "activities.id = notifications.activity_id" in sql
    assert "leads.id = notifications.lead_id" in sql
    assert "sites.id = notifications.site_id" in sql
