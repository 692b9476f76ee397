"""The reference data the coordinator owns, on the staff pages: the key industries
(names in Finnish and English, description, in use or not), each municipality's
business contact shown on the portal, the reference points the sites' distances are
measured to and each municipality's key facts. A municipal contact edits their own
municipality's contact details (docs/access.md); points and key facts are the regional
team's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.api.deps import DbSession
from app.db.models import Industry, Municipality, ReferencePoint, User
from app.domain.access import require_staff_wide
from app.domain.errors import ValidationFailed
from app.domain.geography import PointKind
from app.i18n import N_, register_field_errors, register_labels
from app.services import geography, reference
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

INDUSTRY_FIELDS = ("name_fi", "name_en", "description_fi", "description_en")
CONTACT_FIELDS = (
    "contact_name",
    "contact_title_fi",
    "contact_title_en",
    "contact_email",
    "contact_phone",
    "website_url",
)
POINT_FIELDS = (
    "kind",
    "name_fi",
    "name_en",
    "latitude",
    "longitude",
    "municipality_code",
    "source",
)
FACTS_FIELDS = (
    "population",
    "workforce",
    "year",
    "source",
    "main_employers_fi",
    "main_employers_en",
)

register_labels(
    "reference_field",
    {
        "name_fi": N_("Name in Finnish"),
        "name_en": N_("Name in English"),
        "description_fi": N_("Description in Finnish"),
        "description_en": N_("Description in English"),
        "active": N_("In use"),
        "contact_name": N_("Contact person"),
        "contact_title_fi": N_("Title in Finnish"),
        "contact_title_en": N_("Title in English"),
        "contact_email": N_("E-mail"),
        "contact_phone": N_("Phone"),
        "website_url": N_("Web page"),
        "code": N_("Code"),
        "kind": N_("Kind of place"),
        "latitude": N_("Latitude"),
        "longitude": N_("Longitude"),
        "municipality_code": N_("Municipality"),
        "source": N_("Source"),
        "population": N_("Population"),
        "workforce": N_("Workforce"),
        "year": N_("Year"),
        "main_employers_fi": N_("Main employers in Finnish"),
        "main_employers_en": N_("Main employers in English"),
    },
)
register_field_errors(
    {
        # Codes of these pages' own: the same field names are on other forms.
        ("industry_name_required", "name_fi"): N_("Give the name in Finnish."),
        ("industry_name_required", "name_en"): N_("Give the name in English."),
        "contact_invalid_email": N_("Give a valid e-mail address."),
        "contact_invalid_phone": N_("Give a phone number, e.g. +358 40 123 4567."),
        "web_page_not_https": N_("Give an address starting with https://."),
    }
)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# --- key industries ----------------------------------------------------------------------


@router.get("/reference/industries", response_class=HTMLResponse)
def industry_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    require_staff_wide(actor_for(user))
    industries = reference.industry_choices(db)
    return render(
        request,
        "reference/industries.html",
        {"industries": industries, "by_code": {i.code: i for i in industries}},
        user=user,
    )


def _industry_page(
    request: Request,
    db: Session,
    user: User,
    industry: Industry,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    parent = db.get(Industry, industry.parent_code) if industry.parent_code else None
    if values is None:
        values = {name: getattr(industry, name) or "" for name in INDUSTRY_FIELDS}
        values["active"] = industry.active
    return render(
        request,
        "reference/industry.html",
        {
            "industry": industry,
            "parent": parent,
            "values": values,
            "errors": errors or FormErrors(),
            "history": reference.recent_changes(
                db, request_language(request, user), "industries", industry.code
            ),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/reference/industries/{code}", response_class=HTMLResponse)
def industry_edit(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    industry = reference.get_industry(db, actor_for(user), code)
    return _industry_page(request, db, user, industry)


@router.post("/reference/industries/{code}", dependencies=[CsrfChecked])
async def industry_save(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    actor = actor_for(user)
    industry = reference.get_industry(db, actor, code)
    form = await request.form()
    values: dict[str, Any] = {name: _text(form, name) for name in INDUSTRY_FIELDS}
    values["active"] = _text(form, "active") == "yes"
    try:
        reference.update_industry(db, actor, code, values)
    except ValidationFailed as failed:
        return _industry_page(
            request,
            db,
            user,
            industry,
            values=values,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    return flash.redirect(
        request, f"/reference/industries/{code}", N_("The key industry was saved.")
    )


# --- municipalities' contact details -------------------------------------------------------


@router.get("/reference/municipalities", response_class=HTMLResponse)
def municipality_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    municipalities = reference.editable_municipalities(db, actor_for(user))
    return render(
        request, "reference/municipalities.html", {"municipalities": municipalities}, user=user
    )


def _municipality_page(
    request: Request,
    db: Session,
    user: User,
    municipality: Municipality,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = {name: getattr(municipality, name) or "" for name in CONTACT_FIELDS}
    return render(
        request,
        "reference/municipality.html",
        {
            "municipality": municipality,
            "values": values,
            "errors": errors or FormErrors(),
            "history": reference.recent_changes(
                db, request_language(request, user), "municipalities", municipality.code
            ),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/reference/municipalities/{code}", response_class=HTMLResponse)
def municipality_edit(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    municipality = reference.get_municipality(db, actor_for(user), code)
    return _municipality_page(request, db, user, municipality)


@router.post("/reference/municipalities/{code}", dependencies=[CsrfChecked])
async def municipality_save(
    request: Request, db: DbSession, user: StaffUser, code: str
) -> Response:
    actor = actor_for(user)
    municipality = reference.get_municipality(db, actor, code)
    form = await request.form()
    values = {name: _text(form, name) for name in CONTACT_FIELDS}
    try:
        reference.update_municipality_contact(db, actor, code, values)
    except ValidationFailed as failed:
        return _municipality_page(
            request,
            db,
            user,
            municipality,
            values=values,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    return flash.redirect(
        request, f"/reference/municipalities/{code}", N_("The contact details were saved.")
    )


# --- reference points ----------------------------------------------------------------------


@router.get("/reference/points", response_class=HTMLResponse)
def point_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    points = geography.list_points(db, actor_for(user))
    municipalities = {m.code: m for m in reference.municipality_choices(db)}
    return render(
        request,
        "reference/points.html",
        {"points": points, "municipalities": municipalities},
        user=user,
    )


def _point_page(
    request: Request,
    db: Session,
    user: User,
    point: ReferencePoint | None,
    values: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reference/point.html",
        {
            "point": point,
            "values": values,
            "errors": errors or FormErrors(),
            "kinds": [kind.value for kind in PointKind],
            "municipalities": reference.municipality_choices(db),
            "history": (
                reference.recent_changes(
                    db, request_language(request, user), "reference_points", point.code
                )
                if point is not None
                else []
            ),
        },
        user=user,
        status_code=status_code,
    )


def _point_form(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: _text(form, name) for name in (*POINT_FIELDS, "code")}
    values["active"] = _text(form, "active") == "yes"
    return values


@router.get("/reference/points/new", response_class=HTMLResponse)
def point_new(request: Request, db: DbSession, user: StaffUser) -> Response:
    require_staff_wide(actor_for(user))
    values: dict[str, Any] = {name: "" for name in (*POINT_FIELDS, "code")}
    values["active"] = True
    return _point_page(request, db, user, None, values)


@router.post("/reference/points", dependencies=[CsrfChecked])
async def point_add(request: Request, db: DbSession, user: StaffUser) -> Response:
    actor = actor_for(user)
    require_staff_wide(actor)
    values = _point_form(await request.form())
    try:
        point = geography.save_point(db, actor, None, values)
    except ValidationFailed as failed:
        return _point_page(
            request, db, user, None, values, errors=FormErrors.of(failed), status_code=422
        )
    return flash.redirect(
        request,
        f"/reference/points/{point.code}",
        N_("The reference point was added and the sites' distances recomputed."),
    )


@router.get("/reference/points/{code}", response_class=HTMLResponse)
def point_edit(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    point = geography.get_point(db, actor_for(user), code)
    values: dict[str, Any] = {name: getattr(point, name) for name in POINT_FIELDS}
    values = {name: "" if value is None else value for name, value in values.items()}
    values["active"] = point.active
    return _point_page(request, db, user, point, values)


@router.post("/reference/points/{code}", dependencies=[CsrfChecked])
async def point_save(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    actor = actor_for(user)
    point = geography.get_point(db, actor, code)
    values = _point_form(await request.form())
    try:
        geography.save_point(db, actor, code, values)
    except ValidationFailed as failed:
        return _point_page(
            request, db, user, point, values, errors=FormErrors.of(failed), status_code=422
        )
    return flash.redirect(
        request,
        f"/reference/points/{code}",
        N_("The reference point was saved and the sites' distances recomputed."),
    )


# --- municipalities' key facts ---------------------------------------------------------------


@router.get("/reference/facts", response_class=HTMLResponse)
def facts_list(request: Request, db: DbSession, user: StaffUser) -> Response:
    require_staff_wide(actor_for(user))
    facts = {f.municipality_code: f for f in geography.all_facts(db)}
    return render(
        request,
        "reference/facts.html",
        {"municipalities": reference.municipality_choices(db), "facts": facts},
        user=user,
    )


def _facts_page(
    request: Request,
    db: Session,
    user: User,
    municipality: Municipality,
    values: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reference/municipality_facts.html",
        {
            "municipality": municipality,
            "values": values,
            "errors": errors or FormErrors(),
            "history": reference.recent_changes(
                db, request_language(request, user), "municipality_facts", municipality.code
            ),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/reference/facts/{code}", response_class=HTMLResponse)
def facts_edit(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    municipality, facts = geography.get_facts(db, actor_for(user), code)
    values = {
        name: "" if facts is None or getattr(facts, name) is None else getattr(facts, name)
        for name in FACTS_FIELDS
    }
    return _facts_page(request, db, user, municipality, values)


@router.post("/reference/facts/{code}", dependencies=[CsrfChecked])
async def facts_save(request: Request, db: DbSession, user: StaffUser, code: str) -> Response:
    municipality, _ = geography.get_facts(db, actor_for(user), code)
    form = await request.form()
    values: dict[str, Any] = {name: _text(form, name) for name in FACTS_FIELDS}
    try:
        geography.save_facts(db, actor_for(user), code, values)
    except ValidationFailed as failed:
        return _facts_page(
            request, db, user, municipality, values, errors=FormErrors.of(failed), status_code=422
        )
    return flash.redirect(request, f"/reference/facts/{code}", N_("The key facts were saved."))
