"""CSV import of organisations, contacts and leads: a dry-run report per row and
field, then an all-or-nothing apply that re-checks everything."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Contact, ImportUpload, Organization, User
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.domain.leads import LeadReferences, clean_imported_landing
from app.domain.organizations import (
    clean_contact_fields,
    clean_organization_fields,
    normalise_org_name,
    validate_business_id,
)
from app.domain.spreadsheets import csv_text, typed_text
from app.domain.textfiles import UnknownEncoding, decode_text, extra_cells
from app.i18n import N_, register_field_errors
from app.services import leads, organizations
from app.settings import Settings

IMPORT_KINDS = ("organizations", "contacts", "leads")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": (
        "name",
        "type",
        "country",
        "business_id",
        "foreign_registry_id",
        "industry_code",
        "nace_code",
        "nace_version",
        "website",
        "notes",
    ),
    "contacts": (
        "full_name",
        "organization_business_id",
        "organization_name",
        "role_title",
        "email",
        "phone",
        "language",
        "lawful_basis",
        "source",
        "consent_text_version",
        "consent_given_at",
        "retention_until",
        "notes",
    ),
    "leads": (
        "code_name",
        "title",
        "description",
        "organization_business_id",
        "organization_name",
        "industry_code",
        "investment_type",
        "origin_country",
        "capex_eur",
        "capex_basis",
        "capex_status",
        "jobs",
        "jobs_basis",
        "source",
        "stage_code",
        "expected_decision_on",
        "priority",
        "municipality_codes",
        "owner_email",
        "confidentiality",
        "confidentiality_basis",
        "announced_on",
        "landing_municipality_code",
        "landed_on",
    ),
}
REQUIRED_COLUMNS = {
    "organizations": {"name", "type"},
    "contacts": {"full_name", "lawful_basis", "source"},
    "leads": {"title", "investment_type", "source"},
}


@dataclass
class RowReport:
    row: int
    label: str
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: list[RowReport]
    applied: bool = False
    file_errors: list[FieldError] = field(default_factory=list)
    # The character encoding the file was detected in ("UTF-8", "Windows-1252", …).
    encoding: str | None = None

    @property
    def valid(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def invalid(self) -> int:
        return len(self.rows) - self.valid

    def all_errors(self) -> list[FieldError]:
        return self.file_errors + [
            FieldError(f"rows.{r.row}.{e.field}", e.reason, e.code)
            for r in self.rows
            for e in r.errors
        ]


@dataclass
class _CsvFile:
    rows: list[dict[str, str]] = field(default_factory=list)
    # Row index (0-based, in `rows`) -> how many cells that row has beyond the header.
    overflow: dict[int, tuple[int, int]] = field(default_factory=dict)
    encoding: str | None = None
    errors: list[FieldError] = field(default_factory=list)


def read_csv(content: bytes) -> _CsvFile:
    """The rows of an uploaded CSV as Excel saves it: UTF-8 with or without BOM, or
    Windows-1252 / Latin-1 (detected); semicolons or commas."""
    if len(content) > MAX_BYTES:
        return _CsvFile(errors=[FieldError("file", "The file is larger than 5 MB.", "too_large")])
    try:
        decoded = decode_text(content)
    except UnknownEncoding:
        return _CsvFile(
            errors=[FieldError("file", "Save the file as CSV UTF-8 or Windows-1252.", "not_utf8")]
        )
    parsed = _CsvFile(encoding=decoded.encoding)
    text = decoded.text
    if not text.strip():
        parsed.errors.append(FieldError("file", "The file is empty.", "empty"))
        return parsed
    first_line = text.splitlines()[0]
    # Finnish spreadsheet programs save CSV with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)
    for cells in reader:
        if not cells:
            continue  # an empty line
        if len(parsed.rows) >= MAX_ROWS:
            parsed.rows = []
            parsed.errors.append(
                FieldError(
                    "file",
                    f"At most {MAX_ROWS} rows per file.",
                    "too_many_rows",
                    {"limit": MAX_ROWS},
                )
            )
            return parsed
        if extra_cells(cells, width):
            last = max(i + 1 for i, cell in enumerate(cells) if cell.strip())
            parsed.overflow[len(parsed.rows)] = (last, width)
        parsed.rows.append(
            {
                name: typed_text((cells[i] if i < len(cells) else "").strip())
                for i, name in enumerate(header)
                if name
            }
        )
    return parsed


def _check_columns(kind: str, header: list[str]) -> list[FieldError]:
    errors = [
        FieldError(f"columns.{name}", "Unknown column.", "unknown_column")
        for name in header
        if name not in COLUMNS[kind]
    ]
    errors += [
        FieldError(f"columns.{name}", "This column is required.", "missing_column")
        for name in sorted(REQUIRED_COLUMNS[kind] - set(header))
    ]
    return errors


class _Resolver:
    """Finds the stored organisation a contact or lead row names."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def organization(self, row: dict[str, str], errors: list[FieldError]) -> Organization | None:
        business_id = row.get("organization_business_id", "")
        name = row.get("organization_name", "")
        if business_id:
            try:
                formatted = validate_business_id(business_id)
            except ValidationFailed:
                errors.append(
                    FieldError("organization_business_id", "Invalid business ID.", "invalid")
                )
                return None
            org = self.db.scalar(select(Organization).where(Organization.business_id == formatted))
            if org is None:
                errors.append(
                    FieldError("organization_business_id", "No such organisation.", "unknown")
                )
            return org
        if name:
            found = list(
                self.db.scalars(
                    select(Organization).where(Organization.name_key == normalise_org_name(name))
                )
            )
            if len(found) != 1:
                errors.append(
                    FieldError(
                        "organization_name",
                        "No such organisation."
                        if not found
                        else "Several match; give the business ID.",
                        "unknown" if not found else "ambiguous",
                    )
                )
                return None
            return found[0]
        return None


