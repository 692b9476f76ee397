"""Site offerings: the use cases, within the actor's scope.

Every change of a site's state, fields or attachments goes through the functions of
this module, and each of them ends in `record_change`: it bumps the site's version,
writes a snapshot to `site_versions` (the audit log records the field changes on its
own) and, when the change is one the public can see, calls `record_public_change` —
the one hook where "a public change happened to this site" is known, in the same
transaction as the change itself.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps
from sqlalchemy import Select, String, case, cast, func, inspect, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Industry,
    Municipality,
    Site,
    SiteAttachment,
    SiteDistance,
    SiteIndustry,
    SiteRevision,
    SiteVersion,
    User,
)
from app.domain import notifications as notices
from app.domain.access import (
    SYSTEM_ACTOR,
    Actor,
    Role,
    can_edit_municipality_records,
    require_municipality_edit,
    require_staff_wide,
)
from app.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.domain.geography import Place, bounding_box
from app.domain.packages import AttachmentKind, check_attachment
from app.domain.site_fields import SITE_FIELDS, FieldType, fields_of_type
from app.domain.sites import (
    RANGES,
    Freshness,
    SiteDraft,
    SiteRegion,
    SiteStatus,
    add_months,
    freshness,
    next_status,
    polygon_geojson,
    validate_site,
)
from app.i18n import N_, register_field_errors, register_labels, translate
from app.services import geography, notifications
from app.services.audit import parse_uuid, register_access_check
from app.services.mail import queue_email
from app.services.region import current_region
from app.services.scope import sites_public, sites_visible_to
from app.settings import Settings
from app.storage import Storage

_HELSINKI = ZoneInfo("Europe/Helsinki")
THUMBNAIL_SIZE: Final = (480, 480)

# Fields a site carries beyond the draft that the public never sees.
_DRAFT_FIELDS: Final = tuple(f.name for f in fields(SiteDraft))
_COLUMN_FIELDS: Final = tuple(f for f in _DRAFT_FIELDS if f not in ("industry_codes", "polygon"))
_ENUMS: Final[Mapping[str, type[StrEnum]]] = {
    site_field.name: site_field.choices
    for site_field in SITE_FIELDS
    if site_field.choices is not None
}
_DECIMALS: Final = frozenset(site_field.name for site_field in fields_of_type(FieldType.DECIMAL))
_SNAPSHOT_SKIP: Final = frozenset({"created_at", "updated_at"})
_OPEN_STATUSES: Final = (
    SiteStatus.DRAFT.value,
    SiteStatus.SUBMITTED.value,
    SiteStatus.RETURNED.value,
    SiteStatus.PUBLISHED.value,
)

register_labels(
    "site_kind",
    {
        "industrial_plot": N_("Industrial plot"),
        "premises": N_("Premises"),
        "data_centre": N_("Data-centre site"),
        "energy": N_("Energy site"),
        "tourism": N_("Tourism site"),
        "other": N_("Other"),
    },
)
register_labels(
    "zoning_status",
    {
        "detailed_plan": N_("Detailed plan in force"),
        "detailed_plan_in_preparation": N_("Detailed plan in preparation"),
        "master_plan": N_("Master plan"),
        "none": N_("No plan"),
    },
)
register_labels(
    "ownership", {"municipal": N_("Municipal"), "private": N_("Private"), "state": N_("State")}
)
register_labels(
    "tenure", {"sale": N_("Sale"), "lease": N_("Lease"), "sale_or_lease": N_("Sale or lease")}
)
register_labels(
    "permit_status",
    {
        "not_needed": N_("Not needed"),
        "not_started": N_("Not applied for"),
        "pending": N_("Pending"),
        "granted": N_("Granted"),
    },
)
register_labels(
    "attachment_kind", {"photo": N_("Photo"), "document": N_("Document"), "map": N_("Map")}
)
register_labels(
    "site_action",
    {
        "create": N_("Created"),
        "update": N_("Changed"),
        "submit": N_("Submitted for review"),
        "publish": N_("Published"),
        "return": N_("Returned for changes"),
        "withdraw": N_("Withdrawn"),
        "archive": N_("Archived"),
        "reopen": N_("Reopened"),
        "verify": N_("Verified"),
        "attachment": N_("Attachments changed"),
        "expire": N_("Left the portal (not verified)"),
        "package": N_("Updated from a site package"),
        "revision": N_("Proposed change approved"),
    },
)


def helsinki_today() -> date:
    return datetime.now(_HELSINKI).date()


def helsinki_date(now: datetime | None = None) -> date:
    return (now or datetime.now(_HELSINKI)).astimezone(_HELSINKI).date()


def expiry_moment(settings: Settings, last_verified_on: date) -> datetime:
    """The moment a site verified on `last_verified_on` leaves the portal by date:
    midnight in Helsinki of the first day whose `public_cutoff` reaches it."""
    day = add_months(last_verified_on, settings.site_hidden_after_months)
    while add_months(day, -settings.site_hidden_after_months) < last_verified_on:
        day += timedelta(days=1)
    while add_months(day - timedelta(days=1), -settings.site_hidden_after_months) >= (
        last_verified_on
    ):
        day -= timedelta(days=1)
    return datetime.combine(day, time_of_day(0), _HELSINKI).astimezone(UTC)


# --- conversions between the stored site and the domain's draft ------------------------


# For the revisions module, which keeps draft values in JSON form.
ENUMS: Final = _ENUMS
DECIMALS: Final = _DECIMALS


def draft_of(site: Site, industry_codes: Sequence[str]) -> SiteDraft:
    values: dict[str, Any] = {}
    for name in _COLUMN_FIELDS:
        value = getattr(site, name)
        if value is not None and name in _DECIMALS:
            value = Decimal(str(value))
        elif value is not None and name in _ENUMS:
            value = _ENUMS[name](value)
        values[name] = value
    if site.polygon:
        values["polygon"] = tuple(
            tuple((float(lon), float(lat)) for lon, lat in ring)
            for ring in site.polygon["coordinates"]
        )
    return SiteDraft(**values, industry_codes=tuple(industry_codes))


def _column_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DECIMALS:
        return float(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def write_draft(
    db: Session,
    site: Site,
    draft: SiteDraft,
    current_codes: Sequence[str],
    places: Sequence[Place] | None = None,
) -> bool:
    """Copy the draft onto the site (and its industries); return whether anything changed.
    A stored site that moved gets its distances to `places` (default: the active
    reference points) recomputed; a new site gets them from `insert_new_sites`."""
    changed = moved = False
    for name in _COLUMN_FIELDS:
        value = _column_value(name, getattr(draft, name))
        if getattr(site, name) != value:
            setattr(site, name, value)
            changed = True
            moved = moved or name in ("latitude", "longitude")
            if name == "last_verified_on":
                # A new verification date: the freshness job decides again from it.
                site.stale_flagged_at = None
                site.expired_at = None
    if moved and not inspect(site).pending:
        geography.refresh_site(db, site, places)
    polygon = polygon_geojson(draft.polygon) if draft.polygon else None
    if site.polygon != polygon:
        site.polygon = polygon
        changed = True
    if set(current_codes) != set(draft.industry_codes):
        changed = True
        for code in set(current_codes) - set(draft.industry_codes):
            db.delete(db.get(SiteIndustry, (site.id, code)))
        for code in draft.industry_codes:
            if code not in current_codes:
                db.add(SiteIndustry(site_id=site.id, industry_code=code))
    return changed


def industry_codes_of(db: Session, site_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    codes: dict[uuid.UUID, list[str]] = {site_id: [] for site_id in site_ids}
    if site_ids:
        rows = db.execute(
            select(SiteIndustry.site_id, SiteIndustry.industry_code)
            .where(SiteIndustry.site_id.in_(site_ids))
            .order_by(SiteIndustry.industry_code)
        )
        for site_id, code in rows:
            codes[site_id].append(code)
    return codes


def attachments_of(
    db: Session, site_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[SiteAttachment]]:
    found: dict[uuid.UUID, list[SiteAttachment]] = {site_id: [] for site_id in site_ids}
    if site_ids:
        query = (
            select(SiteAttachment)
            # Files waiting in a revision are not the site's until it is approved.
            .where(SiteAttachment.site_id.in_(site_ids), SiteAttachment.revision_id.is_(None))
            .order_by(SiteAttachment.sort_order, SiteAttachment.created_at, SiteAttachment.id)
        )
        for attachment in db.scalars(query):
            found[attachment.site_id].append(attachment)
    return found


def valid_codes(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    """The municipality codes and active industry codes a site may use, each with its
    Finnish name (messages list them; packages accept the names too)."""
    municipalities = {
        code: name
        for code, name in db.execute(
            select(Municipality.code, Municipality.name_fi).order_by(Municipality.code)
        )
    }
    industries = {
        code: name
        for code, name in db.execute(
            select(Industry.code, Industry.name_fi).where(Industry.active.is_(True))
        )
    }
    return municipalities, industries


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def snapshot(
    site: Site, industry_codes: Sequence[str], attachments: Sequence[SiteAttachment]
) -> dict[str, Any]:
    data = {
        column.key: _json(getattr(site, column.key))
        for column in Site.__mapper__.column_attrs
        if column.key not in _SNAPSHOT_SKIP
    }
    data["industry_codes"] = sorted(industry_codes)
    data["attachments"] = [
        {
            "id": str(a.id),
            "kind": a.kind,
            "title_fi": a.title_fi,
            "title_en": a.title_en,
            "sort_order": a.sort_order,
            "sha256": a.sha256,
            "content_type": a.content_type,
        }
        for a in attachments
    ]
    return data


# --- the change hook -----------------------------------------------------------------


def record_public_change(db: Session, site: Site, kind: str) -> None:
    """Something the public sees of `site` changed: it was published, a public field or
    attachment of the published site changed, or it left the portal (withdrawn,
    archived, expired). Called inside the change's transaction, before its commit;
    syndication extends this to write its outbox event in the same transaction.

    `kind` is one of: published, changed, attachment, withdrawn, archived, expired.
    """
    site.public_changed_at = utcnow()
    # Imported here: syndication builds on this module's helpers (an import cycle).
    from app.services.syndication import record_site_event

    record_site_event(db, site, kind)


def record_change(
    db: Session,
    actor: Actor,
    site: Site,
    action: str,
    *,
    was_public: bool,
    comment: str | None = None,
    industry_codes: Sequence[str] | None = None,
    attachments: Sequence[SiteAttachment] | None = None,
) -> None:
    """A new version of `site`: bump `version`, snapshot it, and tell the public hook
    when the site was or is now published."""
    if action != "create":
        site.version += 1
    if was_public or site.status == SiteStatus.PUBLISHED.value:
        kind = {
            "publish": "published",
            "withdraw": "withdrawn",
            "archive": "archived",
            "expire": "expired",
            "attachment": "attachment",
        }.get(action, "changed")
        record_public_change(db, site, kind)
    db.flush()
    if industry_codes is None:
        industry_codes = industry_codes_of(db, [site.id])[site.id]
    if attachments is None:
        attachments = attachments_of(db, [site.id])[site.id]
    db.add(
        SiteVersion(
            site_id=site.id,
            version=site.version,
            action=action,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            comment=comment,
            snapshot=snapshot(site, industry_codes, attachments),
        )
    )


# --- reading ----------------------------------------------------------------------------


def list_sites(
    db: Session,
    actor: Actor,
    *,
    municipality_code: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    needs_verification: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Site], int]:
    query = select(Site).where(sites_visible_to(actor))
    if municipality_code:
        query = query.where(Site.municipality_code == municipality_code)
    if status:
        query = query.where(Site.status == status)
    if kind:
        query = query.where(Site.kind == kind)
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Site.name_fi).like(pattern),
                func.lower(Site.name_en).like(pattern),
                func.lower(Site.external_ref).like(pattern),
            )
        )
    if needs_verification:
        query = query.where(Site.stale_flagged_at.is_not(None))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Site.name_fi, Site.id).limit(limit).offset(offset))
    return list(rows), total


def get_site(db: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    site = db.scalar(select(Site).where(Site.id == site_id, sites_visible_to(actor)))
    if site is None:
        # Out-of-scope records answer exactly like missing ones: no existence leak.
        raise NotFound("No such site.")
    return site


def _editable_site(db: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    site = get_site(db, actor, site_id)
    require_municipality_edit(actor, site.municipality_code)
    return site


def site_draft(db: Session, actor: Actor, site_id: uuid.UUID) -> tuple[Site, SiteDraft]:
    site = get_site(db, actor, site_id)
    return site, draft_of(site, industry_codes_of(db, [site.id])[site.id])


def may_read_site_history(actor: Actor, site: Site) -> bool:
    """A site's versions and audit trail are its municipality's internal work (draft
    texts, review comments, who did what): read by those who work on that
    municipality's records, however public the site is today."""
    return can_edit_municipality_records(actor, site.municipality_code)


