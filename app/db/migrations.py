"""Running Alembic from the application and comparing the database with the code."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
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


# pg_advisory_lock key of the start-up work (migrations, reference data): one constant
# for every instance of the service, whatever its database or schema is called.
STARTUP_LOCK_KEY: Final = int.from_bytes(
    hashlib.sha256(b"invest-kainuu:startup").digest()[:8], "big", signed=True
)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the deployment-wide start-up lock: N containers starting at
    once migrate and seed one after the other, the later ones finding nothing to do.
    SQLite (one development process) has nothing to coordinate with."""
    with engine.connect() as connection:
        locking = connection.dialect.name == "postgresql"
        if locking:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
            connection.commit()
        try:
            yield connection
        finally:
            if locking:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY}
                )
                connection.commit()


def upgrade(connection: Connection) -> None:
    """Upgrade to head in one transaction (PostgreSQL's DDL is transactional)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    with connection.begin():
        command.upgrade(config, "head")


def upgrade_to_head(engine: Engine) -> None:
    with startup_lock(engine) as connection:
        upgrade(connection)


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
