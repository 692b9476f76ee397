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

Memory does not grow with the package: its rows are read, matched, applied and
reported `BATCH` at a time, each batch's report rows written to `site_package_rows`
and its objects let go before the next. What needs every row (a reference or a name
used twice) is found in the stored report rows at the end, before the one commit.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, defer

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Industry,
    Municipality,
    ReferencePoint,
    Site,
    SiteAttachment,
    SitePackageRow,
    SitePackageUpload,
    SiteRevision,
    SiteVersion,
)
from app.domain.access import Actor, Role, require_role
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.domain.geography import PointKind
from app.domain.packages import (
    ExampleMunicipality,
    PackageAttachment,
    PackageIssue,
    PackageRefused,
    PackageStream,
    RowResult,
    build_example_zip,
    build_template_xlsx,
    issue_location,
    message,
)
from app.domain.sites import SiteDraft, SiteRegion, SiteStatus, normalise_lang, shown
from app.i18n import field_error_message
from app.services import site_revisions
from app.services import sites as site_service
from app.services.region import current_region
from app.settings import Settings
from app.storage import Storage

_COMPARED: Final = tuple(f.name for f in fields(SiteDraft))
# Rows are read, matched, applied and reported this many at a time.
BATCH: Final = 200
# Report rows per page of the API (the staff page shows fewer).
PAGE_LIMIT: Final = 500
_ACTIONS: Final = ("create", "update", "revision", "unchanged", "error")
# Errors found by matching a row against the sites; a row found to repeat another's
# reference or name gets that error instead (it is matched with no site).
_MATCHING_CODES: Final = frozenset({"ambiguous_name", "site_archived"})


class UploadStatus:
    CHECKED = "checked"  # no errors: may be applied
    INVALID = "invalid"  # rows with errors: the report only
    APPLIED = "applied"


def name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


@dataclass(slots=True)
class RowPlan:
    row: RowResult
    action: str  # create, update, revision, unchanged, error
    site: Site | None = None
    changed_fields: list[str] = field(default_factory=list)
    new_attachments: list[PackageAttachment] = field(default_factory=list)
    changed_attachments: list[tuple[SiteAttachment, PackageAttachment]] = field(
        default_factory=list
    )
    draft: SiteDraft | None = None
    # A row without a reference: its municipality's name key, to find a name used twice.
    name_key: str | None = None


def _example_municipalities(db: Session) -> list[ExampleMunicipality]:
    """The stored municipalities with their town centres, which the downloads' examples
    name and lie in."""
    centres = {
        point.municipality_code: (point.latitude, point.longitude)
        for point in db.scalars(
            select(ReferencePoint).where(
                ReferencePoint.kind == PointKind.TOWN_CENTRE.value,
                ReferencePoint.active.is_(True),
            )
        )
    }
    return [
        ExampleMunicipality(municipality.code, municipality.name_fi, centres.get(municipality.code))
        for municipality in db.scalars(select(Municipality))
    ]


def template_xlsx(db: Session) -> bytes:
    """The template spreadsheet, its example in one of the stored municipalities, its
    guide listing the region's active key industries."""
    industries = {
        industry.code: f"{industry.name_fi} / {industry.name_en}"
        for industry in db.scalars(
            select(Industry).where(Industry.active).order_by(Industry.sort_order, Industry.code)
        )
    }
    return build_template_xlsx(_example_municipalities(db), industries)


def example_zip(db: Session) -> bytes:
    """The example package, its sites in one of the stored municipalities."""
    return build_example_zip(_example_municipalities(db))


def _allowed_municipalities(db: Session, actor: Actor) -> dict[str, str]:
    """The codes (with names, for messages) the actor's packages may use."""
    require_role(actor, Role.ADMIN, Role.COORDINATOR, Role.MUNICIPAL_CONTACT)
    everything = site_service.valid_codes(db)[0]
    if actor.sees_everything:
        return everything
    assert actor.municipality_code is not None
    code = actor.municipality_code
    return {code: everything.get(code, code)}


