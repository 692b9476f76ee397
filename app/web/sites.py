"""Staff pages for sites: the municipality's list, a site's page with its edit form,
attachments and workflow, the package upload with its report, the review queue, the
matching sites of a lead, and the file route that serves attachments."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.api.deps import AppSettings, DbSession
from app.api.sites import StorageDep, file_response, read_limited
from app.db.models import SitePackageUpload, User
from app.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from app.domain.inputs import parse_date
from app.domain.packages import AttachmentKind, PackageLimits
from app.domain.site_fields import (
    FIELD_BY_NAME,
    SECTIONS,
    SITE_FIELDS,
    FieldType,
    SiteField,
    fields_of_type,
)
from app.domain.sites import (
    COORDINATOR_ONLY_ACTIONS,
    SITE_TRANSITIONS,
    SiteDraft,
    SiteKind,
    SiteStatus,
)
from app.i18n import (
    N_,
    field_error_message,
    format_day,
    format_eur,
    format_number,
    label,
    register_labels,
    translate,
)
from app.services import matching, packages, reference, site_revisions
from app.services import sites as site_service
from app.services.auth import actor_for
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import current_user, request_language
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

register_labels(
    "package_status",
    {"checked": N_("Ready to apply"), "invalid": N_("Has errors"), "applied": N_("Applied")},
)
register_labels(
    "package_action",
    {
        "create": N_("New site"),
        "update": N_("Update"),
        "revision": N_("Revision for review"),
        "unchanged": N_("Unchanged"),
        "error": N_("Error"),
    },
)
register_labels(
    "match_outcome", {"met": N_("Met"), "missed": N_("Missed"), "unknown": N_("Unknown")}
)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str  # text, textarea, number, integer, date, choice, bool, municipality
    labels: str | None = None  # label kind of a choice
    choices: tuple[str, ...] = ()
    required: bool = False


def _form_field(site_field: SiteField) -> FormField:
    assert site_field.widget is not None
    choices = site_field.choices
    return FormField(
        site_field.name,
        site_field.label,
        site_field.widget,
        site_field.labels,
        tuple(member.value for member in choices) if choices is not None else (),
        site_field.required,
    )


def form_sections(site_fields: Sequence[SiteField]) -> list[tuple[str, list[FormField]]]:
    """The form's sections with the fields each holds, in the order of `site_fields`."""
    return [
        (
            section,
            [_form_field(f) for f in site_fields if f.section == section and f.widget is not None],
        )
        for section in SECTIONS
    ]


# The edit form, in the order a municipality fills it; industries come separately.
FORM_SECTIONS: Final = form_sections(SITE_FIELDS)
FORM_FIELDS = [f for _, section in FORM_SECTIONS for f in section]

NOTICES = {
    "created": N_("The site was created."),
    "saved": N_("The changes were saved."),
    "unchanged": N_("Nothing was changed."),
    "submit": N_("The site was submitted for review."),
    "publish": N_("The site was published."),
    "return": N_("The site was returned to the municipality."),
    "withdraw": N_("The site was withdrawn from the portal."),
    "archive": N_("The site was archived."),
    "reopen": N_("The site was reopened for editing."),
    "verify": N_("The site's data was marked as verified today."),
    "attached": N_("The file was attached."),
    "deleted": N_("The attachment was removed."),
    "applied": N_("The package was applied."),
    "revision": N_(
        "Your changes wait for the coordinator's review. The published version stays on "
        "the portal until they are approved."
    ),
    "approved": N_("The change was approved and is now published."),
    "returned": N_("The change was returned to the municipality."),
    "discarded": N_("The proposed change was withdrawn."),
}
WORKFLOW_ACTIONS = ("submit", "publish", "return", "withdraw", "archive", "reopen")
ACTION_LABELS = {
    "submit": N_("Submit for review"),
    "publish": N_("Publish"),
    "return": N_("Return for changes"),
    "withdraw": N_("Withdraw from the portal"),
    "archive": N_("Archive"),
    "reopen": N_("Reopen for editing"),
}


