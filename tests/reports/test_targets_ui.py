"""Targets in the staff UI: create, edit and close target periods without the API, and
choose the target the public home page shows (with confirmed versus estimated)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from app.db.models import InvestmentTarget
from app.domain.access import SYSTEM_ACTOR, Role
from app.services.ledger import record_amounts
from tests.factories import csrf_from


def _form(**values: str) -> dict[str, str]:
    return {
        "name": "Kainuu 2030–2033",
        "amount_eur": "",
        "amount_jobs": "",
        "period_start": "2030-01-01",
        "period_end": "2033-12-31",
        "scope": "industrial",
        "industry_code": "",
        "municipality_code": "",
        **values,
    }


def _coordinator(client, factory):
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    page = client.get("/targets")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def test_create_edit_and_close_a_target_in_the_ui(client, factory, db) -> None:
    csrf = _coordinator(client, factory)
    created = client.post(
        "/targets",
        data=_form(amount_eur="1 500 000 000", amount_jobs="800", csrf_token=csrf),
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    target = db.scalar(select(InvestmentTarget).where(InvestmentTarget.name == "Kainuu 2030–2033"))
    assert target is not None
    assert (target.amount_eur, target.amount_jobs) == (1_500_000_000, 800)
    listing = client.get("/targets").text.replace("\xa0", " ")
    assert "€1,500,000,000" in listing and "800" in listing

    # A target in jobs only: the euros may be left empty.
    edit = client.get(f"/targets/{target.id}")
    assert edit.status_code == 200 and 'value="1500000000"' in edit.text
    saved = client.post(
        f"/targets/{target.id}",
        data=_form(name="Kainuu 2030–2033 (jobs)", amount_jobs="900", csrf_token=csrf),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    db.refresh(target)
    assert (target.name, target.amount_eur, target.amount_jobs) == (
        "Kainuu 2030–2033 (jobs)",
        None,
        900,
    )

    # The period runs until 2033: it cannot be closed yet.
    early = client.post(f"/targets/{target.id}/close", data={"csrf_token": csrf})
    assert early.status_code == 422
    assert "A target period can be closed once it has ended." in early.text

    ended = factory_target(db, "Kainuu 2022–2025", date(2022, 1, 1), date(2025, 12, 31))
    closed = client.post(
        f"/targets/{ended.id}/close", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert closed.status_code == 303
    db.refresh(ended)
    assert ended.closed_on is not None
    page = client.get(f"/targets/{ended.id}").text
    assert "kept as it was reported" in page and f'action="/targets/{ended.id}"' not in page
    refused = client.post(f"/targets/{ended.id}", data=_form(amount_eur="1", csrf_token=csrf))
    assert refused.status_code == 409
    db.refresh(ended)
    assert ended.amount_eur == 1_200_000_000


def factory_target(db, name: str, start: date, end: date) -> InvestmentTarget:
    target = InvestmentTarget(
        name=name, amount_eur=1_200_000_000, period_start=start, period_end=end, scope="industrial"
    )
    db.add(target)
    db.commit()
    return target


def test_validation_errors_are_shown_beside_the_fields(client, factory, db) -> None:
    csrf = _coordinator(client, factory)
    before = db.scalar(select(InvestmentTarget.id).where(InvestmentTarget.name == ""))
    response = client.post(
        "/targets",
        data=_form(
            name=" ",
            amount_eur="lots",
            period_start="2033-01-01",
            period_end="2030-01-01",
            csrf_token=csrf,
        ),
    )
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html
    assert "Give the amount in whole euros" in html
    assert "The period must end after it starts." in html
    assert (
        'id="amount_eur" name="amount_eur" inputmode="numeric" value="lots" aria-invalid="true"'
        in html
    )
    nothing = client.post("/targets", data=_form(csrf_token=csrf))
    assert nothing.status_code == 422
    assert "Set the target in euros, in jobs or in both." in nothing.text
    assert before is None

    # In Finnish too.
    fi = client.post("/targets", data=_form(csrf_token=csrf), headers={"Accept-Language": "fi"})
    assert fi.status_code == 422


def test_targets_page_is_for_coordinators_only(client, factory) -> None:
    factory.login(client, factory.user(Role.FORUM_VIEWER))
    assert client.get("/targets").status_code == 403
    assert 'href="/targets"' not in client.get("/staff").text


def test_public_home_shows_the_chosen_target_with_confirmed_and_estimated(
    client, make_client, factory, db
) -> None:
    running = factory_target(db, "Running goal", date(2024, 1, 1), date(2099, 12, 31))
    chosen = factory_target(db, "Chosen goal", date(2020, 1, 1), date(2030, 12, 31))
    chosen.amount_eur = 2_000_000_000
    db.commit()
    factory.lead(
        stage="landed",
        code_name="Project Visible",
        capex_eur=300_000_000,
        capex_basis="confirmed",
        capex_status="realised",
        landed_on=datetime.now(UTC).date(),
        industry_code="mining_chemicals",
    )
    factory.lead(
        stage="landed",
        code_name="Project Guess",
        capex_eur=100_000_000,
        capex_basis="estimated",
        capex_status="realised",
        landed_on=datetime.now(UTC).date(),
        industry_code="mining_chemicals",
    )
    csrf = _coordinator(client, factory)
    assert (
        client.post(
            "/targets/portal",
            data={"target_id": str(chosen.id), "csrf_token": csrf},
            follow_redirects=False,
        ).status_code
        == 303
    )
    db.refresh(chosen)
    db.refresh(running)
    assert chosen.shown_on_portal and not running.shown_on_portal

    public = make_client()
    page = public.get("/en/").text
    assert "€2,000,000,000" in page
    assert "€300,000,000 confirmed by the investors, €100,000,000 our estimate" in page
    assert "Project Visible" not in page
    fi = public.get("/fi/").text.replace("\xa0", " ")
    assert "2 000 000 000 €" in fi
    assert "300 000 000 € sijoittajien vahvistamaa, 100 000 000 € arviotamme" in fi

    # Back to automatic: the running target.
    client.post("/targets/portal", data={"target_id": "", "csrf_token": csrf})
    db.refresh(chosen)
    assert not chosen.shown_on_portal


def test_close_through_the_api_and_a_jobs_only_target_report(client, factory, known, pipeline):
    _user, headers = factory.api_user(Role.COORDINATOR)
    closed = client.post(f"/api/v1/targets/{known.target.id}/close", headers=headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_on"] is not None
    again = client.patch(
        f"/api/v1/targets/{known.target.id}", json={"amount_eur": 1}, headers=headers
    )
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/targets/{known.target.id}/close", headers=headers).status_code == 409
    )

    neither = client.post(
        "/api/v1/targets",
        json={"name": "Nothing", "period_start": "2030-01-01", "period_end": "2030-12-31"},
        headers=headers,
    )
    assert neither.status_code == 422
    assert neither.json()["errors"][0]["code"] == "euros_or_jobs"

    jobs_only = pipeline.target(name="Jobs 2022–2025", amount_eur=None, amount_jobs=2_000)
    known.leads["A"].jobs = 150  # known since 10 Jan 2026, before the as-of date
    record_amounts(
        pipeline.db, known.leads["A"], SYSTEM_ACTOR, at=datetime(2026, 1, 10, 12, tzinfo=UTC)
    )
    pipeline.db.commit()
    pdf = client.get(
        "/api/v1/reports/forum.pdf",
        params={"target_id": str(jobs_only.id), "as_of": "2026-01-15"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert pdf.status_code == 200, pdf.text
    from tests.reports.test_forum_presentation import _pages

    summary = _pages(pdf.content)[1]
    assert "2,000 jobs" in summary and "The target is set in jobs only." in summary
    assert "150" in summary
    xlsx = client.get(
        "/api/v1/reports/forum.xlsx",
        params={"target_id": str(jobs_only.id), "as_of": "2026-01-15"},
        headers=headers,
    )
    assert xlsx.status_code == 200