def _match_issue(
    lang: str, file: str | None, index: int, sheet_row: int | None, code: str, **params: object
) -> PackageIssue:
    return PackageIssue(
        code=code,
        reason=message(code, lang, **params),
        location=issue_location(lang, file or "", row=index, sheet_row=sheet_row),
        file=file,
        row=index,
        sheet_row=sheet_row,
        field="external_ref" if code != "duplicate_name" else "name_fi",
    )


def _row_error(report_lang: str, row: RowResult, code: str, **params: object) -> None:
    issue = _match_issue(report_lang, row.file, row.index, row.sheet_row, code, **params)
    row.errors.append(issue)
    row.draft = None


class _Unreferenced:
    """The sites without a reference of the uploader's municipalities, by name key:
    their ids only, so the index is as large as those sites are many, whatever the
    package's size. Read once per pass, before anything is applied."""

    def __init__(self, db: Session, municipalities: Collection[str]) -> None:
        self.ids: dict[tuple[str, str], list[uuid.UUID]] = {}
        found = db.execute(
            select(Site.id, Site.municipality_code, Site.name_fi).where(
                Site.municipality_code.in_(municipalities), Site.external_ref.is_(None)
            )
        )
        for site_id, code, name in found:
            self.ids.setdefault((code, name_key(name)), []).append(site_id)

    def get(self, code: str, name: str) -> list[uuid.UUID]:
        return self.ids.get((code, name_key(name)), [])


def _plan(
    db: Session, actor: Actor, rows: Sequence[RowResult], lang: str, unreferenced: _Unreferenced
) -> list[RowPlan]:
    """What applying would do to each row's site (one batch of rows); adds row errors
    for rows that cannot be matched safely. A municipality's change of its published
    site is planned as a revision for review, compared with what it already proposes."""
    drafts = [row.draft for row in rows if row.draft is not None]
    munis = {d.municipality_code for d in drafts}
    refs = {d.external_ref for d in drafts if d.external_ref}
    named = {
        site_id
        for d in drafts
        if not d.external_ref
        for site_id in unreferenced.get(d.municipality_code, d.name_fi)
    }
    by_ref: dict[tuple[str, str], Site] = {}
    by_id: dict[uuid.UUID, Site] = {}
    if refs:
        for found in db.scalars(
            select(Site).where(Site.municipality_code.in_(munis), Site.external_ref.in_(refs))
        ):
            assert found.external_ref is not None
            by_ref[(found.municipality_code, found.external_ref)] = found
    if named:
        by_id = {s.id: s for s in db.scalars(select(Site).where(Site.id.in_(named)))}

    ids = [*(s.id for s in by_ref.values()), *by_id]
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
    for row in rows:
        draft = row.draft
        if draft is None:
            plans.append(RowPlan(row, "error"))
            continue
        key = None if draft.external_ref else name_key(draft.name_fi)
        site: Site | None
        if draft.external_ref:
            site = by_ref.get((draft.municipality_code, draft.external_ref))
        else:
            candidates = unreferenced.get(draft.municipality_code, draft.name_fi)
            if len(candidates) > 1:
                _row_error(lang, row, "ambiguous_name", value=shown(draft.name_fi))
                plans.append(RowPlan(row, "error", draft=draft, name_key=key))
                continue
            site = by_id[candidates[0]] if candidates else None
        if site is None:
            plans.append(
                RowPlan(
                    row,
                    "create",
                    draft=draft,
                    new_attachments=_unique(row.attachments),
                    name_key=key,
                )
            )
            continue
        if site.status == SiteStatus.ARCHIVED.value:
            _row_error(lang, row, "site_archived", value=shown(site.name_fi))
            plans.append(RowPlan(row, "error", draft=draft, name_key=key))
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
        plans.append(RowPlan(row, action, site, changed, new, changed_files, draft, key))
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


