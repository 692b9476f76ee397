"""CSV import of organisations, contacts and leads on the staff pages (coordinator and
admin): upload a file, read the dry-run report row by row and field by field, then apply
the same file, kept in the database under the upload's id, without uploading it again."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.api.deps import DbSession
from app.db.models import User
from app.domain.access import require_staff_wide
from app.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.i18n import (
    N_,
    field_error_message,
    register_field_errors,
    register_labels,
    translate,
)
from app.services import imports
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

register_labels(
    "import_kind",
    {
        "organizations": N_("Organisations"),
        "contacts": N_("Contact persons"),
        "leads": N_("Leads"),
    },
)
register_labels(
    "import_status",
    {
        imports.UploadStatus.CHECKED: N_("Ready to apply"),
        imports.UploadStatus.INVALID: N_("Has errors"),
        imports.UploadStatus.APPLIED: N_("Imported"),
    },
)
# The columns of the import files, in words (the file's own header is shown beside).
register_labels(
    "import_column",
    {
        "name": N_("Name"),
        "type": N_("Type"),
        "country": N_("Country"),
        "business_id": N_("Business ID"),
        "foreign_registry_id": N_("Foreign registry ID"),
        "industry_code": N_("Key industry"),
        "nace_code": N_("NACE/TOL code"),
        "nace_version": N_("NACE/TOL version"),
        "website": N_("Website"),
        "notes": N_("Notes"),
        "full_name": N_("Name of the person"),
        "organization_business_id": N_("Business ID of the organisation"),
        "organization_name": N_("Name of the organisation"),
        "role_title": N_("Title"),
        "email": N_("E-mail"),
        "phone": N_("Phone"),
        "language": N_("Language"),
        "lawful_basis": N_("Lawful basis"),
        "source": N_("Source"),
        "consent_text_version": N_("Version of the consent text"),
        "consent_given_at": N_("Consent given"),
        "retention_until": N_("Kept until"),
        "code_name": N_("Code name"),
        "title": N_("Title"),
        "description": N_("Description"),
        "investment_type": N_("Type of investment"),
        "origin_country": N_("Country of origin"),
        "capex_eur": N_("Investment (EUR)"),
        "capex_basis": N_("Basis of the investment amount"),
        "capex_status": N_("Status of the investment amount"),
        "jobs": N_("Jobs"),
        "jobs_basis": N_("Basis of the jobs"),
        "stage_code": N_("Stage"),
        "expected_decision_on": N_("Expected decision"),
        "priority": N_("Priority"),
        "municipality_codes": N_("Municipalities"),
        "owner_email": N_("Owner's e-mail"),
        "confidentiality": N_("Confidentiality"),
        "confidentiality_basis": N_("Legal basis of the confidentiality"),
        "announced_on": N_("Announced on"),
        "landing_municipality_code": N_("Municipality where it landed"),
        "landed_on": N_("Date landed"),
        "row": N_("The whole row"),
        "file": N_("The file"),
        "kind": N_("What to import"),
    },
)
register_field_errors(
    {
        ("unknown", "organization_business_id"): N_(
            "No organisation in the register has this business ID."
        ),
        ("invalid", "organization_business_id"): N_("This is not a valid business ID."),
        ("unknown", "organization_name"): N_("No organisation in the register has this name."),
        ("ambiguous", "organization_name"): N_(
            "Several organisations have this name; give the business ID instead."
        ),
        ("unknown", "owner_email"): N_("No user has this e-mail address."),
        ("unknown", "kind"): N_("Choose organisations, contact persons or leads."),
        # Codes of this page's own: the field "file" is other uploads' too.
        "import_file_missing": N_("Choose a CSV file to upload."),
        "import_too_large": N_("The file is larger than 5 MB; split it into smaller files."),
        "import_already_imported": N_(
            "This file has already been imported; applying it again would create every "
            "record twice."
        ),
        "import_has_errors": N_("The file has errors; correct them and upload the file again."),
        "import_confirm_duplicates": N_(
            "Confirm that you have checked the possible duplicates below."
        ),
    }
)
# A possible duplicate in an import is a warning: the apply asks to confirm it.
_DUPLICATE_WARNING = N_("The register already has %(name)s: applying adds another record.")


def problem_text(lang: str, error: FieldError) -> str:
    if error.code == "possible_duplicate":
        return translate(lang, _DUPLICATE_WARNING, name=error.params.get("name", ""))
    return field_error_message(lang, error)


def problem_column(error: FieldError) -> str:
    """The column a problem is about (a column of the header: "columns.<name>")."""
    return error.field.rsplit(".", 1)[-1]


def _index(
    request: Request,
    db: Session,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    require_staff_wide(actor)
    return render(
        request,
        "imports/index.html",
        {
            "kinds": imports.IMPORT_KINDS,
            "uploads": imports.list_uploads(db, actor),
            "values": values or {"kind": "organizations"},
            "errors": errors or FormErrors(),
            "max_rows": imports.MAX_ROWS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/imports", response_class=HTMLResponse)
def import_page(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _index(request, db, user)


@router.post("/imports", dependencies=[CsrfChecked])
async def import_upload(request: Request, db: DbSession, user: StaffUser) -> Response:
    require_staff_wide(actor_for(user))
    form = await request.form()
    kind = form.get("kind")
    kind = kind if isinstance(kind, str) else ""
    file = form.get("file")
    values = {"kind": kind}
    if not isinstance(file, UploadFile) or not file.filename:
        errors = FormErrors([FieldError("file", "Choose a file.", "import_file_missing")])
        return _index(request, db, user, values=values, errors=errors, status_code=422)
    # Read at most one byte past the limit: a larger file is refused without keeping it.
    content = await file.read(imports.MAX_BYTES + 1)
    try:
        upload = imports.check_upload(db, actor_for(user), kind, file.filename, content)
    except ValidationFailed as failed:
        return _index(
            request, db, user, values=values, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse(f"/imports/{upload.id}", status_code=303)


def _report_page(
    request: Request,
    db: Session,
    user: User,
    import_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    checked = imports.get_upload(db, actor_for(user), import_id)
    report = checked.report
    warnings = report is not None and any(r.warnings for r in report.rows)
    return render(
        request,
        "imports/report.html",
        {
            "upload": checked.upload,
            "report": report,
            "applied_before": checked.applied_before,
            "may_apply": checked.may_apply,
            "needs_confirmation": warnings,
            "errors": errors or FormErrors(),
            "problem": problem_text,
            "column": problem_column,
            "with_warnings": sum(1 for r in report.rows if r.warnings) if report else 0,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def import_report(
    request: Request, db: DbSession, user: StaffUser, import_id: uuid.UUID
) -> Response:
    return _report_page(request, db, user, import_id)


@router.post("/imports/{import_id}/apply", dependencies=[CsrfChecked])
async def import_apply(
    request: Request, db: DbSession, user: StaffUser, import_id: uuid.UUID
) -> Response:
    actor = actor_for(user)
    form = await request.form()
    checked = imports.get_upload(db, actor, import_id)
    report = checked.report
    warned = checked.may_apply and report is not None and any(r.warnings for r in report.rows)
    if warned and form.get("confirm_duplicates") != "yes":
        errors = FormErrors(
            [FieldError("confirm_duplicates", "Confirm.", "import_confirm_duplicates")]
        )
        return _report_page(request, db, user, import_id, errors=errors, status_code=422)
    try:
        imports.apply_upload(db, actor, import_id)
    except Conflict as conflict:
        twice = (
            checked.upload.status == imports.UploadStatus.APPLIED
            or checked.applied_before is not None
        )
        code = "import_already_imported" if twice else "import_has_errors"
        errors = FormErrors([FieldError("file", conflict.detail, code)])
        return _report_page(request, db, user, import_id, errors=errors, status_code=409)
    except ValidationFailed:
        # The register changed since the check: the report shows what stops it now.
        return _report_page(request, db, user, import_id, status_code=422)
    return flash.redirect(request, f"/imports/{import_id}", N_("The file was imported."))


@router.get("/imports/templates/{kind}.csv")
def import_template(kind: str, user: StaffUser) -> Response:
    require_staff_wide(actor_for(user))
    if kind not in imports.IMPORT_KINDS:
        raise NotFound("No such import.")
    return Response(
        imports.template_csv(kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
    )
