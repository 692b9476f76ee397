"""Form errors in the reader's language: one mechanism for every staff form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead
from app.domain.access import Role
from app.domain.errors import FieldError
from app.i18n import field_error_message
from tests.factories import Factory, csrf_from


def test_messages_by_code_with_parameters_and_english_fallback() -> None:
    long = FieldError("rows.3.title", "At most 200 characters.", "too_long", {"limit": 200})
    assert field_error_message("fi", long) == "Enintään 200 merkkiä."
    assert field_error_message("en", long) == "At most 200 characters."
    # A field-specific message beats the code's general one.
    landing = FieldError("landing_municipality_code", "Choose where it landed.", "required")
    assert field_error_message("fi", landing) == "Valitse kunta, johon investointi toteutui."
    assert field_error_message("fi", FieldError("title", "x", "required")) == (
        "Tämä kenttä on pakollinen."
    )
    # No message registered for the code, or a parameter missing: the domain's reason.
    assert field_error_message("fi", FieldError("x", "Odd reason.", "no_such_code")) == (
        "Odd reason."
    )
    assert field_error_message("fi", FieldError("x", "At most 5.", "too_long")) == "At most 5."


def test_finnish_coordinator_sees_the_landing_dialog_errors_in_finnish(
    client: TestClient, factory: Factory, db: Session
) -> None:
    user = factory.user(Role.COORDINATOR, language="fi")
    factory.login(client, user)
    lead = factory.lead(owner=user, code_name="Project Routa")
    dialog = client.get(f"/leads/{lead.id}/move", params={"to_stage": "landed"})
    refused = client.post(
        f"/leads/{lead.id}/move",
        data={
            "csrf_token": csrf_from(dialog.text),
            "to_stage": "landed",
            "realised_capex_eur": "12000000",
            "landed_on": "2026-01-15",
        },
    )
    assert refused.status_code == 422
    assert (
        '<p class="error field-error" id="landing_municipality_code-error">'
        "Valitse kunta, johon investointi toteutui.</p>"
    ) in refused.text
    assert (
        '<p class="error field-error" id="capex_status-error">Kerro, kuinka varma summa on.</p>'
    ) in refused.text
    assert '<li><a href="#capex_status">Kerro, kuinka varma summa on.</a></li>' in refused.text
    assert "Choose where the investment landed." not in refused.text
    assert db.scalar(select(Lead.stage_code).where(Lead.id == lead.id)) == "identified"


def test_finnish_organisation_form_errors(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.COORDINATOR, language="fi"))
    page = client.get("/organizations")
    refused = client.post(
        "/organizations",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Typo Oy",
            "type": "company",
            "business_id": "0116297-5",
        },
    )
    assert refused.status_code == 422
    assert (
        "Tarkistusnumero ei täsmää; tarkista Y-tunnus kirjoitusvirheiden varalta." in refused.text
    )
