"""Staff pages of intake: the coordinator's queue of unanswered new leads, the screening
rules and response commitments, marking a lead answered, and the response-time report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.api.types import SafeDate
from app.db.models import User
from app.domain.errors import FieldError, ValidationFailed
from app.domain.leads import LeadSource, Priority
from app.i18n import N_, register_field_errors
from app.services import intake, reference, users
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

register_field_errors(
    {
        "band_order": N_("The upper end of the band is below the lower end."),
        ("required", "rule_name"): N_("Name the rule."),
        ("unknown", "owner_id"): N_("Choose an active staff user."),
        "before_start": N_("The period ends before it starts."),
    }
)

FIELD_KEYS = {"name": "rule_name"}
LIST_FIELDS = ("industry_codes", "countries", "sources", "municipality_codes")
TEXT_FIELDS = (
    "name",
    "position",
    "capex_min_eur",
    "capex_max_eur",
    "priority",
    "owner_id",
    "owner_action",
)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/intake", response_class=HTMLResponse)
def queue_page(request: Request, db: DbSession, user: StaffUser) -> Response:
    """New leads not yet answered, the nearest deadline first."""
    rows = intake.queue(db, actor_for(user), _now())
    return render(request, "intake/queue.html", {"rows": rows}, user=user)


def _rules_page(
    request: Request,
    db: Session,
    user: User,
    *,
    errors: FormErrors | None = None,
    form_name: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_for(user)
    return render(
        request,
        "intake/rules.html",
        {
            "rules": intake.list_rules(db, actor),
            "commitments": intake.commitments(db),
            "owners": users.lead_owner_choices(db),
            "industries": reference.industry_choices(db, active_only=True),
            "municipalities": reference.municipality_choices(db),
            "sources": [s.value for s in LeadSource],
            "priorities": [p.value for p in Priority],
            "errors": errors or FormErrors(),
            "form_name": form_name,
            "values": values or {},
        },
        user=user,
        status_code=status_code,
    )


def _refused(
    request: Request,
    db: Session,
    user: User,
    failed: ValidationFailed,
    form_name: str,
    values: dict[str, Any],
) -> Response:
    """The rules page again, with the refused form's errors named by its form."""
    # Error messages are chosen by a field's last name, and "name" means an
    # organisation's name elsewhere: the rule's name is reported as "rule_name".
    errors = FormErrors(
        FieldError(f"{form_name}.{FIELD_KEYS.get(e.field, e.field)}", e.reason, e.code, e.params)
        for e in failed.errors
    )
    return _rules_page(
        request, db, user, errors=errors, form_name=form_name, values=values, status_code=422
    )


@router.get("/intake/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _rules_page(request, db, user)


async def _rule_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [str(v) for v in form.getlist(name) if str(v).strip()]
    # Countries are typed as text, e.g. "DE, SE".
    values["countries"] = [
        c.strip() for raw in values["countries"] for c in raw.replace(";", ",").split(",")
    ]
    values["active"] = bool(form.get("active"))
    values["industrial_only"] = bool(form.get("industrial_only"))
    return values


@router.post("/intake/rules", dependencies=[CsrfChecked])
async def add_rule(request: Request, db: DbSession, user: StaffUser) -> Response:
    values = await _rule_values(request)
    try:
        rule = intake.create_rule(db, actor_for(user), values)
    except ValidationFailed as failed:
        return _refused(request, db, user, failed, "rules.new", values)
    return flash.redirect(request, f"/intake/rules#rule-{rule.id}", N_("The rule was added."))


@router.post("/intake/rules/{rule_id}", dependencies=[CsrfChecked])
async def save_rule(
    request: Request, rule_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    values = await _rule_values(request)
    try:
        intake.update_rule(db, actor_for(user), rule_id, values)
    except ValidationFailed as failed:
        return _refused(request, db, user, failed, f"rules.{rule_id}", values)
    return flash.redirect(request, f"/intake/rules#rule-{rule_id}", N_("The rule was saved."))


@router.post("/intake/rules/{rule_id}/delete", dependencies=[CsrfChecked])
def delete_rule(request: Request, rule_id: uuid.UUID, db: DbSession, user: StaffUser) -> Response:
    intake.delete_rule(db, actor_for(user), rule_id)
    return flash.redirect(request, "/intake/rules", N_("The rule was deleted."))


@router.post("/intake/commitments", dependencies=[CsrfChecked])
async def save_commitments(request: Request, db: DbSession, user: StaffUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {p.value: str(form.get(p.value) or "") for p in Priority}
    try:
        intake.save_commitments(db, actor_for(user), values)
    except ValidationFailed as failed:
        return _refused(request, db, user, failed, "commitments", values)
    return flash.redirect(
        request, "/intake/rules#commitments", N_("The response commitments were saved.")
    )


@router.post("/leads/{lead_id}/responded", dependencies=[CsrfChecked])
def mark_responded(
    request: Request, lead_id: uuid.UUID, db: DbSession, user: StaffUser
) -> Response:
    intake.mark_responded(db, actor_for(user), lead_id)
    return flash.redirect(
        request, f"/leads/{lead_id}#response-clock", N_("The first answer was recorded.")
    )


@router.get("/reports/response-times", response_class=HTMLResponse)
def report_page(
    request: Request,
    db: DbSession,
    user: StaffUser,
    start: SafeDate | None = None,
    end: SafeDate | None = None,
) -> Response:
    """Response times of the leads that arrived in a period (default: the last 90 days)."""
    end = end or _now().date()
    start = start or end - timedelta(days=90)
    actor = actor_for(user)
    lang = request_language(request, user)
    try:
        report = intake.response_report(db, actor, start=start, end=end, lang=lang)
    except ValidationFailed as failed:
        today: date = _now().date()
        report = intake.response_report(
            db, actor, start=today - timedelta(days=90), end=today, lang=lang
        )
        return render(
            request,
            "intake/report.html",
            {"report": report, "errors": FormErrors.of(failed), "start": start, "end": end},
            user=user,
            status_code=422,
        )
    return render(
        request,
        "intake/report.html",
        {"report": report, "errors": FormErrors(), "start": start, "end": end},
        user=user,
    )
