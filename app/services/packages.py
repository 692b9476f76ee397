"""Site packages: dry run (a stored report), then an all-or-nothing apply by report id.

A package row finds its site by the municipality's own reference (`external_ref`);
a row without one finds the municipality's site with the same name that has no
reference either (names compared case- and space-insensitively). So uploading the same
package again changes nothing, and a changed value updates the site in place.

An upload's values replace the site's: an empty cell clears the field, except the
last-verified date, which an upload without one leaves as it is. Attachments are only
added (or their kind and title updated); a package never deletes one.

Refused packages (hostile or unreadable files) store nothing at all. A checked package
is stored with its report (and its bytes until it is applied) so any instance can apply
it. Applying writes the attachment files first, under content-addressed names, then
changes the database in one transaction; if that fails, the new files are removed.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Site, SiteAttachment, SitePackageUpload, SiteRevision, SiteVersion
from app.domain.access import Actor, Role, require_role
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.domain.packages import (
    PackageAttachment,
    PackageIssue,
    PackageReport,
    RowResult,
    message,
    parse_package,
)
from app.domain.sites import SiteDraft, SiteStatus, normalise_lang, shown
from app.i18n import field_error_message
from app.services import site_revisions
from app.services import sites as site_service
from app.settings import Settings
from app.storage import Storage

_COMPARED: Final = tuple(f.name for f in fields(SiteDraft))


class UploadStatus:
    CHECKED = "checked"  # no errors: may be applied
    INVALID = "invalid"  # rows with errors: the report only
    APPLIED = "applied"


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


@dataclass(slots=True)
class RowPlan:
    row: RowResult
    action: str  # create, update, unchanged, error
    site: Site | None = None
    changed_fields: list[str] = field(default_factory=list)
    new_attachments: list[PackageAttachment] = field(default_factory=list)
    changed_attachments: list[tuple[SiteAttachment, PackageAttachment]] = field(
        default_factory=list
    )
    draft: SiteDraft | None = None


def _allowed_municipalities(db: Session, actor: Actor) -> frozenset[str]:
    require_role(actor, Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)
    if actor.sees_everything:
        return site_service.valid_codes(db)[0]
    assert actor.municipality_code is not None
    return frozenset({actor.municipality_code})


def _row_error(report_lang: str, row: RowResult, code: str, **params: object) -> None:
    lang = normalise_lang(report_lang)
    parts = [message("location.file", lang, file=row.file or "")]
    if row.sheet_row is not None:
        parts.append(message("location.row", lang, row=row.sheet_row))
    else:
        parts.append(message("location.site", lang, row=row.index))
    row.errors.append(
        PackageIssue(
            code=code,
            reason=message(code, lang, **params),
            location=", ".join(parts),
            file=row.file,
            row=row.index,
            sheet_row=row.sheet_row,
            field="external_ref" if code != "duplicate_name" else "name_fi",
        )
    )
    row.draft = None


def _plan(db: Session, actor: Actor, report: PackageReport, lang: str) -> list[RowPlan]:
    """What applying the report would do to each row's site; adds row errors for rows
    that cannot be matched safely. A municipality's change of its published site is
    planned as a revision for review, compared with what it already proposes."""
    drafts = [row.draft for row in report.rows if row.draft is not None]
    munis = {d.municipality_code for d in drafts}
    refs = {d.external_ref for d in drafts if d.external_ref}
    by_ref: dict[tuple[str, str], Site] = {}
    by_name: dict[tuple[str, str], list[Site]] = {}
    if munis:
        for found in db.scalars(
            select(Site).where(
                Site.municipality_code.in_(munis),
                Site.external_ref.in_(refs) | Site.external_ref.is_(None),
            )
        ):
            if found.external_ref:
                by_ref[(found.municipality_code, found.external_ref)] = found
            else:
                key = (found.municipality_code, name_key(found.name_fi))
                by_name.setdefault(key, []).append(found)
    unnamed: dict[tuple[str, str], list[RowResult]] = {}
    for row in report.rows:
        if row.draft is not None and not row.draft.external_ref:
            key = (row.draft.municipality_code, name_key(row.draft.name_fi))
            unnamed.setdefault(key, []).append(row)
    for same in unnamed.values():
        if len(same) > 1:
            numbers = ", ".join(str(r.sheet_row or r.index) for r in same)
            for row in same:
                assert row.draft is not None
                _row_error(
                    lang, row, "duplicate_name", value=shown(row.draft.name_fi), rows=numbers
                )

    matched = [*by_ref.values(), *(s for group in by_name.values() for s in group)]
    ids = [s.id for s in matched]
    codes = site_service.industry_codes_of(db, ids)
    files = site_service.attachments_of(db, ids)
    revisions = {
        r.site_id: r for r in db.scalars(select(SiteRevision).where(SiteRevision.site_id.in_(ids)))
    }
    pending_files: dict[uuid.UUID, list[SiteAttachment]] = {}
    for pending in db.scalars(
        select(SiteAttachment).where(
            SiteAttachment.site_id.in_(ids), SiteAttachment.revision_id.is_not(None)
        )
    ):
        pending_files.setdefault(pending.site_id, []).append(pending)
    plans: list[RowPlan] = []
    for row in report.rows:
        draft = row.draft
        if draft is None:
            plans.append(RowPlan(row, "error"))
            continue
        site: Site | None
        if draft.external_ref:
            site = by_ref.get((draft.municipality_code, draft.external_ref))
        else:
            candidates = by_name.get((draft.municipality_code, name_key(draft.name_fi)), [])
            if len(candidates) > 1:
                _row_error(lang, row, "ambiguous_name", value=shown(draft.name_fi))
                plans.append(RowPlan(row, "error"))
                continue
            site = candidates[0] if candidates else None
        if site is None:
            plans.append(
                RowPlan(row, "create", draft=draft, new_attachments=_unique(row.attachments))
            )
            continue
        if site.status == SiteStatus.ARCHIVED.value:
            _row_error(lang, row, "site_archived", value=shown(site.name_fi))
            plans.append(RowPlan(row, "error"))
            continue
        if draft.last_verified_on is None:
            draft = replace(draft, last_verified_on=site.last_verified_on)
        reviewed = site_revisions.needs_review(actor, site)
        current = site_service.draft_of(site, codes[site.id])
        if reviewed:
            current = site_revisions.proposed_draft(current, revisions.get(site.id))
        changed = [
            name
            for name in _COMPARED
            if name != "industry_codes" and getattr(current, name) != getattr(draft, name)
        ]
        if set(current.industry_codes) != set(draft.industry_codes):
            changed.append("industry_codes")
        existing = {a.sha256: a for a in [*files[site.id], *pending_files.get(site.id, [])]}
        new, changed_files = [], []
        for attachment in _unique(row.attachments):
            old = existing.get(attachment.sha256)
            if old is None:
                new.append(attachment)
            elif reviewed:
                # A published file's kind and title are the coordinator's to change.
                continue
            elif old.kind != attachment.kind.value or (
                attachment.title is not None and old.title_fi != attachment.title
            ):
                changed_files.append((old, attachment))
        action = "update" if changed or new or changed_files else "unchanged"
        if action == "update" and reviewed:
            action = "revision"
        plans.append(RowPlan(row, action, site, changed, new, changed_files, draft))
    return plans


def _unique(attachments: Sequence[PackageAttachment]) -> list[PackageAttachment]:
    seen: set[str] = set()
    unique = []
    for attachment in attachments:
        if attachment.sha256 not in seen:
            seen.add(attachment.sha256)
            unique.append(attachment)
    return unique


def _issue_json(issue: PackageIssue) -> dict[str, Any]:
    return {
        "severity": issue.severity.value,
        "code": issue.code,
        "reason": issue.reason,
        "location": issue.location,
        "file": issue.file,
        "row": issue.row,
        "sheet_row": issue.sheet_row,
        "field": issue.field,
    }


def _report_json(report: PackageReport, plans: Sequence[RowPlan]) -> dict[str, Any]:
    summary = {"create": 0, "update": 0, "revision": 0, "unchanged": 0, "error": 0}
    rows = []
    for plan in plans:
        summary[plan.action] += 1
        row = plan.row
        draft = plan.draft
        rows.append(
            {
                "index": row.index,
                "sheet_row": row.sheet_row,
                "file": row.file,
                "external_ref": row.external_ref,
                "name": draft.name_fi if draft else None,
                "municipality_code": draft.municipality_code if draft else None,
                "action": plan.action,
                "site_id": str(plan.site.id) if plan.site else None,
                "changed_fields": plan.changed_fields,
                "attachments_added": len(plan.new_attachments),
                "attachments_changed": len(plan.changed_attachments),
                "errors": [_issue_json(i) for i in row.errors],
                "warnings": [_issue_json(i) for i in row.warnings],
            }
        )
    ok = not report.fatal and summary["error"] == 0
    return {
        "filename": report.filename,
        "format": report.format.value if report.format else None,
        # The character encoding a CSV table was detected in, reported by the dry run.
        "encoding": report.encoding,
        "ok": ok,
        "summary": summary,
        "issues": [_issue_json(i) for i in (*report.fatal, *report.warnings)],
        "rows": rows,
    }


def _evaluate(
    db: Session, actor: Actor, filename: str, data: bytes, lang: str
) -> tuple[PackageReport, list[RowPlan]]:
    municipalities = _allowed_municipalities(db, actor)
    report = parse_package(
        filename,
        data,
        lang=lang,
        describe_site_error=partial(field_error_message, normalise_lang(lang)),
        valid_municipality_codes=municipalities,
        valid_industry_codes=site_service.valid_codes(db)[1],
        today=site_service.helsinki_today(),
    )
    if report.fatal:
        errors = [FieldError(i.path, f"{i.location}: {i.reason}", i.code) for i in report.fatal]
        raise ValidationFailed(errors=errors, detail=report.fatal[0].reason)
    return report, _plan(db, actor, report, lang)


def check_package(
    db: Session, actor: Actor, *, filename: str, data: bytes, lang: str = "en"
) -> SitePackageUpload:
    """The dry run: a stored report of what applying would do. A refused package raises
    ValidationFailed and stores nothing."""
    filename = (filename or "package").replace("\\", "/").rsplit("/", 1)[-1][:255] or "package"
    report, plans = _evaluate(db, actor, filename, data, lang)
    body = _report_json(report, plans)
    upload = SitePackageUpload(
        created_by_id=actor.user_id,
        municipality_code=None if actor.sees_everything else actor.municipality_code,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        format=body["format"],
        lang=normalise_lang(lang),
        status=UploadStatus.CHECKED if body["ok"] else UploadStatus.INVALID,
        report=body,
        content=data if body["ok"] else None,
    )
    db.add(upload)
    db.commit()
    return upload


def get_upload(
    db: Session, actor: Actor, upload_id: uuid.UUID, *, with_report: bool = True
) -> SitePackageUpload:
    options = () if with_report else (defer(SitePackageUpload.report),)
    upload = db.get(SitePackageUpload, upload_id, options=options)
    if upload is None or not (actor.sees_everything or upload.created_by_id == actor.user_id):
        raise NotFound("No such site package.")
    return upload


def list_uploads(db: Session, actor: Actor, limit: int = 20) -> list[SitePackageUpload]:
    query = select(SitePackageUpload)
    if not actor.sees_everything:
        query = query.where(SitePackageUpload.created_by_id == actor.user_id)
    query = query.order_by(SitePackageUpload.created_at.desc(), SitePackageUpload.id).limit(limit)
    return list(db.scalars(query))


def apply_package(
    db: Session, actor: Actor, storage: Storage, upload_id: uuid.UUID
) -> SitePackageUpload:
    """Apply a checked package: every site or none. The package is checked again
    against the database as it is now, so the outcome is what the stored report says."""
    # The stored report is replaced by the one checked now: not loaded, not held twice.
    upload = get_upload(db, actor, upload_id, with_report=False)
    if upload.status == UploadStatus.APPLIED:
        raise Conflict("This site package has already been applied.")
    content = db.scalar(select(SitePackageUpload.content).where(SitePackageUpload.id == upload.id))
    if upload.status != UploadStatus.CHECKED or content is None:
        raise Conflict("This site package has errors; correct them and upload it again.")
    report, plans = _evaluate(db, actor, upload.filename, content, upload.lang)
    body = _report_json(report, plans)
    if not body["ok"]:
        raise Conflict("The sites have changed since the check; upload the package again.")
    bind_actor(db, actor)
    with site_service.storage_transaction(db, storage) as written:
        _apply(db, actor, storage, plans, written)
        upload.status = UploadStatus.APPLIED
        upload.applied_at = utcnow()
        upload.report = body
        upload.content = None
        db.commit()
    return upload


# New sites are written this many at a time: one flush for the batch instead of one per
# site, and the batch's objects are let go once their versions are recorded.
CREATE_BATCH: Final = 200


def _apply(
    db: Session, actor: Actor, storage: Storage, plans: Sequence[RowPlan], written: list[str]
) -> None:
    taken = site_service.taken_slugs(db, "")
    ids = [p.site.id for p in plans if p.site is not None and p.action == "update"]
    codes = site_service.industry_codes_of(db, ids)
    files = site_service.attachments_of(db, ids)
    created: list[tuple[Site, SiteDraft, list[SiteAttachment]]] = []
    for plan in plans:
        if plan.action == "revision":
            _propose(db, actor, storage, plan, written)
            continue
        if plan.action not in ("create", "update"):
            continue
        assert plan.draft is not None
        if plan.site is None:
            site = site_service.new_site(db, actor, plan.draft, taken)
            current: list[SiteAttachment] = []
            was_public = False
        else:
            site = plan.site
            current = files[site.id]
            was_public = site.status == SiteStatus.PUBLISHED.value
            site_service.write_draft(db, site, plan.draft, codes[site.id])
        for old, attachment in plan.changed_attachments:
            old.kind = attachment.kind.value
            if attachment.title is not None:
                old.title_fi = attachment.title
        added = _add_attachments(db, actor, storage, site, plan, len(current), written)
        if plan.site is None:
            created.append((site, plan.draft, added))
            if len(created) >= CREATE_BATCH:
                _record_created(db, actor, created)
            continue
        site_service.record_change(
            db,
            actor,
            site,
            "package",
            was_public=was_public,
            industry_codes=plan.draft.industry_codes,
            attachments=[*current, *added],
        )
    _record_created(db, actor, created)
    db.flush()


def _add_attachments(
    db: Session,
    actor: Actor,
    storage: Storage,
    site: Site,
    plan: RowPlan,
    existing: int,
    written: list[str],
) -> list[SiteAttachment]:
    added: list[SiteAttachment] = []
    for attachment in plan.new_attachments:
        stored = site_service.store_file(storage, attachment.data, attachment.content_type, written)
        row = site_service.attachment_row(
            actor,
            site,
            stored,
            filename=attachment.name,
            content_type=attachment.content_type,
            size=len(attachment.data),
            kind=attachment.kind,
            title_fi=attachment.title,
            title_en=None,
            sort_order=existing + len(added),
        )
        db.add(row)
        added.append(row)
    return added


def _record_created(
    db: Session, actor: Actor, created: list[tuple[Site, SiteDraft, list[SiteAttachment]]]
) -> None:
    """The first version of each new site of the batch; the batch is emptied.

    What `site_service.record_change` records for a new draft (version 1, nothing
    public to announce), without its flush per site: the batch is flushed once."""
    db.flush()
    db.add_all(
        SiteVersion(
            site_id=site.id,
            version=site.version,
            action="create",
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            snapshot=site_service.snapshot(site, draft.industry_codes, attachments),
        )
        for site, draft, attachments in created
    )
    created.clear()


def _propose(
    db: Session, actor: Actor, storage: Storage, plan: RowPlan, written: list[str]
) -> None:
    """A published site's row: its values and new files become the site's revision."""
    assert plan.site is not None and plan.draft is not None
    site = plan.site
    site_revisions.propose(db, actor, site, plan.draft)
    db.flush()
    count = db.scalar(
        select(func.count()).select_from(SiteAttachment).where(SiteAttachment.site_id == site.id)
    )
    for row in _add_attachments(db, actor, storage, site, plan, count or 0, written):
        site_revisions.add_file(db, actor, site, row)


def purge_unapplied_uploads(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Scheduled: site packages checked but never applied are deleted after
    `package_upload_retention_days`, their stored report and bytes with them (an applied
    package keeps only its report). Returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=settings.package_upload_retention_days)
    result = db.execute(
        delete(SitePackageUpload).where(
            SitePackageUpload.status != UploadStatus.APPLIED,
            SitePackageUpload.applied_at.is_(None),
            SitePackageUpload.created_at < cutoff,
        )
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)