def _site_with_history(db: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    """The site, if the actor may read its history; refused like a missing site."""
    site = get_site(db, actor, site_id)
    if not may_read_site_history(actor, site):
        raise NotFound("No such site.")
    return site


def site_versions(db: Session, actor: Actor, site_id: uuid.UUID) -> list[SiteVersion]:
    site = _site_with_history(db, actor, site_id)
    query = (
        select(SiteVersion)
        .where(SiteVersion.site_id == site.id)
        .order_by(SiteVersion.version.desc(), SiteVersion.id.desc())
    )
    return list(db.scalars(query))


def review_queue(db: Session, actor: Actor) -> list[Site]:
    """Sites waiting for the coordinator, oldest submission first."""
    require_staff_wide(actor)
    query = (
        select(Site)
        .where(Site.status == SiteStatus.SUBMITTED.value)
        .order_by(Site.submitted_at, Site.id)
    )
    return list(db.scalars(query))


# --- creating and changing ---------------------------------------------------------------


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:90] or "site"


def taken_slugs(db: Session, *prefixes: str) -> set[str]:
    """The slugs in use that start with any of `prefixes`."""
    query = select(Site.slug).where(or_(*(Site.slug.like(f"{prefix}%") for prefix in prefixes)))
    return set(db.scalars(query))


