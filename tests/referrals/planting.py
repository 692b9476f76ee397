"""Referral records planted into the access matrices' world (tests/access/world.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.db.models import Lead, Organization, PartnerToken, Referral, User
from app.domain.organizations import normalise_org_name
from app.services.auth import actor_for
from app.services.referrals import check_referral_upload

if TYPE_CHECKING:
    from tests.access.world import World


def plant_referrals(db: Session, world: World, lead: Lead, coordinator: User) -> None:
    """Invest in Finland as a partner with a token, a referral that brought `lead`, and
    a referral export the coordinator checked on the staff page (the team's only)."""
    iif = Organization(
        name="Invest in Finland",
        name_key=normalise_org_name("Invest in Finland"),
        type="partner_agency",
        country="FI",
    )
    db.add(iif)
    db.flush()
    token = PartnerToken(
        organization_id=iif.id, name="IiF CRM", token_hash="0" * 64, prefix="ikr_test"
    )
    referral = Referral(
        partner_organization_id=iif.id,
        referral_id="IIF-WORLD-1",
        lead_id=lead.id,
        received_via="api",
    )
    db.add_all([token, referral])
    db.flush()
    world.add_id("referral_id", referral.referral_id)
    world.add_id("partner_token_id", token.id)
    world.name("org.iif", iif.id)
    world.name("partner_token.iif", token.id)
    upload = check_referral_upload(
        db,
        actor_for(coordinator),
        iif.id,
        f"{world.mark('referral file name', 'admin', 'coordinator')}.csv",
        b"viite;yritys;maa\nIIF-WORLD-2;Matrix Referral AB;SE\n",
    )
    world.add_id("partner_id", iif.id)
    world.add_id("import_id", upload.id)
    world.name("import.referrals", upload.id)
