"""The invest-kainuu command against a fresh database of the test kind."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cli
from app.db.models import ApiToken, Lead, Municipality, Site, User
from app.db.session import make_engine
from app.services.auth import resolve_token
from app.settings import get_settings
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_database(scratch_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", scratch_database)
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setenv("ENVIRONMENT", "development")
    get_settings.cache_clear()
    engine = make_engine(scratch_database)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_migrate_then_demo_data_twice_changes_nothing(cli_database, capsys) -> None:
    assert cli.main(["migrate"]) == 0
    assert cli.main(["demo-data"]) == 0
    first = capsys.readouterr().out
    assert "koordinaattori@invest-kainuu.example" in first
    with Session(cli_database) as db:
        counts = [db.scalar(select(func.count()).select_from(t)) for t in (User, Lead, Site)]
        assert db.get(Municipality, "205").name_sv == "Kajana"
        assert counts[1] >= 30
        # KaiCell's and Terrafame's projects are public knowledge; every other lead secret.
        announced = db.execute(
            select(Lead.code_name, Lead.confidentiality).where(Lead.announced_on.is_not(None))
        ).all()
        assert sorted(announced) == [("Project Akku", "public"), ("Project Kelo", "public")]
    assert cli.main(["demo-data"]) == 0
    assert "nothing new" in capsys.readouterr().out
    with Session(cli_database) as db:
        assert [
            db.scalar(select(func.count()).select_from(t)) for t in (User, Lead, Site)
        ] == counts


def test_create_user_and_token(cli_database, capsys, monkeypatch) -> None:
    cli.main(["migrate"])
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        cli.main(
            [
                "create-user",
                "Kuhmo@Example.com",
                "--role",
                "municipal_contact",
                "--municipality",
                "290",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert cli.main(["create-token", "kuhmo@example.com", "--name", "cms"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    with Session(cli_database) as db:
        user = resolve_token(db, token)
        assert user is not None and user.municipality_code == "290"
        assert db.scalar(select(ApiToken.name)) == "cms"


def test_create_user_reports_bad_binding(cli_database, capsys, monkeypatch) -> None:
    cli.main(["migrate"])
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        cli.main(
            ["create-user", "x@example.com", "--role", "municipal_contact", "--password-stdin"]
        )
        == 2
    )
    assert "municipality_code" in capsys.readouterr().err


def test_create_user_binds_a_partner_to_an_organisation(cli_database, capsys) -> None:
    cli.main(["migrate"])
    with Session(cli_database, expire_on_commit=False) as db:
        kaicell = Factory(db).organization(name="KaiCell Fibers Oy")
        twins = [Factory(db).organization(name=f"Twin {n}") for n in range(2)]
        for twin in twins:
            twin.name_key = "twin"
        db.commit()
    capsys.readouterr()

    def create(email: str, *options: str) -> int:
        return cli.main(["create-user", email, *options])

    assert (
        create("by-name@example.com", "--role", "partner", "--organization", "kaicell fibers oy")
        == 0
    )
    assert "Created partner by-name@example.com of KaiCell Fibers Oy" in capsys.readouterr().out
    assert create("by-id@example.com", "--role", "partner", "--organization", str(kaicell.id)) == 0
    with Session(cli_database) as db:
        bound = db.scalars(select(User.organization_id).where(User.role == "partner")).all()
        assert bound == [kaicell.id, kaicell.id]
    capsys.readouterr()
    # Refused: a partner without an organisation, one that does not exist or is ambiguous,
    # and an organisation for a role that has none.
    assert create("none@example.com", "--role", "partner") == 2
    assert "a partner must be bound to an organisation" in capsys.readouterr().err
    assert create("ghost@example.com", "--role", "partner", "--organization", "Ghost Oy") == 2
    assert "No organisation 'Ghost Oy'" in capsys.readouterr().err
    assert create("twin@example.com", "--role", "partner", "--organization", "twin") == 2
    assert "several organisations are named 'twin'" in capsys.readouterr().err
    assert (
        create("coord@example.com", "--role", "coordinator", "--organization", str(kaicell.id)) == 2
    )
    assert "only partners are bound to an organisation" in capsys.readouterr().err
    with Session(cli_database) as db:
        assert db.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("command", ["serve", "migrate", "scheduler"])
@pytest.mark.parametrize("secret", [None, "too-short"])
def test_a_missing_or_weak_secret_key_in_production_is_one_clear_line(
    command: str, secret: str | None, tmp_path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DATABASE_URL", "ENVIRONMENT")
    }
    env |= {"ENVIRONMENT": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/never.db"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "app.cli", command],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: SECRET_KEY must be a random value of at least 32 characters outside "
        "development, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    ]
    assert not (tmp_path / "never.db").exists()


def test_run_sh_derives_the_links_base_url_from_port(tmp_path) -> None:
    """scripts/run.sh with the installing and the service replaced by stand-ins that
    report the BASE_URL the service would get."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    (tmp_path / "scripts" / "_venv.sh").write_text("ensure_venv() { :; }\n")
    stand_in = tmp_path / ".venv" / "bin" / "invest-kainuu"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text('#!/bin/sh\n[ "$1" = serve ] && echo "serving $* at $BASE_URL"\nexit 0\n')
    stand_in.chmod(0o755)

    def run(**variables: str) -> str:
        env = {"PATH": os.environ["PATH"], **variables}
        done = subprocess.run(  # noqa: S603 (our own script)
            ["bash", str(tmp_path / "scripts" / "run.sh")],  # noqa: S607 (bash from PATH)
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return done.stdout.strip().splitlines()[-1]

    assert run(PORT="9000") == "serving serve --host 127.0.0.1 --port 9000 at http://127.0.0.1:9000"
    assert run(HOST="0.0.0.0", PORT="9001")  # noqa: S104 (what an operator may set).endswith("at http://127.0.0.1:9001")
    assert run(HOST="kainuu.local").endswith("--port 8000 at http://kainuu.local:8000")
    assert run(PORT="9000", BASE_URL="https://invest.kainuu.fi").endswith(
        "at https://invest.kainuu.fi"
    )
