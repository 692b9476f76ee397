"""Syndication: site changes pushed to the municipalities' own pages, never lost.

- The outbox: `record_site_event` runs inside the transaction of every public site
  change (called from `sites.record_public_change`) and writes the event and one
  delivery per target of the site's municipality, so a rolled-back change sends
  nothing and a committed one cannot be forgotten. On PostgreSQL it also sends a
  NOTIFY, delivered at commit, that wakes the workers.
- Workers claim due deliveries with `FOR UPDATE SKIP LOCKED` and a lease
  (`claim_due`), make the HTTP request with no transaction open (`perform`), then
  record the attempt (`complete`). A worker that dies leaves the lease to expire and
  the delivery is claimed again; deliveries of one site to one target go out in event
  order because a later one is not claimable while an earlier one is pending.
- Targets (webhook or WordPress), their secrets (encrypted under the keyring of
  `services/secrets.py`), health, the delivery log and redelivery are use cases here.
  A target whose secret no key opens is switched off with that reason and skipped;
  the deliveries of every other target go on.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from queue import SimpleQueue
from typing import Any, Final, cast

import httpx
import nh3
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Engine,
    Integer,
    Row,
    Select,
    Table,
    Update,
    Uuid,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased
from standardwebhooks.webhooks import Webhook

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Industry,
    Municipality,
    Site,
    SiteAttachment,
    SyndicationAttempt,
    SyndicationDelivery,
    SyndicationEvent,
    SyndicationTarget,
    SyndicationWordpressPost,
    User,
)
from app.db.session import make_session_factory
from app.domain.access import Actor, Role, require_municipality_edit, require_role
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.region import RegionDefinition
from app.domain.site_fields import FACT_NAMES
from app.domain.sites import SiteStatus
from app.domain.syndication import (
    EVENT_OF_CHANGE,
    DeliveryStatus,
    EventType,
    Health,
    TargetInput,
    TargetKind,
    TargetStatus,
    excerpt,
    new_webhook_secret,
    parse_retry_after,
    retry_delay,
    should_disable,
    target_health,
    validate_target,
)
from app.i18n import LABELS, LANGUAGES, N_, format_day, is_ui_language, register_labels, translate
from app.process import keep_to_one_cpu, settle_heap
from app.request_id import HEADER as REQUEST_ID_HEADER
from app.request_id import bound_request_id, current_request_id
from app.services import operations
from app.services import region as region_service
from app.services.mail import queue_email
from app.services.outbound import (
    USER_AGENT,
    BlockedAddress,
    Exchange,
    check_resolved,
    shared_client,
)
from app.services.scope import sites_public, syndication_targets_visible_to
from app.services.secrets import UNREADABLE_HELP, decrypt, encrypt, readable
from app.services.sites import (
    PublicSite,
    PublicSiteFilters,
    attachments_of,
    expiry_moment,
    helsinki_date,
    industry_codes_of,
    public_cutoff,
    public_sites,
)
from app.settings import Settings
from app.storage import storage_for

log = logging.getLogger("invest_kainuu.syndication")

NOTIFY_CHANNEL: Final = "syndication"

register_labels("syndication_kind", {"webhook": N_("Webhook"), "wordpress": N_("WordPress")})
register_labels(
    "syndication_status",
    {"active": N_("Active"), "paused": N_("Paused"), "disabled": N_("Switched off")},
)
register_labels(
    "syndication_health",
    {
        "healthy": N_("Healthy"),
        "failing": N_("Failing"),
        "paused": N_("Paused"),
        "disabled": N_("Switched off"),
        "untried": N_("Nothing sent yet"),
    },
)
register_labels(
    "delivery_status",
    {
        "pending": N_("Pending"),
        "succeeded": N_("Delivered"),
        "failed": N_("Failed"),
        "superseded": N_("Replaced by a newer change"),
    },
)
register_labels(
    "syndication_event",
    {
        "site.published": N_("Site published"),
        "site.updated": N_("Site changed"),
        "site.withdrawn": N_("Site withdrawn"),
        "ping": N_("Test event"),
    },
)

# The public fields of a site that travel in events, feeds and posts, beside the names,
# descriptions, industries, files and geometry that get their own structure.
FACT_FIELDS: Final = FACT_NAMES


# --- secrets ----------------------------------------------------------------------------


# Encryption under the keyring (current and previous SECRET_KEY): `services/secrets.py`.


def signing_secrets(settings: Settings, target: SyndicationTarget, now: datetime) -> list[str]:
    """The current secret, and during the overlap after a rotation the previous one.

    Raises `InvalidToken` when the current secret cannot be decrypted; a previous secret
    that cannot be is left out (the current one still signs)."""
    found = [decrypt(settings, target.secret_encrypted)] if target.secret_encrypted else []
    if (
        target.previous_secret_encrypted
        and target.previous_secret_expires_at
        and target.previous_secret_expires_at > now
        and readable(settings, target.previous_secret_encrypted)
    ):
        found.append(decrypt(settings, target.previous_secret_encrypted))
    return found


def secrets_readable(settings: Settings, target: SyndicationTarget) -> bool:
    """Whether the keyring opens the secrets a delivery to `target` needs."""
    return readable(settings, target.secret_encrypted) and readable(
        settings, target.wp_password_encrypted
    )


# --- the site document: one shape for events, feeds, embeds and posts ----------------------


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def site_document(
    site: Site,
    industry_codes: Sequence[str],
    attachments: Sequence[SiteAttachment],
    industries: Mapping[str, Industry],
    municipality: Municipality | None,
) -> dict[str, Any]:
    """A site's public state with links as paths (the base URL is added when sent)."""
    geometry: dict[str, Any] | None = None
    if site.polygon:
        geometry = site.polygon
    elif site.latitude is not None and site.longitude is not None:
        geometry = {"type": "Point", "coordinates": [site.longitude, site.latitude]}
    files = [
        {
            "id": str(a.id),
            "kind": a.kind,
            "title": {"fi": a.title_fi, "en": a.title_en},
            "filename": a.filename,
            "content_type": a.content_type,
            "sha256": a.sha256,
            "width": a.width,
            "height": a.height,
            "path": f"/site-files/{a.id}",
            "thumbnail_path": f"/site-files/{a.id}/thumbnail" if a.thumbnail_key else None,
        }
        for a in attachments
    ]
    return {
        "id": str(site.id),
        "slug": site.slug,
        "version": site.version,
        "municipality": {
            "code": site.municipality_code,
            "name": {
                "fi": municipality.name_fi if municipality else site.municipality_code,
                "en": municipality.name_en if municipality else site.municipality_code,
            },
        },
        "name": {"fi": site.name_fi, "en": site.name_en},
        "description": {"fi": site.description_fi, "en": site.description_en},
        "facts": {name: _plain(getattr(site, name)) for name in FACT_FIELDS},
        "industries": [
            {
                "code": code,
                "name": {
                    "fi": industries[code].name_fi if code in industries else code,
                    "en": industries[code].name_en if code in industries else code,
                },
            }
            for code in industry_codes
        ],
        "photos": [f for f in files if f["kind"] == "photo"],
        "documents": [f for f in files if f["kind"] != "photo"],
        "geometry": geometry,
        "published_at": _plain(site.published_at),
        "changed_at": _plain(site.public_changed_at),
    }


def _reference(db: Session) -> tuple[dict[str, Industry], dict[str, Municipality]]:
    industries = {i.code: i for i in db.scalars(select(Industry))}
    municipalities = {m.code: m for m in db.scalars(select(Municipality))}
    return industries, municipalities


def documents_of(db: Session, rows: Sequence[PublicSite]) -> list[dict[str, Any]]:
    industries, municipalities = _reference(db)
    return [
        site_document(
            row.site,
            row.industry_codes,
            row.attachments,
            industries,
            municipalities.get(row.site.municipality_code),
        )
        for row in rows
    ]


def portal_url(base_url: str, lang: str, slug: str) -> str:
    return f"{base_url}/{lang}/sites/{slug}"


