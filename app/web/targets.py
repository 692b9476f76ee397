"""Investment targets in the staff UI: create, edit and close target periods (in euros
and/or jobs), and choose the target the public home page shows."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.db.models import InvestmentTarget, User
from app.domain.access import require_staff_wide
from app.domain.errors import Conflict, FieldError, ValidationFailed
from app.domain.targets import TargetInput, TargetScope
from app.i18n import N_, register_field_errors
from app.services import reference, targets
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

register_field_errors(
    {
        ("not_a_number", "amount_eur"): N_("Give the amount in whole euros, e.g. 1200000000."),
        ("not_a_number", "amount_jobs"): N_("Give the number of jobs as a whole number."),
        ("invalid_date", "period_start"): N_("Give the first day of the period."),
        ("invalid_date", "period_end"): N_("Give the last day of the period."),
        "target_closed": N_("This target period is closed; it is kept as it was reported."),
    }
)

# Spaces (also the no-break spaces of Finnish notation), thousands commas and the sign.
_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f,€]")


def _today() -> date:
    return datetime.now(UTC).date()


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(form: Any, name: str, errors: list[FieldError]) -> int | None:
    raw = _NUMBER_NOISE.sub("", _text(form, name))
    if not raw:
        return None
    if not re.fullmatch(r"-?\d{1,15}", raw):
        errors.append(FieldError(name, "Give a whole number.", "not_a_number"))
        return None
    return int(raw)


def _day(form: Any, name: str, errors: list[FieldError]) -> date:
    try:
        return date.fromisoformat(_text(form, name))
    except ValueError:
        errors.append(FieldError(name, "Give a date as YYYY-MM-DD.", "invalid_date"))
        return date.min


def _target_input(db: Session, form: Any) -> TargetInput:
    """The form as a target; unparsable fields are refused with the rest of the rules."""
    errors: list[FieldError] = []
    scope_text = _text(form, "scope")
    data = TargetInput(
        name=_text(form, "name"),
        amount_eur=_whole(form, "amount_eur", errors),
        amount_jobs=_whole(form, "amount_jobs", errors),
        period_start=_day(form, "period_start", errors),
        period_end=_day(form, "period_end", errors),
        scope=TargetScope(scope_text) if scope_text in set(TargetScope) else TargetScope.INDUSTRIAL,
        industry_code=_text(form, "industry_code") or None,
        municipality_code=_text(form, "municipality_code") or None,
    )
    if errors:
        # Report the parsing problems together with the rules' own findings.
        parsed = {e.field for e in errors}
        try:
            targets.check_target(db, data)
        except ValidationFailed as failed:
            errors += [e for e in failed.errors if e.field not in parsed]
        raise ValidationFailed(errors=errors, detail="The target is not valid.")
    return data


def _values(form: Any) -> dict[str, str]:
    return {
        name: _text(form, name)
        for name in (
            "name",
            "amount_eur",
            "amount_jobs",
            "period_start",
            "period_end",
            "scope",
            "industry_code",
            "municipality_code",
        )
    }


def _target_values(target: InvestmentTarget) -> dict[str, str]:
    return {
        "name": target.name,
        "amount_eur": "" if target.amount_eur is None else str(target.amount_eur),
        "amount_jobs": "" if target.amount_jobs is None else str(target.amount_jobs),
        "period_start": target.period_start.isoformat(),
        "period_end": target.period_end.isoformat(),
        "scope": target.scope,
        "industry_code": target.industry_code or "",
        "municipality_code": target.municipality_code or "",
    }


def _page(
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
    rows, total = targets.list_targets(db, actor, limit=200)
    today = _today()
    portal = targets.portal_target(db, today)
    return render(
        request,
        "targets/list.html",
        {
            "rows": rows,
            "total": total,
            "today": today,
            "portal_target": portal,
            "chosen_for_portal": next((t for t in rows if t.shown_on_portal), None),
            "scopes": [s.value for s in TargetScope],
            "industries": reference.industry_choices(db),
            "municipalities": reference.municipality_choices(db),
            "values": values or {"scope": TargetScope.INDUSTRIAL.value},
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/targets", response_class=HTMLResponse)
def target_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _page(request, db, user)


@router.post("/targets", dependencies=[CsrfChecked])
async def target_create(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    try:
        target = targets.create_target(db, actor_for(user), _target_input(db, form))
    except ValidationFailed as failed:
        return _page(
            request, db, user, values=_values(form), errors=FormErrors.of(failed), status_code=422
        )
    return flash.redirect(request, f"/targets#target-{target.id}", N_("The target was added."))


@router.post("/targets/portal", dependencies=[CsrfChecked])
async def target_for_portal(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    chosen = _text(form, "target_id")
    try:
        target_id = uuid.UUID(chosen) if chosen else None
    except ValueError:
        target_id = None
    targets.show_on_portal(db, actor_for(user), target_id)
    return flash.redirect(
        request, "/targets#portal", N_("The public home page now shows the chosen target.")
    )


def _edit_page(
    request: Request,
    db: Session,
    user: User,
    target: InvestmentTarget,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "targets/edit.html",
        {
            "target": target,
            "today": _today(),
            "scopes": [s.value for s in TargetScope],
            "industries": reference.industry_choices(db),
            "municipalities": reference.municipality_choices(db),
            "values": values or _target_values(target),
            "errors": errors or FormErrors(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/targets/{target_id}", response_class=HTMLResponse)
def target_edit(request: Request, db: DbSession, user: StaffUser, target_id: uuid.UUID) -> Response:
    actor = actor_for(user)
    require_staff_wide(actor)
    return _edit_page(request, db, user, targets.get_target(db, actor, target_id))


@router.post("/targets/{target_id}", dependencies=[CsrfChecked])
async def target_update(
    request: Request, db: DbSession, user: StaffUser, target_id: uuid.UUID
) -> Response:
    actor = actor_for(user)
    form = await request.form()
    target = targets.get_target(db, actor, target_id)
    try:
        data = _target_input(db, form)
        targets.update_target(db, actor, target_id, data.__dict__)
    except ValidationFailed as failed:
        db.rollback()
        return _edit_page(
            request,
            db,
            user,
            targets.get_target(db, actor, target_id),
            values=_values(form),
            errors=FormErrors.of(failed),
            status_code=422,
        )
    except Conflict as exc:
        return _edit_page(
            request,
            db,
            user,
            target,
            values=_values(form),
            errors=FormErrors.single("name", exc.detail, "target_closed"),
            status_code=409,
        )
    return flash.redirect(request, f"/targets#target-{target_id}", N_("The target was saved."))


@router.post("/targets/{target_id}/close", dependencies=[CsrfChecked])
def target_close(
    request: Request, db: DbSession, user: StaffUser, target_id: uuid.UUID
) -> Response:
    actor = actor_for(user)
    try:
        targets.close_target(db, actor, target_id, today=_today())
    except ValidationFailed as failed:
        return _edit_page(
            request,
            db,
            user,
            targets.get_target(db, actor, target_id),
            errors=FormErrors.of(failed),
            status_code=422,
        )
    except Conflict as exc:
        return _edit_page(
            request,
            db,
            user,
            targets.get_target(db, actor, target_id),
            errors=FormErrors.single("closed_on", exc.detail, "target_closed"),
            status_code=409,
        )
    return flash.redirect(
        request, f"/targets#target-{target_id}", N_("The target period was closed.")
    )
