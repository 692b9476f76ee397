"""Need-to-know, proven over the whole service: every GET route of the application's own
route table, fetched as every role with every planted record in its path, decoded (HTML,
JSON, CSV, XLSX, PDF, ICS), searched for markers the role is not entitled to read.

A route added later is covered without anyone naming it; a path parameter this file
cannot fill makes the test fail, so the matrix cannot fall behind the routes."""

from __future__ import annotations

import io
import itertools
import re
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy.orm import Session

from app.settings import Settings
from tests.access.world import World

# Routes that serve no record at all (framework pages, static assets).
NOT_RECORDS = {"/docs", "/redoc", "/openapi.json", "/favicon.ico"}
# Each path parameter's planted values; a random id stands for "missing" everywhere.
MISSING = str(uuid.uuid4())
FORMATS = ["pdf", "xlsx", "json", "csv", "atom", "geojson", "ics"]


def get_routes(app: FastAPI) -> list[str]:
    paths = []
    for route in iter_route_contexts(app.routes):
        if route.methods and "GET" in route.methods and route.path not in NOT_RECORDS:
            paths.append(route.path)
    return sorted(set(paths))


def _values(name: str, path: str, world: World) -> list[str]:
    if name == "target_id":
        key = "syndication_target_id" if "syndication" in path else "investment_target_id"
        return [*world.ids.get(key, []), MISSING]
    if name == "code":
        if "/industries/" in path:
            return ["ict_data_centres"]
        if "/points/" in path:
            return ["airport-kajaani", "no-such-point"]
        return world.ids["municipality_code"]
    if name == "fmt":
        return FORMATS
    if name == "lang":
        return ["fi"]
    if name == "kind":
        return ["organizations", "contacts", "leads"]
    if name == "version":
        return ["1", "2026-01-01"]
    if name == "feature_id":
        # Open data (/ogc): a feature is a site by its slug, drafts' included.
        return [*world.ids["slug"], "no-such-site"]
    if name in ("entity_type", "entity_id"):
        raise AssertionError("filled as a pair")
    if name not in world.ids:
        raise AssertionError(
            f"{path}: no planted value for path parameter {{{name}}}; plant one in "
            "tests/access/world.py so the route is checked"
        )
    values = world.ids[name]
    return [*values, MISSING] if _looks_like_uuid(values[0]) else values


def _looks_like_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def instances(path: str, world: World) -> Iterator[str]:
    names = re.findall(r"{([^}:]+)(?::[^}]*)?}", path)
    if "entity_type" in names:
        for pair in world.ids["entity"]:
            entity_type, entity_id = pair.split("/")
            yield path.replace("{entity_type}", entity_type).replace("{entity_id}", entity_id)
        return
    choices = [_values(name, path, world) for name in names]
    for combination in itertools.product(*choices):
        url = path
        for name, value in zip(names, combination, strict=True):
            url = re.sub(r"{" + name + r"(?::[^}]*)?}", value, url)
        yield url