def _value_of(site_value: Any) -> str:
    if site_value is None:
        return ""
    if isinstance(site_value, bool):
        return "yes" if site_value else "no"
    if isinstance(site_value, float):
        return format(Decimal(str(site_value)).normalize(), "f")
    return str(site_value)


def _parse(form: FormData) -> tuple[dict[str, Any], list[FieldError]]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for spec in FORM_FIELDS:
        raw = str(form.get(spec.name) or "").strip()
        value: Any = None
        try:
            if not raw:
                value = None
            elif spec.type in ("number", "integer"):
                number = Decimal(raw.replace(",", ".").replace(" ", ""))
                if not number.is_finite():
                    raise InvalidOperation
                if spec.type == "integer":
                    if number != number.to_integral_value():
                        raise InvalidOperation
                    value = int(number)
                elif spec.name in ("latitude", "longitude"):
                    value = float(number)
                else:
                    value = number
            elif spec.type == "date":
                value = parse_date(raw)
            elif spec.type == "bool":
                value = {"yes": True, "no": False}.get(raw)
            elif spec.type == "choice":
                if raw not in spec.choices:
                    raise ValueError(raw)
                value = raw
            else:
                value = raw
        except (InvalidOperation, ValueError):
            errors.append(FieldError(spec.name, "This value is not valid.", "invalid"))
            continue
        values[spec.name] = value
    for choice in fields_of_type(FieldType.CHOICE):
        if values.get(choice.name) is not None and choice.choices is not None:
            values[choice.name] = choice.choices(values[choice.name])
    values["industry_codes"] = tuple(str(v) for v in form.getlist("industry_codes"))
    return values, errors


def _form_context(db: DbSession) -> dict[str, Any]:
    municipalities = reference.municipality_choices(db)
    industries = reference.industry_choices(db, active_only=True)
    return {
        "sections": FORM_SECTIONS,
        "municipalities": municipalities,
        "industries": industries,
    }


@router.get("/sites", response_class=HTMLResponse)
def site_list(
    request: Request,
    db: DbSession,
    user: StaffUser,
    status: str | None = None,
    q: str | None = None,
    municipality: str | None = None,
    needs_verification: bool = False,
    offset: int = 0,
) -> HTMLResponse:
    actor = actor_for(user)
    if actor.municipality_code and municipality is None:
        municipality = actor.municipality_code
    status = status if status in {s.value for s in SiteStatus} else None
    rows, total = site_service.list_sites(
        db,
        actor,
        municipality_code=municipality or None,
        status=status,
        q=q,
        needs_verification=needs_verification,
        limit=50,
        offset=max(offset, 0),
    )
    flagged = site_service.list_sites(
        db, actor, municipality_code=municipality or None, needs_verification=True, limit=1
    )[1]
    return render(
        request,
        "sites/list.html",
        {
            "rows": rows,
            "total": total,
            "offset": max(offset, 0),
            "filters": {
                "status": status or "",
                "q": q or "",
                "municipality": municipality or "",
                "needs_verification": needs_verification,
            },
            "statuses": [s.value for s in SiteStatus],
            "municipalities": reference.municipality_choices(db),
            "flagged": flagged,
            "can_create": actor.sees_everything or actor.municipality_code is not None,
            # A municipality's proposals the coordinator sent back (the team's are on
            # the review queue's side of the work).
            "returned_revisions": []
            if actor.sees_everything
            else site_revisions.returned_revisions(db, actor),
        },
        user=user,
    )


