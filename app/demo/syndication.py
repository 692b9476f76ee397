"""A paused webhook target of a municipality, to show the syndication pages; nothing is
sent."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import SyndicationTarget
from app.demo.context import DemoContext
from app.domain.syndication import TargetKind, TargetStatus, new_webhook_secret
from app.services.secrets import encrypt


def load(ctx: DemoContext) -> None:
    demo = ctx.data.syndication_target
    if demo is None:
        return
    exists_ = ctx.db.scalar(
        select(SyndicationTarget.id).where(SyndicationTarget.municipality_code == demo.municipality)
    )
    if exists_ is not None:
        return
    ctx.db.add(
        SyndicationTarget(
            municipality_code=demo.municipality,
            name=demo.name,
            kind=TargetKind.WEBHOOK.value,
            url=demo.url,
            status=TargetStatus.PAUSED.value,
            language="fi",
            secret_encrypted=encrypt(ctx.settings, new_webhook_secret()),
        )
    )
    ctx.db.flush()
    ctx.report.count("syndication targets")
