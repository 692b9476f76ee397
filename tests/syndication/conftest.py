"""Real HTTP receivers on 127.0.0.1 for the syndication tests: a webhook endpoint with
scripted answers, and a stand-in that speaks enough of the WordPress REST API."""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.access import Role
from app.settings import Settings
from tests.factories import Factory

PLOT: dict[str, Any] = {
    "kind": "industrial_plot",
    "name_fi": "Renforsin rannan tontti",
    "name_en": "Renforsin ranta plot",
    "description_fi": "Teollisuustontti radan varressa.",
    "description_en": "An industrial plot by the railway.",
    "municipality_code": "205",
    "latitude": 64.2,
    "longitude": 27.7,
    "area_ha": "4.5",
    "available_power_mw": "10",
    "industry_codes": ["metal_machinery"],
}


@dataclass
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between the bytes of the body (after the headers): a receiver trickling
    # its answer.
    trickle: float = 0.0
    # Trickle the status line and the headers too: a per-read timeout never fires, and
    # there is no response object yet whose reading could be cut short.
    trickle_headers: bool = False


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A threaded HTTP server that records every request and answers from a script
    (then 200 once the script runs out)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Answer] = []
        self._trickles: dict[int, tuple[float, bool]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                )
                status, payload, headers, delay = receiver.answer(request)
                trickle, headers_too = receiver.trickle_of(request)
                if delay:
                    time.sleep(delay)
                data = payload.encode()
                try:
                    if headers_too:
                        head = f"HTTP/1.1 {status} OK\r\ncontent-length: {len(data)}\r\n\r\n"
                        for byte in head.encode() + data:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(trickle)
                        return
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    if trickle:
                        for i in range(len(data)):
                            self.wfile.write(data[i : i + 1])
                            self.wfile.flush()
                            time.sleep(trickle)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, request: Received) -> tuple[int, str, dict[str, str], float]:
        with self.lock:
            self.requests.append(request)
            answer = self.script.pop(0) if self.script else Answer()
            self._trickles[id(request)] = (answer.trickle, answer.trickle_headers)
        return answer.status, answer.body, answer.headers, answer.delay

    def trickle_of(self, request: Received) -> tuple[float, bool]:
        with self.lock:
            return self._trickles.pop(id(request), (0.0, False))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WordPress(Receiver):
    """Posts, media and users/me of /wp-json/wp/v2, behind Basic auth, with the faults
    a real site shows:

    - `hang_after_save`: seconds a create or update waits *after* saving before it
      answers (the answer is lost to a client that gives up: the post exists);
    - `trickle`: seconds between the bytes of every answer;
    - `fail`: that many next requests answer 500 (then it recovers).
    """

    def __init__(self, user: str, password: str) -> None:
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.posts: dict[int, dict[str, Any]] = {}
        self.media: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(100)
        self.hang_after_save = 0.0
        self.trickle = 0.0
        self.fail = 0
        super().__init__()

    def trickle_of(self, request: Received) -> tuple[float, bool]:
        return self.trickle, False

    def public_posts(self) -> list[dict[str, Any]]:
        """What visitors of the municipality's site see."""
        with self.lock:
            return [p for p in self.posts.values() if p.get("status") == "publish"]

    def _unique_slug(self, slug: str, post_id: int) -> str:
        taken = {p.get("slug") for i, p in self.posts.items() if i != post_id}
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def _save(self, post_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        post = self.posts.setdefault(post_id, {"id": post_id})
        post.update(fields)
        if "slug" in fields:
            post["slug"] = self._unique_slug(fields["slug"], post_id)
        return post

    def answer(self, request: Received) -> tuple[int, str, dict[str, str], float]:
        with self.lock:
            self.requests.append(request)
            if request.headers.get("authorization") != self.auth:
                return 401, json.dumps({"code": "rest_not_logged_in"}), {}, 0.0
            if self.fail > 0:
                self.fail -= 1
                return 500, json.dumps({"code": "internal_server_error"}), {}, 0.0
            path, _, query = request.path.partition("?")
            params = dict(urllib.parse.parse_qsl(query))
            if request.method == "GET" and path == "/wp-json/wp/v2/users/me":
                return (
                    200,
                    json.dumps(
                        {
                            "id": 1,
                            "name": "Maija Meikäläinen",
                            "email": "maija.meikalainen@kajaani.fi",
                            "avatar_urls": {"96": "https://secure.gravatar.com/avatar/x"},
                        }
                    ),
                    {},
                    0.0,
                )
            if request.method == "POST" and path == "/wp-json/wp/v2/media":
                media_id = next(self.ids)
                self.media[media_id] = {
                    "type": request.headers["content-type"],
                    "disposition": request.headers["content-disposition"],
                    "size": len(request.body),
                }
                return 201, json.dumps({"id": media_id}), {}, 0.0
            if match := re.fullmatch(r"/wp-json/wp/v2/media/(\d+)", path):
                media_id = int(match.group(1))
                if media_id not in self.media:
                    return 404, json.dumps({"code": "rest_post_invalid_id"}), {}, 0.0
                if request.method == "DELETE":
                    del self.media[media_id]
                    return 200, json.dumps({"deleted": True}), {}, 0.0
                self.media[media_id].update(request.json())
                return 200, json.dumps({"id": media_id}), {}, 0.0
            if request.method == "GET" and path == "/wp-json/wp/v2/posts":
                statuses = {"publish"} if params.get("status", "publish") == "publish" else None
                found = [
                    {"id": p["id"], "slug": p.get("slug"), "status": p.get("status")}
                    for p in self.posts.values()
                    if ("slug" not in params or p.get("slug") == params["slug"])
                    and (statuses is None or p.get("status") in statuses)
                ]
                return 200, json.dumps(found), {}, 0.0
            if request.method == "POST" and path == "/wp-json/wp/v2/posts":
                post = self._save(next(self.ids), request.json())
                return 201, json.dumps(post), {}, self.hang_after_save
            if match := re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)", path):
                post_id = int(match.group(1))
                if post_id not in self.posts:
                    return 404, json.dumps({"code": "rest_post_invalid_id"}), {}, 0.0
                post = self._save(post_id, request.json())
                return 200, json.dumps(post), {}, self.hang_after_save
        return 404, "{}", {}, 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def wordpress() -> Iterator[WordPress]:
    server = WordPress("syndication", "abcd efgh ijkl mnop")
    yield server
    server.close()


