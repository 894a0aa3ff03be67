"""Real child processes for integration tests, and the environment that shows them the test's world.

Shared by the dispatch fixtures (Celery worker and beat), the presence fixtures (emulator and
`manage.py listen`) and the browser tests that reuse the dispatch fixtures.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from switchboard.children import Child, stop_all

__all__ = ["ROOT", "Process", "database_url", "process_environment", "stop_all"]

ROOT = Path(__file__).resolve().parents[1]


class Process(Child):
    """A child process in its own session, its output in a temporary file; stopped at teardown.

    The shared helper (switchboard.children): it dies with the test run (PR_SET_PDEATHSIG), and
    `stop_all` stops many at once.
    """

    def __init__(self, argv: list[str], env: dict[str, str], kind: str,
                 stop_signal: int = signal.SIGTERM) -> None:
        super().__init__(argv, env=env, cwd=ROOT, name=kind, stdin=None, stop_signal=stop_signal)


def database_url(settings_dict: dict[str, Any]) -> str:
    """DATABASE_URL naming the database Django is connected to (pytest-django's test database)."""
    if "postgresql" not in settings_dict["ENGINE"]:
        raise RuntimeError("process tests need PostgreSQL (DATABASE_URL=postgres://...)")
    user, password = settings_dict["USER"], settings_dict["PASSWORD"]
    host, port, name = settings_dict["HOST"], settings_dict["PORT"] or 5432, settings_dict["NAME"]
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


def process_environment(redis_url: str, key_prefix: str, **extra: str) -> dict[str, str]:
    """This process's environment pointed at the test database, `redis_url` and `key_prefix`.

    Rows must be committed (transactional_db) for a child process to see them.
    """
    from django.db import connection

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        # No idle connection outlives a task, so nothing lingers into the next test.
        DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=key_prefix,
        DJANGO_SETTINGS_MODULE="switchboard.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "test-only"),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env