@router.get("/sites/new", response_class=HTMLResponse)
def new_site_form(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    values = {"municipality_code": user.municipality_code or "", "kind": "industrial_plot"}
    return render(
        request,
        "sites/new.html",
        {**_form_context(db), "values": values, "codes": [], "errors": FormErrors()},
        user=user,
    )


@router.post("/sites/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def create_site(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values, errors = _parse(form)
    problem = None
    if not errors:
        try:
            site = site_service.create_site(db, actor_for(user), SiteDraft(**_required(values)))
            return RedirectResponse(f"/sites/{site.id}?done=created", status_code=303)
        except ValidationFailed as failed:
            errors = failed.errors
        except (PermissionDenied, NotFound):
            raise  # refused like any other page: 403, or 404 for what the user may not see
        except DomainError as refused:
            problem = refused.detail
    return render(
        request,
        "sites/new.html",
        {
            **_form_context(db),
            "values": {k: _value_of(v) for k, v in values.items()},
            "codes": list(values.get("industry_codes", ())),
            "errors": FormErrors(errors),
            "problem": problem,
        },
        user=user,
        status_code=422,
    )


def _required(values: dict[str, Any]) -> dict[str, Any]:
    """The draft's required fields as empty values, so validation names them."""
    return {
        **values,
        "kind": values.get("kind") or SiteKind.OTHER,
        "name_fi": values.get("name_fi") or "",
        "municipality_code": values.get("municipality_code") or "",
    }


FIELD_SPECS = {f.name: f for f in FORM_FIELDS}


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class RevisionPage:
    """A revision as people read it: every changed field with its label, the old and
    the new value in words, and the files it adds or removes."""

    view: site_revisions.RevisionView
    rows: list[DiffRow]

    @property
    def site(self) -> Any:
        return self.view.site

    @property
    def revision(self) -> Any:
        return self.view.revision


class _Names:
    """Municipality and industry names in the reader's language."""

    def __init__(self, db: DbSession, lang: str) -> None:
        english = lang == "en"
        self.municipalities = {
            m.code: (m.name_en if english else m.name_fi)
            for m in reference.municipality_choices(db)
        }
        self.industries = {
            i.code: (i.name_en if english else i.name_fi) for i in reference.industry_choices(db)
        }


def _shown_value(lang: str, names: _Names, name: str, value: Any) -> str:
    """A field's value in words, as the reader writes it; "–" when there is none."""
    if value is None or value == ():
        return "–"
    spec = FIELD_SPECS.get(name)
    if name == "industry_codes":
        return ", ".join(sorted(names.industries.get(code, code) for code in value))
    if name == "polygon":
        points = sum(len(ring) for ring in value)
        return translate(lang, "%(n)s boundary points", n=points)
    if name == "municipality_code":
        return names.municipalities.get(value, value)
    if isinstance(value, bool):
        return translate(lang, "Yes") if value else translate(lang, "No")
    if spec is not None and spec.type == "choice" and spec.labels:
        return label(lang, spec.labels, str(getattr(value, "value", value)))
    if name == "price_eur":
        return format_eur(value, lang)
    if isinstance(value, date):
        return format_day(value, lang)
    if isinstance(value, float) and name in ("latitude", "longitude"):
        return format_number(value, lang, 6)
    if isinstance(value, Decimal | float | int):
        return format_number(value, lang, 3)
    return str(value)


def revision_page(
    db: DbSession, lang: str, view: site_revisions.RevisionView, names: _Names | None = None
) -> RevisionPage:
    names = names or _Names(db, lang)
    rows = [
        DiffRow(
            change.field,
            translate(
                lang,
                FIELD_BY_NAME[change.field].label
                if change.field in FIELD_BY_NAME
                else change.field,
            ),
            _shown_value(lang, names, change.field, change.old),
            _shown_value(lang, names, change.field, change.new),
        )
        for change in view.changes
    ]
    return RevisionPage(view, rows)


def _form_values(draft: SiteDraft) -> dict[str, str]:
    return {f.name: _value_of(getattr(draft, f.name)) for f in FORM_FIELDS}


def _site_page(
    request: Request,
    db: DbSession,
    user: User,
    site_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    site, draft = site_service.site_draft(db, actor, site_id)
    settings = request.app.state.settings
    done = request.query_params.get("done")
    can_edit = actor.sees_everything or actor.municipality_code == site.municipality_code
    lang = request_language(request, user)
    view = site_revisions.site_revision(db, actor, site)
    proposing = site_revisions.needs_review(actor, site)
    if values is None:
        # The municipality edits on top of what it proposes; the coordinator edits
        # the published version itself.
        shown_draft = (
            site_revisions.proposed_draft(draft, view.revision) if view and proposing else draft
        )
        values = _form_values(shown_draft)
        codes = list(shown_draft.industry_codes)
    else:
        codes = list(draft.industry_codes)
    return render(
        request,
        "sites/detail.html",
        {
            **_form_context(db),
            "site": site,
            "values": values,
            "codes": codes,
            "errors": errors or FormErrors(),
            "problem": problem,
            "revision": revision_page(db, lang, view) if view else None,
            "proposing": proposing and can_edit,
            "notice": NOTICES.get(done) if done else None,
            "attachments": site_service.list_attachments(db, actor, site.id),
            "versions": site_service.site_versions(db, actor, site.id)[:20]
            if site_service.may_read_site_history(actor, site)
            else None,
            "freshness": site_service.site_freshness(site, settings).value,
            "can_edit": can_edit and site.status != SiteStatus.ARCHIVED.value,
            "actions": _allowed_actions(site.status, actor.sees_everything) if can_edit else [],
            "action_labels": ACTION_LABELS,
            "attachment_kinds": [k.value for k in AttachmentKind],
        },
        user=user,
        status_code=status_code,
    )


def _allowed_actions(status: str, coordinator: bool) -> list[str]:
    current = SiteStatus(status)
    return [
        action
        for action in WORKFLOW_ACTIONS
        if current in SITE_TRANSITIONS[action]
        and (coordinator or action not in COORDINATOR_ONLY_ACTIONS)
    ]


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, site_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    return _site_page(request, db, user, site_id)


@router.post("/sites/{site_id}", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def update_site(
    request: Request, site_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values, errors = _parse(form)
    problem = None
    if not errors:
        try:
            outcome = site_service.edit_site(db, actor_for(user), site_id, _required(values))
            if outcome.revision is not None:
                done = "revision"
            else:
                done = "saved" if outcome.changed else "unchanged"
            return RedirectResponse(f"/sites/{site_id}?done={done}", status_code=303)
        except ValidationFailed as failed:
            errors = failed.errors
        except Conflict as refused:
            problem = translate(request_language(request, user), refused.detail)
    shown = {k: _value_of(v) for k, v in values.items() if k != "industry_codes"}
    page = _site_page(
        request,
        db,
        user,
        site_id,
        values=shown,
        errors=FormErrors(errors),
        problem=problem,
        status_code=422,
    )
    return page


@router.post("/sites/{site_id}/verify", dependencies=[CsrfChecked])
def verify_site(site_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    site_service.verify_site(db, actor_for(user), site_id)
    return RedirectResponse(f"/sites/{site_id}?done=verify", status_code=303)


@router.post("/sites/{site_id}/actions/{action}", dependencies=[CsrfChecked])
def site_action(
    request: Request,
    site_id: uuid.UUID,
    action: str,
    db: DbSession,
    user: StaffUser,
    comment: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    lang = request_language(request, user)
    try:
        site_service.transition_site(db, actor_for(user), site_id, action, comment=comment)
    except ValidationFailed as failed:
        return _site_page(
            request,
            db,
            user,
            site_id,
            problem=field_error_message(lang, failed.errors[0]),
            status_code=422,
        )
    back = "/review" if action in ("publish", "return") and user.role != "municipal_contact" else ""
    return RedirectResponse(back or f"/sites/{site_id}?done={action}", status_code=303)


@router.post("/sites/{site_id}/attachments", dependencies=[CsrfChecked])
async def add_attachment(
    request: Request,
    site_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    storage: StorageDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "",
    title_fi: Annotated[str, Form(max_length=200)] = "",
    title_en: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    lang = request_language(request, user)
    data = await read_limited(file, PackageLimits().max_file_bytes)
    try:
        site_service.add_attachment(
            db,
            actor_for(user),
            storage,
            site_id,
            filename=file.filename or "attachment",
            data=data,
            kind=AttachmentKind(kind) if kind in {k.value for k in AttachmentKind} else None,
            title_fi=title_fi,
            title_en=title_en,
            lang=lang,
        )
    except ValidationFailed as failed:
        return _site_page(
            request,
            db,
            user,
            site_id,
            problem=field_error_message(lang, failed.errors[0]),
            status_code=422,
        )
    return RedirectResponse(f"/sites/{site_id}?done=attached#attachments", status_code=303)


@router.post("/sites/{site_id}/attachments/{attachment_id}/delete", dependencies=[CsrfChecked])
def delete_attachment(
    site_id: uuid.UUID,
    attachment_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    storage: StorageDep,
) -> Response:
    site_service.delete_attachment(db, actor_for(user), storage, site_id, attachment_id)
    return RedirectResponse(f"/sites/{site_id}?done=deleted#attachments", status_code=303)


@router.get("/site-files/{attachment_id}")
@router.get("/site-files/{attachment_id}/thumbnail")
def site_file(
    request: Request,
    attachment_id: uuid.UUID,
    db: DbSession,
    settings: AppSettings,
    storage: StorageDep,
) -> Response:
    """Staff see files of the sites in their scope; anyone else only the files of
    sites on the public portal."""
    user = current_user(request, db)
    attachment, data, content_type = site_service.attachment_file(
        db,
        actor_for(user) if user else None,
        storage,
        settings,
        attachment_id,
        thumbnail=request.url.path.endswith("/thumbnail"),
    )
    return file_response(data, content_type, attachment.filename)


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    return _review_page(request, db, user)


def _review_page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    problem: str | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    actor = actor_for(user)
    rows = site_service.review_queue(db, actor)
    lang = request_language(request, user)
    names = _Names(db, lang)
    revisions = [
        revision_page(db, lang, view, names) for view in site_revisions.pending_revisions(db, actor)
    ]
    done = request.query_params.get("done")
    return render(
        request,
        "sites/review.html",
        {
            "rows": rows,
            "revisions": revisions,
            "municipality_names": names.municipalities,
            "notice": NOTICES.get(done) if done else None,
            "problem": problem,
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


def _seen(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _review_decision(
    request: Request, db: DbSession, user: User, decide: Callable[[], object], done: str
) -> Response:
    """Approve or return a revision; a refusal shows the queue again, saying why."""
    lang = request_language(request, user)
    try:
        decide()
    except Conflict as refused:
        db.rollback()
        return _review_page(
            request, db, user, problem=translate(lang, refused.detail), status_code=409
        )
    except ValidationFailed as failed:
        db.rollback()
        return _review_page(
            request,
            db,
            user,
            problem=field_error_message(lang, failed.errors[0]),
            errors=FormErrors(failed.errors),
            status_code=422,
        )
    return RedirectResponse(f"/review?done={done}", status_code=303)


@router.post("/sites/{site_id}/revision/approve", dependencies=[CsrfChecked])
def approve_revision(
    request: Request,
    site_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    storage: StorageDep,
    seen: Annotated[str | None, Form(max_length=12)] = None,
) -> Response:
    return _review_decision(
        request,
        db,
        user,
        lambda: site_revisions.approve(db, actor_for(user), storage, site_id, seen=_seen(seen)),
        "approved",
    )


@router.post("/sites/{site_id}/revision/return", dependencies=[CsrfChecked])
def return_revision(
    request: Request,
    site_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    comment: Annotated[str | None, Form(max_length=4000)] = None,
    seen: Annotated[str | None, Form(max_length=12)] = None,
) -> Response:
    return _review_decision(
        request,
        db,
        user,
        lambda: site_revisions.return_revision(
            db, actor_for(user), site_id, comment, seen=_seen(seen)
        ),
        "returned",
    )


@router.post("/sites/{site_id}/revision/discard", dependencies=[CsrfChecked])
def discard_revision(
    site_id: uuid.UUID, db: DbSession, user: StaffUser, storage: StorageDep
) -> Response:
    site_revisions.discard(db, actor_for(user), storage, site_id)
    return RedirectResponse(f"/sites/{site_id}?done=discarded", status_code=303)


@router.get("/site-packages", response_class=HTMLResponse)
def package_page(request: Request, db: DbSession, user: StaffUser) -> HTMLResponse:
    uploads = packages.list_uploads(db, actor_for(user))
    return render(request, "sites/packages.html", {"uploads": uploads}, user=user)


@router.post("/site-packages", dependencies=[CsrfChecked])
async def package_upload(
    request: Request,
    db: DbSession,
    user: StaffUser,
    file: Annotated[UploadFile, File()],
) -> Response:
    lang = request_language(request, user)
    data = await read_limited(file, PackageLimits().max_upload_bytes)
    try:
        upload = packages.check_package(
            db, actor_for(user), filename=file.filename or "package", data=data, lang=lang
        )
    except ValidationFailed as refused:
        uploads = packages.list_uploads(db, actor_for(user))
        return render(
            request,
            "sites/packages.html",
            {"uploads": uploads, "refused": refused.errors, "filename": file.filename},
            user=user,
            status_code=422,
        )
    return RedirectResponse(f"/site-packages/{upload.id}", status_code=303)


# Report rows per page of the package report.
REPORT_PAGE: Final = 100


def _report_context(
    db: Session, upload: SitePackageUpload, offset: int = 0, **extra: object
) -> dict[str, object]:
    return {
        "upload": upload,
        "report": upload.report,
        "rows": packages.report_rows(db, upload, offset, REPORT_PAGE),
        "offset": offset,
        "page_size": REPORT_PAGE,
        "total": sum(upload.report.get("summary", {}).values()),
        **extra,
    }


@router.get("/site-packages/{upload_id}", response_class=HTMLResponse)
def package_report(
    request: Request,
    upload_id: uuid.UUID,
    db: DbSession,
    user: StaffUser,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    upload = packages.get_upload(db, actor_for(user), upload_id)
    done = request.query_params.get("done")
    notice = NOTICES.get(done) if done else None
    return render(
        request,
        "sites/package_report.html",
        _report_context(db, upload, offset, notice=notice),
        user=user,
    )


@router.post("/site-packages/{upload_id}/apply", dependencies=[CsrfChecked])
def package_apply(
    request: Request, upload_id: uuid.UUID, db: DbSession, user: StaffUser, storage: StorageDep
) -> Response:
    try:
        packages.apply_package(db, actor_for(user), storage, upload_id)
    except Conflict as refused:
        upload = packages.get_upload(db, actor_for(user), upload_id)
        return render(
            request,
            "sites/package_report.html",
            _report_context(db, upload, problem=refused.detail),
            user=user,
            status_code=409,
        )
    return RedirectResponse(f"/site-packages/{upload_id}?done=applied", status_code=303)


@router.get("/leads/{lead_id}/matching-sites", response_class=HTMLResponse)
def matching_page(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> HTMLResponse:
    result = matching.matching_sites(db, actor_for(user), lead_id)
    return render(
        request,
        "sites/matching.html",
        {"matching": result, "municipalities": reference.municipality_choices(db)},
        user=user,
    )