@pytest.fixture
def worker_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The app's settings with a short timeout for the worker, and a private storage."""
    original = settings.storage_dir
    settings.storage_dir = tmp_path / "storage"
    yield settings.model_copy(update={"syndication_timeout_seconds": 0.5})
    settings.storage_dir = original


@dataclass
class People:
    contact: dict[str, str]
    coordinator: dict[str, str]


@pytest.fixture
def people(factory: Factory) -> People:
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    _, coordinator = factory.api_user(Role.COORDINATOR)
    return People(contact, coordinator)


def add_webhook(
    client: TestClient, headers: dict[str, str], url: str, **extra: Any
) -> dict[str, Any]:
    body = {"municipality_code": "205", "name": "Invest in Kajaani", "kind": "webhook", "url": url}
    response = client.post("/api/v1/syndication/targets", json={**body, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def publish_site(client: TestClient, people: People, **extra: Any) -> dict[str, Any]:
    created = client.post("/api/v1/sites", json={**PLOT, **extra}, headers=people.contact)
    assert created.status_code == 201, created.text
    url = f"/api/v1/sites/{created.json()['id']}"
    assert client.post(f"{url}/submit", headers=people.contact).status_code == 200
    published = client.post(f"{url}/publish", headers=people.coordinator)
    assert published.status_code == 200, published.text
    return published.json()