def _report_row(upload_id: uuid.UUID, plan: RowPlan) -> dict[str, Any]:
    row, draft = plan.row, plan.draft
    return {
        "upload_id": upload_id,
        "position": row.index,
        "sheet_row": row.sheet_row,
        "file": row.file,
        "external_ref": row.external_ref,
        "name": draft.name_fi if draft else None,
        "municipality_code": draft.municipality_code if draft else None,
        "name_key": plan.name_key,
        "action": plan.action,
        "site_id": plan.site.id if plan.site else None,
        "changed_fields": plan.changed_fields,
        "attachments_added": len(plan.new_attachments),
        "attachments_changed": len(plan.changed_attachments),
        "errors": [_issue_json(i) for i in row.errors],
        "warnings": [_issue_json(i) for i in row.warnings],
    }


def _open(db: Session, actor: Actor, filename: str, lang: str) -> PackageStream:
    return PackageStream.open(
        filename,
        lang=lang,
        describe_site_error=partial(field_error_message, normalise_lang(lang)),
        valid_municipality_codes=_allowed_municipalities(db, actor),
        valid_industry_codes=site_service.valid_codes(db)[1],
        region=SiteRegion.of(current_region(db)),
        municipality_aliases=_aliases(
            db.scalars(select(Municipality)), "slug", "name_fi", "name_sv", "name_en"
        ),
        industry_aliases=_aliases(
            db.scalars(select(Industry).where(Industry.active.is_(True))),
            "name_fi",
            "name_sv",
            "name_en",
        ),
        today=site_service.helsinki_today(),
    )


def _aliases(records: Iterable[Municipality] | Iterable[Industry], *names: str) -> dict[str, str]:
    """Every name the records go by (their slug, their names in the three languages),
    to their codes: a package may name a municipality or industry by any of them."""
    return {
        getattr(record, name): record.code
        for record in records
        for name in names
        if getattr(record, name)
    }


def _refused(refused: PackageRefused) -> ValidationFailed:
    issue = refused.issue
    error = FieldError(issue.path, f"{issue.location}: {issue.reason}", issue.code)
    return ValidationFailed(errors=[error], detail=issue.reason)