def readable_text(content: bytes, content_type: str) -> str:
    """The text a person (or a program) could read out of a response."""
    if content_type.startswith("application/pdf"):
        try:
            reader = PdfReader(io.BytesIO(content))
        except PdfReadError:  # a stored file that is not a well-formed PDF: read its bytes
            return content.decode("latin-1")
        # Long tokens may wrap inside table cells; markers contain no spaces.
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))
    if "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(content), read_only=True)
        cells = [
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
        return "\n".join(cells)
    if content_type.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    if content_type.startswith("image/"):
        return ""
    text = content.decode("utf-8", "replace")
    if content_type.startswith("text/calendar"):
        text = text.replace("\r\n ", "").replace("\n ", "")
    return text


def _leaks(world: World, role: str, text: str) -> list[str]:
    return [
        f"{marker.what} ({marker.value})"
        for marker in world.markers
        if role not in marker.entitled and marker.value in text
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route_path" in metafunc.fixturenames:
        from app.main import create_app

        paths = get_routes(create_app(Settings(environment="test", secret_key="x" * 40)))
        metafunc.parametrize("route_path", paths, ids=paths)


def test_no_role_reads_what_it_is_not_entitled_to(
    route_path: str,
    matrix_clients: dict[str, TestClient],
    world_connection: tuple[Session, World],
) -> None:
    _, world = world_connection
    problems: list[str] = []
    for url in instances(route_path, world):
        for role, client in matrix_clients.items():
            response = client.get(url, follow_redirects=False)
            if response.status_code >= 500:
                problems.append(f"{role} GET {url}: {response.status_code}")
                continue
            content_type = response.headers.get("content-type", "")
            text = readable_text(response.content, content_type)
            for leak in _leaks(world, role, text):
                problems.append(f"{role} GET {url} reads {leak}")
    assert not problems, "\n".join(problems)


def test_the_planted_markers_are_readable_where_they_should_be(
    matrix_clients: dict[str, TestClient], world_connection: tuple[Session, World]
) -> None:
    """The matrix proves nothing if the markers never reach anyone: the coordinator
    reads every lead's investor and texts, and each circle reads its own."""
    _, world = world_connection
    coordinator = matrix_clients["coordinator"]
    seen = ""
    for lead_id in world.ids["lead_id"]:
        seen += coordinator.get(f"/api/v1/leads/{lead_id}").text
        seen += coordinator.get(f"/leads/{lead_id}").text
    lead_markers = [
        m
        for m in world.markers
        if m.what.startswith(("title of", "investor of")) and "visit" not in m.what
    ]
    assert lead_markers
    assert all(m.value in seen for m in lead_markers)
    sotkamo_lead = world.ids["lead_id"][1]
    assert any(
        m.value in matrix_clients["sotkamo"].get(f"/api/v1/leads/{sotkamo_lead}").text
        for m in world.markers
        if m.what == "title of lead shared with sotkamo"
    )


def test_each_persons_notifications_reach_them(
    matrix_clients: dict[str, TestClient], world_connection: tuple[Session, World]
) -> None:
    """The notification markers prove nothing unless their recipient reads them: each
    planted note shows on its own recipient's list (page and API), while the notice about
    a lead the recipient may not read shows nowhere."""
    _, world = world_connection
    for key in ("kajaani", "sotkamo", "partner", "coordinator"):
        (marker,) = [m for m in world.markers if m.entitled == frozenset({key})]
        assert marker.what.startswith("note of"), marker.what
        client = matrix_clients[key]
        assert marker.value in client.get("/notifications").text, key
        assert marker.value in client.get("/api/v1/notifications").text, key
    kajaani = matrix_clients["kajaani"].get("/api/v1/notifications").json()
    assert kajaani["total"] == 1


# Pages whose handlers read their filters from the request rather than declaring them.
UNDECLARED_SEARCHES = ["/leads", "/fi/sites", "/en/sites"]
NOWHERE = "zq0000000000"


def search_routes(app: FastAPI) -> list[str]:
    paths = list(UNDECLARED_SEARCHES)
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not route.methods or "GET" not in route.methods:
            continue
        if "{" not in route.path and "q" in _query_names(dependant):
            paths.append(route.path)
    return sorted(set(paths))


def _readable(response: Any) -> str:
    return readable_text(response.content, response.headers.get("content-type", ""))


def _query_names(dependant: Any) -> list[str]:
    names = [param.name for param in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def test_search_is_no_existence_oracle(
    app: FastAPI,
    matrix_clients: dict[str, TestClient],
    world_connection: tuple[Session, World],
) -> None:
    """Searching for a confidential name answers exactly as searching for nothing: no
    count, no empty-state difference tells a role that the record exists."""
    _, world = world_connection
    problems = []
    routes = search_routes(app)
    assert "/api/v1/leads" in routes
    for path in routes:
        for role, client in matrix_clients.items():
            hidden = [m for m in world.markers if role not in m.entitled]
            hidden = hidden[:: max(1, len(hidden) // 12)]
            baseline = client.get(path, params={"q": NOWHERE}, follow_redirects=False)
            expected = _readable(baseline).replace(NOWHERE, "Q")
            for marker in hidden:
                answer = client.get(path, params={"q": marker.value}, follow_redirects=False)
                if answer.status_code != baseline.status_code or (
                    _readable(answer).replace(marker.value, "Q") != expected
                ):
                    problems.append(f"{role} GET {path}?q=<{marker.what}> differs from no match")
    assert not problems, "\n".join(problems)
