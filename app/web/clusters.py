"""Staff pages of cluster groups: the list and a cluster's page with its forms."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import AppSettings, DbSession
from app.db.models import User
from app.domain.clusters import MemberRole
from app.domain.errors import ValidationFailed
from app.services import clusters, leads, organizations, reference
from app.services.auth import actor_for
from app.services.clusters import FollowUp
from app.settings import Settings
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


def _errors(failed: ValidationFailed) -> FormErrors:
    return FormErrors.of(failed)


def _industries(db: Session) -> dict[str, Any]:
    industries = reference.industry_choices(db)
    return {"industries": industries, "industries_by_code": {i.code: i for i in industries}}


@router.get("/clusters", response_class=HTMLResponse)
def cluster_list(request: Request, db: DbSession, user: StaffUser, q: str = "") -> Response:
    return _list(request, db, user, q=q)


def _list(
    request: Request,
    db: Session,
    user: User,
    *,
    q: str = "",
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    rows, total = clusters.list_clusters(db, actor, q=q or None, limit=200)
    return render(
        request,
        "clusters/list.html",
        {
            "rows": rows,
            "total": total,
            "q": q,
            "can_edit": actor.sees_everything,
            **_industries(db),
            "values": values or {},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.post("/clusters", dependencies=[CsrfChecked])
async def cluster_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "name": _text(form, "name"),
        "description": _text(form, "description"),
        "industry_codes": [c for c in form.getlist("industry_codes") if isinstance(c, str)],
    }
    try:
        cluster = clusters.create_cluster(db, actor_for(user), values)
    except ValidationFailed as failed:
        return _list(request, db, user, values=values, errors=_errors(failed), status_code=422)
    return RedirectResponse(f"/clusters/{cluster.id}", status_code=303)


def _page(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    cluster_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    view = clusters.cluster_page(db, actor, cluster_id, settings)
    editing = actor.sees_everything
    return render(
        request,
        "clusters/detail.html",
        {
            **_industries(db),
            "view": view,
            "stages_by_code": {s.code: s for s in leads.list_stages(db)},
            "can_edit": editing,
            "member_roles": [r.value for r in MemberRole],
            "organizations": organizations.organization_choices(db) if editing else [],
            "other_clusters": [
                row.cluster
                for row in clusters.list_clusters(db, actor, limit=200)[0]
                if row.cluster.id != cluster_id
            ]
            if editing
            else [],
            "candidate_leads": clusters.candidate_leads(db, actor) if editing else [],
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    return _page(request, db, user, settings, cluster_id)


async def _act(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    cluster_id: uuid.UUID,
    action: Any,
) -> Response:
    form = await request.form()
    try:
        action(actor_for(user), form)
    except ValidationFailed as failed:
        return _page(
            request, db, user, settings, cluster_id, errors=_errors(failed), status_code=422
        )
    return RedirectResponse(f"/clusters/{cluster_id}", status_code=303)


@router.post("/clusters/{cluster_id}/members", dependencies=[CsrfChecked])
async def member_add(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Any, form: Any) -> None:
        org_id = _uuid(form, "organization_id")
        if org_id is None:
            raise ValidationFailed.single("organization_id", "Choose an organisation.", "required")
        clusters.add_member(
            db,
            actor,
            cluster_id,
            org_id,
            {"role": _text(form, "role"), "joined_on": _text(form, "joined_on")},
        )

    return await _act(request, db, user, settings, cluster_id, action)


@router.post("/clusters/{cluster_id}/agreements", dependencies=[CsrfChecked])
async def agreement_add(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Any, form: Any) -> None:
        org_id = _uuid(form, "party_organization_id")
        if org_id is None:
            raise ValidationFailed.single(
                "party_organization_id", "Choose an organisation.", "required"
            )
        clusters.add_agreement(
            db,
            actor,
            cluster_id,
            org_id,
            {
                "title": _text(form, "title"),
                "signed_on": _text(form, "signed_on"),
                "valid_until": _text(form, "valid_until"),
            },
        )

    return await _act(request, db, user, settings, cluster_id, action)


@router.post("/clusters/{cluster_id}/meetings", dependencies=[CsrfChecked])
async def meeting_add(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Any, form: Any) -> None:
        follow_ups = []
        if _text(form, "follow_up_subject"):
            follow_ups.append(
                FollowUp(
                    subject=_text(form, "follow_up_subject"),
                    due_on=_text(form, "follow_up_due_on") or None,
                    lead_id=_uuid(form, "follow_up_lead_id"),
                    organization_id=_uuid(form, "follow_up_organization_id"),
                )
            )
        clusters.add_meeting(
            db,
            actor,
            cluster_id,
            {
                "title": _text(form, "title"),
                "held_on": _text(form, "held_on"),
                "minutes": _text(form, "minutes"),
                "decisions": _text(form, "decisions"),
            },
            user_ids=[actor.user_id] if form.get("i_attended") and actor.user_id else [],
            follow_ups=follow_ups,
        )

    return await _act(request, db, user, settings, cluster_id, action)


@router.post("/clusters/{cluster_id}/leads", dependencies=[CsrfChecked])
async def lead_add(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Any, form: Any) -> None:
        lead_id = _uuid(form, "lead_id")
        if lead_id is None:
            raise ValidationFailed.single("lead_id", "Choose a lead.", "required")
        clusters.add_lead(db, actor, cluster_id, lead_id)

    return await _act(request, db, user, settings, cluster_id, action)


@router.post("/clusters/{cluster_id}/links", dependencies=[CsrfChecked])
async def link_add(
    request: Request, cluster_id: uuid.UUID, db: DbSession, user: StaffUser, settings: AppSettings
) -> Response:
    def action(actor: Any, form: Any) -> None:
        other = _uuid(form, "cluster_id")
        if other is None:
            raise ValidationFailed.single("cluster_id", "Choose a cluster.", "required")
        clusters.link_clusters(db, actor, cluster_id, other, _text(form, "note"))

    return await _act(request, db, user, settings, cluster_id, action)
