"""Staff pages of Invest in Finland referrals (coordinator and admin): importing a
partner's referral export (upload, a dry-run report of what each row links to, apply)
and the partners' API tokens (issued and shown once, listed, revoked)."""

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
from app.domain.referrals import ReferralStatus
from app.i18n import N_, register_field_errors, register_labels
from app.services import imports, referrals
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.imports import problem_column, problem_text
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

register_labels("import_kind", {referrals.KIND: N_("Referrals")})
register_labels(
    "referral_link",
    {
        referrals.RowLink.NEW: N_("New organisation and lead"),
        referrals.RowLink.ORGANIZATION: N_("Existing organisation, new lead"),
        referrals.RowLink.LEAD: N_("Joins an existing lead"),
        referrals.RowLink.REPEAT: N_("Received before: nothing new"),
    },
)
# The outcome as the partner is told it.
register_labels(
    "referral_status",
    {
        ReferralStatus.RECEIVED: N_("Received"),
        ReferralStatus.IN_PROGRESS: N_("In progress"),
        ReferralStatus.LANDED: N_("Landed"),
        ReferralStatus.LOST: N_("Lost"),
        ReferralStatus.CLOSED: N_("Closed"),
    },
)
# The fields of a referral export, in words (its own headings vary by partner).
register_labels(
    "referral_column",
    {
        "referral_id": N_("Referral ID"),
        "company": N_("Company"),
        "business_id": N_("Business ID"),
        "country": N_("Country"),
        "industry": N_("Key industry"),
        "project_description": N_("Project description"),
        "capex_eur": N_("Investment (EUR)"),
        "jobs": N_("Jobs"),
        "timeline": N_("Timeline"),
        "contact_name": N_("Contact person"),
        "contact_email": N_("E-mail"),
        "contact_phone": N_("Phone"),
        "row": N_("The whole row"),
        "file": N_("The file"),
    },
)
register_field_errors(
    {
        "referral_file_missing": N_("Choose a CSV or XLSX file to upload."),
        ("required", "partner_id"): N_("Choose the partner that sent the file."),
    }
)
_LINK_TONES = {
    referrals.RowLink.NEW: "tone-success",
    referrals.RowLink.ORGANIZATION: "tone-info",
    referrals.RowLink.LEAD: "tone-info",
    referrals.RowLink.REPEAT: "tone-warning",
}

# --- the referral import ------------------------------------------------------------------


