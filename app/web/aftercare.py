"""Staff pages of aftercare: the accounts, an account's page with its forms, the
capital investors register, and the matching investors on a lead's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.db.models import User
from app.domain.access import Actor
from app.domain.aftercare import CADENCES, AccountKind, CapitalStage, IssueCategory, IssueStatus
from app.domain.errors import ValidationFailed
from app.services import aftercare, organizations, reference
from app.services.auth import actor_for
from app.services.leads import LeadView
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _uuid(form: Any, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(_text(form, name))
    except ValueError:
        return None


def _list(form: Any, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _choices(db: Session) -> dict[str, Any]:
    return {
        "municipalities": reference.municipality_choices(db),
        "industries": reference.industry_choices(db),
        "account_kinds": [k.value for k in AccountKind],
        "cadences": CADENCES,
        "issue_categories": [c.value for c in IssueCategory],
        "capital_stages": [s.value for s in CapitalStage],
    }


# ---------------------------------------------------------------- accounts


@router.get("/aftercare", response_class=HTMLResponse)
def account_list(
    request: Request, db: DbSession, user: StaffUser, q: str = "", kind: str = ""
) -> Response:
    return _list_page(request, db, user, q=q, kind=kind)


def _list_page(
    request: Request,
    db: Session,
    user: User,
    *,
    q: str = "",
    kind: str = "",
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    kind = kind if kind in {k.value for k in AccountKind} else ""
    rows, total = aftercare.list_accounts(db, actor, q=q or None, kind=kind or None, limit=200)
    return render(
        request,
        "aftercare/list.html",
        {
            **_choices(db),
            "rows": rows,
            "total": total,
            "q": q,
            "kind": kind,
            "organizations": aftercare.organization_choices(db, actor),
            "owners": aftercare.owner_choices(db, actor.municipality_code),
            "own_municipality": actor.municipality_code,
            "values": values or {},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/aftercare", dependencies=[CsrfChecked])
async def account_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    actor = actor_for(user)
    values = {
        "kind": _text(form, "kind"),
        "municipality_code": _text(form, "municipality_code") or actor.municipality_code or "",
        "checkin_months": _text(form, "checkin_months"),
        "notes": _text(form, "notes"),
    }
    try:
        account = aftercare.create_account(
            db,
            actor,
            values,
            organization_id=_uuid(form, "organization_id"),
            organization_name=_text(form, "organization_name") or None,
            owner_id=_uuid(form, "owner_id"),
        )
    except ValidationFailed as failed:
        shown = {**values, "organization_name": _text(form, "organization_name")}
        return _list_page(
            request, db, user, values=shown, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse(f"/aftercare/{account.id}", status_code=303)


def _account_page(
    request: Request,
    db: Session,
    user: User,
    account_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    view = aftercare.account_page(db, actor, account_id)
    return render(
        request,
        "aftercare/detail.html",
        {
            **_choices(db),
            "view": view,
            "owners": aftercare.owner_choices(db, view.account.municipality_code),
            "expansion": aftercare.expansion_defaults(db, actor, account_id),
            "open_status": IssueStatus.OPEN.value,
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/aftercare/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, account_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    return _account_page(request, db, user, account_id)


async def _act(
    request: Request,
    db: Session,
    user: User,
    account_id: uuid.UUID,
    action: Callable[[Actor, Any], str | None],
) -> Response:
    form = await request.form()
    try:
        goes_to = action(actor_for(user), form)
    except ValidationFailed as failed:
        return _account_page(
            request, db, user, account_id, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse(goes_to or f"/aftercare/{account_id}", status_code=303)


@router.post("/aftercare/{account_id}", dependencies=[CsrfChecked])
async def account_update(
    request: Request, account_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        aftercare.update_account(
            db,
            actor,
            account_id,
            {
                "kind": _text(form, "kind"),
                "checkin_months": _text(form, "checkin_months"),
                "notes": _text(form, "notes"),
            },
            owner_id=_uuid(form, "owner_id"),
        )

    return await _act(request, db, user, account_id, action)


@router.post("/aftercare/{account_id}/visits", dependencies=[CsrfChecked])
async def visit_add(
    request: Request, account_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        aftercare.add_visit(
            db,
            actor,
            account_id,
            {"visited_on": _text(form, "visited_on"), "notes": _text(form, "visit_notes")},
        )

    return await _act(request, db, user, account_id, action)


@router.post("/aftercare/{account_id}/issues", dependencies=[CsrfChecked])
async def issue_add(
    request: Request, account_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        aftercare.add_issue(
            db,
            actor,
            account_id,
            {
                "category": _text(form, "category"),
                "title": _text(form, "title"),
                "description": _text(form, "description"),
            },
            owner_id=_uuid(form, "issue_owner_id"),
        )

    return await _act(request, db, user, account_id, action)


@router.post("/aftercare/{account_id}/issues/{issue_id}", dependencies=[CsrfChecked])
async def issue_update(
    request: Request, account_id: uuid.UUID, issue_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> None:
        aftercare.update_issue(
            db,
            actor,
            account_id,
            issue_id,
            {"status": _text(form, "status"), "resolution": _text(form, "resolution")},
        )

    return await _act(request, db, user, account_id, action)


@router.post("/aftercare/{account_id}/expansions", dependencies=[CsrfChecked])
async def expansion_start(
    request: Request, account_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    def action(actor: Actor, form: Any) -> str:
        values: dict[str, Any] = {
            "title": _text(form, "title"),
            "description": _text(form, "description"),
            "capex_eur": _text(form, "capex_eur"),
            "jobs": _text(form, "jobs"),
            "expected_decision_on": _text(form, "expected_decision_on"),
        }
        if _text(form, "industry_code"):
            values["industry_code"] = _text(form, "industry_code")
        lead = aftercare.start_expansion(db, actor, account_id, values)
        return f"/leads/{lead.id}"

    return await _act(request, db, user, account_id, action)


# ---------------------------------------------------------------- capital investors


@router.get("/capital-investors", response_class=HTMLResponse)
def investor_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _investors_page(request, db, user)


def _investors_page(
    request: Request,
    db: Session,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    rows, total = aftercare.list_investors(db, actor)
    return render(
        request,
        "aftercare/investors.html",
        {
            **_choices(db),
            "rows": rows,
            "total": total,
            "organizations": organizations.organization_choices(db),
            "values": values or {},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


def _investor_values(form: Any) -> dict[str, Any]:
    return {
        "industry_codes": _list(form, "industry_codes"),
        "ticket_min_eur": _text(form, "ticket_min_eur"),
        "ticket_max_eur": _text(form, "ticket_max_eur"),
        "stages": _list(form, "stages"),
        "countries": [c.strip().upper() for c in _text(form, "countries").split(",") if c.strip()],
        "notes": _text(form, "notes"),
    }


@router.post("/capital-investors", dependencies=[CsrfChecked])
async def investor_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values = _investor_values(form)
    organization_id = _uuid(form, "organization_id")
    try:
        if organization_id is None:
            raise ValidationFailed.single("organization_id", "Choose from the list.", "invalid")
        aftercare.create_investor(db, actor_for(user), organization_id, values)
    except ValidationFailed as failed:
        return _investors_page(
            request, db, user, values=values, errors=FormErrors.of(failed), status_code=422
        )
    return RedirectResponse("/capital-investors", status_code=303)


def _investor_edit_page(
    request: Request,
    db: Session,
    user: User,
    investor_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    row = aftercare.get_investor(db, actor_for(user), investor_id)
    investor = row.investor
    shown = values or {
        "industry_codes": list(investor.industry_codes),
        "ticket_min_eur": investor.ticket_min_eur,
        "ticket_max_eur": investor.ticket_max_eur,
        "stages": list(investor.stages),
        "countries": list(investor.countries),
        "notes": investor.notes,
        "active": investor.active,
    }
    return render(
        request,
        "aftercare/investor_edit.html",
        {
            **_choices(db),
            "investor_id": investor.id,
            "organization_name": row.organization_name,
            "values": shown,
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/capital-investors/{investor_id}", response_class=HTMLResponse)
def investor_edit(
    request: Request, investor_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    return _investor_edit_page(request, db, user, investor_id)


@router.post("/capital-investors/{investor_id}", dependencies=[CsrfChecked])
async def investor_update(
    request: Request, investor_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    # An unticked box sends nothing: the entry is then inactive.
    values = {**_investor_values(form), "active": "true" if _text(form, "active") else "false"}
    try:
        aftercare.update_investor(db, actor_for(user), investor_id, values)
    except ValidationFailed as failed:
        shown = {**values, "active": values["active"] == "true"}
        return _investor_edit_page(
            request,
            db,
            user,
            investor_id,
            values=shown,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    return RedirectResponse("/capital-investors", status_code=303)


def capital_matches(
    db: Session, actor: Actor, view: LeadView, lang: str
) -> list[tuple[str, list[str]]] | None:
    """The lead page's "matching capital investors": names and reasons in words, for
    the coordinator (None: the section is not shown)."""
    if not (actor.sees_everything and view.need_to_know):
        return None
    names = {i.code: i.name(lang) for i in reference.industry_choices(db)}
    return [
        (m.organization_name, [aftercare.reason_text(r, lang, names) for r in m.reasons])
        for m in aftercare.matching_investors(db, actor, view.lead.id)
    ]