def _lead_row(
    db: Session,
    actor: Actor,
    row: dict[str, str],
    values: dict[str, str],
    links: leads.LeadLinks,
    refs: LeadReferences,
    today: date,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A lead's fields and its landing details (a lead already landed), every error of
    the row at once: a column refused by both checks is named once."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    landing: dict[str, Any] = {}
    try:
        cleaned = leads.validate_new_lead(db, actor, values, links, refs=refs)
    except ValidationFailed as failed:
        errors += failed.errors
    try:
        landing = clean_imported_landing(
            row,
            landed=(row.get("stage_code") or "").strip() in refs.won_stage_codes,
            municipality_codes=refs.municipality_codes,
            today=today,
        )
    except ValidationFailed as failed:
        refused = {e.field for e in errors}
        errors += [e for e in failed.errors if e.field not in refused]
    if errors:
        raise ValidationFailed(errors=errors, detail="The lead is not valid.")
    return cleaned, landing


def _plan_rows(
    db: Session,
    actor: Actor,
    kind: str,
    rows: list[dict[str, str]],
    overflow: dict[int, tuple[int, int]] | None = None,
) -> tuple[list[RowReport], list[Any]]:
    """Validate each row; return its report and what to write for it."""
    reports: list[RowReport] = []
    plans: list[Any] = []
    resolver = _Resolver(db)
    seen: dict[str, int] = {}
    refs = leads.lead_references(db, landed=True) if kind == "leads" else None
    today = utcnow().date()
    for index, row in enumerate(rows, start=2):  # line 1 is the header
        report = RowReport(
            row=index, label=row.get("name") or row.get("full_name") or row.get("title") or ""
        )
        plan: Any = None
        key: str
        if overflow and (index - 2) in overflow:
            # Never cut silently: a row split into more cells than the header names is
            # refused as a whole (its values are not where their columns say).
            count, headers = overflow[index - 2]
            report.errors.append(
                FieldError(
                    "row",
                    f"The row has {count} cells but the header only {headers} columns.",
                    "too_many_cells",
                    {"count": count, "headers": headers},
                )
            )
            reports.append(report)
            plans.append(None)
            continue
        try:
            if kind == "organizations":
                cleaned = clean_organization_fields(
                    dict(row), organizations.industry_codes(db), creating=True
                )
                matches = organizations.organization_duplicates(
                    db, cleaned["name"], cleaned.get("business_id")
                )
                report.errors += organizations.duplicate_errors(
                    [m for m in matches if m[1].value == "business_id"], confirmed=True
                )
                report.warnings += organizations.duplicate_errors(
                    [m for m in matches if m[1].value != "business_id"], confirmed=False
                )
                key = str(cleaned.get("business_id") or cleaned["name_key"])
                plan = cleaned
            elif kind == "contacts":
                org = resolver.organization(row, report.errors)
                values = {k: v for k, v in row.items() if not k.startswith("organization_")}
                cleaned = clean_contact_fields(values, creating=True, today=organizations._today())
                report.warnings += organizations.contact_duplicate_errors(
                    organizations.contact_duplicates(
                        db, cleaned.get("email"), cleaned["full_name"], org.id if org else None
                    ),
                    confirmed=False,
                )
                key = str(cleaned.get("email") or f"{cleaned['full_name']}|{org.id if org else ''}")
                plan = (cleaned, org.id if org else None)
            else:
                org = resolver.organization(row, report.errors)
                owner_id = None
                if row.get("owner_email"):
                    owner_id = db.scalar(
                        select(User.id).where(func.lower(User.email) == row["owner_email"].lower())
                    )
                    if owner_id is None:
                        report.errors.append(FieldError("owner_email", "No such user.", "unknown"))
                values = {
                    k: v
                    for k, v in row.items()
                    if not k.startswith(("organization_", "landing_"))
                    and k not in ("owner_email", "landed_on")
                }
                links = leads.LeadLinks(organization_id=org.id if org else None, owner_id=owner_id)
                assert refs is not None
                cleaned, landing = _lead_row(db, actor, row, values, links, refs, today)
                cleaned.update(landing)
                # The landing municipality is one of the lead's, as after a move to landed.
                municipality = landing.get("landing_municipality_code")
                if municipality and municipality not in cleaned["municipality_codes"]:
                    cleaned["municipality_codes"].append(municipality)
                key = str(cleaned.get("code_name") or f"row{index}").casefold()
                plan = (cleaned, links)
        except ValidationFailed as failed:
            report.errors += failed.errors
            key = f"row{index}"
        if key in seen:
            report.errors.append(
                FieldError(
                    "row",
                    f"The same record is already on row {seen[key]}.",
                    "duplicate_in_file",
                    {"row": seen[key]},
                )
            )
        seen.setdefault(key, index)
        reports.append(report)
        plans.append(plan)
    return reports, plans


def run_import(
    db: Session, actor: Actor, kind: str, content: bytes, *, dry_run: bool, commit: bool = True
) -> ImportReport:
    """Check every row; unless a dry run, write all rows or, on any error, none. With
    `commit=False` the rows are written in the caller's transaction."""
    require_staff_wide(actor)
    if kind not in IMPORT_KINDS:
        raise ValidationFailed.single("kind", "Import organizations, contacts or leads.", "unknown")
    parsed = read_csv(content)
    rows, file_errors = parsed.rows, parsed.errors
    if not file_errors and rows:
        file_errors = _check_columns(kind, list(rows[0]))
    if not file_errors and not rows:
        file_errors = [FieldError("file", "The file has no rows.", "empty")]
    report = ImportReport(
        kind=kind, dry_run=dry_run, rows=[], file_errors=file_errors, encoding=parsed.encoding
    )
    if file_errors:
        if dry_run:
            return report
        raise ValidationFailed(errors=report.all_errors(), detail="Nothing was imported.")
    report.rows, plans = _plan_rows(db, actor, kind, rows, parsed.overflow)
    if dry_run:
        return report
    if report.invalid:
        raise ValidationFailed(
            errors=report.all_errors(),
            detail=f"Nothing was imported: {report.invalid} row(s) have errors.",
        )
    bind_actor(db, actor)
    for plan in plans:
        if kind == "organizations":
            db.add(Organization(**plan))
        elif kind == "contacts":
            cleaned, org_id = plan
            db.add(Contact(**cleaned, organization_id=org_id))
        else:
            cleaned, links = plan
            leads.add_lead(db, actor, cleaned, links, screen=False)
    if commit:
        db.commit()
    else:
        db.flush()
    report.applied = True
    return report


def template_csv(kind: str) -> str:
    """An empty file with the right header row, to fill in a spreadsheet."""
    return csv_text(COLUMNS[kind], [])


# --- the staff page: a dry run kept server-side, then applied by id ---------------------


class UploadStatus:
    CHECKED = "checked"  # no errors: may be applied
    INVALID = "invalid"  # rows or the file have errors: the report only
    APPLIED = "applied"


@dataclass
class CheckedImport:
    """A stored upload with its dry-run report (None once applied: its bytes are gone),
    and an earlier upload of the very same file that was already applied, if any."""

    upload: ImportUpload
    report: ImportReport | None
    applied_before: ImportUpload | None = None

    @property
    def may_apply(self) -> bool:
        return (
            self.upload.status == UploadStatus.CHECKED
            and self.report is not None
            and not self.report.file_errors
            and not self.report.invalid
            and self.applied_before is None
        )


# How a stored upload is checked or applied: (content, filename, dry_run, commit) -> report.
# The register's kinds run `run_import`; other imports (referral exports) bring their own.
Runner = Callable[[bytes, str, bool, bool], ImportReport]


def _register_runner(db: Session, actor: Actor, kind: str) -> Runner:
    if kind not in IMPORT_KINDS:
        raise ValidationFailed.single("kind", "Import organizations, contacts or leads.", "unknown")
    return lambda content, _filename, dry_run, commit: run_import(
        db, actor, kind, content, dry_run=dry_run, commit=commit
    )


def check_upload(
    db: Session,
    actor: Actor,
    kind: str,
    filename: str,
    content: bytes,
    *,
    run: Runner | None = None,
) -> ImportUpload:
    """The dry run of the staff page: the file is stored (in the database, so any
    instance can apply it) with whether it may be applied. A file too large for an
    import stores nothing."""
    require_staff_wide(actor)
    run = run or _register_runner(db, actor, kind)
    if len(content) > MAX_BYTES:
        raise ValidationFailed.single("file", "The file is larger than 5 MB.", "import_too_large")
    name = (filename or "import.csv").replace("\\", "/").rsplit("/", 1)[-1][:255] or "import.csv"
    report = run(content, name, True, False)
    ok = not report.file_errors and not report.invalid
    upload = ImportUpload(
        created_by_id=actor.user_id,
        kind=kind,
        filename=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        status=UploadStatus.CHECKED if ok else UploadStatus.INVALID,
        content=content,
    )
    db.add(upload)
    db.commit()
    return upload


def _upload(
    db: Session,
    actor: Actor,
    upload_id: uuid.UUID,
    kinds: tuple[str, ...],
    *,
    lock: bool = False,
) -> ImportUpload:
    require_staff_wide(actor)
    query = select(ImportUpload).where(ImportUpload.id == upload_id, ImportUpload.kind.in_(kinds))
    if lock:
        # Two applies of one upload (two tabs, two instances) run one after the other.
        query = query.with_for_update()
    upload = db.scalar(query)
    if upload is None:
        raise NotFound("No such import.")
    return upload


def _applied_before(db: Session, upload: ImportUpload) -> ImportUpload | None:
    return db.scalar(
        select(ImportUpload)
        .where(
            ImportUpload.sha256 == upload.sha256,
            ImportUpload.kind == upload.kind,
            ImportUpload.status == UploadStatus.APPLIED,
            ImportUpload.id != upload.id,
        )
        .order_by(ImportUpload.applied_at)
        .limit(1)
    )


def _content(db: Session, upload: ImportUpload) -> bytes | None:
    return db.scalar(select(ImportUpload.content).where(ImportUpload.id == upload.id))


def get_upload(
    db: Session,
    actor: Actor,
    upload_id: uuid.UUID,
    *,
    kinds: tuple[str, ...] = IMPORT_KINDS,
    run: Runner | None = None,
) -> CheckedImport:
    """An upload with its report, checked again against the register as it is now."""
    upload = _upload(db, actor, upload_id, kinds)
    content = _content(db, upload)
    report = None
    if upload.status != UploadStatus.APPLIED and content is not None:
        run = run or _register_runner(db, actor, upload.kind)
        report = run(content, upload.filename, True, False)
    return CheckedImport(upload, report, _applied_before(db, upload))


def list_uploads(
    db: Session, actor: Actor, limit: int = 20, *, kinds: tuple[str, ...] = IMPORT_KINDS
) -> list[ImportUpload]:
    require_staff_wide(actor)
    query = (
        select(ImportUpload)
        .where(ImportUpload.kind.in_(kinds))
        .order_by(ImportUpload.created_at.desc(), ImportUpload.id)
    )
    return list(db.scalars(query.limit(limit)))


def apply_upload(
    db: Session,
    actor: Actor,
    upload_id: uuid.UUID,
    *,
    kinds: tuple[str, ...] = IMPORT_KINDS,
    run: Runner | None = None,
) -> ImportUpload:
    """Apply a checked upload: every row or none, checked again first. An upload is
    applied once; the same file applied before is refused too, so nothing is imported
    twice."""
    upload = _upload(db, actor, upload_id, kinds, lock=True)
    if upload.status == UploadStatus.APPLIED:
        raise Conflict("This file has already been imported.")
    earlier = _applied_before(db, upload)
    if earlier is not None:
        raise Conflict("The same file has already been imported.")
    content = _content(db, upload)
    if upload.status != UploadStatus.CHECKED or content is None:
        raise Conflict("The file has errors; correct them and upload it again.")
    run = run or _register_runner(db, actor, upload.kind)
    try:
        report = run(content, upload.filename, False, False)
    except ValidationFailed:
        db.rollback()
        raise
    upload.status = UploadStatus.APPLIED
    upload.applied_at = utcnow()
    upload.content = None
    upload.created_count = len(report.rows)
    db.commit()
    return upload


def purge_unapplied_imports(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Scheduled: imports checked but never applied are deleted, with the file (which may
    hold people's data), after `import_upload_retention_days`. Returns how many went."""
    cutoff = (now or utcnow()) - timedelta(days=settings.import_upload_retention_days)
    result = db.execute(
        delete(ImportUpload).where(
            ImportUpload.status != UploadStatus.APPLIED, ImportUpload.created_at < cutoff
        )
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


register_field_errors(
    {
        ("duplicate_in_file", "row"): N_("The same record appears twice in the file."),
        "missing_column": N_("A required column is missing."),
        "unknown_column": N_("The file has a column this import does not know."),
        ("not_utf8", "file"): N_(
            "The file is not text in UTF-8 or Windows-1252; save it as CSV UTF-8."
        ),
        ("too_many_cells", "row"): N_(
            "The row has %(count)s cells but the header only %(headers)s columns: a value may "
            "hold an unquoted semicolon or a decimal comma. The row was not read."
        ),
        ("too_many_rows", "file"): N_("The file has too many rows."),
    }
)
