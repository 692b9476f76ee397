"""What an app process sets up for serving under load: as many database connections
kept open as it serves requests at once (`DATABASE_POOL_SIZE`), and templates read from
disk once outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.main import create_app
from app.settings import Settings
from app.web import portal, templating


def test_a_burst_of_requests_leaves_its_connections_open_for_the_next(
    settings: Settings,
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the pool is sized for PostgreSQL only")
    app = create_app(settings.model_copy(update={"database_pool_size": 8}))
    engine = app.state.engine
    try:
        burst = [engine.connect() for _ in range(8)]
        for connection in burst:
            connection.close()
        # All eight wait for the next burst. SQLAlchemy's default pool kept five and
        # closed the others: under load, every request beyond five connected anew.
        assert engine.pool.checkedin() == 8  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_the_pool_size_is_checked_when_the_settings_load() -> None:
    with pytest.raises(ValidationError, match="database_pool_size"):
        Settings(database_pool_size=0)


@pytest.mark.parametrize(("environment", "reloads"), [("development", True), ("test", False)])
def test_templates_are_checked_for_changes_only_while_developing(
    settings: Settings, environment: str, reloads: bool
) -> None:
    app = create_app(settings.model_copy(update={"environment": environment}))
    try:
        assert portal.templates.env.auto_reload is reloads
        assert templating.templates.env.auto_reload is reloads
    finally:
        app.state.engine.dispose()
        create_app(settings).state.engine.dispose()  # as the other tests expect
