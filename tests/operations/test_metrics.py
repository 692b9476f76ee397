"""/metrics scraped as Prometheus does, parsed with prometheus-client's own parser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.models import SyndicationDelivery, SyndicationEvent, SyndicationTarget
from app.domain.access import Role
from app.main import create_app
from app.observability import RouteTemplates
from app.scheduler import Job, run_recorded
from app.services import operations
from app.services.mail import queue_email
from app.settings import Settings
from tests.conftest import serve_sessions_from
from tests.factories import Factory
from tests.operations.conftest import LOOPBACK

FAMILIES = {
    "invest_kainuu_http_requests",
    "invest_kainuu_http_request_duration_seconds",
    "invest_kainuu_database_up",
    "invest_kainuu_mail_queue_depth",
    "invest_kainuu_syndication_deliveries",
    "invest_kainuu_syndication_deliveries_in_flight",
    "invest_kainuu_syndication_deliveries_retrying",
    "invest_kainuu_job_runs",
    "invest_kainuu_job_duration_seconds",
    "invest_kainuu_job_last_duration_seconds",
    "invest_kainuu_job_last_success_age_seconds",
    "invest_kainuu_heartbeat_age_seconds",
}


def scrape(client: TestClient, **kwargs: object) -> list[Sample]:
    response = client.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    families = list(text_string_to_metric_families(response.text))
    assert {f.name for f in families} >= FAMILIES
    return [sample for family in families for sample in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return sum(found)


def test_a_request_counts_under_its_route_template(
    local_client: TestClient, factory: Factory
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    organization = factory.organization()
    route = "/api/v1/organizations/{org_id}"
    before = scrape(local_client)
    answered = local_client.get(f"/api/v1/organizations/{organization.id}", headers=headers)
    assert answered.status_code == 200
    after = scrape(local_client)
    labels = {"route": route, "method": "GET", "status": "200"}
    counted = "invest_kainuu_http_requests_total"
    assert value(after, counted, **labels) == value(before, counted, **labels) + 1
    latency = "invest_kainuu_http_request_duration_seconds_count"
    assert value(after, latency, route=route, method="GET") >= 1
    # The record's id never becomes a label: one series per route, not per record.
    assert not [s for s in after if str(organization.id) in str(s.labels)]
    missing = local_client.get("/no/such/page", headers=headers)
    assert missing.status_code == 404
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert value(scrape(local_client), counted, **unmatched) >= 1


def test_the_queues_jobs_and_heartbeats_come_from_the_database(
    local_client: TestClient, db: Session
) -> None:
    before = scrape(local_client)
    queue_email(db, to=["someone@example.fi"], subject="Hello", body_text="Hi")
    target = SyndicationTarget(
        municipality_code="205", name="Kajaani", kind="webhook", url="https://kajaani.example"
    )
    event = SyndicationEvent(type="ping", site_id=None, municipality_code="205", data={})
    db.add_all([target, event])
    db.flush()
    db.add_all(
        [
            SyndicationDelivery(
                event_id=event.id, target_id=target.id, event_type="ping", attempt_count=2
            ),
            SyndicationDelivery(
                event_id=event.id, target_id=target.id, event_type="ping", status="failed"
            ),
        ]
    )
    db.commit()
    # Two runs of a job, as the scheduler records them, in the test's transaction.
    factory = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
    job = Job("metrics-test-job", lambda _db, _s: None)
    run_recorded(job, factory, Settings(environment="test", secret_key="x" * 40))
    broken = Job("metrics-test-job", lambda _db, _s: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run_recorded(broken, factory, Settings(environment="test", secret_key="x" * 40))
    operations.beat(db, operations.SCHEDULER, utcnow() - timedelta(seconds=90))

    after = scrape(local_client)
    depth = "invest_kainuu_mail_queue_depth"
    assert value(after, depth) == value(before, depth) + 1
    deliveries = "invest_kainuu_syndication_deliveries"
    for status in ("pending", "failed"):
        assert value(after, deliveries, status=status) == (
            value(before, deliveries, status=status) + 1
        )
    retrying = "invest_kainuu_syndication_deliveries_retrying"
    assert value(after, retrying) == value(before, retrying) + 1
    job_labels = {"job": "metrics-test-job"}
    assert value(after, "invest_kainuu_job_runs_total", outcome="success", **job_labels) == 1
    assert value(after, "invest_kainuu_job_runs_total", outcome="failure", **job_labels) == 1
    assert value(after, "invest_kainuu_job_duration_seconds_count", **job_labels) == 2
    assert 0 <= value(after, "invest_kainuu_job_last_success_age_seconds", **job_labels) < 60
    age = value(after, "invest_kainuu_heartbeat_age_seconds", component="scheduler")
    assert 90 <= age < 150
    assert value(after, "invest_kainuu_database_up") == 1


@pytest.fixture
def guarded_app(settings: Settings, db: Session) -> Iterator[FastAPI]:
    app = create_app(
        settings.model_copy(update={"metrics_token": SecretStr("scrape-token-0123456789")})
    )

    def _test_db() -> Iterator[Session]:
        yield db

    serve_sessions_from(app, _test_db)
    yield app
    app.state.engine.dispose()


def test_with_a_token_only_its_bearer_reads_the_metrics(guarded_app: FastAPI) -> None:
    with TestClient(guarded_app) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer another-token"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert wrong.headers["content-type"] == "application/problem+json"
        scrape(client, headers={"Authorization": "Bearer scrape-token-0123456789"})


def test_without_a_token_only_this_host_reads_the_metrics(
    app: FastAPI, local_client: TestClient, factory: Factory
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    with TestClient(app) as remote:
        assert remote.get("/metrics").status_code == 404
        # A staff member's own API token opens nothing here either.
        assert remote.get("/metrics", headers=coordinator).status_code == 404
    # Through a reverse proxy on this host: the real client is elsewhere.
    proxied = local_client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404
    with TestClient(app, client=LOOPBACK) as local:
        scrape(local)


def test_a_request_answered_before_routing_is_matched_against_the_route_table(
    app: FastAPI,
) -> None:
    """The portal's render cache answers a repeated page before the router sees it: it is
    still counted under the page's route, not as an unknown path."""
    templates = RouteTemplates()

    def template(method: str, path: str) -> str:
        return templates.of({"app": app, "method": method, "path": path})

    assert template("GET", "/fi/sites/kajaanin-tontti") == "/fi/sites/{slug}"
    assert template("GET", "/en/") == "/en/"
    assert template("POST", "/fi/sites/kajaanin-tontti") == "<unmatched>"
    assert template("GET", "/fi/no/such/page") == "<unmatched>"
