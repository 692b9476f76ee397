"""compose.yaml and its Caddyfile describe the layout test_two_processes.py runs: every
app process on one database and one files volume, the proxy in front of every web
instance, and no secret in the repository."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
# Each app service and the `invest-kainuu` command it runs.
APP_PROCESSES = {
    "web1": "serve",
    "web2": "serve",
    "worker": "syndication-worker",
    "scheduler": "scheduler",
}


def _services() -> dict[str, Any]:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    return dict(compose["services"])


def test_every_app_process_shares_the_database_the_files_and_the_key() -> None:
    services = _services()
    for name, command in APP_PROCESSES.items():
        service = services[name]
        assert service["command"][:2] == ["invest-kainuu", command], name
        environment = service["environment"]
        assert environment["DATABASE_URL"].endswith("@postgres:5432/invest_kainuu"), name
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        assert environment["ENVIRONMENT"] == "production", name
        assert service["volumes"] == [f"files:{environment['STORAGE_DIR']}"], name
        assert service["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }, name
    assert services["migrate"]["command"] == ["invest-kainuu", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_proxy_balances_every_web_instance_checked_by_readyz() -> None:
    services = _services()
    web = sorted(n for n, s in services.items() if s.get("command", [])[1:2] == ["serve"])
    assert len(web) >= 2
    for name in web:
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert sorted(services["proxy"]["depends_on"]) == web
    caddyfile = (REPO_ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams and upstreams.group(1).split() == [f"{n}:8000" for n in web]
    assert "health_uri /readyz" in caddyfile


def test_the_secrets_come_from_an_uncommitted_env_file() -> None:
    example = dict(
        line.split("=", 1)
        for line in (REPO_ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["SECRET_KEY"] == "" and example["POSTGRES_PASSWORD"] == ""
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (REPO_ROOT / ignore).read_text().splitlines(), ignore
