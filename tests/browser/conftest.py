"""Browser tests: a real uvicorn server on a freshly migrated database with the demo
data, driven by Playwright in Debian's Chromium. Screenshots go to $ARTIFACTS_DIR
(default ./artifacts), never into the repository."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session

from app.db.migrations import upgrade_to_head
from app.db.session import make_engine
from app.demo import load_demo_data
from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET, fresh_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("ARTIFACTS_DIR", "artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


# The live server's database, for tests that check what a page did to the records.
LIVE_DATABASE: dict[str, str] = {}


@pytest.fixture
def live_db(live_server: str) -> Iterator[Session]:
    engine = make_engine(LIVE_DATABASE["url"])
    with Session(engine) as db:
        yield db
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database_url, str(tmp_path_factory.mktemp("live"))) as url:
        LIVE_DATABASE["url"] = url
        settings = Settings(
            environment="test",
            database_url=url,
            secret_key=TEST_SECRET,
            storage_dir=tmp_path_factory.mktemp("storage"),
            # A person filling the portal's inquiry form in a test is quick.
            portal_inquiry_min_seconds=1,
        )
        engine = make_engine(url)
        upgrade_to_head(engine)
        with Session(engine) as db:
            load_demo_data(db, settings)
        engine.dispose()
        app = create_app(settings)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium for the browser tests (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, artifacts_dir: Path) -> Iterator[object]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    page.screenshot(path=str(artifacts_dir / f"{request.node.name}-final.png"), full_page=True)
    context.close()
