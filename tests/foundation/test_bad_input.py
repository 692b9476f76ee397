"""Every bad input gets a 4xx problem, never a 500: one test per class of input that used to
crash the service (issue 12), through the HTTP interface as an attacker or a careless
client would send it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Lead
from app.domain.access import Role
from app.domain.errors import ValidationFailed
from app.domain.inputs import control_character, parse_date
from app.domain.leads import LeadReferences, clean_lead_fields
from app.domain.packages import PackageLimits
from app.edge import (
    DEFAULT_BODY_LIMIT,
    INQUIRY_BODY_LIMIT,
    MAX_JSON_DEPTH,
    EdgeGuard,
    body_limit,
    json_depth,
)
from tests.factories import Factory

PROBLEM = "application/problem+json"


@pytest.fixture
def bearer(factory: Factory) -> dict[str, str]:
    return factory.api_user(Role.COORDINATOR)[1]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


# --- NUL and other control characters ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/en/sites/a%00b",  # portal page by slug (anonymous)
        "/fi/inquiry?site=%00",  # inquiry form for a site (anonymous)
        "/en/sites?q=%00",  # portal search
        "/feeds/%00/sites.json",  # municipality feed
        "/embed/%00",  # embeddable listing
        "/fi/sites?q=a%01b",  # other C0 controls
        "/en/sites?q=%7F",
    ],
)
def test_control_characters_in_public_paths_and_queries_are_400(
    client: TestClient, url: str
) -> None:
    body = _problem(client.get(url), 400)
    assert "control character" in body["detail"]


def test_a_browser_gets_the_portal_error_page_in_its_language(client: TestClient) -> None:
    response = client.get("/fi/sites/a%00b", headers={"accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Osoite ei kelpaa" in response.text


def test_a_staff_browser_gets_the_staff_error_page(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user(Role.COORDINATOR, language="fi"))
    response = client.get("/organizations?q=%00", headers={"accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "url",
    ["/api/v1/leads?q=%00", "/api/v1/organizations?q=x%00", "/api/v1/audit/leads/%00"],
)
def test_control_characters_in_api_paths_and_queries_are_400(
    client: TestClient, bearer: dict[str, str], url: str
) -> None:
    _problem(client.get(url, headers=bearer), 400)


def test_control_characters_in_json_are_422_naming_the_field(
    client: TestClient, bearer: dict[str, str]
) -> None:
    body = _problem(
        client.post(
            "/api/v1/organizations",
            json={"name": "Nul\u0000 Oy", "type": "company", "notes": "ok"},
            headers=bearer,
        ),
        422,
    )
    assert _fields(body) == {"name"}
    # Multi-line text keeps its line breaks and tabs; a single line does not.
    ok = client.post(
        "/api/v1/organizations",
        json={"name": "Rivit Oy", "type": "company", "notes": "one\r\ntwo\tthree"},
        headers=bearer,
    )
    assert ok.status_code == 201, ok.text
    body = _problem(
        client.post(
            "/api/v1/organizations",
            json={"name": "Two\nlines Oy", "type": "company"},
            headers=bearer,
        ),
        422,
    )
    assert _fields(body) == {"name"}


def test_lone_surrogates_in_json_are_422(client: TestClient, bearer: dict[str, str]) -> None:
    raw = b'{"name": "Half \\ud800 Oy", "type": "company"}'
    body = _problem(
        client.post(
            "/api/v1/organizations",
            content=raw,
            headers={**bearer, "content-type": "application/json"},
        ),
        422,
    )
    assert _fields(body) == {"name"}


def test_control_characters_in_form_fields_are_400(client: TestClient, db: Session) -> None:
    page = client.get("/en/inquiry")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/en/inquiry",
        data={"csrf_token": token, "name": "Nul\x00", "message": "hello"},
        follow_redirects=False,
    )
    _problem(response, 400)
    assert db.scalar(select(func.count()).select_from(Lead)) == 0


# --- invalid UTF-8 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/en/sites/%C3%28", "/en/sites?q=%FF", "/api/v1/leads?q=%ED%A0%80"]
)
def test_invalid_utf8_in_path_or_query_is_400(client: TestClient, url: str) -> None:
    body = _problem(client.get(url), 400)
    assert "UTF-8" in body["detail"]


def test_invalid_utf8_in_json_and_forms_is_400(client: TestClient, bearer: dict[str, str]) -> None:
    body = _problem(
        client.post(
            "/api/v1/organizations",
            content=b'{"name": "\xff\xfe", "type": "company"}',
            headers={**bearer, "content-type": "application/json"},
        ),
        400,
    )
    assert "UTF-8" in body["detail"]
    body = _problem(
        client.post(
            "/en/inquiry",
            content=b"name=%FF%FE&message=x",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        400,
    )
    assert "UTF-8" in body["detail"]


# --- integers beyond the column or 64-bit range ------------------------------------------


@pytest.mark.parametrize("offset", ["9223372036854775808", "99999999999999999999999"])
def test_offsets_beyond_bigint_are_422(
    client: TestClient, bearer: dict[str, str], offset: str
) -> None:
    for url in ("/api/v1/leads", "/api/v1/privacy/retention-due", "/api/v1/organizations"):
        body = _problem(client.get(f"{url}?limit=1&offset={offset}", headers=bearer), 422)
        assert _fields(body) == {"offset"}


def test_the_largest_offset_is_an_empty_page(client: TestClient, bearer: dict[str, str]) -> None:
    response = client.get("/api/v1/leads?limit=1&offset=9223372036854775807", headers=bearer)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_integers_beyond_their_column_are_422(
    client: TestClient, bearer: dict[str, str], factory: Factory
) -> None:
    lead = factory.lead()
    url = f"/api/v1/leads/{lead.id}"
    body = _problem(client.patch(url, json={"jobs": 2**31}, headers=bearer), 422)
    assert _fields(body) == {"jobs"}
    body = _problem(client.patch(url, json={"capex_eur": 2**63}, headers=bearer), 422)
    assert _fields(body) == {"capex_eur"}
    assert client.patch(url, json={"jobs": 2**31 - 1}, headers=bearer).status_code == 200


def test_staff_list_pages_are_bounded(client: TestClient, factory: Factory) -> None:
    user = factory.user(Role.COORDINATOR)
    factory.login(client, user)
    response = client.get("/leads?page=99999999999999999999", headers={"accept": "text/html"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


# --- dates at the ends of the calendar ----------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
def test_dates_at_the_calendar_ends_are_422(
    client: TestClient, bearer: dict[str, str], day: str
) -> None:
    for url in (
        f"/api/v1/reports/pipeline?as_of={day}",
        f"/api/v1/reports/forum.json?as_of={day}",
        f"/api/v1/privacy/retention-due?as_of={day}",
        f"/api/v1/events?starts_from={day}T00:00:00Z",
    ):
        _problem(client.get(url, headers=bearer), 422)
    body = _problem(
        client.post(
            "/api/v1/targets",
            json={
                "name": "Forever",
                "amount_eur": 1,
                "period_start": "2022-01-01",
                "period_end": day,
            },
            headers=bearer,
        ),
        422,
    )
    assert _fields(body) == {"period_end"}


def test_dates_inside_the_range_still_work(client: TestClient, bearer: dict[str, str]) -> None:
    for day in ("1900-01-01", "2999-12-31"):
        response = client.get(f"/api/v1/reports/pipeline?as_of={day}", headers=bearer)
        assert response.status_code == 200, response.text


def test_staff_pages_refuse_dates_at_the_calendar_ends(
    client: TestClient, factory: Factory
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    html = {"accept": "text/html"}
    assert client.get("/reports?as_of=0001-01-01", headers=html).status_code == 422
    # The month grid falls back to this month rather than leaving the calendar.
    for month in ("0001-01", "9999-12"):
        assert client.get(f"/events/calendar?month={month}", headers=html).status_code == 200


# --- null for a required field in PATCH ---------------------------------------------------


def test_null_in_patch_for_a_required_field_is_422(
    client: TestClient, bearer: dict[str, str], factory: Factory
) -> None:
    site = factory.site(status="draft")
    for field in ("kind", "name_fi"):
        body = _problem(
            client.patch(f"/api/v1/sites/{site.id}", json={field: None}, headers=bearer), 422
        )
        assert _fields(body) == {field}
    # A field the record can be without may still be cleared with null.
    cleared = client.patch(f"/api/v1/sites/{site.id}", json={"name_en": None}, headers=bearer)
    assert cleared.status_code == 200, cleared.text
    target = client.post(
        "/api/v1/targets",
        json={
            "name": "T",
            "amount_eur": 1,
            "period_start": "2022-01-01",
            "period_end": "2025-12-31",
        },
        headers=bearer,
    ).json()
    body = _problem(
        client.patch(f"/api/v1/targets/{target['id']}", json={"name": None}, headers=bearer),
        422,
    )
    assert _fields(body) == {"name"}


def test_the_document_says_which_patch_fields_are_not_nullable(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    site_kind = schemas["SiteFields"]["properties"]["kind"]
    assert "anyOf" not in site_kind  # not "SiteKind or null"
    assert "null" not in json.dumps(schemas["TargetChanges"]["properties"]["name"])


# --- deeply nested or huge JSON, bodies over the limit ------------------------------------


def test_deeply_nested_json_is_400(client: TestClient, bearer: dict[str, str]) -> None:
    nested = b'{"name": ' + b"[" * 100 + b"]" * 100 + b', "type": "company"}'
    body = _problem(
        client.post(
            "/api/v1/organizations",
            content=nested,
            headers={**bearer, "content-type": "application/json"},
        ),
        400,
    )
    assert f"deeper than {MAX_JSON_DEPTH}" in body["detail"]
    assert json_depth(b'{"a": "[[[[", "b": [[1]]}') == 3


def test_a_body_over_the_limit_is_413_with_the_limit(
    client: TestClient, bearer: dict[str, str]
) -> None:
    huge = json.dumps({"name": "x" * (DEFAULT_BODY_LIMIT + 10), "type": "company"})
    body = _problem(
        client.post(
            "/api/v1/organizations",
            content=huge,
            headers={**bearer, "content-type": "application/json"},
        ),
        413,
    )
    assert "1 MiB" in body["detail"] and str(DEFAULT_BODY_LIMIT) in body["detail"]


def test_a_streamed_body_over_the_limit_is_413(client: TestClient, bearer: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(40):
            yield b"x" * 32_768

    body = _problem(
        client.post(
            "/api/v1/organizations",
            content=chunks(),
            headers={**bearer, "content-type": "application/octet-stream"},
        ),
        413,
    )
    assert "1 MiB" in body["detail"]


def test_the_inquiry_form_has_its_own_small_limit(client: TestClient) -> None:
    response = client.post(
        "/en/inquiry",
        data={"message": "x" * (INQUIRY_BODY_LIMIT + 1)},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")


def test_uploads_have_the_limit_of_their_files() -> None:
    package = PackageLimits()
    assert body_limit("POST", "/api/v1/site-packages") > package.max_upload_bytes
    assert body_limit("POST", "/site-packages") > package.max_upload_bytes
    assert body_limit("POST", "/api/v1/sites/x/attachments") > package.max_file_bytes
    assert body_limit("PATCH", "/api/v1/sites/x") == DEFAULT_BODY_LIMIT
    assert body_limit("POST", "/fi/inquiry") == INQUIRY_BODY_LIMIT


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """The guard answers from the Content-Length alone: the body is never received."""
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append("app")

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    limit = body_limit("POST", "/api/v1/site-packages")
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/site-packages",
        "raw_path": b"/api/v1/site-packages",
        "query_string": b"",
        "headers": [(b"content-length", str(limit + 1).encode())],
    }
    # A thread of its own: other tests (the browser's) may leave an event loop running
    # in this one, and asyncio.run refuses to nest.
    worker = threading.Thread(target=asyncio.run, args=(EdgeGuard(app)(scope, receive, send),))
    worker.start()
    worker.join()
    assert reached == []
    assert sent[0]["status"] == 413
    detail = json.loads(sent[1]["body"])["detail"]
    assert "51 MiB" in detail and str(limit) in detail


# --- the OpenAPI document --------------------------------------------------------------------


def test_every_operation_declares_its_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            for code, response in responses.items():
                if int(code) >= 400:
                    assert list(response["content"]) == [PROBLEM], (method, path, code)
            if operation.get("security"):
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= set(responses), (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


# --- the same rules where staff forms and CSV rows come in ---------------------------------


def test_domain_parsers_keep_numbers_and_dates_inside_their_columns() -> None:
    refs = LeadReferences((), (), (), (), ())
    with pytest.raises(ValidationFailed) as failed:
        clean_lead_fields(
            {"capex_eur": str(2**63), "jobs": str(2**31), "expected_decision_on": "0001-01-01"},
            refs,
            creating=False,
        )
    codes = {e.field: e.code for e in failed.value.errors}
    assert codes == {
        "capex_eur": "too_large",
        "jobs": "too_large",
        "expected_decision_on": "invalid_date",
    }
    fine = clean_lead_fields({"capex_eur": str(2**63 - 1), "jobs": "12"}, refs, creating=False)
    assert fine["capex_eur"] == 2**63 - 1
    with pytest.raises(ValueError, match="outside"):
        parse_date("9999-12-31")
    assert control_character("ok\ttab", multiline=True) is None
    assert control_character("no\ttab") == "\t"