@dataclass(frozen=True)
class Placing:
    """What placing new sites needs from the database, read once for a batch rather
    than once a site: each municipality's slug (what its sites' slugs start with;
    the region's for a code not known) and the active reference points."""

    municipality_slugs: Mapping[str, str]
    region_slug: str
    places: Sequence[Place]

    def slug_base(self, municipality_code: str, name: str) -> str:
        """What a new site's slug starts with: the municipality's slug and the name's,
        "vaasa-satama-alue"."""
        prefix = self.municipality_slugs.get(municipality_code, self.region_slug)
        return f"{prefix}-{_ascii_slug(name)}"


def placing(db: Session) -> Placing:
    # No flush for lookups that pending rows cannot change.
    with db.no_autoflush:
        slugs = {
            code: slug for code, slug in db.execute(select(Municipality.code, Municipality.slug))
        }
        return Placing(slugs, current_region(db).slug, geography.places(db))


def new_slug(placing: Placing, municipality_code: str, name: str, taken: set[str]) -> str:
    """A readable unique slug, "vaasa-satama-alue"; `taken` (the slugs in use that
    start with its `slug_base`, at least) is updated."""
    base = placing.slug_base(municipality_code, name)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def check_valid(db: Session, draft: SiteDraft) -> None:
    municipalities, industries = valid_codes(db)
    errors = validate_site(
        draft,
        municipalities,
        industries,
        region=SiteRegion.of(current_region(db)),
        today=helsinki_today(),
    )
    if errors:
        raise ValidationFailed(errors=errors)


def check_ref_free(db: Session, draft: SiteDraft, site_id: uuid.UUID | None) -> None:
    if draft.external_ref is None:
        return
    query = select(Site.id).where(
        Site.municipality_code == draft.municipality_code, Site.external_ref == draft.external_ref
    )
    other = db.scalar(query)
    if other is not None and other != site_id:
        raise Conflict(
            f"Another site of this municipality already has the reference {draft.external_ref}."
        )


def new_site(db: Session, actor: Actor, draft: SiteDraft, taken: set[str], placed: Placing) -> Site:
    """A draft site from a checked draft (no commit); for this module and packages.
    It has no distances yet: `insert_new_sites` inserts it with them."""
    site = Site(
        id=uuid.uuid4(),
        slug=new_slug(placed, draft.municipality_code, draft.name_fi, taken),
        municipality_code=draft.municipality_code,
        kind=draft.kind.value,
        status=SiteStatus.DRAFT.value,
        version=1,
        name_fi=draft.name_fi,
        created_by_id=actor.user_id,
    )
    db.add(site)
    write_draft(db, site, draft, [])
    return site


def insert_new_sites(db: Session, sites: Sequence[Site], placed: Placing) -> None:
    """Insert sites made by `new_site`, then their distances to the reference points,
    one statement for all (a distance needs its site's row)."""
    db.flush()
    geography.insert_distances(db, sites, placed.places)


def create_site(db: Session, actor: Actor, draft: SiteDraft) -> Site:
    require_municipality_edit(actor, draft.municipality_code)
    check_valid(db, draft)
    check_ref_free(db, draft, None)
    bind_actor(db, actor)
    placed = placing(db)
    site = new_site(db, actor, draft, taken_slugs(db, ""), placed)
    insert_new_sites(db, [site], placed)
    record_change(
        db,
        actor,
        site,
        "create",
        was_public=False,
        industry_codes=draft.industry_codes,
        attachments=[],
    )
    db.commit()
    return site


@dataclass(frozen=True)
class EditOutcome:
    site: Site
    revision: SiteRevision | None  # set when the edit waits for review
    changed: bool


