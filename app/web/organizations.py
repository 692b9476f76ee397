"""Staff pages of the CRM register: organisations and contact persons."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.api.types import PageNumber
from app.db.models import Contact, User
from app.domain.activities import ActivityKind
from app.domain.errors import ValidationFailed
from app.domain.organizations import LawfulBasis, OrganizationType
from app.services import activities, organizations, reference
from app.services.activities import Subject
from app.services.auth import actor_for
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

ORG_FIELDS = (
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
)
CONTACT_FIELDS = (
    "full_name",
    "role_title",
    "email",
    "phone",
    "language",
    "lawful_basis",
    "source",
    "consent_text_version",
    "consent_given_at",
    "retention_until",
)


def _form_values(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: v.strip() for n in names if isinstance(v := form.get(n), str)}


def _common(db: Session) -> dict[str, Any]:
    return {
        "org_types": [t.value for t in OrganizationType],
        "lawful_bases": [b.value for b in LawfulBasis],
        "activity_kinds": [k.value for k in ActivityKind],
        "industries": reference.industry_choices(db),
    }


@router.get("/organizations", response_class=HTMLResponse)
def org_list(
    request: Request, db: DbSession, user: StaffUser, q: str = "", page: PageNumber = 1
) -> Response:
    return _org_list(request, db, user, q=q, page=page, values={}, errors=FormErrors())


def _org_list(
    request: Request,
    db: Session,
    user: User,
    *,
    q: str,
    page: int,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    page = max(page, 1)
    rows, total = organizations.list_organizations(
        db, actor_for(user), q=q or None, limit=50, offset=(page - 1) * 50
    )
    return render(
        request,
        "organizations/list.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "page": page,
            "values": values,
            "errors": errors,
            "duplicate": any(e.code == "possible_duplicate" for e in errors["name"]),
            **_common(db),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/organizations", dependencies=[CsrfChecked])
async def org_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values = _form_values(form, ORG_FIELDS)
    try:
        org = organizations.create_organization(
            db, actor_for(user), values, confirm_duplicate=bool(form.get("confirm_duplicate"))
        )
    except ValidationFailed as failed:
        errors = FormErrors.of(failed)
        return _org_list(
            request, db, user, q="", page=1, values=values, errors=errors, status_code=422
        )
    return RedirectResponse(f"/organizations/{org.id}", status_code=303)


def _org_page(
    request: Request,
    db: Session,
    user: User,
    org_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    org = organizations.get_organization(db, actor, org_id)
    contacts, _ = organizations.list_contacts(db, actor, organization_id=org.id, limit=200)
    entries, _ = activities.list_activities(db, actor, Subject(organization_id=org.id))
    return render(
        request,
        "organizations/detail.html",
        {
            "org": org,
            "contacts": contacts,
            "leads": organizations.organization_leads(db, actor, org.id),
            "activities": entries,
            "values": values or {},
            "errors": errors or FormErrors(),
            **_common(db),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/organizations/{org_id}", response_class=HTMLResponse)
def org_page(request: Request, org_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    return _org_page(request, db, user, org_id)


@router.post("/organizations/{org_id}/contacts", dependencies=[CsrfChecked])
async def contact_create(
    request: Request, org_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values = _form_values(form, CONTACT_FIELDS)
    try:
        contact = organizations.create_contact(
            db,
            actor_for(user),
            values,
            organization_id=org_id,
            confirm_duplicate=bool(form.get("confirm_duplicate")),
        )
    except ValidationFailed as failed:
        errors = FormErrors.of(failed)
        return _org_page(request, db, user, org_id, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"/contacts/{contact.id}", status_code=303)


@router.post("/organizations/{org_id}/merge", dependencies=[CsrfChecked])
async def org_merge(
    request: Request, org_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    raw = form.get("merge_id")
    try:
        merge_id = uuid.UUID(raw if isinstance(raw, str) else "")
        organizations.merge_organizations(db, actor_for(user), org_id, merge_id)
    except (ValueError, ValidationFailed):
        errors = FormErrors.single("merge_id", "Give the id of another organisation.", "invalid")
        return _org_page(request, db, user, org_id, errors=errors, status_code=422)
    return RedirectResponse(f"/organizations/{org_id}", status_code=303)


@router.post("/organizations/{org_id}/activities", dependencies=[CsrfChecked])
async def org_activity(
    request: Request, org_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values = _form_values(form, ("kind", "subject", "body", "due_on"))
    try:
        activities.add_activity(
            db,
            actor_for(user),
            Subject(organization_id=org_id),
            {k: v for k, v in values.items() if v},
        )
    except ValidationFailed as failed:
        errors = FormErrors.of(failed)
        return _org_page(request, db, user, org_id, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"/organizations/{org_id}", status_code=303)


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    actor = actor_for(user)
    contact = organizations.get_contact(db, actor, contact_id)
    org = (
        organizations.get_organization(db, actor, contact.organization_id)
        if contact.organization_id
        else None
    )
    entries, _ = activities.list_activities(db, actor, Subject(contact_id=contact.id))
    return render(
        request,
        "organizations/contact.html",
        {"contact": contact, "org": org, "activities": entries, **_common(db)},
        user=user,
    )


def _contact_form(
    request: Request,
    db: Session,
    user: User,
    contact: Contact,
    *,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "organizations/contact_edit.html",
        {
            "contact": contact,
            "values": values,
            "errors": errors,
            "duplicate": any(e.code == "possible_duplicate" for e in errors.all),
            "organizations": organizations.organization_choices(db, limit=2000),
            **_common(db),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/contacts/{contact_id}/edit", response_class=HTMLResponse)
def contact_edit(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    contact = organizations.get_contact(db, actor_for(user), contact_id)
    values: dict[str, Any] = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    if contact.consent_given_at:
        values["consent_given_at"] = contact.consent_given_at.date().isoformat()
    values["organization_id"] = str(contact.organization_id or "")
    return _contact_form(request, db, user, contact, values=values, errors=FormErrors())


@router.post("/contacts/{contact_id}/edit", dependencies=[CsrfChecked])
async def contact_update(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values = _form_values(form, CONTACT_FIELDS)
    raw_org = form.get("organization_id")
    actor = actor_for(user)
    try:
        org_id = uuid.UUID(raw_org) if isinstance(raw_org, str) and raw_org else None
    except ValueError:
        org_id = None
    try:
        organizations.update_contact(
            db,
            actor,
            contact_id,
            values,
            organization_id=org_id,
            confirm_duplicate=bool(form.get("confirm_duplicate")),
        )
    except ValidationFailed as failed:
        contact = organizations.get_contact(db, actor, contact_id)
        values["organization_id"] = raw_org if isinstance(raw_org, str) else ""
        return _contact_form(
            request,
            db,
            user,
            contact,
            values=values,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


def _merge_page(
    request: Request,
    db: Session,
    user: User,
    contact_id: uuid.UUID,
    *,
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    contact = organizations.get_contact(db, actor, contact_id)
    duplicates = organizations.duplicates_of_contact(db, actor, contact_id)
    suspected = {c.id for c, _rule in duplicates}
    others, _ = organizations.list_contacts(
        db, actor, organization_id=contact.organization_id, limit=500
    )
    return render(
        request,
        "organizations/contact_merge.html",
        {
            "contact": contact,
            "duplicates": duplicates,
            "others": [c for c in others if c.id != contact.id and c.id not in suspected],
            "errors": errors,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/contacts/{contact_id}/merge", response_class=HTMLResponse)
def contact_merge_page(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    """Merge a duplicate into this contact; the likely duplicates are listed first."""
    return _merge_page(request, db, user, contact_id, errors=FormErrors())


@router.post("/contacts/{contact_id}/merge", dependencies=[CsrfChecked])
async def contact_merge(
    request: Request, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    raw = form.get("merge_id")
    try:
        merge_id = uuid.UUID(raw if isinstance(raw, str) else "")
    except ValueError:
        errors = FormErrors.single("merge_id", "Choose the duplicate.", "required")
        return _merge_page(request, db, user, contact_id, errors=errors, status_code=422)
    try:
        organizations.merge_contacts(db, actor_for(user), contact_id, merge_id)
    except ValidationFailed as failed:
        return _merge_page(
            request, db, user, contact_id, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)
