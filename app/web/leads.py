"""Staff pages of the lead pipeline: kanban board, list, lead page, transitions, handoffs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.api.types import PageNumber
from app.db.models import User
from app.domain.access import require_role, require_staff_wide
from app.domain.activities import ActivityKind
from app.domain.errors import FieldError, PermissionDenied, ValidationFailed
from app.domain.inputs import parse_date
from app.domain.leads import (
    AmountBasis,
    CapexStatus,
    Confidentiality,
    InvestmentType,
    LeadSource,
    Priority,
    StageKind,
    TransitionRequest,
)
from app.i18n import HELSINKI, N_, register_field_errors
from app.services import (
    activities,
    history,
    intake,
    leads,
    ledger,
    matching,
    organizations,
    reference,
    referrals,
    users,
)
from app.services import board as pipeline_board
from app.services.activities import Subject
from app.services.auth import actor_for
from app.services.leads import LeadFilters, LeadLinks
from app.web import aftercare as aftercare_pages
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import FormErrors, is_fragment_request, render

router = APIRouter(include_in_schema=False)

LIST_PAGE = 50
BEST_MATCHES = 3


def filter_choices(db: Session) -> dict[str, Any]:
    """What the list's filters offer: the forms' choices less those only a form shows
    (each a statement on every page)."""
    return {
        "stages": leads.list_stages(db),
        "municipalities": reference.municipality_choices(db),
        "industries": reference.industry_choices(db, active_only=True),
        "investment_types": [t.value for t in InvestmentType],
        "sources": [s.value for s in LeadSource],
        "owners": users.lead_owner_choices(db),
    }


def choices(db: Session) -> dict[str, Any]:
    """Everything the lead forms offer to choose from: the filters' choices and more."""
    return {
        **filter_choices(db),
        "lost_reasons": [r for r in leads.list_lost_reasons(db) if r.active],
        "priorities": [p.value for p in Priority],
        "bases": [b.value for b in AmountBasis],
        "capex_statuses": [s.value for s in CapexStatus],
        "confidentiality_classes": [c.value for c in Confidentiality],
        "landing_statuses": [CapexStatus.COMMITTED.value, CapexStatus.REALISED.value],
        "activity_kinds": [k.value for k in ActivityKind],
    }


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _uuid(form: Any, name: str, errors: list[FieldError]) -> uuid.UUID | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        errors.append(FieldError(name, "Choose from the list.", "invalid"))
        return None


def filters_from(request: Request) -> LeadFilters:
    params = request.query_params
    owner = params.get("owner") or None
    try:
        owner_id = uuid.UUID(owner) if owner else None
    except ValueError:
        owner_id = None
    return LeadFilters(
        stages=[s for s in params.getlist("stage") if s],
        industry=params.get("industry") or None,
        municipality=params.get("municipality") or None,
        owner_id=owner_id,
        investment_type=params.get("type") or None,
        origin_country=params.get("origin") or None,
        source=params.get("source") or None,
        priority=params.get("priority") or None,
        q=params.get("q") or None,
        sort=params.get("sort") or "-updated_at",
    )


# The list's sortable columns: the sort key, and whether a first click sorts descending.
SORTABLE_COLUMNS = {
    "code_name": False,
    "stage": False,
    "capex_eur": True,
    "expected_decision_on": False,
}


