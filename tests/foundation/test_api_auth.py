"""Bearer tokens: missing, unknown, revoked; problem details on failure."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.db.models import ApiToken
from app.domain.access import Role
from tests.factories import Factory


def test_call_without_token_is_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["title"] == "Unauthorized"


def test_unknown_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer ikt_nope"})
    assert response.status_code == 401


def test_valid_token_identifies_the_user(client: TestClient, factory: Factory) -> None:
    user, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="290")
    body = client.get("/api/v1/me", headers=headers).json()
    assert body["email"] == user.email
    assert body["role"] == "municipal_contact"
    assert body["municipality_code"] == "290"


def test_revoked_token_is_401(client: TestClient, factory: Factory, db) -> None:
    user, headers = factory.api_user()
    token_id = db.query(ApiToken).filter_by(user_id=user.id).one().id
    revoked = client.post(f"/api/v1/tokens/{token_id}/revoke", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_only_the_hash_of_a_token_is_stored(factory: Factory, db) -> None:
    user = factory.user()
    header = factory.token(user)["Authorization"]
    plain = header.removeprefix("Bearer ")
    stored = db.query(ApiToken).filter_by(user_id=user.id).one()
    assert plain not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_session_cookie_does_not_authenticate_the_api(client: TestClient, factory: Factory) -> None:
    factory.login(client, factory.user())
    assert client.get("/api/v1/me").status_code == 401


def test_only_admin_creates_users(client: TestClient, factory: Factory) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    body = {"email": "new@example.com", "full_name": "New", "role": "forum_viewer"}
    assert client.post("/api/v1/users", json=body, headers=coordinator).status_code == 403
    _, admin = factory.api_user(Role.ADMIN)
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201
    assert created.json()["role"] == "forum_viewer"


def test_role_binding_errors_name_the_field(client: TestClient, factory: Factory) -> None:
    _, admin = factory.api_user(Role.ADMIN)
    response = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "contact@example.com", "full_name": "C", "role": "municipal_contact"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "municipality_code"


def test_schema_validation_errors_are_problem_details(client: TestClient, factory: Factory) -> None:
    _, admin = factory.api_user(Role.ADMIN)
    response = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "x@example.com", "full_name": "", "role": "emperor"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"full_name", "role"}