def public_document(document: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The document as receivers see it: absolute links to the portal and the files,
    and the geometry as a GeoJSON Feature."""
    out = {k: v for k, v in document.items() if k not in ("photos", "documents", "geometry")}
    out["url"] = {lang: portal_url(base_url, lang, document["slug"]) for lang in LANGUAGES}

    def _file(item: Mapping[str, Any]) -> dict[str, Any]:
        result = {k: v for k, v in item.items() if k not in ("path", "thumbnail_path")}
        result["url"] = base_url + item["path"]
        if item.get("thumbnail_path"):
            result["thumbnail_url"] = base_url + item["thumbnail_path"]
        return result

    out["photos"] = [_file(p) for p in document["photos"]]
    out["documents"] = [_file(d) for d in document["documents"]]
    out["geojson"] = {
        "type": "Feature",
        "id": document["id"],
        "geometry": document["geometry"],
        "properties": {"name": document["name"]["fi"], "url": out["url"]["fi"]},
    }
    return out


# --- the outbox ---------------------------------------------------------------------------


def _last_event(db: Session, site_id: uuid.UUID) -> SyndicationEvent | None:
    return db.scalar(
        select(SyndicationEvent)
        .where(SyndicationEvent.site_id == site_id)
        .order_by(SyndicationEvent.id.desc())
        .limit(1)
    )


def _same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    ignore = ("version", "changed_at")
    return {k: v for k, v in a.items() if k not in ignore} == {
        k: v for k, v in b.items() if k not in ignore
    }


def record_site_event(db: Session, site: Site, kind: str) -> SyndicationEvent | None:
    """Write the outbox event of a public change of `site` and its deliveries, in the
    caller's transaction. Changes nobody outside can see produce nothing."""
    event_type = EVENT_OF_CHANGE[kind]
    last = _last_event(db, site.id)
    last_public = last is not None and last.type != EventType.SITE_WITHDRAWN
    if last is not None and last_public and last.municipality_code != site.municipality_code:
        # Moved to another municipality: gone from the old one's targets and feeds,
        # then published to the new one's.
        _write_event(
            db,
            EventType.SITE_WITHDRAWN,
            site,
            last.municipality_code,
            {
                "id": str(site.id),
                "slug": site.slug,
                "version": site.version,
                "municipality": {"code": last.municipality_code},
                "reason": "moved",
            },
        )
        last, last_public = None, False
        if event_type is EventType.SITE_WITHDRAWN:
            return None
        event_type = EventType.SITE_PUBLISHED
    if event_type is EventType.SITE_WITHDRAWN:
        if last is not None and not last_public:
            return None  # already gone (expired, then archived)
        data: dict[str, Any] = {
            "id": str(site.id),
            "slug": site.slug,
            "version": site.version,
            "municipality": {"code": site.municipality_code},
            "reason": kind,
        }
    else:
        if site.expired_at is not None:
            return None  # published but off the portal until verified again
        if event_type is EventType.SITE_UPDATED and not last_public and last is not None:
            event_type = EventType.SITE_PUBLISHED  # back on the portal after expiring
        industries, municipalities = _reference(db)
        data = site_document(
            site,
            industry_codes_of(db, [site.id])[site.id],
            attachments_of(db, [site.id])[site.id],
            industries,
            municipalities.get(site.municipality_code),
        )
        if (
            event_type is EventType.SITE_UPDATED
            and last is not None
            and _same_state(last.data, data)
        ):
            return None  # nothing a receiver shows has changed
    return _write_event(db, event_type, site, site.municipality_code, data)


def _write_event(
    db: Session,
    event_type: EventType,
    site: Site,
    municipality_code: str,
    data: dict[str, Any],
) -> SyndicationEvent:
    event = SyndicationEvent(
        type=event_type.value,
        site_id=site.id,
        municipality_code=municipality_code,
        data=data,
    )
    db.add(event)
    db.flush()
    targets = db.scalars(
        select(SyndicationTarget.id).where(SyndicationTarget.municipality_code == municipality_code)
    ).all()
    # Every target gets the delivery, paused and switched-off ones too: they hold it
    # until resumed, so nothing is lost while a municipality's page is down.
    deliveries = {
        target_id: SyndicationDelivery(
            event_id=event.id,
            target_id=target_id,
            site_id=site.id,
            event_type=event.type,
            next_attempt_at=event.occurred_at,
            attempt_count=0,
        )
        for target_id in targets
    }
    if deliveries:
        _take_over_pending(db, event, deliveries)
        db.add_all(deliveries.values())
    _notify(db)
    return event


def _take_over_pending(
    db: Session, event: SyndicationEvent, newest: Mapping[uuid.UUID, SyndicationDelivery]
) -> None:
    """Supersede the unsent deliveries of the event's site to the same targets that are
    older than the event: only the newest state goes out, so a target's backlog never
    exceeds one delivery per site however often a site changes while the target is
    down. The newest keeps their retry schedule (a failing target is not tried sooner
    because its site changed again). One in flight (leased) is left alone: it finishes
    first, and the newest follows it."""
    superseded = db.execute(
        update(SyndicationDelivery)
        .where(
            SyndicationDelivery.target_id.in_(newest),
            SyndicationDelivery.site_id == event.site_id,
            SyndicationDelivery.status == DeliveryStatus.PENDING.value,
            SyndicationDelivery.lease_token.is_(None),
            SyndicationDelivery.event_id < event.id,
        )
        .values(status=DeliveryStatus.SUPERSEDED.value)
        .returning(
            SyndicationDelivery.target_id,
            SyndicationDelivery.next_attempt_at,
            SyndicationDelivery.attempt_count,
        )
    )
    for target_id, next_attempt_at, attempt_count in superseded:
        delivery = newest[target_id]
        delivery.next_attempt_at = max(delivery.next_attempt_at, next_attempt_at)
        delivery.attempt_count = max(delivery.attempt_count, attempt_count)


def _notify(db: Session) -> None:
    """Wake the workers when the transaction commits (NOTIFY is transactional)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


# --- targets ------------------------------------------------------------------------------


def _require_syndication_staff(actor: Actor) -> None:
    require_role(actor, Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)


def list_targets(
    db: Session, actor: Actor, *, municipality_code: str | None = None
) -> list[SyndicationTarget]:
    _require_syndication_staff(actor)
    query = select(SyndicationTarget).where(syndication_targets_visible_to(actor))
    if municipality_code:
        query = query.where(SyndicationTarget.municipality_code == municipality_code)
    order = (SyndicationTarget.municipality_code, SyndicationTarget.name, SyndicationTarget.id)
    return list(db.scalars(query.order_by(*order)))


def get_target(db: Session, actor: Actor, target_id: uuid.UUID) -> SyndicationTarget:
    _require_syndication_staff(actor)
    target = db.scalar(
        select(SyndicationTarget).where(
            SyndicationTarget.id == target_id, syndication_targets_visible_to(actor)
        )
    )
    if target is None:
        raise NotFound("No such target.")
    return target


def _editable_target(db: Session, actor: Actor, target_id: uuid.UUID) -> SyndicationTarget:
    target = get_target(db, actor, target_id)
    require_municipality_edit(actor, target.municipality_code)
    return target


def _municipality_codes(db: Session) -> frozenset[str]:
    return frozenset(db.scalars(select(Municipality.code)))


@dataclass(frozen=True)
class TargetFields:
    name: str
    kind: str
    url: str
    municipality_code: str
    language: str = "fi"
    wp_username: str | None = None
    wp_password: str | None = None
    wp_post_type: str | None = None


def _check_language(language: str) -> None:
    if not is_ui_language(language):
        raise ValidationFailed.single("language", "A UI language code.", "invalid_choice")


def create_target(
    db: Session, actor: Actor, settings: Settings, values: TargetFields
) -> tuple[SyndicationTarget, str | None]:
    """A new active target; returns it and, for a webhook, its secret (shown once,
    retrievable later by the same people)."""
    _require_syndication_staff(actor)
    require_municipality_edit(actor, values.municipality_code)
    _check_language(values.language)
    validate_target(
        TargetInput(
            name=values.name,
            kind=values.kind,
            url=values.url.strip(),
            municipality_code=values.municipality_code,
            wp_username=values.wp_username,
            wp_password=values.wp_password,
            wp_post_type=values.wp_post_type,
        ),
        municipalities=_municipality_codes(db),
        allow_private=settings.syndication_private_allowed,
        has_password=False,
    )
    bind_actor(db, actor)
    target = SyndicationTarget(
        municipality_code=values.municipality_code,
        name=values.name.strip(),
        kind=values.kind,
        url=values.url.strip(),
        status=TargetStatus.ACTIVE.value,
        language=values.language,
        created_by_id=actor.user_id,
    )
    secret: str | None = None
    if values.kind == TargetKind.WEBHOOK:
        secret = new_webhook_secret()
        target.secret_encrypted = encrypt(settings, secret)
    else:
        target.wp_username = (values.wp_username or "").strip()
        target.wp_password_encrypted = encrypt(settings, values.wp_password or "")
        target.wp_post_type = values.wp_post_type or "posts"
    db.add(target)
    db.flush()
    backfill(db, target, settings)
    db.commit()
    return target, secret


def update_target(
    db: Session,
    actor: Actor,
    settings: Settings,
    target_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> SyndicationTarget:
    """Change name, URL, language or WordPress settings; kind and municipality stay.
    An empty WordPress password keeps the stored one."""
    target = _editable_target(db, actor, target_id)
    name = changes.get("name", target.name)
    url = (changes.get("url") or target.url).strip()
    language = changes.get("language") or target.language
    _check_language(language)
    password = changes.get("wp_password") or None
    validate_target(
        TargetInput(
            name=name,
            kind=target.kind,
            url=url,
            municipality_code=target.municipality_code,
            wp_username=changes.get("wp_username", target.wp_username),
            wp_password=password,
            wp_post_type=changes.get("wp_post_type", target.wp_post_type),
        ),
        municipalities=_municipality_codes(db),
        allow_private=settings.syndication_private_allowed,
        has_password=target.wp_password_encrypted is not None,
    )
    bind_actor(db, actor)
    target.name, target.url, target.language = name.strip(), url, language
    if target.kind == TargetKind.WORDPRESS:
        target.wp_username = (changes.get("wp_username") or target.wp_username or "").strip()
        target.wp_post_type = changes.get("wp_post_type") or target.wp_post_type or "posts"
        if password:
            target.wp_password_encrypted = encrypt(settings, password)
    db.commit()
    return target


def rotate_secret(
    db: Session, actor: Actor, settings: Settings, target_id: uuid.UUID
) -> tuple[SyndicationTarget, str]:
    """A new webhook secret; the old one keeps signing (beside the new) for the overlap
    period so the receiver can switch without losing a message."""
    target = _editable_target(db, actor, target_id)
    if target.kind != TargetKind.WEBHOOK:
        raise Conflict("Only webhook targets have a signing secret.")
    bind_actor(db, actor)
    secret = new_webhook_secret()
    if readable(settings, target.secret_encrypted):
        target.previous_secret_encrypted = target.secret_encrypted
        target.previous_secret_expires_at = utcnow() + timedelta(
            hours=settings.syndication_secret_overlap_hours
        )
    else:  # a secret no key opens cannot sign beside the new one
        target.previous_secret_encrypted = None
        target.previous_secret_expires_at = None
    target.secret_encrypted = encrypt(settings, secret)
    db.commit()
    return target, secret


def reveal_secret(db: Session, actor: Actor, settings: Settings, target_id: uuid.UUID) -> str:
    target = _editable_target(db, actor, target_id)
    if not target.secret_encrypted:
        raise Conflict("Only webhook targets have a signing secret.")
    if not readable(settings, target.secret_encrypted):
        raise Conflict(UNREADABLE_HELP)
    return decrypt(settings, target.secret_encrypted)


def set_target_status(
    db: Session,
    actor: Actor,
    target_id: uuid.UUID,
    status: TargetStatus,
    settings: Settings | None = None,
) -> SyndicationTarget:
    """Pause, resume or (re-)enable. Resuming sends what was held, in order."""
    target = _editable_target(db, actor, target_id)
    bind_actor(db, actor)
    was = target.status
    target.status = status.value
    if status is TargetStatus.ACTIVE:
        target.disabled_reason = None
        target.failing_since = None
        if was != TargetStatus.ACTIVE.value:
            resume_held(db, target)
            backfill(db, target, settings)
        _notify(db)
    db.commit()
    return target


def resume_held(db: Session, target: SyndicationTarget, now: datetime | None = None) -> int:
    """Held deliveries of a resumed target are due now, not at their old retry time."""
    now = now or utcnow()
    result = db.execute(
        update(SyndicationDelivery)
        .where(
            SyndicationDelivery.target_id == target.id,
            SyndicationDelivery.status == DeliveryStatus.PENDING.value,
            or_(
                SyndicationDelivery.lease_expires_at.is_(None),
                SyndicationDelivery.lease_expires_at <= now,
            ),
            SyndicationDelivery.next_attempt_at > now,
        )
        .values(next_attempt_at=now, lease_token=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def backfill(db: Session, target: SyndicationTarget, settings: Settings | None = None) -> int:
    """Give a new or re-enabled target everything already public in its municipality:
    one delivery per site whose current state it does not have (nor has pending).
    Returns how many were queued."""
    query = select(Site).where(
        Site.municipality_code == target.municipality_code,
        Site.status == SiteStatus.PUBLISHED.value,
        Site.expired_at.is_(None),
    )
    if settings is not None:
        query = query.where(sites_public(public_cutoff(settings)))
    count = 0
    for site in db.scalars(query.order_by(Site.id)):
        event = _last_event(db, site.id)
        if (
            event is None
            or event.type == EventType.SITE_WITHDRAWN
            or (event.municipality_code != target.municipality_code)
        ):
            event = _event_of_current_state(db, site)
            if event is None:
                continue
        covered = db.scalar(
            select(SyndicationDelivery.id)
            .where(
                SyndicationDelivery.target_id == target.id,
                SyndicationDelivery.site_id == site.id,
                or_(
                    SyndicationDelivery.status == DeliveryStatus.PENDING.value,
                    and_(
                        SyndicationDelivery.event_id == event.id,
                        SyndicationDelivery.status == DeliveryStatus.SUCCEEDED.value,
                    ),
                ),
            )
            .limit(1)
        )
        if covered is not None:
            continue
        db.add(
            SyndicationDelivery(
                event_id=event.id,
                target_id=target.id,
                site_id=site.id,
                event_type=event.type,
                next_attempt_at=utcnow(),
            )
        )
        count += 1
    if count:
        _notify(db)
    return count


def _event_of_current_state(db: Session, site: Site) -> SyndicationEvent | None:
    """A `site.published` event of the site as it is now, with no deliveries of its own
    (for a site published before any event was recorded)."""
    if site.expired_at is not None:
        return None
    industries, municipalities = _reference(db)
    event = SyndicationEvent(
        type=EventType.SITE_PUBLISHED.value,
        site_id=site.id,
        municipality_code=site.municipality_code,
        data=site_document(
            site,
            industry_codes_of(db, [site.id])[site.id],
            attachments_of(db, [site.id])[site.id],
            industries,
            municipalities.get(site.municipality_code),
        ),
    )
    db.add(event)
    db.flush()
    return event


def send_test_event(db: Session, actor: Actor, target_id: uuid.UUID) -> SyndicationDelivery:
    """Queue a `ping` to this target only; the worker sends it even while paused."""
    target = _editable_target(db, actor, target_id)
    event = SyndicationEvent(
        type=EventType.PING.value,
        site_id=None,
        municipality_code=target.municipality_code,
        data={
            "target_id": str(target.id),
            "message": "Test event from " + region_service.current_region(db).portal_name("en"),
        },
    )
    db.add(event)
    db.flush()
    delivery = SyndicationDelivery(
        event_id=event.id,
        target_id=target.id,
        site_id=None,
        event_type=event.type,
        next_attempt_at=event.occurred_at,
    )
    db.add(delivery)
    _notify(db)
    db.commit()
    return delivery


@dataclass(frozen=True)
class TargetHealth:
    health: Health
    pending: int
    failed: int
    attempts_24h: int
    successes_24h: int
    last_attempt: SyndicationAttempt | None


def target_health_of(
    db: Session, targets: Sequence[SyndicationTarget]
) -> dict[uuid.UUID, TargetHealth]:
    ids = [t.id for t in targets]
    counts: Counter[tuple[uuid.UUID, str]] = Counter()
    attempts: Counter[tuple[uuid.UUID, bool]] = Counter()
    last: dict[uuid.UUID, SyndicationAttempt] = {}
    if ids:
        for target_id, status, n in db.execute(
            select(SyndicationDelivery.target_id, SyndicationDelivery.status, func.count())
            .where(SyndicationDelivery.target_id.in_(ids))
            .group_by(SyndicationDelivery.target_id, SyndicationDelivery.status)
        ):
            counts[target_id, status] = n
        since = utcnow() - timedelta(hours=24)
        rows = db.execute(
            select(SyndicationDelivery.target_id, SyndicationAttempt)
            .join(SyndicationDelivery, SyndicationDelivery.id == SyndicationAttempt.delivery_id)
            .where(SyndicationDelivery.target_id.in_(ids), SyndicationAttempt.started_at >= since)
            .order_by(SyndicationAttempt.id)
        )
        for target_id, attempt in rows:
            attempts[target_id, attempt.success] += 1
            last[target_id] = attempt
    return {
        t.id: TargetHealth(
            health=target_health(t.status, t.failing_since, t.last_success_at),
            pending=counts[t.id, DeliveryStatus.PENDING.value],
            failed=counts[t.id, DeliveryStatus.FAILED.value],
            attempts_24h=attempts[t.id, True] + attempts[t.id, False],
            successes_24h=attempts[t.id, True],
            last_attempt=last.get(t.id),
        )
        for t in targets
    }


# --- the delivery log -------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFilters:
    target_id: uuid.UUID | None = None
    municipality_code: str | None = None
    status: str | None = None
    event_type: str | None = None
    site_id: uuid.UUID | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class DeliveryRow:
    delivery: SyndicationDelivery
    target: SyndicationTarget
    event: SyndicationEvent


def list_deliveries(
    db: Session, actor: Actor, filters: DeliveryFilters, *, limit: int = 50, offset: int = 0
) -> tuple[list[DeliveryRow], int]:
    """Newest first; only deliveries to targets the actor may see."""
    _require_syndication_staff(actor)
    query = (
        select(SyndicationDelivery, SyndicationTarget, SyndicationEvent)
        .join(SyndicationTarget, SyndicationTarget.id == SyndicationDelivery.target_id)
        .join(SyndicationEvent, SyndicationEvent.id == SyndicationDelivery.event_id)
        .where(syndication_targets_visible_to(actor))
    )
    if filters.target_id:
        query = query.where(SyndicationDelivery.target_id == filters.target_id)
    if filters.municipality_code:
        query = query.where(SyndicationTarget.municipality_code == filters.municipality_code)
    if filters.status:
        query = query.where(SyndicationDelivery.status == filters.status)
    if filters.event_type:
        query = query.where(SyndicationDelivery.event_type == filters.event_type)
    if filters.site_id:
        query = query.where(SyndicationDelivery.site_id == filters.site_id)
    if filters.since:
        query = query.where(SyndicationDelivery.created_at >= filters.since)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(SyndicationDelivery.event_id.desc(), SyndicationDelivery.id)
        .limit(limit)
        .offset(offset)
    )
    return [DeliveryRow(d, t, e) for d, t, e in rows], total


def get_delivery(
    db: Session, actor: Actor, delivery_id: uuid.UUID
) -> tuple[DeliveryRow, list[SyndicationAttempt]]:
    _require_syndication_staff(actor)
    row = db.execute(
        select(SyndicationDelivery, SyndicationTarget, SyndicationEvent)
        .join(SyndicationTarget, SyndicationTarget.id == SyndicationDelivery.target_id)
        .join(SyndicationEvent, SyndicationEvent.id == SyndicationDelivery.event_id)
        .where(SyndicationDelivery.id == delivery_id, syndication_targets_visible_to(actor))
    ).first()
    if row is None:
        raise NotFound("No such delivery.")
    attempts = db.scalars(
        select(SyndicationAttempt)
        .where(SyndicationAttempt.delivery_id == delivery_id)
        .order_by(SyndicationAttempt.id)
    )
    return DeliveryRow(*row), list(attempts)


def _restart(delivery: SyndicationDelivery, now: datetime) -> None:
    # Sent again on behalf of the request asking for it (a staff member's redelivery).
    delivery.request_id = current_request_id() or delivery.request_id
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempt_count = 0
    delivery.next_attempt_at = now
    delivery.lease_token = None
    delivery.lease_expires_at = None


def _newest_of_site(db: Session, delivery: SyndicationDelivery) -> SyndicationDelivery | None:
    """The delivery of the newest event of the same site to the same target, if it is
    newer than `delivery`."""
    if delivery.site_id is None:
        return None
    return db.scalar(
        select(SyndicationDelivery)
        .where(
            SyndicationDelivery.target_id == delivery.target_id,
            SyndicationDelivery.site_id == delivery.site_id,
            SyndicationDelivery.event_id > delivery.event_id,
        )
        .order_by(SyndicationDelivery.event_id.desc())
        .limit(1)
    )


def redeliver(db: Session, actor: Actor, delivery_id: uuid.UUID) -> SyndicationDelivery:
    """Make sure the target has the site as it is now. A finished delivery of the newest
    state goes out again with the same webhook-id (receivers that already have it can
    tell); for an older one, the newest state is sent instead, so a redelivery never
    puts older content back on the target. Returns the delivery that goes out."""
    row, _ = get_delivery(db, actor, delivery_id)
    require_municipality_edit(actor, row.target.municipality_code)
    if row.delivery.status == DeliveryStatus.PENDING:
        raise Conflict("The delivery is still pending.")
    delivery = _newest_of_site(db, row.delivery) or row.delivery
    if delivery.status != DeliveryStatus.PENDING:
        _restart(delivery, utcnow())
        _notify(db)
    db.commit()
    return delivery


def redeliver_failed(db: Session, actor: Actor, target_id: uuid.UUID, since: datetime) -> int:
    """Send again the failed deliveries to the target created since `since`: per site only
    the newest, and none whose site has a newer delivery (it carries a newer state)."""
    target = _editable_target(db, actor, target_id)
    rows = db.scalars(
        select(SyndicationDelivery)
        .where(
            SyndicationDelivery.target_id == target.id,
            SyndicationDelivery.status == DeliveryStatus.FAILED.value,
            SyndicationDelivery.created_at >= since,
        )
        .order_by(SyndicationDelivery.event_id.desc())
    ).all()
    now = utcnow()
    seen_sites: set[uuid.UUID] = set()
    restarted = 0
    for delivery in rows:
        if delivery.site_id is not None:
            if delivery.site_id in seen_sites or _newest_of_site(db, delivery) is not None:
                continue
            seen_sites.add(delivery.site_id)
        _restart(delivery, now)
        restarted += 1
    _notify(db)
    db.commit()
    return restarted


# --- the worker: claim, perform, complete -------------------------------------------------


@dataclass(frozen=True)
class WordpressPostRef:
    post_id: int
    media_id: int | None
    media_sha256: str | None


@dataclass(frozen=True)
class Claim:
    """Everything a worker needs to make one attempt with no database at hand."""

    delivery_id: uuid.UUID
    lease_token: uuid.UUID
    lease_expires_at: datetime
    target_id: uuid.UUID
    target_kind: str
    url: str
    language: str
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]
    site_id: uuid.UUID | None
    # The region's portal name for the target's language, named in post texts.
    portal_name: str
    secrets: tuple[str, ...] = ()
    wp_username: str | None = None
    wp_password: str | None = None
    wp_post_type: str | None = None
    wp_post: WordpressPostRef | None = None
    # The request (or job run) behind the delivery, sent as `X-Request-ID`.
    request_id: str | None = None
    # The target has never answered: whether it is healthy is not known yet.
    on_probation: bool = False

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.delivery_id.hex}"


@dataclass
class Outcome:
    started_at: datetime
    duration_ms: int = 0
    status_code: int | None = None
    success: bool = False
    error: str | None = None
    response_excerpt: str | None = None
    retry_after: timedelta | None = None
    wp_post: WordpressPostRef | None = None


def lease_duration(settings: Settings) -> timedelta:
    # Longer than the slowest attempt: a WordPress push makes up to four requests.
    return timedelta(seconds=max(60.0, settings.syndication_timeout_seconds * 6))


def claim_due(
    db: Session,
    settings: Settings,
    *,
    limit: int = 50,
    now: datetime | None = None,
    per_target: int | None = None,
    in_flight: Mapping[uuid.UUID, int] | None = None,
    finishing: Collection[uuid.UUID] = (),
    lane: str | None = None,
    chains: Mapping[uuid.UUID, int] | None = None,
    chain_length: int = 1,
) -> list[Claim]:
    """Lease up to `limit` due deliveries (at most `per_target` in flight per target)
    and commit the lease before any request is made. `lane` "healthy" or "failing"
    takes only the deliveries of targets whose last attempt succeeded, or failed.
    `in_flight` are the calling worker's leased deliveries per target that it has not
    ended yet; `finishing` the deliveries whose request it has ended but whose
    completion is not committed yet: they no longer load their target, so its next
    request need not wait for the commit.

    Chains: a healthy target that no other worker holds a lease of gets up to
    `chain_length` deliveries for each of its free request slots (`per_target` less
    the caller's `chains` running to it), which the caller sends one after another per
    slot. Every other worker counts those leases and leaves the target alone meanwhile,
    so the requests in flight to a target stay within `per_target` across workers."""
    now = now or utcnow()
    in_flight = in_flight or {}
    chains = chains or {}
    delivery = SyndicationDelivery
    cap = per_target or limit
    if db.get_bind().dialect.name == "postgresql":
        # Claims are short; taking them one worker at a time makes the per-target count
        # below exact across every worker and instance (released at commit).
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CLAIM_LOCK_KEY})
    # Per target, in one statement: whether it is failing (its last attempt failed: then
    # it gets one request at a time, so eight hanging targets hold eight requests at
    # most), whether it has ever answered (until then also one at a time: a new target
    # that hangs must not take the healthy ones' threads before its first failure is
    # known), and its requests in flight, counted in the database (the unexpired leases
    # of every worker), so the cap holds however many workers run.
    leases = (
        select(delivery.target_id, func.count().label("n"))
        .where(
            delivery.lease_token.is_not(None),
            delivery.lease_expires_at > now,
            delivery.id.not_in(finishing),
        )
        .group_by(delivery.target_id)
        .subquery()
    )
    targets: dict[uuid.UUID, SyndicationTarget] = {}
    leased: Counter[uuid.UUID] = Counter()
    # Targets whose leases are all the caller's: it may chain their deliveries.
    alone: set[uuid.UUID] = set()
    for target, n in db.execute(
        select(SyndicationTarget, leases.c.n).outerjoin(
            leases, leases.c.target_id == SyndicationTarget.id
        )
    ):
        targets[target.id] = target
        own = in_flight.get(target.id, 0)
        leased[target.id] = max(int(n or 0), own)
        if int(n or 0) <= own:
            alone.add(target.id)

    def is_failing(target_id: uuid.UUID) -> bool:
        return targets[target_id].failing_since is not None

    def on_probation(target_id: uuid.UUID) -> bool:
        return per_target is not None and targets[target_id].last_success_at is None

    def cap_of(target_id: uuid.UUID) -> int:
        return 1 if is_failing(target_id) or on_probation(target_id) else cap

    def free_slots(target_id: uuid.UUID) -> int:
        if (
            chain_length > 1
            and target_id in alone
            and not is_failing(target_id)
            and not on_probation(target_id)
        ):
            # A hanging request counts as more than any cap in `in_flight`.
            return min(
                (cap - chains.get(target_id, 0)) * chain_length,
                cap * chain_length - leased[target_id],
            )
        return cap_of(target_id) - leased[target_id]

    saturated = [t for t in leased if free_slots(t) <= 0]
    if lane == "healthy":
        saturated += [t for t in targets if is_failing(t)]
    elif lane == "failing":
        if not any(is_failing(t) for t in targets):
            db.commit()
            return []
        saturated += [t for t in targets if not is_failing(t)]
    slots = {t: free_slots(t) for t in targets if t not in saturated}
    candidates = _first_due_per_target(db, slots, targets, now, limit)
    if not candidates:
        db.commit()
        return []
    # One lease token for the batch: each row is leased on its own, and a later claim of
    # any of them gives it a new token.
    lease_token = uuid.uuid4()
    lease_until = now + lease_duration(settings)
    leased_rows = db.execute(
        _lease_statement(),
        {"candidates": candidates, "now": now, "token": lease_token, "until": lease_until},
        execution_options={"synchronize_session": False},
    ).all()
    chosen_targets = {row.target_id for row in leased_rows}
    unreadable = _switch_off_unreadable_targets(db, settings, [targets[t] for t in chosen_targets])
    if unreadable:
        _hold_for_unreadable_targets(
            db, [row.id for row in leased_rows if row.target_id in unreadable], unreadable, now
        )
        leased_rows = [row for row in leased_rows if row.target_id not in unreadable]
        if not leased_rows:
            db.commit()
            # Only undecryptable targets' deliveries: they are off now, look again.
            return claim_due(
                db,
                settings,
                limit=limit,
                now=now,
                per_target=per_target,
                in_flight=in_flight,
                finishing=finishing,
                lane=lane,
                chains=chains,
                chain_length=chain_length,
            )
    if not leased_rows:
        db.commit()
        return []
    rows = sorted(leased_rows, key=lambda row: (row.event_id, row.id))
    wordpress_sites = {
        row.site_id
        for row in rows
        if row.site_id is not None and targets[row.target_id].kind == TargetKind.WORDPRESS
    }
    posts = (
        {
            (p.target_id, p.site_id): p
            for p in db.scalars(
                select(SyndicationWordpressPost).where(
                    SyndicationWordpressPost.target_id.in_({row.target_id for row in rows}),
                    SyndicationWordpressPost.site_id.in_(wordpress_sites),
                )
            )
        }
        if wordpress_sites
        else {}
    )
    # An event goes to every target: its document is read (and decoded) once per batch,
    # not once per delivery.
    documents: dict[uuid.UUID, Any] = dict(
        db.execute(
            select(SyndicationEvent.id, SyndicationEvent.data).where(
                SyndicationEvent.id.in_({row.event_id for row in rows})
            )
        ).all()
    )
    region = region_service.current_region(db)
    senders = {
        target_id: _Sender.of(settings, region, targets[target_id], now)
        for target_id in {row.target_id for row in rows}
    }
    claims = [
        _claim(
            row, documents[row.event_id], lease_token, lease_until, senders[row.target_id], posts
        )
        for row in rows
    ]
    db.commit()
    return claims


def _due(now: Any) -> tuple[ColumnElement[bool], ...]:
    """A delivery is due when it is pending, its time has come and no lease holds it."""
    delivery = SyndicationDelivery
    return (
        delivery.status == DeliveryStatus.PENDING.value,
        delivery.next_attempt_at <= now,
        or_(delivery.lease_expires_at.is_(None), delivery.lease_expires_at <= now),
    )


def _firsts(
    target_id: Any, active: ColumnElement[bool], now: Any, slots: Any
) -> Select[uuid.UUID, datetime, int]:
    """A target's first due deliveries in order, at most `slots` of them. A site's
    deliveries to a target go out in event order: one with an earlier pending delivery
    of its site (in flight or waiting) waits."""
    delivery = SyndicationDelivery
    earlier = aliased(SyndicationDelivery)
    return (
        select(delivery.id, delivery.next_attempt_at, delivery.event_id)
        .where(
            delivery.target_id == target_id,
            *_due(now),
            or_(
                delivery.site_id.is_(None),
                ~exists().where(
                    earlier.target_id == delivery.target_id,
                    earlier.site_id == delivery.site_id,
                    earlier.status == DeliveryStatus.PENDING.value,
                    earlier.event_id < delivery.event_id,
                ),
            ),
            # A paused or switched-off target holds its deliveries; a test ping goes.
            or_(active, delivery.event_type == EventType.PING.value),
        )
        .order_by(delivery.next_attempt_at, delivery.event_id)
        .limit(slots)
    )


@lru_cache(maxsize=1)
def _first_due_statement_postgresql() -> Select[uuid.UUID]:
    """Built once: the claim runs many times a second, and building the expression
    cost more than running it. The targets and their free slots are two array
    parameters, so the statement has one shape and is compiled once too."""
    slot = (
        func.unnest(
            bindparam("target_ids", type_=postgresql.ARRAY(Uuid)),
            bindparam("slots", type_=postgresql.ARRAY(Integer)),
        )
        .table_valued(column("target_id", Uuid), column("n", Integer))
        .render_derived(name="slot")
    )
    target = SyndicationTarget
    first = _firsts(
        slot.c.target_id,
        target.status == TargetStatus.ACTIVE.value,
        bindparam("now"),
        slot.c.n,
    ).lateral("first")
    return (
        select(first.c.id)
        .select_from(slot)
        .join(target, target.id == slot.c.target_id)
        .join(first, true())
        .order_by(first.c.next_attempt_at, first.c.event_id, first.c.id)
        .limit(bindparam("limit"))
    )


def _first_due_per_target(
    db: Session,
    slots: Mapping[uuid.UUID, int],
    targets: Mapping[uuid.UUID, SyndicationTarget],
    now: datetime,
    limit: int,
) -> list[uuid.UUID]:
    """Per target, its first due deliveries (at most its free `slots`, so that the old
    backlog of one dead target never fills a batch and starves the others), read in
    order from a partial index of the pending rows: a claim costs what its batch costs,
    however long the backlog or the history. One statement of a fixed shape on
    PostgreSQL (a lateral join over the targets); SQLite, which has no lateral joins,
    gets one branch per target."""
    slots = {target_id: n for target_id, n in slots.items() if n > 0}
    if not slots:
        return []
    if db.get_bind().dialect.name == "postgresql":
        return list(
            db.scalars(
                _first_due_statement_postgresql(),
                {
                    "target_ids": list(slots),
                    "slots": list(slots.values()),
                    "now": now,
                    "limit": limit,
                },
            )
        )
    rows = union_all(
        *(
            select(
                _firsts(
                    target_id, literal(targets[target_id].status == TargetStatus.ACTIVE), now, n
                ).subquery()
            )
            for target_id, n in slots.items()
        )
    ).subquery()
    return list(
        db.scalars(
            select(rows.c.id)
            .order_by(rows.c.next_attempt_at, rows.c.event_id, rows.c.id)
            .limit(limit)
        )
    )


@lru_cache(maxsize=1)
def _lease_statement() -> Any:
    """Leases the chosen deliveries and returns them with their events, in one
    statement built once. The row lock re-checks that each is still due: another
    worker may have leased it since it was chosen. (The event's columns come by
    subqueries: SQLite's RETURNING cannot name a joined table.)"""
    delivery = SyndicationDelivery
    event = SyndicationEvent
    still_due = (
        select(delivery.id)
        .where(delivery.id.in_(bindparam("candidates", expanding=True)), *_due(bindparam("now")))
        .with_for_update(skip_locked=True)
    )

    def of_event(column: Any, name: str) -> Any:
        return select(column).where(event.id == delivery.event_id).scalar_subquery().label(name)

    return (
        update(delivery)
        .where(delivery.id.in_(still_due.scalar_subquery()))
        .values(
            attempt_count=delivery.attempt_count + 1,
            lease_token=bindparam("token"),
            lease_expires_at=bindparam("until"),
            next_attempt_at=bindparam("until"),
        )
        .returning(
            delivery.id,
            delivery.target_id,
            delivery.site_id,
            delivery.event_id,
            delivery.request_id,
            of_event(event.type, "event_type"),
            of_event(event.occurred_at, "occurred_at"),
        )
    )


CLAIM_LOCK_KEY: Final = 0x53594E44  # "SYND": serialises claims across workers


UNDECRYPTABLE_REASON: Final = N_("The secret cannot be decrypted: re-enter it or rotate keys.")


def _switch_off_unreadable_targets(
    db: Session, settings: Settings, targets: Sequence[SyndicationTarget]
) -> set[uuid.UUID]:
    """The targets whose secret no key of the ring opens, switched off with the reason
    (their contacts are told); every other target's deliveries go on."""
    unreadable = {t.id for t in targets if not secrets_readable(settings, t)}
    for target in targets:
        if target.id in unreadable:
            log.error("syndication target %s: %s", target.id, UNDECRYPTABLE_REASON)
            if target.status == TargetStatus.ACTIVE:
                _disable(db, settings, target, UNDECRYPTABLE_REASON)
    return unreadable


def _hold_for_unreadable_targets(
    db: Session, leased: Sequence[uuid.UUID], unreadable: set[uuid.UUID], now: datetime
) -> None:
    """The deliveries of an undecryptable target are given back, pending and saying
    why, for when the secret is fixed and the target enabled again; a test ping to it
    fails at once."""
    delivery = SyndicationDelivery
    for statement in (
        update(delivery).values(
            attempt_count=delivery.attempt_count - 1,
            lease_token=None,
            lease_expires_at=None,
            next_attempt_at=now,
            last_error=UNDECRYPTABLE_REASON,
        ),
        update(delivery)
        .where(delivery.event_type == EventType.PING.value)
        .values(status=DeliveryStatus.FAILED.value),
    ):
        db.execute(statement.where(delivery.id.in_(leased), delivery.target_id.in_(unreadable)))


@dataclass(frozen=True)
class _Sender:
    """What every claim of one target in a batch carries: read and decrypted once per
    target, not once per delivery."""

    target_id: uuid.UUID
    kind: str
    url: str
    language: str
    portal_name: str
    secrets: tuple[str, ...]
    wp_username: str | None
    wp_password: str | None
    wp_post_type: str | None
    on_probation: bool

    @classmethod
    def of(
        cls,
        settings: Settings,
        region: RegionDefinition,
        target: SyndicationTarget,
        now: datetime,
    ) -> _Sender:
        return cls(
            target_id=target.id,
            kind=target.kind,
            url=target.url,
            language=target.language,
            portal_name=region.portal_name(target.language),
            secrets=tuple(signing_secrets(settings, target, now)),
            wp_username=target.wp_username,
            wp_password=(
                decrypt(settings, target.wp_password_encrypted)
                if target.wp_password_encrypted
                else None
            ),
            wp_post_type=target.wp_post_type,
            on_probation=target.last_success_at is None,
        )


def _claim(
    row: Row[Any],
    data: Any,
    lease_token: uuid.UUID,
    lease_expires_at: datetime,
    sender: _Sender,
    posts: Mapping[tuple[uuid.UUID, uuid.UUID], SyndicationWordpressPost],
) -> Claim:
    post = posts.get((sender.target_id, row.site_id)) if row.site_id else None
    return Claim(
        delivery_id=row.id,
        lease_token=lease_token,
        lease_expires_at=lease_expires_at,
        target_id=sender.target_id,
        target_kind=sender.kind,
        url=sender.url,
        language=sender.language,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        data=data,
        site_id=row.site_id,
        portal_name=sender.portal_name,
        secrets=sender.secrets,
        wp_username=sender.wp_username,
        wp_password=sender.wp_password,
        wp_post_type=sender.wp_post_type,
        wp_post=WordpressPostRef(post.post_id, post.media_id, post.media_sha256) if post else None,
        request_id=row.request_id,
        on_probation=sender.on_probation,
    )


def webhook_body(claim: Claim, base_url: str) -> str:
    if claim.event_type == EventType.PING:
        data: dict[str, Any] = claim.data
    elif claim.event_type == EventType.SITE_WITHDRAWN:
        data = {
            **claim.data,
            "url": {lang: portal_url(base_url, lang, claim.data["slug"]) for lang in LANGUAGES},
        }
    else:
        data = public_document(claim.data, base_url)
    payload = {"type": claim.event_type, "timestamp": claim.occurred_at.isoformat(), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def webhook_headers(claim: Claim, body: str, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; several secrets (during rotation) sign side by side."""
    signatures = " ".join(Webhook(s).sign(claim.webhook_id, now, body) for s in claim.secrets)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claim.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }


def attempt_budget(settings: Settings, kind: str) -> float:
    """The wall-clock limit of one attempt: one request for a webhook; a WordPress push
    makes up to five (find, upload, alt text, post, remove the replaced photo)."""
    return settings.syndication_timeout_seconds * (3 if kind == TargetKind.WORDPRESS else 1)


def perform(claim: Claim, settings: Settings) -> Outcome:
    """One attempt over HTTP; never raises for a network or receiver failure."""
    started = utcnow()
    clock = time.monotonic()
    outcome = Outcome(started_at=started)
    try:
        check_resolved(claim.url, settings)
        client = Exchange(
            shared_client(settings.syndication_timeout_seconds),
            clock + attempt_budget(settings, claim.target_kind),
            settings.syndication_timeout_seconds,
            headers={REQUEST_ID_HEADER: claim.request_id} if claim.request_id else {},
        )
        if claim.target_kind == TargetKind.WORDPRESS:
            response = _push_wordpress(claim, settings, client, outcome)
        else:
            body = webhook_body(claim, settings.base_url)
            response = client.post(
                claim.url, content=body.encode(), headers=webhook_headers(claim, body, utcnow())
            )
        outcome.status_code = response.status_code if response is not None else None
        outcome.success = response is None or response.is_success
        if response is not None:
            if claim.target_kind == TargetKind.WORDPRESS:
                outcome.response_excerpt = _wordpress_excerpt(response)
            else:
                outcome.response_excerpt = excerpt(response.text)
            if not outcome.success:
                outcome.error = f"HTTP {response.status_code}"
                outcome.retry_after = parse_retry_after(
                    response.headers.get("retry-after"), utcnow()
                )
    except httpx.TimeoutException as exc:
        outcome.error = excerpt(f"timeout: {type(exc).__name__}")
    except (httpx.HTTPError, BlockedAddress, OSError) as exc:
        outcome.error = excerpt(f"{type(exc).__name__}: {exc}")
    outcome.duration_ms = int((time.monotonic() - clock) * 1000)
    return outcome


def _wordpress_excerpt(response: httpx.Response) -> str | None:
    """What the log keeps of a WordPress answer: the object id, or the error code and
    message. Never the rest: `users/me` and posts carry the CMS user's name, e-mail,
    avatar and links to their profile (personal data the log has no use for)."""
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.text) if not response.is_success else None
    if not isinstance(body, dict):
        return None
    kept = {k: body[k] for k in ("id", "code", "message") if k in body}
    if "id" in kept and not response.is_success:
        kept.pop("id")
    return excerpt(json.dumps(kept, ensure_ascii=False)) if kept else None


# --- WordPress ------------------------------------------------------------------------------

_wp_templates = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(["html"]),
)


# What a post body may contain on the municipality's WordPress: the structure the
# template makes and nothing else. Sanitised after rendering (the template escapes
# too), so markup in a site's name or description can never become live HTML there.
WP_ALLOWED_TAGS: Final = frozenset(
    {"p", "h2", "h3", "table", "tbody", "tr", "th", "td", "ul", "li", "a", "br", "strong"}
)
WP_ALLOWED_ATTRIBUTES: Final = {
    "a": {"href"},
    "table": {"class"},
    "th": {"scope"},
}


def sanitise_html(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=set(WP_ALLOWED_TAGS),
        attributes={k: set(v) for k, v in WP_ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def format_number(value: Any, lang: str) -> str:
    """A figure as readers of `lang` write it: 4,5 and 12 000 in Finnish."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return "" if value is None else str(value)
    try:
        number = float(value)
    except ValueError:
        return str(value)
    whole = number.is_integer()
    text_ = f"{int(number):,}" if whole else f"{number:,.6f}".rstrip("0").rstrip(".")
    if lang in ("fi", "sv"):
        # Thousands with a no-break space, decimals after a comma (SFS 4175; Swedish in
        # Finland writes them alike).
        return text_.replace(",", "\u00a0").replace(".", ",")
    return text_


def wordpress_content(
    document: Mapping[str, Any], lang: str, base_url: str, portal_name: str
) -> str:
    """The post body, rendered from syndication/wordpress_post.html and sanitised."""
    doc = public_document(document, base_url)
    template = _wp_templates.get_template("syndication/wordpress_post.html")
    return sanitise_html(
        template.render(
            doc=doc,
            lang=lang,
            portal_name=portal_name,
            _=lambda message, **variables: translate(lang, message, **variables),
            label=lambda kind, code: _label(lang, kind, code),
            number=lambda value: format_number(value, lang),
            day=lambda value: _day(value, lang),
        )
    )


def _day(value: Any, lang: str) -> str:
    """A document's ISO date as the post's reader writes it ("1.3.2027", "1 Mar 2027")."""
    try:
        return format_day(date.fromisoformat(str(value)[:10]), lang)
    except ValueError:
        return str(value)


def _label(lang: str, kind: str, code: Any) -> str:
    if code is None:
        return ""
    text_ = LABELS.get(kind, {}).get(str(code))
    return translate(lang, text_) if text_ else str(code)


def _pick(value: Mapping[str, Any], lang: str) -> str:
    return str(value.get(lang) or value.get("fi") or "")


def plain_text(value: str) -> str:
    """Text for a WordPress field that is shown as HTML (title, excerpt, alt text):
    any markup removed, what remains escaped."""
    return html.escape(nh3.clean(value, tags=set()), quote=False)


def wordpress_slug(document: Mapping[str, Any]) -> str:
    """The post's slug: the portal slug (readable), suffixed with the start of the site
    id so it is this service's post and no other page's, and can be found again."""
    return f"{document['slug']}-ik{uuid.UUID(str(document['id'])).hex[:8]}"


def wordpress_post_fields(
    document: Mapping[str, Any],
    lang: str,
    base_url: str,
    portal_name: str,
    slug: str | None = None,
) -> dict[str, Any]:
    """The documented mapping of a site onto a WordPress post (docs/syndication.md)."""
    description = _pick(document["description"], lang)
    return {
        "title": plain_text(_pick(document["name"], lang)),
        "content": wordpress_content(document, lang, base_url, portal_name),
        "excerpt": plain_text(description[:300]),
        "slug": slug or document["slug"],
        "status": "publish",
        "meta": {
            "invest_kainuu_site_id": document["id"],
            "invest_kainuu_url": portal_url(base_url, lang, document["slug"]),
            "invest_kainuu_version": document["version"],
            "invest_kainuu_municipality": document["municipality"]["code"],
        },
    }


def _wp_api(claim: Claim) -> str:
    return f"{claim.url.rstrip('/')}/wp-json/wp/v2"


def _find_posts(client: Exchange, collection: str, slug: str, auth: httpx.Auth) -> list[int]:
    """Posts this service made for the site on this target, published or not: found by
    their slug, for when the answer to a create was lost (timeout, worker killed)."""
    found = client.get(
        collection,
        params={"slug": slug, "status": "any", "context": "edit", "_fields": "id,slug"},
        auth=auth,
    )
    if not found.is_success:
        found.raise_for_status()
    return sorted(int(p["id"]) for p in found.json() if p.get("slug") == slug)


def _push_wordpress(
    claim: Claim, settings: Settings, client: Exchange, outcome: Outcome
) -> httpx.Response | None:
    """Create, update or unpublish the site's post; exactly one per site and target.
    Returns the response that decides the attempt (the first failing one), or None
    when nothing needed sending."""
    auth = httpx.BasicAuth(claim.wp_username or "", claim.wp_password or "")
    api = _wp_api(claim)
    collection = f"{api}/{claim.wp_post_type or 'posts'}"
    existing = claim.wp_post
    if claim.event_type == EventType.PING:
        return client.get(f"{api}/users/me", params={"context": "edit"}, auth=auth)
    slug = wordpress_slug(claim.data)
    try:
        found = _find_posts(client, collection, slug, auth)
    except httpx.HTTPStatusError as exc:
        return exc.response
    known = {existing.post_id} if existing else set()
    if claim.event_type == EventType.SITE_WITHDRAWN:
        # Every copy goes to draft: the remembered post and any found by its slug.
        response: httpx.Response | None = None
        for copy in sorted(known | set(found)):
            answer = client.post(f"{collection}/{copy}", json={"status": "draft"}, auth=auth)
            if answer.status_code == 404:
                continue
            if not answer.is_success:
                return answer
            response = answer
        if existing is not None:
            outcome.wp_post = existing
        return response
    fields_ = wordpress_post_fields(
        claim.data, claim.language, settings.base_url, claim.portal_name, slug
    )
    media_id, media_sha = (existing.media_id, existing.media_sha256) if existing else (None, None)
    replaced_media: int | None = None
    photos = claim.data["photos"]
    if photos and photos[0]["sha256"] != media_sha:
        photo = photos[0]
        data = storage_for(settings).get(f"sites/{photo['sha256'][:2]}/{photo['sha256']}")
        filename = "".join(c for c in photo["filename"] if c.isalnum() or c in "._-") or "photo"
        uploaded = client.post(
            f"{api}/media",
            content=data,
            headers={
                "content-type": photo["content_type"],
                "content-disposition": f'attachment; filename="{filename}"',
            },
            auth=auth,
        )
        if not uploaded.is_success:
            return uploaded
        replaced_media = media_id
        media_id, media_sha = int(uploaded.json()["id"]), photo["sha256"]
        alt = _pick(photo["title"], claim.language)
        if alt:
            client.post(f"{api}/media/{media_id}", json={"alt_text": plain_text(alt)}, auth=auth)
    elif not photos:
        replaced_media = media_id
        media_id, media_sha = None, None
    fields_["featured_media"] = media_id or 0
    # The remembered post, else the one found by slug (a create whose answer was lost);
    # duplicates found beside it (made before this rule) are unpublished.
    candidates = [p for p in [*sorted(known), *found] if p]
    response = None
    post_id: int | None = None
    for candidate in dict.fromkeys(candidates):
        answer = client.post(f"{collection}/{candidate}", json=fields_, auth=auth)
        if answer.status_code == 404:
            continue  # deleted on the WordPress side
        if not answer.is_success:
            return answer
        response, post_id = answer, candidate
        break
    if response is None:
        response = client.post(collection, json=fields_, auth=auth)
        if not response.is_success:
            return response
        post_id = int(response.json()["id"])
    for duplicate in found:
        if duplicate != post_id:
            client.post(f"{collection}/{duplicate}", json={"status": "draft"}, auth=auth)
    assert post_id is not None
    outcome.wp_post = WordpressPostRef(post_id, media_id, media_sha)
    if replaced_media and replaced_media != media_id:
        # The photo was replaced or removed on the site: out of the media library too.
        try:
            client.delete(f"{api}/media/{replaced_media}", params={"force": "true"}, auth=auth)
        except httpx.HTTPError:
            log.warning("could not delete replaced media %s on %s", replaced_media, claim.url)
    return response


# --- completing an attempt ------------------------------------------------------------------


def complete(db: Session, settings: Settings, claim: Claim, outcome: Outcome) -> None:
    """Log the attempt and decide what comes next: done, retried later, or failed."""
    complete_many(db, settings, [(claim, outcome)])


def complete_many(
    db: Session, settings: Settings, results: Sequence[tuple[Claim, Outcome]]
) -> None:
    """`complete` for a batch of attempts, in one transaction of a few statements
    whatever the batch's size: the worker completes what finished while it was busy
    together, so the database work per delivery stays small."""
    if not results:
        return
    now = utcnow()
    delivery = SyndicationDelivery
    ids = sorted({claim.delivery_id for claim, _ in results})
    # Locked in id order, as every batch of deliveries is, so two batches never wait
    # for each other crosswise.
    leases = dict(
        db.execute(
            select(delivery.id, delivery.lease_token)
            .where(delivery.id.in_(ids))
            .order_by(delivery.id)
            .with_for_update(key_share=True)
        ).all()
    )
    numbers: Counter[uuid.UUID] = Counter()
    for delivery_id, count in db.execute(
        select(SyndicationAttempt.delivery_id, func.count())
        .where(SyndicationAttempt.delivery_id.in_(ids))
        .group_by(SyndicationAttempt.delivery_id)
    ):
        numbers[delivery_id] = count
    attempts: list[dict[str, Any]] = []
    succeeded: list[dict[str, Any]] = []
    failed: dict[uuid.UUID, tuple[Claim, Outcome]] = {}
    answered: set[uuid.UUID] = set()
    posts: list[tuple[Claim, WordpressPostRef]] = []
    for claim, outcome in results:
        if claim.delivery_id not in leases:
            continue  # purged meanwhile
        numbers[claim.delivery_id] += 1
        attempts.append(
            {
                "delivery_id": claim.delivery_id,
                "number": numbers[claim.delivery_id],
                "started_at": outcome.started_at,
                "duration_ms": outcome.duration_ms,
                "status_code": outcome.status_code,
                "success": outcome.success,
                "error": outcome.error,
                "response_excerpt": outcome.response_excerpt,
                "request_id": claim.request_id,
            }
        )
        if leases[claim.delivery_id] != claim.lease_token:
            continue  # the lease ran out and another worker took it over: log only
        if not outcome.success:
            failed[claim.delivery_id] = (claim, outcome)
            continue
        succeeded.append(
            {"delivery_id": claim.delivery_id, "status_code": outcome.status_code, "now": now}
        )
        if claim.event_type != EventType.PING:
            answered.add(claim.target_id)
        if outcome.wp_post is not None and claim.site_id is not None:
            posts.append((claim, outcome.wp_post))
    # Core statements on the tables, as executemany: the ORM's bulk forms cost more
    # CPU than the database's work here, and the worker's threads share one interpreter.
    if attempts:
        db.execute(insert(cast(Table, SyndicationAttempt.__table__)), attempts)
    if succeeded:
        db.execute(_succeeded_statement(), succeeded)
        # A caller's session that holds these rows (sessions keep objects past commit)
        # reads them again rather than the state before this.
        for done in succeeded:
            loaded = db.identity_map.get(db.identity_key(delivery, done["delivery_id"]))
            if loaded is not None:
                db.expire(loaded)
    for claim, ref in posts:
        _remember_post(db, claim, ref)
    _record_success(db, answered, now)
    if failed:
        failures = []
        for row in db.scalars(
            select(delivery).where(delivery.id.in_(failed)).order_by(delivery.id)
        ):
            claim, outcome = failed[row.id]
            row.lease_token = None
            row.lease_expires_at = None
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            failures.append((row, claim, outcome))
        _record_failures(db, settings, failures, now)
    db.commit()


@lru_cache(maxsize=1)
def _succeeded_statement() -> Update:
    table = cast(Table, SyndicationDelivery.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("delivery_id"))
        .values(
            status=DeliveryStatus.SUCCEEDED.value,
            delivered_at=bindparam("now"),
            lease_token=None,
            lease_expires_at=None,
            last_status_code=bindparam("status_code"),
            last_error=None,
        )
    )


def release_unsent(db: Session, claims: Sequence[Claim]) -> None:
    """Give back leased deliveries a worker did not send (an earlier one of its chain to
    the same target failed, or it is stopping): due again at once, as if never claimed.
    A failure of their target recorded after this holds them until its retry time; one
    whose lease ran out and was taken over meanwhile is left to its new holder."""
    if not claims:
        return
    delivery = SyndicationDelivery
    # A row re-leased by another worker has a token of its own, none of these.
    db.execute(
        update(delivery)
        .where(
            delivery.id.in_(sorted({c.delivery_id for c in claims})),
            delivery.lease_token.in_({c.lease_token for c in claims}),
        )
        .values(
            attempt_count=delivery.attempt_count - 1,
            lease_token=None,
            lease_expires_at=None,
            next_attempt_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.commit()


def _record_failures(
    db: Session,
    settings: Settings,
    failures: Sequence[tuple[SyndicationDelivery, Claim, Outcome]],
    now: datetime,
) -> None:
    # FOR NO KEY UPDATE: a change being recorded meanwhile inserts deliveries that
    # reference these rows (a key-share lock), and must not wait for this transaction
    # while this one waits for the delivery rows it supersedes.
    targets = {
        t.id: t
        for t in db.scalars(
            select(SyndicationTarget)
            .where(SyndicationTarget.id.in_({claim.target_id for _, claim, _ in failures}))
            .order_by(SyndicationTarget.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    }
    for delivery, claim, outcome in failures:
        target = targets[claim.target_id]
        is_ping = claim.event_type == EventType.PING
        gone = outcome.status_code == 410 and claim.target_kind == TargetKind.WEBHOOK
        delay = (
            None if is_ping or gone else retry_delay(delivery.attempt_count, outcome.retry_after)
        )
        if delay is None:
            delivery.status = DeliveryStatus.FAILED.value
        else:
            delivery.next_attempt_at = now + delay
            if claim.site_id is not None:
                _hand_over_to_newer(db, delivery)
                _hold_target_until(db, claim.target_id, now + delay)
        if is_ping:
            continue
        target.last_failure_at = now
        target.failing_since = target.failing_since or now
        if target.status == TargetStatus.ACTIVE:
            if gone:
                _disable(db, settings, target, GONE_REASON)
            elif should_disable(
                target.failing_since, now, timedelta(hours=settings.syndication_disable_after_hours)
            ):
                _disable(db, settings, target, FAILING_REASON, since=target.failing_since)


# How stale a healthy target's "last success" may be: writing it on every success would
# make each delivery wait for the lock of its target's row.
SUCCESS_STAMP_RESOLUTION: Final = timedelta(seconds=1)


def _record_success(db: Session, target_ids: set[uuid.UUID], now: datetime) -> None:
    if not target_ids:
        return
    target = SyndicationTarget
    db.execute(
        update(target)
        .where(
            target.id.in_(sorted(target_ids)),
            or_(
                target.failing_since.is_not(None),
                target.last_success_at.is_(None),
                target.last_success_at < now - SUCCESS_STAMP_RESOLUTION,
            ),
        )
        .values(last_success_at=now, failing_since=None)
        .execution_options(synchronize_session=False)
    )


def _hold_target_until(db: Session, target_id: uuid.UUID, retry_at: datetime) -> None:
    """A target that failed is tried again at its retry time, not once per site: its
    other waiting deliveries wait for that time too, and stay out of every claim's way
    until then. Rows a change being recorded holds are skipped, never waited for (that
    transaction may be waiting for this one's rows)."""
    delivery = SyndicationDelivery
    waiting = (
        select(delivery.id)
        .where(
            delivery.target_id == target_id,
            delivery.status == DeliveryStatus.PENDING.value,
            delivery.lease_token.is_(None),
            delivery.next_attempt_at < retry_at,
        )
        .with_for_update(skip_locked=True)
    )
    db.execute(
        update(delivery)
        .where(delivery.id.in_(waiting.scalar_subquery()))
        .values(next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )


def _hand_over_to_newer(db: Session, failed: SyndicationDelivery) -> None:
    """A failed attempt whose site changed meanwhile is not retried with its old state:
    the newest pending delivery of the site to the target takes over its retry schedule
    and this one is superseded. When a change being recorded holds that delivery, it is
    not waited for: this one is retried as it is and the newer one follows it."""
    newest = db.scalar(
        select(SyndicationDelivery)
        .where(
            SyndicationDelivery.target_id == failed.target_id,
            SyndicationDelivery.site_id == failed.site_id,
            SyndicationDelivery.status == DeliveryStatus.PENDING.value,
            SyndicationDelivery.event_id > failed.event_id,
        )
        .order_by(SyndicationDelivery.event_id.desc())
        .limit(1)
        .with_for_update(key_share=True, skip_locked=True)
    )
    if newest is None:
        return
    failed.status = DeliveryStatus.SUPERSEDED.value
    newest.next_attempt_at = max(newest.next_attempt_at, failed.next_attempt_at)
    newest.attempt_count = max(newest.attempt_count, failed.attempt_count)


def _remember_post(db: Session, claim: Claim, ref: WordpressPostRef) -> None:
    assert claim.site_id is not None
    row = db.get(SyndicationWordpressPost, (claim.target_id, claim.site_id))
    if row is None:
        row = SyndicationWordpressPost(target_id=claim.target_id, site_id=claim.site_id, post_id=0)
        db.add(row)
    row.post_id, row.media_id, row.media_sha256 = ref.post_id, ref.media_id, ref.media_sha256


GONE_REASON: Final = N_("The receiver answered 410 Gone.")
FAILING_REASON: Final = N_("Failing since %(since)s UTC.")


def _since_text(lang: str, at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if lang == "en" else f"{at:%d.%m.%Y %H.%M}"


def _disable(
    db: Session,
    settings: Settings,
    target: SyndicationTarget,
    reason: str,
    *,
    since: datetime | None = None,
) -> None:
    """Switch a target off and tell the municipality's contacts (or the coordinator),
    each in their own language: the reason too."""

    def reason_in(lang: str) -> str:
        if since is not None:
            return translate(lang, reason, since=_since_text(lang, since))
        return translate(lang, reason)

    region = region_service.current_region(db)
    target.status = TargetStatus.DISABLED.value
    target.disabled_reason = reason_in("en")
    log.warning("syndication target %s switched off: %s", target.id, target.disabled_reason)
    contacts = list(
        db.scalars(
            select(User).where(
                User.role == Role.MUNICIPAL_CONTACT.value,
                User.municipality_code == target.municipality_code,
                User.is_active.is_(True),
            )
        )
    )
    recipients = [(u.email, u.language) for u in contacts]
    if not recipients and settings.coordinator_email:
        recipients = [(settings.coordinator_email, "fi")]
    for email, lang in recipients:
        queue_email(
            db,
            to=[email],
            subject=translate(lang, "Site updates to %(name)s were switched off", name=target.name),
            body_text=translate(
                lang,
                "%(portal)s stopped sending site updates to %(name)s (%(url)s).\n\n"
                "Reason: %(reason)s\n\nUpdates are kept and will be sent in order once the "
                "target is switched on again: %(link)s",
                portal=region.portal_name(lang),
                name=target.name,
                url=target.url,
                reason=reason_in(lang),
                link=f"{settings.base_url}/syndication/targets/{target.id}",
            ),
            reference=f"syndication-target:{target.id}",
        )


def disable_failing_targets(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """The scheduled check (every few minutes): switch off every active target failing
    for `syndication_disable_after_hours`, and tell its contacts. Runs whether or not
    any new change arrives; returns how many were switched off."""
    now = now or utcnow()
    limit = timedelta(hours=settings.syndication_disable_after_hours)
    targets = db.scalars(
        select(SyndicationTarget)
        .where(
            SyndicationTarget.status == TargetStatus.ACTIVE.value,
            SyndicationTarget.failing_since.is_not(None),
            SyndicationTarget.failing_since <= now - limit,
        )
        .with_for_update(skip_locked=True)
    ).all()
    count = 0
    for target in targets:
        assert target.failing_since is not None
        if should_disable(target.failing_since, now, limit):
            _disable(db, settings, target, FAILING_REASON, since=target.failing_since)
            count += 1
    db.commit()
    return count


def deliver_due(
    db: Session, settings: Settings, *, now: datetime | None = None, limit: int = 100
) -> int:
    """Claim, send and complete what is due, one after another; returns the number of
    attempts. The threaded worker does the same concurrently."""
    claims = claim_due(db, settings, limit=limit, now=now)
    for claim in claims:
        complete(db, settings, claim, perform(claim, settings))
    return len(claims)


def _deleted(db: Session, statement: Delete) -> int:
    return int(cast(CursorResult[Any], db.execute(statement)).rowcount)


def purge_old_deliveries(
    db: Session, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Delete delivered and failed deliveries (with their attempts) and events older than
    `syndication_retention_days`. Kept: anything pending or leased, the latest delivery
    of each site to each target and the latest event of each site (`record_site_event`
    compares a change with it). Attempts go only with their delivery, because attempt
    numbers count the rows left. Running it again deletes nothing more."""
    cutoff = (now or utcnow()) - timedelta(days=settings.syndication_retention_days)
    delivery = SyndicationDelivery
    later = aliased(SyndicationDelivery)
    expired = select(delivery.id).where(
        delivery.status.in_((DeliveryStatus.SUCCEEDED.value, DeliveryStatus.FAILED.value)),
        delivery.lease_token.is_(None),
        delivery.created_at < cutoff,
        # The last claim or redelivery moved next_attempt_at: recent activity is kept.
        delivery.next_attempt_at < cutoff,
        or_(
            delivery.site_id.is_(None),
            exists().where(
                later.target_id == delivery.target_id,
                later.site_id == delivery.site_id,
                later.event_id > delivery.event_id,
            ),
        ),
    )
    ids = list(db.scalars(expired))
    attempts = deliveries = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        attempts += _deleted(
            db, delete(SyndicationAttempt).where(SyndicationAttempt.delivery_id.in_(chunk))
        )
        deliveries += _deleted(
            db, delete(SyndicationDelivery).where(SyndicationDelivery.id.in_(chunk))
        )
    event = SyndicationEvent
    newer = aliased(SyndicationEvent)
    events = _deleted(
        db,
        delete(event).where(
            event.occurred_at < cutoff,
            ~exists().where(SyndicationDelivery.event_id == event.id),
            or_(
                event.site_id.is_(None),
                exists().where(newer.site_id == event.site_id, newer.id > event.id),
            ),
        ),
    )
    db.commit()
    counts = {"attempts": attempts, "deliveries": deliveries, "events": events}
    log.info("syndication retention: deleted %s", counts)
    return counts


# Added to a target's requests in flight while one of them hangs: more than any cap.
HANGING: Final = 1_000


@dataclass
class _Chain:
    """Deliveries to one target sent one after another by one pool thread."""

    target_id: uuid.UUID
    lane: str
    # When its current request started (the chain's start, then each request's end).
    handed_at: float
    on_probation: bool
    # Its deliveries not yet ended (sent and answered) or completed.
    left: int
    # A request of it failed: its target gets nothing more from this worker until
    # that failure, and the retry time it sets, are committed.
    failed: bool = False


@dataclass
class SyndicationWorker:
    """The delivery loop of the scheduler process (or `invest-kainuu syndication-worker`).

    The database work is done in batches by two threads: one claims as many deliveries
    as there are free pool threads in one transaction, the other completes every attempt
    that finished since it last looked in one more, side by side. The pool threads only
    make the HTTP requests. So the database work per delivery stays small however many
    deliveries are in flight, and the receivers, not the claim loop, set the pace: a
    healthy target this worker alone serves gets a chain of deliveries per request slot
    (`syndication_chain_length`), sent one after another by the slot's thread, so its
    next request does not wait for the next claim.

    Not under the scheduler's advisory lock: any number of workers run side by side,
    kept apart by SKIP LOCKED and leases. Each target has at most
    `per_target_concurrency` requests in flight (counted in the database), a failing or
    never-answered target one, and failing targets are tried in a small pool of their
    own, so slow or dead targets never take the healthy ones' threads. Woken by NOTIFY
    on PostgreSQL, else it polls."""

    engine: Engine
    settings: Settings
    poll_seconds: float = 2.0
    # After this long an attempt counts as hanging (a healthy answer takes milliseconds).
    slow_after: float = 1.0
    stop_event: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    # Attempts finished by the pool threads, waiting to be completed: (claim, outcome or
    # None when the attempt broke unexpectedly, whether it was sent at all).
    _finished: SimpleQueue[tuple[Claim, Outcome | None, bool] | None] = field(
        default_factory=SimpleQueue
    )
    # For the coordinating thread, in the order they happened: ("ended", delivery) when
    # its request is over and answered, ("failed", delivery) when it is over and failed,
    # ("completed", delivery) when its outcome is committed or it was given back.
    _progress: SimpleQueue[tuple[str, uuid.UUID]] = field(default_factory=SimpleQueue)
    # Touched by the coordinating thread only: the chains under way; the leased
    # deliveries not ended yet, with their chain; and the deliveries whose request has
    # ended, waiting for their completion.
    _chains: dict[int, _Chain] = field(default_factory=dict)
    _running: dict[uuid.UUID, int] = field(default_factory=dict)
    _finishing: set[uuid.UUID] = field(default_factory=set)
    _chain_ids: itertools.count[int] = field(default_factory=itertools.count)

    def run(self) -> None:
        factory = make_session_factory(self.engine)
        # Built now rather than by the first attempts, which would wait for it.
        shared_client(self.settings.syndication_timeout_seconds)
        # Two lanes: failing targets (their last attempt failed) are tried in a small
        # pool of their own, so however many of them hang, the healthy targets keep
        # every thread of the main pool.
        lanes = {
            "healthy": self.settings.syndication_worker_threads,
            "failing": max(2, self.settings.syndication_worker_threads // 4),
        }
        if self.engine.dialect.name == "postgresql":
            threading.Thread(target=self._listen, name="syndication-listen", daemon=True).start()
        # Twice the threads: attempts that turn out slow (a receiver that hangs before
        # its first failure is known) stop counting against the lane, so the others
        # keep their threads while those run into their deadline.
        with (
            ThreadPoolExecutor(2 * lanes["healthy"], thread_name_prefix="syndication") as main,
            ThreadPoolExecutor(2 * lanes["failing"], thread_name_prefix="syndication-slow") as slow,
        ):
            pools = {"healthy": main, "failing": slow}
            completer = threading.Thread(
                target=self._complete_until_stopped,
                args=(factory,),
                name="syndication-complete",
                daemon=True,
            )
            completer.start()
            next_failing_claim = next_beat = 0.0
            while not self.stop_event.is_set():
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + self.settings.heartbeat_interval_seconds
                    self._beat(factory)
                progressed = self._take_progress()
                claimed = 0
                for lane, size in lanes.items():
                    if lane == "failing":
                        # Failing targets wait for a retry time anyway: look for their
                        # work once a second, not on every turn of the loop.
                        if time.monotonic() < next_failing_claim:
                            continue
                        next_failing_claim = time.monotonic() + 1.0
                    free, in_flight, chains, answering = self._capacity(lane, size)
                    if free <= 0 or (0 < free < size // 2 and answering):
                        # A claim costs about as much for one delivery as for many: while
                        # the lane's requests are answering (each one ending wakes this
                        # loop), wait until half its threads are free, so that claims
                        # are few and full and the loop keeps up with the receivers.
                        continue
                    # Failing targets get one delivery at a time, never a chain.
                    chain_length = (
                        1 if lane == "failing" else self.settings.syndication_chain_length
                    )
                    try:
                        with factory() as db:
                            claims = claim_due(
                                db,
                                self.settings,
                                limit=free * chain_length,
                                per_target=self.settings.syndication_per_target_concurrency,
                                in_flight=in_flight,
                                finishing=self._finishing,
                                lane=lane,
                                chains=chains,
                                chain_length=chain_length,
                            )
                    except Exception:
                        log.exception("claiming deliveries failed")
                        claims = []
                    for chain in self._chains_of(claims, chains):
                        chain_id = next(self._chain_ids)
                        self._chains[chain_id] = _Chain(
                            chain[0].target_id,
                            lane,
                            time.monotonic(),
                            chain[0].on_probation,
                            len(chain),
                        )
                        for claim in chain:
                            self._running[claim.delivery_id] = chain_id
                        pools[lane].submit(self._attempt_chain, chain)
                    claimed += len(claims)
                if not claimed and not progressed:
                    self._wake.wait(self.poll_seconds)
                    self._wake.clear()
        # Stopping: what was still in flight has finished as the pools shut down, and is
        # completed before the completing thread ends, so that no sent attempt waits for
        # its lease to run out.
        self._finished.put(None)
        completer.join()

    def _chains_of(self, claims: list[Claim], chains: Mapping[uuid.UUID, int]) -> list[list[Claim]]:
        """The claims split into chains: per target, as many as it has free request
        slots, each taking its share of the target's claims in order."""
        per_target: dict[uuid.UUID, list[Claim]] = {}
        for claim in claims:
            per_target.setdefault(claim.target_id, []).append(claim)
        cap = self.settings.syndication_per_target_concurrency
        result = []
        for target_id, mine in per_target.items():
            count = max(1, min(len(mine), cap - chains.get(target_id, 0)))
            size = -(-len(mine) // count)
            result += [mine[i : i + size] for i in range(0, len(mine), size)]
        return result

    def _beat(self, factory: Any) -> None:
        """Tell /readyz this loop turns; a database that does not answer now is no
        reason to stop delivering once it does."""
        try:
            with factory() as db:
                operations.beat(db, operations.SYNDICATION_WORKER, utcnow())
        except Exception:
            log.exception("recording the worker's heartbeat failed")

    def _take_progress(self) -> int:
        count = 0
        while not self._progress.empty():
            step, delivery_id = self._progress.get()
            count += 1
            if step == "failed":
                self._chains[self._running[delivery_id]].failed = True
                continue
            chain_id = self._running.pop(delivery_id, None)
            if chain_id is not None:
                chain = self._chains[chain_id]
                chain.left -= 1
                chain.handed_at = time.monotonic()  # its next request starts now
                if not chain.left:
                    del self._chains[chain_id]
            if step == "ended":
                self._finishing.add(delivery_id)
            else:
                self._finishing.discard(delivery_id)
        return count

    def _complete_until_stopped(self, factory: Any) -> None:
        stopping = False
        while not stopping:
            first = self._finished.get()
            batch = [] if first is None else [first]
            stopping = first is None
            while not self._finished.empty():
                item = self._finished.get()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            # What was not sent is given back first, so that a failure of its target
            # completed next holds it too. Then successes, in a transaction of their
            # own: recording a failure (the retry schedule, holding the target's other
            # deliveries) takes longer, and a hanging target's timeout must not keep
            # the healthy targets' slots busy.
            unsent = [c for c, _, sent in batch if not sent]
            ok = [(c, o) for c, o, _ in batch if o is not None and o.success]
            failed = [(c, o) for c, o, _ in batch if o is not None and not o.success]
            broken = [c for c, o, sent in batch if o is None and sent]
            if unsent:
                try:
                    with factory() as db:
                        release_unsent(db, unsent)
                except Exception:
                    # Their leases run out and other attempts follow.
                    log.exception("giving back %d deliveries failed", len(unsent))
                self._report_completed(unsent)
            for results in (ok, failed):
                if results:
                    try:
                        with factory() as db:
                            complete_many(db, self.settings, results)
                    except Exception:
                        # Their leases run out and other attempts follow.
                        log.exception("completing %d deliveries failed", len(results))
                    self._report_completed([claim for claim, _ in results])
            self._report_completed(broken)

    def _report_completed(self, claims: list[Claim]) -> None:
        for claim in claims:
            self._progress.put(("completed", claim.delivery_id))
        if claims:
            self._wake.set()

    def _capacity(
        self, lane: str, size: int
    ) -> tuple[int, dict[uuid.UUID, int], dict[uuid.UUID, int], int]:
        """How many more chains the lane takes now; this worker's leased deliveries not
        ended yet and its chains, per target; and how many of the lane's chains are
        answering (not slow, not on probation: each request ending wakes the loop). A
        chain whose request runs longer than `slow_after` no longer takes one of the
        lane's `size` threads (the pool has twice as many), and its target gets nothing
        more until it ends: it is hanging, and the others must not wait. Nor does the
        one attempt of a target that has never answered: until it does, it may hang, and
        the healthy targets keep their threads meanwhile."""
        slow_since = time.monotonic() - self.slow_after
        in_flight: Counter[uuid.UUID] = Counter()
        for chain_id in self._running.values():
            in_flight[self._chains[chain_id].target_id] += 1
        chains: Counter[uuid.UUID] = Counter()
        running = fast = 0
        for chain in self._chains.values():
            chains[chain.target_id] += 1
            if chain.failed:
                in_flight[chain.target_id] += HANGING
            if chain.lane != lane:
                continue
            running += 1
            if chain.on_probation and chain.handed_at >= slow_since:
                continue
            if chain.handed_at >= slow_since:
                fast += 1
            else:
                in_flight[chain.target_id] += HANGING
        return min(size - fast, 2 * size - running), dict(in_flight), dict(chains), fast

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def _attempt_chain(self, chain: list[Claim]) -> None:
        """Send a chain's deliveries in order. After a failure the rest are given back
        unsent (the target would fail them too), as they are when the worker stops or
        a delivery's lease has too little time left for its attempt."""
        for index, claim in enumerate(chain):
            budget = timedelta(seconds=attempt_budget(self.settings, claim.target_kind) + 1)
            if self.stop_event.is_set() or claim.lease_expires_at - utcnow() < budget:
                self._give_back(chain[index:])
                return
            outcome: Outcome | None = None
            try:
                with bound_request_id(claim.request_id):
                    outcome = perform(claim, self.settings)
            except Exception:
                # Not completed: the lease expires and another attempt follows.
                log.exception("delivery %s failed unexpectedly", claim.delivery_id)
            if outcome is not None and outcome.success:
                # Its target may take the next request now, before the outcome is
                # committed.
                self._progress.put(("ended", claim.delivery_id))
                self._finished.put((claim, outcome, True))
                self._wake.set()
                continue
            # A failed one keeps its target from this worker until the retry time is
            # recorded: the target's next delivery would meet the same fault at once.
            self._progress.put(("failed", claim.delivery_id))
            self._give_back(chain[index + 1 :])
            self._finished.put((claim, outcome, True))
            self._wake.set()
            return

    def _give_back(self, claims: list[Claim]) -> None:
        for claim in claims:
            self._finished.put((claim, None, False))
        if claims:
            self._wake.set()

    def _listen(self) -> None:
        while not self.stop_event.is_set():
            try:
                raw = self.engine.raw_connection()
                try:
                    conn = raw.driver_connection
                    assert conn is not None
                    conn.autocommit = True
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self.stop_event.is_set():
                        for _ in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                            self._wake.set()
                finally:
                    raw.invalidate()
            except Exception:
                if self.stop_event.is_set():
                    return  # the connection went with the stopping worker's database
                log.exception("LISTEN failed; polling until it works again")
                self.stop_event.wait(self.poll_seconds)


def run_worker(engine: Engine, settings: Settings) -> None:
    """The syndication worker as a process of its own (`invest-kainuu
    syndication-worker`)."""
    if settings.syndication_worker_one_cpu:
        keep_to_one_cpu()  # before the worker starts its threads, which inherit it
    settle_heap()
    SyndicationWorker(engine, settings).run()


# --- feeds and the embed --------------------------------------------------------------------

FEED_LIMIT: Final = 1000


@dataclass(frozen=True)
class FeedContent:
    municipality: Municipality | None
    documents: list[dict[str, Any]]
    last_modified: datetime | None


def feed_content(
    db: Session,
    settings: Settings,
    municipality_code: str | None,
    *,
    industry_code: str | None = None,
    kind: str | None = None,
) -> FeedContent:
    """The published sites of the region or of one municipality, newest first, and
    when anything public last changed there (withdrawals included)."""
    municipality = None
    if municipality_code is not None:
        municipality = db.get(Municipality, municipality_code)
        if municipality is None:
            raise NotFound("No such municipality.")
    rows, _ = public_sites(
        db,
        settings,
        PublicSiteFilters(
            municipality_code=municipality_code,
            industry_code=industry_code,
            kind=kind,
            limit=FEED_LIMIT,
        ),
    )
    return FeedContent(
        municipality, documents_of(db, rows), feed_changed_at(db, settings, municipality_code)
    )


def feed_changed_at(
    db: Session, settings: Settings, municipality_code: str | None, *, now: datetime | None = None
) -> datetime | None:
    """When anything public last changed in the feed's area: a site's public change, a
    syndication event of the area (a site that moved away to another municipality
    leaves one behind), or the moment a site passed its expiry date, which counts from
    that moment even before the expiry job has recorded it."""
    changed = select(func.max(Site.public_changed_at))
    events = select(func.max(SyndicationEvent.occurred_at)).where(
        SyndicationEvent.type != EventType.PING.value
    )
    cutoff = public_cutoff(settings, helsinki_date(now))
    lapsed = select(func.max(Site.last_verified_on)).where(
        Site.status == SiteStatus.PUBLISHED.value,
        Site.last_verified_on.is_not(None),
        Site.last_verified_on <= cutoff,
    )
    if municipality_code is not None:
        changed = changed.where(Site.municipality_code == municipality_code)
        events = events.where(SyndicationEvent.municipality_code == municipality_code)
        lapsed = lapsed.where(Site.municipality_code == municipality_code)
    found = [db.scalar(changed), db.scalar(events)]
    last_verified = db.scalar(lapsed)
    if last_verified is not None:
        found.append(expiry_moment(settings, last_verified))
    moments = [m for m in found if m is not None]
    return max(moments) if moments else None