def _sort_headers(request: Request, current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the URL that sorts by it (a second click reverses the
    order) and its aria-sort state. Filters stay; paging restarts."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("sort", "page")]
    headers = {}
    for key, descending_first in SORTABLE_COLUMNS.items():
        if current == key:
            state, following = "ascending", f"-{key}"
        elif current == f"-{key}":
            state, following = "descending", key
        else:
            state, following = "none", f"-{key}" if descending_first else key
        headers[key] = {"url": "/leads?" + urlencode([*kept, ("sort", following)]), "state": state}
    return headers


@router.get("/leads", response_class=HTMLResponse)
def lead_list(request: Request, db: DbSession, user: StaffUser, page: PageNumber = 1) -> Response:
    """The lead list. An htmx request (filters, sorting, paging) gets only the results
    region, leads/_results.html; the same URL without it gets the whole page."""
    actor = actor_for(user)
    filters = filters_from(request)
    page = max(page, 1)
    try:
        rows, total = leads.list_leads(
            db, actor, filters, limit=LIST_PAGE, offset=(page - 1) * LIST_PAGE
        )
    except ValidationFailed:
        filters.sort = "-updated_at"
        rows, total = leads.list_leads(db, actor, filters, limit=LIST_PAGE)
    query = request.url.query
    fragment = is_fragment_request(request)
    offered = filter_choices(db)
    response = render(
        request,
        "leads/_results.html" if fragment else "leads/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // LIST_PAGE)),
            "filters": filters,
            "query": query,
            "query_without_page": "&".join(
                p for p in query.split("&") if p and not p.startswith("page=")
            ),
            "sort_headers": _sort_headers(request, filters.sort),
            "may_create": actor.role in leads.LEAD_WORKERS,
            # A row's stage by its code, not by a loop over every stage per row.
            "stage_by_code": {s.code: s for s in offered["stages"]},
            **offered,
        },
        user=user,
    )
    # The same URL answers with a fragment or a page: caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/leads/board", response_class=HTMLResponse)
def board(request: Request, db: DbSession, user: StaffUser) -> Response:
    """The pipeline by stage; each card carries a plain form so no script is needed."""
    actor = actor_for(user)
    filters = filters_from(request)
    today = datetime.now(UTC).astimezone(HELSINKI).date()
    try:
        columns = pipeline_board.board(db, actor, filters, today)
    except ValidationFailed:
        filters.sort = "-updated_at"
        columns = pipeline_board.board(db, actor, filters, today)
    return render(
        request,
        "leads/board.html",
        {"columns": columns, "filters": filters, "query": request.url.query, **choices(db)},
        user=user,
    )


def _lead_values(form: Any) -> tuple[dict[str, Any], LeadLinks, list[FieldError]]:
    errors: list[FieldError] = []
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in (
            "code_name",
            "title",
            "description",
            "industry_code",
            "investment_type",
            "origin_country",
            "capex_eur",
            "capex_basis",
            "capex_status",
            "jobs",
            "jobs_basis",
            "source",
            "expected_decision_on",
            "priority",
            "confidentiality",
            "confidentiality_basis",
            "announced_on",
        )
    }
    values["municipality_codes"] = [c for c in form.getlist("municipality_codes") if c]
    values["requirements"] = {
        name: _text(form, f"req_{name}")
        for name in ("min_area_ha", "max_area_ha", "min_power_mw", "water_m3_per_day")
    } | {
        "needs_rail": True if form.get("req_needs_rail") else None,
        "zoning_statuses": [z for z in form.getlist("req_zoning_statuses") if z],
        "municipality_codes": [c for c in form.getlist("req_municipality_codes") if c],
    }
    links = LeadLinks(
        organization_id=_uuid(form, "organization_id", errors),
        owner_id=_uuid(form, "owner_id", errors),
        clear_organization=not _text(form, "organization_id"),
    )
    return values, links, errors


# "source" alone names a person's data source elsewhere (app/services/organizations.py):
# the lead form says which source it means.
register_field_errors({"lead_source_required": N_("Choose where the lead came from.")})


def _lead_form_errors(failed: ValidationFailed) -> FormErrors:
    return FormErrors(
        FieldError(e.field, e.reason, "lead_source_required", e.params)
        if (e.field, e.code) == ("source", "required")
        else e
        for e in failed.errors
    )


