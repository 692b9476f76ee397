"""The invest-kainuu command against a fresh database of the test kind."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cli
from app.db.models import ApiToken, Lead, Municipality, Site, User
from app.db.session import make_engine
from app.services.auth import resolve_token
from app.settings import get_settings


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