def update_site(
    db: Session,
    actor: Actor,
    site_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Site:
    """Change fields of a site (keys of `SiteDraft`); no change, no new version. A
    municipality's edit of its published site becomes a revision (see `edit_site`)."""
    return edit_site(db, actor, site_id, changes).site


def edit_site(
    db: Session,
    actor: Actor,
    site_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> EditOutcome:
    """Change fields of a site, or propose the change for review when the actor's edits
    of this site wait for the coordinator (`site_revisions.needs_review`)."""
    from app.services import site_revisions  # builds on this module

    site = _editable_site(db, actor, site_id)
    if site.status == SiteStatus.ARCHIVED.value:
        raise Conflict("An archived site cannot be changed.")
    unknown = set(changes) - set(_DRAFT_FIELDS)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "Unknown field.", "unknown_field")
    if site_revisions.needs_review(actor, site):
        return site_revisions.propose_changes(db, actor, site.id, changes)
    before = site.version
    _update_fields(db, actor, site, changes)
    return EditOutcome(site, None, site.version != before)


def _update_fields(db: Session, actor: Actor, site: Site, changes: Mapping[str, Any]) -> None:
    codes = industry_codes_of(db, [site.id])[site.id]
    draft = replace(draft_of(site, codes), **changes)
    require_municipality_edit(actor, draft.municipality_code)
    check_valid(db, draft)
    check_ref_free(db, draft, site.id)
    bind_actor(db, actor)
    was_public = site.status == SiteStatus.PUBLISHED.value
    if write_draft(db, site, draft, codes):
        record_change(db, actor, site, "update", was_public=was_public)
        db.commit()


def verify_site(db: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    """The municipality confirms the site's data is current (today)."""
    site = _editable_site(db, actor, site_id)
    bind_actor(db, actor)
    was_public = site.status == SiteStatus.PUBLISHED.value
    before = site.version
    site.last_verified_on = helsinki_today()
    site.stale_flagged_at = None
    site.expired_at = None
    record_change(db, actor, site, "verify", was_public=was_public)
    from app.services import site_revisions  # builds on this module

    site_revisions.keep_base_current(db, site, before)
    db.commit()
    return site


def transition_site(
    db: Session,
    actor: Actor,
    site_id: uuid.UUID,
    action: str,
    *,
    comment: str | None = None,
) -> Site:
    """submit, publish, return (with a comment), withdraw, archive or reopen."""
    site = _editable_site(db, actor, site_id)
    current = SiteStatus(site.status)
    target = next_status(current, action, actor.sees_everything, comment=comment)
    bind_actor(db, actor)
    now = utcnow()
    if current == SiteStatus.PUBLISHED:
        from app.services import site_revisions  # builds on this module

        site_revisions.drop_revision(db, site.id)
    site.status = target.value
    if action == "submit":
        site.submitted_at = now
    elif action == "publish":
        site.published_at = now
        site.review_comment = None
    elif action == "return":
        site.review_comment = (comment or "").strip()
    if target in (SiteStatus.SUBMITTED, SiteStatus.PUBLISHED) and site.last_verified_on is None:
        # Whoever sends a site on for publication vouches for its data as of today.
        site.last_verified_on = helsinki_today()
    record_change(
        db,
        actor,
        site,
        action,
        was_public=current == SiteStatus.PUBLISHED,
        comment=(comment or "").strip() or None,
    )
    notifications.notify(
        db,
        notices.site_transitioned(
            action=action,
            actor_id=actor.user_id,
            site_id=site.id,
            municipality_code=site.municipality_code,
            comment=comment,
        ),
    )
    db.commit()
    return site


# --- attachments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    storage_key: str
    thumbnail_key: str | None
    width: int | None
    height: int | None


def _thumbnail(data: bytes) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
        image = ImageOps.exif_transpose(opened).convert("RGB")
    width, height = image.size
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue(), width, height


def store_file(storage: Storage, data: bytes, content_type: str, written: list[str]) -> StoredFile:
    """Put an attachment's bytes (and an image's thumbnail) under content-addressed
    keys; keys created now are appended to `written` so a failed transaction can
    remove them again."""
    sha = hashlib.sha256(data).hexdigest()
    key = f"sites/{sha[:2]}/{sha}"
    if storage.put(key, data):
        written.append(key)
    if not content_type.startswith("image/"):
        return StoredFile(sha, key, None, None, None)
    thumb, width, height = _thumbnail(data)
    thumb_key = f"thumbs/{sha[:2]}/{sha}.jpg"
    if storage.put(thumb_key, thumb):
        written.append(thumb_key)
    return StoredFile(sha, key, thumb_key, width, height)


def is_referenced(db: Session, key: str) -> bool:
    query = select(SiteAttachment.id).where(
        or_(SiteAttachment.storage_key == key, SiteAttachment.thumbnail_key == key)
    )
    return db.scalar(query.limit(1)) is not None


@contextmanager
def storage_transaction(db: Session, storage: Storage) -> Iterator[list[str]]:
    """Files first, then the database: when the transaction fails, the files it wrote
    that no attachment refers to are deleted, so nothing is left behind."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        db.rollback()
        for key in written:
            if not is_referenced(db, key):
                storage.delete(key)
        raise


PUBLISHED_FILE_FIXED: Final = N_(
    "A published file's kind and titles are changed by the coordinator. You can remove "
    "the file and add a corrected one for review."
)


def _next_sort_order(attachments: Sequence[SiteAttachment]) -> int:
    return max((a.sort_order for a in attachments), default=-1) + 1


def attachment_row(
    actor: Actor,
    site: Site,
    stored: StoredFile,
    *,
    filename: str,
    content_type: str,
    size: int,
    kind: AttachmentKind,
    title_fi: str | None,
    title_en: str | None,
    sort_order: int,
) -> SiteAttachment:
    return SiteAttachment(
        id=uuid.uuid4(),
        site_id=site.id,
        kind=kind.value,
        title_fi=title_fi,
        title_en=title_en,
        sort_order=sort_order,
        filename=filename[-255:],
        content_type=content_type,
        size_bytes=size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        thumbnail_key=stored.thumbnail_key,
        width=stored.width,
        height=stored.height,
        created_by_id=actor.user_id,
    )


def _clean_title(value: str | None, field_name: str) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > 200:
        raise ValidationFailed.single(
            field_name, "At most 200 characters.", "too_long", {"limit": 200}
        )
    return text


def add_attachment(
    db: Session,
    actor: Actor,
    storage: Storage,
    site_id: uuid.UUID,
    *,
    filename: str,
    data: bytes,
    kind: AttachmentKind | None = None,
    title_fi: str | None = None,
    title_en: str | None = None,
    lang: str = "en",
) -> SiteAttachment:
    site = _editable_site(db, actor, site_id)
    if site.status == SiteStatus.ARCHIVED.value:
        raise Conflict("An archived site cannot be changed.")
    content_type = check_attachment(filename, data, lang=lang)
    is_image = content_type.startswith("image/")
    if kind is AttachmentKind.PHOTO and not is_image:
        raise ValidationFailed.single("kind", "A photo must be a JPEG, PNG or WebP image.", "kind")
    kind = kind or (AttachmentKind.PHOTO if is_image else AttachmentKind.DOCUMENT)
    titles = _clean_title(title_fi, "title_fi"), _clean_title(title_en, "title_en")
    existing = attachments_of(db, [site.id])[site.id]
    pending = list(
        db.scalars(
            select(SiteAttachment).where(
                SiteAttachment.site_id == site.id, SiteAttachment.revision_id.is_not(None)
            )
        )
    )
    sha = hashlib.sha256(data).hexdigest()
    if any(a.sha256 == sha for a in [*existing, *pending]):
        raise ValidationFailed.single(
            "file", "This file is already attached to the site.", "duplicate_attachment"
        )
    bind_actor(db, actor)
    with storage_transaction(db, storage) as written:
        stored = store_file(storage, data, content_type, written)
        attachment = attachment_row(
            actor,
            site,
            stored,
            filename=filename,
            content_type=content_type,
            size=len(data),
            kind=kind,
            title_fi=titles[0],
            title_en=titles[1],
            sort_order=_next_sort_order([*existing, *pending]),
        )
        db.add(attachment)
        from app.services import site_revisions  # builds on this module

        if site_revisions.needs_review(actor, site):
            # Joins the site's revision: public once the coordinator approves it.
            site_revisions.add_file(db, actor, site, attachment)
            db.commit()
            return attachment
        was_public = site.status == SiteStatus.PUBLISHED.value
        record_change(
            db,
            actor,
            site,
            "attachment",
            was_public=was_public,
            attachments=[*existing, attachment],
        )
        db.commit()
    return attachment


def _attachment_for_edit(
    db: Session, actor: Actor, site_id: uuid.UUID, attachment_id: uuid.UUID
) -> tuple[Site, SiteAttachment]:
    site = _editable_site(db, actor, site_id)
    attachment = db.get(SiteAttachment, attachment_id)
    if attachment is None or attachment.site_id != site.id:
        raise NotFound("No such attachment.")
    return site, attachment


def update_attachment(
    db: Session,
    actor: Actor,
    site_id: uuid.UUID,
    attachment_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> SiteAttachment:
    """Change an attachment's kind, titles or sort order."""
    site, attachment = _attachment_for_edit(db, actor, site_id, attachment_id)
    from app.services import site_revisions  # builds on this module

    in_revision = attachment.revision_id is not None
    if not in_revision and site_revisions.needs_review(actor, site):
        raise PermissionDenied(PUBLISHED_FILE_FIXED)
    bind_actor(db, actor)
    if "kind" in changes:
        kind = AttachmentKind(changes["kind"])
        if kind is AttachmentKind.PHOTO and not attachment.content_type.startswith("image/"):
            raise ValidationFailed.single("kind", "A photo must be an image.", "kind")
        attachment.kind = kind.value
    for name in ("title_fi", "title_en"):
        if name in changes:
            setattr(attachment, name, _clean_title(changes[name], name))
    if changes.get("sort_order") is not None:
        attachment.sort_order = int(changes["sort_order"])
    if db.is_modified(attachment):
        if not in_revision:
            was_public = site.status == SiteStatus.PUBLISHED.value
            record_change(db, actor, site, "attachment", was_public=was_public)
        db.commit()
    return attachment


def delete_attachment(
    db: Session, actor: Actor, storage: Storage, site_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    site, attachment = _attachment_for_edit(db, actor, site_id, attachment_id)
    from app.services import site_revisions  # builds on this module

    bind_actor(db, actor)
    if attachment.revision_id is None and site_revisions.needs_review(actor, site):
        # Proposed: the file stays on the portal until the coordinator approves.
        site_revisions.remove_file(db, actor, site, attachment)
        db.commit()
        return
    keys = [k for k in (attachment.storage_key, attachment.thumbnail_key) if k]
    in_revision = attachment.revision_id is not None
    db.delete(attachment)
    db.flush()
    if not in_revision:
        record_change(db, actor, site, "attachment", was_public=site.status == "published")
    db.commit()
    # After the commit: a failed delete leaves an orphan file, never a dangling row.
    for key in keys:
        if not is_referenced(db, key):
            storage.delete(key)


def list_attachments(db: Session, actor: Actor, site_id: uuid.UUID) -> list[SiteAttachment]:
    site = get_site(db, actor, site_id)
    return attachments_of(db, [site.id])[site.id]


def public_cutoff(settings: Settings, today: date | None = None) -> date:
    """Sites last verified on or before this date are off the portal."""
    return add_months(today or helsinki_today(), -settings.site_hidden_after_months)


def attachment_file(
    db: Session,
    actor: Actor | None,
    storage: Storage,
    settings: Settings,
    attachment_id: uuid.UUID,
    *,
    site_id: uuid.UUID | None = None,
    thumbnail: bool = False,
) -> tuple[SiteAttachment, bytes, str]:
    """(attachment, bytes, content type): staff within their scope, anyone else only
    for a site on the public portal. `site_id`, when given, must be the attachment's."""
    visible = sites_visible_to(actor) if actor else sites_public(public_cutoff(settings))
    attachment = db.scalar(
        select(SiteAttachment)
        .join(Site, Site.id == SiteAttachment.site_id)
        .where(SiteAttachment.id == attachment_id, visible)
    )
    if attachment is not None and attachment.revision_id is not None:
        # A file waiting in a revision: for those who work on the site's municipality.
        site = db.get(Site, attachment.site_id)
        if actor is None or site is None or not may_read_site_history(actor, site):
            attachment = None
    if (
        attachment is None
        or (site_id is not None and attachment.site_id != site_id)
        or (thumbnail and attachment.thumbnail_key is None)
    ):
        raise NotFound("No such file.")
    if thumbnail and attachment.thumbnail_key:
        return attachment, storage.get(attachment.thumbnail_key), "image/jpeg"
    return attachment, storage.get(attachment.storage_key), attachment.content_type


# --- freshness ----------------------------------------------------------------------------


def site_freshness(site: Site, settings: Settings, today: date | None = None) -> Freshness:
    return freshness(
        site.last_verified_on,
        today or helsinki_today(),
        settings.site_stale_after_months,
        settings.site_hidden_after_months,
    )


def flag_stale_sites(db: Session, settings: Settings, today: date | None = None) -> dict[str, int]:
    """Flag sites not verified for `site_stale_after_months` to their municipality and
    take published ones off the portal after `site_hidden_after_months`. Running it
    again changes nothing."""
    today = today or helsinki_today()
    stale_before = add_months(today, -settings.site_stale_after_months)
    query = select(Site).where(
        Site.status.in_(_OPEN_STATUSES),
        or_(Site.last_verified_on.is_(None), Site.last_verified_on <= stale_before),
        or_(Site.stale_flagged_at.is_(None), Site.expired_at.is_(None)),
    )
    bind_actor(db, SYSTEM_ACTOR)
    counts = {"flagged": 0, "expired": 0}
    now = utcnow()
    # What this run changed, per municipality: only news is e-mailed.
    news: dict[str, FreshnessNews] = {}
    for site in db.scalars(query.order_by(Site.id)):
        state = site_freshness(site, settings, today)
        if state is Freshness.FRESH:
            continue
        item = news.setdefault(site.municipality_code, FreshnessNews())
        if site.stale_flagged_at is None:
            site.stale_flagged_at = now
            counts["flagged"] += 1
            item.flagged.append(site)
        if state is Freshness.EXPIRED and site.expired_at is None:
            site.expired_at = now
            counts["expired"] += 1
            if site.status == SiteStatus.PUBLISHED.value:
                before = site.version
                record_change(db, SYSTEM_ACTOR, site, "expire", was_public=True)
                from app.services import site_revisions  # builds on this module

                site_revisions.keep_base_current(db, site, before)
                item.hidden.append(site)
    for code, item in sorted(news.items()):
        _tell_municipality(db, settings, code, item, today)
    db.commit()
    return counts


@dataclass
class FreshnessNews:
    flagged: list[Site] = field(default_factory=list)
    hidden: list[Site] = field(default_factory=list)


def municipal_contact_emails(db: Session, municipality_code: str) -> list[str]:
    return list(
        db.scalars(
            select(User.email)
            .where(
                User.role == Role.MUNICIPAL_CONTACT.value,
                User.municipality_code == municipality_code,
                User.is_active.is_(True),
            )
            .order_by(User.email)
        )
    )


def _freshness_text(
    lang: str, settings: Settings, municipality: str, flagged: list[Site], hidden: list[Site]
) -> str:
    def lines(sites: list[Site]) -> str:
        rows = sorted(
            ((s.name_en or s.name_fi) if lang == "en" else s.name_fi, s.id) for s in sites
        )
        return "\n".join(f"- {name}: {settings.base_url}/sites/{id_}" for name, id_ in rows)

    parts = []
    if flagged:
        parts.append(
            translate(
                lang,
                "These sites of %(municipality)s have not been verified for %(months)s months. "
                "Please check their details and mark them verified:",
                municipality=municipality,
                months=settings.site_stale_after_months,
            )
            + "\n"
            + lines(flagged)
        )
    if hidden:
        parts.append(
            translate(
                lang,
                "These sites of %(municipality)s have not been verified for %(months)s months "
                "and were taken off the public portal. Verifying a site brings it back:",
                municipality=municipality,
                months=settings.site_hidden_after_months,
            )
            + "\n"
            + lines(hidden)
        )
    return "\n\n".join(parts)


def _tell_municipality(
    db: Session, settings: Settings, code: str, news: FreshnessNews, today: date
) -> None:
    """One message in Finnish and English to the municipality's contacts (or the
    coordinator when it has none) about the sites this run flagged or hid."""
    hidden = {s.id for s in news.hidden}
    flagged = [s for s in news.flagged if s.id not in hidden]
    if not flagged and not news.hidden:
        return
    recipients = municipal_contact_emails(db, code)
    if not recipients and settings.coordinator_email:
        recipients = [settings.coordinator_email]
    if not recipients:
        return
    municipality = db.get(Municipality, code)
    names = {
        "fi": municipality.name_fi if municipality else code,
        "en": municipality.name_en if municipality else code,
    }
    subject = " / ".join(
        translate(lang, "Sites of %(municipality)s need verification", municipality=names[lang])
        for lang in ("fi", "en")
    )
    body = "\n\n---\n\n".join(
        _freshness_text(lang, settings, names[lang], flagged, news.hidden) for lang in ("fi", "en")
    )
    queue_email(
        db,
        to=recipients,
        subject=subject,
        body_text=body,
        reference=f"site-freshness:{code}:{today.isoformat()}",
    )


# --- the public portal's view -----------------------------------------------------------


@dataclass(frozen=True)
class PublicSiteFilters:
    municipality_code: str | None = None
    industry_code: str | None = None
    # The industry's branches when the caller knows them (the portal's region does):
    # the filter then names every code, so PostgreSQL can estimate how many sites match
    # and choose a plan to suit (for a subquery it guesses, often badly).
    industry_branches: tuple[str, ...] | None = None
    kind: str | None = None
    min_area_ha: Decimal | None = None
    max_area_ha: Decimal | None = None
    min_power_mw: Decimal | None = None
    rail_siding: bool = False
    zoning_status: str | None = None
    q: str | None = None
    # Available on this day (no date given, or from it or earlier).
    available_on: date | None = None
    # Within a radius of a point: (latitude, longitude, kilometres).
    near: tuple[float, float, float] | None = None
    # Open data (OGC API): a WGS84 box (west, south, east, north; west > east crosses
    # the antimeridian) and a window, both ends inclusive, on the last public change.
    bbox: tuple[float, float, float, float] | None = None
    changed_from: datetime | None = None
    changed_until: datetime | None = None
    sort: str = "newest"  # a key of PUBLIC_SORTS, or "distance" with `near`
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PublicSite:
    site: Site
    industry_codes: list[str]
    attachments: list[SiteAttachment]  # photos, documents and maps in display order
    # From the search's centre, when the search has one.
    distance_m: int | None = None
    # The stored distances to the nearest reference points, (kind, point code, metres);
    # read for a single site's page only.
    distances: tuple[tuple[str, str, int], ...] = ()


def _public_query(
    settings: Settings, filters: PublicSiteFilters, today: date | None
) -> Select[Site]:
    query = select(Site).where(sites_public(public_cutoff(settings, today)))
    if filters.municipality_code:
        query = query.where(Site.municipality_code == filters.municipality_code)
    if filters.kind:
        query = query.where(Site.kind == filters.kind)
    if filters.industry_code:
        # A main industry (bioeconomy) covers its branches (forest bioeconomy, food, …).
        codes: Any = (
            [filters.industry_code, *filters.industry_branches]
            if filters.industry_branches is not None
            else select(Industry.code).where(
                or_(
                    Industry.code == filters.industry_code,
                    Industry.parent_code == filters.industry_code,
                )
            )
        )
        query = query.where(
            Site.id.in_(select(SiteIndustry.site_id).where(SiteIndustry.industry_code.in_(codes)))
        )
    if filters.min_area_ha is not None:
        query = query.where(Site.area_ha >= float(filters.min_area_ha))
    if filters.max_area_ha is not None:
        query = query.where(Site.area_ha <= float(filters.max_area_ha))
    if filters.min_power_mw is not None:
        query = query.where(Site.available_power_mw >= float(filters.min_power_mw))
    if filters.rail_siding:
        query = query.where(Site.rail_siding.is_(True))
    if filters.zoning_status:
        query = query.where(Site.zoning_status == filters.zoning_status)
    if filters.available_on is not None:
        query = query.where(
            or_(Site.available_from.is_(None), Site.available_from <= filters.available_on)
        )
    if filters.near is not None:
        # A box around the circle narrows the rows; `_within` keeps those in the circle.
        min_lat, max_lat, min_lon, max_lon = bounding_box(*filters.near)
        query = query.where(
            Site.latitude.between(min_lat, max_lat), Site.longitude.between(min_lon, max_lon)
        )
    if filters.q and filters.q.strip():
        pattern = f"%{_escape_like(filters.q.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(Site.name_fi).like(pattern, escape="\\"),
                func.lower(Site.name_en).like(pattern, escape="\\"),
            )
        )
    if filters.bbox is not None:
        west, south, east, north = filters.bbox
        longitude = (
            Site.longitude.between(west, east)
            if west <= east
            else or_(Site.longitude >= west, Site.longitude <= east)
        )
        query = query.where(longitude, Site.latitude.between(south, north))
    if filters.changed_from is not None:
        query = query.where(Site.public_changed_at >= filters.changed_from)
    if filters.changed_until is not None:
        query = query.where(Site.public_changed_at <= filters.changed_until)
    return query


def public_sites(
    db: Session, settings: Settings, filters: PublicSiteFilters, *, today: date | None = None
) -> tuple[list[PublicSite], int]:
    """Published sites verified recently enough, in the filters' order, with their
    industries and attachments: at most four statements however many sites there are."""
    ids, total, near = _ranked(db, settings, filters, today)
    position = {site_id: index for index, site_id in enumerate(ids)}
    rows = sorted(
        db.execute(select(Site, _industry_codes).where(Site.id.in_(ids))).all(),
        key=lambda row: position[row[0].id],
    )
    found = _public(db, rows)
    if near is not None:
        found = [replace(p, distance_m=near[p.site.id]) for p in found]
    return found, total


@dataclass(frozen=True, slots=True)
class SiteSummary:
    """What a site's card in a list shows, read as plain columns (no ORM object)."""

    id: uuid.UUID
    slug: str
    kind: str
    municipality_code: str
    name_fi: str
    name_en: str | None
    area_ha: float | None
    available_power_mw: float | None
    rail_siding: bool | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class CardPhoto:
    id: uuid.UUID
    thumbnail_key: str | None


@dataclass(frozen=True)
class SiteCard:
    site: SiteSummary
    industry_codes: list[str]
    photo: CardPhoto | None  # the first photo in display order
    # From the search's centre, when the search has one.
    distance_m: int | None = None


def _first_photo(column: Any) -> Any:
    return (
        select(column)
        .where(
            SiteAttachment.site_id == Site.id,
            SiteAttachment.kind == AttachmentKind.PHOTO.value,
            SiteAttachment.revision_id.is_(None),
        )
        .order_by(SiteAttachment.sort_order, SiteAttachment.created_at, SiteAttachment.id)
        .limit(1)
        .scalar_subquery()
    )


_SUMMARY_COLUMNS = tuple(getattr(Site, f.name) for f in fields(SiteSummary))


def public_site_cards(
    db: Session, settings: Settings, filters: PublicSiteFilters, *, today: date | None = None
) -> tuple[list[SiteCard], int]:
    """A page of the portal's site cards in the filters' order and how many sites match:
    the page's ids, then their cards with industries and first photo in one statement
    (and a count only when the page does not tell the total)."""
    ids, total, near = _ranked(db, settings, filters, today)
    if not ids:
        return [], total
    rows = db.execute(
        select(
            *_SUMMARY_COLUMNS,
            _industry_codes,
            _first_photo(SiteAttachment.id),
            _first_photo(SiteAttachment.thumbnail_key),
        ).where(Site.id.in_(ids))
    )
    width = len(_SUMMARY_COLUMNS)
    cards = {
        row[0]: SiteCard(
            SiteSummary(*row[:width]),
            sorted(codes.split(",")) if codes else [],
            CardPhoto(photo_id, thumbnail) if photo_id is not None else None,
            near[row[0]] if near is not None else None,
        )
        for row in rows
        for codes, photo_id, thumbnail in [row[width:]]
    }
    return [cards[site_id] for site_id in ids], total


def _ranked(
    db: Session, settings: Settings, filters: PublicSiteFilters, today: date | None
) -> tuple[list[uuid.UUID], int, dict[uuid.UUID, int] | None]:
    """The ids of the filters' page in order, how many sites match, and with a centre
    each matching site's distance from it. Only the ids are sorted (a narrow row, read
    in order from an index where one serves); the matches are counted only when the
    page cannot tell how many there are (a full page, or an empty one past the first)."""
    query = _public_query(settings, filters, today)
    near = _within(db, query, filters)
    order: tuple[Any, ...] = PUBLIC_SORTS.get(filters.sort, PUBLIC_SORTS["newest"])
    if near is not None:
        query = query.where(Site.id.in_(list(near)))
        if filters.sort == "distance" and near:
            ranked = sorted(near, key=lambda site_id: (near[site_id], str(site_id)))
            order = (case({site_id: rank for rank, site_id in enumerate(ranked)}, value=Site.id),)
    page = query.with_only_columns(Site.id).order_by(*order, Site.id)
    ids = list(db.scalars(page.limit(filters.limit).offset(filters.offset)))
    if near is not None:
        total = len(near)
    elif 0 < len(ids) < filters.limit or (not ids and filters.offset == 0):
        total = filters.offset + len(ids)
    else:
        total = db.scalar(query.with_only_columns(func.count())) or 0
    return ids, total, near


def _within(
    db: Session, query: Select[Site], filters: PublicSiteFilters
) -> dict[uuid.UUID, int] | None:
    """With a centre and radius, the matching sites inside the circle and their geodesic
    distance from its centre (metres); None without one."""
    if filters.near is None:
        return None
    lat, lon, radius_km = filters.near
    located = query.with_only_columns(Site.id, Site.latitude, Site.longitude)
    rows = [
        (site_id, float(a), float(b))
        for site_id, a, b in db.execute(located)
        if a is not None and b is not None
    ]
    return geography.within(rows, lat, lon, radius_km)


# Orders of the public site list; the site id breaks ties so pages never overlap.
PUBLIC_SORTS: Final[Mapping[str, tuple[Any, ...]]] = {
    "newest": (Site.published_at.desc().nulls_last(),),
    "name": (Site.name_fi,),
    "area_desc": (Site.area_ha.desc().nulls_last(),),
    "area_asc": (Site.area_ha.asc().nulls_last(),),
    "power_desc": (Site.available_power_mw.desc().nulls_last(),),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class PublicSitePoint:
    slug: str
    name_fi: str
    name_en: str | None
    latitude: float
    longitude: float


def public_site_points(
    db: Session,
    settings: Settings,
    filters: PublicSiteFilters,
    *,
    limit: int = 1000,
    today: date | None = None,
) -> list[PublicSitePoint]:
    """Where every site matching the filters lies (all pages at once), for a map."""
    located = _public_query(settings, filters, today).where(
        Site.latitude.is_not(None), Site.longitude.is_not(None)
    )
    near = _within(db, located, filters)
    if near is not None:
        located = located.where(Site.id.in_(list(near)))
    # The filters on the rows themselves: an `id IN (…)` of them walks the slug index
    # and looks every site up by id.
    query = (
        located.with_only_columns(
            Site.slug, Site.name_fi, Site.name_en, Site.latitude, Site.longitude
        )
        .order_by(Site.slug)
        .limit(limit)
    )
    return [
        PublicSitePoint(slug, name_fi, name_en, float(lat), float(lon))
        for slug, name_fi, name_en, lat, lon in db.execute(query)
        if lat is not None and lon is not None
    ]


def public_site_counts(
    db: Session, settings: Settings, *, today: date | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """How many sites the portal shows per municipality and per key industry."""
    visible = sites_public(public_cutoff(settings, today))
    by_municipality = {
        code: int(n)
        for code, n in db.execute(
            select(Site.municipality_code, func.count())
            .where(visible)
            .group_by(Site.municipality_code)
        )
    }
    by_industry = {
        code: int(n)
        for code, n in db.execute(
            select(SiteIndustry.industry_code, func.count())
            .join(Site, Site.id == SiteIndustry.site_id)
            .where(visible)
            .group_by(SiteIndustry.industry_code)
        )
    }
    return by_municipality, by_industry


def public_site_index(
    db: Session, settings: Settings, *, today: date | None = None
) -> list[tuple[str, datetime | None]]:
    """(slug, last public change) of every site on the portal, for the sitemap."""
    query = (
        select(Site.slug, Site.public_changed_at)
        .where(sites_public(public_cutoff(settings, today)))
        .order_by(Site.slug)
    )
    return [(slug, changed) for slug, changed in db.execute(query)]


def public_changed_at(db: Session) -> datetime | None:
    """When anything the public sees of any site last changed (content caching)."""
    return db.scalar(select(func.max(Site.public_changed_at)))


def public_site(
    db: Session, settings: Settings, slug: str, *, today: date | None = None
) -> PublicSite:
    row = db.execute(
        select(Site, _industry_codes, _distances).where(
            Site.slug == slug, sites_public(public_cutoff(settings, today))
        )
    ).first()
    if row is None:
        raise NotFound("No such site.")
    site, codes, distances = row
    return replace(_public(db, [(site, codes)])[0], distances=_parse_distances(distances))


def public_sites_by_slug(
    db: Session, settings: Settings, slugs: Sequence[str], *, today: date | None = None
) -> list[PublicSite]:
    """The sites of `slugs` that are on the portal, in the order given; the others
    (never public, withdrawn, no longer verified) are left out, each with its stored
    distances. One statement for the sites, one for their attachments."""
    if not slugs:
        return []
    rows = db.execute(
        select(Site, _industry_codes, _distances).where(
            Site.slug.in_(slugs), sites_public(public_cutoff(settings, today))
        )
    ).all()
    position = {slug: index for index, slug in enumerate(slugs)}
    rows = sorted(rows, key=lambda r: position[r[0].slug])
    found = _public(db, [(site, codes) for site, codes, _ in rows])
    return [
        replace(item, distances=_parse_distances(distances))
        for item, (_, _, distances) in zip(found, rows, strict=True)
    ]


def former_public_site(
    db: Session, settings: Settings, slug: str, *, today: date | None = None
) -> Site | None:
    """A site that was on the portal and has left it (withdrawn, archived, or no longer
    verified), so the portal can answer "gone" instead of "never existed"."""
    return db.scalar(
        select(Site).where(
            Site.slug == slug,
            Site.published_at.is_not(None),
            ~sites_public(public_cutoff(settings, today)),
        )
    )


# A site's industry codes as one column of its own row ("a,b"): no statement of their own.
_industry_codes = (
    select(func.aggregate_strings(SiteIndustry.industry_code, ","))
    .where(SiteIndustry.site_id == Site.id)
    .scalar_subquery()
)


# A site's distances the same way ("kind:point:metres;…"); codes hold no ':' or ';'.
_distances = (
    select(
        func.aggregate_strings(
            SiteDistance.kind
            + ":"
            + SiteDistance.point_code
            + ":"
            + cast(SiteDistance.distance_m, String),
            ";",
        )
    )
    .where(SiteDistance.site_id == Site.id)
    .scalar_subquery()
)


def _parse_distances(text: str | None) -> tuple[tuple[str, str, int], ...]:
    parts = (item.split(":") for item in (text or "").split(";") if item)
    return tuple((kind, code, int(metres)) for kind, code, metres in parts)


def _public(db: Session, rows: Sequence[tuple[Site, str | None]]) -> list[PublicSite]:
    """The sites of `rows` (each with its industry codes) and their attachments."""
    files = attachments_of(db, [site.id for site, _codes in rows])
    return [
        PublicSite(site, sorted(codes.split(",")) if codes else [], files[site.id])
        for site, codes in rows
    ]


def _check_site_access(db: Session, actor: Actor, entity_id: str) -> None:
    _site_with_history(db, actor, parse_uuid(entity_id))


register_access_check("sites", _check_site_access)


# How a workflow action reads in the refusal "A site in status … cannot …".
register_labels(
    "site_transition",
    {
        "submit": N_("be submitted for review"),
        "publish": N_("be published"),
        "return": N_("be returned for changes"),
        "withdraw": N_("be withdrawn from the portal"),
        "archive": N_("be archived"),
        "reopen": N_("be reopened for editing"),
    },
)
register_field_errors(
    {
        ("duplicate_attachment", "file"): N_("This file is already attached to the site."),
        ("kind", "kind"): N_("This kind of file cannot be attached as that kind."),
        "incomplete_location": N_("Give both coordinates of the location."),
        "invalid_text": N_("The text contains control characters, which are not allowed."),
        "unknown_municipality": N_(
            "Unknown or not permitted municipality %(value)s. Allowed: %(allowed)s."
        ),
        "unknown_industry": N_("Unknown industry code %(value)s."),
        "area_mismatch": N_(
            "The areas do not match: %(ha)s ha is %(expected)s m², but %(m2)s m² was given."
        ),
        "invalid_phone": N_("The phone number %(value)s is not valid (digits, spaces, + and -)."),
        "outside_region": N_("The location %(lat)s, %(lon)s (WGS84) is not in %(region)s."),
        "coordinates_swapped": N_(
            "The location %(lat)s, %(lon)s is not in %(region)s; latitude and longitude "
            "appear to be swapped."
        ),
        "invalid_polygon": N_(
            "Every ring of the boundary must be closed and have at least 4 points."
        ),
        "polygon_outside_region": N_("The boundary point %(lat)s, %(lon)s is not in %(region)s."),
        "polygon_not_valid": N_("The boundary is not a valid polygon: %(reason)s."),
        "polygon_area_mismatch": N_(
            "The boundary encloses %(area)s ha, far from the stated area of %(stated)s ha."
        ),
        "polygon_too_large": N_("The boundary encloses %(area)s ha; a site is at most %(max)s ha."),
        "in_future": N_("The date %(value)s is in the future."),
        "unknown_action": N_("Unknown action %(value)s."),
        "invalid_transition": N_("A site in status “%(site_status)s” cannot %(site_transition)s."),
        # "out_of_range" and "invalid_email" are shared codes whose shared messages do
        # not fit the site fields; "too_long" and "required" do.
        **{
            ("out_of_range", name): N_(
                "The value %(value)s must be at least %(min)s and below %(max)s %(unit)s."
            )
            for name in RANGES
        },
        ("invalid_email", "contact_email"): N_("The e-mail address %(value)s is not valid."),
    }
)