def _form_page(
    request: Request,
    db: Session,
    user: User,
    *,
    lead: Any,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    orgs = organizations.organization_choices(db, limit=2000)
    return render(
        request,
        "leads/form.html",
        {
            "lead": lead,
            "values": values,
            "errors": errors,
            "duplicate": any(e.code == "possible_duplicate" for e in errors["organization_id"]),
            "organizations": orgs if actor_for(user).sees_everything else [],
            "zoning_statuses": [
                "detailed_plan",
                "detailed_plan_in_preparation",
                "master_plan",
                "none",
            ],
            **choices(db),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/leads/new", response_class=HTMLResponse)
def new_lead(request: Request, db: DbSession, user: StaffUser) -> Response:
    require_role(actor_for(user), *leads.LEAD_WORKERS)
    return _form_page(
        request, db, user, lead=None, values={"requirements": {}}, errors=FormErrors()
    )


@router.post("/leads/new", dependencies=[CsrfChecked])
async def create_lead(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values, links, errors = _lead_values(form)
    try:
        if errors:
            raise ValidationFailed(errors=errors)
        lead = leads.create_lead(
            db,
            actor_for(user),
            dict(values),
            links,
            confirm_duplicate=bool(form.get("confirm_duplicate")),
        )
    except ValidationFailed as failed:
        return _form_page(
            request,
            db,
            user,
            lead=None,
            values={**values, "organization_id": _text(form, "organization_id")},
            errors=_lead_form_errors(failed),
            status_code=422,
        )
    return RedirectResponse(f"/leads/{lead.id}", status_code=303)


@router.get("/leads/{lead_id}/edit", response_class=HTMLResponse)
def edit_lead(request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    view = leads.get_lead(db, actor_for(user), lead_id)
    if not view.can_edit:
        raise PermissionDenied("Only the lead's owner or the coordinator may change it.")
    lead = view.lead
    values = {c.key: getattr(lead, c.key) for c in lead.__table__.columns}
    values["municipality_codes"] = view.municipality_codes
    return _form_page(request, db, user, lead=lead, values=values, errors=FormErrors())


@router.post("/leads/{lead_id}/edit", dependencies=[CsrfChecked])
async def update_lead(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values, links, errors = _lead_values(form)
    actor = actor_for(user)
    view = leads.get_lead(db, actor, lead_id)
    if not actor.sees_everything:
        # Only the coordinator sees the register, so only they relink the investor.
        links.organization_id, links.clear_organization = None, False
    try:
        if errors:
            raise ValidationFailed(errors=errors)
        leads.update_lead(db, actor, lead_id, dict(values), links)
    except ValidationFailed as failed:
        return _form_page(
            request,
            db,
            user,
            lead=view.lead,
            values={**values, "organization_id": _text(form, "organization_id")},
            errors=_lead_form_errors(failed),
            status_code=422,
        )
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)


def _lead_page(
    request: Request,
    db: Session,
    user: User,
    lead_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    form_name: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    view = leads.get_lead(db, actor, lead_id)
    lang = request_language(request, user)
    timeline = history.lead_timeline(db, actor, lead_id, lang) if view.need_to_know else []
    durations = leads.stage_durations(db, actor, lead_id)
    today = datetime.now(UTC).astimezone(HELSINKI).date()
    next_task = (
        pipeline_board.next_tasks(db, actor, [lead_id], today).get(lead_id)
        if view.need_to_know
        else None
    )
    entered = view.lead.stage_changed_at.astimezone(HELSINKI).date()
    links_contacts = view.can_edit and view.need_to_know and actor.sees_everything
    linked = {c.id for c, _role in view.contacts}
    # Ranking every site on offer costs a query per lead page: only for a set profile.
    best = (
        matching.matching_sites(db, actor, lead_id, limit=BEST_MATCHES).matches
        if view.need_to_know and view.lead.requirements
        else []
    )
    return render(
        request,
        "leads/detail.html",
        {
            "view": view,
            "lead": view.lead,
            "timeline": timeline,
            "durations": {code: d.days for code, d in durations.items()},
            "next_task": next_task,
            "days_in_stage": max((today - entered).days, 0),
            "pending_share": view.share_for(actor),
            "errors": errors or FormErrors(),
            "form_name": form_name,
            "values": values or {},
            "partners": leads.share_receiver_choices(db) if view.can_edit else [],
            "today": date.today().isoformat(),  # noqa: DTZ011  (a form default only)
            "today_date": datetime.now(UTC).date(),
            "contact_choices": [
                (c, org)
                for c, org in leads.contact_choices(db, actor, view.lead.organization_id)
                if c.id not in linked
            ]
            if links_contacts
            else [],
            "links_contacts": links_contacts,
            "candidate_sites": leads.candidate_sites(db, actor, lead_id),
            "site_choices": [
                s for s in leads.site_choices(db, actor) if s.id not in set(view.site_ids)
            ]
            if view.can_edit
            else [],
            "best_matches": best,
            "intake": intake.intake_view(db, actor, lead_id, datetime.now(UTC))
            if view.need_to_know
            else None,
            "capital_matches": aftercare_pages.capital_matches(db, actor, view, lang),
            "referrals": referrals.referrals_of_lead(db, actor, lead_id)
            if view.need_to_know
            else [],
            **choices(db),
        },
        user=user,
        status_code=status_code,
    )


def _lead_refused(
    request: Request,
    db: Session,
    user: User,
    lead_id: uuid.UUID,
    failed: ValidationFailed,
    form_name: str,
    values: dict[str, Any],
) -> Response:
    """The lead page again, with the refused quick-action form filled in as sent."""
    return _lead_page(
        request,
        db,
        user,
        lead_id,
        errors=FormErrors.of(failed),
        form_name=form_name,
        values=values,
        status_code=422,
    )


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    return _lead_page(request, db, user, lead_id)


def _move_page(
    request: Request,
    db: Session,
    user: User,
    lead_id: uuid.UUID,
    to_stage: str,
    *,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    view = leads.get_lead(db, actor_for(user), lead_id)
    stage_by_code = {s.code: s for s in leads.list_stages(db)}
    target = stage_by_code.get(to_stage)
    return render(
        request,
        "leads/move.html",
        {
            "view": view,
            "lead": view.lead,
            "target": target,
            "to_stage": to_stage,
            "needs_landing": target is not None and target.kind == StageKind.WON.value,
            "needs_reason": target is not None and target.kind == StageKind.LOST.value,
            "reopening": stage_by_code[view.lead.stage_code].kind
            in (StageKind.WON.value, StageKind.LOST.value),
            "values": values,
            "errors": errors,
            **choices(db),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/leads/{lead_id}/merge", dependencies=[CsrfChecked])
async def merge_lead(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    """The coordinator merges a duplicate into this lead."""
    form = await request.form()
    errors: list[FieldError] = []
    duplicate_id = _uuid(form, "duplicate_id", errors)
    try:
        if errors:
            raise ValidationFailed(errors=errors)
        ledger.merge_leads(db, actor_for(user), lead_id, duplicate_id)
    except ValidationFailed as failed:
        values = {"duplicate_id": _text(form, "duplicate_id")}
        return _lead_refused(request, db, user, lead_id, failed, "merge", values)
    return RedirectResponse(f"/leads/{lead_id}?merged=1#amounts", status_code=303)


@router.get("/leads/{lead_id}/move", response_class=HTMLResponse)
def move_dialog(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser, to_stage: str = ""
) -> Response:
    """The transition dialog: asks exactly what the target stage requires."""
    back = request.query_params.get("next") or ""
    values = {"next": back} if back.startswith("/leads") else {}
    return _move_page(request, db, user, lead_id, to_stage, values=values, errors=FormErrors())


@router.post("/leads/{lead_id}/move", dependencies=[CsrfChecked])
async def move_lead(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    to_stage = _text(form, "to_stage") or ""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    errors: list[FieldError] = []
    amount: Decimal | None = None
    if raw_amount := _text(form, "realised_capex_eur"):
        try:
            amount = Decimal(raw_amount.replace(" ", "").replace("\u00a0", ""))
        except InvalidOperation:
            errors.append(FieldError("realised_capex_eur", "Give a whole number.", "invalid"))
    landed_on: date | None = None
    if raw_date := _text(form, "landed_on"):
        try:
            landed_on = parse_date(raw_date)
        except ValueError:
            errors.append(FieldError("landed_on", "Give a date as YYYY-MM-DD.", "invalid_date"))
    status = _text(form, "capex_status")
    jobs: int | None = None
    if raw_jobs := _text(form, "realised_jobs"):
        try:
            jobs = int(raw_jobs.replace(" ", "").replace("\u00a0", ""))
        except ValueError:
            errors.append(FieldError("realised_jobs", "Give a whole number.", "not_a_number"))
    try:
        if errors:
            raise ValidationFailed(errors=errors)
        leads.transition(
            db,
            actor_for(user),
            lead_id,
            TransitionRequest(
                to_stage=to_stage,
                note=_text(form, "note"),
                landing_municipality_code=_text(form, "landing_municipality_code"),
                realised_capex_eur=amount,
                capex_status=CapexStatus(status) if status in set(CapexStatus) else None,
                landed_on=landed_on,
                lost_reason_code=_text(form, "lost_reason_code"),
                realised_jobs=jobs,
            ),
        )
    except ValidationFailed as failed:
        return _move_page(
            request,
            db,
            user,
            lead_id,
            to_stage,
            values=values,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    back = _text(form, "next")
    return RedirectResponse(
        back if back and back.startswith("/leads") else f"/leads/{lead_id}", status_code=303
    )


@router.post("/leads/{lead_id}/activities", dependencies=[CsrfChecked])
async def add_activity(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    values = {k: _text(form, k) for k in ("kind", "subject", "body", "due_on")}
    errors: list[FieldError] = []
    assignee = _uuid(form, "assignee_id", errors)
    # The next-step card plans a task with a form of its own; its errors show there.
    form_name = "next_task" if _text(form, "form_name") == "next_task" else "activity"
    try:
        activities.add_activity(
            db,
            actor_for(user),
            Subject(lead_id=lead_id),
            {k: v for k, v in values.items() if v is not None},
            assignee_id=assignee if values.get("kind") == "task" else None,
        )
    except ValidationFailed as failed:
        return _lead_refused(request, db, user, lead_id, failed, form_name, values)
    anchor = "next-step" if form_name == "next_task" else "timeline"
    return RedirectResponse(f"/leads/{lead_id}#{anchor}", status_code=303)


@router.post("/leads/{lead_id}/probability", dependencies=[CsrfChecked])
async def set_probability(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    raw = _text(form, "probability")
    try:
        probability = int(raw) if raw is not None else None
    except ValueError:
        probability = -1  # reported by the domain rule as out of range
    try:
        leads.set_probability(db, actor_for(user), lead_id, probability, _text(form, "reason"))
    except ValidationFailed as failed:
        return _lead_refused(
            request,
            db,
            user,
            lead_id,
            failed,
            "probability",
            {"probability": raw, "reason": _text(form, "reason")},
        )
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)


@router.post("/leads/{lead_id}/shares", dependencies=[CsrfChecked])
async def share(request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    receiver = _text(form, "receiver") or ""
    kind, _, key = receiver.partition(":")
    errors: list[FieldError] = []
    org_id = None
    if kind == "org":
        try:
            org_id = uuid.UUID(key)
        except ValueError:
            errors.append(FieldError("municipality_code", "Choose a receiver.", "choose_receiver"))
    try:
        if errors:
            raise ValidationFailed(errors=errors)
        leads.share_lead(
            db,
            actor_for(user),
            lead_id,
            municipality_code=key if kind == "municipality" else None,
            organization_id=org_id,
            message=_text(form, "message"),
        )
    except ValidationFailed as failed:
        return _lead_refused(
            request,
            db,
            user,
            lead_id,
            failed,
            "share",
            {"receiver": receiver, "message": _text(form, "message")},
        )
    return RedirectResponse(f"/leads/{lead_id}#timeline", status_code=303)


@router.post("/shares/{share_id}/respond", dependencies=[CsrfChecked])
async def respond(
    request: Request, share_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    share = leads.respond_to_share(
        db,
        actor_for(user),
        share_id,
        accept=form.get("decision") == "accept",
        note=_text(form, "note"),
    )
    if share.status == "declined":
        return RedirectResponse("/tasks", status_code=303)
    return RedirectResponse(f"/leads/{share.lead_id}", status_code=303)


def _form_uuid(form: Any, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(_text(form, name) or "")
    except ValueError:
        return None


@router.post("/leads/{lead_id}/contacts", dependencies=[CsrfChecked])
async def link_contact(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    contact_id = _form_uuid(form, "contact_id")
    role = _text(form, "role")
    try:
        if contact_id is None:
            raise ValidationFailed.single("contact_id", "Choose a contact.", "required")
        leads.link_contact(db, actor_for(user), lead_id, contact_id, role)
    except ValidationFailed as failed:
        return _lead_refused(
            request,
            db,
            user,
            lead_id,
            failed,
            "contact",
            {"contact_id": _text(form, "contact_id"), "role": role},
        )
    return RedirectResponse(f"/leads/{lead_id}#people", status_code=303)


@router.post("/leads/{lead_id}/contacts/{contact_id}/remove", dependencies=[CsrfChecked])
def unlink_contact(
    lead_id: uuid.UUID, contact_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    leads.unlink_contact(db, actor_for(user), lead_id, contact_id)
    return RedirectResponse(f"/leads/{lead_id}#people", status_code=303)


@router.post("/leads/{lead_id}/sites", dependencies=[CsrfChecked])
async def link_site(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    form = await request.form()
    site_id = _form_uuid(form, "site_id")
    try:
        if site_id is None:
            raise ValidationFailed.single("site_id", "Choose a site.", "required")
        leads.link_site(db, actor_for(user), lead_id, site_id)
    except ValidationFailed as failed:
        return _lead_refused(
            request, db, user, lead_id, failed, "site", {"site_id": _text(form, "site_id")}
        )
    return RedirectResponse(f"/leads/{lead_id}#sites", status_code=303)


@router.post("/leads/{lead_id}/sites/{site_id}/remove", dependencies=[CsrfChecked])
def unlink_site(lead_id: uuid.UUID, site_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    leads.unlink_site(db, actor_for(user), lead_id, site_id)
    return RedirectResponse(f"/leads/{lead_id}#sites", status_code=303)


# ---------------------------------------------------------------- pipeline settings


def _settings_page(
    request: Request,
    db: Session,
    user: User,
    *,
    errors: FormErrors | None = None,
    form_name: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    require_staff_wide(actor_for(user))
    return render(
        request,
        "leads/settings.html",
        {
            "stages": leads.list_stages(db),
            "lost_reasons": leads.list_lost_reasons(db),
            "errors": errors or FormErrors(),
            "form_name": form_name,
            "values": values or {},
        },
        user=user,
        status_code=status_code,
    )


def _settings_refused(
    request: Request,
    db: DbSession,
    user: User,
    failed: ValidationFailed,
    form_name: str,
    values: dict[str, Any],
) -> Response:
    """The settings page again, with the refused form's errors named by its form."""
    errors = FormErrors(
        FieldError(f"{form_name}.{e.field}", e.reason, e.code, e.params) for e in failed.errors
    )
    return _settings_page(
        request, db, user, errors=errors, form_name=form_name, values=values, status_code=422
    )


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline_settings(request: Request, db: DbSession, user: StaffUser) -> Response:
    """Stages and lost reasons: the coordinator's pipeline settings."""
    return _settings_page(request, db, user)


@router.post("/pipeline/stages/{code}", dependencies=[CsrfChecked])
async def save_stage(request: Request, code: str, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        name: _text(form, name) for name in ("name_fi", "name_en", "sort_order")
    }
    values["default_probability"] = _text(form, "default_probability")
    values["active"] = bool(form.get("active"))
    values["decision"] = bool(form.get("decision"))
    try:
        leads.update_stage(db, actor_for(user), code, values)
    except ValidationFailed as failed:
        return _settings_refused(request, db, user, failed, f"stages.{code}", values)
    return flash.redirect(request, f"/pipeline#stage-{code}", N_("The stage was saved."))


@router.post("/pipeline/lost-reasons", dependencies=[CsrfChecked])
async def add_lost_reason(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in ("name_fi", "name_en")}
    try:
        reason = leads.create_lost_reason(db, actor_for(user), values)
    except ValidationFailed as failed:
        return _settings_refused(request, db, user, failed, "lost_reasons.new", values)
    return flash.redirect(
        request, f"/pipeline#reason-{reason.code}", N_("The lost reason was added.")
    )


@router.post("/pipeline/lost-reasons/{code}", dependencies=[CsrfChecked])
async def save_lost_reason(request: Request, code: str, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {name: _text(form, name) for name in ("name_fi", "name_en")}
    values["active"] = bool(form.get("active"))
    try:
        leads.update_lost_reason(db, actor_for(user), code, values)
    except ValidationFailed as failed:
        return _settings_refused(request, db, user, failed, f"lost_reasons.{code}", values)
    return flash.redirect(request, f"/pipeline#reason-{code}", N_("The lost reason was saved."))
