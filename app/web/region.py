"""The region on the staff pages, for administrators: its names, the portal's and the
council's names, the colours, the languages offered and the public domain (the rest of
a region file is loaded with `invest-kainuu init-region`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.api.deps import DbSession
from app.db.models import User
from app.domain.errors import ValidationFailed
from app.domain.region import SUPPORTED_LANGUAGES, RegionDefinition
from app.i18n import N_, register_field_errors, register_labels
from app.services import reference, region
from app.services.auth import actor_for
from app.web import flash
from app.web.deps import CsrfChecked, StaffUser
from app.web.session import request_language
from app.web.templating import FormErrors, render

router = APIRouter(include_in_schema=False)

NAME_FIELDS = tuple(
    f"{prefix}_{lang}"
    for prefix in ("name", "portal_name", "council_name")
    for lang in SUPPORTED_LANGUAGES
)
OTHER_FIELDS = ("primary_colour", "accent_colour", "default_language", "public_domain")

# The languages' names in the form; not labels, since a page must not take every "en"
# for a code.
LANGUAGE_NAMES = {"fi": N_("Finnish"), "sv": N_("Swedish"), "en": N_("English")}
# The region row's columns, as its change list names them.
register_labels(
    "reference_field",
    {
        "name": N_("Name of the region"),
        "branding": N_("Portal, council and colours"),
        "languages": N_("Languages offered"),
        "default_language": N_("Default language"),
        "public_domain": N_("Domain of the public portal"),
        "area": N_("Area of the region"),
        "facts": N_("Region facts"),
    },
)
register_field_errors(
    {
        "invalid_colour": N_("Give a colour as #rrggbb, e.g. #00558c."),
        "no_language": N_("Offer at least one language."),
        "default_language_not_offered": N_(
            "The default language must be one of the languages offered."
        ),
        "invalid_domain": N_("Give a domain name such as invest.example.fi."),
        # A region file's own (`invest-kainuu init-region`).
        "invalid_yaml": N_("The region file is not a YAML mapping."),
    }
)


def _values_of(definition: RegionDefinition) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for lang in SUPPORTED_LANGUAGES:
        values[f"name_{lang}"] = definition.name.get(lang, "")
        values[f"portal_name_{lang}"] = definition.branding.portal_name.get(lang, "")
        values[f"council_name_{lang}"] = definition.branding.council_name.get(lang, "")
    values["primary_colour"] = definition.branding.primary_colour
    values["accent_colour"] = definition.branding.accent_colour
    values["languages"] = list(definition.languages)
    values["default_language"] = definition.default_language
    values["public_domain"] = definition.public_domain
    return values


def _page(
    request: Request,
    db: DbSession,
    user: User,
    definition: RegionDefinition,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin/region.html",
        {
            "region": definition,
            "values": values if values is not None else _values_of(definition),
            "errors": errors or FormErrors(),
            "languages": SUPPORTED_LANGUAGES,
            "language_names": LANGUAGE_NAMES,
            "history": reference.recent_changes(
                db, request_language(request, user), "regions", "1"
            ),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/region", response_class=HTMLResponse)
def region_edit(request: Request, db: DbSession, user: StaffUser) -> Response:
    return _page(request, db, user, region.get_region(db, actor_for(user)))


@router.post("/admin/region", dependencies=[CsrfChecked])
async def region_save(request: Request, db: DbSession, user: StaffUser) -> Response:
    actor = actor_for(user)
    definition = region.get_region(db, actor)
    form = await request.form()
    values: dict[str, Any] = {
        name: str(form.get(name) or "").strip() for name in NAME_FIELDS + OTHER_FIELDS
    }
    values["languages"] = [str(lang) for lang in form.getlist("languages")]
    try:
        region.update_region(db, actor, values)
    except ValidationFailed as failed:
        return _page(
            request,
            db,
            user,
            definition,
            values=values,
            errors=FormErrors.of(failed),
            status_code=422,
        )
    return flash.redirect(request, "/admin/region", N_("The region was saved."))
