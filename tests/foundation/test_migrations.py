"""Migrations build the schema from empty on both databases, and agree with the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db.base import Base
from app.db.migrations import alembic_config, code_heads, upgrade_to_head
from app.db.session import make_engine


def _assert_models_match(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert set(context.get_current_heads()) == set(code_heads())
            assert "leads" in inspect(conn).get_table_names()
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_on_sqlite(tmp_path) -> None:
    _assert_models_match(f"sqlite:///{tmp_path}/migrate.db")


def test_upgrade_from_empty_on_the_test_database_kind(scratch_database: str) -> None:
    if scratch_database.startswith("sqlite"):
        pytest.skip("no PostgreSQL in this run (see the warning at start)")
    _assert_models_match(scratch_database)


def test_single_head() -> None:
    assert len(code_heads()) == 1
