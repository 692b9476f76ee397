"""Revisions of published sites: an edit by the site's municipality waits for review.

A municipal contact's edit of a published site (from the form, the API or a site
package) does not change the site: it becomes the site's one open revision, holding
the proposed values of the fields that differ from the published version, and the files
it adds (attachments marked with the revision's id) or removes. The site row — what the
portal, the feeds and syndication read — stays the published version until the
coordinator approves the revision; returning it (with a comment) leaves the published
version untouched and the revision with the municipality to edit and resubmit.

Approving applies the revision through the same path as a direct edit (`write_draft`
and `record_change`), so the site gets a new version, the public-change hook fires
(syndication event, feed validators) and the audit log records the field changes.
The coordinator's own edits of a published site apply at once (audited like any edit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Site, SiteAttachment, SiteRevision, User
from app.domain import notifications as notices
from app.domain.access import Actor, require_municipality_edit, require_staff_wide
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.sites import SiteDraft, SiteStatus, polygon_geojson, site_error
from app.i18n import N_, register_labels
from app.services import notifications
from app.services import sites as site_service
from app.services.audit import parse_uuid, register_access_check
from app.services.sites import EditOutcome
from app.storage import Storage

PENDING: Final = "pending"
RETURNED: Final = "returned"

_FIELDS: Final = tuple(f.name for f in fields(SiteDraft))
_DATES: Final = frozenset({"available_from", "last_verified_on"})

# Refusals people read: translated by the pages that show them.
STALE_BASE: Final = N_(
    "The published site has changed since this revision was proposed. Return it so the "
    "municipality can check it against the current published version."
)
SEEN_OUTDATED: Final = N_(
    "The revision was changed after you opened it. Look at the changes again before deciding."
)
NOT_PENDING: Final = N_(
    "This revision was returned to the municipality; it is not waiting for review."
)
NO_REVISION: Final = N_("This site has no change waiting for review.")

register_labels("revision_status", {PENDING: N_("Waiting for review"), RETURNED: N_("Returned")})


# --- values in JSON form ----------------------------------------------------------------


def encode(name: str, value: Any) -> Any:
    """A draft field's value as it is kept in `SiteRevision.changes`."""
    if value is None:
        return None
    if name == "polygon":
        return polygon_geojson(value)
    if name == "industry_codes":
        return sorted(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode(name: str, raw: Any) -> Any:
    """The draft field's value of a kept JSON value (the inverse of `encode`)."""
    if raw is None:
        return None
    if name == "polygon":
        return tuple(
            tuple((float(lon), float(lat)) for lon, lat in ring) for ring in raw["coordinates"]
        )
    if name == "industry_codes":
        return tuple(raw)
    enum = site_service.ENUMS.get(name)
    if enum is not None:
        return enum(raw)
    if name in site_service.DECIMALS:
        return Decimal(raw)
    if name in _DATES:
        return date.fromisoformat(raw)
    if name in ("latitude", "longitude"):
        return float(raw)
    return raw


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "industry_codes":
        return set(old or ()) == set(new or ())
    return bool(old == new)


def proposed_draft(published: SiteDraft, revision: SiteRevision | None) -> SiteDraft:
    """The site as the revision would make it."""
    if revision is None:
        return published
    values = {name: decode(name, raw) for name, raw in revision.changes.items() if name in _FIELDS}
    return replace(published, **values)


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any  # the draft's value types: Decimal, enum, date, tuple of codes, …
    new: Any


@dataclass(frozen=True)
class RevisionView:
    """A revision with its diff against the site's published version."""

    site: Site
    revision: SiteRevision
    changes: list[FieldChange]
    added: list[SiteAttachment]
    removed: list[SiteAttachment]
    proposed_by: str  # the person's name, for people to read

    @property
    def stale(self) -> bool:
        return self.revision.base_version != self.site.version


def _diff(published: SiteDraft, proposed: SiteDraft) -> list[FieldChange]:
    return [
        FieldChange(name, getattr(published, name), getattr(proposed, name))
        for name in _FIELDS
        if not _same(name, getattr(published, name), getattr(proposed, name))
    ]


def _open_revision(db: Session, site_id: uuid.UUID, *, lock: bool = False) -> SiteRevision | None:
    query = select(SiteRevision).where(SiteRevision.site_id == site_id)
    return db.scalar(query.with_for_update() if lock else query)


def revision_files(db: Session, revision: SiteRevision) -> list[SiteAttachment]:
    """Files the revision adds, in display order."""
    query = (
        select(SiteAttachment)
        .where(SiteAttachment.revision_id == revision.id)
        .order_by(SiteAttachment.sort_order, SiteAttachment.created_at, SiteAttachment.id)
    )
    return list(db.scalars(query))


def _view(db: Session, site: Site, revision: SiteRevision) -> RevisionView:
    published = site_service.draft_of(site, site_service.industry_codes_of(db, [site.id])[site.id])
    removed_ids = set(revision.removed_attachment_ids or [])
    current = site_service.attachments_of(db, [site.id])[site.id]
    name = (
        db.scalar(select(User.full_name).where(User.id == revision.proposed_by_id))
        if revision.proposed_by_id
        else None
    )
    return RevisionView(
        site=site,
        revision=revision,
        changes=_diff(published, proposed_draft(published, revision)),
        added=revision_files(db, revision),
        removed=[a for a in current if str(a.id) in removed_ids],
        proposed_by=name or revision.proposed_by_label,
    )


def site_revision(db: Session, actor: Actor, site: Site) -> RevisionView | None:
    """The site's open revision, for those who work on the municipality's records."""
    if not site_service.may_read_site_history(actor, site):
        return None
    revision = _open_revision(db, site.id)
    return _view(db, site, revision) if revision else None


def get_site_revision(db: Session, actor: Actor, site_id: uuid.UUID) -> RevisionView:
    view = site_revision(db, actor, site_service.get_site(db, actor, site_id))
    if view is None:
        raise NotFound(NO_REVISION)
    return view


def pending_revisions(db: Session, actor: Actor) -> list[RevisionView]:
    """Revisions waiting for the coordinator, oldest submission first."""
    require_staff_wide(actor)
    rows = db.execute(
        select(Site, SiteRevision)
        .join(SiteRevision, SiteRevision.site_id == Site.id)
        .where(SiteRevision.status == PENDING)
        .order_by(SiteRevision.submitted_at, SiteRevision.id)
    )
    return [_view(db, site, revision) for site, revision in rows]


def returned_revisions(db: Session, actor: Actor) -> list[RevisionView]:
    """Revisions returned to the actor's municipality (every one for the coordinator)."""
    query = (
        select(Site, SiteRevision)
        .join(SiteRevision, SiteRevision.site_id == Site.id)
        .where(SiteRevision.status == RETURNED)
        .order_by(SiteRevision.reviewed_at, SiteRevision.id)
    )
    if not actor.sees_everything:
        if actor.municipality_code is None:
            return []
        query = query.where(Site.municipality_code == actor.municipality_code)
    return [_view(db, site, revision) for site, revision in db.execute(query)]


# --- proposing --------------------------------------------------------------------------


def needs_review(actor: Actor, site: Site) -> bool:
    """Whether the actor's edit of `site` waits for the coordinator: a published site
    edited by its municipality. The coordinator's and admins' edits apply at once."""
    return site.status == SiteStatus.PUBLISHED.value and not actor.sees_everything


def _locked_site(db: Session, site_id: uuid.UUID) -> Site:
    # The site row's lock orders every writer of a site's revision (edit, approve).
    site = db.scalar(select(Site).where(Site.id == site_id).with_for_update())
    if site is None:
        raise NotFound("No such site.")
    return site


def _revision_for_edit(db: Session, actor: Actor, site: Site) -> SiteRevision:
    """The site's open revision, created when there is none (no commit). The reviewers
    hear of it when it starts waiting for them: new, or resubmitted after a return."""
    revision = _open_revision(db, site.id, lock=True)
    now = utcnow()
    if revision is None or revision.status != PENDING:
        notifications.notify(
            db,
            notices.site_revision_changed(
                action="submit",
                actor_id=actor.user_id,
                site_id=site.id,
                municipality_code=site.municipality_code,
            ),
        )
    if revision is None:
        revision = SiteRevision(
            id=uuid.uuid4(),
            site_id=site.id,
            status=PENDING,
            base_version=site.version,
            number=1,
            changes={},
            removed_attachment_ids=[],
            proposed_by_id=actor.user_id,
            proposed_by_label=actor.label,
            submitted_at=now,
        )
        db.add(revision)
        return revision
    # An edit (re)submits the revision, rebased on the published version it now shows.
    revision.number += 1
    revision.status = PENDING
    revision.base_version = site.version
    revision.proposed_by_id = actor.user_id
    revision.proposed_by_label = actor.label
    revision.submitted_at = now
    return revision


def propose(db: Session, actor: Actor, site: Site, proposed: SiteDraft) -> SiteRevision | None:
    """Make `proposed` the site's open revision (no commit); None when it equals the
    published version and there is no revision to resubmit. Checked like a direct edit."""
    require_municipality_edit(actor, site.municipality_code)
    require_municipality_edit(actor, proposed.municipality_code)
    site_service.check_valid(db, proposed)
    site_service.check_ref_free(db, proposed, site.id)
    published = site_service.draft_of(site, site_service.industry_codes_of(db, [site.id])[site.id])
    changes = {c.field: encode(c.field, c.new) for c in _diff(published, proposed)}
    existing = _open_revision(db, site.id, lock=True)
    if existing is None and not changes:
        return None
    if (
        existing is not None
        and not changes
        and not existing.removed_attachment_ids
        and not revision_files(db, existing)
    ):
        # Edited back to the published version: nothing is left to review.
        bind_actor(db, actor)
        db.delete(existing)
        db.flush()
        return None
    if (
        existing is not None
        and existing.status == PENDING
        and existing.changes == changes
        and existing.base_version == site.version
    ):
        return existing
    bind_actor(db, actor)
    revision = _revision_for_edit(db, actor, site)
    revision.changes = changes
    return revision


def propose_changes(
    db: Session, actor: Actor, site_id: uuid.UUID, changes: Mapping[str, Any]
) -> EditOutcome:
    """An edit of a published site by its municipality: the fields of `changes`
    (`SiteDraft` keys) on top of the open revision, if any."""
    site = site_service.get_site(db, actor, site_id)
    require_municipality_edit(actor, site.municipality_code)
    site = _locked_site(db, site.id)
    published = site_service.draft_of(site, site_service.industry_codes_of(db, [site.id])[site.id])
    current = _open_revision(db, site.id, lock=True)
    before = (current.number, current.status) if current else None
    proposed = replace(proposed_draft(published, current), **changes)
    revision = propose(db, actor, site, proposed)
    if revision is None:
        changed = current is not None  # the proposal was edited away
    else:
        changed = (revision.number, revision.status) != before
    if changed:
        _commit(db)
    return EditOutcome(site, revision, changed)


def _commit(db: Session) -> None:
    try:
        db.commit()
    except IntegrityError:
        # Two first edits of the same site at once: one revision per site.
        db.rollback()
        raise Conflict(
            "Another change of this site was proposed at the same time; reload and try again."
        ) from None


def add_file(db: Session, actor: Actor, site: Site, attachment: SiteAttachment) -> None:
    """A file added by a municipality to its published site joins the revision (no commit)."""
    bind_actor(db, actor)
    revision = _revision_for_edit(db, actor, _locked_site(db, site.id))
    attachment.revision_id = revision.id


def remove_file(db: Session, actor: Actor, site: Site, attachment: SiteAttachment) -> None:
    """Removing a published file of a published site is proposed, not done (no commit)."""
    bind_actor(db, actor)
    revision = _revision_for_edit(db, actor, _locked_site(db, site.id))
    ids = list(revision.removed_attachment_ids or [])
    if str(attachment.id) not in ids:
        revision.removed_attachment_ids = [*ids, str(attachment.id)]


# --- reviewing --------------------------------------------------------------------------


def _pending_for_review(
    db: Session, actor: Actor, site_id: uuid.UUID, seen: int | None
) -> tuple[Site, SiteRevision]:
    require_staff_wide(actor)
    site = _locked_site(db, site_service.get_site(db, actor, site_id).id)
    revision = _open_revision(db, site.id, lock=True)
    if revision is None:
        # Approved or discarded by someone else a moment ago.
        raise Conflict(NO_REVISION)
    if revision.status != PENDING:
        raise Conflict(NOT_PENDING)
    if seen is not None and seen != revision.number:
        raise Conflict(SEEN_OUTDATED)
    return site, revision


def approve(
    db: Session,
    actor: Actor,
    storage: Storage,
    site_id: uuid.UUID,
    *,
    seen: int | None = None,
) -> Site:
    """The revision becomes the published version. Refused when the published version
    changed after the revision was based on it, or the revision after `seen`."""
    site, revision = _pending_for_review(db, actor, site_id, seen)
    if revision.base_version != site.version:
        raise Conflict(STALE_BASE)
    codes = site_service.industry_codes_of(db, [site.id])[site.id]
    proposed = proposed_draft(site_service.draft_of(site, codes), revision)
    site_service.check_valid(db, proposed)
    site_service.check_ref_free(db, proposed, site.id)
    bind_actor(db, actor)
    site_service.write_draft(db, site, proposed, codes)
    removed = set(revision.removed_attachment_ids or [])
    storage_keys: list[str] = []
    for attachment in site_service.attachments_of(db, [site.id])[site.id]:
        if str(attachment.id) in removed:
            storage_keys += [k for k in (attachment.storage_key, attachment.thumbnail_key) if k]
            db.delete(attachment)
    for attachment in revision_files(db, revision):
        attachment.revision_id = None
    db.delete(revision)
    db.flush()
    site_service.record_change(db, actor, site, "revision", was_public=True)
    notifications.notify(
        db,
        notices.site_revision_changed(
            action="approve",
            actor_id=actor.user_id,
            site_id=site.id,
            municipality_code=site.municipality_code,
        ),
    )
    db.commit()
    _delete_unreferenced(db, storage, storage_keys)
    return site


def _delete_unreferenced(db: Session, storage: Storage, keys: Sequence[str]) -> None:
    # After the commit: a failed delete leaves an orphan file, never a dangling row.
    for key in keys:
        if not site_service.is_referenced(db, key):
            storage.delete(key)


def return_revision(
    db: Session, actor: Actor, site_id: uuid.UUID, comment: str | None, *, seen: int | None = None
) -> SiteRevision:
    """Back to the municipality with the coordinator's comment; the published version
    stays as it is."""
    text = (comment or "").strip()
    if not text:
        raise ValidationFailed(
            errors=[site_error("comment", "required")], detail="A comment is required."
        )
    site, revision = _pending_for_review(db, actor, site_id, seen)
    bind_actor(db, actor)
    revision.status = RETURNED
    revision.review_comment = text
    revision.reviewed_by_id = actor.user_id
    revision.reviewed_at = utcnow()
    notifications.notify(
        db,
        notices.site_revision_changed(
            action="return",
            actor_id=actor.user_id,
            site_id=site.id,
            municipality_code=site.municipality_code,
            comment=text,
        ),
    )
    db.commit()
    return revision


def discard(db: Session, actor: Actor, storage: Storage, site_id: uuid.UUID) -> Site:
    """The municipality (or the coordinator) drops the proposal and the files it added."""
    site = site_service.get_site(db, actor, site_id)
    require_municipality_edit(actor, site.municipality_code)
    site = _locked_site(db, site.id)
    revision = _open_revision(db, site.id, lock=True)
    if revision is None:
        raise NotFound(NO_REVISION)
    bind_actor(db, actor)
    keys: list[str] = []
    for attachment in revision_files(db, revision):
        keys += [k for k in (attachment.storage_key, attachment.thumbnail_key) if k]
        db.delete(attachment)
    db.delete(revision)
    db.commit()
    _delete_unreferenced(db, storage, keys)
    return site


def pending_file_ids(db: Session, site_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Ids of files that wait in a revision, of the given sites."""
    if not site_ids:
        return set()
    query = select(SiteAttachment.id).where(
        SiteAttachment.site_id.in_(site_ids), SiteAttachment.revision_id.is_not(None)
    )
    return set(db.scalars(query))


def keep_base_current(db: Session, site: Site, before: int) -> None:
    """A change that leaves the site's content as it was (a verification, the freshness
    job taking it off the portal) does not make the open revision stale (no commit)."""
    revision = _open_revision(db, site.id)
    if revision is not None and revision.base_version == before:
        revision.base_version = site.version


def drop_revision(db: Session, site_id: uuid.UUID) -> None:
    """A site leaving publication (withdrawn, archived) drops its proposal: its next
    publication is reviewed as a whole anyway. The files the proposal added stay on
    the site, which is no longer public (no commit)."""
    revision = _open_revision(db, site_id, lock=True)
    if revision is None:
        return
    for attachment in revision_files(db, revision):
        attachment.revision_id = None
    db.delete(revision)
    db.flush()


def _check_revision_access(db: Session, actor: Actor, entity_id: str) -> None:
    revision = db.get(SiteRevision, parse_uuid(entity_id))
    if revision is None:
        raise NotFound("No such record.")
    site = site_service.get_site(db, actor, revision.site_id)
    if not site_service.may_read_site_history(actor, site):
        raise NotFound("No such record.")


register_access_check("site_revisions", _check_revision_access)
