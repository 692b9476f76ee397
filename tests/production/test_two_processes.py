"""The production layout of compose.yaml in miniature: two real web processes, a
syndication worker and a scheduler (which runs a delivery loop of its own), all on one
PostgreSQL database made for the test. Files are kept in that database
(`STORAGE_BACKEND=database`), so nothing but PostgreSQL is shared between them.

A session made on one web process works on the other, a file uploaded through one
downloads from the other, and a delivery both delivery loops compete for goes out once.

The processes get their configuration from the environment like the containers do, and
inherit the test's own: `STORAGE_BACKEND=local pytest tests/production` runs the same
test with one shared storage folder instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.models import Site, SyndicationAttempt, SyndicationDelivery, SyndicationTarget
from app.db.session import make_engine
from app.domain.access import SYSTEM_ACTOR, Role
from app.services.reference import ensure_reference_data
from app.services.secrets import encrypt
from app.services.sites import helsinki_today
from app.services.syndication import NOTIFY_CHANNEL
from app.settings import Settings
from app.web.session import SESSION_COOKIE
from tests.conftest import TEST_SECRET, fresh_database
from tests.domain.test_packages import png
from tests.factories import PASSWORD, Factory, csrf_from
from tests.syndication.conftest import Receiver

REPO_ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_" + "QUJD" * 8
# A cap, not the expected time: four processes import the app at once, which takes
# minutes on a machine busy with other work.
STARTUP_SECONDS = 180.0
DELIVERY_SECONDS = 20.0


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Deployment:
    """The processes of one test run, their shared configuration, and where they log."""

    environment: dict[str, str]
    workdir: Path
    services: list[Service]

    def start(self, name: str, *command: str) -> Service:
        """Start a long-running `invest-kainuu` process."""
        log = self.workdir / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our own command)
                [sys.executable, "-m", "app.cli", *command],
                cwd=self.workdir,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def start_web(self, name: str) -> str:
        port = free_port()
        self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        return f"http://127.0.0.1:{port}"

    def logs(self) -> str:
        return "\n".join(
            f"--- {s.name} (exit code {s.process.poll()}):\n{s.log_tail()}" for s in self.services
        )

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        """Poll `ready` until it holds; fail at once when a process has died."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready():
            dead = [s.name for s in self.services if s.process.poll() is not None]
            if dead:
                pytest.fail(f"{', '.join(dead)} exited while waiting for {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.2)

    def stop(self) -> None:
        for service in self.services:
            service.process.terminate()
        for service in self.services:
            try:
                service.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (chosen by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def deployment(database_url: str, workdir: Path) -> Iterator[Deployment]:
    environment = {
        **os.environ,
        # The working directory holds no .env; the code comes from this checkout.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "database"),
        "STORAGE_DIR": str(workdir / "storage"),
    }
    running = Deployment(environment, workdir, [])
    try:
        yield running
    except BaseException as exc:
        exc.add_note(running.logs())
        raise
    finally:
        running.stop()


def ready(base_url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return check


def listening(engine: Engine, count: int) -> Callable[[], bool]:
    """Whether `count` delivery loops wait on the wake-up channel: each keeps one
    connection whose last statement is its LISTEN."""

    def check() -> bool:
        with engine.connect() as conn:
            found = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query = :listen"
                ),
                {"listen": f"LISTEN {NOTIFY_CHANNEL}"},
            )
        return found == count

    return check


def seed(engine: Engine, receiver_url: str) -> tuple[Site, str]:
    """The schema (what `invest-kainuu migrate` does, here without starting one more
    interpreter), a coordinator, a published site of Kajaani and a webhook target of
    Kajaani."""
    settings = Settings(
        environment="test",
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
    )
    upgrade_to_head(engine)
    with Session(engine, expire_on_commit=False) as db:
        ensure_reference_data(db)
        factory = Factory(db)
        coordinator = factory.user(Role.COORDINATOR)
        site = factory.site("205", last_verified_on=helsinki_today())
        bind_actor(db, SYSTEM_ACTOR)
        db.add(
            SyndicationTarget(
                municipality_code="205",
                name="Invest in Kajaani",
                kind="webhook",
                url=f"{receiver_url}/hooks/invest-kainuu",
                secret_encrypted=encrypt(settings, WEBHOOK_SECRET),
            )
        )
        db.commit()
    return site, coordinator.email


def test_two_web_processes_a_worker_and_a_scheduler_share_one_database(
    database_url: str, tmp_path: Path
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip(
            "several processes on one database need PostgreSQL (advisory locks, LISTEN/"
            "NOTIFY); SQLite is the single-process development setup"
        )
    with (
        closing(Receiver()) as receiver,
        fresh_database(database_url, str(tmp_path)) as url,
        engine_for(url) as engine,
        deployment(url, tmp_path) as running,
        httpx.Client(timeout=10) as browser,
    ):
        site, email = seed(engine, receiver.url)
        a = running.start_web("web-a")
        b = running.start_web("web-b")
        running.start("worker", "syndication-worker")
        running.start("scheduler", "scheduler")
        running.wait_for("web-a", ready(a))
        running.wait_for("web-b", ready(b))
        running.wait_for("both delivery loops", listening(engine, 2))

        # Log in on A; the same browser, its cookies untouched, is then served by B.
        login = browser.get(f"{a}/login")
        logged_in = browser.post(
            f"{a}/login",
            data={"csrf_token": csrf_from(login.text), "email": email, "password": PASSWORD},
        )
        assert logged_in.status_code == 303, logged_in.text
        assert SESSION_COOKIE in browser.cookies
        home = browser.get(f"{b}/staff")
        assert home.status_code == 200 and "Welcome, Test User" in home.text

        # Upload through A with the form as B rendered it (CSRF tokens hold across
        # processes too), download through B.
        photo = png((64, 48))
        form = browser.get(f"{b}/sites/{site.id}")
        uploaded = browser.post(
            f"{a}/sites/{site.id}/attachments",
            data={"csrf_token": csrf_from(form.text), "title_fi": "Ilmakuva"},
            files={"file": ("ilmakuva.png", photo, "image/png")},
        )
        assert uploaded.status_code == 303, uploaded.text
        page = browser.get(f"{b}/sites/{site.id}")
        link = re.search(r'href="(/site-files/[0-9a-f-]+)"', page.text)
        assert link, "the site page on B lists no file"
        downloaded = browser.get(f"{b}{link.group(1)}")
        assert downloaded.status_code == 200
        assert downloaded.content == photo

        # The upload changed a public site: one delivery to Kajaani's webhook, which the
        # worker and the scheduler's delivery loop were both woken for.
        delivered = _wait_for_delivery(engine)
        with Session(engine) as db:
            attempts = db.scalar(select(func.count()).select_from(SyndicationAttempt))
        assert delivered == ["succeeded"] and attempts == 1
        assert len(receiver.requests) == 1
        request = receiver.requests[0]
        # Signed with the secret the processes decrypted under the shared SECRET_KEY.
        Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
        message = request.json()
        assert message["data"]["id"] == str(site.id)
        assert [p["sha256"] for p in message["data"]["photos"]] == [
            hashlib.sha256(photo).hexdigest()
        ]


def _wait_for_delivery(engine: Engine) -> list[str]:
    """The statuses of all deliveries once none is pending, after a moment more for a
    second, duplicate request to land if there were one."""
    deadline = time.monotonic() + DELIVERY_SECONDS
    while True:
        with Session(engine) as db:
            statuses = list(db.scalars(select(SyndicationDelivery.status)))
        if statuses and "pending" not in statuses:
            time.sleep(1.0)
            return statuses
        if time.monotonic() > deadline:
            pytest.fail(f"no delivery finished in {DELIVERY_SECONDS} s: {statuses}")
        time.sleep(0.2)