def _batches(rows: Iterator[RowResult]) -> Iterator[list[RowResult]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def _run(
    db: Session,
    actor: Actor,
    upload_id: uuid.UUID,
    filename: str,
    data: bytes,
    lang: str,
    applying: tuple[Storage, list[str]] | None = None,
) -> dict[str, Any]:
    """Check the package (and apply it, given storage and the list of files written)
    a batch at a time, writing the upload's report rows; return the package-level
    part of the report. Nothing is committed: a refused package raises PackageRefused
    with rows already written, so the caller rolls back."""
    stream = _open(db, actor, filename, lang)
    unreferenced = _Unreferenced(db, _allowed_municipalities(db, actor))
    # What the session held before (the caller's objects) stays in it.
    kept = {id(obj): obj for obj in db}
    for batch in _batches(stream.read(data)):
        plans = _plan(db, actor, batch, lang, unreferenced)
        if applying is not None:
            _apply(db, actor, *applying, plans)
        db.execute(insert(SitePackageRow), [_report_row(upload_id, plan) for plan in plans])
        # The batch's sites, files and rows are in the database: none is kept here.
        for obj in [obj for obj in db if id(obj) not in kept]:
            db.expunge(obj)
        del plans, batch
    _flag_repeats(db, stream, upload_id, lang)
    counted = db.execute(
        select(SitePackageRow.action, func.count())
        .where(SitePackageRow.upload_id == upload_id)
        .group_by(SitePackageRow.action)
    )
    summary = dict.fromkeys(_ACTIONS, 0) | {action: int(n) for action, n in counted}
    return {
        "filename": filename,
        "format": stream.format.value if stream.format else None,
        # The character encoding a CSV table was detected in, reported by the dry run.
        "encoding": stream.encoding,
        "ok": summary["error"] == 0,
        "summary": summary,
        "issues": [_issue_json(i) for i in stream.warnings],
    }


def _flag_repeats(db: Session, stream: PackageStream, upload_id: uuid.UUID, lang: str) -> None:
    """Rows that repeat another row's reference, or (without references) its
    municipality and name, become errors: which site each means is unclear."""
    rows = SitePackageRow
    mine = rows.upload_id == upload_id
    repeated_refs = (
        select(rows.external_ref)
        .where(mine, rows.external_ref.is_not(None))
        .group_by(rows.external_ref)
        .having(func.count() > 1)
    )
    by_ref = db.scalars(
        select(rows)
        .where(mine, rows.external_ref.in_(repeated_refs))
        .order_by(rows.external_ref, rows.position)
    )
    for ref, group in itertools.groupby(by_ref, key=lambda r: r.external_ref):
        same = list(group)
        numbers = ", ".join(str(r.sheet_row or r.position) for r in same)
        for row in same:
            assert ref is not None
            issue = stream.duplicate_ref_issue(
                ref, numbers, file=row.file, index=row.position, sheet_row=row.sheet_row
            )
            kept = [e for e in row.errors if e["code"] not in _MATCHING_CODES]
            _set_error(db, row, [*kept, _issue_json(issue)])
    repeated_names = (
        select(rows.municipality_code, rows.name_key)
        .where(mine, rows.name_key.is_not(None))
        .group_by(rows.municipality_code, rows.name_key)
        .having(func.count() > 1)
    )
    by_name = db.scalars(
        select(rows)
        .where(mine, rows.name_key.is_not(None))
        .where(
            rows.municipality_code.in_(repeated_names.with_only_columns(rows.municipality_code))
            & rows.name_key.in_(repeated_names.with_only_columns(rows.name_key))
        )
        .order_by(rows.municipality_code, rows.name_key, rows.position)
    )
    for _key, group in itertools.groupby(by_name, key=lambda r: (r.municipality_code, r.name_key)):
        same = list(group)
        if len(same) < 2:
            continue  # a municipality and a name each repeated, not the pair
        numbers = ", ".join(str(r.sheet_row or r.position) for r in same)
        for row in same:
            issue = _match_issue(
                lang,
                row.file,
                row.position,
                row.sheet_row,
                "duplicate_name",
                value=shown(row.name or ""),
                rows=numbers,
            )
            _set_error(db, row, [_issue_json(issue)])


def _set_error(db: Session, row: SitePackageRow, errors: list[dict[str, Any]]) -> None:
    db.execute(
        update(SitePackageRow)
        .where(SitePackageRow.upload_id == row.upload_id, SitePackageRow.position == row.position)
        .values(
            action="error",
            site_id=None,
            changed_fields=[],
            attachments_added=0,
            attachments_changed=0,
            errors=errors,
        )
        .execution_options(synchronize_session=False)
    )


def check_package(
    db: Session, actor: Actor, *, filename: str, data: bytes, lang: str = "en"
) -> SitePackageUpload:
    """The dry run: a stored report of what applying would do. A refused package raises
    ValidationFailed and stores nothing."""
    filename = (filename or "package").replace("\\", "/").rsplit("/", 1)[-1][:255] or "package"
    upload = SitePackageUpload(
        created_by_id=actor.user_id,
        municipality_code=None if actor.sees_everything else actor.municipality_code,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        lang=normalise_lang(lang),
        status=UploadStatus.INVALID,
        report={},
    )
    db.add(upload)
    db.flush()
    upload_id = upload.id
    try:
        body = _run(db, actor, upload_id, filename, data, lang)
    except PackageRefused as refused:
        db.rollback()
        raise _refused(refused) from None
    upload = db.get_one(SitePackageUpload, upload_id)
    upload.format = body["format"]
    upload.status = UploadStatus.CHECKED if body["ok"] else UploadStatus.INVALID
    upload.report = body
    upload.content = data if body["ok"] else None
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


def report_rows(
    db: Session, upload: SitePackageUpload, offset: int = 0, limit: int = PAGE_LIMIT
) -> list[dict[str, Any]]:
    """A page of the upload's report rows, in package order."""
    found = db.scalars(
        select(SitePackageRow)
        .where(SitePackageRow.upload_id == upload.id)
        .order_by(SitePackageRow.position)
        .offset(offset)
        .limit(limit)
    )
    return [
        {
            "index": row.position,
            "sheet_row": row.sheet_row,
            "file": row.file,
            "external_ref": row.external_ref,
            "name": row.name,
            "municipality_code": row.municipality_code,
            "action": row.action,
            "site_id": str(row.site_id) if row.site_id else None,
            "changed_fields": row.changed_fields,
            "attachments_added": row.attachments_added,
            "attachments_changed": row.attachments_changed,
            "errors": row.errors,
            "warnings": row.warnings,
        }
        for row in found
    ]


def report_page(
    db: Session, upload: SitePackageUpload, offset: int = 0, limit: int = PAGE_LIMIT
) -> dict[str, Any]:
    """The upload's report with one page of its rows: `rows_total` rows in all,
    `rows_offset` the first one's place."""
    total = sum(upload.report.get("summary", {}).values())
    rows = report_rows(db, upload, offset, limit)
    return {**upload.report, "rows": rows, "rows_total": total, "rows_offset": offset}


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
    against the database as it is now, batch by batch as it is applied, so the outcome
    is what the stored report says; a row that no longer passes undoes everything."""
    # The stored report is replaced by the one checked now: not loaded, not held twice.
    upload = get_upload(db, actor, upload_id, with_report=False)
    if upload.status == UploadStatus.APPLIED:
        raise Conflict("This site package has already been applied.")
    content = db.scalar(select(SitePackageUpload.content).where(SitePackageUpload.id == upload.id))
    if upload.status != UploadStatus.CHECKED or content is None:
        raise Conflict("This site package has errors; correct them and upload it again.")
    filename, lang = upload.filename, upload.lang
    bind_actor(db, actor)
    with site_service.storage_transaction(db, storage) as written:
        db.execute(delete(SitePackageRow).where(SitePackageRow.upload_id == upload_id))
        try:
            body = _run(db, actor, upload_id, filename, content, lang, (storage, written))
        except PackageRefused as refused:
            raise _refused(refused) from None
        if not body["ok"]:
            raise Conflict("The sites have changed since the check; upload the package again.")
        upload = db.get_one(SitePackageUpload, upload_id)
        upload.status = UploadStatus.APPLIED
        upload.applied_at = utcnow()
        upload.report = body
        upload.content = None
        db.commit()
    return upload


def _apply(
    db: Session, actor: Actor, storage: Storage, written: list[str], plans: Sequence[RowPlan]
) -> None:
    """Apply one batch of planned rows (not committed)."""
    creating = [p.draft for p in plans if p.action == "create" and p.draft is not None]
    placed = site_service.placing(db)
    bases = {placed.slug_base(d.municipality_code, d.name_fi) for d in creating}
    taken = site_service.taken_slugs(db, *bases) if bases else set()
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
            site = site_service.new_site(db, actor, plan.draft, taken, placed)
            current: list[SiteAttachment] = []
            was_public = False
        else:
            site = plan.site
            current = files[site.id]
            was_public = site.status == SiteStatus.PUBLISHED.value
            site_service.write_draft(db, site, plan.draft, codes[site.id], placed.places)
        for old, attachment in plan.changed_attachments:
            old.kind = attachment.kind.value
            if attachment.title is not None:
                old.title_fi = attachment.title
        added = _add_attachments(db, actor, storage, site, plan, len(current), written)
        if plan.site is None:
            created.append((site, plan.draft, added))
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
    site_service.insert_new_sites(db, [site for site, _, _ in created], placed)
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
    """The first version of each new site of the batch.

    What `site_service.record_change` records for a new draft (version 1, nothing
    public to announce), without its flush per site: the batch's sites are already
    inserted (`site_service.insert_new_sites`)."""
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
