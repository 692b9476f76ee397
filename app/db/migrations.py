"""Running Alembic from the application and comparing the database with the code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

# alembic.ini and migrations/ live at the project root, beside the `app` package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["configure_logging"] = False
    return config


@lru_cache
def code_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade_to_head(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass(frozen=True)
class MigrationState:
    database_reachable: bool
    database_heads: frozenset[str]
    code_heads: frozenset[str]

    @property
    def ready(self) -> bool:
        return self.database_reachable and self.database_heads == self.code_heads

    def as_dict(self) -> dict[str, object]:
        return {
            "database": "reachable" if self.database_reachable else "unreachable",
            "database_revision": sorted(self.database_heads),
            "code_revision": sorted(self.code_heads),
        }


def migration_state(engine: Engine) -> MigrationState:
    try:
        with engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return MigrationState(False, frozenset(), code_heads())
    return MigrationState(True, current, code_heads())