def _import_index(
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
        "referrals/imports.html",
        {
            "partners": referrals.partner_choices(db),
            "uploads": referrals.list_referral_uploads(db, actor),
            "recent": referrals.recent_referrals(db, actor, limit=20),
            "values": values or {},
            "errors": errors or FormErrors(),
            "max_rows": imports.MAX_ROWS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/referrals/imports", response_class=HTMLResponse)
def referral_import_page(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _import_index(request, db, user)


@router.post("/referrals/imports", dependencies=[CsrfChecked])
async def referral_import_upload(request: Request, db: DbSession, user: StaffUser) -> Response:
    actor = actor_for(user)
    require_staff_wide(actor)
    form = await request.form()
    raw_partner = form.get("partner_id")
    values = {"partner_id": raw_partner if isinstance(raw_partner, str) else ""}
    errors: list[FieldError] = []
    try:
        partner_id = uuid.UUID(values["partner_id"])
    except ValueError:
        errors.append(FieldError("partner_id", "Choose a partner.", "required"))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        errors.append(FieldError("file", "Choose a file.", "referral_file_missing"))
    if errors or not isinstance(file, UploadFile):
        return _import_index(
            request, db, user, values=values, errors=FormErrors(errors), status_code=422
        )
    # Read at most one byte past the limit: a larger file is refused without keeping it.
    content = await file.read(imports.MAX_BYTES + 1)
    try:
        upload = referrals.check_referral_upload(
            db, actor, partner_id, file.filename or "", content
        )
    except ValidationFailed as failed:
        return _import_index(
            request, db, user, values=values, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse(
        f"/referrals/partners/{partner_id}/imports/{upload.id}", status_code=303
    )


def _report_page(
    request: Request,
    db: Session,
    user: User,
    import_id: uuid.UUID,
    partner_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    require_staff_wide(actor)
    partner = next((p for p in referrals.partner_choices(db) if p.id == partner_id), None)
    if partner is None:
        raise NotFound("No such partner.")
    checked = referrals.get_referral_upload(db, actor, import_id, partner_id)
    report = checked.report
    return render(
        request,
        "referrals/import_report.html",
        {
            "upload": checked.upload,
            "report": report,
            "partner": partner,
            "partner_id": partner_id,
            "applied_before": checked.applied_before,
            "may_apply": checked.may_apply,
            "errors": errors or FormErrors(),
            "problem": problem_text,
            "column": problem_column,
            "link_of": referrals.row_link,
            "link_tones": _LINK_TONES,
            "links": {
                kind: sum(1 for r in report.rows if referrals.row_link(r) == kind)
                for kind in _LINK_TONES
            }
            if report
            else {},
        },
        user=user,
        status_code=status_code,
    )


# The partner is part of the report's address: the same file reads differently for
# another partner (a referral id repeats only within one partner's referrals).
@router.get("/referrals/partners/{partner_id}/imports/{import_id}", response_class=HTMLResponse)
def referral_import_report(
    request: Request, db: DbSession, user: StaffUser, partner_id: uuid.UUID, import_id: uuid.UUID
) -> Response:
    return _report_page(request, db, user, import_id, partner_id)


@router.post(
    "/referrals/partners/{partner_id}/imports/{import_id}/apply", dependencies=[CsrfChecked]
)
def referral_import_apply(
    request: Request, db: DbSession, user: StaffUser, partner_id: uuid.UUID, import_id: uuid.UUID
) -> Response:
    actor = actor_for(user)
    try:
        referrals.apply_referral_upload(db, actor, import_id, partner_id)
    except Conflict as conflict:
        errors = FormErrors([FieldError("file", conflict.detail, "import_already_imported")])
        return _report_page(
            request, db, user, import_id, partner_id, errors=errors, status_code=409
        )
    except ValidationFailed:
        # The register changed since the check: the report shows what stops it now.
        return _report_page(request, db, user, import_id, partner_id, status_code=422)
    return flash.redirect(
        request,
        f"/referrals/partners/{partner_id}/imports/{import_id}",
        N_("The referrals were imported."),
    )


# --- partner tokens -----------------------------------------------------------------------


def _tokens_page(
    request: Request,
    db: Session,
    user: User,
    *,
    new_token: str | None = None,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    return render(
        request,
        "referrals/partner_tokens.html",
        {
            "tokens": referrals.list_partner_tokens(db, actor),
            "partners": referrals.partner_choices(db),
            "new_token": new_token,
            "values": values or {},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/referrals/partner-tokens", response_class=HTMLResponse)
def partner_tokens_page(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _tokens_page(request, db, user)


@router.post("/referrals/partner-tokens", dependencies=[CsrfChecked])
async def issue_partner_token(request: Request, db: DbSession, user: StaffUser) -> Response:
    actor = actor_for(user)
    require_staff_wide(actor)
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in ("organization_id", "name")}
    try:
        organization_id = uuid.UUID(values["organization_id"])
    except ValueError:
        errors = FormErrors([FieldError("organization_id", "Choose a partner.", "unknown_partner")])
        return _tokens_page(request, db, user, values=values, errors=errors, status_code=422)
    try:
        issued = referrals.issue_partner_token(db, actor, organization_id, values["name"])
    except ValidationFailed as failed:
        return _tokens_page(
            request, db, user, values=values, errors=FormErrors.of(failed), status_code=422
        )
    # Shown on this answer only: it is not kept, so it cannot travel in a redirect.
    return _tokens_page(request, db, user, new_token=issued.token)


@router.post("/referrals/partner-tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_partner_token(
    request: Request, token_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    referrals.revoke_partner_token(db, actor_for(user), token_id)
    return flash.redirect(
        request, "/referrals/partner-tokens", N_("The partner token was revoked.")
    )
